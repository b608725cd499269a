// `npm run check-generated [-- --proto DIR]`: regenerate the code from proto/ (or DIR) into a
// temporary directory with the same buf template, and compare it with the checked-in src/gen/.
// Fails, naming each stale file and the command that refreshes it, when they differ: a proto
// changed and `npm run generate` was forgotten, or src/gen/ was edited by hand.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { proto: { type: "string", default: path.join(root, "..", "..", "proto") } } });

const temp = fs.mkdtempSync(path.join(os.tmpdir(), "mockingbird-ts-gen-"));
try {
  const buf = path.join(root, "node_modules", ".bin", "buf");
  // buf finds the local plugin protoc-gen-es on PATH, as `npm run generate` does.
  const env = { ...process.env, PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` };
  execFileSync(buf, ["generate", path.resolve(values.proto), "--template", "buf.gen.yaml", "--output", temp], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const checkedIn = path.join(root, "src", "gen");
  const fresh = path.join(temp, "src", "gen");
  const stale = [];
  for (const file of new Set([...listFiles(checkedIn), ...listFiles(fresh)])) {
    const a = readOrNull(path.join(checkedIn, file));
    const b = readOrNull(path.join(fresh, file));
    if (a === null) stale.push(`src/gen/${file} is missing`);
    else if (b === null) stale.push(`src/gen/${file} matches no proto any more`);
    else if (!a.equals(b)) stale.push(`src/gen/${file} is stale against ${path.relative(root, values.proto) || values.proto}`);
  }
  if (stale.length > 0) {
    for (const line of stale) console.error(`check-generated: ${line}: run \`npm run generate\` in clients/typescript and commit the result`);
    process.exitCode = 1;
  } else {
    console.log("check-generated: src/gen/ is up to date with the protos");
  }
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}

function listFiles(dir, prefix = "") {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

function readOrNull(file) {
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
}
