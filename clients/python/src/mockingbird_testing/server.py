"""A mockingbird server: started here on free ports, or one already running."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

import grpc

from mockingbird_testing.proto import (
    calls_pb2_grpc,
    clock_pb2_grpc,
    events_pb2_grpc,
    messages_pb2_grpc,
    numbers_pb2_grpc,
    rules_pb2_grpc,
    tenants_pb2,
    tenants_pb2_grpc,
    whatsapp_pb2_grpc,
)
from mockingbird_testing.tenant import Tenant

READY_TIMEOUT_SECONDS = 15.0
# Every control-plane call's deadline, unless it waits on purpose (WaitFor takes its own).
RPC_TIMEOUT_SECONDS = 30.0
# The control plane's bearer token, under the name the server itself reads it by
# (`control.token`), so a server and the tests started with one environment agree.
TOKEN_VARIABLE = "MOCKINGBIRD_CONTROL__TOKEN"


class _CallDetails(
    collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
    grpc.ClientCallDetails,
):
    pass


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds `authorization: Bearer <token>` to every call (the server's `control.token`)."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _details(self, details):
        metadata = [*(details.metadata or ()), self._header]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials, details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)


class Stubs:
    """The generated stub of each control-plane service, on one channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.tenants = tenants_pb2_grpc.TenantsStub(channel)
        self.numbers = numbers_pb2_grpc.NumbersStub(channel)
        self.rules = rules_pb2_grpc.RulesStub(channel)
        self.clock = clock_pb2_grpc.ClockStub(channel)
        self.messages = messages_pb2_grpc.MessagesStub(channel)
        self.events = events_pb2_grpc.EventsStub(channel)
        self.whatsapp = whatsapp_pb2_grpc.WhatsAppStub(channel)
        self.calls = calls_pb2_grpc.CallsStub(channel)


def find_binary(binary: Union[str, Path, None] = None) -> Path:
    """The server binary: `binary`, else $MOCKINGBIRD_BIN, else `mockingbird` on PATH."""
    candidate = binary or os.environ.get("MOCKINGBIRD_BIN") or shutil.which("mockingbird")
    if not candidate:
        raise FileNotFoundError("the mockingbird binary was not found: pass binary=…, set MOCKINGBIRD_BIN, or put `mockingbird` on PATH")
    path = Path(candidate)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"{path} is not an executable file (the mockingbird binary)")
    return path


def _grpc_target(address: str) -> str:
    """`127.0.0.1:50051` from that, or from `http://127.0.0.1:50051` as the CLI prints it."""
    for scheme in ("http://", "https://"):
        if address.startswith(scheme):
            address = address[len(scheme):]
    return address.rstrip("/")


