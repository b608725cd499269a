"""Twilio's WhatsApp channel through the official twilio-python SDK: `whatsapp:` addresses on the
Messages resource, Content API templates, the 24-hour window (error 63016) and `read` receipts, and
the incoming-message webhook of a WhatsApp user, checked with the SDK's RequestValidator.

Servers are per test (see conftest.py); their callbacks.delay_seconds is 0.1, so a message's
whole life takes well under a second of real time, and the first test lets it run in real time,
waiting for its events: it is also the guide's example, run as a reader copies it, with a
`client` and the account it uses as the Python client's `default_tenant`. A test on a tenant
of its own (the client's `tenant` fixture, on this test's server) freezes the tenant's clock and
moves it instead.
"""

from __future__ import annotations

import inspect
import json
import sys

import pytest
from twilio.base.exceptions import TwilioRestException

from conftest import FROM_NUMBER, REPO

# `read` is the end of a delivered WhatsApp message; `delivered` is only on the way there.
WHATSAPP_FINAL = {"read", "failed", "undelivered", "canceled"}


def final(tenant, client, sid: str, timeout: float = 5.0):
    """The message, fetched with the SDK once the tenant's events have its status change to a
    final one; EventNotFound, with the server's nearest misses, after `timeout` seconds."""
    tenant.wait_for("message_status_changed", sid=sid, statuses=WHATSAPP_FINAL, timeout=timeout)
    return client.messages(sid).fetch()


def test_a_template_is_read_and_free_form_without_a_conversation_fails_63016(client, default_tenant):
    user = "whatsapp:+15557654321"
    sender = f"whatsapp:{FROM_NUMBER}"

    # A template (Content API): needs no conversation with the user.
    template = client.messages.create(
        to=user,
        from_=sender,
        content_sid="HXb5b62575e6e4ff6129ad7c8efe1f983e",
        content_variables=json.dumps({"1": "12/1", "2": "3pm"}),
    )
    assert template.status == "queued"
    assert (template.to, template.from_) == (user, sender)

    # Free-form text to a user who has not written in the last 24 hours: Twilio accepts it …
    free_form = client.messages.create(to=user, from_=sender, body="Are you still there?")
    assert free_form.status == "queued"
    assert free_form.error_code is None

    # … and then fails it with 63016, while the template is delivered and read.
    assert final(default_tenant, client, template.sid).status == "read"
    failed = final(default_tenant, client, free_form.sid)
    assert failed.status == "failed"
    assert failed.error_code == 63016


def test_content_variables_must_be_a_json_object(client):
    """Twilio checks ContentVariables when the message is created: 21656, HTTP 400."""
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(
            to="whatsapp:+15557654321",
            from_=f"whatsapp:{FROM_NUMBER}",
            content_sid="HXb5b62575e6e4ff6129ad7c8efe1f983e",
            content_variables="12/1",
        )
    assert (raised.value.status, raised.value.code) == (400, 21656)


def test_a_whatsapp_users_button_tap_reaches_the_app_signed(tenant, webhook_receiver):
    number = "+15550101010"
    user = "whatsapp:+15557654321"
    tenant.numbers.add(number, sms_url=webhook_receiver.url("/whatsapp"))

    # The user taps a quick-reply button of the app's template.
    outcome = tenant.inbound_sms(from_=user, to=number, profile_name="Ada", button_text="Yes", button_payload="confirm_42")
    assert outcome.message.to == f"whatsapp:{number}"
    assert outcome.opt_out_type == ""

    webhook = webhook_receiver.wait_for_request("/whatsapp")
    assert webhook.twilio_signature_valid(tenant.auth_token)
    form = webhook.form
    assert (form["From"], form["To"]) == (user, f"whatsapp:{number}")
    assert (form["WaId"], form["ProfileName"]) == ("15557654321", "Ada")
    assert (form["MessageType"], form["ButtonText"], form["ButtonPayload"]) == ("button", "Yes", "confirm_42")
    assert form["Body"] == "Yes"
    assert "FromCountry" not in form and "Forwarded" not in form

    # The tap opened the 24-hour window: a free-form answer is delivered and read. Its life runs
    # on the tenant's frozen clock: three steps of callbacks.delay_seconds, all due after 1 s.
    tenant.clock.freeze()
    twilio = tenant.twilio_client()
    answer = twilio.messages.create(to=user, from_=f"whatsapp:{number}", body="Confirmed, see you at 3pm")
    assert answer.status == "queued"
    tenant.clock.advance(1)
    assert twilio.messages(answer.sid).fetch().status == "read"


def test_the_whatsapp_guide_shows_the_first_test():
    """docs/twilio-whatsapp.md shows the first test above, its `final` and WHATSAPP_FINAL,
    character for character, so its example always runs."""
    guide = (REPO / "docs" / "twilio-whatsapp.md").read_text()
    example = guide.split("```python\n", 1)[1].split("```", 1)[0]
    assert inspect.getsource(final) in example
    assert inspect.getsource(test_a_template_is_read_and_free_form_without_a_conversation_fails_63016) in example
    module = inspect.getsource(sys.modules[__name__]).splitlines()
    assert [line for line in example.splitlines() if line not in module] == []  # WHATSAPP_FINAL too
