"""Test against mockingbird, the local Twilio and WhatsApp Cloud API.

    from mockingbird_testing import Mockingbird

    with Mockingbird.start() as mb, mb.tenant(label="checkout") as tenant:
        ...
        tenant.wait_for("message_status_changed", sid=message.sid, status="delivered")

With pytest, the plugin this package registers gives each test a `tenant` on one server per
session (`mockingbird`); see README.md.
"""

from mockingbird_testing import rules
from mockingbird_testing.events import EventNotFound, EventStream
from mockingbird_testing.server import Mockingbird, find_binary
from mockingbird_testing.tenant import Call, Tenant, WhatsAppUser
from mockingbird_testing.twilio_redirect import RedirectingHttpClient, twilio_client
from mockingbird_testing.webhooks import ReceivedRequest, WebhookReceiver

__all__ = [
    "Call",
    "EventNotFound",
    "EventStream",
    "Mockingbird",
    "ReceivedRequest",
    "RedirectingHttpClient",
    "Tenant",
    "WebhookReceiver",
    "WhatsAppUser",
    "find_binary",
    "rules",
    "twilio_client",
]
