"""Fixtures for running the official twilio-python SDK against a local mockingbird.

Every test gets a server of its own (started on port 0 with an in-memory database), so no test
sees another's messages, subaccounts or callbacks. Starting one takes a few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import grpc
import pytest
from requests.structures import CaseInsensitiveDict
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 15.0
# Every SDK request's own limit: the SDK waits forever by default, so a server that stopped
# answering would hang a poll instead of failing it.
REQUEST_TIMEOUT_SECONDS = 10.0

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "mockingbirdtesttoken0123456789ab"
FROM_NUMBER = "+15550000001"
REGISTERED_NUMBER = "+15551234567"
FAILURE_NUMBER = "+15559999999"

CONFIG_TEMPLATE = """\
twilio:
  account_sid: "{account_sid}"
  auth_token: "{auth_token}"
  validation:
    require_auth: true
    validate_phone_format: true
    check_from_numbers: true
    require_parameters: true
  default_behavior: success
  registered_numbers: ["{registered}"]
  allowed_from_numbers: ["{from_number}"]
  failure_numbers: ["{failure}"]
  callbacks:
    enabled: true
    delay_seconds: 0.1
    retry_attempts: 3
    retry_delay_seconds: 0.2
    timeout_seconds: 2
"""


# --------------------------------------------------------------------------------------------
# Polling
# --------------------------------------------------------------------------------------------


def wait_until(probe: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    """Call `probe` until it returns something truthy, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@dataclass
class Mockingbird:
    """A running server: where it listens and the default account's credentials."""

    base_url: str
    account_sid: str
    auth_token: str
    process: subprocess.Popen
    log_path: Path
    grpc_address: str  # the control plane, `127.0.0.1:PORT`

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _binary() -> Path:
    path = Path(os.environ.get("MOCKINGBIRD_BIN") or REPO / "target" / "debug" / "mockingbird")
    if not path.is_file():
        pytest.fail(f"mockingbird binary not found at {path}: run `cargo build` or set MOCKINGBIRD_BIN")
    return path


