// Every control-plane RPC the other files do not reach, through the layer: every tenant on the
// server, a reset, the webhook attempts and a redelivery, the calls list, the Cloud API's
// verification handshake and settings, a WhatsApp user's conversation and button tap, number
// updates and removal, rule replacement and clearing, the clock's time and resume, and a
// message's status set by the test.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, test } from "node:test";
import { CallStatus, MessageStatus, rule, useMockingbird, useReceiver, useTenant } from "@mockingbird/testing";

const NUMBER = "+15550101010";
const USER = "+15557654321";

const mockingbird = useMockingbird({ before, after });
const tenant = useTenant({ beforeEach, afterEach }, mockingbird);
const receiver = useReceiver({ beforeEach, afterEach });

test("tenants lists every account on the server, the config's first", async () => {
  const t = tenant();
  const all = await mockingbird().tenants();
  const sids = all.map((account) => account.accountSid);
  assert.equal(sids[0], (await mockingbird().account()).accountSid);
  assert.ok(sids.includes(t.accountSid), `${t.accountSid} in ${sids.join(", ")}`);
  assert.equal(all.find((account) => account.accountSid === t.accountSid)!.authToken, t.authToken);
});

test("reset drops messages and rules, keeps numbers, and says where its events start", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER);
  await t.rules.add(rule().to(USER).rejects(21211));
  const client = t.twilioClient();
  await assert.rejects(client.messages.create({ to: USER, from: NUMBER, body: "refused" }), (err: any) => err.code === 21211);
  await client.messages.create({ to: "+15557650000", from: NUMBER, body: "kept until the reset" });

  const after = await t.reset();
  assert.deepEqual(await t.messages.list(), []);
  assert.deepEqual(await t.rules.list(), []);
  assert.deepEqual((await t.numbers.list()).map((n) => n.phoneNumber), [NUMBER]);
  const sent = await client.messages.create({ to: USER, from: NUMBER, body: "after the reset" });
  const created = await t.waitFor({ kind: "message_created" }, { after });
  assert.equal(created.payload.case === "messageCreated" && created.payload.value.message?.sid, sent.sid);
});

test("callbackAttempts lists the status callbacks, and redeliver sends one again", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER);
  await t.clock.freeze();
  const message = await t
    .twilioClient()
    .messages.create({ to: USER, from: NUMBER, body: "hi", statusCallback: receiver().url("/status") });
  await t.clock.advance("10s");
  await receiver().waitUntil((requests) => requests.length >= 2);
  await using stored = t.subscribe({ kind: "callback_attempted", sid: message.sid });
  await stored.take(2, "5s"); // each attempt is stored, with its event, once the app answered

  const attempts = await t.messages.callbackAttempts({ resourceSid: message.sid });
  assert.deepEqual(attempts.map((a) => a.status), ["delivered", "sent"]); // newest first
  assert.ok(attempts.every((a) => a.url === receiver().url("/status") && a.responseStatus === 200));

  const again = await t.messages.redeliver(attempts[0]!.id);
  assert.notEqual(again.id, attempts[0]!.id);
  assert.equal(again.status, "delivered");
  const repeats = receiver().requests.filter((r) => r.form.MessageStatus === "delivered");
  assert.equal(repeats.length, 2, "the app heard `delivered` twice");
  // Each attempt keeps the headers as sent: the first `delivered` one's signature is the app's.
  assert.equal(attempts[0]!.requestHeaders["x-twilio-signature"], repeats[0]!.headers["x-twilio-signature"]);
  assert.ok(t.signedByTwilio(repeats[1]!));
});

test("calls.list filters the tenant's calls by number and status", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER);
  await t.rules.add(rule().channel("voice").to(USER).keepsRinging());
  await t.clock.freeze(); // every call stays queued
  const client = t.twilioClient();
  const twiml = "<Response><Hangup/></Response>";
  const first = await client.calls.create({ to: USER, from: NUMBER, twiml });
  const second = await client.calls.create({ to: "+15557650000", from: NUMBER, twiml });
  await client.calls(second.sid).update({ status: "canceled" });

  assert.deepEqual((await t.calls.list()).map((c) => c.sid), [second.sid, first.sid]);
  assert.deepEqual((await t.calls.list({ to: USER })).map((c) => c.sid), [first.sid]);
  const canceled = await t.calls.list({ status: "canceled" });
  assert.deepEqual(canceled.map((c) => c.sid), [second.sid]);
  assert.equal(canceled[0]!.status, CallStatus.CANCELED);
  assert.deepEqual(await t.calls.list({ parentCallSid: first.sid }), []);
});

