#!/usr/bin/env bash
# Run the official twilio-node SDK suite (tests/node) against a locally built mockingbird.
#
#   scripts/node-tests.sh [extra `node --test` args, e.g. --test-name-pattern=subaccount]
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird)
#
# The suite runs on the TypeScript client, @mockingbird/testing (clients/typescript, linked from
# tests/node/package.json), built first by scripts/client-typescript-tests.sh --build-only.
# Dependencies are installed with `npm ci` into tests/node/node_modules, only when that is
# missing or package.json / package-lock.json changed since the last successful install.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

suite="$repo/tests/node"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "node-tests: $tool not found on PATH (Node 20 or later is needed)" >&2
        exit 1
    fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" -lt 20 ]]; then
    echo "node-tests: Node 20 or later is needed, found $(node --version)" >&2
    exit 1
fi

bash "$repo/scripts/client-typescript-tests.sh" --build-only

# Re-install only when the manifest or the lockfile changed since the last successful install.
stamp="$suite/node_modules/.mockingbird-lock.sha256"
wanted="$(cat "$suite/package.json" "$suite/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -d "$suite/node_modules" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "node-tests: installing tests/node dependencies (npm ci)" >&2
    (cd "$suite" && npm ci --no-audit --no-fund)
    printf '%s\n' "$wanted" >"$stamp"
fi

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

shopt -s nullglob
files=("$suite"/*.test.js)
shopt -u nullglob
if [[ ${#files[@]} -eq 0 ]]; then
    echo "node-tests: no *.test.js files in $suite" >&2
    exit 1
fi

# Readable output on stdout; a TAP copy to count what ran. Zero tests run (none found, or all
# filtered out or skipped) is a broken suite, not a pass.
tap="$(mktemp "${TMPDIR:-/tmp}/mockingbird-node-tests.XXXXXX")"
trap 'rm -f "$tap"' EXIT

status=0
(cd "$suite" && node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$@" "${files[@]}") || status=$?

summary() { awk -v key="# $1" '$0 ~ "^"key" [0-9]+$" { n = $3 } END { print n + 0 }' "$tap"; }
ran=$(( $(summary tests) - $(summary skipped) - $(summary todo) ))
if [[ $ran -le 0 ]]; then
    echo "node-tests: no test ran" >&2
    exit 1
fi
exit "$status"
