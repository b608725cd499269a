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

# shellcheck source=scripts/node-common.sh
source "$repo/scripts/node-common.sh"
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

node_tests "$suite" "$@" "${files[@]}"
