"""A WhatsApp bot written with pywa (the most used Python framework for the Cloud API) against
mockingbird, as a team would test theirs: pywa's own Flask webhook server, with the app secret
checking every webhook's X-Hub-Signature-256 and the verify token answering Meta's handshake,
and pywa's own Graph client sending the replies to mockingbird.

mockingbird plays the users (the Python client's `tenant.whatsapp_user`, one of every message
type it can simulate) and decides each send's fate (rules: a `failed` status with Meta's error,
a synchronous 130429). The bot's handlers receive typed updates (`Message`, `CallbackButton`,
`CallbackSelection`, `FlowCompletion`, `MessageStatus`) and answer through pywa (text, reply
buttons, a list, an uploaded image, a template); the tests assert on the typed updates and on
what mockingbird captured. (`failed` statuses are the exception: pywa 4.5.0 cannot type them as
Meta sends them, so the bot reads them from its raw-update handler; see `Bot`.)

pywa builds every Graph URL from `https://graph.facebook.com/v{api_version}` with no setting to
change it (`pywa/api.py`, `GraphAPI.__init__`), so the bot is pointed at mockingbird the way
pywa lets one configure its HTTP: the `session=` httpx client, here with a transport that sends
Graph requests to mockingbird. Media URLs mockingbird hands out already point at it.

One mockingbird, one tenant and one bot serve the whole module; each test speaks as its own
users, so the tests do not see each other's updates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

import flask
import httpx
import pytest
from pywa import WhatsApp
from pywa import errors as pywa_errors
from pywa.types import (
    Button,
    CallbackButton,
    CallbackSelection,
    FlowCompletion,
    Message,
    MessageStatus,
    MessageStatusType,
    MessageType,
    RawUpdate,
    Section,
    SectionList,
    SectionRow,
)
from pywa.types.templates import BodyText, TemplateLanguage
from werkzeug.serving import make_server

from conftest import config
from mockingbird_testing import Mockingbird, Tenant, WhatsAppUser, rules
from mockingbird_testing.proto import common_pb2, whatsapp_pb2

# Every wait in this module: long enough for a loaded CI machine, short enough to fail fast.
WAIT_SECONDS = 10.0

# A 1x1 PNG: what the bot sends back as a receipt.
RECEIPT_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# --------------------------------------------------------------------------------------------
# What the bot receives
# --------------------------------------------------------------------------------------------


@dataclass
class Received:
    kind: str  # "message", "button", "selection", "flow", "status", "failed", "typing", "sent", "send_error"
    update: Any
    extra: dict


class Inbox:
    """Everything a bot's handlers saw, in order; tests take what they wait for."""

    def __init__(self, problems: "ProblemLog") -> None:
        self._items: List[Received] = []
        self._changed = threading.Condition()
        self._problems = problems

    def put(self, kind: str, update: Any, **extra: Any) -> None:
        with self._changed:
            self._items.append(Received(kind, update, extra))
            self._changed.notify_all()

    def take(self, kind: str, predicate: Callable[[Any], bool], what: str, timeout: float = WAIT_SECONDS, whole: bool = False) -> Received:
        """Remove and return the first `kind` item whose update (the whole item with `whole`)
        matches; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for item in self._items:
                    if item.kind == kind and predicate(item if whole else item.update):
                        self._items.remove(item)
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {i.kind}: {i.update!r:.200}" for i in self._items[-10:]) or "  (nothing)"
                    raise AssertionError(
                        f"the bot did not receive {what} within {timeout}s.\nIt received:\n{seen}\n"
                        f"pywa logged:\n{self._problems.text()}"
                    )
                self._changed.wait(remaining)

    def take_from(self, kind: str, wa_id: str, what: str) -> Received:
        """`take` the first `kind` update from the user with this WhatsApp number."""
        return self.take(kind, lambda update: update.from_user.wa_id == wa_id, what)

    def kinds(self) -> List[str]:
        with self._changed:
            return [item.kind for item in self._items]


class ProblemLog(logging.Handler):
    """pywa's warnings and errors: it logs an update it cannot parse instead of raising, so a
    failed wait shows why."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: List[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.records[-20:]) or "  (nothing)"


