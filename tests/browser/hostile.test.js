// Text from outside — a message body, a callback receiver's answer, a WhatsApp user's profile
// name and text, what a call says — reaches every page as text: no dialog opens, no script or
// image is added, and the text reads as it was written.

import assert from "node:assert/strict";

import { PAGES } from "./pages.js";
import { HOSTILE, dashboardTest, open, seed } from "./suite.js";

/** Assert nothing of the hostile markup became an element: one script (ours), no image, no on*. */
async function assertNoInjectedMarkup(page, where) {
  const found = await page.evaluate(() => ({
    scripts: [...document.scripts].map((s) => s.getAttribute("src") || `inline: ${s.textContent.slice(0, 60)}`),
    images: [...document.images].map((i) => i.outerHTML),
    handlers: [...document.querySelectorAll("*")]
      .filter((el) => [...el.attributes].some((a) => a.name.startsWith("on")))
      .map((el) => el.outerHTML.slice(0, 120)),
  }));
  assert.deepEqual(found.scripts, ["/ui/assets/live.js"], `${where}: scripts on the page`);
  assert.deepEqual(found.images, [], `${where}: images on the page`);
  assert.deepEqual(found.handlers, [], `${where}: elements with event handlers`);
}

dashboardTest(
  "hostile text: a <script> / \"><img onerror> payload in a message body, a callback's answer, a WhatsApp profile name and a call renders as text on every page",
  async ({ account, receiver, page, assertClean }) => {
    // The overview is open while the hostile traffic happens: its live rows and feed lines are
    // inserted by live.js from the server's HTML.
    await open(page, account, "/");
    const sids = await seed(account, receiver, {
      body: HOSTILE,
      failedBody: HOSTILE,
      say: HOSTILE,
      whatsappText: HOSTILE,
      profileName: HOSTILE,
    });
    const liveRow = page.locator(`table.live-table[data-kind="messages"] tr[data-sid="${sids.message}"] td.body`);
    await liveRow.waitFor();
    assert.equal((await liveRow.innerText()).trim(), HOSTILE, "the row inserted live");
    await page.locator("#events li", { hasText: "call_verb" }).filter({ hasText: "<script>alert(1)</script>" }).waitFor();
    await assertNoInjectedMarkup(page, "the overview, updated live");

    // Every page, rendered by the server, with every <details> open.
    for (const entry of PAGES) {
      await open(page, account, entry.path(sids));
      await page.evaluate(() => {
        for (const details of document.querySelectorAll("details")) details.open = true;
      });
      await assertNoInjectedMarkup(page, entry.name);
    }

    // The words, as text, where each page shows them.
    await open(page, account, "/ui/messages");
    assert.equal((await page.locator(`tr[data-sid="${sids.message}"] td.body`).innerText()).trim(), HOSTILE);

    await open(page, account, `/ui/messages/${sids.message}`);
    assert.equal(await page.locator("pre.body").innerText(), HOSTILE, "the message's body");
    const callbacks = await page.locator("table.attempts details").all();
    assert.equal(callbacks.length, 2, "the message's two status callbacks");
    for (const details of callbacks) {
      await details.locator("summary").click();
      // The callback receiver answered every status callback with the payload.
      await details.getByText(HOSTILE, { exact: true }).waitFor();
    }

    await open(page, account, `/ui/messages/${encodeURIComponent(sids.whatsapp)}`);
    assert.equal(await page.locator("pre.body").innerText(), HOSTILE, "the WhatsApp user's text");
    const webhook = page.locator("table.attempts details").first();
    await webhook.locator("summary").click();
    // The profile name is in the webhook the app got (Meta's JSON, which escapes the quote).
    const request = await webhook.getByRole("region", { name: "Request body" }).innerText();
    assert.ok(request.includes(`"profile":{"name":${JSON.stringify(HOSTILE)}}`), `the webhook's profile name, as text:\n${request}`);
    await webhook.getByText(HOSTILE, { exact: true }).waitFor(); // the bot's answer

    await open(page, account, `/ui/calls/${sids.call}`);
    // The transcript quotes what was said (its quote mark escaped as \").
    const transcript = await page.locator("#transcript li").allInnerTexts();
    assert.ok(
      transcript.some((line) => line.includes("<script>alert(1)</script>") && line.includes("><img src=x onerror=alert(2)>")),
      `the transcript shows what was said as text:\n${transcript.join("\n")}`,
    );

    await open(page, account, "/ui/callbacks");
    const answers = page.locator("table.attempts details pre", { hasText: HOSTILE });
    await page.evaluate(() => {
      for (const details of document.querySelectorAll("details")) details.open = true;
    });
    assert.ok((await answers.count()) >= 4, "the callbacks page shows every hostile answer");

    assertClean(); // no dialog, no console error (a CSP refusal would be one), no page error
  },
  { answer: HOSTILE }, // what the app's webhook receiver answers every request with
);
