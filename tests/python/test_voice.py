"""Voice with the official twilio-python SDK: calls placed, fetched, listed, changed and deleted
through `client.calls`, recordings through `client.recordings`, and apps whose TwiML is built
with the SDK's own `VoiceResponse`, run unchanged, with the test as the person on the phone (the
control plane's Calls service).

Every clock here is frozen: a call moves only when the test acts on the line or advances time.
"""

from __future__ import annotations

import json
from typing import Callable, Dict, List
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from google.protobuf.duration_pb2 import Duration
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from conftest import AUTH_TOKEN, FROM_NUMBER, REGISTERED_NUMBER
from mockingbird_testing import ReceivedRequest, WebhookReceiver
from mockingbird_testing.proto import calls_pb2, clock_pb2, numbers_pb2, rules_pb2, tenants_pb2

NUMBER = "+15550101010"  # the IVR's number
CALLER = "+15557654321"  # the person on the phone
AGENTS = {"sales": "+15557770001", "support": "+15557770002"}
RINGING = "+15551230009"  # a phone that rings until someone answers (a rule says so)


# --------------------------------------------------------------------------------------------
# The app: TwiML from the SDK's builder, behind the SDK's request validation
# --------------------------------------------------------------------------------------------

# A page of the app: the request's parameters in, the TwiML to run out.
Page = Callable[[dict], VoiceResponse]


class VoiceApp:
    """An app's voice webhooks on 127.0.0.1: each path answers TwiML built with the SDK's own
    `VoiceResponse`, as `text/xml`. Like an app behind Twilio's request validation, it checks
    every request's X-Twilio-Signature with the SDK's `RequestValidator` and refuses (403) what
    does not validate."""

    def __init__(self, auth_token: str, pages: Dict[str, Page]) -> None:
        self._validator = RequestValidator(auth_token)
        self._pages = pages
        self.refused: List[ReceivedRequest] = []
        self._receiver = WebhookReceiver(answer=self._answer)
        self.requests = self._receiver.requests

    def url(self, path: str) -> str:
        return self._receiver.url(path)

    def _answer(self, request: ReceivedRequest):
        # A POST is signed over the URL and its form; a GET over the URL alone, query included.
        signed = request.form if request.method == "POST" else {}
        if not self._validator.validate(request.url, signed, request.headers.get("X-Twilio-Signature", "")):
            self.refused.append(request)
            return 403, "text/plain", b"invalid signature"
        page = self._pages.get(urlsplit(request.path).path)
        if page is None:
            return 404, "text/plain", b"no such page"
        params = request.form if request.method == "POST" else dict(parse_qsl(urlsplit(request.url).query))
        return 200, "text/xml", str(page(params)).encode()

    def stop(self) -> None:
        self._receiver.close()


@pytest.fixture
def make_voice_app():
    """make_voice_app(auth_token, pages): an app of this test's; after the test, every request
    it got must have been signed."""
    apps: List[VoiceApp] = []

    def make(auth_token: str, pages: Dict[str, Page]) -> VoiceApp:
        apps.append(VoiceApp(auth_token, pages))
        return apps[-1]

    yield make
    for app in apps:
        app.stop()
    for app in apps:
        assert not app.refused, f"unsigned requests: {[(r.method, r.url) for r in app.refused]}"


# The IVR: a menu that takes a key or a word, an agent per line, voicemail when nobody answers.


def menu(form: dict) -> VoiceResponse:
    twiml = VoiceResponse()
    gather = twiml.gather(input="dtmf speech", num_digits=1, action="/menu", timeout=5, hints="sales, support")
    gather.say("Press 1 for sales, 2 for support.", voice="Polly.Joanna", language="en-US")
    # No choice: the gather falls through to here, and the menu starts again.
    twiml.say("We did not get your choice.")
    twiml.redirect("/voice")
    return twiml


