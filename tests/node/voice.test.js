// Voice through the official twilio-node SDK: the Calls and Recordings resources over REST, and
// apps whose TwiML is written only with the SDK's own builder (twilio.twiml.VoiceResponse), run
// unchanged by mockingbird as Twilio runs it. The test is the person on the phone through the
// control plane's Calls service, and moves the tenant's clock instead of sleeping.
//
// Each test states the real-Twilio behaviour it checks. Servers are per test (see suite.js).

import assert from "node:assert/strict";
import { CallStatus, EventTimeoutError, WebhookReceiver, rule } from "@mockingbird/testing";
import twilio from "twilio";

import { FROM_NUMBER, REGISTERED_NUMBER, restError, serverTest } from "./suite.js";

const { VoiceResponse } = twilio.twiml;

const CALLER = "+15557654321"; // the person on the phone, not one of the account's numbers
const IVR_NUMBER = "+15550002222"; // the app's number, bought in the test
const AGENT = "+15557770001";
const RINGING_NUMBER = "+15551239999"; // a callee who lets it ring (a rule says so)
const MAGIC_TEST_SENDER = "+15005550006";
const CALL_SID = /^CA[0-9a-f]{32}$/;
const RECORDING_SID = /^RE[0-9a-f]{32}$/;

// --------------------------------------------------------------------------------------------
// The app: TwiML from the SDK's builder, every request checked with the SDK's validator
// --------------------------------------------------------------------------------------------

/**
 * The app under test: `pages` maps a path to a function from the request to a VoiceResponse,
 * served as `text/xml`. Like an app behind twilio.webhook(), it refuses what Twilio did not sign.
 * Stopped when the test ends.
 */
async function twimlApp(t, account, pages) {
  const app = (await WebhookReceiver.start()).fallback((request) => {
    request.signed = account.signedByTwilio(request);
    if (!request.signed) return { status: 403, contentType: "text/plain", body: "not signed by Twilio" };
    const page = pages[request.path];
    if (!page) return { status: 404, contentType: "text/plain", body: "no such page" };
    return { contentType: "text/xml", body: page(request).toString() };
  });
  t.after(() => app.stop());
  return app;
}

/** What the app's requests asked for, as `METHOD /path`. */
const pagesAsked = (app) => app.requests.map((r) => `${r.method} ${r.path}`);

/** The app's only request for `path`. */
function requestFor(app, path) {
  const found = app.requests.filter((r) => r.path === path);
  assert.equal(found.length, 1, `requests for ${path}: ${JSON.stringify(pagesAsked(app))}`);
  return found[0];
}

/** The words the caller heard, in order. */
const said = (detail) => detail.transcript.filter((e) => e.type === "said").map((e) => e.text);
/** The transcript's entry types, in order. */
const steps = (detail) => detail.transcript.map((e) => e.type);

/**
 * No call so far drew a notification: no TwiML error (11200, 12100, 12300) and no 12200 warning
 * for an attribute Twilio would refuse. The builder's TwiML ran as it was written.
 */
async function assertNoNotifications(account) {
  // Every action above returned once its TwiML had run, so the events are all stored: a
  // wait that gives up at once only reads them.
  const outcome = await account
    .waitFor({ kind: "call_notification" }, { timeout: 1 })
    .then((event) => ({ event }), (error) => ({ error }));
  assert.ok(outcome.error instanceof EventTimeoutError, String(outcome.error ?? JSON.stringify(outcome.event)));
}

function assertTwilioError(error, status, code) {
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message, "the exception carries Twilio's message");
  assert.equal(error.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
}

// --------------------------------------------------------------------------------------------
// The clock, the callee, the app's number
// --------------------------------------------------------------------------------------------

/** Move the frozen clock of the config's account by `seconds`, running all that falls due. */
const advance = (account, seconds) => account.clock.advance(seconds * 1_000);


/** Buy IVR_NUMBER through the SDK, its calls going to `voiceUrl`. */
const buyNumber = (client, voiceUrl, extra = {}) =>
  client.incomingPhoneNumbers.create({ phoneNumber: IVR_NUMBER, voiceUrl, ...extra });

