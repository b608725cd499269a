"""Twilio's WhatsApp channel through the official SDK: the user writes first (opening the
24-hour window), the app answers, and its status callbacks are signed like any other."""

NUMBER = "+15550101010"
USER = "+15557654321"


def test_a_whatsapp_reply_through_twilio_reports_read_in_signed_callbacks(tenant, webhook_receiver):
    webhook_receiver.route("/whatsapp", "<Response/>")
    tenant.numbers.add(NUMBER, sms_url=webhook_receiver.url("/whatsapp"))
    tenant.clock.freeze()

    tenant.inbound_sms(from_=f"whatsapp:{USER}", to=NUMBER, body="Hi there", profile_name="Ada")
    inbound = webhook_receiver.wait_for_request("/whatsapp")
    assert (inbound.form["WaId"], inbound.form["ProfileName"]) == (USER.lstrip("+"), "Ada")
    assert inbound.twilio_signature_valid(tenant.auth_token)

    twilio = tenant.twilio_client()
    message = twilio.messages.create(
        to=f"whatsapp:{USER}", from_=f"whatsapp:{NUMBER}", body="Hello Ada", status_callback=webhook_receiver.url("/status")
    )
    tenant.clock.advance(10)

    tenant.wait_for("message_status_changed", sid=message.sid, status="read")
    read = webhook_receiver.wait_for_request("/status", MessageStatus="read")
    assert read.twilio_signature_valid(tenant.auth_token)
