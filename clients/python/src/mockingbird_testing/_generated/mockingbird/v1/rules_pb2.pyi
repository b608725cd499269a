import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from mockingbird.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplaceRulesRequest(_message.Message):
    __slots__ = ("account_sid", "rules")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, account_sid: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class AddRuleRequest(_message.Message):
    __slots__ = ("account_sid", "rule")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    rule: Rule
    def __init__(self, account_sid: _Optional[str] = ..., rule: _Optional[_Union[Rule, _Mapping]] = ...) -> None: ...

class ListRulesRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class ClearRulesRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class RuleList(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("id", "when", "reject", "accept", "call", "first_n", "latency", "callbacks")
    ID_FIELD_NUMBER: _ClassVar[int]
    WHEN_FIELD_NUMBER: _ClassVar[int]
    REJECT_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    FIRST_N_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    id: str
    when: MessageMatch
    reject: Rejection
    accept: Lifecycle
    call: CallBehavior
    first_n: int
    latency: _duration_pb2.Duration
    callbacks: CallbackDisorder
    def __init__(self, id: _Optional[str] = ..., when: _Optional[_Union[MessageMatch, _Mapping]] = ..., reject: _Optional[_Union[Rejection, _Mapping]] = ..., accept: _Optional[_Union[Lifecycle, _Mapping]] = ..., call: _Optional[_Union[CallBehavior, _Mapping]] = ..., first_n: _Optional[int] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., callbacks: _Optional[_Union[CallbackDisorder, _Mapping]] = ...) -> None: ...

class MessageMatch(_message.Message):
    __slots__ = ("channel", "to", "body")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    channel: str
    to: AddressPattern
    body: BodyPattern
    def __init__(self, channel: _Optional[str] = ..., to: _Optional[_Union[AddressPattern, _Mapping]] = ..., body: _Optional[_Union[BodyPattern, _Mapping]] = ..., **kwargs) -> None: ...

class AddressPattern(_message.Message):
    __slots__ = ("exact", "prefix", "glob")
    EXACT_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    GLOB_FIELD_NUMBER: _ClassVar[int]
    exact: str
    prefix: str
    glob: str
    def __init__(self, exact: _Optional[str] = ..., prefix: _Optional[str] = ..., glob: _Optional[str] = ...) -> None: ...

class BodyPattern(_message.Message):
    __slots__ = ("contains", "regex")
    CONTAINS_FIELD_NUMBER: _ClassVar[int]
    REGEX_FIELD_NUMBER: _ClassVar[int]
    contains: str
    regex: str
    def __init__(self, contains: _Optional[str] = ..., regex: _Optional[str] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("error_code", "http_status", "message")
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    error_code: int
    http_status: int
    message: str
    def __init__(self, error_code: _Optional[int] = ..., http_status: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Lifecycle(_message.Message):
    __slots__ = ("steps",)
    STEPS_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[LifecycleStep]
    def __init__(self, steps: _Optional[_Iterable[_Union[LifecycleStep, _Mapping]]] = ...) -> None: ...

class LifecycleStep(_message.Message):
    __slots__ = ("status", "delay", "error_code", "error_message")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.MessageStatus
    delay: _duration_pb2.Duration
    error_code: int
    error_message: str
    def __init__(self, status: _Optional[_Union[_common_pb2.MessageStatus, str]] = ..., delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., error_code: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class CallbackDisorder(_message.Message):
    __slots__ = ("drop", "duplicate", "delay")
    DROP_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    drop: _containers.RepeatedScalarFieldContainer[_common_pb2.MessageStatus]
    duplicate: _containers.RepeatedScalarFieldContainer[_common_pb2.MessageStatus]
    delay: _containers.RepeatedCompositeFieldContainer[DelayedCallback]
    def __init__(self, drop: _Optional[_Iterable[_Union[_common_pb2.MessageStatus, str]]] = ..., duplicate: _Optional[_Iterable[_Union[_common_pb2.MessageStatus, str]]] = ..., delay: _Optional[_Iterable[_Union[DelayedCallback, _Mapping]]] = ...) -> None: ...

class DelayedCallback(_message.Message):
    __slots__ = ("status", "by")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.MessageStatus
    by: _duration_pb2.Duration
    def __init__(self, status: _Optional[_Union[_common_pb2.MessageStatus, str]] = ..., by: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CallBehavior(_message.Message):
    __slots__ = ("result", "machine", "ring", "talk")
    class Result(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        RESULT_UNSPECIFIED: _ClassVar[CallBehavior.Result]
        RESULT_ANSWER: _ClassVar[CallBehavior.Result]
        RESULT_BUSY: _ClassVar[CallBehavior.Result]
        RESULT_NO_ANSWER: _ClassVar[CallBehavior.Result]
        RESULT_FAIL: _ClassVar[CallBehavior.Result]
        RESULT_RING: _ClassVar[CallBehavior.Result]
    RESULT_UNSPECIFIED: CallBehavior.Result
    RESULT_ANSWER: CallBehavior.Result
    RESULT_BUSY: CallBehavior.Result
    RESULT_NO_ANSWER: CallBehavior.Result
    RESULT_FAIL: CallBehavior.Result
    RESULT_RING: CallBehavior.Result
    RESULT_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    RING_FIELD_NUMBER: _ClassVar[int]
    TALK_FIELD_NUMBER: _ClassVar[int]
    result: CallBehavior.Result
    machine: bool
    ring: _duration_pb2.Duration
    talk: _duration_pb2.Duration
    def __init__(self, result: _Optional[_Union[CallBehavior.Result, str]] = ..., machine: _Optional[bool] = ..., ring: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., talk: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
