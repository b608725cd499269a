// The complete test in clients/typescript/README.md, verbatim: if it breaks, the README lies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Mockingbird, WebhookReceiver, rule } from "@mockingbird/testing";

test("a delivered message reaches the app as a signed callback", async () => {
  await using mb = await Mockingbird.start(); // $MOCKINGBIRD_BIN, or mockingbird on PATH
  await using tenant = await mb.tenant("a delivered message");
  await using app = await WebhookReceiver.start(); // stands in for the app's webhook
  await tenant.numbers.add("+15550101010");
  await tenant.rules.add(rule().to("+15557654321").sent({ after: "1s" }).delivered({ after: "2s" }));
  await tenant.clock.freeze();

  // The app sends with the official twilio SDK, pointed at mockingbird as this tenant.
  const message = await tenant.twilioClient().messages.create({
    to: "+15557654321",
    from: "+15550101010",
    body: "Your code is 1234",
    statusCallback: app.url("/twilio/status"),
  });

  await tenant.clock.advance("3s"); // queued → sent → delivered, at once
  await tenant.waitFor({ sid: message.sid, kind: "message_status_changed", status: "delivered" });
  const callback = await app.waitFor((request) => request.form.MessageStatus === "delivered");
  assert.ok(tenant.signedByTwilio(callback)); // twilio.validateRequest, with the tenant's auth token
});
