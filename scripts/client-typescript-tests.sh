#!/usr/bin/env bash
# The TypeScript client (clients/typescript, @mockingbird/testing): install, build, check that
# the generated code in src/gen/ is current with proto/, then run its compatibility suite (the
# official twilio SDK through the client) against the real binary.
#
#   scripts/client-typescript-tests.sh [extra `node --test` args, e.g. --test-name-pattern=WhatsApp]
#   scripts/client-typescript-tests.sh --build-only
#
# --build-only installs and builds the client (dist/esm and dist/cjs) and stops there: what the
# suites that depend on it (tests/node, tests/browser) need before their own install.
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

# shellcheck source=scripts/node-common.sh
source "$repo/scripts/node-common.sh"
require_node

npm_install "$client"

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

status=0
node_tests "$client" --test-timeout=60000 "$@" "${files[@]}" || status=$?

# The same client from Jest and Vitest: runners/jest and runners/vitest are small projects of
# their own that depend on it as a user's would ("file:../..", the dist/ built above). Each is
# installed with `npm ci` when its package.json / package-lock.json changed (stamped like the
# client's), type-checked with tsc, then run: Jest twice, in its usual CommonJS mode (`npm test`,
# the package's require build) and in its ESM mode (`npm run test:esm`, the import build);
# Vitest once. Each run's JSON report (Jest's shape, which Vitest's json reporter shares) counts
# what ran, and zero tests fails here as it does above.
for runner in jest vitest; do
    runner_dir="$client/runners/$runner"
    npm_install "$runner_dir"

    echo "client-typescript-tests: $runner: type-checking clients/typescript/runners/$runner (npm run typecheck)" >&2
    if ! (cd "$runner_dir" && npm run --silent typecheck); then
        status=1
        continue
    fi

    report="$runner_dir/node_modules/.mockingbird-report.json"
    case "$runner" in
        jest) scripts=(test test:esm) report_args=(--json --outputFile="$report") ;;
        vitest) scripts=(test) report_args=(--reporter=default --reporter=json --outputFile.json="$report") ;;
    esac
    for script in "${scripts[@]}"; do
        rm -f "$report"
        echo "client-typescript-tests: $runner (clients/typescript/runners/$runner: npm run $script)" >&2
        if (cd "$runner_dir" && npm run --silent "$script" -- "${report_args[@]}"); then
            runner_ran="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
                console.log(r.numPassedTests + r.numFailedTests)' "$report")"
            if [[ $runner_ran -le 0 ]]; then
                echo "client-typescript-tests: no $runner test ran (npm run $script)" >&2
                status=1
            fi
        else
            status=1
        fi
    done
done
exit "$status"
