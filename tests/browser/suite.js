// What the dashboard suite shares: its servers (started by @mockingbird/testing, on the config
// below), the traffic it makes through the official twilio SDK and the control plane, and
// Debian's Chromium driven by playwright-core (`executablePath`: no browser download), with the
// checks every page gets (its CSP, the live view, no console error).
//
// One browser per test file (launched on first use, closed after the file's tests); a context and
// a page per test, watched for console errors, uncaught page errors and dialogs.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Mockingbird, WebhookReceiver } from "@mockingbird/testing";
import { chromium } from "playwright-core";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
// Runs save their pictures under target/ (SIDs and times differ every run, so they would
// always show as changed); `SCREENSHOTS_DIR=docs/screenshots` refreshes the committed ones.
export const SCREENSHOTS = path.resolve(REPO, process.env.SCREENSHOTS_DIR || path.join("target", "screenshots"));
export const TEST_TIMEOUT_MS = 60_000; // a hung test fails instead of hanging the suite
/** How long a page may take to show what a test waits for (a row, a status, a line). */
export const UI_TIMEOUT_MS = 10_000;

export const FROM_NUMBER = "+15550000001";
export const REGISTERED_NUMBER = "+15551234567";
export const FAILURE_NUMBER = "+15559999999";

/** What an attacker would like a page to run: every piece must reach the page as text. */
export const HOSTILE = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;

/** The server's config over its defaults: who may send, who fails, callbacks soon after each status. */
const SETTINGS = {
  "twilio.registered_numbers": `["${REGISTERED_NUMBER}"]`,
  "twilio.allowed_from_numbers": `["${FROM_NUMBER}"]`,
  "twilio.failure_numbers": `["${FAILURE_NUMBER}"]`,
  "twilio.callbacks.delay_seconds": 0.1,
  "twilio.callbacks.retry_delay_seconds": 0.2,
  "twilio.callbacks.timeout_seconds": 2,
};

/**
 * A fresh mockingbird (port 0, in-memory database) with this suite's settings, and more
 * (`settings`: config keys). Resolves to { mb, account }: the server, and its config account,
 * which the dashboard shows and the suite's traffic goes to.
 */
export async function startMockingbird(settings = {}) {
  const mb = await Mockingbird.start({ settings: { ...SETTINGS, ...settings } });
  return { mb, account: await mb.account() };
}

/** The app's webhook receiver on 127.0.0.1: answers every request 200 with `answer` as text/plain. */
export async function startReceiver(answer = "") {
  const receiver = await WebhookReceiver.start();
  return receiver.fallback(() => ({ contentType: "text/plain; charset=utf-8", body: answer }));
}

// --------------------------------------------------------------------------------------------
// Traffic: the Twilio API as an app calls it, the control plane as a user and as the test
// --------------------------------------------------------------------------------------------

/** Send a message as the app does (the SDK's messages.create); resolves to the message. */
export function sendMessage(account, { to = REGISTERED_NUMBER, from = FROM_NUMBER, body, statusCallback }) {
  return account.twilioClient().messages.create({ to, from, body, statusCallback });
}

/** Place a call whose TwiML is `twiml`; resolves to the call. */
export function placeCall(account, { to = REGISTERED_NUMBER, from = FROM_NUMBER, twiml }) {
  return account.twilioClient().calls.create({ to, from, twiml });
}

/** Wait until the message's status is one of `statuses`, as its status_changed event says. */
export function waitForMessage(account, sid, statuses) {
  return account.waitFor({ kind: "message_status_changed", sid, status: statuses }, { timeout: UI_TIMEOUT_MS });
}

export function waitForCall(account, sid, statuses) {
  return account.waitFor({ kind: "call_status_changed", sid, callStatus: statuses }, { timeout: UI_TIMEOUT_MS });
}

/**
 * Wait until `count` webhook attempts about `sid` are stored: each one's callback_attempted
 * event is written with it, just after the app answered, so the receiver having heard a request
 * does not yet mean the dashboard shows it.
 */
