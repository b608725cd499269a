"use strict";
// Harness for the dashboard's browser suite: a fresh mockingbird (port 0, in-memory database),
// an app's webhook receiver on 127.0.0.1:0, the Twilio API and the WhatsApp CLI to make traffic,
// and Debian's Chromium driven by playwright-core (`executablePath`: no browser download).
//
// One browser per test file (launched on first use, closed after the file's tests); a context and
// a page per test, watched for console errors, uncaught page errors and dialogs.

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const assert = require("node:assert/strict");
const { after, test } = require("node:test");

const { chromium } = require("playwright-core");

const REPO = path.resolve(__dirname, "..", "..");
// Runs save their pictures under target/ (SIDs and times differ every run, so they would
// always show as changed); `SCREENSHOTS_DIR=docs/screenshots` refreshes the committed ones.
const SCREENSHOTS = path.resolve(REPO, process.env.SCREENSHOTS_DIR || path.join("target", "screenshots"));
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const TEST_TIMEOUT_MS = 60_000; // a hung test fails instead of hanging the suite
/** How long a page may take to show what a test waits for (a row, a status, a line). */
const UI_TIMEOUT_MS = 10_000;

const ACCOUNT_SID = "AC" + "a".repeat(32);
const AUTH_TOKEN = "mockingbirdtesttoken0123456789ab";
const FROM_NUMBER = "+15550000001";
const REGISTERED_NUMBER = "+15551234567";
const FAILURE_NUMBER = "+15559999999";

/** What an attacker would like a page to run: every piece must reach the page as text. */
const HOSTILE = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;

const CONFIG = `\
twilio:
  account_sid: "${ACCOUNT_SID}"
  auth_token: "${AUTH_TOKEN}"
  validation:
    require_auth: true
    validate_phone_format: true
    check_from_numbers: true
    require_parameters: true
  default_behavior: success
  registered_numbers: ["${REGISTERED_NUMBER}"]
  allowed_from_numbers: ["${FROM_NUMBER}"]
  failure_numbers: ["${FAILURE_NUMBER}"]
  callbacks:
    enabled: true
    delay_seconds: 0.1
    retry_attempts: 3
    retry_delay_seconds: 0.2
    timeout_seconds: 2
`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Call `fn` (sync or async) until it returns something truthy, and return that; reject after
 * `timeoutMs` with the last value seen.
 */
async function pollUntil(fn, timeoutMs, what = "condition", intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

// --------------------------------------------------------------------------------------------
// The server
// --------------------------------------------------------------------------------------------

function binaryPath() {
  const bin = process.env.MOCKINGBIRD_BIN || path.join(REPO, "target", "release", "mockingbird");
  let ok = false;
  try {
    ok = fs.statSync(bin).isFile();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new Error(`mockingbird binary not found at ${bin}: run \`cargo build --release\` or set MOCKINGBIRD_BIN`);
  }
  return bin;
}

/** The ready file's http and grpc addresses, or null while it is absent or half-written. */
function readReadyFile(file) {
  try {
    const { http: httpAddress, grpc } = JSON.parse(fs.readFileSync(file, "utf8"));
    const ok = (address) => typeof address === "string" && address !== "";
    return ok(httpAddress) && ok(grpc) ? { http: httpAddress, grpc } : null;
  } catch {
    return null;
  }
}

/** The environment the server and the CLI run with: no MOCKINGBIRD_* overrides, no proxies. */
function serverEnv() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The server reads MOCKINGBIRD_* variables as config overrides (the CLI MOCKINGBIRD_GRPC and
    // the like); everything is passed on the command line, so a developer's settings stay out.
    if (!name.startsWith("MOCKINGBIRD_")) env[name] = value;
  }
  env.NO_PROXY = env.no_proxy = "127.0.0.1,localhost";
  env.NO_COLOR = "1";
  return env;
}

// Servers still running, killed with this process should it end abruptly.
const liveChildren = new Map();
function killLiveChildren() {
  for (const [child, dir] of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  liveChildren.clear();
}
process.on("exit", killLiveChildren);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killLiveChildren();
    process.kill(process.pid, signal);
  });
}

/**
 * Start a fresh mockingbird in a temporary directory and wait for its ready file (`extraConfig`:
 * YAML sections added to the config). Resolves to
 * { baseUrl, accountSid, authToken, configFile, readyFile, output(), stop() }.
 */
