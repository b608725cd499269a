#!/usr/bin/env bash
# Run the official twilio-go SDK suite (tests/go) against a locally built mockingbird.
#
#   scripts/go-tests.sh [extra go test args, e.g. -run TestStatusCallbacks -race]
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird; a relative path
#                   is taken from the repository root)
#
# Modules come from the module proxy as `go env GOPROXY` says, checked against tests/go/go.sum;
# go.mod and go.sum are never rewritten (-mod=readonly).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v go >/dev/null 2>&1; then
    echo "go-tests: the go command is not on PATH" >&2
    exit 1
fi

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

output="$(mktemp)"
trap 'rm -f "$output"' EXIT

# -v so that every test that runs says so: `go test` passes when no test matched -run, or when
# the package has no tests, and that is a broken suite, not a pass.
status=0
(cd tests/go && go test -count=1 -v "$@" ./...) 2>&1 | tee "$output" || status=$?
if [[ $status -ne 0 ]]; then
    exit "$status"
fi
if ! grep -Eq '^=== RUN|"Action":"run"' "$output"; then
    echo "go-tests: no test ran" >&2
    exit 1
fi
