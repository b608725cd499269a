#!/usr/bin/env bash
# Every test mockingbird has, in order: formatting and lints, the Rust unit and integration
# tests (the real server on port 0), then the official twilio-python SDK against the release
# binary, built with the same command as the Dockerfile. Installs what it needs (a Python
# virtualenv under .venv) and works on a fresh clone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test"
cargo test --locked
echo "== release build (the Dockerfile's command)"
cargo build --release --locked --bin mockingbird
echo "== official SDK: twilio-python"
MOCKINGBIRD_BIN="$PWD/target/release/mockingbird" bash scripts/python-tests.sh