# --------------------------------------------------------------------------------------------
# The bot
# --------------------------------------------------------------------------------------------


class ToMockingbird(httpx.HTTPTransport):
    """httpx's own transport, with requests for graph.facebook.com sent to mockingbird."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            request.url = request.url.copy_with(scheme=self._base.scheme, host=self._base.host, port=self._base.port)
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return super().handle_request(request)


class Bot:
    """A pywa bot on its own Flask server at 127.0.0.1:<free port><endpoint>.

    What it answers: "hi" is marked read with a typing indicator and gets a greeting with two
    reply buttons, "list" a list, "photo" an
    uploaded image, "order" the `order_update` template, "code" the `login_code` one; media is downloaded and acknowledged
    with its size; a tapped button gets "You chose …". Every update and every send (or send
    error) goes to `inbox`.
    """

    def __init__(self, graph_base_url: str, identity, *, verify_token: str, app_secret: str, endpoint: str = "/whatsapp") -> None:
        self.problems = ProblemLog()
        self.inbox = Inbox(self.problems)
        self.app = flask.Flask(f"pywa-bot-{id(self)}")
        session = httpx.Client(transport=ToMockingbird(graph_base_url), timeout=10.0, trust_env=False)
        self.wa = WhatsApp(
            phone_id=identity.phone_number_id,
            token=identity.access_token,
            session=session,
            server=self.app,
            webhook_endpoint=endpoint,
            verify_token=verify_token,
            app_secret=app_secret,
            waba_id=identity.business_account_id,  # updates for another WABA are dropped
        )
        self._install_handlers()
        self._http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._http.server_port}{endpoint}"
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="pywa-bot", daemon=True)

    def start(self) -> "Bot":
        logging.getLogger("pywa").addHandler(self.problems)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
        logging.getLogger("pywa").removeHandler(self.problems)

    def _send(self, update: Any, send: Callable[[], Any]) -> None:
        try:
            self.inbox.put("sent", send(), to=update)
        except pywa_errors.WhatsAppError as error:
            self.inbox.put("send_error", error, to=update)

    def _install_handlers(self) -> None:
        wa, inbox = self.wa, self.inbox

        @wa.on_message()
        def on_message(client: WhatsApp, msg: Message) -> None:
            if msg.has_media:
                content = msg.media.get_bytes()
                inbox.put("message", msg, content=content)
                self._send(msg, lambda: msg.reply_text(f"Got your {msg.type} ({len(content)} bytes)"))
                return
            inbox.put("message", msg)
            if msg.type != MessageType.TEXT:
                return
            command = msg.text.strip().lower()
            if command == "hi":
                inbox.put("typing", msg.indicate_typing(), to=msg)  # marks it read, too
                self._send(msg, lambda: msg.reply_text(
                    f"Hello {msg.from_user.name}! What can we do for you?",
                    buttons=[Button(title="Track order", callback_data="track"), Button(title="Talk to us", callback_data="agent")],
                ))
            elif command == "list":
                self._send(msg, lambda: msg.reply_text("Pick a slot", buttons=SectionList(
                    button_title="Slots",
                    sections=[Section(title="Tomorrow", rows=[
                        SectionRow(title="Morning", callback_data="am", description="8 to 12"),
                        SectionRow(title="Afternoon", callback_data="pm"),
                    ])],
                )))
            elif command == "photo":
                def send_receipt():
                    media = client.upload_media(RECEIPT_PNG, mime_type="image/png", filename="receipt.png")
                    return client.send_image(to=msg.chat.id, image=media.id, caption="Your receipt", tracker="receipt-7")
                self._send(msg, send_receipt)
            elif command in ("order", "code"):
                name, value = ("order_update", "#42") if command == "order" else ("login_code", "123456")
                self._send(msg, lambda: client.send_template(
                    to=msg.chat.id, name=name, language=TemplateLanguage.ENGLISH_US, params=[BodyText.params(value)],
                ))

        @wa.on_callback_button()
        def on_button(client: WhatsApp, button: CallbackButton) -> None:
            inbox.put("button", button)
            self._send(button, lambda: button.reply_text(f"You chose {button.title}"))

        @wa.on_callback_selection()
        def on_selection(client: WhatsApp, selection: CallbackSelection) -> None:
            inbox.put("selection", selection)

        @wa.on_flow_completion()
        def on_flow(client: WhatsApp, flow: FlowCompletion) -> None:
            inbox.put("flow", flow)

        @wa.on_message_status()
        def on_status(client: WhatsApp, status: MessageStatus) -> None:
            inbox.put("status", status)

        # pywa 4.5.0 cannot build a MessageStatus from every `failed` status: `from_update` reads
        # `value["contacts"][0]` and `User.from_contact` requires its `user_id`, while Meta
        # sends an undeliverable message's failure with contacts of only `wa_id` (pywa issue
        # #227, a 131026 from production; dualhook.com's BSUID page says no contacts at all). It logs the
        # KeyError and hands the update to the raw handlers, which pywa always calls: the bot
        # reads failures there and types the error with pywa's own `WhatsAppError.from_dict`.
        @wa.on_raw_update()
        def on_raw(client: WhatsApp, update: RawUpdate) -> None:
            for entry in update.get("entry", []):
                for change in entry.get("changes", []):
                    for status in change.get("value", {}).get("statuses", []):
                        if status.get("status") == "failed":
                            inbox.put("failed", status, error=pywa_errors.WhatsAppError.from_dict(error=status["errors"][0]))


# --------------------------------------------------------------------------------------------
# Fixtures: one server, one tenant, one bot for the module
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[Mockingbird]:
    failed_before = request.session.testsfailed
    with Mockingbird.start(config=config()) as mockingbird:
        yield mockingbird
        if request.session.testsfailed > failed_before:
            print(f"--- mockingbird output ({mockingbird.log_path}) ---\n{mockingbird.log()}")


@pytest.fixture(scope="module")
def tenant(server: Mockingbird):
    with server.tenant(label="pywa bot") as created:
        yield created


@pytest.fixture(scope="module")
def bot(server, tenant) -> Iterator[Bot]:
    identity = tenant.whatsapp
    bot = Bot(server.http_url, identity, verify_token=identity.verify_token, app_secret=identity.app_secret).start()
    try:
        yield bot
    finally:
        bot.stop()


@pytest.fixture(scope="module")
def registration(tenant: Tenant, bot: Bot) -> whatsapp_pb2.UpdateWhatsAppSettingsResponse:
    """The bot registered as the tenant's webhook, the handshake run, the templates approved."""
    return tenant.update_whatsapp_settings(
        webhook_url=bot.url,
        verify_webhook=True,
        templates=whatsapp_pb2.TemplateList(templates=[
            whatsapp_pb2.WhatsAppTemplate(name="order_update", language="en_US", category="utility", body_parameters=1),
            whatsapp_pb2.WhatsAppTemplate(name="login_code", language="en_US", category="authentication", body_parameters=1),
        ]),
    )