export async function waitForAttempts(account, sid, count) {
  const attempts = account.subscribe({ kind: "callback_attempted", sid });
  try {
    await attempts.take(count, UI_TIMEOUT_MS);
  } finally {
    attempts.close();
  }
}

/**
 * Fill a server with one of everything the pages show, and wait until each lifecycle has ended
 * (so that a page, and its screenshot, does not change under the test):
 *  - a message delivered to a registered number, its status callbacks answered by the receiver;
 *  - a message to the failure number, failed;
 *  - a call whose TwiML says `say`, completed;
 *  - a WhatsApp user's text, from profile `profileName`, sent to the receiver as the bot.
 * Resolves to { message, failed, call, whatsapp } (their SIDs) and whatsappUser (the user's number).
 */
export async function seed(account, receiver, { body, failedBody, say, whatsappText, profileName }) {
  const delivered = await sendMessage(account, { body, statusCallback: receiver.url("/twilio/status") });
  const failed = await sendMessage(account, { to: FAILURE_NUMBER, body: failedBody, statusCallback: receiver.url("/twilio/status") });
  const call = await placeCall(account, { twiml: `<Response><Say>${escapeXml(say)}</Say></Response>` });
  const whatsappUser = "263778177125";
  await account.whatsappUser(whatsappUser, profileName).sendText(whatsappText, { target: receiver.url("/bot/webhook") });
  // The inbound message's SID is its wamid, which the app's webhook names.
  const webhook = receiver.requests.find((r) => r.path === "/bot/webhook");
  assert.ok(webhook, "the WhatsApp user's message did not reach the app's webhook");
  const whatsapp = webhook.json().entry[0].changes[0].value.messages[0].id;
  await Promise.all([
    waitForMessage(account, delivered.sid, ["delivered"]),
    waitForMessage(account, failed.sid, ["failed"]),
    waitForCall(account, call.sid, ["completed"]),
    waitForAttempts(account, delivered.sid, 2), // sent and delivered
  ]);
  return { message: delivered.sid, failed: failed.sid, call: call.sid, whatsapp, whatsappUser };
}

function escapeXml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// --------------------------------------------------------------------------------------------
// The browser
// --------------------------------------------------------------------------------------------

/** Debian's Chromium (CHROMIUM_PATH, as scripts/browser-tests.sh sets it, else /usr/bin/chromium). */
function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].filter(Boolean);
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`Chromium not found (${candidates.join(", ")}): run scripts/browser-tests.sh, which installs it, or set CHROMIUM_PATH`);
}

let browserPromise = null;

/** This test file's browser, launched on first use and closed after the file's tests. */
export function browser() {
  if (browserPromise === null) {
    browserPromise = chromium.launch({
      executablePath: chromiumPath(),
      // Chromium's sandbox refuses to run as root, which CI is.
      args: process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [],
      timeout: 30_000,
    });
  }
  return browserPromise;
}
after(async () => {
  if (browserPromise !== null) await (await browserPromise).close();
});

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * A fresh context and page, watched: every console error, uncaught page error and dialog (an
 * `alert()` an injected script would open) is collected in `problems`, and `assertClean()`
 * fails with them. Motion is reduced so a row that changed is not caught mid-animation.
 */
export async function newPage({ viewport = LAPTOP, isMobile = false } = {}) {
  const context = await (await browser()).newContext({
    viewport,
    isMobile,
    hasTouch: isMobile,
    deviceScaleFactor: 1,
    reducedMotion: "reduce",
    colorScheme: "light",
    locale: "en-US",
    timezoneId: "UTC",
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      const { url, lineNumber } = message.location();
      // The browser asks for /favicon.ico by itself, once per browser, on whichever page comes
      // first: pages.test.js checks the icon once, rather than every test failing by turns.
      if (url && new URL(url).pathname === "/favicon.ico") return;
      problems.push(`console error on ${page.url()}: ${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`uncaught error on ${page.url()}: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`a ${dialog.type()} dialog opened on ${page.url()}: ${JSON.stringify(dialog.message())}`);
    dialog.dismiss().catch(() => {});
  });
  return {
    context,
    page,
    problems,
    assertClean() {
      assert.deepEqual(problems, [], `the page reported problems:\n${problems.join("\n")}`);
    },
    close: () => context.close(),
  };
}

