"use strict";
// Harness for running the official twilio-node SDK against a local mockingbird.
//
// Every test gets a server of its own (started on port 0 with an in-memory database), so no
// test sees another's messages, subaccounts or callbacks. See `serverTest` below.

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { test } = require("node:test");

const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const twilio = require("twilio");

const REPO = path.resolve(__dirname, "..", "..");
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const TEST_TIMEOUT_MS = 60_000; // a hung test fails instead of hanging the suite

const ACCOUNT_SID = "AC" + "a".repeat(32);
const AUTH_TOKEN = "mockingbirdtesttoken0123456789ab";
const FROM_NUMBER = "+15550000001";
const REGISTERED_NUMBER = "+15551234567";
const FAILURE_NUMBER = "+15559999999";

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

// --------------------------------------------------------------------------------------------
// Polling
// --------------------------------------------------------------------------------------------

/**
 * Call `fn` (sync or async) until it returns something truthy, and return that; reject after
 * `timeoutMs` with the last value seen. An exception thrown by `fn` ends the wait at once.
 */
async function pollUntil(fn, timeoutMs, what = "condition", intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${describe(last)})`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

function describe(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

// --------------------------------------------------------------------------------------------
// The server
// --------------------------------------------------------------------------------------------

function binaryPath() {
  const bin = process.env.MOCKINGBIRD_BIN || path.join(REPO, "target", "debug", "mockingbird");
  let ok = false;
  try {
    ok = fs.statSync(bin).isFile();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new Error(`mockingbird binary not found at ${bin}: run \`cargo build\` or set MOCKINGBIRD_BIN`);
  }
  return bin;
}

/** The ready file's { http, grpc } addresses, or null while it is absent or half-written. */
function readReadyFile(file) {
  try {
    const { http: httpAddress, grpc } = JSON.parse(fs.readFileSync(file, "utf8"));
    const ok = (address) => typeof address === "string" && address !== "";
    return ok(httpAddress) && ok(grpc) ? { http: httpAddress, grpc } : null;
  } catch {
    return null;
  }
}

/** The environment the server runs with: no MOCKINGBIRD_* overrides, no proxies for loopback. */
function serverEnv() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The server reads MOCKINGBIRD_* variables as config overrides; this harness passes
    // everything on the command line, so a developer's own settings must not leak in.
    if (!name.startsWith("MOCKINGBIRD_")) env[name] = value;
  }
  // Callbacks go to 127.0.0.1: never through a proxy the environment may name.
  env.NO_PROXY = env.no_proxy = "127.0.0.1,localhost";
  env.NO_COLOR = "1"; // plain server logs in failure reports
  return env;
}

// Servers still running, with their temporary directories. Should this process end abruptly (an
// uncaught error, a closed stdout, Ctrl-C, the runner's SIGTERM), they are killed with it and
// their directories removed, rather than left behind.
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
// A reader that went away (`node --test | head`) fails the runner's next write with EPIPE, which
// would end this process without an "exit" event.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    killLiveChildren();
    if (err && err.code === "EPIPE") process.exit(1);
    throw err;
  });
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killLiveChildren();
    process.kill(process.pid, signal); // the handler is gone now: die of the signal as usual
  });
}

/**
 * Start a fresh mockingbird in a temporary directory and wait for its ready file.
 * Resolves to { baseUrl, grpcAddress, accountSid, authToken, output(), stop() }.
 */