@pytest.fixture(scope="module")
def impostor(server, tenant) -> Iterator[Bot]:
    """The same bot configured with the wrong app secret and verify token."""
    bot = Bot(server.http_url, tenant.whatsapp, verify_token="not-the-verify-token", app_secret="0" * 32, endpoint="/impostor").start()
    try:
        yield bot
    finally:
        bot.stop()


class BotUser(WhatsAppUser):
    """A user of the registered bot's: each message must reach the bot and be answered 200 (what
    pywa answers a webhook whose signature checks out), or the test fails at the send, saying
    what the bot answered."""

    def send(self, context_id: str = "", target: str = "", **message) -> whatsapp_pb2.SendWhatsAppInboundResponse:
        answer = super().send(context_id, target, **message)
        assert answer.delivery == whatsapp_pb2.INBOUND_DELIVERY_ANSWERED, answer
        assert answer.http_status == 200, f"the bot answered {answer.http_status}: {answer.http_body}"
        return answer


@pytest.fixture
def whatsapp_user(tenant: Tenant, registration) -> Callable[..., BotUser]:
    """`whatsapp_user(number, profile_name=…, username=…, hide_phone=…)`: a WhatsApp user
    writing to the bot (the tenant's `whatsapp_user`, every message checked as taken)."""

    def user(number: str, profile_name: str = "", username: str = "", hide_phone: bool = False) -> BotUser:
        return BotUser(tenant, number, profile_name, username, hide_phone)

    return user


