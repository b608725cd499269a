"""The app's side of webhooks, for a test that has no app: an HTTP server on 127.0.0.1 that
records every request, answers it (200 with an empty body, or what a route says: TwiML, say),
and checks its signature: Twilio's `X-Twilio-Signature` with the SDK's own RequestValidator,
Meta's `X-Hub-Signature-256` with the app secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict
from twilio.request_validator import RequestValidator


@dataclass
class ReceivedRequest:
    method: str
    url: str  # the full URL as the sender called it: what Twilio signs
    path: str  # without the query
    headers: CaseInsensitiveDict  # looked up in any case: headers["X-Twilio-Signature"]
    body: bytes
    form: Dict[str, str]  # the first value of each form (or, for a GET, query) parameter
    form_pairs: List[Tuple[str, str]] = field(default_factory=list)  # every (name, value), in order

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)

    def twilio_signature_valid(self, auth_token: str) -> bool:
        """Whether `X-Twilio-Signature` is the one Twilio would send, by twilio-python's own
        RequestValidator (the form parameters for a POST, the query, in the URL, for a GET)."""
        signature = self.header("X-Twilio-Signature")
        if not signature:
            return False
        params = self.form if self.method == "POST" else {}
        return RequestValidator(auth_token).validate(self.url, params, signature)

    def meta_signature_valid(self, app_secret: str) -> bool:
        """Whether `X-Hub-Signature-256` is `sha256=` + HMAC-SHA256 of the raw body with the
        app secret, as Meta signs webhooks."""
        signature = self.header("X-Hub-Signature-256") or ""
        expected = "sha256=" + hmac.new(app_secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature, expected)

    def json(self):
        """The body, parsed as JSON (a Cloud API webhook)."""
        return json.loads(self.body)

    def whatsapp_messages(self) -> List[dict]:
        """The users' messages a Cloud API webhook carries (each `value.messages[]` of Meta's
        envelope, in order); none for any other request."""
        return self._whatsapp_values("messages")

    def whatsapp_statuses(self) -> List[dict]:
        """The status objects a Cloud API webhook carries (each `value.statuses[]` of Meta's
        envelope, in order: `id`, `status`, `recipient_id`, …); none for any other request."""
        return self._whatsapp_values("statuses")

    def _whatsapp_values(self, field_name: str) -> List[dict]:
        # Meta nests everything as entry[].changes[].value; one webhook may batch several.
        try:
            envelope = json.loads(self.body)
        except ValueError:  # a Twilio form, an empty body: not a Cloud API webhook
            return []
        if not isinstance(envelope, dict):
            return []
        return [
            item
            for entry in envelope.get("entry", [])
            for change in entry.get("changes", [])
            for item in change.get("value", {}).get(field_name, [])
        ]


# What a route answers: a body (str), or a function of the request returning one.
Answer = Union[str, bytes, Callable[[ReceivedRequest], Union[str, bytes]]]


@dataclass
class _Route:
    answer: Answer
    status: int
    content_type: str


class WebhookReceiver:
    """Records each request; answers 200 with an empty body unless a route says otherwise.

        with WebhookReceiver() as app:
            app.route("/sms", "<Response><Message>Thanks!</Message></Response>")
            tenant.numbers.add(NUMBER, sms_url=app.url("/sms"))
            ...
            request = app.wait_for_request("/sms")
            assert request.twilio_signature_valid(tenant.auth_token)
    """

    def __init__(self, answer: Optional[Callable[[ReceivedRequest], Tuple[int, str, bytes]]] = None) -> None:
        """`answer`, if given, answers each request no route matches with (status, content
        type, body): an app that decides per request, say one refusing bad signatures (403)."""
        self.requests: List[ReceivedRequest] = []
        self._routes: Dict[str, _Route] = {}
        self._default = answer
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                encoded = body.decode("utf-8", errors="replace") if self.command != "GET" else parts.query
                pairs = parse_qsl(encoded, keep_blank_values=True)
                form: Dict[str, str] = {}
                for name, value in pairs:
                    form.setdefault(name, value)
                request = ReceivedRequest(
                    method=self.command,
                    url=receiver.base_url + self.path,
                    path=parts.path,
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

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def route(self, path: str, answer: Answer, status: int = 200, content_type: str = "text/xml") -> "WebhookReceiver":
        """Answer requests to `path` with `answer` (a body, or a function of the request that
        returns one): TwiML for Twilio's webhooks, the challenge for Meta's handshake, …"""
        self._routes[path] = _Route(answer, status, content_type)
        return self

    def _answer(self, request: ReceivedRequest) -> Tuple[int, str, bytes]:
        route = self._routes.get(request.path)
        if route is None:
            return self._default(request) if self._default is not None else (200, "text/xml", b"")
        body = route.answer(request) if callable(route.answer) else route.answer
        return route.status, route.content_type, body.encode() if isinstance(body, str) else body

    def wait_for(self, predicate: Callable[[List[ReceivedRequest]], object], timeout: float = 5.0):
        """Wait until `predicate(requests so far)` is truthy and return its value; fail after
        `timeout` seconds, listing what did arrive."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate(list(self.requests))
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {r.method} {r.url} {r.form or r.body[:200]!r}" for r in self.requests) or "  (none)"
                    raise AssertionError(f"webhook receiver: the awaited request did not arrive within {timeout}s; received:\n{seen}")
                self._changed.wait(remaining)

    def wait_for_request(self, path: Optional[str] = None, timeout: float = 5.0, **form: str) -> ReceivedRequest:
        """The first request to `path` (any, when None) whose form has these values:
        `wait_for_request("/status", MessageStatus="delivered")`."""

        def matching(requests: List[ReceivedRequest]) -> Optional[ReceivedRequest]:
            for request in requests:
                if (path is None or request.path == path) and all(request.form.get(k) == v for k, v in form.items()):
                    return request
            return None

        return self.wait_for(matching, timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
