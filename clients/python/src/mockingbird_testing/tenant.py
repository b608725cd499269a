"""A tenant: one Twilio account and WhatsApp business of its own, with everything a test does
to it: numbers, rules, the clock, simulated users and callers, and waiting for events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Optional, Union

import grpc
from twilio.rest import Client

from mockingbird_testing import _convert, events, rules
from mockingbird_testing._convert import Seconds
from mockingbird_testing.proto import (
    calls_pb2,
    clock_pb2,
    common_pb2,
    events_pb2,
    messages_pb2,
    numbers_pb2,
    rules_pb2,
    tenants_pb2,
    whatsapp_pb2,
)
from mockingbird_testing.twilio_redirect import twilio_client

if TYPE_CHECKING:
    from mockingbird_testing.server import Mockingbird

# The Graph API version apps put in Cloud API URLs; mockingbird answers any.
GRAPH_VERSION = "v23.0"


class Tenant:
    """A tenant's credentials and controls. In a `with` block it is deleted at the end."""

    def __init__(self, server: "Mockingbird", proto: tenants_pb2.Tenant, owned: bool = True) -> None:
        self.server = server
        self.proto = proto
        self._owned = owned
        stubs, timeout = server.stubs, server.rpc_timeout
        self.numbers = Numbers(stubs.numbers, self.account_sid, timeout)
        self.rules = Rules(stubs.rules, self.account_sid, timeout)
        self.clock = Clock(stubs.clock, self.account_sid, timeout)
        self.messages = Messages(stubs.messages, self.account_sid, timeout)

    # ---- what the app needs ----------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        return self.proto.account_sid

    @property
    def auth_token(self) -> str:
        return self.proto.auth_token

    @property
    def api_key_sid(self) -> str:
        return self.proto.api_key_sid

    @property
    def api_key_secret(self) -> str:
        return self.proto.api_key_secret

    @property
    def label(self) -> str:
        return self.proto.label

    @property
    def whatsapp(self) -> tenants_pb2.WhatsAppIdentity:
        """phone_number_id, access_token, app_secret, verify_token, business_account_id,
        display_phone_number: what a Cloud API app configures."""
        return self.proto.whatsapp

    @property
    def http_url(self) -> str:
        if not self.server.http_url:
            raise ValueError("the server's HTTP address is unknown: connect with http_url=… or a ready file")
        return self.server.http_url

    @property
    def graph_url(self) -> str:
        """The Graph API base a Cloud API app uses instead of https://graph.facebook.com/v23.0."""
        return f"{self.http_url}/{GRAPH_VERSION}"

    @property
    def cloud_api_messages_url(self) -> str:
        """Where the app POSTs Cloud API messages, as this tenant's business number."""
        return f"{self.graph_url}/{self.whatsapp.phone_number_id}/messages"

    def twilio_client(self, api_key: bool = False) -> Client:
        """The official `twilio.rest.Client`, authenticated as this tenant (with its auth token,
        or its API key when `api_key`), sending every request to mockingbird."""
        if api_key:
            return twilio_client(self.http_url, self.api_key_sid, self.api_key_secret, account_sid=self.account_sid)
        return twilio_client(self.http_url, self.account_sid, self.auth_token)

    # ---- simulated users and callers -------------------------------------------------------

    def inbound_sms(self, from_: str, to: str, body: str = "", media_urls: Iterable[str] = (), **fields) -> messages_pb2.SendInboundResponse:
        """A user texts one of the tenant's numbers: the number's SMS URL gets Twilio's signed
        webhook, and its TwiML `<Message>` replies come back in `replies`. A `from_` of
        `whatsapp:+…` writes through Twilio's WhatsApp channel; `fields` are the rest of
        `SendInboundRequest` (profile_name, button_payload, …)."""
        request = messages_pb2.SendInboundRequest(
            account_sid=self.account_sid, to=to, body=body, media_urls=list(media_urls), **{"from": from_}, **fields
        )
        return self.server.stubs.messages.SendInbound(request, timeout=self.server.rpc_timeout)

    def whatsapp_user(self, number: str, profile_name: str = "", username: str = "", hide_phone: bool = False) -> "WhatsAppUser":
        """A WhatsApp user writing to the tenant's business number through the Cloud API:
        `number` is their number (digits, with or without `+`), or the BSUID of a user the
        tenant has met (who keeps their username and hidden phone)."""
        return WhatsAppUser(self, number, profile_name, username, hide_phone)

    def set_whatsapp_webhook(self, url: str, verify: bool = False) -> whatsapp_pb2.UpdateWhatsAppSettingsResponse:
        """Where the Cloud API's message and status webhooks go ("" removes it); `verify` runs
        Meta's handshake against it."""
        return self.update_whatsapp_settings(webhook_url=url, verify_webhook=verify)

    def whatsapp_settings(self) -> whatsapp_pb2.WhatsAppSettings:
        """The Cloud API settings as they are: webhook_url, window, allow_list, templates."""
        request = whatsapp_pb2.GetWhatsAppSettingsRequest(account_sid=self.account_sid)
        return self.server.stubs.whatsapp.GetSettings(request, timeout=self.server.rpc_timeout)

    def verify_whatsapp_webhook(self, url: Optional[str] = None) -> whatsapp_pb2.VerifyWebhookResponse:
        """Meta's verification handshake against `url` (the tenant's webhook URL when None):
        `.echoed` says whether the app answered with the bare challenge."""
        request = whatsapp_pb2.VerifyWebhookRequest(account_sid=self.account_sid, url=url)
        return self.server.stubs.whatsapp.VerifyWebhook(request, timeout=self.server.rpc_timeout)

    def update_whatsapp_settings(self, **fields) -> whatsapp_pb2.UpdateWhatsAppSettingsResponse:
        """`UpdateSettings` with these fields (webhook_url, window, allow_list, templates, …)."""
        request = whatsapp_pb2.UpdateWhatsAppSettingsRequest(account_sid=self.account_sid, **fields)
        return self.server.stubs.whatsapp.UpdateSettings(request, timeout=self.server.rpc_timeout)

    def place_call(self, from_: str, to: str, **fields) -> "Call":
        """A caller dials one of the tenant's numbers: its VoiceUrl's TwiML runs as far as it
        can (to a `<Gather>`, say) before this returns."""
        request = calls_pb2.PlaceInboundCallRequest(account_sid=self.account_sid, to=to, **{"from": from_}, **fields)
        return Call(self, self.server.stubs.calls.PlaceInboundCall(request, timeout=self.server.rpc_timeout))

    def call(self, sid: str) -> "Call":
        """A call by its SID (one the app placed, say), to answer, reject or act on."""
        return Call(self, self.server.stubs.calls.GetCall(calls_pb2.GetCallRequest(account_sid=self.account_sid, sid=sid), timeout=self.server.rpc_timeout))

    def calls(self, **criteria) -> List[calls_pb2.Call]:
        """The tenant's calls, newest first: `to`, `from_`, `status` (`busy`, as Twilio writes
        it), `parent_call_sid`, `limit`."""
        if "from_" in criteria:
            criteria["from"] = criteria.pop("from_")
        if "status" in criteria:
            criteria["status"] = _convert.call_status(criteria["status"])
        request = calls_pb2.ListCallsRequest(account_sid=self.account_sid, **criteria)
        return list(self.server.stubs.calls.ListCalls(request, timeout=self.server.rpc_timeout).calls)

    # ---- events ----------------------------------------------------------------------------

    def wait_for(self, *kinds: Union[str, int], timeout: float = 5.0, after: int = 0, **criteria) -> events_pb2.Event:
        """The first of this tenant's events of one of `kinds` (all kinds when none) matching
        `criteria` (sid, to, from_, status, body_contains, call_status, whatsapp_types, …),
        waiting up to `timeout` seconds. Raises EventNotFound (an AssertionError) with the
        server's explanation of the nearest misses.

            tenant.wait_for("message_status_changed", sid=message.sid, status="delivered")
        """
        filter = events.event_filter(self.account_sid, kinds, **criteria)
        return events.wait_for(self.server.stubs.events, filter, after=after, timeout=timeout)

    def subscribe(self, *kinds: Union[str, int], after: int = 0, live_only: bool = False, timeout: float = 5.0, **criteria) -> events.EventStream:
        """This tenant's events, stored ones after `after` then live: `with tenant.subscribe()
        as stream: stream.next()`. Each read waits up to `timeout` seconds."""
        filter = events.event_filter(self.account_sid, kinds, **criteria)
        return events.subscribe(self.server.stubs.events, filter, after=after, live_only=live_only, timeout=timeout)

    # ---- lifetime --------------------------------------------------------------------------

    def reset(self) -> int:
        """Drop the tenant's data and rules (keeping credentials and numbers); returns the
        reset event's sequence number, to wait for events after it."""
        response = self.server.stubs.tenants.ResetTenant(tenants_pb2.ResetTenantRequest(account_sid=self.account_sid), timeout=self.server.rpc_timeout)
        return response.sequence

    def delete(self) -> None:
        """Delete the tenant and everything it owns; its credentials stop working."""
        try:
            self.server.stubs.tenants.DeleteTenant(tenants_pb2.DeleteTenantRequest(account_sid=self.account_sid), timeout=self.server.rpc_timeout)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:  # already gone is what we wanted
                raise

    def __enter__(self) -> "Tenant":
        return self

    def __exit__(self, *exc) -> None:
        if self._owned:
            self.delete()

    def __repr__(self) -> str:
        return f"Tenant(account_sid={self.account_sid!r}, label={self.label!r})"