def route(form: dict) -> VoiceResponse:
    choice = {"1": "sales", "2": "support"}.get(form.get("Digits", ""), form.get("SpeechResult", "").lower())
    line = next((name for name in AGENTS if name in choice), None)
    twiml = VoiceResponse()
    if line is None:
        twiml.say("Sorry, that is not an option.")
        twiml.redirect("/voice")
        return twiml
    twiml.say(f"Connecting you to {line}.")
    twiml.dial(action="/dialed", timeout=20).number(AGENTS[line])
    return twiml


def after_dial(form: dict) -> VoiceResponse:
    twiml = VoiceResponse()
    if form.get("DialCallStatus") == "completed":
        twiml.hangup()
        return twiml
    twiml.say("Nobody can take your call. Leave a message after the beep.")
    twiml.record(action="/voicemail", max_length=30, finish_on_key="#")
    return twiml


def voicemail(form: dict) -> VoiceResponse:
    twiml = VoiceResponse()
    # <Sms>, deprecated by Twilio but still in the builder: to the caller, from the number called.
    twiml.sms("We got your message and will call you back.")
    twiml.say("Thank you. Goodbye.")
    twiml.hangup()
    return twiml


def closed(form: dict) -> VoiceResponse:
    twiml = VoiceResponse()
    twiml.reject(reason="busy")
    return twiml


IVR = {"/voice": menu, "/menu": route, "/dialed": after_dial, "/voicemail": voicemail, "/closed": closed}


@pytest.fixture
def tenant(request, control):
    """A tenant of this test's own, its clock frozen."""
    tenant = control.tenants.CreateTenant(tenants_pb2.CreateTenantRequest(label=request.node.name))
    control.clock.Freeze(clock_pb2.FreezeRequest(account_sid=tenant.account_sid))
    return tenant


@pytest.fixture
def ivr_app(tenant, make_voice_app) -> VoiceApp:
    """The IVR, serving the tenant's calls."""
    return make_voice_app(tenant.auth_token, IVR)


def advance(control, account: str, seconds: float) -> None:
    """Move the tenant's frozen clock: everything that falls due runs before this returns."""
    by = Duration()
    by.FromMilliseconds(int(seconds * 1000))
    control.clock.Advance(clock_pb2.AdvanceRequest(account_sid=account, by=by))


def callee(control, account: str, to: str, **behavior) -> None:
    """A rule for the tenant's calls to `to`: what the person there does (rules.proto's CallBehavior)."""
    rule = rules_pb2.Rule(
        when=rules_pb2.MessageMatch(channel="voice", to=rules_pb2.AddressPattern(exact=to)),
        call=rules_pb2.CallBehavior(**behavior),
    )
    control.rules.AddRule(rules_pb2.AddRuleRequest(account_sid=account, rule=rule))


def get_call(control, account: str, sid: str):
    """The call and its transcript, from the control plane."""
    return control.calls.GetCall(calls_pb2.GetCallRequest(account_sid=account, sid=sid))


def said(call) -> List[str]:
    return [entry.text for entry in call.transcript if entry.type == "said"]


def assert_signed(request: ReceivedRequest, auth_token: str) -> None:
    signature = request.headers.get("X-Twilio-Signature", "")
    assert RequestValidator(auth_token).validate(request.url, request.form, signature), request


# --------------------------------------------------------------------------------------------
# A caller on the IVR
# --------------------------------------------------------------------------------------------


def test_the_menu_routes_sales(control, tenant, ivr_app):
    """The README's IVR example: the caller hears the menu, presses 1, the app's action gets the
    digit, and the caller is put through to sales."""
    control.numbers.AddNumber(numbers_pb2.AddNumberRequest(account_sid=tenant.account_sid,
        phone_number=NUMBER, voice_url=ivr_app.url("/voice")))
    call = control.calls.PlaceInboundCall(calls_pb2.PlaceInboundCallRequest(
        account_sid=tenant.account_sid, to=NUMBER, **{"from": CALLER}))
    assert call.transcript[-1].type == "gathering"          # "Press 1 for sales, 2 for support."
    call = control.calls.PressDigits(calls_pb2.PressDigitsRequest(
        account_sid=tenant.account_sid, sid=call.call.sid, digits="1"))
    assert ivr_app.requests[-1].form["Digits"] == "1"
    assert "sales" in [e.text for e in call.transcript if e.type == "said"][-1]