async function startMockingbird({ extraConfig = "" } = {}) {
  const bin = binaryPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mockingbird-browser-"));
  const configFile = path.join(dir, "config.yaml");
  const readyFile = path.join(dir, "ready.json");
  fs.writeFileSync(configFile, CONFIG + extraConfig);
  const args = [
    "serve",
    "--config", configFile,
    "--host", "127.0.0.1",
    "--port", "0",
    "--grpc-port", "0",
    "--database", ":memory:",
    "--ready-file", readyFile,
  ];
  const chunks = [];
  const child = spawn(bin, args, { cwd: dir, env: serverEnv(), stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.set(child, dir);
  child.stdout.on("data", (chunk) => chunks.push(chunk));
  child.stderr.on("data", (chunk) => chunks.push(chunk));
  const output = () => Buffer.concat(chunks).toString("utf8");

  let exited = null;
  const exitedPromise = new Promise((resolve) => {
    child.once("close", (code, signal) => {
      liveChildren.delete(child);
      exited = { code, signal };
      resolve(exited);
    });
    child.once("error", (err) => {
      liveChildren.delete(child);
      exited = exited || { code: null, signal: null, error: err };
      resolve(exited);
    });
  });

  const stop = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      let timer;
      const timedOut = await Promise.race([
        exitedPromise.then(() => false),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut && exited === null) {
        child.kill("SIGKILL");
        await exitedPromise;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let address = null;
  while ((address = readReadyFile(readyFile)) === null) {
    let why = null;
    if (exited !== null) why = `mockingbird exited (${JSON.stringify(exited)}) before it was ready`;
    else if (Date.now() >= deadline) why = `mockingbird did not write ${readyFile} within ${READY_TIMEOUT_MS} ms`;
    if (why) {
      await stop();
      throw new Error(`${why}\ncommand: ${bin} ${args.join(" ")}\n--- server output ---\n${output()}`);
    }
    await sleep(20);
  }

  return {
    baseUrl: `http://${address.http}`,
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    configFile,
    readyFile,
    output,
    stop,
  };
}

// --------------------------------------------------------------------------------------------
// Traffic: the Twilio API as an app calls it, the WhatsApp CLI as a user
// --------------------------------------------------------------------------------------------

/** POST a form to the Twilio API with the account's Basic credentials; the JSON answer. */
async function twilioPost(server, resource, form) {
  const url = `${server.baseUrl}/2010-04-01/Accounts/${server.accountSid}/${resource}`;
  const response = await fetch(url, {
    method: "POST",
    headers: { Authorization: basicAuth(server) },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  const answer = await response.json();
  assert.ok(response.ok, `POST ${resource} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

async function twilioGet(server, resource) {
  const url = `${server.baseUrl}/2010-04-01/Accounts/${server.accountSid}/${resource}`;
  const response = await fetch(url, { headers: { Authorization: basicAuth(server) }, signal: AbortSignal.timeout(10_000) });
  const answer = await response.json();
  assert.ok(response.ok, `GET ${resource} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

function basicAuth(server) {
  return "Basic " + Buffer.from(`${server.accountSid}:${server.authToken}`).toString("base64");
}

/** Send a message as the app does (Twilio's Messages.json); resolves to the message resource. */
function sendMessage(server, { to = REGISTERED_NUMBER, from = FROM_NUMBER, body, statusCallback }) {
  const form = { To: to, From: from, Body: body };
  if (statusCallback) form.StatusCallback = statusCallback;
  return twilioPost(server, "Messages.json", form);
}

/** Place a call whose TwiML is `twiml`; resolves to the call resource. */
function placeCall(server, { to = REGISTERED_NUMBER, from = FROM_NUMBER, twiml }) {
  return twilioPost(server, "Calls.json", { To: to, From: from, Twiml: twiml });
}

/** Wait until the message's status is one of `statuses`; resolves to the message resource. */
function waitForMessage(server, sid, statuses, timeoutMs = UI_TIMEOUT_MS) {
  return pollUntil(async () => {
    const message = await twilioGet(server, `Messages/${sid}.json`);
    return statuses.includes(message.status) && message;
  }, timeoutMs, `message ${sid} to be ${statuses.join(" or ")}`);
}

function waitForCall(server, sid, statuses, timeoutMs = UI_TIMEOUT_MS) {
  return pollUntil(async () => {
    const call = await twilioGet(server, `Calls/${sid}.json`);
    return statuses.includes(call.status) && call;
  }, timeoutMs, `call ${sid} to be ${statuses.join(" or ")}`);
}

/**
 * Wait until the dashboard lists `count` webhook attempts about `sid`. The attempts have no API
 * of their own outside the control plane, so this reads the callbacks page's HTML (one
 * Redeliver form per attempt): a recorded attempt is stored just after the app answered, so the
 * receiver having heard a request does not yet mean the page shows it.
 */
function waitForAttempts(server, sid, count, timeoutMs = UI_TIMEOUT_MS) {
  const url = `${server.baseUrl}/ui/callbacks?tenant=${server.accountSid}&resource=${encodeURIComponent(sid)}`;
  return pollUntil(async () => {
    const html = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    const seen = (html.match(/action="\/ui\/callbacks\/\d+\/redeliver"/g) || []).length;
    return seen >= count && seen;
  }, timeoutMs, `${count} webhook attempts about ${sid}`);
}

/**
 * A WhatsApp user writes to the tenant's business number, through the server's own CLI
 * (`mockingbird whatsapp send`, over the control plane): the message is stored as inbound and
 * the app's webhook (`target`, an URL) gets Meta's envelope with the user's profile `name`.
 * Resolves to the CLI's output.
 */
function whatsappSend(server, { text, name, phone = "263778177125", target }) {
  const args = [
    "whatsapp", "send",
    "--ready-file", server.readyFile,
    "--config", server.configFile,
    "--phone", phone,
    "--name", name,
    "--target", target,
    "--wait", "0",
    text,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath(), args, { env: serverEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(chunks).toString("utf8");
      if (code === 0) resolve(out);
      else reject(new Error(`mockingbird whatsapp send exited (code ${code}, signal ${signal}):\n${out}`));
    });
  });
}

// --------------------------------------------------------------------------------------------
// The app's webhook receiver
// --------------------------------------------------------------------------------------------

/**
 * An HTTP server on 127.0.0.1 that records each request and answers 200 with `answer` (a
 * string: TwiML, JSON, or a hostile body) as text/plain.
 */
class Receiver {
  constructor(answer = "") {
    this.answer = answer;
    this.requests = [];
    this._waiters = new Set();
    this._server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const form = Object.fromEntries(new URLSearchParams(body));
        const payload = Buffer.from(this.answer, "utf8");
        res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(payload.length) });
        res.end(payload);
        this.requests.push({ method: req.method, path: req.url, headers: req.headers, body, form });
        for (const wake of [...this._waiters]) wake();
      });
    });
  }

  async start() {
    await new Promise((resolve, reject) => {
      this._server.once("error", reject);
      this._server.listen(0, "127.0.0.1", resolve);
    });
    const { address, port } = this._server.address();
    this.baseUrl = `http://${address}:${port}`;
    return this;
  }

  url(p = "/") {
    return this.baseUrl + p;
  }

  /** Resolve to `predicate(requests)` once it is truthy; reject after `timeoutMs`. */
  waitFor(predicate, timeoutMs = UI_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        const result = predicate([...this.requests]);
        if (result) {
          clearTimeout(timer);
          this._waiters.delete(check);
          resolve(result);
        }
      };
      timer = setTimeout(() => {
        this._waiters.delete(check);
        const seen = this.requests.map((r) => `  ${r.method} ${r.path} ${JSON.stringify(r.form)}`).join("\n") || "  (none)";
        reject(new Error(`receiver: condition not met within ${timeoutMs} ms; received:\n${seen}`));
      }, timeoutMs);
      this._waiters.add(check);
      check();
    });
  }

  async stop() {
    this._server.closeAllConnections?.();
    await new Promise((resolve) => this._server.close(() => resolve()));
  }
}