class Numbers:
    """The tenant's phone numbers: senders its app may use, and where traffic to them goes."""

    def __init__(self, stub, account_sid: str, timeout: float) -> None:
        self._stub, self._account, self._timeout = stub, account_sid, timeout

    def add(self, phone_number: str, sms_url: str = "", voice_url: str = "", friendly_name: str = "", **fields) -> numbers_pb2.PhoneNumber:
        """Give the tenant a number (E.164), with its SMS and voice webhook URLs."""
        request = numbers_pb2.AddNumberRequest(
            account_sid=self._account, phone_number=phone_number, sms_url=sms_url, voice_url=voice_url, friendly_name=friendly_name, **_methods(fields)
        )
        return self._stub.AddNumber(request, timeout=self._timeout)

    def update(self, number: str, **fields) -> numbers_pb2.PhoneNumber:
        """Change a number's webhooks (sms_url, voice_url, …); unset fields keep their values."""
        request = numbers_pb2.UpdateNumberRequest(account_sid=self._account, number=number, **_methods(fields))
        return self._stub.UpdateNumber(request, timeout=self._timeout)

    def remove(self, number: str) -> None:
        self._stub.RemoveNumber(numbers_pb2.RemoveNumberRequest(account_sid=self._account, number=number), timeout=self._timeout)

    def list(self) -> List[numbers_pb2.PhoneNumber]:
        return list(self._stub.ListNumbers(numbers_pb2.ListNumbersRequest(account_sid=self._account), timeout=self._timeout).numbers)