def created(tenant: Tenant, sid: str, after: int) -> common_pb2.Message:
    """The message mockingbird stored for one of the bot's sends (its `message_created` event)."""
    return tenant.wait_for("message_created", sid=sid, after=after, timeout=WAIT_SECONDS).message_created.message


def statuses_of(bot: Bot, tenant: Tenant, wamid: str, *wanted: MessageStatusType) -> List[MessageStatus]:
    """The bot's `MessageStatus` updates for one of its messages, in the order wanted; a failed
    wait shows the status webhooks mockingbird sent for it."""
    try:
        return [
            bot.inbox.take("status", lambda s, w=w: s.id == wamid and s.status == w, f"a {w} status for {wamid}").update
            for w in wanted
        ]
    except AssertionError as missing:
        attempts = tenant.messages.callback_attempts(resource_sid=wamid)
        sent = "\n".join(f"  {a.status} → {a.response_status}: {a.request_body}" for a in reversed(attempts)) or "  (none)"
        raise AssertionError(f"{missing}\nmockingbird's status webhooks for {wamid}:\n{sent}") from None


def failure_of(bot: Bot, wamid: str):
    """The `failed` status webhook of one of the bot's messages (its `statuses[]` object) and
    its error as pywa types it (see `on_raw` in `Bot`)."""
    item = bot.inbox.take("failed", lambda status: status["id"] == wamid, f"a failed status for {wamid}")
    return item.update, item.extra["error"]


def sent_to(bot: Bot, inbound_id: str, kind: str = "sent") -> Any:
    """What the bot sent in answer to the update with this id (with kind `send_error`: the
    error pywa raised)."""
    return bot.inbox.take(kind, lambda item: item.extra["to"].id == inbound_id, f"a {kind} answering {inbound_id}", whole=True).update


# --------------------------------------------------------------------------------------------
# The handshake and the signature
# --------------------------------------------------------------------------------------------


def test_registering_the_bot_runs_metas_handshake_against_pywa(registration, bot, impostor, tenant):
    verification = registration.verification
    assert verification.echoed, verification
    assert verification.attempt.response_status == 200
    assert verification.attempt.response_body == verification.challenge
    assert registration.settings.webhook_url == bot.url

    # A bot expecting another verify token refuses the handshake, as pywa does with Meta.
    refused = tenant.verify_whatsapp_webhook(impostor.url)
    assert not refused.echoed
    assert refused.attempt.response_status == 403


def test_a_bot_with_the_wrong_app_secret_rejects_the_webhooks(tenant, registration, impostor):
    answer = tenant.whatsapp_user("15550300001").send_text("hi", target=impostor.url)
    assert answer.delivery == whatsapp_pb2.INBOUND_DELIVERY_ANSWERED
    # pywa checks the signature before it answers: 403 for one that does not match its secret.
    assert (answer.http_status, answer.http_body) == (403, "Forbidden")
    assert impostor.inbox.kinds() == []


# --------------------------------------------------------------------------------------------
# Text, reply buttons, statuses
# --------------------------------------------------------------------------------------------


