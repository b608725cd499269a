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

# shellcheck source=scripts/npm-install.sh
source "$repo/scripts/npm-install.sh"
require_node

bash "$repo/scripts/client-typescript-tests.sh" --build-only

npm_install "$suite"

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
