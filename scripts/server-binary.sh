# Sourced by the SDK test scripts: sets and exports MOCKINGBIRD_BIN, the server they test.
#
# MOCKINGBIRD_BIN, if set, names it (a relative path is taken from the repository root) and must
# be executable. Otherwise it is the debug build, built first if it is missing.
# Expects $repo, the repository root.

script_name="$(basename "$0" .sh)"
bin="${MOCKINGBIRD_BIN:-$repo/target/debug/mockingbird}"
[[ "$bin" == /* ]] || bin="$repo/$bin"
if [[ ! -x "$bin" ]]; then
    if [[ -n "${MOCKINGBIRD_BIN:-}" ]]; then
        echo "$script_name: MOCKINGBIRD_BIN=$bin is not an executable file" >&2
        exit 1
    fi
    echo "$script_name: $bin is missing, building it" >&2
    (cd "$repo" && cargo build --bin mockingbird)
fi
export MOCKINGBIRD_BIN="$bin"