/** The call's status callbacks received so far, as `CallStatus/SequenceNumber`. */
const reported = (requests) => requests.map((r) => `${r.form.CallStatus}/${r.form.SequenceNumber}`);

// --------------------------------------------------------------------------------------------
// Create, fetch, the app's TwiML, status callbacks
// --------------------------------------------------------------------------------------------

// POST Calls.json answers 201 with a queued outbound-api call (CA… SID, no duration, start or end
// time yet). The callee answers, Twilio POSTs the app's Url (signed, CallStatus in-progress) and
// runs the TwiML: the caller hears the <Say> `loop` times in its voice and language, then
// <Hangup> ends the call. StatusCallbackEvent asks for every event: initiated, ringing,
// answered (CallStatus in-progress) and completed, numbered from 0, the last with CallDuration.
serverTest("a call to the app's Url runs its TwiML and reports the events asked for", async (ctx) => {
  const { t, account, client, receiver } = ctx;
  const app = await twimlApp(t, account, {
    "/voice": () => {
      const response = new VoiceResponse();
      response.say({ voice: "Polly.Joanna", language: "en-US", loop: 2 }, "Your code is 1 2 3 4");
      response.hangup();
      return response;
    },
  });
  const statusCallback = receiver.url("/call-status?tenant=t1");

  const call = await client.calls.create({
    to: REGISTERED_NUMBER,
    from: FROM_NUMBER,
    url: app.url("/voice"),
    statusCallback,
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
  });
  assert.equal(client.httpClient.lastResponse.statusCode, 201);
  assert.match(call.sid, CALL_SID);
  assert.equal(call.status, "queued");
  assert.equal(call.direction, "outbound-api");
  assert.equal(call.to, REGISTERED_NUMBER);
  assert.equal(call.from, FROM_NUMBER);
  assert.equal(call.accountSid, account.accountSid);
  assert.equal(call.apiVersion, "2010-04-01");
  assert.equal(call.priceUnit, "USD");
  assert.equal(call.duration, null);
  assert.equal(call.startTime, null);
  assert.equal(call.endTime, null);
  assert.ok(call.dateCreated instanceof Date);

  const fetched = await client.calls(call.sid).fetch();
  assert.equal(fetched.sid, call.sid);
  assert.equal(fetched.to, REGISTERED_NUMBER);

  // The test waits for what the caller hears, as the events name it.
  const heard = await account.waitFor({ kind: "call_verb", sid: call.sid, bodyContains: "Your code is" }, { timeout: "5s" });
  assert.equal(heard.payload.case, "callVerb");
  assert.equal(heard.payload.value.entry.type, "said");

  const callbacks = await receiver.waitUntil((reqs) => reqs.length >= 4);
  assert.deepEqual(reported(callbacks), ["initiated/0", "ringing/1", "in-progress/2", "completed/3"]);
  for (const callback of callbacks) {
    assert.equal(callback.url, statusCallback);
    assert.ok(account.signedByTwilio(callback), `unsigned: ${JSON.stringify(callback.form)}`);
    assert.equal(callback.form.CallSid, call.sid);
    assert.equal(callback.form.CallbackSource, "call-progress-events");
    assert.equal(callback.form.Direction, "outbound-api");
    assert.ok(callback.form.Timestamp, "a Timestamp");
  }
  assert.ok(!("CallDuration" in callbacks[2].form));
  assert.match(callbacks[3].form.CallDuration, /^\d+$/);

  const voice = requestFor(app, "/voice");
  assert.equal(voice.method, "POST");
  assert.ok(voice.signed);
  for (const [name, value] of Object.entries({
    CallSid: call.sid,
    AccountSid: account.accountSid,
    From: FROM_NUMBER,
    To: REGISTERED_NUMBER,
    CallStatus: "in-progress",
    Direction: "outbound-api",
    ApiVersion: "2010-04-01",
  })) {
    assert.equal(voice.form[name], value, name);
  }

  const ended = await client.calls(call.sid).fetch();
  assert.equal(ended.status, "completed");
  assert.equal(ended.duration, callbacks[3].form.CallDuration);
  assert.ok(ended.startTime instanceof Date && ended.endTime instanceof Date);

  const detail = (await account.calls.get(call.sid)).detail;
  assert.deepEqual(said(detail), ["Your code is 1 2 3 4"]);
  const say = JSON.parse(detail.transcript.find((e) => e.type === "said").json);
  assert.equal(say.voice, "Polly.Joanna");
  assert.equal(say.language, "en-US");
  assert.equal(say.loops, 2);
  await assertNoNotifications(account);
});

