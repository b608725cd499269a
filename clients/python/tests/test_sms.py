"""SMS through the official twilio-python SDK, against the real binary, with the client's
fixtures: a tenant per test on one server per session."""

import pytest
from twilio.base.exceptions import TwilioRestException

from mockingbird_testing import rules
from mockingbird_testing.proto import common_pb2

NUMBER = "+15550101010"  # the tenant's number, which the app sends from
USER = "+15557654321"  # a user's phone


def test_a_delivered_sms_reaches_the_app_as_a_signed_status_callback(tenant, webhook_receiver):
    # This test's own tenant: fresh credentials, a number, a clock that moves when told to.
    tenant.numbers.add(NUMBER)
    tenant.clock.freeze()

    # The app sends with the official Twilio SDK, as the tenant, asking for status callbacks.
    twilio = tenant.twilio_client()
    message = twilio.messages.create(to=USER, from_=NUMBER, body="Your code is 1234", status_callback=webhook_receiver.url("/status"))
    assert message.status == "queued"

    # Five seconds pass at once, and the whole lifecycle with them: queued → sent → delivered.
    tenant.clock.advance(5)
    changed = tenant.wait_for("message_status_changed", sid=message.sid, status="delivered")
    assert changed.message_status_changed.previous == common_pb2.MESSAGE_STATUS_SENT

    # mockingbird called the app back, signed with the tenant's auth token (checked by the SDK's
    # own RequestValidator).
    callback = webhook_receiver.wait_for_request("/status", MessageStatus="delivered")
    assert callback.form["MessageSid"] == message.sid
    assert callback.twilio_signature_valid(tenant.auth_token)
    assert not callback.twilio_signature_valid("another-token")
    assert tenant.wait_for("callback_attempted", sid=message.sid, status="delivered").callback_attempted.attempt.response_status == 200
    assert twilio.messages(message.sid).fetch().status == "delivered"


def test_the_sdk_lists_messages_across_pages(tenant):
    tenant.numbers.add(NUMBER)
    twilio = tenant.twilio_client()
    sent = {twilio.messages.create(to=USER, from_=NUMBER, body=f"message {n}").sid for n in range(5)}

    listed = twilio.messages.list(page_size=2)

    assert {m.sid for m in listed} == sent
    pages = [url for method, url in twilio.http_client.requests_made if method == "GET"]
    assert len(pages) == 3, pages  # 2 + 2 + 1, following next_page_uri through the redirect


def test_a_rule_that_rejects_a_number_makes_the_sdk_raise_twilios_code(tenant):
    tenant.numbers.add(NUMBER)
    tenant.rules.add(rules.to(USER).reject(21610))
    twilio = tenant.twilio_client()

    with pytest.raises(TwilioRestException) as raised:
        twilio.messages.create(to=USER, from_=NUMBER, body="hello")

    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert tenant.wait_for("rule_matched", to=USER).rule_matched.rejected_with == 21610


def test_a_scripted_rule_plays_sent_then_undelivered_on_the_tenants_clock(tenant):
    tenant.numbers.add(NUMBER)
    tenant.clock.freeze()
    tenant.rules.add(rules.to(USER).sent(after=1).undelivered(30007, after=2))
    twilio = tenant.twilio_client(api_key=True)  # the tenant's API key authenticates too

    message = twilio.messages.create(to=USER, from_=NUMBER, body="hello")
    tenant.clock.advance(1)
    assert twilio.messages(message.sid).fetch().status == "sent"

    tenant.clock.advance(2)
    failed = tenant.wait_for("message_status_changed", sid=message.sid, status="undelivered")
    assert failed.message_status_changed.error_code == 30007
    fetched = twilio.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30007)


def test_an_inbound_sms_is_answered_with_the_apps_twiml_reply(tenant, webhook_receiver):
    webhook_receiver.route("/sms", "<Response><Message>Thanks, we got it.</Message></Response>")
    tenant.numbers.add(NUMBER, sms_url=webhook_receiver.url("/sms"))

    sent = tenant.inbound_sms(from_=USER, to=NUMBER, body="Is my order ready?")

    assert [reply.body for reply in sent.replies] == ["Thanks, we got it."]
    webhook = webhook_receiver.wait_for_request("/sms")
    assert webhook.form["Body"] == "Is my order ready?"
    assert webhook.twilio_signature_valid(tenant.auth_token)
    reply = tenant.wait_for("message_created", to=USER, body_contains="Thanks")
    assert reply.message_created.message.sid == sent.replies[0].sid
