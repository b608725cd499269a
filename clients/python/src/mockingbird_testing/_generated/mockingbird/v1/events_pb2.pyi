import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from mockingbird.v1 import calls_pb2 as _calls_pb2
from mockingbird.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_TENANT_CREATED: _ClassVar[EventKind]
    EVENT_KIND_MESSAGE_CREATED: _ClassVar[EventKind]
    EVENT_KIND_MESSAGE_STATUS_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_MESSAGE_REDACTED: _ClassVar[EventKind]
    EVENT_KIND_MESSAGE_DELETED: _ClassVar[EventKind]
    EVENT_KIND_CALLBACK_ATTEMPTED: _ClassVar[EventKind]
    EVENT_KIND_INBOUND_DELIVERED: _ClassVar[EventKind]
    EVENT_KIND_RULE_MATCHED: _ClassVar[EventKind]
    EVENT_KIND_DATA_CLEARED: _ClassVar[EventKind]
    EVENT_KIND_CALL_CREATED: _ClassVar[EventKind]
    EVENT_KIND_CALL_STATUS_CHANGED: _ClassVar[EventKind]
    EVENT_KIND_CALL_VERB: _ClassVar[EventKind]
    EVENT_KIND_CALL_GATHERING: _ClassVar[EventKind]
    EVENT_KIND_CALL_NOTIFICATION: _ClassVar[EventKind]
    EVENT_KIND_CALL_DELETED: _ClassVar[EventKind]
    EVENT_KIND_RECORDING_CREATED: _ClassVar[EventKind]
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_TENANT_CREATED: EventKind
EVENT_KIND_MESSAGE_CREATED: EventKind
EVENT_KIND_MESSAGE_STATUS_CHANGED: EventKind
EVENT_KIND_MESSAGE_REDACTED: EventKind
EVENT_KIND_MESSAGE_DELETED: EventKind
EVENT_KIND_CALLBACK_ATTEMPTED: EventKind
EVENT_KIND_INBOUND_DELIVERED: EventKind
EVENT_KIND_RULE_MATCHED: EventKind
EVENT_KIND_DATA_CLEARED: EventKind
EVENT_KIND_CALL_CREATED: EventKind
EVENT_KIND_CALL_STATUS_CHANGED: EventKind
EVENT_KIND_CALL_VERB: EventKind
EVENT_KIND_CALL_GATHERING: EventKind
EVENT_KIND_CALL_NOTIFICATION: EventKind
EVENT_KIND_CALL_DELETED: EventKind
EVENT_KIND_RECORDING_CREATED: EventKind

class EventFilter(_message.Message):
    __slots__ = ("account_sid", "kinds", "sid", "to", "statuses", "body_contains", "body_regex", "whatsapp_types", "call_statuses")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    BODY_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    BODY_REGEX_FIELD_NUMBER: _ClassVar[int]
    WHATSAPP_TYPES_FIELD_NUMBER: _ClassVar[int]
    CALL_STATUSES_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    kinds: _containers.RepeatedScalarFieldContainer[EventKind]
    sid: str
    to: str
    statuses: _containers.RepeatedScalarFieldContainer[_common_pb2.MessageStatus]
    body_contains: str
    body_regex: str
    whatsapp_types: _containers.RepeatedScalarFieldContainer[str]
    call_statuses: _containers.RepeatedScalarFieldContainer[_calls_pb2.CallStatus]
    def __init__(self, account_sid: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[EventKind, str]]] = ..., sid: _Optional[str] = ..., to: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_common_pb2.MessageStatus, str]]] = ..., body_contains: _Optional[str] = ..., body_regex: _Optional[str] = ..., whatsapp_types: _Optional[_Iterable[str]] = ..., call_statuses: _Optional[_Iterable[_Union[_calls_pb2.CallStatus, str]]] = ..., **kwargs) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("filter", "after_sequence", "live_only")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    filter: EventFilter
    after_sequence: int
    live_only: bool
    def __init__(self, filter: _Optional[_Union[EventFilter, _Mapping]] = ..., after_sequence: _Optional[int] = ..., live_only: _Optional[bool] = ...) -> None: ...

