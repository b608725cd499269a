// `node scripts/mark-commonjs.mjs DIR`: write DIR/package.json, {"type": "commonjs"}, after
// `tsc -p tsconfig.cjs.json`. The package itself is "type": "module", so without this marker
// Node would read dist/cjs/*.js (which use `require` and `exports`) as ES modules.
import fs from "node:fs";
import path from "node:path";

const [dir] = process.argv.slice(2);
if (!dir) throw new Error("usage: node scripts/mark-commonjs.mjs DIR");
fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
