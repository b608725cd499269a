#!/usr/bin/env bash
# Run the official twilio-python SDK suite (tests/python) against a locally built mockingbird,
# on the Python client (clients/python, package mockingbird_testing).
#
#   scripts/python-tests.sh [extra pytest args]
#
# MOCKINGBIRD_VENV  where the virtualenv lives (default: <repo>/.venv)
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="${MOCKINGBIRD_VENV:-$repo/.venv}"
requirements="tests/python/requirements.txt"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "python-tests: creating virtualenv at $venv" >&2
    python3 -m venv "$venv"
fi

# Re-install only when requirements.txt changed since the last successful install.
stamp="$venv/.mockingbird-requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "python-tests: installing $requirements" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
fi

# The suite runs on the Python client (its server start, tenants, webhook receiver and generated
# stubs): installed from this checkout on every run, so it is never stale against the suite.
echo "python-tests: installing ./clients/python" >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps ./clients/python

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
status=0
"$venv/bin/python" -m pytest -q tests/python "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "python-tests: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