// A VoiceResponse passed as `twiml` is sent as the builder wrote it (XML declaration included)
// and runs as the call's TwiML: <Say>, <Play> with its loop, a <Pause> that takes its length of
// the call's time, <Hangup>, and nothing after it. Without StatusCallbackEvent, Twilio reports
// only `completed`, with CallDuration in seconds and Duration in minutes rounded up.
serverTest("a call's Twiml from the builder runs unchanged and only `completed` is reported", async (ctx) => {
  const { client, receiver, account } = ctx;
  await account.clock.freeze();
  const twiml = new VoiceResponse();
  twiml.say("Hello from the builder.");
  twiml.play({ loop: 2 }, "https://cdn.example.com/chime.mp3");
  twiml.pause({ length: 3 });
  twiml.say({ language: "fr-FR" }, "Au revoir.");
  twiml.hangup();
  twiml.say("Never said.");

  const call = await client.calls.create({
    to: REGISTERED_NUMBER,
    from: FROM_NUMBER,
    twiml,
    statusCallback: receiver.url("/status"),
  });
  const sent = client.httpClient.requests.at(-1).data;
  assert.equal(sent.Twiml, twiml.toString());
  assert.match(sent.Twiml, /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Say>/);

  // Dialed, rung and answered within a second; then the pause holds the line.
  await advance(account, 1);
  let detail = (await account.calls.get(call.sid)).detail;
  assert.equal(detail.call.status, CallStatus.IN_PROGRESS);
  assert.equal(detail.waitingFor, "pause");
  await advance(account, 3);

  detail = (await account.calls.get(call.sid)).detail;
  assert.deepEqual(steps(detail), ["fetched", "said", "played", "paused", "said", "hung_up"]);
  assert.deepEqual(said(detail), ["Hello from the builder.", "Au revoir."]);
  const played = detail.transcript.find((e) => e.type === "played");
  assert.equal(played.text, "https://cdn.example.com/chime.mp3");
  assert.equal(JSON.parse(played.json).loops, 2);

  const ended = await client.calls(call.sid).fetch();
  assert.equal(ended.status, "completed");
  assert.equal(ended.duration, "3");

  const callbacks = await receiver.waitUntil((reqs) => reqs.length >= 1);
  assert.deepEqual(reported(receiver.requests), ["completed/0"]);
  assert.equal(callbacks[0].form.CallDuration, "3");
  assert.equal(callbacks[0].form.Duration, "1");
  await assertNoNotifications(account);
});

// --------------------------------------------------------------------------------------------
// Lists, updates, deletes, errors
// --------------------------------------------------------------------------------------------

