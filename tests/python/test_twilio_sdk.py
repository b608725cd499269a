"""The official twilio-python SDK against mockingbird: every call below is one a real app makes.

Each test states the real-Twilio behaviour it checks. Servers are per test (see conftest.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator

from conftest import ACCOUNT_SID, AUTH_TOKEN, FAILURE_NUMBER, FROM_NUMBER, REGISTERED_NUMBER

MAGIC_TEST_SENDER = "+15005550006"
OTHER_NUMBER = "+15557654321"
def wait_for_status(tenant, client, sid: str, status: str, timeout: float = 5.0):
    """The message, fetched with the SDK once the server's event log has it reach `status`."""
    tenant.wait_for("message_status_changed", sid=sid, status=status, timeout=timeout)
    return client.messages(sid).fetch()


def statuses(requests):
    return [r.form.get("MessageStatus") for r in requests]


# --------------------------------------------------------------------------------------------
# Create, fetch, lifecycle
# --------------------------------------------------------------------------------------------


def test_create_fetch_and_deliver(client, mockingbird, default_tenant):
    """POST Messages.json answers 201 with a queued Message resource (SM… SID of 34 chars,
    num_segments "1", price_unit "USD", RFC 2822 dates); fetching it returns the same resource,
    and an SMS to a reachable number moves on to `delivered`."""
    message = client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="Hello from the SDK")

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.price_unit == "USD"
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert message.account_sid == ACCOUNT_SID
    assert message.to == REGISTERED_NUMBER
    assert message.from_ == FROM_NUMBER
    assert message.body == "Hello from the SDK"
    assert isinstance(message.date_created, datetime)
    assert message.date_created.tzinfo is not None
    assert message.error_code is None

    fetched = client.messages(message.sid).fetch()
    assert fetched.sid == message.sid
    assert fetched.body == "Hello from the SDK"
    assert fetched.to == REGISTERED_NUMBER
    assert fetched.date_created == message.date_created

    delivered = wait_for_status(default_tenant, client, message.sid, "delivered")
    assert delivered.error_code is None
    assert isinstance(delivered.date_sent, datetime)


# --------------------------------------------------------------------------------------------
# Lists and paging
# --------------------------------------------------------------------------------------------


def test_list_pages_newest_first_with_filters(client):
    """GET Messages.json lists newest first and pages with PageSize, following next_page_uri
    until it is null; To and From filter the list, and every page keeps the filter."""
    mine = [
        client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body=f"message {i}").sid
        for i in range(7)
    ]
    others = [
        client.messages.create(to=OTHER_NUMBER, from_=MAGIC_TEST_SENDER, body=f"other {i}").sid
        for i in range(2)
    ]
    http = client.http_client
    http.requests_made.clear()

    listed = client.messages.list(to=REGISTERED_NUMBER, page_size=3)
    sids = [m.sid for m in listed]
    assert sids == list(reversed(mine)), "expected all 7, newest first"
    assert len(set(sids)) == len(sids)
    assert all(m.to == REGISTERED_NUMBER for m in listed)
    # 7 messages in pages of 3: three GETs, every one still filtered by To.
    gets = [url for method, url in http.requests_made if method == "GET"]
    assert len(gets) == 3, gets
    for url in gets[1:]:
        query = parse_qs(urlsplit(url).query)
        assert query.get("To") == [REGISTERED_NUMBER], url
        assert query.get("PageSize") == ["3"], url

    http.requests_made.clear()
    streamed = [m.sid for m in client.messages.stream(page_size=2)]
    assert streamed == list(reversed(mine + others))
    assert len(http.requests_made) == 5  # 9 messages, 2 a page

    from_magic = [m.sid for m in client.messages.list(from_=MAGIC_TEST_SENDER)]
    assert from_magic == list(reversed(others))
    from_own = [m.sid for m in client.messages.list(from_=FROM_NUMBER, page_size=4)]
    assert from_own == list(reversed(mine))
    assert client.messages.list(to=REGISTERED_NUMBER, from_=MAGIC_TEST_SENDER) == []

    limited = [m.sid for m in client.messages.list(limit=4, page_size=3)]
    assert limited == list(reversed(mine + others))[:4]