async function startMockingbird() {
  const bin = binaryPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mockingbird-node-"));
  const config = path.join(dir, "config.yaml");
  const ready = path.join(dir, "ready.json");
  fs.writeFileSync(config, CONFIG);
  const args = [
    "serve",
    "--config", config,
    "--host", "127.0.0.1",
    "--port", "0",
    "--grpc-port", "0",
    "--database", ":memory:",
    "--ready-file", ready,
  ];
  const command = [bin, ...args].join(" ");

  const chunks = [];
  const child = spawn(bin, args, { cwd: dir, env: serverEnv(), stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.set(child, dir);
  child.stdout.on("data", (chunk) => chunks.push(chunk));
  child.stderr.on("data", (chunk) => chunks.push(chunk));
  const output = () => Buffer.concat(chunks).toString("utf8");

  let exited = null; // { code, signal } once the process is gone
  let spawnError = null;
  const exitedPromise = new Promise((resolve) => {
    // "close", not "exit": by then the server's stdout and stderr have been read to the end.
    child.once("close", (code, signal) => {
      liveChildren.delete(child);
      exited = { code, signal };
      resolve(exited);
    });
    child.once("error", (err) => {
      liveChildren.delete(child);
      spawnError = err;
      exited = exited || { code: null, signal: null };
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

  const fail = async (why) => {
    await stop();
    throw new Error(`${why}\ncommand: ${command}\n--- server output ---\n${output()}`);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let address = null;
  for (;;) {
    address = readReadyFile(ready);
    if (address !== null) break;
    if (spawnError) return fail(`could not start mockingbird: ${spawnError.message}`);
    if (exited !== null) {
      return fail(`mockingbird exited (code ${exited.code}, signal ${exited.signal}) before it was ready`);
    }
    if (Date.now() >= deadline) {
      return fail(`mockingbird did not write ${ready} within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(20);
  }

  return {
    baseUrl: `http://${address.http}`,
    grpcAddress: address.grpc,
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    output,
    stop,
  };
}

// --------------------------------------------------------------------------------------------
// The SDK client
// --------------------------------------------------------------------------------------------

/**
 * The SDK's own RequestClient, sending every request to mockingbird instead of *.twilio.com
 * (the recipe in docs/sdks.md). Keeps the method, rewritten URL, query parameters and form data
 * of every request in `requestsMade`, so that tests can see how the SDK paged and what it sent.
 */
class MockingbirdRequestClient extends twilio.RequestClient {
  constructor(baseUrl, opts) {
    super(opts);
    this.base = new URL(baseUrl);
    this.requestsMade = [];
  }

  request(opts) {
    const url = new URL(opts.uri);
    url.protocol = this.base.protocol;
    url.host = this.base.host;
    const uri = url.toString();
    this.requestsMade.push({ method: String(opts.method).toUpperCase(), uri, params: opts.params, data: opts.data });
    return super.request({ ...opts, uri });
  }
}

/** An SDK client against `server`: makeClient(server, username, password, { accountSid }). */
function makeClient(server, username, password, opts = {}) {
  return twilio(username, password, { ...opts, httpClient: new MockingbirdRequestClient(server.baseUrl) });
}

// --------------------------------------------------------------------------------------------
// The webhook receiver
// --------------------------------------------------------------------------------------------

/**
 * An HTTP server on 127.0.0.1 that records each request and answers it: 200 with an empty body,
 * or what `respond(request)` returns — { status, contentType, body }, e.g. an app's TwiML.
 */
class WebhookReceiver {
  constructor(respond = () => ({})) {
    this._respond = respond;
    this.requests = [];
    this._waiters = new Set();
    this._server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const formPairs = [...new URLSearchParams(body.toString("utf8"))];
        const form = {};
        for (const [name, value] of formPairs) {
          if (!(name in form)) form[name] = value;
        }
        const url = new URL(this.baseUrl + req.url);
        const record = {
          method: req.method,
          url: url.toString(), // the full URL as the sender called it (what Twilio signs)
          path: url.pathname,
          query: Object.fromEntries(url.searchParams), // where a GET carries Twilio's parameters
          headers: req.headers, // lower-cased names
          body,
          form, // first value of each form parameter
          formPairs, // every [name, value], in order
        };
        let answer;
        try {
          answer = this._respond(record);
        } catch (err) {
          answer = { status: 500, contentType: "text/plain", body: String(err && err.stack) };
        }
        const { status = 200, contentType = "text/xml", body: answerBody = "" } = answer;
        const payload = Buffer.from(String(answerBody), "utf8");
        res.writeHead(status, { "Content-Type": contentType, "Content-Length": String(payload.length) });
        res.end(payload);
        this.requests.push(record);
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

  /**
   * Wait until `predicate(requests so far)` is truthy and resolve to its value. Wakes on every
   * new request; rejects after `timeoutMs` listing the requests received so far.
   */
  waitFor(predicate, timeoutMs = 5_000) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        let result;
        try {
          result = predicate([...this.requests]);
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (result) {
          finish();
          resolve(result);
        }
      };
      const finish = () => {
        clearTimeout(timer);
        this._waiters.delete(check);
      };
      this._waiters.add(check);
      timer = setTimeout(() => {
        finish();
        const seen = this.requests.map((r) => `  ${r.method} ${r.url} ${JSON.stringify(r.form)}`).join("\n") || "  (none)";
        reject(new Error(`webhook receiver: condition not met within ${timeoutMs} ms; received:\n${seen}`));
      }, timeoutMs);
      check();
    });
  }

  async stop() {
    this._server.closeAllConnections?.();
    await new Promise((resolve) => this._server.close(() => resolve()));
  }
}

// --------------------------------------------------------------------------------------------
// The control plane
// --------------------------------------------------------------------------------------------

let protoPackage = null;

/** `mockingbird.v1`, loaded from the repo's protos at run time: no generated code to keep. */
function mockingbirdV1() {
  if (protoPackage === null) {
    const files = ["calls", "clock", "events", "numbers", "rules"].map((name) => `mockingbird/v1/${name}.proto`);
    const definition = protoLoader.loadSync(files, {
      includeDirs: [path.join(REPO, "proto")],
      keepCase: true, // field names as the protos spell them: account_sid, waiting_for
      enums: String, // "CALL_STATUS_IN_PROGRESS", not 3
      longs: String,
      defaults: true,
      oneofs: true,
    });
    protoPackage = grpc.loadPackageDefinition(definition).mockingbird.v1;
  }
  return protoPackage;
}

/**
 * The server's gRPC control plane, for a test that acts as the person on the phone or moves the
 * clock: `await control.calls.PressDigits({ sid, digits: "1" })`. Services `calls`, `clock`,
 * `events`, `numbers` and `rules`, each unary method a promise (rejected with the gRPC error).
 */
class ControlPlane {
  constructor(address) {
    const v1 = mockingbirdV1();
    const services = { calls: v1.Calls, clock: v1.Clock, events: v1.Events, numbers: v1.Numbers, rules: v1.Rules };
    this._clients = [];
    for (const [name, Service] of Object.entries(services)) {
      // The server is on loopback: never through a proxy the environment may name.
      const client = new Service(address, grpc.credentials.createInsecure(), { "grpc.enable_http_proxy": 0 });
      this._clients.push(client);
      this[name] = {};
      for (const [method, definition] of Object.entries(Service.service)) {
        if (definition.requestStream || definition.responseStream) continue;
        this[name][method] = (request = {}, { timeoutMs = 10_000 } = {}) =>
          new Promise((resolve, reject) => {
            client[method](request, { deadline: Date.now() + timeoutMs }, (err, response) =>
              err ? reject(err) : resolve(response),
            );
          });
      }
    }
  }

  close() {
    for (const client of this._clients) client.close();
  }
}

// --------------------------------------------------------------------------------------------
// Tests with a server
// --------------------------------------------------------------------------------------------

/**
 * `test(name, fn, options)` with a fresh mockingbird and webhook receiver, both stopped afterwards.
 * `fn(ctx)` gets { t, server, client, makeClient(username, password, opts), receiver, control }
 * (`control`, the server's ControlPlane, is connected on first use).
 * A failure carries the server's output.
 */
function serverTest(name, fn, options = {}) {
  return test(name, { timeout: TEST_TIMEOUT_MS, ...options }, async (t) => {
    const server = await startMockingbird();
    let receiver = null;
    let control = null;
    // A test that times out is abandoned by the runner: stop its servers anyway, so that the
    // run can end, and show what the server said.
    const onAbort = async () => {
      await Promise.allSettled([server.stop(), receiver && receiver.stop()]);
      process.stderr.write(`${t.name}: aborted\n--- mockingbird output (${server.baseUrl}) ---\n${server.output()}--- end of mockingbird output ---\n`);
    };
    t.signal.addEventListener("abort", onAbort, { once: true });
    try {
      receiver = await new WebhookReceiver().start();
      const ctx = {
        t,
        server,
        receiver,
        client: makeClient(server, server.accountSid, server.authToken),
        makeClient: (username, password, opts) => makeClient(server, username, password, opts),
        get control() {
          control = control || new ControlPlane(server.grpcAddress);
          return control;
        },
      };
      await fn(ctx);
    } catch (err) {
      // Stop first, so that everything the server wrote has been read.
      await server.stop();
      const log = `--- mockingbird output (${server.baseUrl}) ---\n${server.output()}--- end of mockingbird output ---`;
      if (err && typeof err === "object" && typeof err.stack === "string") {
        // The TAP reporter prints the message, the spec reporter the stack: extend both. Reading
        // the stack first fixes it (V8 formats it lazily, from the message at first read).
        try {
          const stack = err.stack;
          err.message = `${err.message}\n${log}`;
          err.stack = `${stack}\n${log}`;
        } catch {
          process.stderr.write(`${t.name}\n${log}\n`);
        }
      } else {
        process.stderr.write(`${t.name}\n${log}\n`);
      }
      throw err;
    } finally {
      t.signal.removeEventListener("abort", onAbort);
      if (control) control.close();
      if (receiver) await receiver.stop();
      await server.stop();
    }
  });
}

module.exports = {
  ACCOUNT_SID,
  AUTH_TOKEN,
  ControlPlane,
  FROM_NUMBER,
  REGISTERED_NUMBER,
  FAILURE_NUMBER,
  MockingbirdRequestClient,
  WebhookReceiver,
  makeClient,
  pollUntil,
  serverTest,
  startMockingbird,
};
