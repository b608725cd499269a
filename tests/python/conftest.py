"""This suite's fixtures, built on mockingbird_testing (its pytest plugin gives `webhook_receiver`).

Every test gets a server of its own, started by `Mockingbird.start` with this suite's config file
(the default account, its registered, allowed and failure numbers), so no test sees another's
messages, subaccounts or callbacks. Starting one takes a few tens of milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest
from twilio.rest import Client

from mockingbird_testing import Mockingbird, Tenant
from mockingbird_testing.pytest_plugin import failed
from mockingbird_testing.server import Stubs
from mockingbird_testing.twilio_redirect import twilio_client

REPO = Path(__file__).resolve().parents[2]

# The values the tests use from the suite's config file, tests/seed-config.yaml (read below).
ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "mockingbirdtesttoken0123456789ab"
FROM_NUMBER = "+15550000001"
REGISTERED_NUMBER = "+15551234567"
FAILURE_NUMBER = "+15559999999"


def read_seed_config(path: Path) -> str:
    """The config file's text, once it is checked to name the values above (the suite has no YAML
    parser, so it looks for each line `key: "value"` or `key: ["value"]`): they cannot drift."""
    text = path.read_text()
    named = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "allowed_from_numbers": FROM_NUMBER,
        "registered_numbers": REGISTERED_NUMBER,
        "failure_numbers": FAILURE_NUMBER,
    }
    lines = {line.strip() for line in text.splitlines()}
    for key, value in named.items():
        if f'{key}: "{value}"' not in lines and f'{key}: ["{value}"]' not in lines:
            raise RuntimeError(f'{path} does not say {key}: "{value}", as conftest.py does: change both together')
    return text


# Read and checked once, when pytest loads this file.
SEED_CONFIG = read_seed_config(REPO / "tests" / "seed-config.yaml")


# --------------------------------------------------------------------------------------------
# The server, its control plane and the SDK client
# --------------------------------------------------------------------------------------------


def config(extra_config: str = "") -> str:
    """The suite's config file (tests/seed-config.yaml), with `extra_config` (YAML) appended."""
    return SEED_CONFIG + extra_config


@pytest.fixture
def mockingbird_extra_config() -> str:
    """YAML appended to the test config; a test module overrides it (a `whatsapp:` section)."""
    return ""


@pytest.fixture
def mockingbird(request: pytest.FixtureRequest, mockingbird_extra_config: str) -> Iterator[Mockingbird]:
    """A fresh mockingbird for this test (the plugin's is one per session), stopped at teardown.
    The plugin's `tenant` fixture makes its tenant on this server."""
    with Mockingbird.start(config=config(mockingbird_extra_config)) as server:
        yield server
        if failed(request):
            # Shown under "Captured stdout teardown" of the failed test.
            print(f"--- mockingbird output ({server.log_path}) ---\n{server.log()}")


@pytest.fixture
def default_tenant(mockingbird: Mockingbird) -> Tenant:
    """The config file's account as the client's Tenant: its events, its clock (not deleted after)."""
    return mockingbird.default_tenant()


@pytest.fixture
def control(mockingbird: Mockingbird) -> Stubs:
    """This test's server's control plane: the generated stub of each service."""
    return mockingbird.stubs


@pytest.fixture
def make_client(mockingbird: Mockingbird) -> Callable[..., Client]:
    """Build an SDK client against this test's server: make_client(sid, token, account_sid=None)."""

    def make(username: str, password: str, account_sid: Optional[str] = None) -> Client:
        return twilio_client(mockingbird.http_url, username, password, account_sid=account_sid)

    return make


@pytest.fixture
def client(make_client) -> Client:
    """An SDK client with the config file's account."""
    return make_client(ACCOUNT_SID, AUTH_TOKEN)
