"""Calls: the test as the caller of the app's IVR, and as the callee of a call the app places.
The app's TwiML is written with twilio-python's own VoiceResponse."""

from twilio.twiml.voice_response import VoiceResponse

from mockingbird_testing import rules
from mockingbird_testing.proto import calls_pb2

NUMBER = "+15550101010"  # the app's number
CALLER = "+15557654321"


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


def test_a_call_the_app_places_rings_until_the_test_answers(tenant, webhook_receiver):
    greeting = VoiceResponse()
    greeting.say("Your table is ready.")
    webhook_receiver.route("/outbound", str(greeting))
    tenant.numbers.add(NUMBER)
    tenant.rules.add(rules.calls().to(CALLER).rings())
    tenant.clock.freeze()
    twilio = tenant.twilio_client()

    placed = twilio.calls.create(to=CALLER, from_=NUMBER, url=webhook_receiver.url("/outbound"))
    tenant.clock.advance(5)
    tenant.wait_for("call_status_changed", sid=placed.sid, call_status="ringing")

    call = tenant.call(placed.sid).answer()
    assert call.said() == ["Your table is ready."]
    assert call.status == "completed"
    assert twilio.calls(placed.sid).fetch().status == "completed"