test("verifyWhatsAppWebhook runs Meta's handshake against the app", async () => {
  const t = tenant();
  receiver().on("/whatsapp", (request) =>
    request.query["hub.verify_token"] === t.whatsapp.verifyToken
      ? { contentType: "text/plain", body: request.query["hub.challenge"] }
      : { status: 403 },
  );
  receiver().on("/refuses", () => ({ status: 403 }));
  await t.updateWhatsAppSettings({ webhookUrl: receiver().url("/whatsapp") });

  const passed = await t.verifyWhatsAppWebhook();
  assert.ok(passed.echoed);
  assert.equal(passed.attempt?.responseBody, passed.challenge);
  const request = await receiver().waitFor((r) => r.path === "/whatsapp");
  assert.equal(request.query["hub.mode"], "subscribe");

  const refused = await t.verifyWhatsAppWebhook(receiver().url("/refuses"));
  assert.equal(refused.echoed, false);
  assert.equal(refused.attempt?.responseStatus, 403);
});

test("a WhatsApp user's conversation holds both sides, oldest first", async () => {
  const t = tenant();
  await t.updateWhatsAppSettings({ webhookUrl: receiver().url("/whatsapp") });
  const user = t.whatsappUser("263778177125", "Ada");
  await user.sendText("hi");
  const answer = await fetch(`${t.graphUrl}/${t.whatsapp.phoneNumberId}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.whatsapp.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ messaging_product: "whatsapp", to: "263778177125", type: "text", text: { body: "Hello Ada" } }),
  });
  assert.equal(answer.status, 200);

  assert.deepEqual((await user.conversation()).map((m) => m.body), ["hi", "Hello Ada"]);
  assert.deepEqual((await user.conversation(1)).map((m) => m.body), ["Hello Ada"]);
});

test("numbers: update changes a number's webhook, remove takes it away", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER, { friendlyName: "support" });
  const updated = await t.numbers.update(NUMBER, { smsUrl: receiver().url("/sms") });
  assert.equal(updated.smsUrl, receiver().url("/sms"));
  assert.equal(updated.friendlyName, "support", "what the update leaves unset stays");
  await t.sendInboundSms({ from: USER, to: NUMBER, body: "to the new URL" });
  assert.equal((await receiver().waitFor((r) => r.path === "/sms")).form.Body, "to the new URL");

  await t.numbers.remove(NUMBER);
  assert.deepEqual(await t.numbers.list(), []);
});

test("rules: replace sets them in order, clear removes them all", async () => {
  const t = tenant();
  await t.rules.add(rule("old").to(USER).rejects(21211));
  const replaced = await t.rules.replace(rule("first").to(USER).rejects(21610), rule("second").toPrefix("+1555").rejects(21211));
  assert.deepEqual(replaced.map((r) => r.id), ["first", "second"]);
  assert.deepEqual((await t.rules.list()).map((r) => r.id), ["first", "second"]);
  await t.numbers.add(NUMBER);
  await assert.rejects(t.twilioClient().messages.create({ to: USER, from: NUMBER, body: "hi" }), (err: any) => err.code === 21610);

  await t.rules.clear();
  assert.deepEqual(await t.rules.list(), []);
});

test("clock: frozen it stands still, advance moves it, resume lets it run", async () => {
  const t = tenant();
  const frozen = await t.clock.freeze();
  assert.equal(frozen.frozen, true);
  const before = await t.clock.now();
  assert.equal((await t.clock.now()).getTime(), before.getTime(), "a frozen clock stands still");
  await t.clock.advance("90s");
  assert.equal((await t.clock.now()).getTime(), before.getTime() + 90_000);
  const running = await t.clock.resume();
  assert.equal(running.frozen, false);
});

test("messages: setStatus turns a message delivered now, with its callback; get reads it", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER);
  await t.clock.freeze(); // nothing moves by itself
  const sent = await t
    .twilioClient()
    .messages.create({ to: USER, from: NUMBER, body: "hi", statusCallback: receiver().url("/status") });
  assert.equal((await t.messages.get(sent.sid)).status, MessageStatus.QUEUED);

  const delivered = await t.messages.setStatus(sent.sid, "delivered");
  assert.equal(delivered.status, MessageStatus.DELIVERED);
  assert.equal((await t.messages.get(sent.sid)).status, MessageStatus.DELIVERED);
  const callback = await receiver().waitFor((r) => r.form.MessageStatus === "delivered");
  assert.equal(callback.form.MessageSid, sent.sid);
});

test("whatsappSettings reads the identity and the webhook URL; a user's button tap reaches it", async () => {
  const t = tenant();
  await t.updateWhatsAppSettings({ webhookUrl: receiver().url("/whatsapp") });
  const settings = await t.whatsappSettings();
  assert.equal(settings.webhookUrl, receiver().url("/whatsapp"));
  assert.equal(settings.identity?.phoneNumberId, t.whatsapp.phoneNumberId);

  await t.whatsappUser("263778177125", "Ada").tapButton("pay", "Pay");
  const webhook = await receiver().waitFor((r) => r.path === "/whatsapp");
  const message = webhook.json().entry[0].changes[0].value.messages[0];
  assert.deepEqual(message.interactive.button_reply, { id: "pay", title: "Pay" });
});
