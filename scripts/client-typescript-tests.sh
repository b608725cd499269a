#!/usr/bin/env bash
# The TypeScript client (clients/typescript, @mockingbird/testing): install, build, check that
# the generated code in src/gen/ is current with proto/, then run its compatibility suite (the
# official twilio SDK through the client) against the real binary.
#
#   scripts/client-typescript-tests.sh [extra `node --test` args, e.g. --test-name-pattern=WhatsApp]
#   scripts/client-typescript-tests.sh --build-only
#
# --build-only installs and builds the client (dist/) and stops there: what the suites that
# depend on it (tests/node, tests/browser) need before their own install.
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird)
#
# Dependencies are installed with `npm ci` into clients/typescript/node_modules, only when that
# is missing or package.json / package-lock.json changed since the last successful install.
set -euo pipefail

build_only=false
if [[ "${1:-}" == "--build-only" ]]; then
    build_only=true
    shift
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

client="$repo/clients/typescript"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "client-typescript-tests: $tool not found on PATH (Node 20 or later is needed)" >&2
        exit 1
    fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" -lt 20 ]]; then
    echo "client-typescript-tests: Node 20 or later is needed, found $(node --version)" >&2
    exit 1
fi

stamp="$client/node_modules/.mockingbird-lock.sha256"
wanted="$(cat "$client/package.json" "$client/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! -d "$client/node_modules" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "client-typescript-tests: installing clients/typescript dependencies (npm ci)" >&2
    (cd "$client" && npm ci --no-audit --no-fund)
    printf '%s\n' "$wanted" >"$stamp"
fi

cd "$client"
if $build_only; then
    rm -rf dist
    npm run --silent build
    exit 0
fi

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

echo "client-typescript-tests: is src/gen/ current with proto/? (npm run check-generated)" >&2
npm run --silent check-generated
rm -rf dist build
npm run --silent build
npm run --silent build:test

shopt -s nullglob
files=(build/test/*.test.js)
shopt -u nullglob
if [[ ${#files[@]} -eq 0 ]]; then
    echo "client-typescript-tests: no *.test.ts compiled into build/test" >&2
    exit 1
fi

# Readable output on stdout; a TAP copy to count what ran. Zero tests run (none found, or all
# filtered out or skipped) is a broken suite, not a pass.
tap="$(mktemp "${TMPDIR:-/tmp}/mockingbird-client-typescript.XXXXXX")"
trap 'rm -f "$tap"' EXIT

status=0
node --test --test-timeout=60000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "$@" "${files[@]}" || status=$?

summary() { awk -v key="# $1" '$0 ~ "^"key" [0-9]+$" { n = $3 } END { print n + 0 }' "$tap"; }
ran=$(( $(summary tests) - $(summary skipped) - $(summary todo) ))
if [[ $ran -le 0 ]]; then
    echo "client-typescript-tests: no test ran" >&2
    exit 1
fi
exit "$status"
