// The official twilio-node SDK against mockingbird: every call below is one a real app makes.
//
// Each test states the real-Twilio behaviour it checks. Servers are per test (see suite.js).
// This suite mirrors tests/python/test_twilio_sdk.py.

import assert from "node:assert/strict";
import { MessageStatus, validTwilioSignature } from "@mockingbird/testing";
import twilio from "twilio";

import { FAILURE_NUMBER, FROM_NUMBER, REGISTERED_NUMBER, restError, serverTest } from "./suite.js";

const MAGIC_TEST_SENDER = "+15005550006";
const OTHER_NUMBER = "+15557654321";
const FINAL_STATUSES = ["delivered", "undelivered", "failed", "canceled", "received"];
const SID_PATTERN = /^SM[0-9a-f]{32}$/;

/**
 * Wait until the message reaches `status`, as its status_changed event says (fails early if it
 * ends in another final one), and fetch it.
 */
async function waitForStatus(account, client, sid, status, timeoutMs = 5_000) {
  const event = await account.waitFor(
    { kind: "message_status_changed", sid, status: [status, ...FINAL_STATUSES] },
    { timeout: timeoutMs },
  );
  const reached = MessageStatus[event.payload.value.status].toLowerCase();
  if (reached !== status) throw new Error(`${sid} ended ${JSON.stringify(reached)}, expected ${JSON.stringify(status)}`);
  return client.messages(sid).fetch();
}

const statuses = (requests) => requests.map((r) => r.form.MessageStatus);
const sidsOf = (messages) => messages.map((m) => m.sid);

function assertDate(value, what) {
  assert.ok(value instanceof Date, `${what} is not a Date: ${JSON.stringify(value)}`);
  assert.ok(!Number.isNaN(value.getTime()), `${what} is an invalid Date`);
}

// --------------------------------------------------------------------------------------------
// Create, fetch, lifecycle
// --------------------------------------------------------------------------------------------

// POST Messages.json answers 201 with a queued Message resource (SM + 32 hex SID, num_segments
// "1", price_unit "USD", RFC 2822 dates the SDK turns into Dates); fetching it returns the same
// resource, and an SMS to a reachable number moves on to `delivered`.
serverTest("create, fetch and deliver a message", async ({ client, account }) => {
  const message = await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "Hello from the SDK" });
  assert.equal(client.httpClient.lastResponse.statusCode, 201);

  assert.match(message.sid, SID_PATTERN);
  assert.equal(message.status, "queued");
  assert.equal(message.numSegments, "1");
  assert.equal(message.numMedia, "0");
  assert.equal(message.priceUnit, "USD");
  assert.equal(message.direction, "outbound-api");
  assert.equal(message.apiVersion, "2010-04-01");
  assert.equal(message.accountSid, account.accountSid);
  assert.equal(message.to, REGISTERED_NUMBER);
  assert.equal(message.from, FROM_NUMBER);
  assert.equal(message.body, "Hello from the SDK");
  assertDate(message.dateCreated, "dateCreated");
  assert.equal(message.errorCode, null);

  const fetched = await client.messages(message.sid).fetch();
  assert.equal(fetched.sid, message.sid);
  assert.equal(fetched.body, "Hello from the SDK");
  assert.equal(fetched.to, REGISTERED_NUMBER);
  assertDate(fetched.dateCreated, "fetched dateCreated");
  assert.equal(fetched.dateCreated.getTime(), message.dateCreated.getTime());

  const delivered = await waitForStatus(account, client, message.sid, "delivered");
  assert.equal(delivered.errorCode, null);
  assertDate(delivered.dateSent, "dateSent");
});

// --------------------------------------------------------------------------------------------
// Lists and paging
// --------------------------------------------------------------------------------------------

/** Seven messages to REGISTERED_NUMBER from FROM_NUMBER, then two elsewhere from the magic sender. */
async function seedMessages(client) {
  const mine = [];
  for (let i = 0; i < 7; i++) {
    mine.push((await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: `message ${i}` })).sid);
  }
  const others = [];
  for (let i = 0; i < 2; i++) {
    others.push((await client.messages.create({ to: OTHER_NUMBER, from: MAGIC_TEST_SENDER, body: `other ${i}` })).sid);
  }
  return { mine, others };
}