def test_a_greeting_is_answered_with_buttons_whose_tap_the_bot_handles(bot, whatsapp_user, tenant):
    user = whatsapp_user("263778177125", profile_name="Tendai")
    said = user.send_text("hi")

    msg: Message = bot.inbox.take_from("message", user.number, "the user's text").update
    assert msg.id == said.message.sid
    assert msg.type == MessageType.TEXT and msg.text == "hi"
    assert msg.from_user.name == "Tendai"
    assert msg.from_user.bsuid, "every user has a business-scoped user id"
    assert msg.from_user.country_code == "ZW"  # the BSUID's prefix: +263 is Zimbabwe
    assert msg.from_user.username is None
    assert msg.metadata.phone_number_id == tenant.whatsapp.phone_number_id
    assert msg.waba_id == tenant.whatsapp.business_account_id

    # The bot marked the message read (and showed a typing indicator) before answering.
    typing = bot.inbox.take("typing", lambda item: item.extra["to"].id == msg.id, "the typing indicator", whole=True)
    assert typing.update.success is True
    read_event = tenant.wait_for("message_status_changed", sid=msg.id, status="read", after=said.after_sequence, timeout=WAIT_SECONDS)
    assert read_event.message_status_changed.sid == msg.id

    # The reply with two buttons, as mockingbird stored it.
    reply = sent_to(bot, msg.id)
    stored = created(tenant, reply.id, said.after_sequence)
    assert stored.whatsapp.message_type == "interactive"
    interactive = json.loads(stored.whatsapp.content)
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Hello Tendai! What can we do for you?"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["track", "agent"]

    # sent → delivered → read reach the bot's status handler, typed.
    sent, delivered, read = statuses_of(bot, tenant, reply.id, MessageStatusType.SENT, MessageStatusType.DELIVERED, MessageStatusType.READ)
    for status in (sent, delivered, read):
        assert status.error is None
        assert status.from_user.wa_id == user.number
        assert status.from_user.bsuid == msg.from_user.bsuid  # stable per tenant and user
        assert status.metadata.phone_number_id == tenant.whatsapp.phone_number_id
    assert sent.conversation is not None and sent.conversation.expiration is not None
    assert sent.timestamp <= delivered.timestamp <= read.timestamp

    # The user taps "Track order" on that message.
    tapped = user.tap_button("track", "Track order", context_id=reply.id)
    button: CallbackButton = bot.inbox.take_from("button", user.number, "the button tap").update
    assert (button.data, button.title) == ("track", "Track order")
    assert button.reply_to_message.id == reply.id
    answer = sent_to(bot, button.id)
    assert json.loads(created(tenant, answer.id, tapped.after_sequence).whatsapp.content)["body"] == "You chose Track order"


def test_a_list_pick_a_quick_reply_and_a_completed_flow_reach_their_handlers(bot, whatsapp_user, tenant):
    user = whatsapp_user("263778177126")
    said = user.send_text("list")
    bot.inbox.take_from("message", user.number, "the user's text")
    the_list = sent_to(bot, said.message.sid)
    stored = json.loads(created(tenant, the_list.id, said.after_sequence).whatsapp.content)
    assert stored["type"] == "list"
    assert [r["id"] for r in stored["action"]["sections"][0]["rows"]] == ["am", "pm"]

    user.pick_row("am", "Morning", "8 to 12", context_id=the_list.id)
    pick: CallbackSelection = bot.inbox.take_from("selection", user.number, "the list pick").update
    assert (pick.data, pick.title, pick.description) == ("am", "Morning", "8 to 12")
    assert pick.reply_to_message.id == the_list.id

    # A template's quick-reply button arrives as `type: button`: pywa's CallbackButton too.
    user.send(button=whatsapp_pb2.QuickReply(payload="stop-promos", text="Stop promotions"))
    quick: CallbackButton = bot.inbox.take_from("button", user.number, "the quick reply").update
    assert quick.type == MessageType.BUTTON
    assert (quick.data, quick.title) == ("stop-promos", "Stop promotions")
    sent_to(bot, quick.id)  # the bot's "You chose …"

    answers = {"flow_token": "booking-7", "slot": "am", "people": 2}
    user.send(flow_reply=whatsapp_pb2.FlowReply(response_json=json.dumps(answers)))
    flow: FlowCompletion = bot.inbox.take_from("flow", user.number, "the completed flow").update
    assert flow.token == "booking-7"
    assert flow.response == {"slot": "am", "people": 2}
    assert flow.body == "Sent"