def _read_ready_file(path: Path) -> Optional[str]:
    """The `http` address in the ready file, or None while it is absent or half-written."""
    try:
        return json.loads(path.read_text())["http"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def mockingbird_extra_config() -> str:
    """YAML appended to the test config; a test module overrides it (a `whatsapp:` section)."""
    return ""


@contextlib.contextmanager
def running_mockingbird(directory: Path, extra_config: str = "") -> Iterator[Mockingbird]:
    """Start mockingbird with its config, ready file and log in `directory`; stop it on exit."""
    config = directory / "config.yaml"
    config.write_text(
        CONFIG_TEMPLATE.format(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            registered=REGISTERED_NUMBER,
            from_number=FROM_NUMBER,
            failure=FAILURE_NUMBER,
        )
        + extra_config
    )
    ready = directory / "ready.json"
    log_path = directory / "server.log"
    env = dict(os.environ)
    # The server reads every MOCKINGBIRD_* variable as a config override and refuses unknown
    # keys; this harness's own variables are not config, so the server must not see them.
    # Callbacks go to 127.0.0.1: never through a proxy the environment may name.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"  # plain server logs in failure reports
    command = [
        str(_binary()),
        "serve",
        "--config", str(config),
        "--host", "127.0.0.1",
        "--port", "0",
        "--grpc-port", "0",
        "--database", ":memory:",
        "--ready-file", str(ready),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=directory)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            address = _read_ready_file(ready)
            if address is not None:
                break
            if process.poll() is not None:
                pytest.fail(
                    f"mockingbird exited with status {process.returncode} before it was ready\n"
                    f"command: {' '.join(command)}\n--- server output ---\n{log_path.read_text(errors='replace')}"
                )
            if time.monotonic() >= deadline:
                pytest.fail(
                    f"mockingbird did not write {ready} within {READY_TIMEOUT_SECONDS}s\n"
                    f"command: {' '.join(command)}\n--- server output ---\n{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.02)
        grpc_address = json.loads(ready.read_text())["grpc"]
        yield Mockingbird(f"http://{address}", ACCOUNT_SID, AUTH_TOKEN, process, log_path, grpc_address)
    finally:
        _stop(process)


@pytest.fixture
def mockingbird(tmp_path: Path, request: pytest.FixtureRequest, mockingbird_extra_config: str) -> Iterator[Mockingbird]:
    """A fresh mockingbird for this test, stopped at teardown."""
    with running_mockingbird(tmp_path, mockingbird_extra_config) as server:
        yield server
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            # Shown under "Captured stdout teardown" of the failed test.
            print(f"--- mockingbird output ({server.log_path}) ---\n{server.log()}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --------------------------------------------------------------------------------------------
# The SDK client
# --------------------------------------------------------------------------------------------


class MockHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending every request to mockingbird instead of *.twilio.com.

    Keeps the method and rewritten URL of every request in `requests_made`, so that tests can
    see how the SDK paged.
    """

    def __init__(self, base_url: str):
        super().__init__(timeout=REQUEST_TIMEOUT_SECONDS)
        self.base = urlsplit(base_url)
        self.session.trust_env = False  # loopback only: ignore proxy settings
        self.requests_made: List[tuple] = []

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        local = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        self.requests_made.append((method.upper(), local, kwargs.get("params")))
        return super().request(method, local, *args, **kwargs)


@pytest.fixture
def make_client(mockingbird: Mockingbird) -> Callable[..., Client]:
    """Build an SDK client against this test's server: make_client(sid, token, account_sid=None)."""

    def make(username: str, password: str, account_sid: Optional[str] = None) -> Client:
        return Client(username, password, account_sid=account_sid, http_client=MockHttpClient(mockingbird.base_url))

    return make


@pytest.fixture
def client(mockingbird: Mockingbird, make_client) -> Client:
    """An SDK client with the default account's credentials."""
    return make_client(mockingbird.account_sid, mockingbird.auth_token)


# --------------------------------------------------------------------------------------------
# The webhook receiver
# --------------------------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    method: str
    url: str  # the full URL as the sender called it (what Twilio signs)
    path: str
    headers: CaseInsensitiveDict
    body: bytes
    form: dict  # first value of each form parameter
    form_pairs: list = field(default_factory=list)  # every (name, value), in order


# What a receiver answers: HTTP status, content type, body.
Answer = Tuple[int, str, bytes]


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records each request and answers it: 200 with an empty
    body, or what `answer(request)` returns (an app's TwiML, say)."""

    def __init__(self, answer: Optional[Callable[[ReceivedRequest], Answer]] = None) -> None:
        self.requests: List[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._answer = answer or (lambda request: (200, "text/xml", b""))
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
                form: dict = {}
                for name, value in pairs:
                    form.setdefault(name, value)
                request = ReceivedRequest(
                    method=self.command,
                    url=receiver.base_url + self.path,
                    path=self.path,
                    headers=CaseInsensitiveDict(self.headers.items()),
                    body=body,
                    form=form,
                    form_pairs=pairs,
                )
                # Recorded before the answer goes out: whoever waits on the answer (the server,
                # and the test behind it) then finds the request already there.
                with receiver._changed:
                    receiver.requests.append(request)
                    receiver._changed.notify_all()
                status, content_type, answer = receiver._answer(request)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _record

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True)

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def wait_for(self, predicate: Callable[[List[ReceivedRequest]], object], timeout: float = 5.0):
        """Wait until `predicate(requests so far)` is truthy and return its value.

        Wakes on every new request; fails with the requests received so far after `timeout`.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate(list(self.requests))
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {r.method} {r.url} {r.form}" for r in self.requests) or "  (none)"
                    raise AssertionError(f"webhook receiver: condition not met within {timeout}s; received:\n{seen}")
                self._changed.wait(remaining)

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


# --------------------------------------------------------------------------------------------
# The control plane
# --------------------------------------------------------------------------------------------

# Python stubs of proto/, generated for every session so they never go stale. The same command by
# hand: python -m grpc_tools.protoc -I proto --python_out=OUT --grpc_python_out=OUT proto/mockingbird/v1/*.proto
GENERATED = Path(__file__).resolve().parent / ".generated"


def pytest_configure(config: pytest.Config) -> None:
    protos = sorted(str(p.relative_to(REPO)) for p in (REPO / "proto").rglob("*.proto"))
    GENERATED.mkdir(exist_ok=True)
    out = f"--python_out={GENERATED}", f"--grpc_python_out={GENERATED}"
    # `python -m grpc_tools.protoc` puts the well-known types (google/protobuf/*.proto) it ships
    # on the include path itself: no system protoc, nothing else to install.
    generate = [sys.executable, "-m", "grpc_tools.protoc", "-I", "proto", *out, *protos]
    result = subprocess.run(generate, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        raise pytest.UsageError(f"generating the gRPC stubs failed: {' '.join(generate)}\n{result.stderr}")
    # The generated modules import each other as `mockingbird.v1.*_pb2`.
    sys.path.insert(0, str(GENERATED))


class Control:
    """A client of each control-plane service, on one channel: control.tenants.CreateTenant(…)."""

    def __init__(self, channel: grpc.Channel) -> None:
        from mockingbird.v1 import (
            calls_pb2_grpc,
            clock_pb2_grpc,
            events_pb2_grpc,
            messages_pb2_grpc,
            numbers_pb2_grpc,
            rules_pb2_grpc,
            tenants_pb2_grpc,
            whatsapp_pb2_grpc,
        )

        self.channel = channel
        self.tenants = tenants_pb2_grpc.TenantsStub(channel)
        self.rules = rules_pb2_grpc.RulesStub(channel)
        self.numbers = numbers_pb2_grpc.NumbersStub(channel)
        self.messages = messages_pb2_grpc.MessagesStub(channel)
        self.events = events_pb2_grpc.EventsStub(channel)
        self.clock = clock_pb2_grpc.ClockStub(channel)
        self.whatsapp = whatsapp_pb2_grpc.WhatsAppStub(channel)
        self.calls = calls_pb2_grpc.CallsStub(channel)


@pytest.fixture
def control(mockingbird: Mockingbird) -> Iterator[Control]:
    """This test's server's control plane (the ready file's `grpc` address)."""
    # Loopback only: never through a proxy the environment may name.
    with grpc.insecure_channel(mockingbird.grpc_address, options=[("grpc.enable_http_proxy", 0)]) as channel:
        yield Control(channel)