def test_a_caller_who_asks_for_support_leaves_a_voicemail_when_the_agent_is_busy(
    control, tenant, ivr_app, make_client, webhook_receiver
):
    """The whole IVR on one call: the menu repeats when the caller says nothing, a spoken choice
    reaches the app as SpeechResult, the <Dial>ed agent is busy, the caller records a message
    and gets a text. The number's status callback hears the end only (`completed` alone by
    default), signed; the voicemail is a recording the SDK fetches."""
    account = tenant.account_sid
    twilio = make_client(account, tenant.auth_token)
    twilio.incoming_phone_numbers.create(
        phone_number=NUMBER, voice_url=ivr_app.url("/voice"), status_callback=webhook_receiver.url("/call-status")
    )
    callee(control, account, AGENTS["support"], result=rules_pb2.CallBehavior.RESULT_BUSY, ring=Duration(seconds=3))

    call = control.calls.PlaceInboundCall(
        calls_pb2.PlaceInboundCallRequest(account_sid=account, to=NUMBER, **{"from": CALLER})
    )
    sid = call.call.sid
    assert call.call.status == calls_pb2.CALL_STATUS_IN_PROGRESS
    assert call.waiting_for == "gather"
    first = ivr_app.requests[0].form
    assert (first["CallSid"], first["From"], first["To"], first["Direction"]) == (sid, CALLER, NUMBER, "inbound")
    assert first["CallStatus"] == "ringing"
    # The menu's <Say> with the builder's voice and language, inside the gather.
    menu_said = json.loads(next(e.json for e in call.transcript if e.type == "said"))
    assert (menu_said["voice"], menu_said["language"]) == ("Polly.Joanna", "en-US")

    # Silence for the gather's 5 s: the app's fallthrough says so and redirects to the menu.
    advance(control, account, 5)
    call = get_call(control, account, sid)
    assert said(call)[-2:] == ["We did not get your choice.", "Press 1 for sales, 2 for support."]
    assert call.waiting_for == "gather"

    # A spoken choice: the action hears the words; the agent's phone rings.
    call = control.calls.SaySpeech(calls_pb2.SaySpeechRequest(account_sid=account, sid=sid, text="Support please"))
    heard = ivr_app.requests[-1]
    assert heard.path == "/menu"
    assert heard.form["SpeechResult"] == "Support please"
    assert "Digits" not in heard.form
    assert call.waiting_for == "dial"

    # Busy after 3 s of ringing: the dial's action learns it and asks for a message.
    advance(control, account, 3)
    dialed = ivr_app.requests[-1]
    assert (dialed.path, dialed.form["DialCallStatus"]) == ("/dialed", "busy")
    leg = get_call(control, account, dialed.form["DialCallSid"]).call
    assert (leg.to, leg.parent_call_sid, leg.direction) == (AGENTS["support"], sid, "outbound-dial")
    assert get_call(control, account, sid).waiting_for == "record"

    # The caller speaks, and presses # to finish.
    control.calls.SaySpeech(calls_pb2.SaySpeechRequest(account_sid=account, sid=sid, text="Please call me back"))
    advance(control, account, 4)
    call = control.calls.PressDigits(calls_pb2.PressDigitsRequest(account_sid=account, sid=sid, digits="#"))
    recorded = ivr_app.requests[-1]
    assert recorded.path == "/voicemail"
    assert recorded.form["Digits"] == "#"
    assert call.call.status == calls_pb2.CALL_STATUS_COMPLETED
    assert said(call) == [
        "Press 1 for sales, 2 for support.",
        "We did not get your choice.",
        "Press 1 for sales, 2 for support.",
        "Connecting you to support.",
        "Nobody can take your call. Leave a message after the beep.",
        "Thank you. Goodbye.",
    ]
    assert [r.path for r in ivr_app.requests] == ["/voice", "/voice", "/menu", "/dialed", "/voicemail"]

    # The <Sms> went to the caller, from the number.
    texts = twilio.messages.list(to=CALLER)
    assert [(m.body, m.from_) for m in texts] == [("We got your message and will call you back.", NUMBER)]

    # The voicemail, as the SDK sees it.
    recording = twilio.recordings(recorded.form["RecordingSid"]).fetch()
    assert recording.call_sid == sid
    assert recording.duration == recorded.form["RecordingDuration"]
    assert recorded.form["RecordingUrl"] == recording.media_url

    # The number's status callback: the end alone, signed.
    ended = webhook_receiver.wait_for(lambda got: got)
    assert [r.form["CallStatus"] for r in ended] == ["completed"]
    assert ended[0].form["CallSid"] == sid
    assert ended[0].form["CallDuration"] == str(call.call.duration_seconds)
    assert_signed(ended[0], tenant.auth_token)


