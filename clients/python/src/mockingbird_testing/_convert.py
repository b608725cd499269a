"""Small conversions between what a test writes and what the protos want."""

from __future__ import annotations

import datetime
from typing import Union

from google.protobuf.duration_pb2 import Duration

from mockingbird_testing.proto import calls_pb2, common_pb2, events_pb2

Seconds = Union[int, float, datetime.timedelta]


def duration(value: Seconds) -> Duration:
    """A protobuf Duration from seconds (int or float) or a timedelta."""
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    result = Duration()
    result.FromNanoseconds(round(value * 1_000_000_000))
    return result


def _enum_value(enum, prefix: str, value: Union[str, int]) -> int:
    """An enum number from its number, or from a name as Twilio writes it (`in-progress`),
    as the event log writes it (`message_status_changed`) or as the proto does."""
    if isinstance(value, int):
        return value
    name = value.upper().replace("-", "_").replace(" ", "_")
    if not name.startswith(prefix):
        name = prefix + name
    try:
        return enum.Value(name)
    except ValueError:
        known = ", ".join(n[len(prefix):].lower() for n in enum.keys() if not n.endswith("UNSPECIFIED"))
        raise ValueError(f"unknown {prefix.rstrip('_').lower().replace('_', ' ')} {value!r}; one of: {known}") from None


def message_status(value: Union[str, int]) -> int:
    return _enum_value(common_pb2.MessageStatus, "MESSAGE_STATUS_", value)


def call_status(value: Union[str, int]) -> int:
    return _enum_value(calls_pb2.CallStatus, "CALL_STATUS_", value)


def event_kind(value: Union[str, int]) -> int:
    return _enum_value(events_pb2.EventKind, "EVENT_KIND_", value)


def http_method(value: Union[str, int]) -> int:
    return _enum_value(common_pb2.HttpMethod, "HTTP_METHOD_", value)


def twilio_name(enum, value: int) -> str:
    """An enum number as Twilio writes it: CALL_STATUS_IN_PROGRESS → `in-progress`."""
    name = enum.Name(value)
    for prefix in ("CALL_STATUS_", "MESSAGE_STATUS_"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.lower().replace("_", "-")
