// The package is dual: `import` loads dist/esm, `require` (Jest's default mode, any CommonJS
// code) loads dist/cjs, built from the same sources. Both must export the same things, and the
// CommonJS build must work on its own, with Node's real `require` for it and its dependencies.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as esm from "@mockingbird/testing";

const require = createRequire(import.meta.url);
const cjs: typeof esm = require("@mockingbird/testing");

/** Each export's name and what it is (class, function, enum object), to compare the two builds. */
function shape(module: object) {
  return Object.fromEntries(
    Object.entries(module)
      .filter(([name]) => name !== "__esModule" && name !== "default")
      .map(([name, value]) => [name, typeof value]),
  );
}

test("require and import resolve to the CommonJS and the ESM build", () => {
  const required = require.resolve("@mockingbird/testing");
  const imported = import.meta.resolve("@mockingbird/testing");
  assert.match(required, /[/\\]dist[/\\]cjs[/\\]index\.js$/);
  assert.match(imported, /\/dist\/esm\/index\.js$/);
  // Two builds, two copies of each class: see "CommonJS and ESM" in the README.
  assert.notEqual(cjs.Mockingbird, esm.Mockingbird);
});

test("require gives the same exports as import, with the same enum values", () => {
  assert.deepEqual(shape(cjs), shape(esm));
  assert.ok(Object.keys(shape(esm)).length > 10, "the comparison saw the exports");
  assert.deepEqual({ ...cjs.EventKind }, { ...esm.EventKind });
  assert.deepEqual({ ...cjs.MessageStatus }, { ...esm.MessageStatus });
});

test("every @mockingbird/testing/gen/* module exports the same under require and import", async () => {
  // One subpath per generated file: dist/esm/gen/mockingbird/v1/common_pb.js is …/gen/common.
  const genDir = path.join(path.dirname(fileURLToPath(import.meta.resolve("@mockingbird/testing"))), "gen", "mockingbird", "v1");
  const names = fs
    .readdirSync(genDir)
    .filter((file) => file.endsWith("_pb.js"))
    .map((file) => file.slice(0, -"_pb.js".length));
  assert.ok(names.includes("common") && names.includes("events"), `generated modules: ${names.join(", ")}`);
  for (const name of names) {
    const specifier = `@mockingbird/testing/gen/${name}`;
    assert.deepEqual(shape(require(specifier)), shape(await import(specifier)), specifier);
  }
});

test("the CommonJS build drives the server: a tenant, the twilio SDK, an event", async () => {
  await using mb = await cjs.Mockingbird.start();
  await using tenant = await mb.tenant("required");
  await tenant.numbers.add("+15550101010");
  const message = await tenant.twilioClient().messages.create({ to: "+15557654321", from: "+15550101010", body: "from require" });
  const event = await tenant.waitFor({ sid: message.sid, kind: "message_created" });
  assert.equal(event.kind, cjs.EventKind.MESSAGE_CREATED);
});