def test_an_app_that_rejects_leaves_the_call_busy_and_unanswered(control, tenant, ivr_app, make_client, webhook_receiver):
    """<Reject reason="busy"> as the first verb: Twilio never answers the call, which ends busy
    with nothing said; the status callback reports `busy`."""
    make_client(tenant.account_sid, tenant.auth_token).incoming_phone_numbers.create(
        phone_number=NUMBER, voice_url=ivr_app.url("/closed"), status_callback=webhook_receiver.url("/call-status")
    )

    call = control.calls.PlaceInboundCall(
        calls_pb2.PlaceInboundCallRequest(account_sid=tenant.account_sid, to=NUMBER, **{"from": CALLER})
    )

    assert call.call.status == calls_pb2.CALL_STATUS_BUSY
    assert not call.call.HasField("start_time")
    assert said(call) == []
    ended = webhook_receiver.wait_for(lambda got: got)
    assert [r.form["CallStatus"] for r in ended] == ["busy"]
    assert_signed(ended[0], tenant.auth_token)


# --------------------------------------------------------------------------------------------
# Calls the app places
# --------------------------------------------------------------------------------------------


@pytest.fixture
def frozen(default_tenant) -> str:
    """The default account, its clock frozen: its calls move only when the test says so."""
    default_tenant.clock.freeze()
    return default_tenant.account_sid


def test_an_outbound_call_runs_the_builders_twiml_and_reports_the_events_asked_for(client, control, frozen, webhook_receiver):
    """A call created with `twiml=` a VoiceResponse runs it when answered: <Say> with its voice,
    language and loop, <Pause>, <Play>, <Hangup>. StatusCallbackEvent picks the callbacks
    (initiated, ringing, answered, completed, numbered from 0); without it only `completed`
    comes. Every callback is signed."""
    twiml = VoiceResponse()
    twiml.say("Your code is 1 2 3 4.", voice="alice", language="en-GB", loop=2)
    twiml.pause(length=2)
    twiml.play("https://example.com/goodbye.mp3")
    twiml.hangup()
    every = client.calls.create(
        to=REGISTERED_NUMBER, from_=FROM_NUMBER, twiml=twiml, status_callback=webhook_receiver.url("/every"),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )
    default = client.calls.create(
        to=REGISTERED_NUMBER, from_=FROM_NUMBER, twiml=twiml, status_callback=webhook_receiver.url("/default")
    )
    assert every.status == default.status == "queued"

    advance(control, frozen, 3)  # dialed, rung, answered, the pause

    heard = get_call(control, frozen, every.sid)
    assert [e.type for e in heard.transcript if e.type != "fetched"] == ["said", "paused", "played", "hung_up"]
    say = json.loads(heard.transcript[[e.type for e in heard.transcript].index("said")].json)
    assert (say["text"], say["voice"], say["language"], say["loops"]) == ("Your code is 1 2 3 4.", "alice", "en-GB", 2)
    assert "https://example.com/goodbye.mp3" in [e.text for e in heard.transcript if e.type == "played"]
    for sid in (every.sid, default.sid):
        ended = client.calls(sid).fetch()
        assert (ended.status, ended.duration) == ("completed", "2")

    got = webhook_receiver.wait_for(lambda got: len(got) == 5 and got)
    for request in got:
        assert_signed(request, AUTH_TOKEN)
    reported = [(r.form["CallStatus"], r.form["SequenceNumber"]) for r in got if r.path == "/every"]
    assert reported == [("initiated", "0"), ("ringing", "1"), ("in-progress", "2"), ("completed", "3")]
    default_reported = [r.form for r in got if r.path == "/default"]
    assert [(f["CallStatus"], f["SequenceNumber"]) for f in default_reported] == [("completed", "0")]
    assert (default_reported[0]["CallDuration"], default_reported[0]["Duration"]) == ("2", "1")
    assert default_reported[0]["CallbackSource"] == "call-progress-events"