const getsOf = (http) => http.requests.filter((r) => r.method === "GET");

// GET Messages.json lists newest first and pages with PageSize, following next_page_uri until it
// is null; To filters the list, and every page keeps the filter. `list` gathers every page.
serverTest("list follows pages newest first and keeps the To filter", async ({ client }) => {
  const { mine, others } = await seedMessages(client);
  const http = client.httpClient;
  http.requests.length = 0;

  const listed = await client.messages.list({ to: REGISTERED_NUMBER, pageSize: 3 });
  const sids = sidsOf(listed);
  assert.deepEqual(sids, [...mine].reverse(), "expected all 7, newest first");
  assert.equal(new Set(sids).size, sids.length);
  assert.ok(listed.every((m) => m.to === REGISTERED_NUMBER));

  // 7 messages in pages of 3: three GETs, every one still filtered by To and sized 3.
  const gets = getsOf(http);
  assert.equal(gets.length, 3, JSON.stringify(gets));
  for (const { uri } of gets.slice(1)) {
    const query = new URL(uri).searchParams;
    assert.deepEqual(query.getAll("To"), [REGISTERED_NUMBER], uri);
    assert.deepEqual(query.getAll("PageSize"), ["3"], uri);
  }

  // A limit stops early, newest first (over every message: no filter here).
  const limited = await client.messages.list({ limit: 4, pageSize: 3 });
  assert.deepEqual(sidsOf(limited), [...mine, ...others].reverse().slice(0, 4));
});

// `each` streams every message of every page in order, newest first (9 messages in pages of 2:
// five GETs), and calls `done` once at the end; its `done` callback can also stop it early.
serverTest("each streams every page, newest first", async ({ client }) => {
  const { mine, others } = await seedMessages(client);
  const http = client.httpClient;
  http.requests.length = 0;

  const streamed = [];
  let doneCalls = 0;
  await client.messages.each({
    pageSize: 2,
    callback: (message) => streamed.push(message.sid),
    done: (error) => {
      assert.equal(error, undefined);
      doneCalls += 1;
    },
  });
  assert.deepEqual(streamed, [...mine, ...others].reverse());
  assert.equal(doneCalls, 1);
  assert.equal(getsOf(http).length, 5, JSON.stringify(http.requests));

  // Stopping from the callback: no more messages, no more pages.
  http.requests.length = 0;
  const firstThree = [];
  await client.messages.each({ pageSize: 2 }, (message, done) => {
    firstThree.push(message.sid);
    if (firstThree.length === 3) done();
  });
  assert.deepEqual(firstThree, [...mine, ...others].reverse().slice(0, 3));
  assert.equal(getsOf(http).length, 2);
});

// `page` returns one page at a time; nextPage() follows next_page_uri (absolute on
// api.twilio.com, so it goes back through the custom client) and is undefined on the last page;
// previousPage() walks back; getPage(url) loads a page from a URL the app kept.
serverTest("page walks forward and back", async ({ client }) => {
  const { mine } = await seedMessages(client);
  const newestFirst = [...mine].reverse();

  const first = await client.messages.page({ to: REGISTERED_NUMBER, pageSize: 3 });
  assert.deepEqual(sidsOf(first.instances), newestFirst.slice(0, 3));
  assert.ok(first.nextPageUrl, "first page has a next page");
  assert.equal(first.previousPageUrl, undefined);
  assert.match(first.nextPageUrl, /^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Messages\.json\?/);

  const second = await first.nextPage();
  assert.deepEqual(sidsOf(second.instances), newestFirst.slice(3, 6));
  const third = await second.nextPage();
  assert.deepEqual(sidsOf(third.instances), newestFirst.slice(6));
  assert.equal(third.nextPageUrl, undefined);
  assert.equal(third.nextPage(), undefined);

  const back = await third.previousPage();
  assert.deepEqual(sidsOf(back.instances), newestFirst.slice(3, 6));

  const again = await client.messages.getPage(first.nextPageUrl);
  assert.deepEqual(sidsOf(again.instances), newestFirst.slice(3, 6));
});