/** The URL of a dashboard path on the account's server, with `tenant=` added when the path has none. */
export function pageUrl(account, pathname) {
  const url = new URL(pathname, account.server.httpUrl);
  if (!url.searchParams.has("tenant")) url.searchParams.set("tenant", account.accountSid);
  return url.href;
}

/** Assert the document's response carries the dashboard's Content-Security-Policy. */
export function assertCsp(response, what) {
  const csp = response.headers()["content-security-policy"];
  assert.ok(csp, `${what}: no Content-Security-Policy header`);
  assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `${what}: CSP without script-src 'self': ${csp}`);
  assert.match(csp, /(^|;)\s*style-src 'self'\s*(;|$)/, `${what}: CSP without style-src 'self': ${csp}`);
  assert.match(csp, /(^|;)\s*default-src 'none'\s*(;|$)/, `${what}: CSP without default-src 'none': ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP allows inline code: ${csp}`);
}

/**
 * Open a dashboard page: 200, HTML, the CSP set, and (unless `live` is false) the live view
 * connected — "Live updates: on." once the page's EventSource is open. Resolves to the response.
 */
export async function open(page, account, pathname, { live = true } = {}) {
  const url = pageUrl(account, pathname);
  const response = await page.goto(url, { waitUntil: "load" });
  assert.ok(response, `${url}: no response`);
  assert.equal(response.status(), 200, `${url} answered ${response.status()}`);
  assert.match(response.headers()["content-type"] || "", /^text\/html/, `${url}: not HTML`);
  assertCsp(response, url);
  if (live) await waitForLive(page);
  return response;
}

export function waitForLive(page) {
  return page.locator("#live-state", { hasText: "Live updates: on." }).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Save a screenshot of the page to SCREENSHOTS/<name>.png. */
export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Nothing blinks: no caret, no animation mid-way (the context also reduces motion).
  await page.screenshot({ path: file, animations: "disabled", caret: "hide", fullPage: false });
  return file;
}

/** Add what the page reported to a failed test's error, as the server's output is. */
export function attachProblems(error, problems) {
  if (!(error instanceof Error) || problems.length === 0) return;
  const seen = `\n--- the page reported ---\n${problems.join("\n")}`;
  const stack = error.stack ?? ""; // read first: V8 formats it from the message at first read
  error.message += seen;
  error.stack = stack + seen;
}

// --------------------------------------------------------------------------------------------
// Tests with a server and a page
// --------------------------------------------------------------------------------------------

/**
 * `test(name, fn)` with a fresh mockingbird, a receiver answering `answer`, and a watched page
 * (`viewport`): `fn({ t, mb, account, receiver, page, problems, assertClean })`. All are closed
 * afterwards; a failure carries the server's output and what the page reported.
 */
export function dashboardTest(name, fn, { answer = "", viewport = LAPTOP, timeout = TEST_TIMEOUT_MS } = {}) {
  return test(name, { timeout }, async (t) => {
    const { mb, account } = await startMockingbird();
    let receiver = null;
    let watched = null;
    try {
      receiver = await startReceiver(answer);
      watched = await newPage({ viewport });
      await fn({ t, mb, account, receiver, ...watched });
    } catch (err) {
      await mb.stop(); // so that everything it wrote has been read
      if (watched) attachProblems(err, watched.problems);
      mb.attachOutput(err);
      throw err;
    } finally {
      if (watched) await watched.close().catch(() => {});
      if (receiver) await receiver.stop();
      await mb.stop();
    }
  });
}
