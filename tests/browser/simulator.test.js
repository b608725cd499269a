// The simulator: a person writes to a WhatsApp bot as a user, sees the bot's buttons arrive in
// the thread without a reload, taps one, and sees the bot's answer arrive.

import assert from "node:assert/strict";
import http from "node:http";
import { after, test } from "node:test";

import { TEST_TIMEOUT_MS, UI_TIMEOUT_MS, newPage, open, screenshot, startMockingbird, waitForLive } from "./suite.js";

/** The config's WhatsApp identity (mockingbird's defaults), as a bot is given it. */
const PHONE_NUMBER_ID = "123456789";
const ACCESS_TOKEN = "mockingbird";

/**
 * A small WhatsApp bot: it answers Meta's webhook at once, then writes back through the Cloud
 * API — a question with two reply buttons to a greeting, a thank-you to the "Pay" button.
 */
function startBot() {
  const heard = [];
  let graph = null;
  const reply = (to, message) =>
    fetch(`${graph}/v23.0/${PHONE_NUMBER_ID}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${ACCESS_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ messaging_product: "whatsapp", to, ...message }),
    });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      const value = JSON.parse(Buffer.concat(chunks).toString("utf8")).entry[0].changes[0].value;
      const message = value.messages && value.messages[0];
      if (!message) return;
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
      reply(message.from, answer).catch((err) => heard.push({ error: String(err) }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/webhook`,
        heard,
        useGraph: (base) => { graph = base; },
        stop: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      });
    });
  });
}

const cleanups = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

test("simulator: a user's greeting gets the bot's buttons, and tapping Pay gets its answer, live", { timeout: TEST_TIMEOUT_MS }, async () => {
  const bot = await startBot();
  cleanups.push(bot.stop);
  const { mb, account } = await startMockingbird({ "whatsapp.webhook_url": bot.url });
  cleanups.push(() => mb.stop());
  bot.useGraph(mb.httpUrl);
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
