"""The WhatsApp Cloud API side: a simulated user writes, the app answers through the Graph API,
and every webhook is signed with the tenant's app secret."""

import json

import requests

USER = "263778177125"  # the user's WhatsApp number (wa_id)


def statuses_of(requests_seen, wamid):
    """The (status object, request) pairs of the status webhooks about message `wamid`."""
    return [(status, request) for request in requests_seen for status in request.whatsapp_statuses() if status["id"] == wamid]


def test_a_user_message_and_the_apps_reply_come_with_signed_webhooks(tenant, webhook_receiver):
    tenant.set_whatsapp_webhook(webhook_receiver.url("/whatsapp"))
    tenant.clock.freeze()
    user = tenant.whatsapp_user(USER, profile_name="Tendai")

    # The user writes: the app receives Meta's envelope, signed with the app secret.
    sent = user.send_text("Where is my order?")
    assert sent.http_status == 200
    inbound = webhook_receiver.wait_for_request("/whatsapp")
    assert inbound.meta_signature_valid(tenant.whatsapp.app_secret)
    assert not inbound.meta_signature_valid("another-secret")
    value = inbound.json()["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == tenant.whatsapp.phone_number_id
    assert [m["text"]["body"] for m in inbound.whatsapp_messages()] == ["Where is my order?"]
    assert inbound.whatsapp_statuses() == []

    # The app answers through the Cloud API, as this tenant's business number.
    reply = requests.post(
        tenant.cloud_api_messages_url,
        headers={"Authorization": f"Bearer {tenant.whatsapp.access_token}"},
        json={"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": "On its way"}},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    wamid = reply.json()["messages"][0]["id"]
    created = tenant.wait_for("message_created", after=sent.after_sequence, to=USER, whatsapp_types=["text"])
    assert created.message_created.message.sid == wamid

    # Time passes: sent and delivered status webhooks, each signed.
    tenant.clock.advance(10)
    tenant.wait_for("message_status_changed", sid=wamid, status="delivered")
    seen = webhook_receiver.wait_for(lambda got: len(statuses_of(got, wamid)) >= 2 and statuses_of(got, wamid))
    assert [status["status"] for status, _ in seen][:2] == ["sent", "delivered"]
    for status, request in seen:
        assert request.meta_signature_valid(tenant.whatsapp.app_secret)
        assert status["recipient_id"] == USER

    conversation = user.conversation()
    assert [json.loads(m.whatsapp.content)["body"] for m in conversation.messages] == ["Where is my order?", "On its way"]