// From filters the list, alone or together with To (both must match); a filter that matches
// nothing gives an empty list.
serverTest("list filters by From", async ({ client }) => {
  const { mine, others } = await seedMessages(client);

  assert.deepEqual(sidsOf(await client.messages.list({ from: MAGIC_TEST_SENDER })), [...others].reverse());
  assert.deepEqual(sidsOf(await client.messages.list({ from: FROM_NUMBER, pageSize: 4 })), [...mine].reverse());
  assert.deepEqual(
    sidsOf(await client.messages.list({ from: MAGIC_TEST_SENDER, to: OTHER_NUMBER })),
    [...others].reverse(),
  );
  assert.deepEqual(await client.messages.list({ to: REGISTERED_NUMBER, from: MAGIC_TEST_SENDER }), []);
});

// --------------------------------------------------------------------------------------------
// Redact and delete
// --------------------------------------------------------------------------------------------

// POST Messages/{Sid}.json with Body="" redacts the message: the body becomes empty and stays
// empty when fetched again.
serverTest("redact a message body", async ({ client, account }) => {
  const message = await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "secret code 123456" });
  await waitForStatus(account, client, message.sid, "delivered");

  const redacted = await client.messages(message.sid).update({ body: "" });
  assert.equal(redacted.sid, message.sid);
  assert.equal(redacted.body, "");
  assert.equal((await client.messages(message.sid).fetch()).body, "");
});

// DELETE Messages/{Sid}.json on a delivered message answers 204 (the SDK's remove() resolves
// true); afterwards the message is gone: fetch answers 404 with code 20404, and it leaves lists.
serverTest("delete a delivered message", async ({ client, account }) => {
  const message = await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "to be deleted" });
  await waitForStatus(account, client, message.sid, "delivered");

  assert.equal(await client.messages(message.sid).remove(), true);
  assert.equal(client.httpClient.lastResponse.statusCode, 204);

  const error = await restError(client.messages(message.sid).fetch());
  assert.equal(error.status, 404);
  assert.equal(error.code, 20404);
  assert.deepEqual(await client.messages.list(), []);
});

// Fetching a well-formed SID that does not exist answers 404 with code 20404.
serverTest("an unknown message is 404", async ({ client }) => {
  const error = await restError(client.messages("SM" + "0".repeat(32)).fetch());
  assert.equal(error.status, 404);
  assert.equal(error.code, 20404);
});

// --------------------------------------------------------------------------------------------
// Errors
// --------------------------------------------------------------------------------------------

// A wrong auth token is refused with 401 and code 20003, on writes, reads and lists (Node's
// Page raises a RestException too).
serverTest("bad credentials are 401 with code 20003", async ({ account, makeClient }) => {
  const client = makeClient(account.accountSid, "notthetoken");

  let error = await restError(client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "hi" }));
  assert.equal(error.status, 401);
  assert.equal(error.code, 20003);

  error = await restError(client.messages("SM" + "0".repeat(32)).fetch());
  assert.equal(error.status, 401);
  assert.equal(error.code, 20003);

  error = await restError(client.messages.list());
  assert.equal(error.status, 401);
  assert.equal(error.code, 20003);
});

// Twilio refuses a bad create with 400 and its documented code: 21211 for an invalid To
// (including the magic test number +15005550001), 21606 for a From the account does not own,
// 21617 for a body over 1,600 characters. Nothing is created.
for (const { name, to, from, body, code } of [
  { name: "invalid To is 21211", to: "+1abc", from: FROM_NUMBER, body: "hi", code: 21211 },
  { name: "From not owned is 21606", to: REGISTERED_NUMBER, from: "+15550009999", body: "hi", code: 21606 },
  { name: "body over 1600 characters is 21617", to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "x".repeat(1601), code: 21617 },
  { name: "magic invalid To +15005550001 is 21211", to: "+15005550001", from: MAGIC_TEST_SENDER, body: "hi", code: 21211 },
]) {
  serverTest(`validation: ${name}`, async ({ client }) => {
    const error = await restError(client.messages.create({ to, from, body }));
    assert.equal(error.status, 400);
    assert.equal(error.code, code);
    assert.ok(error.message, "the exception carries Twilio's message");
    assert.deepEqual(await client.messages.list(), []);
  });
}