def hold(form: dict) -> VoiceResponse:
    twiml = VoiceResponse()
    twiml.say("Please hold.")
    twiml.pause(length=600)
    return twiml


def test_calls_are_created_fetched_and_listed_with_filters(client, control, frozen, make_voice_app):
    """create → 201, a queued outbound-api call (CA… SID); fetch returns it; its Url is asked
    for TwiML with the call's parameters once it is answered (Method GET: in the query). The
    list is newest first and filters by To, From and Status."""
    app = make_voice_app(AUTH_TOKEN, {"/hold": hold})
    first = client.calls.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, url=app.url("/hold"))
    second = client.calls.create(to=CALLER, from_=FROM_NUMBER, url=app.url("/hold"), method="GET")

    assert first.sid.startswith("CA") and len(first.sid) == 34
    assert (first.status, first.direction, first.api_version) == ("queued", "outbound-api", "2010-04-01")
    assert (first.to, first.to_formatted) == (REGISTERED_NUMBER, "(555) 123-4567")
    assert first._from == FROM_NUMBER  # the SDK's CallInstance names `from` so
    assert (first.start_time, first.duration, first.price_unit) == (None, None, "USD")
    fetched = client.calls(first.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.date_created) == (first.sid, "queued", first.date_created)
    assert [c.sid for c in client.calls.list(status="queued")] == [second.sid, first.sid]

    advance(control, frozen, 1)  # both answered, both holding
    posted = next(r for r in app.requests if r.method == "POST")
    got = next(r for r in app.requests if r.method == "GET")
    assert (posted.method, posted.form["CallSid"], posted.form["CallStatus"]) == ("POST", first.sid, "in-progress")
    assert (posted.form["Direction"], posted.form["To"]) == ("outbound-api", REGISTERED_NUMBER)
    assert got.method == "GET" and dict(parse_qsl(urlsplit(got.url).query))["CallSid"] == second.sid

    assert [c.sid for c in client.calls.list(status="in-progress")] == [second.sid, first.sid]
    assert [c.sid for c in client.calls.list(to=CALLER)] == [second.sid]
    assert [c.sid for c in client.calls.list(from_=FROM_NUMBER, page_size=1)] == [second.sid, first.sid]
    assert client.calls.list(status="completed") == []
    assert client.calls(first.sid).fetch().start_time is not None


def test_the_app_redirects_hangs_up_cancels_and_deletes_calls(client, control, frozen, make_voice_app):
    """update: new `twiml` or `url` runs at once on a call in progress (21220 before it is);
    `status="completed"` hangs it up; `status="canceled"` cancels one still ringing. An ended
    call deletes (the SDK returns True) and is then 404 / 20404; a live one does not (20009)."""
    app = make_voice_app(AUTH_TOKEN, {"/hold": hold})
    callee(control, frozen, RINGING, result=rules_pb2.CallBehavior.RESULT_RING)
    live = client.calls.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, url=app.url("/hold"))
    ringing = client.calls.create(to=RINGING, from_=FROM_NUMBER, url=app.url("/hold"))

    moved = VoiceResponse()
    moved.say("Your agent is ready.")
    moved.pause(length=600)
    with pytest.raises(TwilioRestException) as raised:
        client.calls(live.sid).update(twiml=moved)
    assert (raised.value.status, raised.value.code) == (400, 21220)

    advance(control, frozen, 1)
    assert client.calls(ringing.sid).fetch().status == "ringing"
    assert client.calls(live.sid).update(twiml=moved).status == "in-progress"
    assert client.calls(live.sid).update(url=app.url("/hold")).status == "in-progress"
    assert said(get_call(control, frozen, live.sid)) == ["Please hold.", "Your agent is ready.", "Please hold."]

    with pytest.raises(TwilioRestException) as raised:
        client.calls(live.sid).delete()
    assert (raised.value.status, raised.value.code) == (400, 20009)

    hung_up = client.calls(live.sid).update(status="completed")
    assert (hung_up.status, hung_up.end_time is not None) == ("completed", True)
    assert client.calls(ringing.sid).update(status="canceled").status == "canceled"

    for ended in (live, ringing):
        assert client.calls(ended.sid).delete() is True
        with pytest.raises(TwilioRestException) as raised:
            client.calls(ended.sid).fetch()
        assert (raised.value.status, raised.value.code) == (404, 20404)
    assert client.calls.list() == []


