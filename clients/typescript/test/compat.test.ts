// The compatibility suite: the official twilio SDK against the real binary, through this client.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import twilio from "twilio";
import {
  CallStatus,
  EventTimeoutError,
  HttpMethod,
  InboundDelivery,
  MessageStatus,
  rule,
  useMockingbird,
  useReceiver,
  useTenant,
  validMetaSignature,
  validTwilioSignature,
  type Event,
} from "@mockingbird/testing";

const NUMBER = "+15550101010"; // the tenant's number, which the app sends from
const USER = "+15557654321"; // a user's phone
const WHATSAPP_USER = "263778177125";

const mockingbird = useMockingbird({ before, after });
const tenant = useTenant({ beforeEach, afterEach }, mockingbird);
const receiver = useReceiver({ beforeEach, afterEach });

describe("SMS through the official twilio SDK", () => {
  test("a sent message is delivered and its status callback is signed", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    await t.clock.freeze();

    const message = await t.twilioClient().messages.create({
      to: USER,
      from: NUMBER,
      body: "Your code is 1234",
      statusCallback: receiver().url("/status"),
    });
    assert.equal(message.status, "queued");

    await t.clock.advance("5s");
    const delivered = await t.waitFor({ kind: "message_status_changed", sid: message.sid, status: "delivered" });
    assert.equal(delivered.payload.case, "messageStatusChanged");
    assert.equal(delivered.payload.value.previous, MessageStatus.SENT);

    const callback = await receiver().waitFor((r) => r.form.MessageStatus === "delivered");
    assert.equal(callback.form.MessageSid, message.sid);
    assert.ok(validTwilioSignature(callback, t.authToken), "twilio.validateRequest accepts the callback");
    assert.ok(t.signedByTwilio(callback));
    assert.ok(!validTwilioSignature(callback, "not-the-auth-token"), "and refuses it with another token");
  });

  test("messages are listed across pages", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    const client = t.twilioClient();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push((await client.messages.create({ to: USER, from: NUMBER, body: `message ${i}` })).sid);
    }

    const first = await client.messages.page({ pageSize: 2 });
    assert.equal(first.instances.length, 2);
    const second = await first.nextPage();
    assert.equal(second!.instances.length, 2);

    const all = await client.messages.list({ pageSize: 2 });
    assert.deepEqual(all.map((m) => m.sid).sort(), [...sent].sort());
  });

  test("the request client records what the SDK sent: each page of a list, with its filters", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    const settings = t.twilioSettings();
    const client = twilio(settings.accountSid, settings.authToken, { httpClient: settings.httpClient });
    for (let i = 0; i < 3; i++) await client.messages.create({ to: USER, from: NUMBER, body: `message ${i}` });
    assert.deepEqual(settings.httpClient.requests.map((r) => r.method), ["POST", "POST", "POST"]);
    assert.equal((settings.httpClient.requests[0]!.data as any).Body, "message 0");

    settings.httpClient.requests.length = 0;
    await client.messages.list({ to: USER, pageSize: 2 });
    const [first, second, ...more] = settings.httpClient.requests;
    assert.deepEqual(more, []);
    assert.deepEqual(first!.params, { To: USER, PageSize: 2 });
    assert.ok(second!.uri.startsWith(`${t.server.httpUrl}/2010-04-01/`), second!.uri);
    assert.equal(new URL(second!.uri).searchParams.get("To"), USER, "the next page keeps the filter");
  });

  test("a rule that rejects a number makes the SDK raise Twilio's error code", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    await t.rules.add(rule().to("+15550000666").rejects(21211));

    await assert.rejects(
      t.twilioClient().messages.create({ to: "+15550000666", from: NUMBER, body: "hi" }),
      (err: any) => {
        assert.ok(err instanceof twilio.RestException, `a RestException, got ${err}`);
        assert.equal(err.code, 21211);
        assert.equal(err.status, 400);
        return true;
      },
    );
    await t.twilioClient().messages.create({ to: USER, from: NUMBER, body: "others still pass" });
  });

  test("the tenant's API key authenticates the SDK too", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    const message = await t.twilioClient({ apiKey: true }).messages.create({ to: USER, from: NUMBER, body: "by key" });
    assert.equal(message.accountSid, t.accountSid);
  });

  test("a rule's script: sent after 1 s, then undelivered 30007", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    await t.rules.add(rule().to(USER).sent({ after: "1s" }).undelivered(30007, { after: "1s" }));
    await t.clock.freeze();

    const message = await t.twilioClient().messages.create({ to: USER, from: NUMBER, body: "hi" });
    await t.clock.advance("1s");
    await t.waitFor({ sid: message.sid, kind: "message_status_changed", status: "sent" });
    await t.clock.advance("1s");
    const undelivered = await t.waitFor({ sid: message.sid, kind: "message_status_changed", status: "undelivered" });
    assert.equal(undelivered.payload.case === "messageStatusChanged" && undelivered.payload.value.errorCode, 30007);

    const fetched = await t.twilioClient().messages(message.sid).fetch();
    assert.equal(fetched.status, "undelivered");
    assert.equal(fetched.errorCode, 30007);
  });

  test("an inbound SMS reaches the app signed, and its TwiML reply is sent", async () => {
    const t = tenant();
    receiver().on("/sms", (request) => {
      const reply = new twilio.twiml.MessagingResponse();
      reply.message(`You said: ${request.form.Body}`);
      return { contentType: "text/xml", body: reply.toString() };
    });
    await t.numbers.add(NUMBER, { smsUrl: receiver().url("/sms") });

    const sent = await t.sendInboundSms({ from: USER, to: NUMBER, body: "hello" });
    assert.equal(sent.webhook?.responseStatus, 200);
    assert.deepEqual(sent.replies.map((m) => m.body), ["You said: hello"]);

    const webhook = await receiver().waitFor((r) => r.path === "/sms");
    assert.equal(webhook.form.From, USER);
    assert.ok(t.signedByTwilio(webhook));
    const reply = await t.waitFor({ kind: "message_created", from: NUMBER, to: USER, bodyContains: "You said" });
    assert.equal(reply.payload.case === "messageCreated" && reply.payload.value.message?.sid, sent.replies[0]!.sid);
  });

  test("a number whose webhook is a GET gets Twilio's parameters in the query, signed", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER, { smsUrl: receiver().url("/sms-get"), smsMethod: HttpMethod.GET });
    await t.sendInboundSms({ from: USER, to: NUMBER, body: "by GET" });

    const webhook = await receiver().waitFor((r) => r.path === "/sms-get");
    assert.equal(webhook.method, "GET");
    assert.equal(webhook.query.Body, "by GET");
    assert.ok(t.signedByTwilio(webhook), "the signature covers the URL with its query");
  });
});

