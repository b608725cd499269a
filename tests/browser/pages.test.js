// Every page of the dashboard (pages.js) on one seeded server: it opens (200, the CSP header, the
// live view connected, no console error, no uncaught error), it is saved as a screenshot in
// target/screenshots (see suite.js), and axe-core finds no serious or critical accessibility violation on it.
// Then a keyboard user's first Tabs.

import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { PAGES } from "./pages.js";
import { LAPTOP, PHONE, TEST_TIMEOUT_MS, newPage, open, screenshot, seed, startMockingbird, startReceiver } from "./suite.js";

// axe-core's own build, evaluated in the page. Not `page.addScriptTag({ content })`: that is an
// inline <script>, which the dashboard's CSP (script-src 'self') rightly refuses. Evaluating the
// source through the DevTools protocol is not subject to the page's CSP, so the audit runs on
// the page exactly as a person gets it, without a `bypassCSP` context that would change it.
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The impacts this suite fails on. */
const BLOCKING = new Set(["serious", "critical"]);

describe("every page", () => {
  let mb = null;
  let account = null;
  let receiver = null;
  let sids = null;

  before(async () => {
    ({ mb, account } = await startMockingbird());
    receiver = await startReceiver();
    sids = await seed(account, receiver, {
      body: "Your verification code is 428113. It expires in 10 minutes.",
      failedBody: "Your order #1042 has shipped.",
      say: "Thanks for calling Acme. Your balance is 12 dollars. Goodbye.",
      whatsappText: "Hi! Is my order on its way?",
      profileName: "Ada Lovelace",
    });
  });

  after(async () => {
    if (receiver) await receiver.stop();
    if (mb) await mb.stop();
  });

  /** Run `fn` with a watched page at `viewport`, closed afterwards; failures carry the server's log. */
  async function withPage(viewport, fn) {
    const watched = await newPage(viewport === PHONE ? { viewport, isMobile: true } : { viewport });
    try {
      await fn(watched);
    } catch (err) {
      mb.attachOutput(err); // what it printed so far: the server serves the file's other tests
      throw err;
    } finally {
      await watched.close().catch(() => {});
    }
  }

  async function openEntry(page, entry) {
    await open(page, account, entry.path(sids));
    const heading = (await page.locator("h1").innerText()).trim();
    if (entry.heading instanceof RegExp) assert.match(heading, entry.heading, `${entry.name}: <h1>`);
    else assert.equal(heading, entry.heading, `${entry.name}: <h1>`);
    if (entry.ready) await entry.ready(page);
  }

  for (const entry of PAGES) {
    test(`${entry.name}: opens with its CSP and the live view, no console error; screenshot`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withPage(LAPTOP, async ({ page, assertClean }) => {
        await openEntry(page, entry);
        await screenshot(page, entry.name);
        assertClean();
      });
    });

    if (entry.phone) {
      test(`${entry.name}: at phone width (${PHONE.width} px) fits the screen; screenshot`, { timeout: TEST_TIMEOUT_MS }, async () => {
        await withPage(PHONE, async ({ page, assertClean }) => {
          await openEntry(page, entry);
          await screenshot(page, `${entry.name}-phone`);
          // Nothing may be wider than the phone but what scrolls inside its own box (a table's
          // .scroll). With isMobile the layout viewport grows to fit the page (innerWidth too):
          // the screen is the root's clientWidth.
          const wide = await page.evaluate(() => {
            const screen = document.documentElement.clientWidth;
            const overflow = document.documentElement.scrollWidth - screen;
            // The outermost elements that stick out, to name in the failure.
            const out = [...document.querySelectorAll("body *")]
              .filter((el) => el.getBoundingClientRect().right > screen + 1 && !el.closest(".scroll"))
              .filter((el, _, all) => !all.includes(el.parentElement))
              .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className ? "." + String(el.className).split(" ").join(".") : ""} (right edge at ${Math.round(el.getBoundingClientRect().right)} px)`);
            return { overflow, out };
          });
          assert.ok(wide.overflow <= 0, `${entry.name} at ${PHONE.width} px is ${wide.overflow} px wider than the screen; sticking out: ${wide.out.join(", ")}`);
          assertClean();
        });
      });
    }

    test(`${entry.name}: axe-core finds no serious or critical accessibility violation`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await withPage(LAPTOP, async ({ page, assertClean }) => {
        await openEntry(page, entry);
        // What a <details> hides is audited too: the request and answer of each webhook attempt.
        await page.evaluate(() => {
          for (const details of document.querySelectorAll("details")) details.open = true;
        });
        await page.evaluate(AXE_SOURCE);
        const violations = await page.evaluate(async () => {
          const results = await window.axe.run(document, { resultTypes: ["violations"] });
          return results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary, impact: n.impact })),
          }));
        });
        const blocking = violations.filter((v) => BLOCKING.has(v.impact));
        const report = blocking
          .map((v) =>
            [`- ${v.id} (${v.impact}): ${v.help} ${v.helpUrl}`]
              .concat(v.nodes.map((n) => `    ${n.target}\n      ${n.html}\n      ${(n.summary || "").replace(/\n/g, "\n      ")}`))
              .join("\n"),
          )
          .join("\n");
        assert.equal(blocking.length, 0, `${entry.name} (${page.url()}) has serious or critical accessibility violations:\n${report}`);
        assertClean();
      });
    });
  }

  test("the browser finds the dashboard's icon (a <link rel=icon>, else /favicon.ico)", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(LAPTOP, async ({ page, assertClean }) => {
      await open(page, account, "/");
      // A browser asks for /favicon.ico when a page names no icon; a 404 there is an error in
      // the console of every dashboard user.
      const icon = await page.evaluate(() => {
        const link = document.querySelector('link[rel~="icon"]');
        return link ? link.href : new URL("/favicon.ico", location.href).href;
      });
      if (!icon.startsWith("data:")) {
        const response = await page.request.get(icon);
        assert.equal(response.status(), 200, `the icon ${icon} answered ${response.status()}: the page names no <link rel="icon"> and /favicon.ico is not served`);
      }
      assertClean();
    });
  });

  test("keyboard: the first Tabs reach the skip link, every section of the nav and the tenant switcher", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(LAPTOP, async ({ page, assertClean }) => {
      await open(page, account, "/");
      const focused = [];
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press("Tab");
        focused.push(
          await page.evaluate(() => {
            const el = document.activeElement;
            const box = el.getBoundingClientRect();
            return {
              tag: el.tagName.toLowerCase(),
              id: el.id,
              text: (el.innerText || el.value || "").trim(),
              className: el.className,
              visible: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0 && box.right <= window.innerWidth,
            };
          }),
        );
      }
      const seen = focused.map((f) => `${f.tag}${f.id ? "#" + f.id : ""} ${JSON.stringify(f.text)}`).join("\n");
      assert.equal(focused[0].text, "Skip to content", `the first Tab is not the skip link; focus went:\n${seen}`);
      assert.ok(focused[0].visible, "the skip link is not on screen when focused");
      for (const section of ["Overview", "Messages", "Calls", "Callbacks"]) {
        assert.ok(focused.some((f) => f.tag === "a" && f.text === section), `Tab never reaches the nav's ${section}; focus went:\n${seen}`);
      }
      assert.ok(focused.some((f) => f.id === "tenant-switch"), `Tab never reaches the tenant switcher; focus went:\n${seen}`);

      // The skip link leads to the content.
      await page.locator("a.skip").focus();
      await page.keyboard.press("Enter");
      await page.waitForURL(/#main$/);
      assertClean();
    });
  });
});
