"""Rules that read like the behaviour they set up.

    from mockingbird_testing import rules

    rules.to("+15557654321").sent(after=1).undelivered(30007)     # sent after 1 s, then undelivered 30007
    rules.to_prefix("+1555").reject(21610)                          # the API call fails with 21610
    rules.body_contains("promo").first(2).delivered(after=5)        # the first two only
    rules.calls().to("+15557654321").busy(ring=3)                   # a called party that is busy

Each call returns a new builder, so a partial rule can be shared. Pass one to
`tenant.rules.add(...)`; `.build()` gives the `rules_pb2.Rule`.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple, Union

from mockingbird_testing import _convert
from mockingbird_testing._convert import Seconds
from mockingbird_testing.proto import rules_pb2

Status = Union[str, int]


@dataclasses.dataclass(frozen=True)
class RuleBuilder:
    """A rule being written: what it matches, then what happens."""

    _match: rules_pb2.MessageMatch = dataclasses.field(default_factory=rules_pb2.MessageMatch)
    _outcome: Optional[Tuple[str, object]] = None  # ("reject" | "accept" | "call", message)
    _id: str = ""
    _first_n: int = 0
    _latency: Optional[Seconds] = None
    _disorder: rules_pb2.CallbackDisorder = dataclasses.field(default_factory=rules_pb2.CallbackDisorder)

    # ---- which messages -------------------------------------------------------------------

    def _matching(self, **fields) -> "RuleBuilder":
        match = rules_pb2.MessageMatch()
        match.CopyFrom(self._match)
        for name, value in fields.items():
            if isinstance(value, str):
                setattr(match, name, value)
            else:
                getattr(match, name).CopyFrom(value)
        return dataclasses.replace(self, _match=match)

    def to(self, address: str) -> "RuleBuilder":
        """Messages (or calls) to exactly this address."""
        return self._matching(to=rules_pb2.AddressPattern(exact=address))

    def to_prefix(self, prefix: str) -> "RuleBuilder":
        return self._matching(to=rules_pb2.AddressPattern(prefix=prefix))

    def to_glob(self, glob: str) -> "RuleBuilder":
        """`*` any run of characters, `?` any one: `+1555???0007`."""
        return self._matching(to=rules_pb2.AddressPattern(glob=glob))

    def from_(self, address: str) -> "RuleBuilder":
        return self._matching(**{"from": rules_pb2.AddressPattern(exact=address)})

    def from_prefix(self, prefix: str) -> "RuleBuilder":
        return self._matching(**{"from": rules_pb2.AddressPattern(prefix=prefix)})

    def body_contains(self, text: str) -> "RuleBuilder":
        return self._matching(body=rules_pb2.BodyPattern(contains=text))

    def body_regex(self, regex: str) -> "RuleBuilder":
        return self._matching(body=rules_pb2.BodyPattern(regex=regex))

    def channel(self, channel: str) -> "RuleBuilder":
        """`sms`, `mms`, `whatsapp` or `voice`."""
        return self._matching(channel=channel)

    def named(self, rule_id: str) -> "RuleBuilder":
        """The id events report the rule by (`rule-…` when not given)."""
        return dataclasses.replace(self, _id=rule_id)

    def first(self, n: int) -> "RuleBuilder":
        """Only the first n matching messages; later ones fall through to the next rules."""
        return dataclasses.replace(self, _first_n=n)

    def latency(self, seconds: Seconds) -> "RuleBuilder":
        """The API answers this much later (real time)."""
        return dataclasses.replace(self, _latency=seconds)

    # ---- what happens to a message ----------------------------------------------------------

    def reject(self, error_code: int, http_status: int = 0, message: str = "") -> "RuleBuilder":
        """The API call fails at once with Twilio's error `error_code` (HTTP 400 by default)."""
        rejection = rules_pb2.Rejection(error_code=error_code, http_status=http_status, message=message)
        return dataclasses.replace(self, _outcome=("reject", rejection))

    def accepted(self) -> "RuleBuilder":
        """The message is accepted and stays as created (no status follows)."""
        return dataclasses.replace(self, _outcome=("accept", rules_pb2.Lifecycle()))

    def then(self, status: Status, after: Seconds = 0, error_code: int = 0, error_message: str = "") -> "RuleBuilder":
        """Add a step to the message's script: `status`, `after` seconds of tenant time past
        the previous step."""
        lifecycle = rules_pb2.Lifecycle()
        if self._outcome and self._outcome[0] == "accept":
            lifecycle.CopyFrom(self._outcome[1])
        elif self._outcome:
            raise ValueError(f"this rule already has a {self._outcome[0]} outcome; a status script cannot follow it")
        lifecycle.steps.append(
            rules_pb2.LifecycleStep(
                status=_convert.message_status(status),
                delay=_convert.duration(after),
                error_code=error_code,
                error_message=error_message,
            )
        )
        return dataclasses.replace(self, _outcome=("accept", lifecycle))

    def sent(self, after: Seconds = 0) -> "RuleBuilder":
        return self.then("sent", after)

    def delivered(self, after: Seconds = 0) -> "RuleBuilder":
        return self.then("delivered", after)

    def read(self, after: Seconds = 0) -> "RuleBuilder":
        return self.then("read", after)

    def undelivered(self, error_code: int, after: Seconds = 0) -> "RuleBuilder":
        return self.then("undelivered", after, error_code)

    def failed(self, error_code: int, after: Seconds = 0) -> "RuleBuilder":
        return self.then("failed", after, error_code)

    # ---- misbehaving status callbacks -------------------------------------------------------

    def _disordered(self, change) -> "RuleBuilder":
        disorder = rules_pb2.CallbackDisorder()
        disorder.CopyFrom(self._disorder)
        change(disorder)
        return dataclasses.replace(self, _disorder=disorder)

    def drop_callbacks(self, *statuses: Status) -> "RuleBuilder":
        """Never send the status callbacks for these statuses."""
        return self._disordered(lambda d: d.drop.extend(_convert.message_status(s) for s in statuses))

    def duplicate_callbacks(self, *statuses: Status) -> "RuleBuilder":
        """Send these statuses' callbacks twice, with the same idempotency token."""
        return self._disordered(lambda d: d.duplicate.extend(_convert.message_status(s) for s in statuses))

    def delay_callback(self, status: Status, by: Seconds) -> "RuleBuilder":
        """Hold a status's callback back, e.g. `sent` by 10 s so it arrives after `delivered`."""
        delayed = rules_pb2.DelayedCallback(status=_convert.message_status(status), by=_convert.duration(by))
        return self._disordered(lambda d: d.delay.append(delayed))

    # ---- what a called party does (rules on calls) -----------------------------------------

    def _callee(self, result: int, ring: Optional[Seconds] = None, talk: Optional[Seconds] = None, machine: bool = False) -> "RuleBuilder":
        behavior = rules_pb2.CallBehavior(result=result, machine=machine)
        if ring is not None:
            behavior.ring.CopyFrom(_convert.duration(ring))
        if talk is not None:
            behavior.talk.CopyFrom(_convert.duration(talk))
        return dataclasses.replace(self, _outcome=("call", behavior))

    def answers(self, ring: Optional[Seconds] = None, talk: Optional[Seconds] = None, machine: bool = False) -> "RuleBuilder":
        """The callee picks up after `ring` (an answering machine with `machine`), and hangs
        up after `talk` when given."""
        return self._callee(rules_pb2.CallBehavior.RESULT_ANSWER, ring, talk, machine)

    def busy(self, ring: Optional[Seconds] = None) -> "RuleBuilder":
        return self._callee(rules_pb2.CallBehavior.RESULT_BUSY, ring)

    def no_answer(self) -> "RuleBuilder":
        return self._callee(rules_pb2.CallBehavior.RESULT_NO_ANSWER)

    def call_fails(self) -> "RuleBuilder":
        return self._callee(rules_pb2.CallBehavior.RESULT_FAIL)

    def rings(self) -> "RuleBuilder":
        """The call rings until the test answers or rejects it (`Call.answer()` / `.reject()`)."""
        return self._callee(rules_pb2.CallBehavior.RESULT_RING)

    # ---- the rule --------------------------------------------------------------------------

    def build(self) -> rules_pb2.Rule:
        if self._outcome is None:
            raise ValueError("a rule needs an outcome: .reject(code), a status script (.sent().delivered()), or a callee (.answers())")
        kind, outcome = self._outcome
        rule = rules_pb2.Rule(id=self._id, when=self._match, first_n=self._first_n, callbacks=self._disorder)
        getattr(rule, kind).CopyFrom(outcome)
        if kind == "call" and not rule.when.channel:
            rule.when.channel = "voice"  # the server takes call rules for calls only
        if self._latency is not None:
            rule.latency.CopyFrom(_convert.duration(self._latency))
        return rule


def any_message() -> RuleBuilder:
    """Every message (narrow it with the builder's methods)."""
    return RuleBuilder()


def to(address: str) -> RuleBuilder:
    return RuleBuilder().to(address)


def to_prefix(prefix: str) -> RuleBuilder:
    return RuleBuilder().to_prefix(prefix)


def to_glob(glob: str) -> RuleBuilder:
    return RuleBuilder().to_glob(glob)


def from_(address: str) -> RuleBuilder:
    return RuleBuilder().from_(address)


def body_contains(text: str) -> RuleBuilder:
    return RuleBuilder().body_contains(text)


def calls() -> RuleBuilder:
    """Calls only (channel `voice`): `rules.calls().to(number).busy()`."""
    return RuleBuilder().channel("voice")


def as_rule(rule: Union[RuleBuilder, rules_pb2.Rule]) -> rules_pb2.Rule:
    return rule.build() if isinstance(rule, RuleBuilder) else rule


__all__ = ["RuleBuilder", "any_message", "to", "to_prefix", "to_glob", "from_", "body_contains", "calls", "as_rule"]