// GET Calls.json lists newest first; To, From and Status filter it (together, all must hold),
// and paging with PageSize keeps the filters. Status=canceled on a queued call cancels it.
serverTest("list filters calls by To, From and Status", async ({ client, account }) => {
  await account.clock.freeze(); // every call stays queued until canceled
  const place = (to, from) => client.calls.create({ to, from, twiml: new VoiceResponse().hangup() });
  const first = await place(REGISTERED_NUMBER, FROM_NUMBER);
  const other = await place(CALLER, FROM_NUMBER);
  const third = await place(REGISTERED_NUMBER, MAGIC_TEST_SENDER);
  assert.equal((await client.calls(other.sid).update({ status: "canceled" })).status, "canceled");

  const sids = (calls) => calls.map((c) => c.sid);
  assert.deepEqual(sids(await client.calls.list()), [third.sid, other.sid, first.sid]);
  assert.deepEqual(sids(await client.calls.list({ to: REGISTERED_NUMBER })), [third.sid, first.sid]);
  assert.deepEqual(sids(await client.calls.list({ from: MAGIC_TEST_SENDER })), [third.sid]);
  assert.deepEqual(sids(await client.calls.list({ status: "canceled" })), [other.sid]);
  assert.deepEqual(await client.calls.list({ status: "completed" }), []);

  assert.deepEqual(sids(await client.calls.list({ status: "queued", from: FROM_NUMBER })), [first.sid]);

  // Two pages of one: the SDK follows next_page_uri, which keeps both filters.
  const http = client.httpClient;
  http.requests.length = 0;
  const paged = await client.calls.list({ status: "queued", to: REGISTERED_NUMBER, pageSize: 1 });
  assert.deepEqual(sids(paged), [third.sid, first.sid]);
  const [firstPage, ...nextPages] = http.requests;
  assert.deepEqual(firstPage.params, { Status: "queued", To: REGISTERED_NUMBER, PageSize: 1 });
  assert.ok(nextPages.length >= 1, JSON.stringify(http.requests));
  for (const { uri } of nextPages) {
    const query = new URL(uri).searchParams;
    assert.deepEqual([query.get("Status"), query.get("To")], ["queued", REGISTERED_NUMBER], uri);
  }
});

// Updating a call: a redirect (Url or Twiml) needs a call in progress (21220 before); a ringing
// call is canceled with Status=canceled and ends unanswered, while a call in progress is not
// affected by it; a live call takes new TwiML at once (what it was waiting for is dropped) and
// Status=completed hangs it up. DELETE is refused with
// 20009 while the call lives and answers 204 once it has ended; then the call is gone (20404).
serverTest("update cancels a ringing call, redirects a live one, hangs it up; delete once ended", async (ctx) => {
  const { t, account, client } = ctx;
  await account.rules.add(rule("rings").channel("voice").to(RINGING_NUMBER).keepsRinging());
  await account.clock.freeze();
  const app = await twimlApp(t, account, {
    "/hold": () => {
      const response = new VoiceResponse();
      response.gather({ numDigits: 1, timeout: 30 }).say("Please hold.");
      return response;
    },
    "/moved": () => {
      const response = new VoiceResponse();
      response.say("Moved by Url.");
      response.gather({ timeout: 30 });
      return response;
    },
  });
  const place = () => client.calls.create({ to: RINGING_NUMBER, from: FROM_NUMBER, url: app.url("/hold") });

  // Canceled while it rings.
  const canceled = await place();
  assertTwilioError(await restError(client.calls(canceled.sid).update({ url: app.url("/moved") })), 400, 21220);
  await advance(account, 1);
  assert.equal((await client.calls(canceled.sid).fetch()).status, "ringing");
  const after = await client.calls(canceled.sid).update({ status: "canceled" });
  assert.equal(after.status, "canceled");
  assert.equal(after.duration, null);
  assert.ok(after.endTime instanceof Date);
  await advance(account, 120); // its Timeout passes: nothing more happens to it
  assert.equal((await client.calls(canceled.sid).fetch()).status, "canceled");

  // Answered by the test, then moved by the app.
  const live = await place();
  await advance(account, 1);
  let detail = (await (await account.calls.get(live.sid)).answer()).detail;
  assert.equal(detail.call.status, CallStatus.IN_PROGRESS);
  assert.equal(detail.waitingFor, "gather");
  assertTwilioError(await restError(client.calls(live.sid).remove()), 400, 20009);
  // Status=canceled leaves a call in progress alone.
  assert.equal((await client.calls(live.sid).update({ status: "canceled" })).status, "in-progress");

  const moved = new VoiceResponse();
  moved.say("You have been moved.");
  moved.gather({ timeout: 30 });
  assert.equal((await client.calls(live.sid).update({ twiml: moved })).status, "in-progress");
  await client.calls(live.sid).update({ url: app.url("/moved") });
  assert.equal(requestFor(app, "/moved").form.CallSid, live.sid);
  detail = (await account.calls.get(live.sid)).detail;
  assert.deepEqual(said(detail), ["Please hold.", "You have been moved.", "Moved by Url."]);
  assert.equal(detail.waitingFor, "gather");

  const hungUp = await client.calls(live.sid).update({ status: "completed" });
  assert.equal(hungUp.status, "completed");
  assertTwilioError(await restError(client.calls(live.sid).update({ twiml: moved })), 400, 21220);
  assert.ok(app.requests.every((r) => r.signed));

  assert.equal(await client.calls(live.sid).remove(), true);
  assert.equal(client.httpClient.lastResponse.statusCode, 204);
  assertTwilioError(await restError(client.calls(live.sid).fetch()), 404, 20404);
  assert.deepEqual(
    (await client.calls.list()).map((c) => c.sid),
    [canceled.sid],
  );
  await assertNoNotifications(account);
});

