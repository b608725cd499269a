import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_STATUS_UNSPECIFIED: _ClassVar[CallStatus]
    CALL_STATUS_QUEUED: _ClassVar[CallStatus]
    CALL_STATUS_RINGING: _ClassVar[CallStatus]
    CALL_STATUS_IN_PROGRESS: _ClassVar[CallStatus]
    CALL_STATUS_COMPLETED: _ClassVar[CallStatus]
    CALL_STATUS_BUSY: _ClassVar[CallStatus]
    CALL_STATUS_NO_ANSWER: _ClassVar[CallStatus]
    CALL_STATUS_FAILED: _ClassVar[CallStatus]
    CALL_STATUS_CANCELED: _ClassVar[CallStatus]
CALL_STATUS_UNSPECIFIED: CallStatus
CALL_STATUS_QUEUED: CallStatus
CALL_STATUS_RINGING: CallStatus
CALL_STATUS_IN_PROGRESS: CallStatus
CALL_STATUS_COMPLETED: CallStatus
CALL_STATUS_BUSY: CallStatus
CALL_STATUS_NO_ANSWER: CallStatus
CALL_STATUS_FAILED: CallStatus
CALL_STATUS_CANCELED: CallStatus

class Call(_message.Message):
    __slots__ = ("sid", "account_sid", "parent_call_sid", "direction", "to", "status", "answered_by", "created_at", "start_time", "end_time", "duration_seconds", "error_code")
    SID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    PARENT_CALL_SID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    sid: str
    account_sid: str
    parent_call_sid: str
    direction: str
    to: str
    status: CallStatus
    answered_by: str
    created_at: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    duration_seconds: int
    error_code: int
    def __init__(self, sid: _Optional[str] = ..., account_sid: _Optional[str] = ..., parent_call_sid: _Optional[str] = ..., direction: _Optional[str] = ..., to: _Optional[str] = ..., status: _Optional[_Union[CallStatus, str]] = ..., answered_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[int] = ..., error_code: _Optional[int] = ..., **kwargs) -> None: ...

class TranscriptEntry(_message.Message):
    __slots__ = ("at", "type", "text", "description", "json")
    AT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    type: str
    text: str
    description: str
    json: str
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[str] = ..., text: _Optional[str] = ..., description: _Optional[str] = ..., json: _Optional[str] = ...) -> None: ...

class CallDetail(_message.Message):
    __slots__ = ("call", "transcript", "waiting_for")
    CALL_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    WAITING_FOR_FIELD_NUMBER: _ClassVar[int]
    call: Call
    transcript: _containers.RepeatedCompositeFieldContainer[TranscriptEntry]
    waiting_for: str
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., transcript: _Optional[_Iterable[_Union[TranscriptEntry, _Mapping]]] = ..., waiting_for: _Optional[str] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("account_sid", "to", "status", "parent_call_sid", "limit")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARENT_CALL_SID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    to: str
    status: CallStatus
    parent_call_sid: str
    limit: int
    def __init__(self, account_sid: _Optional[str] = ..., to: _Optional[str] = ..., status: _Optional[_Union[CallStatus, str]] = ..., parent_call_sid: _Optional[str] = ..., limit: _Optional[int] = ..., **kwargs) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[Call]
    def __init__(self, calls: _Optional[_Iterable[_Union[Call, _Mapping]]] = ...) -> None: ...

class GetCallRequest(_message.Message):
    __slots__ = ("account_sid", "sid")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ...) -> None: ...

class PlaceInboundCallRequest(_message.Message):
    __slots__ = ("account_sid", "to", "caller_name", "forwarded_from")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    CALLER_NAME_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_FROM_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    to: str
    caller_name: str
    forwarded_from: str
    def __init__(self, account_sid: _Optional[str] = ..., to: _Optional[str] = ..., caller_name: _Optional[str] = ..., forwarded_from: _Optional[str] = ..., **kwargs) -> None: ...

class AnswerCallRequest(_message.Message):
    __slots__ = ("account_sid", "sid", "machine")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    machine: bool
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ..., machine: _Optional[bool] = ...) -> None: ...

class RejectCallRequest(_message.Message):
    __slots__ = ("account_sid", "sid", "reason")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[RejectCallRequest.Reason]
        REASON_BUSY: _ClassVar[RejectCallRequest.Reason]
        REASON_NO_ANSWER: _ClassVar[RejectCallRequest.Reason]
        REASON_FAILED: _ClassVar[RejectCallRequest.Reason]
    REASON_UNSPECIFIED: RejectCallRequest.Reason
    REASON_BUSY: RejectCallRequest.Reason
    REASON_NO_ANSWER: RejectCallRequest.Reason
    REASON_FAILED: RejectCallRequest.Reason
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    reason: RejectCallRequest.Reason
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ..., reason: _Optional[_Union[RejectCallRequest.Reason, str]] = ...) -> None: ...

class PressDigitsRequest(_message.Message):
    __slots__ = ("account_sid", "sid", "digits")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    DIGITS_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    digits: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ..., digits: _Optional[str] = ...) -> None: ...

class SaySpeechRequest(_message.Message):
    __slots__ = ("account_sid", "sid", "text")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    text: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class HangUpRequest(_message.Message):
    __slots__ = ("account_sid", "sid")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    sid: str
    def __init__(self, account_sid: _Optional[str] = ..., sid: _Optional[str] = ...) -> None: ...