class WaitForRequest(_message.Message):
    __slots__ = ("filter", "after_sequence", "timeout")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    filter: EventFilter
    after_sequence: int
    timeout: _duration_pb2.Duration
    def __init__(self, filter: _Optional[_Union[EventFilter, _Mapping]] = ..., after_sequence: _Optional[int] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "account_sid", "at", "kind", "tenant_created", "message_created", "message_status_changed", "message_redacted", "message_deleted", "callback_attempted", "inbound_delivered", "rule_matched", "data_cleared", "call_created", "call_status_changed", "call_verb", "call_gathering", "call_notification", "call_deleted", "recording_created")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TENANT_CREATED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_CREATED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_REDACTED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_DELETED_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_ATTEMPTED_FIELD_NUMBER: _ClassVar[int]
    INBOUND_DELIVERED_FIELD_NUMBER: _ClassVar[int]
    RULE_MATCHED_FIELD_NUMBER: _ClassVar[int]
    DATA_CLEARED_FIELD_NUMBER: _ClassVar[int]
    CALL_CREATED_FIELD_NUMBER: _ClassVar[int]
    CALL_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CALL_VERB_FIELD_NUMBER: _ClassVar[int]
    CALL_GATHERING_FIELD_NUMBER: _ClassVar[int]
    CALL_NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    CALL_DELETED_FIELD_NUMBER: _ClassVar[int]
    RECORDING_CREATED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    account_sid: str
    at: _timestamp_pb2.Timestamp
    kind: EventKind
    tenant_created: TenantCreated
    message_created: MessageCreated
    message_status_changed: MessageStatusChanged
    message_redacted: MessageRedacted
    message_deleted: MessageDeleted
    callback_attempted: CallbackAttempted
    inbound_delivered: InboundDelivered
    rule_matched: RuleMatched
    data_cleared: DataCleared
    call_created: CallCreated
    call_status_changed: CallStatusChanged
    call_verb: CallVerb
    call_gathering: CallGathering
    call_notification: CallNotification
    call_deleted: CallDeleted
    recording_created: RecordingCreated
    def __init__(self, sequence: _Optional[int] = ..., account_sid: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[EventKind, str]] = ..., tenant_created: _Optional[_Union[TenantCreated, _Mapping]] = ..., message_created: _Optional[_Union[MessageCreated, _Mapping]] = ..., message_status_changed: _Optional[_Union[MessageStatusChanged, _Mapping]] = ..., message_redacted: _Optional[_Union[MessageRedacted, _Mapping]] = ..., message_deleted: _Optional[_Union[MessageDeleted, _Mapping]] = ..., callback_attempted: _Optional[_Union[CallbackAttempted, _Mapping]] = ..., inbound_delivered: _Optional[_Union[InboundDelivered, _Mapping]] = ..., rule_matched: _Optional[_Union[RuleMatched, _Mapping]] = ..., data_cleared: _Optional[_Union[DataCleared, _Mapping]] = ..., call_created: _Optional[_Union[CallCreated, _Mapping]] = ..., call_status_changed: _Optional[_Union[CallStatusChanged, _Mapping]] = ..., call_verb: _Optional[_Union[CallVerb, _Mapping]] = ..., call_gathering: _Optional[_Union[CallGathering, _Mapping]] = ..., call_notification: _Optional[_Union[CallNotification, _Mapping]] = ..., call_deleted: _Optional[_Union[CallDeleted, _Mapping]] = ..., recording_created: _Optional[_Union[RecordingCreated, _Mapping]] = ...) -> None: ...