// Twilio refuses a bad call with 400 and its code, and creates nothing: 21201 without To, 21213
// without From, 21205 without Url/Twiml (or a Url that is not http), 21211 for a To that is not
// a phone number, 21210 for a From that is not the account's, 21217 for the magic invalid To.
// An unknown call is 404 / 20404 for fetch, update and delete alike.
serverTest("bad calls are refused with Twilio's codes", async ({ client }) => {
  const twiml = new VoiceResponse().hangup();
  for (const [params, code] of [
    [{ to: "", from: FROM_NUMBER, twiml }, 21201],
    [{ to: REGISTERED_NUMBER, from: "", twiml }, 21213],
    [{ to: REGISTERED_NUMBER, from: FROM_NUMBER }, 21205],
    [{ to: REGISTERED_NUMBER, from: FROM_NUMBER, url: "ftp://app.example.com/voice" }, 21205],
    [{ to: "12", from: FROM_NUMBER, twiml }, 21211],
    [{ to: REGISTERED_NUMBER, from: CALLER, twiml }, 21210],
    [{ to: "+15005550001", from: MAGIC_TEST_SENDER, twiml }, 21217],
  ]) {
    assertTwilioError(await restError(client.calls.create(params)), 400, code);
  }
  assert.deepEqual(await client.calls.list(), []);

  const unknown = client.calls("CA" + "0".repeat(32));
  assertTwilioError(await restError(unknown.fetch()), 404, 20404);
  assertTwilioError(await restError(unknown.update({ status: "completed" })), 404, 20404);
  assertTwilioError(await restError(unknown.remove()), 404, 20404);
});

// --------------------------------------------------------------------------------------------
// An IVR, end to end
// --------------------------------------------------------------------------------------------

/** The IVR: a menu, a sales submenu that dials an agent, voicemail when the agent is busy. */
const IVR_PAGES = {
  "/voice": () => {
    const response = new VoiceResponse();
    const menu = response.gather({ numDigits: 1, action: "/menu", timeout: 5 });
    menu.say({ voice: "Polly.Joanna", language: "en-US" }, "Press 1 for sales, 2 for support.");
    response.say("We did not get your choice. Goodbye.");
    return response;
  },
  "/menu": ({ form }) => {
    const response = new VoiceResponse();
    if (form.Digits === "1") {
      response.gather({ numDigits: 1, action: "/sales" }).say("Press 1 to talk to an agent.");
    } else {
      response.say("Support is closed.");
      response.hangup();
    }
    return response;
  },
  "/sales": () => {
    const response = new VoiceResponse();
    response.dial({ action: "/dialed", timeout: 20 }).number(AGENT);
    return response;
  },
  "/dialed": ({ form }) => {
    const response = new VoiceResponse();
    if (form.DialCallStatus === "completed") {
      response.hangup();
    } else {
      response.say("The agent is busy. Leave a message after the beep.");
      response.record({ action: "/voicemail", maxLength: 30, finishOnKey: "#" });
    }
    return response;
  },
  "/voicemail": () => {
    const response = new VoiceResponse();
    response.say("Thank you. Goodbye.");
    response.hangup();
    return response;
  },
};

