"""The pytest plugin (registered through the `pytest11` entry point):

- `mockingbird`: one server for the session. Started from $MOCKINGBIRD_BIN (or `mockingbird` on
  PATH) on free ports, or, when $MOCKINGBIRD_GRPC or $MOCKINGBIRD_READY_FILE names one, the
  server already running there.
- `tenant`: a fresh tenant per test, labelled with the test's id, deleted after it. Tenants
  keep tests apart on the shared server.
- `webhook_receiver`: an HTTP server on 127.0.0.1 for the app's side of webhooks.

`failed(request)` tells a fixture's teardown whether its test failed, as `tenant` asks before
showing the server's log.
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
        if failed(request):
            _show_server_log(mockingbird, created)


# Where the test item keeps its call phase's report (see pytest_runtest_makereport).
_CALL_REPORT = "_mockingbird_call_report"


def failed(request: pytest.FixtureRequest) -> bool:
    """Whether the test failed in its body (not in a fixture's setup), for a fixture's teardown
    that adds to the failure's report, such as a server's log:

        yield server
        if failed(request):
            print(server.log())
    """
    report = getattr(request.node, _CALL_REPORT, None)
    return report is not None and report.failed


# How many of the server's log lines about a failed test's tenant are shown with it.
LOG_LINES_SHOWN = 60


def _show_server_log(server: Mockingbird, tenant: Tenant) -> None:
    """Print (under "Captured stdout teardown") the started server's log lines that name the
    failed test's tenant: its requests, webhook attempts and warnings."""
    lines = [line for line in server.log().splitlines() if tenant.account_sid in line]
    if lines:
        print(f"--- mockingbird log, tenant {tenant.account_sid} (last {LOG_LINES_SHOWN} lines) ---")
        print("\n".join(lines[-LOG_LINES_SHOWN:]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep the call phase's report on the test item: fixtures' teardowns, which run after it,
    # ask it through `failed`.
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        setattr(item, _CALL_REPORT, report)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver
