// @mockingbird/testing from Vitest, written as a Vitest user would: one server for the file,
// a fresh tenant for each test, the official twilio SDK as the app.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import twilio from "twilio";
import { rule, useMockingbird, useReceiver, useTenant } from "@mockingbird/testing";

const NUMBER = "+15550101010"; // the tenant's number, which the app sends from
const USER = "+15557654321"; // a user's phone

const mockingbird = useMockingbird({ before: beforeAll, after: afterAll });
const tenant = useTenant({ beforeEach, afterEach }, mockingbird);

const app = useReceiver({ beforeEach, afterEach }); // stands in for the app's webhook

// What the first test's tenant was, for the second to look for (Vitest runs a file's tests in order).
let first: { accountSid: string; authToken: string; messageSid: string } | undefined;

test("the twilio SDK sends an SMS, the tenant clock delivers it and the app gets the signed callback", async () => {
  const t = tenant();
  await t.numbers.add(NUMBER);
  await t.rules.add(rule().to(USER).sent({ after: "1s" }).delivered({ after: "2s" }));
  await t.clock.freeze();

  // The app builds its own client from the tenant's settings, as it would from its config.
  const { accountSid, authToken, httpClient } = t.twilioSettings();
  const client = twilio(accountSid, authToken, { httpClient });
  const message = await client.messages.create({
    to: USER,
    from: NUMBER,
    body: "Your code is 1234",
    statusCallback: app().url("/twilio/status"),
  });
  expect(message.status).toBe("queued");

  await t.clock.advance("3s"); // queued → sent → delivered, before advance resolves
  await t.waitFor({ sid: message.sid, kind: "message_status_changed", status: "delivered" });
  const callback = await app().waitFor((request) => request.form.MessageStatus === "delivered");
  expect(callback.form.MessageSid).toBe(message.sid);

  // The SDK's own validator, as the app's webhook handler would call it.
  const signature = String(callback.headers["x-twilio-signature"]);
  expect(twilio.validateRequest(authToken, signature, callback.url, callback.form)).toBe(true);
  expect(twilio.validateRequest("not-the-auth-token", signature, callback.url, callback.form)).toBe(false);

  first = { accountSid, authToken, messageSid: message.sid };
});

test("each test gets a fresh tenant: the previous test's is gone, with its message", async () => {
  expect(first).toBeDefined(); // the first test ran before this one
  const t = tenant();
  expect(t.accountSid).not.toBe(first!.accountSid);
  expect(await t.messages.list()).toEqual([]);

  // As this tenant, the previous test's message does not exist.
  const client = t.twilioClient();
  await expect(client.messages(first!.messageSid).fetch()).rejects.toMatchObject({ status: 404 });
  // And the previous tenant was deleted after its test: its credentials no longer work.
  const old = twilio(first!.accountSid, first!.authToken, { httpClient: t.twilioSettings().httpClient });
  await expect(old.messages.list()).rejects.toMatchObject({ status: 401 });
});

test("await using: a tenant of the test's own, deleted when its block ends", async () => {
  let accountSid: string;
  {
    await using own = await mockingbird().tenant("await using");
    accountSid = own.accountSid;
    await own.numbers.add(NUMBER);
    const message = await own.twilioClient().messages.create({ to: USER, from: NUMBER, body: "hello" });
    expect((await own.messages.get(message.sid)).body).toBe("hello");
  }
  await expect(mockingbird().control.tenants.getTenant({ accountSid })).rejects.toThrow(/not.?found/i);
});
