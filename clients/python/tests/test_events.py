"""Waiting for events, streaming them, and reaching a server that is already running."""

import grpc
import pytest

from mockingbird_testing import EventNotFound, Mockingbird
from mockingbird_testing.proto import common_pb2

NUMBER = "+15550101010"
USER = "+15557654321"


def test_wait_for_fails_with_the_servers_near_miss_explanation(tenant):
    tenant.numbers.add(NUMBER)
    tenant.clock.freeze()  # nothing moves: the message stays queued
    message = tenant.twilio_client().messages.create(to=USER, from_=NUMBER, body="hi")

    with pytest.raises(EventNotFound) as raised:
        tenant.wait_for("message_status_changed", sid=message.sid, status="delivered", timeout=0.2)

    explanation = str(raised.value)
    assert isinstance(raised.value, AssertionError)  # pytest reports it as a failed assertion
    assert "nearest" in explanation and message.sid in explanation
    assert "wanted message_status_changed" in explanation


def test_subscribe_streams_a_messages_lifecycle_in_order(tenant):
    tenant.numbers.add(NUMBER)
    tenant.clock.freeze()
    message = tenant.twilio_client().messages.create(to=USER, from_=NUMBER, body="hi")

    with tenant.subscribe("message_created", "message_status_changed", sid=message.sid) as stream:
        created = stream.next()  # stored before the subscription: replayed
        tenant.clock.advance(5)  # live from here
        changes = [stream.next().message_status_changed for _ in range(2)]

    assert created.message_created.message.sid == message.sid
    queued, sent, delivered = (common_pb2.MESSAGE_STATUS_QUEUED, common_pb2.MESSAGE_STATUS_SENT, common_pb2.MESSAGE_STATUS_DELIVERED)
    assert [(c.previous, c.status) for c in changes] == [(queued, sent), (sent, delivered)]


def test_a_subscription_that_hears_nothing_fails_after_its_timeout(tenant):
    with tenant.subscribe("call_created", live_only=True, timeout=0.2) as stream:
        with pytest.raises(EventNotFound):
            stream.next()


def test_connect_reaches_a_running_server_with_its_control_token(monkeypatch):
    with Mockingbird.start(token="s3cret-token") as running:
        monkeypatch.setenv("MOCKINGBIRD_GRPC", f"http://{running.grpc_address}")  # as the CLI prints it
        monkeypatch.setenv("MOCKINGBIRD_CONTROL__TOKEN", "s3cret-token")
        with Mockingbird.connect(http_url=running.http_url) as connected, connected.tenant(label="connected") as tenant:
            assert tenant.account_sid.startswith("AC")
            assert tenant.twilio_client().api.v2010.accounts(tenant.account_sid).fetch().friendly_name == "connected"

        monkeypatch.delenv("MOCKINGBIRD_CONTROL__TOKEN")
        with Mockingbird.connect() as without_token, pytest.raises(grpc.RpcError) as refused:
            without_token.tenant()
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_start_says_where_it_looked_for_a_missing_binary(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        Mockingbird.start(tmp_path / "no-such-mockingbird")
    assert "no-such-mockingbird is not an executable file" in str(raised.value)
