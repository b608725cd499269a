"""The gRPC control plane from Python: the stubs generated from proto/ (mockingbird_testing.proto) drive a
tenant's numbers, clock and events while the app under test talks to it with the official SDK.

The first test is the example the README opens with; the last one keeps the two identical.
"""

from __future__ import annotations

import inspect

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from conftest import REPO
from mockingbird_testing.proto import clock_pb2, common_pb2, events_pb2, messages_pb2, numbers_pb2, tenants_pb2

NUMBER = "+15550101010"  # the tenant's number, which the app sends from
USER = "+15557654321"  # a user's phone


def test_a_delivered_message_reaches_the_app_as_a_signed_callback(request, control, make_client, webhook_receiver):
    # A tenant of this test's own: fresh credentials, a number, a clock that moves when told to.
    tenant = control.tenants.CreateTenant(tenants_pb2.CreateTenantRequest(label=request.node.name))
    account = tenant.account_sid
    control.numbers.AddNumber(numbers_pb2.AddNumberRequest(account_sid=account, phone_number=NUMBER))
    control.clock.Freeze(clock_pb2.FreezeRequest(account_sid=account))

    # The app sends with the official Twilio SDK, as the tenant, asking for status callbacks.
    twilio = make_client(account, tenant.auth_token)
    message = twilio.messages.create(
        to=USER, from_=NUMBER, body="Your code is 1234", status_callback=webhook_receiver.url("/twilio/status")
    )
    assert message.status == "queued"

    # Five seconds pass at once, and the whole lifecycle with them: queued → sent → delivered.
    control.clock.Advance(clock_pb2.AdvanceRequest(account_sid=account, by=Duration(seconds=5)))
    delivered = dict(account_sid=account, sid=message.sid, statuses=[common_pb2.MESSAGE_STATUS_DELIVERED])
    changed = control.events.WaitFor(
        events_pb2.WaitForRequest(
            filter=events_pb2.EventFilter(kinds=[events_pb2.EVENT_KIND_MESSAGE_STATUS_CHANGED], **delivered),
            timeout=Duration(seconds=5),
        )
    )
    assert changed.message_status_changed.previous == common_pb2.MESSAGE_STATUS_SENT

    # mockingbird called the app back, and the app answered 200 …
    called = control.events.WaitFor(
        events_pb2.WaitForRequest(
            filter=events_pb2.EventFilter(kinds=[events_pb2.EVENT_KIND_CALLBACK_ATTEMPTED], **delivered),
            timeout=Duration(seconds=5),
        )
    )
    assert called.callback_attempted.attempt.response_status == 200

    # … to a POST the app can trust: Twilio's parameters, signed with the tenant's auth token.
    callback = webhook_receiver.wait_for(lambda got: [r for r in got if r.form.get("MessageStatus") == "delivered"])[0]
    signature = callback.headers["X-Twilio-Signature"]
    assert RequestValidator(tenant.auth_token).validate(callback.url, callback.form, signature)


# --------------------------------------------------------------------------------------------
# More of the control plane
# --------------------------------------------------------------------------------------------


def tenant_with_number(control, label: str, sms_url: str = ""):
    """A new tenant that owns NUMBER, whose texts go to `sms_url` (nowhere when empty)."""
    tenant = control.tenants.CreateTenant(tenants_pb2.CreateTenantRequest(label=label))
    control.numbers.AddNumber(
        numbers_pb2.AddNumberRequest(account_sid=tenant.account_sid, phone_number=NUMBER, sms_url=sms_url)
    )
    return tenant


def test_wait_for_times_out_naming_the_nearest_miss(request, control, make_client):
    """WaitFor fails with DEADLINE_EXCEEDED when nothing matches in time, and its details list
    the events that came closest and what each got wrong."""
    tenant = tenant_with_number(control, request.node.name)
    control.clock.Freeze(clock_pb2.FreezeRequest(account_sid=tenant.account_sid))
    message = make_client(tenant.account_sid, tenant.auth_token).messages.create(to=USER, from_=NUMBER, body="hi")

    # The clock stands still, so the message never gets past `queued`.
    with pytest.raises(grpc.RpcError) as raised:
        control.events.WaitFor(
            events_pb2.WaitForRequest(
                filter=events_pb2.EventFilter(
                    account_sid=tenant.account_sid,
                    sid=message.sid,
                    kinds=[events_pb2.EVENT_KIND_MESSAGE_STATUS_CHANGED],
                    statuses=[common_pb2.MESSAGE_STATUS_DELIVERED],
                ),
                timeout=Duration(nanos=200_000_000),
            ),
            timeout=10,  # the call's own deadline: longer, so the server's answer is what we see
        )

    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    details = raised.value.details()
    assert "no event matched" in details, details
    assert message.sid in details, details
    assert "kind is message_created, wanted message_status_changed" in details, details


def test_an_inbound_text_gets_the_apps_twiml_reply(request, control, webhook_receiver):
    """SendInbound delivers a user's text to the number's SMS URL and sends the app's TwiML
    `<Message>` back to the user, from the number."""
    webhook_receiver.route("/sms", "<Response><Message>Hi back</Message></Response>")
    tenant = tenant_with_number(control, request.node.name, sms_url=webhook_receiver.url("/sms"))

    outcome = control.messages.SendInbound(
        messages_pb2.SendInboundRequest(account_sid=tenant.account_sid, to=NUMBER, body="hello", **{"from": USER})
    )

    assert outcome.message.direction == common_pb2.DIRECTION_INBOUND
    assert outcome.webhook.response_status == 200
    assert [reply.body for reply in outcome.replies] == ["Hi back"]
    reply = outcome.replies[0]
    assert (reply.to, getattr(reply, "from")) == (USER, NUMBER)
    assert reply.direction == common_pb2.DIRECTION_OUTBOUND_REPLY


def test_after_stop_the_sdk_gets_21610(request, control, make_client):
    """A user who texts STOP is unsubscribed: the app's next message to them fails with 21610,
    as on Twilio."""
    tenant = tenant_with_number(control, request.node.name)

    stop = control.messages.SendInbound(
        messages_pb2.SendInboundRequest(account_sid=tenant.account_sid, to=NUMBER, body="STOP", **{"from": USER})
    )
    assert stop.opt_out_type == "STOP"

    twilio = make_client(tenant.account_sid, tenant.auth_token)
    with pytest.raises(TwilioRestException) as raised:
        twilio.messages.create(to=USER, from_=NUMBER, body="Our sale starts today!")
    assert raised.value.code == 21610
    assert raised.value.status == 400


def test_the_readme_opens_with_the_first_test():
    """The README's example is the first test above, character for character, so it is always
    one that runs."""
    readme = (REPO / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert inspect.getsource(test_a_delivered_message_reaches_the_app_as_a_signed_callback) in example