// A caller dials the app's number: Twilio POSTs its VoiceUrl (CallStatus ringing, Direction
// inbound, Caller/Called). The <Gather numDigits=1> takes the key the caller presses and POSTs
// its action with Digits; <Dial><Number> rings the agent as a child call (outbound-dial,
// ParentCallSid) and, the agent busy, POSTs the Dial's action with DialCallStatus=busy; <Record>
// takes the caller's message until # and POSTs its action with RecordingSid, RecordingUrl,
// RecordingDuration and Digits=#. Every request is signed. The number's StatusCallback hears
// only the end of the call (completed), signed.
serverTest("an IVR built with VoiceResponse: menu, a busy agent, voicemail", async (ctx) => {
  const { t, mb, account, client, receiver } = ctx;
  const app = await twimlApp(t, account, IVR_PAGES);
  const number = await buyNumber(client, app.url("/voice"), { statusCallback: receiver.url("/ivr-status") });
  assert.equal(number.voiceUrl, app.url("/voice"));
  await account.rules.add(rule("agent-busy").channel("voice").to(AGENT).busy({ ring: "3s" }));
  await account.clock.freeze();

  // The caller dials in: the menu is said and the gather listens.
  const caller = await account.calls.placeInbound({ from: CALLER, to: IVR_NUMBER });
  let detail = caller.detail;
  const sid = detail.call.sid;
  assert.match(sid, CALL_SID);
  assert.equal(detail.call.direction, "inbound");
  assert.equal(detail.waitingFor, "gather");
  assert.deepEqual(said(detail), ["Press 1 for sales, 2 for support."]);
  const voice = requestFor(app, "/voice");
  for (const [name, value] of Object.entries({
    CallSid: sid,
    AccountSid: account.accountSid,
    From: CALLER,
    To: IVR_NUMBER,
    Caller: CALLER,
    Called: IVR_NUMBER,
    CallStatus: "ringing",
    Direction: "inbound",
  })) {
    assert.equal(voice.form[name], value, name);
  }

  // 1: the sales menu. 1 again: the agent's phone rings.
  detail = (await caller.press("1")).detail;
  assert.equal(requestFor(app, "/menu").form.Digits, "1");
  assert.equal(requestFor(app, "/menu").form.CallStatus, "in-progress");
  assert.equal(said(detail).at(-1), "Press 1 to talk to an agent.");
  detail = (await caller.press("1")).detail;
  assert.equal(detail.waitingFor, "dial");
  const legs = await client.calls.list({ parentCallSid: sid });
  assert.equal(legs.length, 1);
  const [leg] = legs;
  assert.equal(leg.to, AGENT);
  assert.equal(leg.direction, "outbound-dial");
  assert.equal(leg.parentCallSid, sid);
  assert.equal(leg.from, CALLER, "without callerId, the caller's number is the leg's caller ID");

  // Busy after 3 s of ringing: the caller is asked for a message.
  await advance(account, 3);
  assert.equal((await client.calls(leg.sid).fetch()).status, "busy");
  const dialed = requestFor(app, "/dialed");
  assert.equal(dialed.form.DialCallStatus, "busy");
  assert.equal(dialed.form.DialCallSid, leg.sid);
  assert.equal((await caller.refresh()).waitingFor, "record");

  // The caller speaks for 4 s and presses #.
  await caller.say("Hi, please call me back.");
  await advance(account, 4);
  detail = (await caller.press("#")).detail;
  assert.equal(detail.call.status, CallStatus.COMPLETED);
  assert.deepEqual(said(detail), [
    "Press 1 for sales, 2 for support.",
    "Press 1 to talk to an agent.",
    "The agent is busy. Leave a message after the beep.",
    "Thank you. Goodbye.",
  ]);
  assert.deepEqual(pagesAsked(app), ["POST /voice", "POST /menu", "POST /sales", "POST /dialed", "POST /voicemail"]);
  assert.ok(app.requests.every((r) => r.signed));

  const voicemail = requestFor(app, "/voicemail").form;
  assert.equal(voicemail.Digits, "#");
  assert.match(voicemail.RecordingSid, RECORDING_SID);
  assert.match(voicemail.RecordingDuration, /^[1-9]\d*$/);
  assert.equal(
    voicemail.RecordingUrl,
    `${mb.httpUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings/${voicemail.RecordingSid}`,
  );
  const recording = await client.recordings(voicemail.RecordingSid).fetch();
  assert.equal(recording.callSid, sid);
  assert.equal(recording.source, "RecordVerb");
  assert.equal(recording.duration, voicemail.RecordingDuration);

  const callbacks = await receiver.waitUntil((reqs) => reqs.length >= 1);
  assert.deepEqual(reported(callbacks), ["completed/0"]);
  assert.ok(account.signedByTwilio(callbacks[0]));
  assert.equal(callbacks[0].form.CallSid, sid);
  assert.equal(callbacks[0].form.Direction, "inbound");
  assert.equal((await client.calls(sid).fetch()).status, "completed");
  await assertNoNotifications(account);
});

