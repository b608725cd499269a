"""The WhatsApp Cloud API as a bot calls it with `requests`, pointed at mockingbird by its base
URL, with every webhook's X-Hub-Signature-256 checked by the received request's
`meta_signature_valid` (Python's own hmac: an implementation independent of the server's)."""

from __future__ import annotations

import pytest
import requests

PHONE_NUMBER_ID = "123456789"
ACCESS_TOKEN = "EAAGm0PX4ZCpsBAtest"
APP_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
USER = "263778177125"


@pytest.fixture
def mockingbird_extra_config(webhook_receiver) -> str:
    # The README's `whatsapp:` section, pointed at this test's webhook receiver.
    return f"""
whatsapp:
  phone_number_id: "{PHONE_NUMBER_ID}"
  display_phone_number: "15550123456"
  access_token: "{ACCESS_TOKEN}"
  app_secret: "{APP_SECRET}"
  verify_token: "my-verify-token"
  webhook_url: "{webhook_receiver.url('/bot/webhook')}"
  targets:
    local: "{webhook_receiver.url('/bot/webhook')}"
  templates:
    - name: order_update
      language: en_US
      category: UTILITY
      body_parameters: 1
"""


def graph(mockingbird, body: dict, token: str = ACCESS_TOKEN) -> requests.Response:
    return requests.post(
        f"{mockingbird.http_url}/v21.0/{PHONE_NUMBER_ID}/messages",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=10,
    )


def statuses(requests_seen, wamid):
    """The (status object, request) pairs of the status webhooks about message `wamid`."""
    return [(status, request) for request in requests_seen for status in request.whatsapp_statuses() if status["id"] == wamid]


def test_a_bot_is_answered_as_meta_answers_and_every_webhook_verifies(mockingbird, webhook_receiver):
    # No user has written yet: free-form is refused with 131047, a template goes out.
    refused = graph(mockingbird, {"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": "hi"}})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["type"]) == (131047, "OAuthException")
    assert error["message"].startswith("(#131047)")
    assert "fbtrace_id" in error

    sent = graph(mockingbird, {
        "messaging_product": "whatsapp", "to": f"+{USER}", "type": "template",
        "template": {"name": "order_update", "language": {"code": "en_US"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "#42"}]}]},
    })
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": f"+{USER}", "wa_id": USER}]
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.")

    # sent → delivered → read, each a signed status webhook.
    seen = webhook_receiver.wait_for(lambda r: len(statuses(r, wamid)) == 3 and statuses(r, wamid))
    assert [s["status"] for s, _ in seen] == ["sent", "delivered", "read"]
    for status, request in seen:
        assert request.meta_signature_valid(APP_SECRET)
        assert status["recipient_id"] == USER
        assert status["conversation"]["origin"]["type"] == "utility"

    # The user writes (through the seed's proxy): the webhook is Meta's envelope, signed.
    reply = requests.post(
        f"{mockingbird.http_url}/webhook?target=local",
        json={"entry": [{"changes": [{"value": {
            "contacts": [{"wa_id": USER, "profile": {"name": "Tendai"}}],
            "messages": [{"type": "text", "text": {"body": "Where is my order? ¿Dónde?"}}],
        }}]}]},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    inbound = webhook_receiver.wait_for(lambda r: [x for x in r if x.whatsapp_messages()])[0]
    assert inbound.meta_signature_valid(APP_SECRET)
    assert inbound.headers["X-Mock-Testing"] == "true"
    envelope = inbound.json()
    value = envelope["entry"][0]["changes"][0]["value"]
    assert envelope["object"] == "whatsapp_business_account"
    assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
    assert value["contacts"][0]["profile"]["name"] == "Tendai"
    assert value["messages"][0]["text"]["body"] == "Where is my order? ¿Dónde?"
    assert isinstance(value["messages"][0]["timestamp"], str)

    # Now the window is open: free-form replies go out.
    free = graph(mockingbird, {"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": "On its way"}})
    assert free.status_code == 200, free.text


def test_wrong_tokens_and_bad_bodies_get_metas_errors(mockingbird):
    wrong = graph(mockingbird, {"messaging_product": "whatsapp", "to": USER, "text": {"body": "hi"}}, token="EAAnope")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == 190

    bad = requests.post(
        f"{mockingbird.http_url}/v21.0/{PHONE_NUMBER_ID}/messages",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}", "Content-Type": "application/json"},
        data="{not json",
        timeout=10,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == 100

    four_buttons = graph(mockingbird, {
        "messaging_product": "whatsapp", "to": USER, "type": "interactive",
        "interactive": {"type": "button", "body": {"text": "Pick"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": str(i), "title": f"Option {i}"}} for i in range(4)
        ]}},
    })
    assert four_buttons.status_code == 400
    assert four_buttons.json()["error"]["code"] == 131009
