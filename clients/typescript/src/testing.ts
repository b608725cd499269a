import { Mockingbird, type StartOptions } from "./server.js";
import type { Tenant } from "./tenant.js";

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

/**
 * A fresh tenant for every test, deleted after it: `{ beforeEach, afterEach }` from node:test,
 * Jest or Vitest, and the server (`useMockingbird`'s getter). Returns a getter for the tenant.
 */
export function useTenant(hooks: { beforeEach: Hook; afterEach: Hook }, server: () => Mockingbird): () => Tenant {
  let tenant: Tenant | undefined;
  hooks.beforeEach(async () => {
    tenant = await server().tenant(`test ${++tenants}`);
  });
  hooks.afterEach(async () => {
    await tenant?.dispose();
    tenant = undefined;
  });
  return () => {
    if (!tenant) throw new Error("useTenant: no tenant outside a test");
    return tenant;
  };
}
