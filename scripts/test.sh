#!/usr/bin/env bash
# Every test mockingbird has, in order: formatting and lints, the Rust unit and integration
# tests (the real server on port 0), then the official Twilio SDKs for Python, Node, Go and Java
# against the release binary, built with the same command as the Dockerfile, the dashboard in
# headless Chromium, and the test clients under clients/. Installs what it needs (virtualenvs,
# node_modules, Go modules, Maven artifacts, Debian's chromium) and works on a fresh clone.
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
export MOCKINGBIRD_BIN="$PWD/target/release/mockingbird"
echo "== official SDK: twilio-python"
bash scripts/python-tests.sh
echo "== official SDK: twilio-node"
bash scripts/node-tests.sh
echo "== official SDK: twilio-go"
bash scripts/go-tests.sh
echo "== official SDK: twilio-java"
bash scripts/java-tests.sh
echo "== the dashboard in headless Chromium"
bash scripts/browser-tests.sh
echo "== client: Python (clients/python, mockingbird-testing)"
bash scripts/client-python-tests.sh
echo "== client: TypeScript (clients/typescript, @mockingbird/testing)"
bash scripts/client-typescript-tests.sh
echo "== client: Go (clients/go, mbtest)"
bash scripts/client-go-tests.sh
echo "== client: Java (clients/java, dev.mockingbird:mockingbird-testing)"
bash scripts/client-java-tests.sh