// --------------------------------------------------------------------------------------------
// Seed data
// --------------------------------------------------------------------------------------------

/**
 * Fill a server with one of everything the pages show, and wait until each lifecycle has ended
 * (so that a page, and its screenshot, does not change under the test):
 *  - a message delivered to a registered number, its status callbacks answered by the receiver;
 *  - a message to the failure number, failed;
 *  - a call whose TwiML says `say`, completed;
 *  - a WhatsApp user's text, from profile `profileName`, sent to the receiver as the bot.
 * Resolves to { message, failed, call, whatsapp } (their SIDs) and whatsappUser (the user's number).
 */
async function seed(server, receiver, { body, failedBody, say, whatsappText, profileName }) {
  const delivered = await sendMessage(server, { body, statusCallback: receiver.url("/twilio/status") });
  const failed = await sendMessage(server, { to: FAILURE_NUMBER, body: failedBody, statusCallback: receiver.url("/twilio/status") });
  const call = await placeCall(server, { twiml: `<Response><Say>${escapeXml(say)}</Say></Response>` });
  const whatsappUser = "263778177125";
  await whatsappSend(server, { text: whatsappText, name: profileName, phone: whatsappUser, target: receiver.url("/bot/webhook") });
  // The inbound message's SID is its wamid, which the app's webhook names.
  const webhook = receiver.requests.find((r) => r.path === "/bot/webhook");
  assert.ok(webhook, "the WhatsApp user's message did not reach the app's webhook");
  const whatsapp = JSON.parse(webhook.body).entry[0].changes[0].value.messages[0].id;
  await Promise.all([
    waitForMessage(server, delivered.sid, ["delivered"]),
    waitForMessage(server, failed.sid, ["failed"]),
    waitForCall(server, call.sid, ["completed"]),
    waitForAttempts(server, delivered.sid, 2), // sent and delivered
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
function browser() {
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

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/**
 * A fresh context and page, watched: every console error, uncaught page error and dialog (an
 * `alert()` an injected script would open) is collected in `problems`, and `assertClean()`
 * fails with them. Motion is reduced so a row that changed is not caught mid-animation.
 */
async function newPage({ viewport = LAPTOP, isMobile = false } = {}) {
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

/** The URL of a dashboard path on `server`, with `tenant=` added when the path has none. */
function pageUrl(server, pathname) {
  const url = new URL(pathname, server.baseUrl);
  if (!url.searchParams.has("tenant")) url.searchParams.set("tenant", server.accountSid);
  return url.href;
}

/** Assert the document's response carries the dashboard's Content-Security-Policy. */
function assertCsp(response, what) {
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
async function open(page, server, pathname, { live = true } = {}) {
  const url = pageUrl(server, pathname);
  const response = await page.goto(url, { waitUntil: "load" });
  assert.ok(response, `${url}: no response`);
  assert.equal(response.status(), 200, `${url} answered ${response.status()}`);
  assert.match(response.headers()["content-type"] || "", /^text\/html/, `${url}: not HTML`);
  assertCsp(response, url);
  if (live) await waitForLive(page);
  return response;
}

function waitForLive(page) {
  return page.locator("#live-state", { hasText: "Live updates: on." }).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Save a screenshot of the page to SCREENSHOTS/<name>.png. */
async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // Nothing blinks: no caret, no animation mid-way (the context also reduces motion).
  await page.screenshot({ path: file, animations: "disabled", caret: "hide", fullPage: false });
  return file;
}

// --------------------------------------------------------------------------------------------
// Tests with a server and a page
// --------------------------------------------------------------------------------------------

/**
 * `test(name, fn)` with a fresh mockingbird, a receiver answering `answer`, and a watched page
 * (`viewport`): `fn({ t, server, receiver, page, problems, assertClean })`. All are closed
 * afterwards; a failure carries the server's output and what the page reported.
 */
function dashboardTest(name, fn, { answer = "", viewport = LAPTOP, timeout = TEST_TIMEOUT_MS } = {}) {
  return test(name, { timeout }, async (t) => {
    const server = await startMockingbird();
    let receiver = null;
    let watched = null;
    try {
      receiver = await new Receiver(answer).start();
      watched = await newPage({ viewport });
      await fn({ t, server, receiver, ...watched });
    } catch (err) {
      await server.stop(); // so that everything it wrote has been read
      const log = `--- mockingbird output (${server.baseUrl}) ---\n${server.output()}--- end of mockingbird output ---`;
      const seen = watched && watched.problems.length ? `\n--- the page reported ---\n${watched.problems.join("\n")}` : "";
      if (err && typeof err === "object" && typeof err.stack === "string") {
        const stack = err.stack;
        err.message = `${err.message}${seen}\n${log}`;
        err.stack = `${stack}${seen}\n${log}`;
      }
      throw err;
    } finally {
      if (watched) await watched.close().catch(() => {});
      if (receiver) await receiver.stop();
      await server.stop();
    }
  });
}

module.exports = {
  ACCOUNT_SID,
  FAILURE_NUMBER,
  FROM_NUMBER,
  HOSTILE,
  LAPTOP,
  PHONE,
  REGISTERED_NUMBER,
  Receiver,
  SCREENSHOTS,
  TEST_TIMEOUT_MS,
  UI_TIMEOUT_MS,
  assertCsp,
  browser,
  dashboardTest,
  newPage,
  open,
  pageUrl,
  placeCall,
  pollUntil,
  screenshot,
  seed,
  sendMessage,
  startMockingbird,
  twilioGet,
  waitForAttempts,
  waitForCall,
  waitForLive,
  waitForMessage,
  whatsappSend,
};