def test_a_username_user_whose_phone_is_hidden_is_answered_at_their_bsuid(bot, whatsapp_user, tenant):
    # The user adopted a username and hides their number: the webhook names them by BSUID only.
    rudo = whatsapp_user("263778177140", username="rudo.m", hide_phone=True, profile_name="Rudo")
    said = rudo.send_text("hi")
    msg: Message = bot.inbox.take("message", lambda m: m.from_user.username == "rudo.m", "the username user's text").update
    user = msg.from_user
    assert user.wa_id is None
    assert user.bsuid and user.country_code == "ZW"
    assert user.name == "Rudo"
    assert msg.chat.id == user.bsuid  # where pywa replies

    # pywa answers the BSUID (`recipient`); mockingbird takes it and knows whom it reached.
    reply = sent_to(bot, msg.id)
    stored = created(tenant, reply.id, said.after_sequence)
    assert stored.whatsapp.addressed_by_user_id
    assert stored.whatsapp.user.user_id == user.bsuid
    assert stored.whatsapp.user.username == "rudo.m"
    assert stored.whatsapp.user.phone_hidden

    # Its statuses name the user by BSUID alone, too.
    for status in statuses_of(bot, tenant, reply.id, MessageStatusType.SENT, MessageStatusType.DELIVERED, MessageStatusType.READ):
        assert status.from_user.bsuid == user.bsuid
        assert status.from_user.wa_id is None

    # The conversation is keyed by the BSUID: the user's text and the bot's answer.
    conversation = tenant.whatsapp_user(user.bsuid).conversation()
    assert conversation.user.user_id == user.bsuid
    assert [m.sid for m in conversation.messages] == [msg.id, reply.id]

    # An authentication template cannot go to a BSUID: Meta's 131062, pywa's typed error.
    asked = whatsapp_user("263778177140", username="rudo.m", hide_phone=True).send_text("code")
    bot.inbox.take("message", lambda m: m.from_user.username == "rudo.m", "the request for a code")
    refused = sent_to(bot, asked.message.sid, kind="send_error")
    assert isinstance(refused, pywa_errors.BSUIDRecipientNotSupported)
    assert refused.code == 131062


# --------------------------------------------------------------------------------------------
# Media both ways
# --------------------------------------------------------------------------------------------


USER_MEDIA = [
    # user, kind, MIME type, what the user sends, caption, file name
    ("263778200001", "image", "image/jpeg", b"\xff\xd8\xff\xe0" + b"a user's photo", "my meter", ""),
    ("263778200002", "video", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"a user's video", "the leak", ""),
    ("263778200003", "audio", "audio/ogg", b"OggS" + b"a user's voice note", "", ""),
    ("263778200004", "document", "application/pdf", b"%PDF-1.4 a user's invoice", "the invoice", "invoice.pdf"),
    ("263778200005", "sticker", "image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 a sticker", "", ""),
]


