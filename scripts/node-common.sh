# Sourced by the Node test scripts (node-tests, browser-tests, client-typescript-tests); expects
# $repo, the repository root.
# - `require_node`: stops the script unless node and npm are on PATH, Node 20 or later (the
#   clients' and suites' engines).
# - `npm_install DIR`: `npm ci` in DIR, only when DIR/node_modules is missing or its
#   package.json / package-lock.json changed since the last successful install (a checksum
#   stamped into node_modules records it).
# - `node_tests DIR ARG...`: `node --test ARG...` in DIR, failing a run where no test ran.

npm_install() {
    local dir="$1"
    local stamp="$dir/node_modules/.mockingbird-lock.sha256"
    local wanted
    wanted="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
    if [[ ! -d "$dir/node_modules" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
        echo "$(basename "$0" .sh): installing ${dir#"$repo"/} dependencies (npm ci)" >&2
        (cd "$dir" && npm ci --no-audit --no-fund)
        printf '%s\n' "$wanted" >"$stamp"
    fi
}

require_node() {
    local name tool
    name="$(basename "$0" .sh)"
    for tool in node npm; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$name: $tool not found on PATH (Node 20 or later is needed)" >&2
            exit 1
        fi
    done
    if [[ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]]; then
        echo "$name: Node 20 or later is needed, found $(node --version)" >&2
        exit 1
    fi
}

# `node_tests DIR ARG...`: `node --test ARG...` in DIR, with readable output on stdout and a TAP
# copy to count what ran. Zero tests run (none found, or all filtered out or skipped) is a broken
# suite, not a pass: it stops the script. Otherwise returns node's status.
node_tests() {
    local dir="$1" name tap ran status=0
    shift
    name="$(basename "$0" .sh)"
    tap="$(mktemp "${TMPDIR:-/tmp}/mockingbird-$name.XXXXXX")"
    (cd "$dir" && node --test \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" \
        "$@") || status=$?
    ran="$(awk '/^# (tests|skipped|todo) [0-9]+$/ { n[$2] = $3 } END { print n["tests"] - n["skipped"] - n["todo"] }' "$tap")"
    rm -f "$tap"
    if [[ $ran -le 0 ]]; then
        echo "$name: no test ran" >&2
        exit 1
    fi
    return "$status"
}
