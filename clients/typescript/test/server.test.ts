// Starting, connecting and stopping: the parts of the client that hold no tenant.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Mockingbird } from "@mockingbird/testing";

test("connect reaches a running server with its control token, and a tenant works there", async () => {
  await using started = await Mockingbird.start({ token: "s3cret" });

  const mb = await Mockingbird.connect(started.grpcUrl, { token: "s3cret", httpUrl: started.httpUrl });
  await using tenant = await mb.tenant("connected");
  await tenant.numbers.add("+15550101010");
  const message = await tenant
    .twilioClient()
    .messages.create({ to: "+15557654321", from: "+15550101010", body: "through a connected server" });
  assert.match(message.sid, /^SM/);

  await assert.rejects(Mockingbird.connect(started.grpcUrl, { token: "wrong" }), (err: any) => {
    assert.equal(ConnectError.from(err).code, Code.Unauthenticated);
    return true;
  });
});

test("start names the binary it could not find", async () => {
  await assert.rejects(Mockingbird.start({ binary: "/nonexistent/mockingbird" }), /mockingbird binary not found \(\/nonexistent\/mockingbird\)/);
});

test("start with a config file: account() is its account, acted on as a tenant", async () => {
  const accountSid = "AC" + "b".repeat(32);
  await using mb = await Mockingbird.start({
    config: `twilio:\n  account_sid: "${accountSid}"\n  auth_token: "configtoken"\n  allowed_from_numbers: ["+15550000001"]\n`,
  });

  const account = await mb.account();
  assert.equal(account.accountSid, accountSid);
  assert.equal(account.authToken, "configtoken");
  assert.equal((await mb.account(accountSid)).accountSid, accountSid);
  assert.equal(account.server, mb, "a tenant knows its server");
  // The config's From list holds: its number sends without a numbers.add.
  const sent = await account.twilioClient().messages.create({ to: "+15557654321", from: "+15550000001", body: "from the config" });
  assert.equal(sent.accountSid, accountSid);
  assert.deepEqual((await account.messages.list()).map((m) => m.sid), [sent.sid]);
});

test("attachOutput adds what the server printed to a failed test's error", async () => {
  const mb = await Mockingbird.start();
  await mb.stop();
  const error = new Error("the assertion");
  mb.attachOutput(error);
  assert.match(error.message, /^the assertion\n--- mockingbird output \(http:\/\/127\.0\.0\.1:\d+\) ---\n/);
  assert.ok(error.message.includes(mb.output()), "the message carries the output");
  assert.ok(error.stack!.includes("--- end of mockingbird output ---"), "and so does the stack");
});
