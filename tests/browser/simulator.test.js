// The simulator: a person writes to a WhatsApp bot as a user, sees the bot's buttons arrive in
// the thread without a reload, taps one, and sees the bot's answer arrive.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { WebhookReceiver } from "@mockingbird/testing";

import { TEST_TIMEOUT_MS, UI_TIMEOUT_MS, newPage, open, screenshot, startMockingbird, waitForLive } from "./suite.js";

/**
 * A small WhatsApp bot on the client's WebhookReceiver: it answers Meta's webhook at once, then
 * writes back through the Cloud API as `account` (given by `useAccount` once the server is up) —
 * a question with two reply buttons to a greeting, a thank-you to the "Pay" button.
 */
async function startBot() {
  const heard = [];
  let account = null;
  const reply = (to, message) =>
    fetch(`${account.graphUrl}/${account.whatsapp.phoneNumberId}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${account.whatsapp.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", to, ...message }),
    });
  const receiver = (await WebhookReceiver.start()).fallback((request) => {
    const value = request.json().entry[0].changes[0].value;
    const message = value.messages && value.messages[0];
    if (message) {
      heard.push(message);
      const answer = message.type === "text"
        ? {
            type: "interactive",
            interactive: {
              type: "button",
              body: { text: "Pay the 12 € now?" },
              action: { buttons: [
                { type: "reply", reply: { id: "pay", title: "Pay" } },
                { type: "reply", reply: { id: "later", title: "Later" } },
              ] },
            },
          }
        : { type: "text", text: { body: `Paid, thanks (${message.interactive.button_reply.id})` } };
      // Sent once this webhook is answered: the fetch starts after the reply below is written.
      reply(message.from, answer).catch((err) => heard.push({ error: String(err) }));
    }
    return { contentType: "text/plain", body: "ok" };
  });
  return {
    url: receiver.url("/webhook"),
    heard,
    useAccount: (tenant) => { account = tenant; },
    stop: () => receiver.stop(),
  };
}

const cleanups = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

test("simulator: a user's greeting gets the bot's buttons, and tapping Pay gets its answer, live", { timeout: TEST_TIMEOUT_MS }, async () => {
  const bot = await startBot();
  cleanups.push(bot.stop);
  const { mb, account } = await startMockingbird({ "whatsapp.webhook_url": bot.url });
  cleanups.push(() => mb.stop());
  bot.useAccount(account);
  const { page, close, assertClean } = await newPage();
  cleanups.push(close);

  await open(page, account, "/ui/simulator");
  const whatsapp = page.locator('section[aria-labelledby="sim-whatsapp"]');
  await whatsapp.getByLabel("Message").fill("hi");
  await whatsapp.getByRole("button", { name: "Send" }).click();
  await page.waitForURL((url) => url.pathname === "/ui/conversations/thread");
  await waitForLive(page);
  const marker = await page.evaluate(() => (window.__stayed = Math.random()));

  // The bot's question arrives after the page has loaded: the live view draws it.
  const pay = page.locator("#bubbles").getByRole("button", { name: "Pay" });
  await pay.waitFor({ timeout: UI_TIMEOUT_MS });
  await page.getByText("Pay the 12 € now?").waitFor();
  assert.equal(await page.evaluate(() => window.__stayed), marker, "the thread was reloaded");
  assert.equal(bot.heard[0].text.body, "hi");

  // Tapping Pay is the user's button reply, in the context of the bot's message.
  await pay.click();
  await page.waitForURL((url) => url.pathname === "/ui/conversations/thread");
  await page.getByText("Paid, thanks (pay)").waitFor({ timeout: UI_TIMEOUT_MS });
  const tap = bot.heard[1];
  assert.equal(tap.type, "interactive");
  assert.equal(tap.interactive.button_reply.title, "Pay");
  assert.ok(tap.context && tap.context.id.startsWith("wamid."), "the tap answers the bot's message");
  assert.equal(await page.locator("#bubbles .bubble.mine").count(), 2, "the user's greeting and tap");
  await screenshot(page, "simulator-thread");
  assertClean();
});
