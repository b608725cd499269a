import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from mockingbird.v1 import common_pb2 as _common_pb2
from mockingbird.v1 import tenants_pb2 as _tenants_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InboundDelivery(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INBOUND_DELIVERY_UNSPECIFIED: _ClassVar[InboundDelivery]
    INBOUND_DELIVERY_NO_WEBHOOK: _ClassVar[InboundDelivery]
    INBOUND_DELIVERY_ANSWERED: _ClassVar[InboundDelivery]
    INBOUND_DELIVERY_UNREACHABLE: _ClassVar[InboundDelivery]
    INBOUND_DELIVERY_TIMED_OUT: _ClassVar[InboundDelivery]

class WindowPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WINDOW_POLICY_UNSPECIFIED: _ClassVar[WindowPolicy]
    WINDOW_POLICY_REJECT: _ClassVar[WindowPolicy]
    WINDOW_POLICY_FAIL_LATER: _ClassVar[WindowPolicy]
    WINDOW_POLICY_OFF: _ClassVar[WindowPolicy]
INBOUND_DELIVERY_UNSPECIFIED: InboundDelivery
INBOUND_DELIVERY_NO_WEBHOOK: InboundDelivery
INBOUND_DELIVERY_ANSWERED: InboundDelivery
INBOUND_DELIVERY_UNREACHABLE: InboundDelivery
INBOUND_DELIVERY_TIMED_OUT: InboundDelivery
WINDOW_POLICY_UNSPECIFIED: WindowPolicy
WINDOW_POLICY_REJECT: WindowPolicy
WINDOW_POLICY_FAIL_LATER: WindowPolicy
WINDOW_POLICY_OFF: WindowPolicy

class SendWhatsAppInboundRequest(_message.Message):
    __slots__ = ("account_sid", "profile_name", "context_id", "target", "username", "hide_phone", "text", "button", "button_reply", "list_reply", "flow_reply", "location", "media", "reaction", "raw")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    HIDE_PHONE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BUTTON_FIELD_NUMBER: _ClassVar[int]
    BUTTON_REPLY_FIELD_NUMBER: _ClassVar[int]
    LIST_REPLY_FIELD_NUMBER: _ClassVar[int]
    FLOW_REPLY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    REACTION_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    profile_name: str
    context_id: str
    target: str
    username: str
    hide_phone: bool
    text: Text
    button: QuickReply
    button_reply: ButtonReply
    list_reply: ListReply
    flow_reply: FlowReply
    location: Location
    media: Media
    reaction: Reaction
    raw: RawMessage
    def __init__(self, account_sid: _Optional[str] = ..., profile_name: _Optional[str] = ..., context_id: _Optional[str] = ..., target: _Optional[str] = ..., username: _Optional[str] = ..., hide_phone: _Optional[bool] = ..., text: _Optional[_Union[Text, _Mapping]] = ..., button: _Optional[_Union[QuickReply, _Mapping]] = ..., button_reply: _Optional[_Union[ButtonReply, _Mapping]] = ..., list_reply: _Optional[_Union[ListReply, _Mapping]] = ..., flow_reply: _Optional[_Union[FlowReply, _Mapping]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., media: _Optional[_Union[Media, _Mapping]] = ..., reaction: _Optional[_Union[Reaction, _Mapping]] = ..., raw: _Optional[_Union[RawMessage, _Mapping]] = ..., **kwargs) -> None: ...

class Text(_message.Message):
    __slots__ = ("body",)
    BODY_FIELD_NUMBER: _ClassVar[int]
    body: str
    def __init__(self, body: _Optional[str] = ...) -> None: ...

class QuickReply(_message.Message):
    __slots__ = ("payload", "text")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    payload: str
    text: str
    def __init__(self, payload: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class ButtonReply(_message.Message):
    __slots__ = ("id", "title")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class ListReply(_message.Message):
    __slots__ = ("id", "title", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    description: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class FlowReply(_message.Message):
    __slots__ = ("response_json", "body")
    RESPONSE_JSON_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    response_json: str
    body: str
    def __init__(self, response_json: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("latitude", "longitude", "name", "address")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    name: str
    address: str
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., name: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class Media(_message.Message):
    __slots__ = ("kind", "media_id", "mime_type", "caption", "filename")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    kind: str
    media_id: str
    mime_type: str
    caption: str
    filename: str
    def __init__(self, kind: _Optional[str] = ..., media_id: _Optional[str] = ..., mime_type: _Optional[str] = ..., caption: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class Reaction(_message.Message):
    __slots__ = ("message_id", "emoji")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    EMOJI_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    emoji: str
    def __init__(self, message_id: _Optional[str] = ..., emoji: _Optional[str] = ...) -> None: ...

class RawMessage(_message.Message):
    __slots__ = ("type", "json")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    type: str
    json: str
    def __init__(self, type: _Optional[str] = ..., json: _Optional[str] = ...) -> None: ...

class SendWhatsAppInboundResponse(_message.Message):
    __slots__ = ("message", "webhook", "delivery", "http_status", "http_body", "after_sequence", "url", "timeout")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    HTTP_BODY_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    message: _common_pb2.Message
    webhook: _common_pb2.CallbackAttempt
    delivery: InboundDelivery
    http_status: int
    http_body: str
    after_sequence: int
    url: str
    timeout: _duration_pb2.Duration
    def __init__(self, message: _Optional[_Union[_common_pb2.Message, _Mapping]] = ..., webhook: _Optional[_Union[_common_pb2.CallbackAttempt, _Mapping]] = ..., delivery: _Optional[_Union[InboundDelivery, str]] = ..., http_status: _Optional[int] = ..., http_body: _Optional[str] = ..., after_sequence: _Optional[int] = ..., url: _Optional[str] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WhatsAppTemplate(_message.Message):
    __slots__ = ("name", "language", "category", "body_parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BODY_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    language: str
    category: str
    body_parameters: int
    def __init__(self, name: _Optional[str] = ..., language: _Optional[str] = ..., category: _Optional[str] = ..., body_parameters: _Optional[int] = ...) -> None: ...

class AllowList(_message.Message):
    __slots__ = ("enabled", "numbers")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    numbers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, enabled: _Optional[bool] = ..., numbers: _Optional[_Iterable[str]] = ...) -> None: ...

class TemplateList(_message.Message):
    __slots__ = ("templates",)
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[WhatsAppTemplate]
    def __init__(self, templates: _Optional[_Iterable[_Union[WhatsAppTemplate, _Mapping]]] = ...) -> None: ...

class GetWhatsAppSettingsRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class WhatsAppSettings(_message.Message):
    __slots__ = ("account_sid", "identity", "webhook_url", "window", "allow_list", "templates")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    identity: _tenants_pb2.WhatsAppIdentity
    webhook_url: str
    window: WindowPolicy
    allow_list: AllowList
    templates: _containers.RepeatedCompositeFieldContainer[WhatsAppTemplate]
    def __init__(self, account_sid: _Optional[str] = ..., identity: _Optional[_Union[_tenants_pb2.WhatsAppIdentity, _Mapping]] = ..., webhook_url: _Optional[str] = ..., window: _Optional[_Union[WindowPolicy, str]] = ..., allow_list: _Optional[_Union[AllowList, _Mapping]] = ..., templates: _Optional[_Iterable[_Union[WhatsAppTemplate, _Mapping]]] = ...) -> None: ...

class UpdateWhatsAppSettingsRequest(_message.Message):
    __slots__ = ("account_sid", "webhook_url", "window", "allow_list", "templates", "verify_webhook")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    VERIFY_WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    webhook_url: str
    window: WindowPolicy
    allow_list: AllowList
    templates: TemplateList
    verify_webhook: bool
    def __init__(self, account_sid: _Optional[str] = ..., webhook_url: _Optional[str] = ..., window: _Optional[_Union[WindowPolicy, str]] = ..., allow_list: _Optional[_Union[AllowList, _Mapping]] = ..., templates: _Optional[_Union[TemplateList, _Mapping]] = ..., verify_webhook: _Optional[bool] = ...) -> None: ...

class UpdateWhatsAppSettingsResponse(_message.Message):
    __slots__ = ("settings", "verification")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    settings: WhatsAppSettings
    verification: VerifyWebhookResponse
    def __init__(self, settings: _Optional[_Union[WhatsAppSettings, _Mapping]] = ..., verification: _Optional[_Union[VerifyWebhookResponse, _Mapping]] = ...) -> None: ...

class VerifyWebhookRequest(_message.Message):
    __slots__ = ("account_sid", "url")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    url: str
    def __init__(self, account_sid: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class VerifyWebhookResponse(_message.Message):
    __slots__ = ("challenge", "echoed", "attempt")
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    ECHOED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    challenge: str
    echoed: bool
    attempt: _common_pb2.CallbackAttempt
    def __init__(self, challenge: _Optional[str] = ..., echoed: _Optional[bool] = ..., attempt: _Optional[_Union[_common_pb2.CallbackAttempt, _Mapping]] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("account_sid", "user", "limit")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    user: str
    limit: int
    def __init__(self, account_sid: _Optional[str] = ..., user: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("messages", "user")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    user: _common_pb2.WhatsAppUser
    def __init__(self, messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., user: _Optional[_Union[_common_pb2.WhatsAppUser, _Mapping]] = ...) -> None: ...
