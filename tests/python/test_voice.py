"""Voice with the official twilio-python SDK: calls placed, fetched, listed, changed and deleted
through `client.calls`, recordings through `client.recordings`, and apps whose TwiML is built
with the SDK's own `VoiceResponse`, run unchanged, with the test as the person on the phone (a
`Call` of the Python client's tenant: keys pressed, words said, the transcript heard).

Every clock here is frozen: a call moves only when the test acts on the line or advances time.
"""

from __future__ import annotations

import inspect
import json
from typing import Callable, Dict, List
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import VoiceResponse

from conftest import AUTH_TOKEN, FROM_NUMBER, REGISTERED_NUMBER, REPO
from mockingbird_testing import ReceivedRequest, Tenant, WebhookReceiver, rules

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
    every request's X-Twilio-Signature with the SDK's `RequestValidator` (through the received
    request's `twilio_signature_valid`) and refuses (403) what does not validate."""

    def __init__(self, auth_token: str, pages: Dict[str, Page]) -> None:
        self._auth_token = auth_token
        self._pages = pages
        self.refused: List[ReceivedRequest] = []
        self._receiver = WebhookReceiver(answer=self._answer)
        self.requests = self._receiver.requests

    def url(self, path: str) -> str:
        return self._receiver.url(path)

    def _answer(self, request: ReceivedRequest):
        if not request.twilio_signature_valid(self._auth_token):
            self.refused.append(request)
            return 403, "text/plain", b"invalid signature"
        page = self._pages.get(request.path)
        if page is None:
            return 404, "text/plain", b"no such page"
        # The received request's form: the POST's body, or a GET's query.
        return 200, "text/xml", str(page(request.form)).encode()

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
def tenant(tenant: Tenant) -> Tenant:
    """The plugin's tenant for this test (on this test's server), its clock frozen."""
    tenant.clock.freeze()
    return tenant


@pytest.fixture
def ivr_app(tenant, make_voice_app) -> VoiceApp:
    """The IVR, serving the tenant's calls."""
    return make_voice_app(tenant.auth_token, IVR)


# --------------------------------------------------------------------------------------------
# A caller on the IVR
# --------------------------------------------------------------------------------------------


# The README's IVR example, quoted there as it is here (a test below checks): the caller hears
# the menu, presses 1, the app's action gets the digit, and the caller is put through to sales.
def test_the_menu_routes_sales(tenant, ivr_app):
    tenant.numbers.add(NUMBER, voice_url=ivr_app.url("/voice"))
    call = tenant.place_call(from_=CALLER, to=NUMBER)
    assert call.transcript[-1].type == "gathering"          # "Press 1 for sales, 2 for support."
    call.press("1")
    assert ivr_app.requests[-1].form["Digits"] == "1"
    assert "sales" in call.said()[-1]


def test_the_readme_quotes_the_menu_test():
    """README.md's Voice section shows `test_the_menu_routes_sales` character for character, so
    the example a reader copies runs."""
    readme = (REPO / "README.md").read_text()
    assert inspect.getsource(test_the_menu_routes_sales) in readme


def test_a_caller_who_asks_for_support_leaves_a_voicemail_when_the_agent_is_busy(tenant, ivr_app, webhook_receiver):
    """The whole IVR on one call: the menu repeats when the caller says nothing, a spoken choice
    reaches the app as SpeechResult, the <Dial>ed agent is busy, the caller records a message
    and gets a text. The number's status callback hears the end only (`completed` alone by
    default), signed; the voicemail is a recording the SDK fetches."""
    twilio = tenant.twilio_client()
    twilio.incoming_phone_numbers.create(
        phone_number=NUMBER, voice_url=ivr_app.url("/voice"), status_callback=webhook_receiver.url("/call-status")
    )
    tenant.rules.add(rules.calls().to(AGENTS["support"]).busy(ring=3))

    call = tenant.place_call(from_=CALLER, to=NUMBER)
    sid = call.sid
    assert call.status == "in-progress"
    assert call.waiting_for == "gather"
    first = ivr_app.requests[0].form
    assert (first["CallSid"], first["From"], first["To"], first["Direction"]) == (sid, CALLER, NUMBER, "inbound")
    assert first["CallStatus"] == "ringing"
    # The menu's <Say> with the builder's voice and language, inside the gather.
    menu_said = json.loads(next(e.json for e in call.transcript if e.type == "said"))
    assert (menu_said["voice"], menu_said["language"]) == ("Polly.Joanna", "en-US")

    # Silence for the gather's 5 s: the app's fallthrough says so and redirects to the menu.
    tenant.clock.advance(5)
    call.refresh()
    assert call.said()[-2:] == ["We did not get your choice.", "Press 1 for sales, 2 for support."]
    assert call.waiting_for == "gather"

    # A spoken choice: the action hears the words; the agent's phone rings.
    call.say("Support please")
    heard = ivr_app.requests[-1]
    assert heard.path == "/menu"
    assert heard.form["SpeechResult"] == "Support please"
    assert "Digits" not in heard.form
    assert call.waiting_for == "dial"

    # Busy after 3 s of ringing: the dial's action learns it and asks for a message.
    tenant.clock.advance(3)
    dialed = ivr_app.requests[-1]
    assert (dialed.path, dialed.form["DialCallStatus"]) == ("/dialed", "busy")
    leg = tenant.call(dialed.form["DialCallSid"]).detail.call
    assert (leg.to, leg.parent_call_sid, leg.direction) == (AGENTS["support"], sid, "outbound-dial")
    assert call.refresh().waiting_for == "record"

    # The caller speaks, and presses # to finish.
    call.say("Please call me back")
    tenant.clock.advance(4)
    call.press("#")
    recorded = ivr_app.requests[-1]
    assert recorded.path == "/voicemail"
    assert recorded.form["Digits"] == "#"
    assert call.status == "completed"
    assert call.said() == [
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
    assert ended[0].form["CallDuration"] == str(call.detail.call.duration_seconds)
    assert ended[0].twilio_signature_valid(tenant.auth_token)


def test_an_app_that_rejects_leaves_the_call_busy_and_unanswered(tenant, ivr_app, webhook_receiver):
    """<Reject reason="busy"> as the first verb: Twilio never answers the call, which ends busy
    with nothing said; the status callback reports `busy`."""
    tenant.twilio_client().incoming_phone_numbers.create(
        phone_number=NUMBER, voice_url=ivr_app.url("/closed"), status_callback=webhook_receiver.url("/call-status")
    )

    call = tenant.place_call(from_=CALLER, to=NUMBER)

    assert call.status == "busy"
    assert not call.detail.call.HasField("start_time")
    assert call.said() == []
    ended = webhook_receiver.wait_for(lambda got: got)
    assert [r.form["CallStatus"] for r in ended] == ["busy"]
    assert ended[0].twilio_signature_valid(tenant.auth_token)


# --------------------------------------------------------------------------------------------
# Calls the app places
# --------------------------------------------------------------------------------------------


@pytest.fixture
def account(default_tenant: Tenant) -> Tenant:
    """The config file's account (the one `client` uses), its clock frozen: its calls move only
    when the test says so."""
    default_tenant.clock.freeze()
    return default_tenant


def test_an_outbound_call_runs_the_builders_twiml_and_reports_the_events_asked_for(client, account, webhook_receiver):
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

    account.clock.advance(3)  # dialed, rung, answered, the pause

    heard = account.call(every.sid)
    assert [e.type for e in heard.transcript if e.type != "fetched"] == ["said", "paused", "played", "hung_up"]
    say = json.loads(heard.transcript[[e.type for e in heard.transcript].index("said")].json)
    assert (say["text"], say["voice"], say["language"], say["loops"]) == ("Your code is 1 2 3 4.", "alice", "en-GB", 2)
    assert "https://example.com/goodbye.mp3" in [e.text for e in heard.transcript if e.type == "played"]
    for sid in (every.sid, default.sid):
        ended = client.calls(sid).fetch()
        assert (ended.status, ended.duration) == ("completed", "2")

    got = webhook_receiver.wait_for(lambda got: len(got) == 5 and got)
    for request in got:
        assert request.twilio_signature_valid(AUTH_TOKEN)
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


def test_calls_are_created_fetched_and_listed_with_filters(client, account, make_voice_app):
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

    account.clock.advance(1)  # both answered, both holding
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


def test_the_app_redirects_hangs_up_cancels_and_deletes_calls(client, account, make_voice_app):
    """update: new `twiml` or `url` runs at once on a call in progress (21220 before it is);
    `status="completed"` hangs it up; `status="canceled"` cancels one still ringing. An ended
    call deletes (the SDK returns True) and is then 404 / 20404; a live one does not (20009)."""
    app = make_voice_app(AUTH_TOKEN, {"/hold": hold})
    account.rules.add(rules.calls().to(RINGING).rings())
    live = client.calls.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, url=app.url("/hold"))
    ringing = client.calls.create(to=RINGING, from_=FROM_NUMBER, url=app.url("/hold"))

    moved = VoiceResponse()
    moved.say("Your agent is ready.")
    moved.pause(length=600)
    with pytest.raises(TwilioRestException) as raised:
        client.calls(live.sid).update(twiml=moved)
    assert (raised.value.status, raised.value.code) == (400, 21220)

    account.clock.advance(1)
    assert client.calls(ringing.sid).fetch().status == "ringing"
    assert client.calls(live.sid).update(twiml=moved).status == "in-progress"
    assert client.calls(live.sid).update(url=app.url("/hold")).status == "in-progress"
    assert account.call(live.sid).said() == ["Please hold.", "Your agent is ready.", "Please hold."]

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
    client, account, webhook_receiver
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
    account.clock.advance(4)

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
    assert posted.twilio_signature_valid(AUTH_TOKEN)

    assert client.recordings(recording.sid).delete() is True
    assert client.recordings.list() == []