@pytest.mark.parametrize("user,kind,mime_type,content,caption,filename", USER_MEDIA, ids=[m[1] for m in USER_MEDIA])
def test_media_a_user_sends_is_downloaded_by_the_bot_through_pywa(bot, whatsapp_user, user, kind, mime_type, content, caption, filename):
    # The user's file, in the tenant's media store (where a user's upload lives on Meta's side).
    media_id = bot.wa.upload_media(content, mime_type=mime_type, filename=filename or f"file.{kind}").id

    whatsapp_user(user).send(media=whatsapp_pb2.Media(kind=kind, media_id=media_id, mime_type=mime_type, caption=caption, filename=filename))
    item = bot.inbox.take_from("message", user, f"the user's {kind}")
    msg: Message = item.update
    assert msg.type == MessageType(kind)
    media = getattr(msg, kind)
    assert (media.id, media.mime_type) == (media_id, mime_type)
    assert media.sha256 == hashlib.sha256(content).hexdigest()  # the file's, as Meta describes it
    assert item.extra["content"] == content  # GET /{media-id}, then the URL with the bearer token
    if caption:
        assert media.caption == caption
    if filename:
        assert media.filename == filename
    if kind == "audio":
        assert media.voice is True  # an OGG voice note
    if kind == "sticker":
        assert media.animated is False  # Meta says so on every sticker
    acknowledged = sent_to(bot, msg.id)
    assert acknowledged.id.startswith("wamid.")


def test_the_bot_sends_an_uploaded_image_and_a_template(bot, whatsapp_user, tenant):
    user = whatsapp_user("263778177127")
    said = user.send_text("photo")
    bot.inbox.take_from("message", user.number, "the user's text")
    image = sent_to(bot, said.message.sid)
    stored = created(tenant, image.id, said.after_sequence)
    assert stored.whatsapp.message_type == "image"
    sent_image = json.loads(stored.whatsapp.content)
    assert sent_image["caption"] == "Your receipt"
    # The id pywa uploaded serves the same bytes back.
    url = bot.wa.get_media_url(sent_image["id"])
    assert url.mime_type == "image/png"
    assert url.sha256 == hashlib.sha256(RECEIPT_PNG).hexdigest()
    assert bot.wa.get_media_bytes(url.url) == RECEIPT_PNG
    # pywa's `tracker` is Meta's biz_opaque_callback_data: kept, and echoed on every status.
    assert stored.whatsapp.callback_data == "receipt-7"
    for status in statuses_of(bot, tenant, image.id, MessageStatusType.SENT, MessageStatusType.DELIVERED, MessageStatusType.READ):
        assert status.tracker == "receipt-7"

    said = user.send_text("order")
    bot.inbox.take_from("message", user.number, "the user's text")
    template = sent_to(bot, said.message.sid)
    stored = created(tenant, template.id, said.after_sequence)
    assert stored.whatsapp.message_type == "template"
    assert stored.whatsapp.template_category == "utility"
    assert json.loads(stored.whatsapp.content)["name"] == "order_update"
    sent, = statuses_of(bot, tenant, template.id, MessageStatusType.SENT)
    assert sent.conversation.category.value == "utility"


# --------------------------------------------------------------------------------------------
# Location, reaction, order, contacts
# --------------------------------------------------------------------------------------------


def test_a_location_a_reaction_and_an_order_arrive_typed(bot, whatsapp_user):
    user = whatsapp_user("263778177128")
    user.send(location=whatsapp_pb2.Location(latitude=-17.8292, longitude=31.0522, name="Harare office", address="1 Samora Machel Ave"))
    msg: Message = bot.inbox.take_from("message", user.number, "the location").update
    assert msg.type == MessageType.LOCATION
    assert (msg.location.latitude, msg.location.longitude) == (-17.8292, 31.0522)
    assert (msg.location.name, msg.location.address) == ("Harare office", "1 Samora Machel Ave")

    said = user.send_text("hi")
    bot.inbox.take_from("message", user.number, "the greeting")
    greeting = sent_to(bot, said.message.sid)
    user.send(reaction=whatsapp_pb2.Reaction(message_id=greeting.id, emoji="👍"))
    reaction: Message = bot.inbox.take_from("message", user.number, "the reaction").update
    assert reaction.type == MessageType.REACTION
    assert (reaction.reaction.message_id, reaction.reaction.emoji) == (greeting.id, "👍")

    order = {"catalog_id": "194836987003835", "text": "For Friday", "product_items": [
        {"product_retailer_id": "sku-7", "quantity": 2, "item_price": 12.5, "currency": "USD"},
    ]}
    user.send(raw=whatsapp_pb2.RawMessage(type="order", json=json.dumps(order)))
    ordered: Message = bot.inbox.take_from("message", user.number, "the order").update
    assert ordered.type == MessageType.ORDER
    assert ordered.order.catalog_id == "194836987003835"
    assert [(p.sku, p.quantity) for p in ordered.order.products] == [("sku-7", 2)]