// More of the builder's verbs: a speech <Gather> (input, language, hints) POSTs its action with
// SpeechResult and Confidence and no Digits; <Play> resolves a relative URL against the document
// and plays tones with `digits`; <Pause> waits on the call's clock; <Sms> texts the caller from
// the app's number (direction outbound-call); <Redirect method=GET> asks the new URL with the parameters in its query
// (signed over the URL alone); <Hangup> ends the call and the verbs after it never run.
serverTest("speech, Play, Pause, Sms, Redirect and Hangup, as the builder writes them", async (ctx) => {
  const { t, account, client } = ctx;
  const app = await twimlApp(t, account, {
    "/voice": () => {
      const response = new VoiceResponse();
      const gather = response.gather({ input: "speech", action: "/heard", language: "en-GB", hints: "ticket, refund" });
      gather.say("How can we help?");
      return response;
    },
    "/heard": ({ form }) => {
      const response = new VoiceResponse();
      response.say(`You said: ${form.SpeechResult}`);
      response.play({ loop: 2 }, "/audio/hello.mp3");
      response.play({ digits: "1w2" });
      response.pause({ length: 2 });
      response.sms("Your ticket is 42.");
      response.redirect({ method: "GET" }, "/last");
      return response;
    },
    "/last": () => {
      const response = new VoiceResponse();
      response.say("Bye.");
      response.hangup();
      response.say("Never said.");
      return response;
    },
  });
  await buyNumber(client, app.url("/voice"));
  await account.clock.freeze();

  const caller = await account.calls.placeInbound({ from: CALLER, to: IVR_NUMBER });
  let detail = caller.detail;
  const sid = detail.call.sid;
  assert.equal(detail.waitingFor, "gather");
  detail = (await caller.say("I lost my ticket")).detail;
  const heard = requestFor(app, "/heard").form;
  assert.equal(heard.SpeechResult, "I lost my ticket");
  assert.match(heard.Confidence, /^(0(\.\d+)?|1(\.0+)?)$/);
  assert.ok(!("Digits" in heard), "a speech gather reports no Digits");
  assert.equal(detail.waitingFor, "pause");

  await advance(account, 2);
  detail = (await caller.refresh()).detail;
  assert.equal(detail.call.status, CallStatus.COMPLETED);
  assert.deepEqual(said(detail), ["How can we help?", "You said: I lost my ticket", "Bye."]);
  const played = detail.transcript.filter((e) => e.type === "played").map((e) => JSON.parse(e.json));
  assert.equal(played.length, 2);
  assert.equal(played[0].url, app.url("/audio/hello.mp3"));
  assert.equal(played[0].loops, 2);
  assert.equal(played[1].digits, "1w2");
  assert.equal(detail.transcript.at(-1).type, "hung_up");

  const last = requestFor(app, "/last");
  assert.equal(last.method, "GET");
  assert.equal(last.query.CallSid, sid);
  assert.ok(last.signed);
  assert.ok(app.requests.every((r) => r.signed));

  const [text] = await client.messages.list({ to: CALLER });
  assert.equal(text.from, IVR_NUMBER);
  assert.equal(text.body, "Your ticket is 42.");
  await assertNoNotifications(account);
  // Twilio's Message resource: "outbound-call for messages created during a call".
  assert.equal(text.direction, "outbound-call");
});

