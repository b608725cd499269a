"""The rest of the control plane through the layer: tenants, numbers, rules, the clock, messages
and their webhooks, WhatsApp settings and Meta's handshake (calls are in test_calls.py)."""

from mockingbird_testing import rules
from mockingbird_testing.proto import common_pb2, whatsapp_pb2

NUMBER = "+15550101010"  # the tenant's number
USER = "+15557654321"
OTHER_USER = "+15557654322"


def test_a_tenant_is_found_by_its_sid_and_listed_and_a_reset_keeps_its_numbers(mockingbird, tenant):
    found = mockingbird.account(tenant.account_sid)
    assert (found.auth_token, found.label) == (tenant.auth_token, tenant.label)
    assert tenant.account_sid in [listed.account_sid for listed in mockingbird.tenants()]
    assert mockingbird.default_tenant().account_sid in [listed.account_sid for listed in mockingbird.tenants()]

    tenant.numbers.add(NUMBER)
    tenant.rules.add(rules.to(USER).reject(21610))
    tenant.twilio_client().messages.create(to=OTHER_USER, from_=NUMBER, body="before the reset")
    after = tenant.reset()

    assert tenant.messages.list() == [] and tenant.rules.list() == []
    assert [n.phone_number for n in tenant.numbers.list()] == [NUMBER]
    assert tenant.wait_for("data_cleared", after=after - 1).sequence == after


def test_a_handle_on_an_existing_tenant_leaves_it_in_place(mockingbird, tenant):
    with mockingbird.account(tenant.account_sid):
        pass
    assert mockingbird.account(tenant.account_sid).account_sid == tenant.account_sid


def test_numbers_are_added_updated_listed_and_removed(tenant):
    tenant.numbers.add(NUMBER, sms_url="http://127.0.0.1:9/sms", friendly_name="front desk")

    updated = tenant.numbers.update(NUMBER, voice_url="http://127.0.0.1:9/voice", voice_method="GET")

    assert (updated.sms_url, updated.voice_url, updated.friendly_name) == ("http://127.0.0.1:9/sms", "http://127.0.0.1:9/voice", "front desk")
    assert [n.voice_url for n in tenant.numbers.list()] == ["http://127.0.0.1:9/voice"]
    tenant.numbers.remove(NUMBER)
    assert tenant.numbers.list() == []


def test_rules_are_replaced_listed_in_matching_order_and_cleared(tenant):
    tenant.rules.add(rules.to(USER).reject(21610))

    replaced = tenant.rules.replace(rules.to(OTHER_USER).reject(21211), rules.to(USER).delivered(after=1))

    assert [rule.when.to.exact for rule in tenant.rules.list()] == [OTHER_USER, USER] == [rule.when.to.exact for rule in replaced]
    tenant.rules.clear()
    assert tenant.rules.list() == []


def test_the_clock_freezes_advances_and_resumes(tenant):
    frozen = tenant.clock.freeze()
    assert frozen.frozen and tenant.clock.state().now == frozen.now

    advanced = tenant.clock.advance(90)

    assert advanced.now.seconds - frozen.now.seconds == 90
    assert not tenant.clock.resume().frozen


def test_a_status_set_by_the_test_is_called_back_and_the_callback_redelivered(tenant, webhook_receiver):
    tenant.numbers.add(NUMBER)
    tenant.clock.freeze()  # only the test moves the message
    message = tenant.twilio_client().messages.create(to=USER, from_=NUMBER, body="hi", status_callback=webhook_receiver.url("/status"))

    failed = tenant.messages.set_status(message.sid, "undelivered", error_code=30003)

    assert (failed.status, failed.error_code) == (common_pb2.MESSAGE_STATUS_UNDELIVERED, 30003)
    assert tenant.messages.get(message.sid).status == failed.status
    assert [m.sid for m in tenant.messages.list(to=USER)] == [message.sid]
    assert tenant.messages.list(to=OTHER_USER) == []
    first = webhook_receiver.wait_for_request("/status", MessageStatus="undelivered")
    [attempt] = tenant.messages.callback_attempts(message.sid)
    assert (attempt.status, attempt.response_status) == ("undelivered", 200)
    assert attempt.request_headers["x-twilio-signature"] == first.headers["X-Twilio-Signature"]  # as sent

    again = tenant.messages.redeliver(attempt.id)

    assert again.id != attempt.id and again.response_status == 200
    requests = webhook_receiver.wait_for(lambda got: [r for r in got if r.path == "/status"][1:])
    assert requests[0].form == first.form and requests[0].twilio_signature_valid(tenant.auth_token)


def test_whatsapp_settings_are_changed_and_read_and_the_webhook_verified_by_metas_handshake(tenant, webhook_receiver):
    def app(request) -> str:
        # An app passing Meta's handshake: the bare challenge, for the tenant's verify token.
        return request.form["hub.challenge"] if request.form.get("hub.verify_token") == tenant.whatsapp.verify_token else "wrong token"

    webhook_receiver.route("/whatsapp", app, content_type="text/plain").route("/broken", "not the challenge", content_type="text/plain")
    tenant.set_whatsapp_webhook(webhook_receiver.url("/whatsapp"))

    tenant.update_whatsapp_settings(window=whatsapp_pb2.WINDOW_POLICY_OFF)

    settings = tenant.whatsapp_settings()
    assert (settings.webhook_url, settings.window) == (webhook_receiver.url("/whatsapp"), whatsapp_pb2.WINDOW_POLICY_OFF)
    assert settings.identity.phone_number_id == tenant.whatsapp.phone_number_id

    passed = tenant.verify_whatsapp_webhook()
    assert passed.echoed and passed.attempt.response_body == passed.challenge
    handshake = webhook_receiver.wait_for_request("/whatsapp")
    assert (handshake.method, handshake.form["hub.mode"]) == ("GET", "subscribe")
    assert not tenant.verify_whatsapp_webhook(webhook_receiver.url("/broken")).echoed


def test_a_whatsapp_users_button_tap_through_twilio_carries_the_fields_the_test_sets(tenant, webhook_receiver):
    tenant.numbers.add(NUMBER, sms_url=webhook_receiver.url("/sms"))

    tenant.inbound_sms(from_=f"whatsapp:{USER}", to=NUMBER, profile_name="Ada", button_text="Yes", button_payload="confirm_42")

    tap = webhook_receiver.wait_for_request("/sms").form
    assert (tap["ProfileName"], tap["ButtonPayload"], tap["Body"]) == ("Ada", "confirm_42", "Yes")
