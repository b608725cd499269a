#!/usr/bin/env bash
# The Go client (clients/go, module github.com/mockingbird/mockingbird/clients/go): check its
# generated code is current with proto/ (installing protoc and the pinned plugins when missing),
# then run its compatibility suite (clients/go/tests, on mbtest) against the binary.
#
#   scripts/client-go-tests.sh [extra go test args, e.g. -run TestSubscribe -race]
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird)
#
# Modules come from the module proxy as `go env GOPROXY` says, checked against clients/go/go.sum;
# go.mod and go.sum are never rewritten (-mod=readonly).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v go >/dev/null 2>&1; then
    echo "client-go-tests: the go command is not on PATH" >&2
    exit 1
fi

# Generated code that proto/ would no longer generate fails the run, naming the file and the
# command that regenerates it.
echo "client-go-tests: checking the generated code against proto/" >&2
bash clients/go/generate.sh --check

unformatted="$(gofmt -l clients/go/mbtest clients/go/tests)"
if [[ -n "$unformatted" ]]; then
    echo "client-go-tests: not gofmt-formatted (run \`gofmt -w\` on them):" >&2
    echo "$unformatted" >&2
    exit 1
fi

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

output="$(mktemp)"
trap 'rm -f "$output"' EXIT

# -v so that every test that runs says so: `go test` passes when no test matched -run, or when
# a package has no tests, and that is a broken suite, not a pass.
status=0
(cd clients/go && go vet ./... && go test -count=1 -v "$@" ./...) 2>&1 | tee "$output" || status=$?
if [[ $status -ne 0 ]]; then
    exit "$status"
fi
if ! grep -Eq '^=== RUN' "$output"; then
    echo "client-go-tests: no test ran" >&2
    exit 1
fi