def _methods(fields: dict) -> dict:
    """`sms_method="GET"` and the like as the HttpMethod enum."""
    return {name: _convert.http_method(value) if name.endswith("_method") and isinstance(value, str) else value for name, value in fields.items()}


class Rules:
    """What happens to the messages and calls the tenant's app sends: first match wins.
    Rules come from `mockingbird_testing.rules` (or are `rules_pb2.Rule`s)."""

    def __init__(self, stub, account_sid: str, timeout: float) -> None:
        self._stub, self._account, self._timeout = stub, account_sid, timeout

    def add(self, rule: Union[rules.RuleBuilder, rules_pb2.Rule]) -> rules_pb2.Rule:
        """Append a rule (it matches after the existing ones)."""
        return self._stub.AddRule(rules_pb2.AddRuleRequest(account_sid=self._account, rule=rules.as_rule(rule)), timeout=self._timeout)

    def replace(self, *all_rules: Union[rules.RuleBuilder, rules_pb2.Rule]) -> List[rules_pb2.Rule]:
        request = rules_pb2.ReplaceRulesRequest(account_sid=self._account, rules=[rules.as_rule(r) for r in all_rules])
        return list(self._stub.ReplaceRules(request, timeout=self._timeout).rules)

    def clear(self) -> None:
        self._stub.ClearRules(rules_pb2.ClearRulesRequest(account_sid=self._account), timeout=self._timeout)

    def list(self) -> List[rules_pb2.Rule]:
        return list(self._stub.ListRules(rules_pb2.ListRulesRequest(account_sid=self._account), timeout=self._timeout).rules)


