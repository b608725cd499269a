"""The pytest plugin (registered through the `pytest11` entry point):

- `mockingbird`: one server for the session. Started from $MOCKINGBIRD_BIN (or `mockingbird` on
  PATH) on free ports, or, when $MOCKINGBIRD_GRPC or $MOCKINGBIRD_READY_FILE names one, the
  server already running there.
- `tenant`: a fresh tenant per test, labelled with the test's id, deleted after it. Tenants
  keep tests apart on the shared server.
- `webhook_receiver`: an HTTP server on 127.0.0.1 for the app's side of webhooks.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from mockingbird_testing.server import Mockingbird
from mockingbird_testing.tenant import Tenant
from mockingbird_testing.webhooks import WebhookReceiver


@pytest.fixture(scope="session")
def mockingbird() -> Iterator[Mockingbird]:
    if os.environ.get("MOCKINGBIRD_GRPC") or os.environ.get("MOCKINGBIRD_READY_FILE"):
        server = Mockingbird.connect()
    else:
        server = Mockingbird.start()
    with server:
        yield server


@pytest.fixture
def tenant(mockingbird: Mockingbird, request: pytest.FixtureRequest) -> Iterator[Tenant]:
    with mockingbird.tenant(label=request.node.nodeid) as created:
        yield created


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
