// What the twilio-node suite shares: the config its servers run with (tests/seed-config.yaml:
// an account with known credentials, validation on, the number lists Twilio's behaviour is
// checked against), `serverTest`, a test with a server of its own, and `restError`. Everything else comes from
// @mockingbird/testing (clients/typescript).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Mockingbird, MockingbirdRequestClient, WebhookReceiver } from "@mockingbird/testing";
import twilio from "twilio";

// The values the tests use from the suite's config file, tests/seed-config.yaml (read below).
export const ACCOUNT_SID = "AC" + "a".repeat(32);
export const AUTH_TOKEN = "mockingbirdtesttoken0123456789ab";
export const FROM_NUMBER = "+15550000001";
export const REGISTERED_NUMBER = "+15551234567";
export const FAILURE_NUMBER = "+15559999999";

/**
 * The config file's text, once it is checked to name the values above (the suite has no YAML
 * parser, so it looks for each line `key: "value"` or `key: ["value"]`), so that the two cannot
 * drift.
 */
function readSeedConfig(url) {
  const text = readFileSync(url, "utf8");
  const named = {
    account_sid: ACCOUNT_SID,
    auth_token: AUTH_TOKEN,
    allowed_from_numbers: FROM_NUMBER,
    registered_numbers: REGISTERED_NUMBER,
    failure_numbers: FAILURE_NUMBER,
  };
  const lines = new Set(text.split("\n").map((line) => line.trim()));
  for (const [key, value] of Object.entries(named)) {
    if (!lines.has(`${key}: "${value}"`) && !lines.has(`${key}: ["${value}"]`)) {
      throw new Error(`${fileURLToPath(url)} does not say ${key}: "${value}", as suite.js does: change both together`);
    }
  }
  return text;
}

// Read and checked once per test file (node --test runs each in a process of its own).
const CONFIG = readSeedConfig(new URL("../seed-config.yaml", import.meta.url));

const TEST_TIMEOUT_MS = 60_000; // a hung test fails instead of hanging the suite

/**
 * `test(name, fn, options)` with a server of its own (so no test sees another's messages,
 * subaccounts or callbacks) and a webhook receiver, both stopped afterwards. `fn(ctx)` gets
 * { t, mb, account, client, makeClient(username, password, opts), receiver }: `account` is the
 * config's account (the person on the phone, the clock, rules and events act on it), `client`
 * the SDK with its credentials. A failure carries the server's output.
 */
export function serverTest(name, fn, options = {}) {
  return test(name, { timeout: TEST_TIMEOUT_MS, ...options }, async (t) => {
    const mb = await Mockingbird.start({ config: CONFIG });
    let receiver = null;
    // A test that times out is abandoned by the runner: stop its server anyway, so that the run
    // can end, and show what the server said.
    const onAbort = async () => {
      await Promise.allSettled([mb.stop(), receiver?.stop()]);
      const aborted = new Error(`${t.name}: aborted`);
      mb.attachOutput(aborted);
      process.stderr.write(`${aborted.message}\n`);
    };
    t.signal.addEventListener("abort", onAbort, { once: true });
    try {
      receiver = await WebhookReceiver.start();
      // The suite's own twilio, not account.twilioClient() (the client's copy of the package):
      // restError checks errors against this one's RestException.
      const makeClient = (username, password, opts = {}) =>
        twilio(username, password, { ...opts, httpClient: new MockingbirdRequestClient(mb.httpUrl) });
      const account = await mb.account(ACCOUNT_SID);
      await fn({ t, mb, account, receiver, makeClient, client: makeClient(ACCOUNT_SID, AUTH_TOKEN) });
    } catch (err) {
      await mb.stop(); // first, so that everything the server wrote has been read
      mb.attachOutput(err);
      throw err;
    } finally {
      t.signal.removeEventListener("abort", onAbort);
      await receiver?.stop();
      await mb.stop();
    }
  });
}

/** Await `promise`, expect it to reject with the SDK's RestException, and return that exception. */
export async function restError(promise) {
  let error = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, "expected the call to reject, but it resolved");
  assert.ok(error instanceof twilio.RestException, `expected a RestException, got ${error && error.stack}`);
  return error;
}
