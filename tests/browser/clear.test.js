// Clearing a tenant from the dashboard: asked first, done only on "Yes, clear".

import assert from "node:assert/strict";

import { dashboardTest, open, placeCall, sendMessage, waitForCall, waitForLive, waitForMessage } from "./suite.js";

dashboardTest("clear: the overview's Clear this tenant… asks first; No keeps everything, Yes, clear empties the tenant", async ({ account, receiver, page, assertClean }) => {
  const message = await sendMessage(account, { body: "Keep me until asked.", statusCallback: receiver.url("/twilio/status") });
  const call = await placeCall(account, { twiml: "<Response><Say>Hello</Say></Response>" });
  await waitForMessage(account, message.sid, ["delivered"]);
  await waitForCall(account, call.sid, ["completed"]);

  await open(page, account, "/");
  const messageRows = page.locator('table.live-table[data-kind="messages"] tbody tr');
  const callRows = page.locator('table.live-table[data-kind="calls"] tbody tr');
  assert.equal(await messageRows.count(), 1);
  assert.equal(await callRows.count(), 1);

  // Asking removes nothing; "No, go back" neither.
  await page.getByRole("link", { name: "Clear this tenant…" }).click();
  await page.waitForURL((url) => url.pathname === "/ui/clear" && url.searchParams.get("scope") === "tenant");
  assert.equal((await page.locator("h1").innerText()).trim(), "Clear this tenant's data?");
  await page.locator("main code", { hasText: account.accountSid }).waitFor();
  await page.getByRole("link", { name: "No, go back" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await waitForLive(page);
  assert.equal(await messageRows.count(), 1, "No, go back cleared the messages");
  assert.equal((await account.twilioClient().messages.list()).length, 1);

  // Yes, clear.
  await page.getByRole("link", { name: "Clear this tenant…" }).click();
  await page.waitForURL((url) => url.pathname === "/ui/clear");
  await page.getByRole("button", { name: "Yes, clear" }).click();
  await page.waitForURL((url) => url.pathname === "/" && url.searchParams.get("tenant") === account.accountSid);
  await waitForLive(page);
  assert.equal(await messageRows.count(), 0, "the overview still lists messages");
  assert.equal(await callRows.count(), 0, "the overview still lists calls");
  const card = (name) => page.locator(".cards div", { has: page.locator("dt", { hasText: name }) }).locator("dd");
  assert.equal((await card("Messages stored").innerText()).trim(), "0");
  assert.equal((await card("Calls stored").innerText()).trim(), "0");
  assert.equal((await card("Webhook attempts").innerText()).trim(), "0");

  // The API agrees, and so does the messages page.
  assert.deepEqual(await account.twilioClient().messages.list(), []);
  assert.deepEqual(await account.twilioClient().calls.list(), []);
  await open(page, account, "/ui/messages");
  await page.getByText("No messages.", { exact: true }).waitFor();
  assertClean();
});