// 1,600 characters is Twilio's limit itself, not over it: the message is accepted.
serverTest("a body of exactly 1600 characters is accepted", async ({ client }) => {
  const message = await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "x".repeat(1600) });
  assert.equal(message.status, "queued");
  assert.equal(message.body.length, 1600);
});

// --------------------------------------------------------------------------------------------
// Status callbacks
// --------------------------------------------------------------------------------------------

function assertSigned(request, authToken) {
  const signature = request.headers["x-twilio-signature"];
  assert.ok(signature, `no X-Twilio-Signature on ${request.method} ${request.url}`);
  assert.ok(
    validTwilioSignature(request, authToken),
    `signature ${signature} does not validate for ${request.url} ${JSON.stringify(request.form)}`,
  );
}

// Twilio POSTs a form-encoded callback to StatusCallback for each status after `queued`: `sent`,
// then `delivered`. Each is signed (X-Twilio-Signature over the full URL, query included, and the
// sorted parameters, with the account's auth token) and passes twilio.validateRequest; each
// carries MessageSid/SmsSid, MessageStatus/SmsStatus, AccountSid, From, To, ApiVersion;
// `delivered` also carries RawDlrDoneDate.
serverTest("status callbacks are signed and arrive in order", async ({ client, account, receiver }) => {
  const callbackUrl = receiver.url("/twilio/status?tenant=t1&attempt=a");
  const message = await client.messages.create({
    to: REGISTERED_NUMBER,
    from: FROM_NUMBER,
    body: "callback me",
    statusCallback: callbackUrl,
  });

  const received = await receiver.waitUntil((reqs) => statuses(reqs).includes("delivered"), 5_000);
  assert.deepEqual(statuses(received), ["sent", "delivered"]);

  for (const request of received) {
    assert.equal(request.method, "POST");
    assert.equal(request.url, callbackUrl);
    assert.match(request.headers["content-type"] || "", /^application\/x-www-form-urlencoded/);
    assertSigned(request, account.authToken);
    const params = request.form;
    const status = params.MessageStatus;
    assert.equal(params.MessageSid, message.sid);
    assert.equal(params.SmsSid, message.sid);
    assert.equal(params.SmsStatus, status);
    assert.equal(params.AccountSid, account.accountSid);
    assert.equal(params.From, FROM_NUMBER);
    assert.equal(params.To, REGISTERED_NUMBER);
    assert.equal(params.ApiVersion, "2010-04-01");
    assert.ok(!("ErrorCode" in params), `unexpected ErrorCode in ${status} callback`);
  }

  const [sent, delivered] = received;
  assert.ok(!("RawDlrDoneDate" in sent.form));
  assert.match(delivered.form.RawDlrDoneDate || "", /^\d{10}$/); // YYMMDDhhmm

  // A tampered parameter no longer validates: the signature covers the parameters.
  const tampered = { ...delivered.form, MessageStatus: "failed" };
  assert.equal(twilio.validateRequest(account.authToken, delivered.headers["x-twilio-signature"], delivered.url, tampered), false);
  // Nor does it validate with another token.
  assert.equal(twilio.validateRequest("someothertoken", delivered.headers["x-twilio-signature"], delivered.url, delivered.form), false);
  assert.equal((await client.messages(message.sid).fetch()).status, "delivered");
});

