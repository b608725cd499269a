import { Mockingbird, type StartOptions } from "./server.js";
import type { Tenant } from "./tenant.js";
import { WebhookReceiver } from "./webhooks.js";

type Hook = (fn: () => Promise<void>) => unknown;

/**
 * A server for a test file: started before its tests, stopped after them. Pass the runner's
 * hooks: node:test `{ before, after }`, Jest and Vitest `{ before: beforeAll, after: afterAll }`.
 * Returns a getter for the server. Connects to `$MOCKINGBIRD_GRPC` instead when that is set.
 */
export function useMockingbird(hooks: { before: Hook; after: Hook }, options: StartOptions = {}): () => Mockingbird {
  let server: Mockingbird | undefined;
  hooks.before(async () => {
    server = process.env.MOCKINGBIRD_GRPC ? await Mockingbird.connect() : await Mockingbird.start(options);
  });
  hooks.after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("useMockingbird: the server is not started yet (use it inside a test)");
    return server;
  };
}

let tenants = 0;
type EachHooks = { beforeEach: Hook; afterEach: Hook };

/**
 * A fresh tenant for every test, deleted after it: `{ beforeEach, afterEach }` from node:test,
 * Jest or Vitest, and the server (`useMockingbird`'s getter). Returns a getter for the tenant.
 */
export function useTenant(hooks: EachHooks, server: () => Mockingbird): () => Tenant {
  return perTest(hooks, "tenant", () => server().tenant(`test ${++tenants}`), (tenant) => tenant.dispose());
}

/**
 * A fresh webhook receiver for every test, stopped after it: `{ beforeEach, afterEach }` from
 * node:test, Jest or Vitest. Returns a getter for the receiver.
 */
export function useReceiver(hooks: EachHooks): () => WebhookReceiver {
  return perTest(hooks, "receiver", () => WebhookReceiver.start(), (receiver) => receiver.stop());
}

/** What `make` makes before each test, and `end`s after it, behind a getter that only works in a test. */
function perTest<T>(hooks: EachHooks, what: string, make: () => Promise<T>, end: (value: T) => Promise<void>): () => T {
  let value: T | undefined;
  hooks.beforeEach(async () => {
    value = await make();
  });
  hooks.afterEach(async () => {
    if (value !== undefined) await end(value);
    value = undefined;
  });
  return () => {
    if (value === undefined) throw new Error(`no ${what} outside a test`);
    return value;
  };
}
