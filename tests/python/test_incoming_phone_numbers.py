"""The official twilio-python SDK's IncomingPhoneNumbers calls against mockingbird.

Buying a number gives it to the account: it becomes a valid `From`. Servers are per test.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.base.exceptions import TwilioRestException

from conftest import ACCOUNT_SID, FROM_NUMBER, REGISTERED_NUMBER

NUMBER = "+14155550100"


def test_buy_update_list_and_release(client, mockingbird):
    """create → 201 with a PN… SID and Twilio's default friendly name; update changes the
    webhooks; list and its filters see it; delete releases it (204) and it is then 404."""
    number = client.incoming_phone_numbers.create(
        phone_number=NUMBER,
        sms_url="https://example.com/sms",
        voice_url="https://example.com/voice",
        voice_caller_id_lookup=True,
    )
    assert number.sid.startswith("PN") and len(number.sid) == 34
    assert number.account_sid == ACCOUNT_SID
    assert number.phone_number == NUMBER
    assert number.friendly_name == "(415) 555-0100"
    assert number.sms_url == "https://example.com/sms"
    assert number.sms_method == "POST"
    assert number.voice_url == "https://example.com/voice"
    assert number.capabilities == {"voice": True, "sms": True, "mms": True, "fax": False}
    assert number.status == "in-use"
    assert isinstance(number.date_created, datetime)
    assert number.date_created.tzinfo is not None

    updated = client.incoming_phone_numbers(number.sid).update(
        friendly_name="support", sms_url="https://example.com/sms2", sms_method="GET"
    )
    assert updated.friendly_name == "support"
    assert updated.sms_url == "https://example.com/sms2"
    assert updated.sms_method == "GET"
    assert updated.voice_url == "https://example.com/voice"
    assert client.incoming_phone_numbers(number.sid).fetch().sms_url == "https://example.com/sms2"

    # The default account starts with the config's sender; the SDK pages through both.
    listed = client.incoming_phone_numbers.list(page_size=1)
    assert [n.phone_number for n in listed] == [FROM_NUMBER, NUMBER]
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number=NUMBER)] == [number.sid]
    assert [n.sid for n in client.incoming_phone_numbers.list(friendly_name="support")] == [number.sid]
    assert [n.phone_number for n in client.incoming_phone_numbers.local.list()] == [FROM_NUMBER, NUMBER]

    # Now a valid From.
    message = client.messages.create(to=REGISTERED_NUMBER, from_=NUMBER, body="from my new number")
    assert message.from_ == NUMBER

    assert client.incoming_phone_numbers(number.sid).delete() is True
    with pytest.raises(TwilioRestException) as raised:
        client.incoming_phone_numbers(number.sid).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=REGISTERED_NUMBER, from_=NUMBER, body="gone")
    assert raised.value.code == 21606


def test_area_code_and_magic_numbers(client):
    """AreaCode picks a fresh number in that area code; Twilio's test numbers answer as documented:
    +15005550000 is unavailable (21422), +15005550001 invalid (21421), area code 533 empty (21452).
    A number the account already has is unavailable too."""
    first = client.incoming_phone_numbers.create(area_code="212")
    second = client.incoming_phone_numbers.create(area_code="212")
    assert first.phone_number.startswith("+1212") and second.phone_number.startswith("+1212")
    assert first.phone_number != second.phone_number

    for kwargs, code in [
        ({"phone_number": "+15005550000"}, 21422),
        ({"phone_number": "+15005550001"}, 21421),
        ({"area_code": "533"}, 21452),
        ({"phone_number": first.phone_number}, 21422),
    ]:
        with pytest.raises(TwilioRestException) as raised:
            client.incoming_phone_numbers.create(**kwargs)
        assert raised.value.status == 400, kwargs
        assert raised.value.code == code, kwargs