# --------------------------------------------------------------------------------------------
# Redact and delete
# --------------------------------------------------------------------------------------------


def test_redact_body(client, default_tenant):
    """POST Messages/{Sid}.json with Body="" redacts the message: the body becomes empty and
    stays empty when fetched again."""
    message = client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="secret code 123456")
    wait_for_status(default_tenant, client, message.sid, "delivered")

    redacted = client.messages(message.sid).update(body="")
    assert redacted.sid == message.sid
    assert redacted.body == ""
    assert client.messages(message.sid).fetch().body == ""


def test_delete_after_delivery(client, default_tenant):
    """DELETE Messages/{Sid}.json on a delivered message answers 204 (the SDK returns True);
    afterwards the message is gone: fetch answers 404 with code 20404, and it leaves lists."""
    message = client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="to be deleted")
    wait_for_status(default_tenant, client, message.sid, "delivered")

    assert client.messages(message.sid).delete() is True

    with pytest.raises(TwilioRestException) as raised:
        client.messages(message.sid).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404
    assert [m.sid for m in client.messages.list()] == []


def test_unknown_message_is_404(client):
    """Fetching a well-formed SID that does not exist answers 404 with code 20404."""
    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_bad_credentials(mockingbird, make_client):
    """A wrong auth token is refused with 401 and code 20003, on reads and on writes."""
    client = make_client(ACCOUNT_SID, "not-the-token")
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="hi")
    assert raised.value.status == 401
    assert raised.value.code == 20003

    with pytest.raises(TwilioRestException) as raised:
        client.messages("SM" + "0" * 32).fetch()
    assert raised.value.status == 401
    assert raised.value.code == 20003

    # A list page that fails surfaces as the SDK's generic TwilioException carrying the response.
    with pytest.raises(TwilioException) as raised:
        client.messages.list()
    response = raised.value.args[1]
    assert response.status_code == 401
    assert json.loads(response.text)["code"] == 20003


@pytest.mark.parametrize(
    ("to", "from_", "body", "code"),
    [
        pytest.param("+1abc", FROM_NUMBER, "hi", 21211, id="invalid-to-21211"),
        pytest.param(REGISTERED_NUMBER, "+15550009999", "hi", 21606, id="from-not-owned-21606"),
        pytest.param(REGISTERED_NUMBER, FROM_NUMBER, "x" * 1601, 21617, id="body-over-1600-21617"),
        pytest.param("+15005550001", MAGIC_TEST_SENDER, "hi", 21211, id="magic-invalid-to-21211"),
    ],
)
def test_validation_errors(client, to, from_, body, code):
    """Twilio refuses a bad create with 400 and its documented code: 21211 for an invalid To
    (including the magic +15005550001), 21606 for a From the account does not own, 21617 for
    a body over 1,600 characters. Nothing is created."""
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=to, from_=from_, body=body)
    assert raised.value.status == 400
    assert raised.value.code == code
    assert client.messages.list() == []


def test_body_of_exactly_1600_chars_is_accepted(client):
    """1,600 characters is Twilio's limit itself, not over it: the message is accepted."""
    message = client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="x" * 1600)
    assert message.status == "queued"
    assert len(message.body) == 1600


# --------------------------------------------------------------------------------------------
# Status callbacks
# --------------------------------------------------------------------------------------------


def assert_signed(request, auth_token: str):
    signature = request.headers.get("X-Twilio-Signature")
    assert signature, f"no X-Twilio-Signature on {request.method} {request.url}"
    assert RequestValidator(auth_token).validate(request.url, request.form, signature), (
        f"signature {signature!r} does not validate for {request.url} {request.form}"
    )