class Clock:
    """The tenant's time. Frozen, it moves only on `advance`, which runs everything that falls
    due (status changes, callbacks, retries) before it returns: no sleeping in tests."""

    def __init__(self, stub, account_sid: str, timeout: float) -> None:
        self._stub, self._account, self._timeout = stub, account_sid, timeout

    def freeze(self) -> clock_pb2.ClockState:
        return self._stub.Freeze(clock_pb2.FreezeRequest(account_sid=self._account), timeout=self._timeout)

    def advance(self, by: Seconds) -> clock_pb2.ClockState:
        """Move a frozen clock forward by `by` seconds (or a timedelta)."""
        return self._stub.Advance(clock_pb2.AdvanceRequest(account_sid=self._account, by=_convert.duration(by)), timeout=self._timeout)

    def resume(self) -> clock_pb2.ClockState:
        return self._stub.Resume(clock_pb2.ResumeRequest(account_sid=self._account), timeout=self._timeout)

    def state(self) -> clock_pb2.ClockState:
        return self._stub.GetClock(clock_pb2.GetClockRequest(account_sid=self._account), timeout=self._timeout)


class Messages:
    """The messages the tenant's app sent and received, and their webhook attempts."""

    def __init__(self, stub, account_sid: str, timeout: float) -> None:
        self._stub, self._account, self._timeout = stub, account_sid, timeout

    def list(self, to: str = "", from_: str = "", limit: int = 0) -> List[common_pb2.Message]:
        """Newest first."""
        request = messages_pb2.ListMessagesRequest(account_sid=self._account, to=to, limit=limit, **{"from": from_})
        return list(self._stub.ListMessages(request, timeout=self._timeout).messages)

    def get(self, sid: str) -> common_pb2.Message:
        return self._stub.GetMessage(messages_pb2.GetMessageRequest(account_sid=self._account, sid=sid), timeout=self._timeout)

    def set_status(self, sid: str, status: Union[str, int], error_code: int = 0) -> common_pb2.Message:
        """Set a message's status now; its status callback goes out before this returns."""
        request = messages_pb2.SetMessageStatusRequest(account_sid=self._account, sid=sid, status=_convert.message_status(status), error_code=error_code)
        return self._stub.SetMessageStatus(request, timeout=self._timeout)

    def callback_attempts(self, resource_sid: str = "", limit: int = 0) -> List[common_pb2.CallbackAttempt]:
        """Webhook attempts (status callbacks, incoming-message webhooks), newest first."""
        request = messages_pb2.ListCallbackAttemptsRequest(account_sid=self._account, resource_sid=resource_sid, limit=limit)
        return list(self._stub.ListCallbackAttempts(request, timeout=self._timeout).attempts)

    def redeliver(self, attempt_id: int) -> common_pb2.CallbackAttempt:
        """Send a recorded webhook attempt (`CallbackAttempt.id`) again, now, as it was but
        signed anew; returns the new attempt with the app's answer. No retries follow."""
        request = messages_pb2.RedeliverCallbackRequest(account_sid=self._account, attempt_id=attempt_id)
        return self._stub.RedeliverCallback(request, timeout=self._timeout)