describe("the webhook receiver", () => {
  test("a fallback answers paths no route names; waitUntil waits on the requests together", async () => {
    receiver().on("/known", () => ({ body: "routed" }));
    receiver().fallback((request) => ({ status: 404, contentType: "text/plain", body: `no ${request.path}` }));
    const got = (path: string) => fetch(receiver().url(path), { method: "POST", body: new URLSearchParams({ n: path }) });

    const routed = await got("/known");
    assert.equal(await routed.text(), "routed");
    const other = await got("/other");
    assert.equal(other.status, 404);
    assert.equal(await other.text(), "no /other");

    const waiting = receiver().waitUntil((requests) => requests.length >= 3);
    await got("/third");
    const all = await waiting;
    assert.deepEqual(all.map((r) => r.form.n), ["/known", "/other", "/third"]);
    await assert.rejects(receiver().waitUntil((requests) => requests.length >= 4, 50), /did not come within 50 ms; received:\n  POST/);
  });
});

describe("WhatsApp Cloud API", () => {
  test("a user's message and the app's reply, with its signed status webhook", async () => {
    const t = tenant();
    await t.updateWhatsAppSettings({ webhookUrl: receiver().url("/whatsapp") });
    await t.clock.freeze();

    // The user writes first: the app gets Meta's signed webhook, and the 24-hour window opens.
    const inbound = await t.whatsappUser(WHATSAPP_USER, "Ada").sendText("hi there");
    assert.equal(inbound.delivery, InboundDelivery.ANSWERED);
    const webhook = await receiver().waitFor((r) => r.path === "/whatsapp");
    assert.ok(t.signedByMeta(webhook), "X-Hub-Signature-256 checks out with the app secret");
    assert.ok(!validMetaSignature(webhook, "another secret"));
    assert.equal(webhook.json().entry[0].changes[0].value.messages[0].text.body, "hi there");

    // The app answers through the Cloud API, as any bot would.
    const answer = await fetch(`${t.graphUrl}/${t.whatsapp.phoneNumberId}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.whatsapp.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", to: WHATSAPP_USER, type: "text", text: { body: "Hello Ada" } }),
    });
    assert.equal(answer.status, 200);
    const wamid: string = ((await answer.json()) as any).messages[0].id;

    await t.clock.advance("10s");
    const statusWebhook = await receiver().waitFor((r) =>
      (r.json().entry?.[0]?.changes?.[0]?.value?.statuses ?? []).some((s: any) => s.id === wamid && s.status === "delivered"),
    );
    assert.ok(t.signedByMeta(statusWebhook));
    await t.waitFor({ to: WHATSAPP_USER, kind: "message_created", whatsappType: "text", bodyContains: "Hello Ada" });
  });
});

describe("calls", () => {
  test("a caller presses a key, speaks and hangs up", async () => {
    const t = tenant();
    receiver().on("/voice", () => {
      const twiml = new twilio.twiml.VoiceResponse();
      twiml.gather({ numDigits: 1, action: receiver().url("/menu") }).say("Press 1 for sales.");
      return { body: twiml.toString() };
    });
    receiver().on("/menu", (request) => {
      const twiml = new twilio.twiml.VoiceResponse();
      twiml.say(request.form.Digits === "1" ? "Sales. What do you need?" : "Sorry.");
      twiml.gather({ input: ["speech"], action: receiver().url("/speech") });
      return { body: twiml.toString() };
    });
    receiver().on("/speech", (request) => {
      const twiml = new twilio.twiml.VoiceResponse();
      twiml.say(`You said ${request.form.SpeechResult}.`);
      twiml.pause({ length: 60 });
      return { body: twiml.toString() };
    });
    await t.numbers.add(NUMBER, { voiceUrl: receiver().url("/voice") });
    await t.clock.freeze();

    const call = await t.calls.placeInbound({ from: USER, to: NUMBER });
    assert.equal(call.waitingFor, "gather");
    assert.deepEqual(call.said(), ["Press 1 for sales."]);

    await call.press("1");
    assert.equal(call.said().at(-1), "Sales. What do you need?");
    await call.say("a new phone");
    assert.equal(call.said().at(-1), "You said a new phone.");
    assert.equal(call.waitingFor, "pause");

    await call.hangUp();
    assert.equal(call.detail.call?.status, CallStatus.COMPLETED);
    await t.waitFor({ sid: call.sid, kind: "call_status_changed", callStatus: "completed" });
    for (const request of receiver().requests) assert.ok(t.signedByTwilio(request), `${request.url} is signed`);
  });

  test("a call the app places is answered by the rules' callee", async () => {
    const t = tenant();
    receiver().on("/outbound", () => ({ body: new twilio.twiml.VoiceResponse().say("Your order shipped.").toString() }));
    await t.numbers.add(NUMBER);
    await t.rules.add(rule().channel("voice").to(USER).keepsRinging());
    await t.clock.freeze();

    const created = await t.twilioClient().calls.create({ to: USER, from: NUMBER, url: receiver().url("/outbound") });
    await t.clock.advance("5s");
    await t.waitFor({ sid: created.sid, kind: "call_status_changed", callStatus: "ringing" });
    const call = await (await t.calls.get(created.sid)).answer();
    assert.deepEqual(call.said(), ["Your order shipped."]);
    const fetched = await t.twilioClient().calls(created.sid).fetch();
    assert.equal(fetched.status, "completed");

    const second = await t.twilioClient().calls.create({ to: USER, from: NUMBER, url: receiver().url("/outbound") });
    await t.clock.advance("5s");
    await t.waitFor({ sid: second.sid, kind: "call_status_changed", callStatus: "ringing" });
    await (await t.calls.get(second.sid)).reject("busy");
    assert.equal((await t.twilioClient().calls(second.sid).fetch()).status, "busy");
  });
});

describe("events", () => {
  test("waitFor fails with the server's near-miss explanation", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    await t.clock.freeze();
    await t.twilioClient().messages.create({ to: USER, from: NUMBER, body: "hi" });

    await assert.rejects(t.waitFor({ kind: "message_status_changed", status: "delivered" }, { timeout: "300ms" }), (err: any) => {
      assert.ok(err instanceof EventTimeoutError);
      assert.match(err.message, /no event matched within/);
      assert.match(err.message, /wanted message_status_changed/);
      return true;
    });
  });

  test("subscribe streams the tenant's events as an async iterator", async () => {
    const t = tenant();
    await t.numbers.add(NUMBER);
    await using stream = t.subscribe({ kind: "message_created" });
    const client = t.twilioClient();
    await client.messages.create({ to: USER, from: NUMBER, body: "one" });
    await client.messages.create({ to: USER, from: NUMBER, body: "two" });

    const events = await stream.take(2, "5s");
    const bodies = events.map((e) => (e.payload.case === "messageCreated" ? e.payload.value.message?.body : ""));
    assert.deepEqual(bodies, ["one", "two"]);

    // A take that times out loses nothing: the event it was waiting for comes to the next read.
    await assert.rejects(stream.take(1, "100ms"), EventTimeoutError);
    await client.messages.create({ to: USER, from: NUMBER, body: "late" });
    const late = await stream.next("5s");
    assert.equal(late.payload.case === "messageCreated" && late.payload.value.message?.body, "late");

    // for await … of reads on; leaving the loop ends the stream.
    await client.messages.create({ to: USER, from: NUMBER, body: "three" });
    let third: Event | undefined;
    for await (const event of stream) {
      third = event;
      break;
    }
    assert.equal(third?.payload.case === "messageCreated" && third.payload.value.message?.body, "three");
  });
});
