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
