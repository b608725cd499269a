import json
import urllib.error
import urllib.request

import pytest

from mockingbird_testing import WebhookReceiver

# Straight to the receiver on 127.0.0.1, whatever proxy the environment names.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_a_receivers_answer_function_decides_status_and_body_where_no_route_matches():
    def answer(request):
        return (403, "text/plain", b"invalid signature") if request.path == "/refused" else (200, "text/xml", b"<Response/>")

    with WebhookReceiver(answer=answer) as app:
        app.route("/routed", "routed")
        assert opener.open(app.url("/routed"), data=b"").read() == b"routed"
        assert opener.open(app.url("/any"), data=b"").read() == b"<Response/>"
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(app.url("/refused"), data=b"")
        assert (refused.value.code, refused.value.read()) == (403, b"invalid signature")
        assert [r.path for r in app.requests] == ["/routed", "/any", "/refused"]


def test_a_received_requests_headers_are_looked_up_in_any_case():
    with WebhookReceiver() as app:
        opener.open(urllib.request.Request(app.url("/hook"), data=b"a=1", headers={"X-Twilio-Signature": "sig"})).read()
        request = app.wait_for_request("/hook", a="1")
        assert request.headers["X-Twilio-Signature"] == request.headers["x-twilio-signature"] == request.header("X-TWILIO-SIGNATURE") == "sig"


def test_a_cloud_api_webhooks_messages_and_statuses_are_read_out_of_metas_envelope():
    def change(**value):
        return {"changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", **value}}]}

    # Two entries, as Meta may batch them: the items come out in order, whatever nests them.
    envelope = {"object": "whatsapp_business_account", "entry": [
        change(messages=[{"id": "wamid.in1", "type": "text"}], statuses=[{"id": "wamid.out1", "status": "sent"}]),
        change(statuses=[{"id": "wamid.out1", "status": "delivered"}]),
    ]}
    with WebhookReceiver() as app:
        opener.open(urllib.request.Request(app.url("/meta"), data=json.dumps(envelope).encode(), headers={"Content-Type": "application/json"})).read()
        opener.open(app.url("/twilio"), data=b"MessageSid=SM1&MessageStatus=sent").read()
        meta, twilio = app.wait_for(lambda got: len(got) == 2 and got)

    assert [m["id"] for m in meta.whatsapp_messages()] == ["wamid.in1"]
    assert [(s["id"], s["status"]) for s in meta.whatsapp_statuses()] == [("wamid.out1", "sent"), ("wamid.out1", "delivered")]
    assert twilio.whatsapp_messages() == twilio.whatsapp_statuses() == []
