#!/usr/bin/env bash
# Generates clients/go/mockingbirdv1/*.pb.go from proto/ with protoc, protoc-gen-go and
# protoc-gen-go-grpc, or (--check) says which checked-in file is stale.
#
#   bash clients/go/generate.sh                    # regenerate (also: cd clients/go && go generate ./...)
#   bash clients/go/generate.sh --check            # fail, naming each stale file, if proto/ changed
#   bash clients/go/generate.sh --check --proto D  # check against the protos in D (the suite's test)
#
# protoc is Debian's protobuf-compiler with libprotobuf-dev (installed with apt-get when
# missing); the two plugins are `go install`ed at the versions pinned below into clients/go/.bin
# (gitignored).
#
# protoc writes its own version into every file's header (`// 	protoc        v3.21.12`). The
# files would then differ between machines with another Debian's protoc although the code is
# the same, so this script rewrites that one line to a fixed text: the plugins' versions (which
# do change the code) stay in the header, pinned.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.11
PROTOC_GEN_GO_GRPC_VERSION=v1.6.0

client="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$client/../.." && pwd)"
proto_dir="$repo/proto"
check=false
while [[ $# -gt 0 ]]; do
    case "$1" in
        --check) check=true ;;
        --proto) proto_dir="$(cd "$2" && pwd)"; shift ;;
        *) echo "generate.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

# protoc and the well-known types it imports (google/protobuf/*.proto: libprotobuf-dev, which
# protobuf-compiler only recommends) must both be there.
protoc_ready() {
    command -v protoc >/dev/null 2>&1 || return 1
    local probe
    probe="$(mktemp -d)"
    printf 'syntax = "proto3";\nimport "google/protobuf/duration.proto";\n' >"$probe/probe.proto"
    protoc -I "$probe" --descriptor_set_out=/dev/null "$probe/probe.proto" 2>/dev/null
    local ready=$?
    rm -rf "$probe"
    return $ready
}

ensure_protoc() {
    protoc_ready && return
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "generate.sh: protoc (or its google/protobuf includes) is missing and installing it needs root: run \`apt-get install protobuf-compiler libprotobuf-dev\` as root" >&2
            exit 1
        fi
    fi
    echo "generate.sh: installing protoc (Debian's protobuf-compiler and libprotobuf-dev)" >&2
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
}

# A plugin is (re)installed when missing or when it reports another version than the pin.
ensure_plugin() {
    local name="$1" package="$2" version="$3"
    local bin="$client/.bin/$name"
    if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qw "v\?${version#v}"; then
        return
    fi
    echo "generate.sh: installing $package@$version into clients/go/.bin" >&2
    (cd "$client" && GOBIN="$client/.bin" GOFLAGS=-mod=mod go install "$package@$version")
}

ensure_protoc
ensure_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
ensure_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$proto_dir" && PATH="$client/.bin:$PATH" protoc -I . \
    --go_out="$out" --go_opt=paths=source_relative \
    --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
    mockingbird/v1/*.proto)
generated="$out/mockingbird/v1"
for file in "$generated"/*.go; do
    sed -i -E 's#^(//[[:space:]]+(- )?protoc[[:space:]]+)v[0-9][^[:space:]]*$#\1(Debian protobuf-compiler; version line fixed by generate.sh)#' "$file"
done

target="$client/mockingbirdv1"
if ! $check; then
    mkdir -p "$target"
    rm -f "$target"/*.pb.go
    cp "$generated"/*.pb.go "$target/"
    echo "generate.sh: wrote $(ls "$generated" | wc -l) files to clients/go/mockingbirdv1" >&2
    exit 0
fi

stale=0
for file in "$generated"/*.pb.go; do
    name="$(basename "$file")"
    if ! cmp -s "$file" "$target/$name"; then
        echo "clients/go/mockingbirdv1/$name is stale against proto/: run \`bash clients/go/generate.sh\` and commit the result." >&2
        stale=1
    fi
done
for file in "$target"/*.pb.go; do
    [[ -e "$file" ]] || continue
    name="$(basename "$file")"
    if [[ ! -e "$generated/$name" ]]; then
        echo "clients/go/mockingbirdv1/$name is no longer generated from proto/: run \`bash clients/go/generate.sh\` and commit the result." >&2
        stale=1
    fi
done
if [[ $stale -eq 0 ]]; then
    echo "generate.sh: clients/go/mockingbirdv1 is current with proto/" >&2
fi
exit "$stale"
