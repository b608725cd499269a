from mockingbird.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListMessagesRequest(_message.Message):
    __slots__ = ("account_sid", "to", "limit")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    to: str
    limit: int
    def __init__(self, account_sid: _Optional[str] = ..., to: _Optional[str] = ..., limit: _Optional[int] = ..., **kwargs) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ...) -> None: ...

class GetMessageRequest(_message.Message):
    __slots__ = ("account_sid", "sid")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ...) -> None: ...

class SetMessageStatusRequest(_message.Message):
    __slots__ = ("account_sid", "sid", "status", "error_code", "error_message")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    status: _common_pb2.MessageStatus
    error_code: int
    error_message: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.MessageStatus, str]] = ..., error_code: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class ListCallbackAttemptsRequest(_message.Message):
    __slots__ = ("account_sid", "resource_sid", "limit")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_SID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    resource_sid: str
    limit: int
    def __init__(self, account_sid: _Optional[str] = ..., resource_sid: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListCallbackAttemptsResponse(_message.Message):
    __slots__ = ("attempts",)
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    attempts: _containers.RepeatedCompositeFieldContainer[_common_pb2.CallbackAttempt]
    def __init__(self, attempts: _Optional[_Iterable[_Union[_common_pb2.CallbackAttempt, _Mapping]]] = ...) -> None: ...

class RedeliverCallbackRequest(_message.Message):
    __slots__ = ("account_sid", "attempt_id")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    attempt_id: int
    def __init__(self, account_sid: _Optional[str] = ..., attempt_id: _Optional[int] = ...) -> None: ...

class SendInboundRequest(_message.Message):
    __slots__ = ("account_sid", "to", "body", "media_urls", "profile_name", "button_text", "button_payload", "location", "replied_to_sid", "message_type", "forwarded", "frequently_forwarded")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URLS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    BUTTON_TEXT_FIELD_NUMBER: _ClassVar[int]
    BUTTON_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    REPLIED_TO_SID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_FIELD_NUMBER: _ClassVar[int]
    FREQUENTLY_FORWARDED_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    to: str
    body: str
    media_urls: _containers.RepeatedScalarFieldContainer[str]
    profile_name: str
    button_text: str
    button_payload: str
    location: InboundLocation
    replied_to_sid: str
    message_type: str
    forwarded: bool
    frequently_forwarded: bool
    def __init__(self, account_sid: _Optional[str] = ..., to: _Optional[str] = ..., body: _Optional[str] = ..., media_urls: _Optional[_Iterable[str]] = ..., profile_name: _Optional[str] = ..., button_text: _Optional[str] = ..., button_payload: _Optional[str] = ..., location: _Optional[_Union[InboundLocation, _Mapping]] = ..., replied_to_sid: _Optional[str] = ..., message_type: _Optional[str] = ..., forwarded: _Optional[bool] = ..., frequently_forwarded: _Optional[bool] = ..., **kwargs) -> None: ...

class InboundLocation(_message.Message):
    __slots__ = ("latitude", "longitude", "address", "label")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    address: str
    label: str
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., address: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class SendInboundResponse(_message.Message):
    __slots__ = ("message", "webhook", "replies", "opt_out_type")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    OPT_OUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    message: _common_pb2.Message
    webhook: _common_pb2.CallbackAttempt
    replies: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    opt_out_type: str
    def __init__(self, message: _Optional[_Union[_common_pb2.Message, _Mapping]] = ..., webhook: _Optional[_Union[_common_pb2.CallbackAttempt, _Mapping]] = ..., replies: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., opt_out_type: _Optional[str] = ...) -> None: ...