def test_status_callbacks_are_signed_and_ordered(client, mockingbird, webhook_receiver):
    """Twilio POSTs a form-encoded callback to StatusCallback for each status after `queued`:
    `sent`, then `delivered`. Each is signed (X-Twilio-Signature over the full URL, query
    included, and the sorted parameters, with the account's auth token), and carries
    MessageSid/SmsSid, MessageStatus/SmsStatus, AccountSid, From, To, ApiVersion; `delivered`
    also carries RawDlrDoneDate."""
    callback_url = webhook_receiver.url("/twilio/status?tenant=t1&attempt=a")
    message = client.messages.create(
        to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="callback me", status_callback=callback_url
    )

    received = webhook_receiver.wait_for(
        lambda reqs: reqs if "delivered" in statuses(reqs) else None, timeout=5
    )
    assert statuses(received) == ["sent", "delivered"]

    for request in received:
        assert request.method == "POST"
        assert request.url == callback_url
        assert request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        assert_signed(request, AUTH_TOKEN)
        params = request.form
        status = params["MessageStatus"]
        assert params["MessageSid"] == message.sid
        assert params["SmsSid"] == message.sid
        assert params["SmsStatus"] == status
        assert params["AccountSid"] == ACCOUNT_SID
        assert params["From"] == FROM_NUMBER
        assert params["To"] == REGISTERED_NUMBER
        assert params["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in params

    sent, delivered = received
    assert "RawDlrDoneDate" not in sent.form
    assert delivered.form.get("RawDlrDoneDate", "").isdigit()
    assert len(delivered.form["RawDlrDoneDate"]) == 10  # YYMMDDhhmm

    # A tampered parameter no longer validates: the signature covers the parameters.
    tampered = dict(delivered.form, MessageStatus="failed")
    assert not RequestValidator(AUTH_TOKEN).validate(
        delivered.url, tampered, delivered.headers["X-Twilio-Signature"]
    )
    assert client.messages(message.sid).fetch().status == "delivered"


def test_failure_number_fails_with_30008(client, mockingbird, webhook_receiver, default_tenant):
    """A message that fails ends `failed` with error_code 30008 (Twilio's "unknown error"), and
    the `failed` callback carries ErrorCode=30008, signed like every other callback."""
    callback_url = webhook_receiver.url("/failed")
    message = client.messages.create(
        to=FAILURE_NUMBER, from_=FROM_NUMBER, body="will fail", status_callback=callback_url
    )
    assert message.status == "queued"

    failed = wait_for_status(default_tenant, client, message.sid, "failed")
    assert failed.error_code == 30008

    received = webhook_receiver.wait_for(
        lambda reqs: reqs if "failed" in statuses(reqs) else None, timeout=5
    )
    assert statuses(received)[-1] == "failed"
    assert "delivered" not in statuses(received)
    last = received[-1]
    assert_signed(last, AUTH_TOKEN)
    assert last.form["MessageSid"] == message.sid
    assert last.form["ErrorCode"] == "30008"
    assert "RawDlrDoneDate" not in last.form


# --------------------------------------------------------------------------------------------
# Subaccounts
# --------------------------------------------------------------------------------------------


def test_subaccount_is_isolated(client, mockingbird, make_client):
    """POST Accounts.json creates a subaccount with its own SID and auth token, owned by the
    parent. Its messages belong to it: they show in its own list (and in the parent's view of
    the subaccount), never in the parent's own Messages list."""
    sub = client.api.accounts.create(friendly_name="x")
    assert sub.sid.startswith("AC") and len(sub.sid) == 34
    assert sub.sid != ACCOUNT_SID
    assert sub.auth_token and sub.auth_token != AUTH_TOKEN
    assert sub.friendly_name == "x"
    assert sub.owner_account_sid == ACCOUNT_SID
    assert sub.status == "active"

    parent_message = client.messages.create(to=REGISTERED_NUMBER, from_=FROM_NUMBER, body="parent")

    sub_client = make_client(sub.sid, sub.auth_token)
    sub_message = sub_client.messages.create(to=REGISTERED_NUMBER, from_=MAGIC_TEST_SENDER, body="from the subaccount")
    assert sub_message.account_sid == sub.sid
    assert sub_message.status == "queued"

    assert [m.sid for m in client.messages.list()] == [parent_message.sid]
    assert [m.sid for m in sub_client.messages.list()] == [sub_message.sid]
    # The parent's credentials may act on its subaccount's resources.
    as_parent = make_client(ACCOUNT_SID, AUTH_TOKEN, account_sid=sub.sid)
    assert [m.sid for m in as_parent.messages.list()] == [sub_message.sid]
    # But the subaccount cannot see its parent's messages.
    with pytest.raises(TwilioRestException) as raised:
        sub_client.api.accounts(ACCOUNT_SID).messages(parent_message.sid).fetch()
    assert raised.value.status in (401, 404)