class CallCreated(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _calls_pb2.Call
    def __init__(self, call: _Optional[_Union[_calls_pb2.Call, _Mapping]] = ...) -> None: ...

class CallStatusChanged(_message.Message):
    __slots__ = ("sid", "to", "previous", "status", "answered_by")
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_BY_FIELD_NUMBER: _ClassVar[int]
    sid: str
    to: str
    previous: _calls_pb2.CallStatus
    status: _calls_pb2.CallStatus
    answered_by: str
    def __init__(self, sid: _Optional[str] = ..., to: _Optional[str] = ..., previous: _Optional[_Union[_calls_pb2.CallStatus, str]] = ..., status: _Optional[_Union[_calls_pb2.CallStatus, str]] = ..., answered_by: _Optional[str] = ..., **kwargs) -> None: ...

class CallVerb(_message.Message):
    __slots__ = ("sid", "to", "entry")
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    sid: str
    to: str
    entry: _calls_pb2.TranscriptEntry
    def __init__(self, sid: _Optional[str] = ..., to: _Optional[str] = ..., entry: _Optional[_Union[_calls_pb2.TranscriptEntry, _Mapping]] = ..., **kwargs) -> None: ...

class CallGathering(_message.Message):
    __slots__ = ("sid", "to", "verb", "input", "deadline")
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    VERB_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    sid: str
    to: str
    verb: str
    input: str
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, sid: _Optional[str] = ..., to: _Optional[str] = ..., verb: _Optional[str] = ..., input: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class CallNotification(_message.Message):
    __slots__ = ("sid", "code", "message", "url")
    SID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    sid: str
    code: int
    message: str
    url: str
    def __init__(self, sid: _Optional[str] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class CallDeleted(_message.Message):
    __slots__ = ("sid",)
    SID_FIELD_NUMBER: _ClassVar[int]
    sid: str
    def __init__(self, sid: _Optional[str] = ...) -> None: ...

class RecordingCreated(_message.Message):
    __slots__ = ("sid", "call_sid", "duration_seconds", "source")
    SID_FIELD_NUMBER: _ClassVar[int]
    CALL_SID_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    sid: str
    call_sid: str
    duration_seconds: int
    source: str
    def __init__(self, sid: _Optional[str] = ..., call_sid: _Optional[str] = ..., duration_seconds: _Optional[int] = ..., source: _Optional[str] = ...) -> None: ...

class TenantCreated(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class MessageCreated(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _common_pb2.Message
    def __init__(self, message: _Optional[_Union[_common_pb2.Message, _Mapping]] = ...) -> None: ...

class MessageStatusChanged(_message.Message):
    __slots__ = ("sid", "to", "previous", "status", "error_code")
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    sid: str
    to: str
    previous: _common_pb2.MessageStatus
    status: _common_pb2.MessageStatus
    error_code: int
    def __init__(self, sid: _Optional[str] = ..., to: _Optional[str] = ..., previous: _Optional[_Union[_common_pb2.MessageStatus, str]] = ..., status: _Optional[_Union[_common_pb2.MessageStatus, str]] = ..., error_code: _Optional[int] = ..., **kwargs) -> None: ...

class MessageRedacted(_message.Message):
    __slots__ = ("sid",)
    SID_FIELD_NUMBER: _ClassVar[int]
    sid: str
    def __init__(self, sid: _Optional[str] = ...) -> None: ...

class MessageDeleted(_message.Message):
    __slots__ = ("sid",)
    SID_FIELD_NUMBER: _ClassVar[int]
    sid: str
    def __init__(self, sid: _Optional[str] = ...) -> None: ...

class CallbackAttempted(_message.Message):
    __slots__ = ("attempt", "to")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    attempt: _common_pb2.CallbackAttempt
    to: str
    def __init__(self, attempt: _Optional[_Union[_common_pb2.CallbackAttempt, _Mapping]] = ..., to: _Optional[str] = ..., **kwargs) -> None: ...

class InboundDelivered(_message.Message):
    __slots__ = ("message", "webhook", "reply_sids", "opt_out_type")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    REPLY_SIDS_FIELD_NUMBER: _ClassVar[int]
    OPT_OUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    message: _common_pb2.Message
    webhook: _common_pb2.CallbackAttempt
    reply_sids: _containers.RepeatedScalarFieldContainer[str]
    opt_out_type: str
    def __init__(self, message: _Optional[_Union[_common_pb2.Message, _Mapping]] = ..., webhook: _Optional[_Union[_common_pb2.CallbackAttempt, _Mapping]] = ..., reply_sids: _Optional[_Iterable[str]] = ..., opt_out_type: _Optional[str] = ...) -> None: ...

class RuleMatched(_message.Message):
    __slots__ = ("rule_id", "sid", "to", "rejected_with")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REJECTED_WITH_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    sid: str
    to: str
    rejected_with: int
    def __init__(self, rule_id: _Optional[str] = ..., sid: _Optional[str] = ..., to: _Optional[str] = ..., rejected_with: _Optional[int] = ...) -> None: ...

class DataCleared(_message.Message):
    __slots__ = ("scope",)
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    scope: str
    def __init__(self, scope: _Optional[str] = ...) -> None: ...
