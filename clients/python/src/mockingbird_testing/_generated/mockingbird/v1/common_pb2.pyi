import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_STATUS_UNSPECIFIED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_QUEUED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_SENDING: _ClassVar[MessageStatus]
    MESSAGE_STATUS_SENT: _ClassVar[MessageStatus]
    MESSAGE_STATUS_FAILED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_DELIVERED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_UNDELIVERED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_RECEIVING: _ClassVar[MessageStatus]
    MESSAGE_STATUS_RECEIVED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_ACCEPTED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_SCHEDULED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_READ: _ClassVar[MessageStatus]
    MESSAGE_STATUS_PARTIALLY_DELIVERED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_CANCELED: _ClassVar[MessageStatus]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_INBOUND: _ClassVar[Direction]
    DIRECTION_OUTBOUND_API: _ClassVar[Direction]
    DIRECTION_OUTBOUND_CALL: _ClassVar[Direction]
    DIRECTION_OUTBOUND_REPLY: _ClassVar[Direction]

class HttpMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HTTP_METHOD_UNSPECIFIED: _ClassVar[HttpMethod]
    HTTP_METHOD_POST: _ClassVar[HttpMethod]
    HTTP_METHOD_GET: _ClassVar[HttpMethod]
MESSAGE_STATUS_UNSPECIFIED: MessageStatus
MESSAGE_STATUS_QUEUED: MessageStatus
MESSAGE_STATUS_SENDING: MessageStatus
MESSAGE_STATUS_SENT: MessageStatus
MESSAGE_STATUS_FAILED: MessageStatus
MESSAGE_STATUS_DELIVERED: MessageStatus
MESSAGE_STATUS_UNDELIVERED: MessageStatus
MESSAGE_STATUS_RECEIVING: MessageStatus
MESSAGE_STATUS_RECEIVED: MessageStatus
MESSAGE_STATUS_ACCEPTED: MessageStatus
MESSAGE_STATUS_SCHEDULED: MessageStatus
MESSAGE_STATUS_READ: MessageStatus
MESSAGE_STATUS_PARTIALLY_DELIVERED: MessageStatus
MESSAGE_STATUS_CANCELED: MessageStatus
DIRECTION_UNSPECIFIED: Direction
DIRECTION_INBOUND: Direction
DIRECTION_OUTBOUND_API: Direction
DIRECTION_OUTBOUND_CALL: Direction
DIRECTION_OUTBOUND_REPLY: Direction
HTTP_METHOD_UNSPECIFIED: HttpMethod
HTTP_METHOD_POST: HttpMethod
HTTP_METHOD_GET: HttpMethod

class Message(_message.Message):
    __slots__ = ("sid", "account_sid", "direction", "to", "body", "media_urls", "status", "num_segments", "messaging_service_sid", "error_code", "error_message", "status_callback", "status_callback_method", "created_at", "updated_at", "sent_at", "whatsapp")
    SID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URLS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NUM_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    MESSAGING_SERVICE_SID_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_CALLBACK_FIELD_NUMBER: _ClassVar[int]
    STATUS_CALLBACK_METHOD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    WHATSAPP_FIELD_NUMBER: _ClassVar[int]
    sid: str
    account_sid: str
    direction: Direction
    to: str
    body: str
    media_urls: _containers.RepeatedScalarFieldContainer[str]
    status: MessageStatus
    num_segments: int
    messaging_service_sid: str
    error_code: int
    error_message: str
    status_callback: str
    status_callback_method: HttpMethod
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    sent_at: _timestamp_pb2.Timestamp
    whatsapp: WhatsAppContent
    def __init__(self, sid: _Optional[str] = ..., account_sid: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., to: _Optional[str] = ..., body: _Optional[str] = ..., media_urls: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[MessageStatus, str]] = ..., num_segments: _Optional[int] = ..., messaging_service_sid: _Optional[str] = ..., error_code: _Optional[int] = ..., error_message: _Optional[str] = ..., status_callback: _Optional[str] = ..., status_callback_method: _Optional[_Union[HttpMethod, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., whatsapp: _Optional[_Union[WhatsAppContent, _Mapping]] = ..., **kwargs) -> None: ...

class WhatsAppContent(_message.Message):
    __slots__ = ("message_type", "content", "context_id", "callback_data", "profile_name", "template_category", "user", "addressed_by_user_id")
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_DATA_FIELD_NUMBER: _ClassVar[int]
    PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ADDRESSED_BY_USER_ID_FIELD_NUMBER: _ClassVar[int]
    message_type: str
    content: str
    context_id: str
    callback_data: str
    profile_name: str
    template_category: str
    user: WhatsAppUser
    addressed_by_user_id: bool
    def __init__(self, message_type: _Optional[str] = ..., content: _Optional[str] = ..., context_id: _Optional[str] = ..., callback_data: _Optional[str] = ..., profile_name: _Optional[str] = ..., template_category: _Optional[str] = ..., user: _Optional[_Union[WhatsAppUser, _Mapping]] = ..., addressed_by_user_id: _Optional[bool] = ...) -> None: ...

class WhatsAppUser(_message.Message):
    __slots__ = ("user_id", "wa_id", "username", "phone_hidden")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    WA_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_HIDDEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    wa_id: str
    username: str
    phone_hidden: bool
    def __init__(self, user_id: _Optional[str] = ..., wa_id: _Optional[str] = ..., username: _Optional[str] = ..., phone_hidden: _Optional[bool] = ...) -> None: ...

class CallbackAttempt(_message.Message):
    __slots__ = ("id", "account_sid", "resource_sid", "status", "url", "method", "request_body", "attempt", "response_status", "response_body", "error", "latency_ms", "at", "request_headers")
    class RequestHeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_SID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BODY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BODY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HEADERS_FIELD_NUMBER: _ClassVar[int]
    id: int
    account_sid: str
    resource_sid: str
    status: str
    url: str
    method: HttpMethod
    request_body: str
    attempt: int
    response_status: int
    response_body: str
    error: str
    latency_ms: int
    at: _timestamp_pb2.Timestamp
    request_headers: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[int] = ..., account_sid: _Optional[str] = ..., resource_sid: _Optional[str] = ..., status: _Optional[str] = ..., url: _Optional[str] = ..., method: _Optional[_Union[HttpMethod, str]] = ..., request_body: _Optional[str] = ..., attempt: _Optional[int] = ..., response_status: _Optional[int] = ..., response_body: _Optional[str] = ..., error: _Optional[str] = ..., latency_ms: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_headers: _Optional[_Mapping[str, str]] = ...) -> None: ...
