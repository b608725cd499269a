"""Calls: the test as the caller of the app's IVR, and as the callee of a call the app places.
The app's TwiML is written with twilio-python's own VoiceResponse."""

from twilio.twiml.voice_response import VoiceResponse

from mockingbird_testing import rules
from mockingbird_testing.proto import calls_pb2

NUMBER = "+15550101010"  # the app's number
CALLER = "+15557654321"
OTHER_CALLER = "+15557654322"


def menu(request) -> str:
    twiml = VoiceResponse()
    twiml.gather(input="dtmf speech", num_digits=1, action="/menu", timeout=5).say("Press 1 for sales, 2 for support.")
    return str(twiml)


def chosen(request) -> str:
    spoken = request.form.get("SpeechResult", "").lower()
    line = {"1": "sales", "2": "support"}.get(request.form.get("Digits"), next((w for w in ("sales", "support") if w in spoken), "nobody"))
    twiml = VoiceResponse()
    twiml.say(f"Connecting you to {line}.")
    twiml.pause(length=30)  # on hold until the caller hangs up
    return str(twiml)


def test_a_caller_picks_sales_from_the_menu_and_hangs_up(tenant, webhook_receiver):
    webhook_receiver.route("/voice", menu).route("/menu", chosen)
    tenant.numbers.add(NUMBER, voice_url=webhook_receiver.url("/voice"))

    call = tenant.place_call(from_=CALLER, to=NUMBER)
    assert call.waiting_for == "gather"
    assert call.said() == ["Press 1 for sales, 2 for support."]

    call.press("1")
    assert call.said()[-1] == "Connecting you to sales."
    choice = webhook_receiver.wait_for_request("/menu")
    assert choice.form["Digits"] == "1"
    assert choice.twilio_signature_valid(tenant.auth_token)

    call.hang_up()
    assert call.status == "completed"
    ended = tenant.wait_for("call_status_changed", sid=call.sid, call_status="completed")
    assert ended.call_status_changed.previous == calls_pb2.CALL_STATUS_IN_PROGRESS


def test_a_caller_asks_for_support_in_words(tenant, webhook_receiver):
    webhook_receiver.route("/voice", menu).route("/menu", chosen)
    tenant.numbers.add(NUMBER, voice_url=webhook_receiver.url("/voice"))

    call = tenant.place_call(from_=CALLER, to=NUMBER).say("support please")

    assert call.said()[-1] == "Connecting you to support."
    assert webhook_receiver.wait_for_request("/menu").form["SpeechResult"] == "support please"
    heard = tenant.wait_for("call_verb", sid=call.sid, body_contains="Connecting you to support")
    assert heard.call_verb.entry.type == "said"
    call.hang_up()


def phones_ring(tenant) -> None:
    """Ready the tenant for calls its app places: its number, callees whose phones ring until
    the test answers or rejects, and a frozen clock."""
    tenant.numbers.add(NUMBER)
    tenant.rules.add(rules.calls().rings())
    tenant.clock.freeze()


def dial(tenant, to: str, url: str, **params) -> str:
    """The app calls `to` with the SDK (its TwiML at `url`, `params` for the rest); the call's
    SID once the callee's phone rings."""
    placed = tenant.twilio_client().calls.create(to=to, from_=NUMBER, url=url, **params)
    tenant.clock.advance(5)
    tenant.wait_for("call_status_changed", sid=placed.sid, call_status="ringing")
    return placed.sid


def test_a_call_the_app_places_rings_until_the_test_answers(tenant, webhook_receiver):
    greeting = VoiceResponse()
    greeting.say("Your table is ready.")
    webhook_receiver.route("/outbound", str(greeting))
    phones_ring(tenant)

    sid = dial(tenant, CALLER, webhook_receiver.url("/outbound"))

    call = tenant.call(sid).answer()
    assert call.said() == ["Your table is ready."]
    assert call.status == "completed"
    assert tenant.twilio_client().calls(sid).fetch().status == "completed"


def test_a_call_the_test_rejects_ends_busy(tenant, webhook_receiver):
    phones_ring(tenant)
    sid = dial(tenant, CALLER, webhook_receiver.url("/outbound"))

    call = tenant.call(sid).reject("busy")

    assert call.status == "busy"
    assert tenant.twilio_client().calls(sid).fetch().status == "busy"


def test_an_answering_machine_picks_up_a_call_the_app_places(tenant, webhook_receiver):
    phones_ring(tenant)
    sid = dial(tenant, CALLER, webhook_receiver.url("/outbound"), machine_detection="Enable")

    call = tenant.call(sid).answer(machine=True)

    assert call.detail.call.answered_by == "machine_start"  # Twilio's word for it with MachineDetection=Enable


def test_calls_the_app_places_are_listed_by_criteria(tenant, webhook_receiver):
    phones_ring(tenant)
    to_caller, to_other = (dial(tenant, to, webhook_receiver.url("/outbound")) for to in (CALLER, OTHER_CALLER))
    tenant.call(to_other).reject("busy")

    assert [c.sid for c in tenant.calls(to=CALLER)] == [to_caller]
    assert [c.sid for c in tenant.calls(status="busy")] == [to_other]
    assert [c.sid for c in tenant.calls(from_=NUMBER, limit=1)] == [to_other]  # newest first
    assert tenant.call(to_caller).refresh().status == "ringing"


def test_a_call_forwarded_to_the_app_says_from_where(tenant, webhook_receiver):
    webhook_receiver.route("/voice", "<Response><Say>Hello</Say></Response>")
    tenant.numbers.add(NUMBER, voice_url=webhook_receiver.url("/voice"))

    tenant.place_call(from_=CALLER, to=NUMBER, forwarded_from=OTHER_CALLER)

    assert webhook_receiver.wait_for_request("/voice").form["ForwardedFrom"] == OTHER_CALLER