class Mockingbird:
    """A server and its control plane. Use `Mockingbird.start()` or `Mockingbird.connect()`,
    each a context manager (or call `close()`)."""

    def __init__(self, grpc_address: str, http_url: Optional[str] = None, token: Optional[str] = None) -> None:
        self.grpc_address = _grpc_target(grpc_address)
        # Where apps reach the Twilio and Cloud API facades: `http://127.0.0.1:PORT`.
        self.http_url = http_url.rstrip("/") if http_url else None
        self.token = token
        # Loopback or a named host: never through a proxy the environment may name.
        channel = grpc.insecure_channel(self.grpc_address, options=[("grpc.enable_http_proxy", 0)])
        self._channel = grpc.intercept_channel(channel, _BearerToken(token)) if token else channel
        self._raw_channel = channel
        self.stubs = Stubs(self._channel)
        self.rpc_timeout = RPC_TIMEOUT_SECONDS
        self._process: Optional[subprocess.Popen] = None
        self._workdir: Optional[tempfile.TemporaryDirectory] = None
        self.log_path: Optional[Path] = None  # the log of a server started here

    # ---- starting and connecting ------------------------------------------------------------

    @classmethod
    def start(
        cls,
        binary: Union[str, Path, None] = None,
        *,
        config: str = "",
        settings: Optional[Mapping[str, object]] = None,
        token: Optional[str] = None,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
    ) -> "Mockingbird":
        """Start the binary on free ports (HTTP and gRPC on port 0, an in-memory database) and
        wait for its ready file.

        `config` is YAML for the config file; `settings` are `--set key=value` overrides
        (`{"twilio.callbacks.delay_seconds": 1}`); `token` becomes `control.token`, and this
        client sends it. The server sees none of the environment's MOCKINGBIRD_* variables, so
        the test's own settings (MOCKINGBIRD_BIN, …) never configure it by accident.
        """
        path = find_binary(binary)
        workdir = tempfile.TemporaryDirectory(prefix="mockingbird-")
        directory = Path(workdir.name)
        ready = directory / "ready.json"
        log_path = directory / "server.log"
        command = [
            str(path), "serve",
            "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0",
            "--database", ":memory:", "--ready-file", str(ready),
        ]
        if config:
            (directory / "config.yaml").write_text(config)
            command += ["--config", str(directory / "config.yaml")]
        overrides: Dict[str, object] = dict(settings or {})
        if token:
            overrides["control.token"] = token
        for key, value in overrides.items():
            command += ["--set", f"{key}={_yaml_scalar(value)}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKINGBIRD_")}
        # Webhooks go to 127.0.0.1: never through a proxy the environment may name.
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env["NO_COLOR"] = "1"  # plain logs in failure reports
        with open(log_path, "wb") as log:
            # cwd: the temp dir, so no ./config.yaml of the caller's is read.
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=directory)
        try:
            addresses = _wait_for_ready_file(ready, process, log_path, command, ready_timeout)
        except BaseException:
            _stop(process)
            workdir.cleanup()
            raise
        server = cls(addresses["grpc"], f"http://{addresses['http']}", token)
        server._process, server._workdir = process, workdir
        server.log_path = log_path
        return server

    @classmethod
    def connect(
        cls,
        address: Optional[str] = None,
        *,
        http_url: Optional[str] = None,
        token: Optional[str] = None,
        ready_file: Union[str, Path, None] = None,
    ) -> "Mockingbird":
        """A server already running. The control plane's address is `address`, else
        $MOCKINGBIRD_GRPC, else the `grpc` of the ready file (`ready_file` or
        $MOCKINGBIRD_READY_FILE), which also gives the HTTP address; the token is `token`,
        else $MOCKINGBIRD_CONTROL__TOKEN (the server's own variable for `control.token`)."""
        ready_file = ready_file or os.environ.get("MOCKINGBIRD_READY_FILE")
        addresses = json.loads(Path(ready_file).read_text()) if ready_file else {}
        address = address or os.environ.get("MOCKINGBIRD_GRPC") or addresses.get("grpc")
        if not address:
            raise ValueError("no server to connect to: pass an address, or set MOCKINGBIRD_GRPC or MOCKINGBIRD_READY_FILE")
        if http_url is None and addresses.get("http"):
            http_url = f"http://{addresses['http']}"
        return cls(address, http_url, token or os.environ.get(TOKEN_VARIABLE))

    # ---- tenants ---------------------------------------------------------------------------

    def tenant(self, label: str = "") -> Tenant:
        """A new tenant with fresh credentials; use it in a `with` block to delete it after."""
        created = self.stubs.tenants.CreateTenant(tenants_pb2.CreateTenantRequest(label=label), timeout=self.rpc_timeout)
        return Tenant(self, created)

    def account(self, account_sid: str = "") -> Tenant:
        """A tenant the server already has, by its account SID (the config file's account when
        empty), to act on as on a test's own; a `with` block leaves it in place."""
        found = self.stubs.tenants.GetTenant(tenants_pb2.GetTenantRequest(account_sid=account_sid), timeout=self.rpc_timeout)
        return Tenant(self, found, owned=False)

    def default_tenant(self) -> Tenant:
        """The config file's account: the tenant an app without control-plane calls talks to."""
        return self.account()

    def tenants(self) -> List[Tenant]:
        """Every tenant on the server, oldest first, the config file's account among them; as
        with `account`, a `with` block leaves each in place."""
        listed = self.stubs.tenants.ListTenants(tenants_pb2.ListTenantsRequest(), timeout=self.rpc_timeout)
        return [Tenant(self, found, owned=False) for found in listed.tenants]

    # ---- the process -----------------------------------------------------------------------

    def log(self) -> str:
        """What a server started here has printed so far (empty for a connected one)."""
        path = self.log_path
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def close(self) -> None:
        """Close the channel; stop the server if it was started here."""
        self._raw_channel.close()
        if self._process is not None:
            _stop(self._process)
            self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> "Mockingbird":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Mockingbird(grpc={self.grpc_address!r}, http={self.http_url!r})"


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _wait_for_ready_file(ready: Path, process: subprocess.Popen, log_path: Path, command, timeout: float) -> dict:
    """The ready file's addresses, once the server has written it whole."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            addresses = json.loads(ready.read_text())
            if addresses.get("http") and addresses.get("grpc"):
                return addresses
        except (FileNotFoundError, ValueError):
            pass  # not there yet, or half-written
        if process.poll() is not None:
            raise RuntimeError(
                f"mockingbird exited with status {process.returncode} before it was ready\n"
                f"command: {' '.join(command)}\n--- server output ---\n{log_path.read_text(errors='replace')}"
            )
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"mockingbird did not write {ready} within {timeout}s\n"
                f"command: {' '.join(command)}\n--- server output ---\n{log_path.read_text(errors='replace')}"
            )
        time.sleep(0.02)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