@pytest.mark.parametrize(
    ("to", "from_", "url", "code"),
    [
        pytest.param(values.unset, FROM_NUMBER, "https://example.com/voice", 21201, id="no-to-21201"),
        pytest.param(REGISTERED_NUMBER, values.unset, "https://example.com/voice", 21213, id="no-from-21213"),
        pytest.param(REGISTERED_NUMBER, FROM_NUMBER, values.unset, 21205, id="no-url-or-twiml-21205"),
        pytest.param(REGISTERED_NUMBER, "+15557654321", "https://example.com/voice", 21210, id="from-not-owned-21210"),
        pytest.param("+1555123", FROM_NUMBER, "https://example.com/voice", 21211, id="invalid-to-21211"),
    ],
)
def test_a_bad_call_is_refused_with_twilios_code(client, to, from_, url, code):
    """Twilio refuses a call it cannot place with 400 and its code, and creates nothing
    (`values.unset` is the SDK's own "not sent")."""
    with pytest.raises(TwilioRestException) as raised:
        client.calls.create(to=to, from_=from_, url=url)
    assert (raised.value.status, raised.value.code) == (400, code)
    assert client.calls.list() == []


# --------------------------------------------------------------------------------------------
# Recordings
# --------------------------------------------------------------------------------------------


def test_a_recorded_call_leaves_a_recording_the_sdk_lists_fetches_downloads_and_deletes(
    client, control, frozen, webhook_receiver
):
    """`record=True` records the whole call: one recording, in the account's list (by CallSid)
    and the call's own; its media URL serves a WAV as long as the call, without credentials;
    the RecordingStatusCallback is signed; delete → True, and it is gone."""
    twiml = VoiceResponse()
    twiml.pause(length=3)
    call = client.calls.create(
        to=REGISTERED_NUMBER, from_=FROM_NUMBER, twiml=twiml, record=True,
        recording_status_callback=webhook_receiver.url("/recording"),
    )
    advance(control, frozen, 4)

    recordings = client.recordings.list(call_sid=call.sid)
    assert [r.call_sid for r in recordings] == [call.sid]
    recording = recordings[0]
    assert recording.sid.startswith("RE") and len(recording.sid) == 34
    assert [r.sid for r in client.calls(call.sid).recordings.list()] == [recording.sid]
    fetched = client.recordings(recording.sid).fetch()
    assert (fetched.duration, fetched.source, fetched.status) == ("3", "OutboundAPI", "completed")

    http = requests.Session()
    http.trust_env = False  # loopback only: ignore proxy settings
    audio = http.get(recording.media_url, timeout=10)
    assert audio.status_code == 200
    assert audio.headers["Content-Type"] == "audio/x-wav"
    assert audio.content[:4] == b"RIFF" and audio.content[8:12] == b"WAVE"
    assert len(audio.content) == 44 + 3 * 16_000  # 8 kHz, 16-bit mono: three seconds of silence

    posted = webhook_receiver.wait_for(lambda got: got)[0]
    assert (posted.form["RecordingSid"], posted.form["RecordingStatus"]) == (recording.sid, "completed")
    assert_signed(posted, AUTH_TOKEN)

    assert client.recordings(recording.sid).delete() is True
    assert client.recordings.list() == []
