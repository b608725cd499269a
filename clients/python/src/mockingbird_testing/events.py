"""Waiting for events: `wait_for` (one event, or the server's near-miss explanation) and
`subscribe` (a stream of them)."""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, Optional, Union

import grpc

from mockingbird_testing import _convert
from mockingbird_testing.proto import events_pb2

# Extra time the gRPC deadline of WaitFor gets beyond the wait itself, so that the server's
# answer (with its explanation) arrives before the client gives up on its own.
_DEADLINE_MARGIN_SECONDS = 5.0


class EventNotFound(AssertionError):
    """No event matched in time. The message is the server's: the nearest events and what
    each got wrong."""


def event_filter(
    account_sid: str,
    kinds: Iterable[Union[str, int]] = (),
    *,
    sid: str = "",
    to: str = "",
    from_: str = "",
    status: Union[str, int, None] = None,
    statuses: Iterable[Union[str, int]] = (),
    body_contains: str = "",
    body_regex: str = "",
    whatsapp_types: Iterable[str] = (),
    call_status: Union[str, int, None] = None,
    call_statuses: Iterable[Union[str, int]] = (),
) -> events_pb2.EventFilter:
    """An EventFilter from names as Twilio and the event log write them: kinds such as
    `message_status_changed`, statuses such as `delivered`, call statuses such as `in-progress`."""
    statuses = [*statuses, *([status] if status is not None else [])]
    call_statuses = [*call_statuses, *([call_status] if call_status is not None else [])]
    return events_pb2.EventFilter(
        account_sid=account_sid,
        kinds=[_convert.event_kind(k) for k in kinds],
        sid=sid,
        to=to,
        body_contains=body_contains,
        body_regex=body_regex,
        statuses=[_convert.message_status(s) for s in statuses],
        whatsapp_types=list(whatsapp_types),
        call_statuses=[_convert.call_status(s) for s in call_statuses],
        **{"from": from_},
    )


def wait_for(stub, filter: events_pb2.EventFilter, after: int = 0, timeout: float = 5.0) -> events_pb2.Event:
    """The first event after sequence `after` matching `filter`, waiting up to `timeout`
    seconds; EventNotFound with the server's explanation otherwise."""
    request = events_pb2.WaitForRequest(filter=filter, after_sequence=after, timeout=_convert.duration(timeout))
    try:
        return stub.WaitFor(request, timeout=timeout + _DEADLINE_MARGIN_SECONDS)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise EventNotFound(error.details() or f"no event matched within {timeout}s") from None
        raise


_END = object()


class EventStream:
    """Events as they happen, from `Subscribe`: iterate, or call `next(timeout)`.

    A background thread reads the gRPC stream into a queue, so every read can have a timeout:
    a read that waits longer than it raises EventNotFound. Close it (or use it in a `with`)
    to cancel the subscription.
    """

    def __init__(self, call, timeout: float) -> None:
        self._call = call
        self.timeout = timeout
        self._events: "queue.Queue[object]" = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="mockingbird-subscribe", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for event in self._call:
                self._events.put(event)
            self._events.put(_END)
        except grpc.RpcError as error:
            # Cancelled is our own close(); anything else is the reader's to see.
            self._events.put(_END if error.code() == grpc.StatusCode.CANCELLED else error)

    def next(self, timeout: Optional[float] = None) -> events_pb2.Event:
        """The next event, waiting up to `timeout` seconds (the stream's own by default)."""
        wait = self.timeout if timeout is None else timeout
        try:
            item = self._events.get(timeout=wait)
        except queue.Empty:
            raise EventNotFound(f"no event arrived on the subscription within {wait}s") from None
        if item is _END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[return-value]

    def __iter__(self) -> Iterator[events_pb2.Event]:
        return self

    def __next__(self) -> events_pb2.Event:
        return self.next()

    def close(self) -> None:
        self._call.cancel()
        self._reader.join(timeout=5)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def subscribe(stub, filter: events_pb2.EventFilter, after: int = 0, live_only: bool = False, timeout: float = 5.0) -> EventStream:
    request = events_pb2.SubscribeRequest(filter=filter, after_sequence=after, live_only=live_only)
    return EventStream(stub.Subscribe(request), timeout)
