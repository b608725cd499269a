// The staleness check (`npm run check-generated`) catches a proto changed without regenerating.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// This file runs from build/test/: the client is two levels up.
const client = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const protos = path.resolve(client, "..", "..", "proto");

function checkGenerated(protoDir: string) {
  return spawnSync(process.execPath, ["scripts/check-generated.mjs", "--proto", protoDir], {
    cwd: client,
    encoding: "utf8",
    timeout: 60_000,
  });
}

test("check-generated names the stale file when a proto gains a field and nobody regenerated", () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "mockingbird-proto-"));
  try {
    fs.cpSync(protos, copy, { recursive: true });
    const clock = path.join(copy, "mockingbird", "v1", "clock.proto");
    const source = fs.readFileSync(clock, "utf8");
    const changed = source.replace("message ClockState {", "message ClockState {\n  string time_zone = 99;");
    assert.notEqual(changed, source, "clock.proto still declares ClockState");
    fs.writeFileSync(clock, changed);

    const result = checkGenerated(copy);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /src\/gen\/mockingbird\/v1\/clock_pb\.ts is stale against .*: run `npm run generate`/);
    assert.doesNotMatch(result.stderr, /events_pb\.ts/, "only the file whose proto changed is named");
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test("check-generated passes on the checked-in protos", () => {
  const result = checkGenerated(protos);
  assert.equal(result.status, 0, result.stderr);
});
