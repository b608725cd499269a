// The live view: what the app does through the Twilio API shows up on an open page without a
// reload (Server-Sent Events from /ui/live), and a message's page tells its story.

import assert from "node:assert/strict";

import { dashboardTest, open, sendMessage, waitForAttempts, waitForLive, waitForMessage } from "./suite.js";

/**
 * Mark the page so that a reload or a navigation would show: a value on `window` (gone with the
 * document) and a count of the main frame's navigations. `check()` asserts neither happened.
 */
async function markNoReload(page) {
  let navigations = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await page.evaluate(() => {
    window.__mockingbirdSamePage = "still the same document";
  });
  return {
    async check() {
      assert.equal(navigations, 0, "the page navigated (or reloaded) instead of updating in place");
      assert.equal(await page.evaluate(() => window.__mockingbirdSamePage), "still the same document", "the page was reloaded");
    },
  };
}

dashboardTest("live: a message sent through the Twilio API appears on the open messages page, then turns delivered, without a reload", async ({ account, receiver, page, assertClean }) => {
  await open(page, account, "/ui/messages"); // waits for "Live updates: on."
  const table = page.locator('table.live-table[data-kind="messages"]');
  assert.equal(await table.locator("tbody tr").count(), 0, "a fresh server lists no message");
  const marker = await markNoReload(page);

  const sent = await sendMessage(account, { body: "Your table for two is ready.", statusCallback: receiver.url("/twilio/status") });
  const row = table.locator(`tr[data-sid="${sent.sid}"]`);
  await row.waitFor();
  assert.equal((await row.locator("td.body").innerText()).trim(), "Your table for two is ready.");
  await row.locator(".status", { hasText: /^delivered$/ }).waitFor();
  assert.equal((await account.twilioClient().messages(sent.sid).fetch()).status, "delivered"); // the API agrees with the page
  assert.equal(await table.locator("tbody tr").count(), 1, "the message has one row");

  await marker.check();
  assertClean();
});

dashboardTest("live: the overview's activity feed and recent messages follow a message as it goes", async ({ account, receiver, page, assertClean }) => {
  await open(page, account, "/");
  const marker = await markNoReload(page);

  const sent = await sendMessage(account, { body: "See you at 7.", statusCallback: receiver.url("/twilio/status") });
  const feed = page.locator("#events");
  await feed.locator("li", { hasText: "message_created" }).filter({ hasText: sent.sid }).waitFor();
  await feed.locator("li", { hasText: `${sent.sid} to +15551234567: sent → delivered` }).waitFor();
  await feed.locator("li", { hasText: "callback_attempted" }).filter({ hasText: "delivered" }).waitFor();
  await page
    .locator(`table.live-table[data-kind="messages"] tr[data-sid="${sent.sid}"] .status`, { hasText: /^delivered$/ })
    .waitFor();
  // Newest first: the last status change is above the message's creation.
  const lines = await feed.locator("li").allInnerTexts();
  const created = lines.findIndex((l) => l.includes("message_created"));
  const delivered = lines.findIndex((l) => l.includes("sent → delivered"));
  assert.ok(delivered < created, `the feed is not newest first:\n${lines.join("\n")}`);

  await marker.check();
  assertClean();
});

dashboardTest("live: a list that was empty stops saying so when a row arrives", async ({ account, page, assertClean }) => {
  await open(page, account, "/ui/messages");
  await page.getByText("No messages.", { exact: true }).waitFor();
  const sent = await sendMessage(account, { body: "First!" });
  await page.locator(`tr[data-sid="${sent.sid}"]`).waitFor();
  // The "No messages." under a table that now has a message contradicts it.
  assert.equal(await page.getByText("No messages.", { exact: true }).isVisible(), false, 'the page still says "No messages." under the message that arrived');
  assertClean();
});

dashboardTest("timeline: a message's page, opened from its row, shows each status it passed and its status callbacks", async ({ account, receiver, page, assertClean }) => {
  const sent = await sendMessage(account, { body: "Your code is 551 204.", statusCallback: receiver.url("/twilio/status") });
  await waitForMessage(account, sent.sid, ["delivered"]);
  await waitForAttempts(account, sent.sid, 2); // sent and delivered, both stored

  await open(page, account, "/ui/messages");
  await page.locator(`tr[data-sid="${sent.sid}"] a`).click();
  await page.waitForURL((url) => url.pathname === `/ui/messages/${sent.sid}`);
  await waitForLive(page);

  assert.equal((await page.locator("h1").innerText()).trim(), `Message ${sent.sid}`);
  assert.equal((await page.locator("#status").innerText()).trim(), "delivered");
  assert.equal((await page.locator("pre.body").innerText()).trim(), "Your code is 551 204.");

  // The timeline: created, the rule that decided, each status in order, each callback.
  const timeline = await page.locator("#timeline li").allInnerTexts();
  const at = (text) => timeline.findIndex((line) => line.includes(text));
  const story = timeline.join("\n");
  for (const step of ["message_created", "rule_matched", "queued → sent", "sent → delivered"]) {
    assert.ok(at(step) >= 0, `the timeline has no "${step}":\n${story}`);
  }
  assert.ok(at("message_created") < at("queued → sent") && at("queued → sent") < at("sent → delivered"), `the timeline is out of order:\n${story}`);
  const callbackLines = timeline.filter((line) => line.includes("callback_attempted"));
  assert.equal(callbackLines.length, 2, `the timeline should have the two status callbacks:\n${story}`);
  for (const line of callbackLines) assert.ok(line.includes(receiver.url("/twilio/status")) && line.includes("→ 200"), `callback line: ${line}`);

  // The webhook attempts: one per status, to the receiver, answered 200, request inside.
  const attempts = page.locator("table.attempts tbody tr");
  assert.equal(await attempts.count(), 2);
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    const cells = (await attempts.nth(i).locator("td").allInnerTexts()).map((c) => c.trim());
    statuses.push(cells[2]);
    assert.equal(cells[3], `POST ${receiver.url("/twilio/status")}`, `attempt ${i + 1}'s request`);
    assert.equal(cells[5], "200", `attempt ${i + 1}'s answer`);
    const details = attempts.nth(i).locator("details");
    await details.locator("summary").click();
    const request = await details.getByRole("region", { name: "Request body" }).innerText();
    assert.match(request, new RegExp(`MessageStatus=${cells[2]}(&|$)`), `attempt ${i + 1}'s request body`);
  }
  assert.deepEqual(statuses.sort(), ["delivered", "sent"]);
  assert.equal(receiver.requests.length, 2, "the receiver heard the two callbacks");
  assertClean();
});
