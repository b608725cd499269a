"""The official twilio-python SDK, pointed at mockingbird.

The SDK has no base-URL setting; its supported extension point is a custom HTTP client. This one
keeps every request's path and query and swaps the scheme and host, so paging links
(`next_page_uri`) follow it too.
"""

from __future__ import annotations

from typing import List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

# The SDK waits forever by default; a server that stopped answering should fail the test.
REQUEST_TIMEOUT_SECONDS = 10.0


class RedirectingHttpClient(TwilioHttpClient):
    """twilio-python's own HTTP client, sending each request to `base_url` instead of
    *.twilio.com. `requests_made` keeps the (method, url) of each, to see how the SDK paged."""

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url)
        self.session.trust_env = False  # loopback: never through a proxy the environment names
        self.requests_made: List[Tuple[str, str]] = []

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        local = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        self.requests_made.append((method.upper(), local))
        return super().request(method, local, *args, **kwargs)


def twilio_client(base_url: str, username: str, password: str, account_sid: Optional[str] = None) -> Client:
    """A `twilio.rest.Client` whose requests go to the mockingbird at `base_url`."""
    return Client(username, password, account_sid=account_sid, http_client=RedirectingHttpClient(base_url))