def test_shared_contacts_arrive_as_metas_contacts_array(bot, whatsapp_user):
    # Meta writes a contacts message as `"type": "contacts", "contacts": [{…}]`: an array under
    # the type, unlike every other type's object.
    user = whatsapp_user("263778177129")
    shared = [{"name": {"formatted_name": "Rudo Moyo", "first_name": "Rudo"},
               "phones": [{"phone": "+263 77 123 4567", "wa_id": "263771234567", "type": "CELL"}]}]
    user.send(raw=whatsapp_pb2.RawMessage(type="contacts", json=json.dumps(shared)))
    msg: Message = bot.inbox.take_from("message", user.number, "the shared contact").update
    assert msg.type == MessageType.CONTACTS
    assert msg.contacts[0].name.formatted_name == "Rudo Moyo"
    assert msg.contacts[0].phones[0].wa_id == "263771234567"


# --------------------------------------------------------------------------------------------
# Sends that fail
# --------------------------------------------------------------------------------------------


def test_a_send_that_fails_later_reaches_the_bot_as_a_failed_status_with_metas_error(bot, whatsapp_user, tenant):
    user = whatsapp_user("263778177130")
    tenant.rules.add(rules.to(user.number).channel("whatsapp").named("undeliverable").sent().failed(131026))

    said = user.send_text("hi")
    bot.inbox.take_from("message", user.number, "the greeting")
    reply = sent_to(bot, said.message.sid)
    sent, = statuses_of(bot, tenant, reply.id, MessageStatusType.SENT)
    assert sent.error is None
    failed, error = failure_of(bot, reply.id)
    assert failed["recipient_id"] == user.number
    assert isinstance(error, pywa_errors.MessageUndeliverable)
    assert error.code == 131026


def test_a_send_refused_by_a_rule_raises_pywas_typed_error(bot, whatsapp_user, tenant):
    user = whatsapp_user("263778177131")
    tenant.rules.add(rules.to(user.number).channel("whatsapp").named("throttled").reject(130429, http_status=429))

    said = user.send_text("hi")
    bot.inbox.take_from("message", user.number, "the greeting")
    error = sent_to(bot, said.message.sid, kind="send_error")
    assert isinstance(error, pywa_errors.RateLimitHit)
    assert error.code == 130429
    assert error.raw_response.status_code == 429


def test_free_form_outside_the_window_is_metas_131047_at_once_or_as_a_failed_status(bot, tenant, registration):
    stranger = "263778177132"  # has never written: no 24-hour window is open

    # The default policy refuses the send: pywa raises its ReEngagementMessage.
    with pytest.raises(pywa_errors.ReEngagementMessage) as refused:
        bot.wa.send_message(to=stranger, text="Your order shipped")
    assert refused.value.code == 131047

    # With `FAIL_LATER` the send is accepted and its status webhook fails with 131047.
    tenant.update_whatsapp_settings(window=whatsapp_pb2.WINDOW_POLICY_FAIL_LATER)
    try:
        sent = bot.wa.send_message(to=stranger, text="Your order shipped")
    finally:
        tenant.update_whatsapp_settings(window=whatsapp_pb2.WINDOW_POLICY_REJECT)
    failed, error = failure_of(bot, sent.id)
    assert failed["recipient_id"] == stranger
    assert isinstance(error, pywa_errors.ReEngagementMessage)
    assert error.code == 131047
