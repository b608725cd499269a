import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from mockingbird.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AddNumberRequest(_message.Message):
    __slots__ = ("account_sid", "phone_number", "friendly_name", "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "voice_url", "voice_method")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FRIENDLY_NAME_FIELD_NUMBER: _ClassVar[int]
    SMS_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_METHOD_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_METHOD_FIELD_NUMBER: _ClassVar[int]
    VOICE_URL_FIELD_NUMBER: _ClassVar[int]
    VOICE_METHOD_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str
    sms_method: _common_pb2.HttpMethod
    sms_fallback_url: str
    sms_fallback_method: _common_pb2.HttpMethod
    voice_url: str
    voice_method: _common_pb2.HttpMethod
    def __init__(self, account_sid: _Optional[str] = ..., phone_number: _Optional[str] = ..., friendly_name: _Optional[str] = ..., sms_url: _Optional[str] = ..., sms_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., sms_fallback_url: _Optional[str] = ..., sms_fallback_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., voice_url: _Optional[str] = ..., voice_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ...) -> None: ...

class ListNumbersRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class ListNumbersResponse(_message.Message):
    __slots__ = ("numbers",)
    NUMBERS_FIELD_NUMBER: _ClassVar[int]
    numbers: _containers.RepeatedCompositeFieldContainer[PhoneNumber]
    def __init__(self, numbers: _Optional[_Iterable[_Union[PhoneNumber, _Mapping]]] = ...) -> None: ...

class UpdateNumberRequest(_message.Message):
    __slots__ = ("account_sid", "number", "friendly_name", "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "voice_url", "voice_method")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    FRIENDLY_NAME_FIELD_NUMBER: _ClassVar[int]
    SMS_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_METHOD_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_METHOD_FIELD_NUMBER: _ClassVar[int]
    VOICE_URL_FIELD_NUMBER: _ClassVar[int]
    VOICE_METHOD_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    number: str
    friendly_name: str
    sms_url: str
    sms_method: _common_pb2.HttpMethod
    sms_fallback_url: str
    sms_fallback_method: _common_pb2.HttpMethod
    voice_url: str
    voice_method: _common_pb2.HttpMethod
    def __init__(self, account_sid: _Optional[str] = ..., number: _Optional[str] = ..., friendly_name: _Optional[str] = ..., sms_url: _Optional[str] = ..., sms_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., sms_fallback_url: _Optional[str] = ..., sms_fallback_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., voice_url: _Optional[str] = ..., voice_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ...) -> None: ...

class RemoveNumberRequest(_message.Message):
    __slots__ = ("account_sid", "number")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    number: str
    def __init__(self, account_sid: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class RemoveNumberResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PhoneNumber(_message.Message):
    __slots__ = ("sid", "account_sid", "phone_number", "friendly_name", "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "voice_url", "voice_method", "created_at", "updated_at")
    SID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FRIENDLY_NAME_FIELD_NUMBER: _ClassVar[int]
    SMS_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_METHOD_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_URL_FIELD_NUMBER: _ClassVar[int]
    SMS_FALLBACK_METHOD_FIELD_NUMBER: _ClassVar[int]
    VOICE_URL_FIELD_NUMBER: _ClassVar[int]
    VOICE_METHOD_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str
    sms_method: _common_pb2.HttpMethod
    sms_fallback_url: str
    sms_fallback_method: _common_pb2.HttpMethod
    voice_url: str
    voice_method: _common_pb2.HttpMethod
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, sid: _Optional[str] = ..., account_sid: _Optional[str] = ..., phone_number: _Optional[str] = ..., friendly_name: _Optional[str] = ..., sms_url: _Optional[str] = ..., sms_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., sms_fallback_url: _Optional[str] = ..., sms_fallback_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., voice_url: _Optional[str] = ..., voice_method: _Optional[_Union[_common_pb2.HttpMethod, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