// A message that fails ends `failed` with errorCode 30008 (Twilio's "unknown error"), and the
// `failed` callback carries ErrorCode=30008, signed like every other callback.
serverTest("a failure number ends failed with 30008", async ({ client, account, receiver }) => {
  const callbackUrl = receiver.url("/failed");
  const message = await client.messages.create({
    to: FAILURE_NUMBER,
    from: FROM_NUMBER,
    body: "will fail",
    statusCallback: callbackUrl,
  });
  assert.equal(message.status, "queued");

  const failed = await waitForStatus(account, client, message.sid, "failed");
  assert.equal(failed.errorCode, 30008);

  const received = await receiver.waitUntil((reqs) => statuses(reqs).includes("failed"), 5_000);
  assert.equal(statuses(received).at(-1), "failed");
  assert.ok(!statuses(received).includes("delivered"));
  const last = received.at(-1);
  assertSigned(last, account.authToken);
  assert.equal(last.form.MessageSid, message.sid);
  assert.equal(last.form.ErrorCode, "30008");
  assert.ok(!("RawDlrDoneDate" in last.form));
});

// --------------------------------------------------------------------------------------------
// Subaccounts
// --------------------------------------------------------------------------------------------

// POST Accounts.json creates a subaccount with its own SID and auth token, owned by the parent.
// A client with the subaccount's credentials sends from the magic test number +15005550006; its
// messages show in its own list (and in the parent's view of the subaccount), never in the
// parent's own list, and the subaccount cannot read its parent's messages.
serverTest("a subaccount sends with its own credentials", async ({ client, account, makeClient }) => {
  const sub = await client.api.v2010.accounts.create({ friendlyName: "x" });
  assert.match(sub.sid, /^AC[0-9a-f]{32}$/);
  assert.notEqual(sub.sid, account.accountSid);
  assert.ok(sub.authToken && sub.authToken !== account.authToken);
  assert.equal(sub.friendlyName, "x");
  assert.equal(sub.ownerAccountSid, account.accountSid);
  assert.equal(sub.status, "active");

  const parentMessage = await client.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "parent" });

  const subClient = makeClient(sub.sid, sub.authToken);
  const subMessage = await subClient.messages.create({ to: REGISTERED_NUMBER, from: MAGIC_TEST_SENDER, body: "from the subaccount" });
  assert.match(subMessage.sid, SID_PATTERN);
  assert.equal(subMessage.accountSid, sub.sid);
  assert.equal(subMessage.status, "queued");

  assert.deepEqual(sidsOf(await client.messages.list()), [parentMessage.sid]);
  assert.deepEqual(sidsOf(await subClient.messages.list()), [subMessage.sid]);
  // The parent's credentials may act on its subaccount's resources.
  const asParent = makeClient(account.accountSid, account.authToken, { accountSid: sub.sid });
  assert.deepEqual(sidsOf(await asParent.messages.list()), [subMessage.sid]);
  // But the subaccount cannot see its parent's messages.
  const error = await restError(subClient.api.v2010.accounts(account.accountSid).messages(parentMessage.sid).fetch());
  assert.ok([401, 404].includes(error.status), `status ${error.status}`);
});

// Twilio accepts an API key in place of the auth token: twilio(keySid, keySecret, { accountSid })
// sends Basic auth as SK…:secret with the AC… account SID in the URL. The key comes from the
// Keys resource, whose create answer is the only one that shows the secret.
serverTest("an API key from the Keys resource authenticates as its account", async ({ client, account, makeClient }) => {
  const key = await client.newKeys.create({ friendlyName: "ci" });
  assert.match(key.sid, /^SK[0-9a-f]{32}$/);
  assert.ok(key.secret);
  assert.equal(key.friendlyName, "ci");

  const keyClient = makeClient(key.sid, key.secret, { accountSid: account.accountSid });
  const sent = await keyClient.messages.create({ to: REGISTERED_NUMBER, from: FROM_NUMBER, body: "with a key" });
  assert.equal(sent.accountSid, account.accountSid);
  assert.deepEqual(sidsOf(await client.messages.list()), [sent.sid]);

  const fetched = await client.keys(key.sid).fetch();
  assert.equal(fetched.friendlyName, "ci");
  assert.equal(fetched.secret, undefined);

  assert.equal(await client.keys(key.sid).remove(), true);
  const error = await restError(keyClient.messages.list());
  assert.equal(error.status, 401);
  assert.equal(error.code, 20003);
});
