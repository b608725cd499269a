#!/usr/bin/env bash
# The Python client (clients/python, `mockingbird-testing`): check its generated code is current
# with proto/, install it into a virtualenv of its own, and run its compatibility suite
# (clients/python/tests, on the package's own pytest fixtures) against the binary.
#
#   scripts/client-python-tests.sh [extra pytest args]
#
# MOCKINGBIRD_CLIENT_VENV  where the virtualenv lives (default: <repo>/clients/python/.venv)
# MOCKINGBIRD_BIN          the server binary (default: <repo>/target/debug/mockingbird)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

client="clients/python"
venv="${MOCKINGBIRD_CLIENT_VENV:-$repo/$client/.venv}"
requirements="$client/requirements-dev.txt"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "client-python-tests: creating virtualenv at $venv" >&2
    python3 -m venv "$venv"
fi

# Re-install the pinned tools and dependencies only when requirements-dev.txt changed.
stamp="$venv/.mockingbird-requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "client-python-tests: installing $requirements" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
fi

# Generated code that proto/ would no longer generate fails the run, naming the file and the
# command that regenerates it.
echo "client-python-tests: checking the generated code against proto/" >&2
"$venv/bin/python" "$client/generate.py" --check

# The package as a user gets it (a wheel built from the folder, not the source tree), its
# dependencies already pinned above; the pinned setuptools builds it.
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "./$client"

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
status=0
(cd "$client" && "$venv/bin/python" -m pytest -q tests "$@") || status=$?
if [[ $status -eq 5 ]]; then
    echo "client-python-tests: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
