#!/usr/bin/env bash
# Run the dashboard's browser suite (tests/browser) against a locally built mockingbird: every
# page opened in headless Chromium, live updates, the timeline, clearing, hostile text, an axe-core
# accessibility audit, and a screenshot of each page (under target/screenshots; with
# SCREENSHOTS_DIR=docs/screenshots, the ones the README shows).
#
#   scripts/browser-tests.sh [extra `node --test` args, e.g. --test-name-pattern=live]
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird, built when missing)
# CHROMIUM_PATH     the browser (default: `chromium` on PATH, else /usr/bin/chromium)
#
# The browser is Debian's `chromium` package, installed with apt-get when it is missing (as root,
# or through sudo); playwright-core drives it by its path and never downloads a browser of its
# own. The suite runs on the TypeScript client, @mockingbird/testing (clients/typescript, linked
# from tests/browser/package.json), built first by scripts/client-typescript-tests.sh
# --build-only. Dependencies are installed with `npm ci` into tests/browser/node_modules, only
# when that is missing or package.json / package-lock.json changed since the last successful
# install.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

suite="$repo/tests/browser"

# shellcheck source=scripts/node-common.sh
source "$repo/scripts/node-common.sh"
require_node

# The browser: CHROMIUM_PATH, else Debian's chromium, installed when missing.
find_chromium() {
    if [[ -n "${CHROMIUM_PATH:-}" ]]; then
        printf '%s\n' "$CHROMIUM_PATH"
    elif command -v chromium >/dev/null 2>&1; then
        command -v chromium
    elif [[ -x /usr/bin/chromium ]]; then
        printf '%s\n' /usr/bin/chromium
    fi
}
chromium="$(find_chromium)"
if [[ -z "$chromium" ]]; then
    if [[ "$(id -u)" -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "browser-tests: Chromium is not installed and this user can neither install it (not root, no sudo): run \`apt-get install chromium\` as root, or set CHROMIUM_PATH" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "browser-tests: Chromium is not installed and there is no apt-get to install it: install Chromium and set CHROMIUM_PATH" >&2
        exit 1
    fi
    echo "browser-tests: installing Debian's chromium package (apt-get)" >&2
    started=$SECONDS
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
    echo "browser-tests: chromium installed in $((SECONDS - started)) s" >&2
    chromium="$(find_chromium)"
    if [[ -z "$chromium" ]]; then
        echo "browser-tests: apt-get installed chromium, but no chromium is on PATH or at /usr/bin/chromium" >&2
        exit 1
    fi
fi
if [[ ! -x "$chromium" ]]; then
    echo "browser-tests: CHROMIUM_PATH=$chromium is not an executable file" >&2
    exit 1
fi
export CHROMIUM_PATH="$chromium"

bash "$repo/scripts/client-typescript-tests.sh" --build-only

npm_install "$suite"

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

shopt -s nullglob
files=("$suite"/*.test.js)
shopt -u nullglob
if [[ ${#files[@]} -eq 0 ]]; then
    echo "browser-tests: no *.test.js files in $suite" >&2
    exit 1
fi

node_tests "$suite" "$@" "${files[@]}"