class WhatsAppUser:
    """A user writing to the tenant's WhatsApp business number: each message is POSTed to the
    app as Meta's signed webhook, and the call returns once the app has answered."""

    def __init__(self, tenant: Tenant, number: str, profile_name: str, username: str, hide_phone: bool) -> None:
        self.tenant, self.number = tenant, number
        self.profile_name, self.username, self.hide_phone = profile_name, username, hide_phone

    def send(self, context_id: str = "", target: str = "", **message) -> whatsapp_pb2.SendWhatsAppInboundResponse:
        """Any message type SendWhatsAppInboundRequest has: `send(location=Location(...))`."""
        request = whatsapp_pb2.SendWhatsAppInboundRequest(
            account_sid=self.tenant.account_sid,
            profile_name=self.profile_name,
            username=self.username,
            hide_phone=self.hide_phone,
            context_id=context_id,
            target=target,
            **{"from": self.number},
            **message,
        )
        return self.tenant.server.stubs.whatsapp.SendInbound(request, timeout=self.tenant.server.rpc_timeout)

    def send_text(self, body: str, **options) -> whatsapp_pb2.SendWhatsAppInboundResponse:
        return self.send(text=whatsapp_pb2.Text(body=body), **options)

    def tap_button(self, id: str, title: str = "", **options) -> whatsapp_pb2.SendWhatsAppInboundResponse:
        """Tap a reply button of the app's interactive message."""
        return self.send(button_reply=whatsapp_pb2.ButtonReply(id=id, title=title), **options)

    def pick_row(self, id: str, title: str = "", description: str = "", **options) -> whatsapp_pb2.SendWhatsAppInboundResponse:
        """Pick a row of the app's list message."""
        return self.send(list_reply=whatsapp_pb2.ListReply(id=id, title=title, description=description), **options)

    def conversation(self, limit: int = 0) -> whatsapp_pb2.GetConversationResponse:
        """The messages between the business number and this user (by number or BSUID, as
        the user was made), both ways, oldest first."""
        request = whatsapp_pb2.GetConversationRequest(account_sid=self.tenant.account_sid, user=self.number, limit=limit)
        return self.tenant.server.stubs.whatsapp.GetConversation(request, timeout=self.tenant.server.rpc_timeout)


class Call:
    """A call, with the test as the person on the line. Each action answers once the call's
    TwiML has run as far as it can, and updates `detail`."""

    def __init__(self, tenant: Tenant, detail: calls_pb2.CallDetail) -> None:
        self.tenant = tenant
        self.detail = detail

    @property
    def sid(self) -> str:
        return self.detail.call.sid

    @property
    def status(self) -> str:
        """As Twilio writes it: `ringing`, `in-progress`, `completed`, `no-answer`, …"""
        return _convert.twilio_name(calls_pb2.CallStatus, self.detail.call.status)

    @property
    def transcript(self) -> List[calls_pb2.TranscriptEntry]:
        return list(self.detail.transcript)

    @property
    def waiting_for(self) -> str:
        """`gather`, `record`, `pause` or `dial` while the call waits for one; else empty."""
        return self.detail.waiting_for

    def said(self) -> List[str]:
        """What the caller heard `<Say>`, in order."""
        return [entry.text for entry in self.detail.transcript if entry.type == "said"]

    def _act(self, method: str, request) -> "Call":
        self.detail = getattr(self.tenant.server.stubs.calls, method)(request, timeout=self.tenant.server.rpc_timeout)
        return self

    def press(self, digits: str) -> "Call":
        """Press keys (`0-9`, `*`, `#`; `w` waits)."""
        return self._act("PressDigits", calls_pb2.PressDigitsRequest(account_sid=self.tenant.account_sid, sid=self.sid, digits=digits))

    def say(self, text: str) -> "Call":
        """Speak: a speech `<Gather>` takes the words, a `<Record>` records."""
        return self._act("SaySpeech", calls_pb2.SaySpeechRequest(account_sid=self.tenant.account_sid, sid=self.sid, text=text))

    def hang_up(self) -> "Call":
        return self._act("HangUp", calls_pb2.HangUpRequest(account_sid=self.tenant.account_sid, sid=self.sid))

    def answer(self, machine: bool = False) -> "Call":
        """Answer a call the app placed that is still ringing."""
        return self._act("AnswerCall", calls_pb2.AnswerCallRequest(account_sid=self.tenant.account_sid, sid=self.sid, machine=machine))

    def reject(self, reason: str = "busy") -> "Call":
        """End a call the app placed that has not been answered, in the status `reason` names:
        `busy`, `no-answer` or `failed`."""
        value = calls_pb2.RejectCallRequest.Reason.Value("REASON_" + reason.upper().replace("-", "_"))
        return self._act("RejectCall", calls_pb2.RejectCallRequest(account_sid=self.tenant.account_sid, sid=self.sid, reason=value))

    def refresh(self) -> "Call":
        return self._act("GetCall", calls_pb2.GetCallRequest(account_sid=self.tenant.account_sid, sid=self.sid))

    def __repr__(self) -> str:
        return f"Call(sid={self.sid!r}, status={self.status!r}, waiting_for={self.waiting_for!r})"