// <Reject reason="busy"> as the first verb leaves an inbound call unanswered: it ends busy, with
// no start time and no duration, and the caller hears nothing.
serverTest("Reject as the first verb leaves an inbound call busy and unanswered", async (ctx) => {
  const { t, account, client } = ctx;
  const app = await twimlApp(t, account, {
    "/voice": () => {
      const response = new VoiceResponse();
      response.reject({ reason: "busy" });
      response.say("Never said.");
      return response;
    },
  });
  await buyNumber(client, app.url("/voice"));

  const { detail } = await account.calls.placeInbound({ from: CALLER, to: IVR_NUMBER });
  assert.equal(detail.call.status, CallStatus.BUSY);
  assert.deepEqual(said(detail), []);
  const call = await client.calls(detail.call.sid).fetch();
  assert.equal(call.status, "busy");
  assert.equal(call.direction, "inbound");
  assert.equal(call.startTime, null);
  assert.equal(call.duration, null);
});

// --------------------------------------------------------------------------------------------
// Recordings
// --------------------------------------------------------------------------------------------

// Record=true records the whole call: one recording (RE…, source OutboundAPI) as long as the
// call, listed for the account (filtered by CallSid) and under the call, fetched by SID, its
// RecordingStatusCallback signed. Its media URL serves a WAV without credentials (8 kHz mono
// 16-bit: 16,000 bytes a second after a 44-byte header). Deleted, it is gone (20404).
serverTest("Record=true leaves a recording the SDK lists and fetches, served as a WAV", async (ctx) => {
  const { mb, account, client, receiver } = ctx;
  await account.clock.freeze();
  const call = await client.calls.create({
    to: REGISTERED_NUMBER,
    from: FROM_NUMBER,
    twiml: new VoiceResponse().pause({ length: 7 }),
    record: true,
    recordingStatusCallback: receiver.url("/recording"),
  });
  await advance(account, 1);
  await advance(account, 7);
  assert.equal((await client.calls(call.sid).fetch()).duration, "7");

  const recordings = await client.recordings.list({ callSid: call.sid });
  assert.equal(recordings.length, 1);
  const [recording] = recordings;
  assert.match(recording.sid, RECORDING_SID);
  assert.equal(recording.callSid, call.sid);
  assert.equal(recording.duration, "7");
  assert.equal(recording.source, "OutboundAPI");
  assert.equal(recording.status, "completed");
  assert.equal((await client.recordings(recording.sid).fetch()).duration, "7");
  assert.deepEqual(
    (await client.calls(call.sid).recordings.list()).map((r) => r.sid),
    [recording.sid],
  );

  const [status] = await receiver.waitUntil((reqs) => reqs.length >= 1);
  assert.equal(status.path, "/recording");
  assert.ok(account.signedByTwilio(status));
  assert.equal(status.form.RecordingSid, recording.sid);
  assert.equal(status.form.RecordingDuration, "7");
  assert.equal(status.form.RecordingStatus, "completed");
  assert.equal(status.form.RecordingSource, "OutboundAPI");
  assert.equal(status.form.CallSid, call.sid);
  assert.equal(status.form.RecordingUrl, recording.mediaUrl);

  const mediaUrl = recording.mediaUrl;
  assert.ok(mediaUrl.endsWith(`/Accounts/${account.accountSid}/Recordings/${recording.sid}`), mediaUrl);
  for (const url of [mediaUrl, `${mediaUrl}.wav`]) {
    const response = await fetch(url);
    assert.equal(response.status, 200, url);
    assert.equal(response.headers.get("content-type"), "audio/x-wav");
    const wav = Buffer.from(await response.arrayBuffer());
    assert.equal(wav.subarray(0, 4).toString("latin1"), "RIFF");
    assert.equal(wav.subarray(8, 12).toString("latin1"), "WAVE");
    assert.equal(wav.length, 44 + 7 * 16_000);
  }

  assert.equal(await client.recordings(recording.sid).remove(), true);
  assertTwilioError(await restError(client.recordings(recording.sid).fetch()), 404, 20404);
  assert.deepEqual(await client.recordings.list(), []);
});
