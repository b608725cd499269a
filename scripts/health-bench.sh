#!/usr/bin/env bash
# GET /health at a large row count: fills a file database with ROWS messages (and as many
# callback attempts) straight through sqlite3, starts the server on it and times REQUESTS
# sequential keep-alive GETs. Usage: scripts/health-bench.sh [ROWS] [REQUESTS]
# MOCKINGBIRD_BIN picks the binary (default: target/release/mockingbird). Needs sqlite3, python3.
set -euo pipefail
rows=${1:-1000000}
requests=${2:-2000}
bin=${MOCKINGBIRD_BIN:-target/release/mockingbird}
dir=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT

serve() {
  rm -f "$dir/ready.json"
  "$bin" serve --port 0 --grpc-port 0 --host 127.0.0.1 --database "$dir/bench.db" \
    --ready-file "$dir/ready.json" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -s "$dir/ready.json" ] && return; sleep 0.05; done
  echo "server did not start" >&2; exit 1
}

serve # creates and migrates the database
kill "$pid"; wait "$pid" 2>/dev/null || true
sqlite3 "$dir/bench.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO messages (sid, account_sid, direction, to_addr, body, status, num_segments, created_at, updated_at)
SELECT printf('SM%032x', i), 'ACbench', 'outbound-api', '+15551234567', 'bench', 'delivered', 1, i, i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO callback_attempts (account_sid, resource_sid, status, url, method, request_body, attempt, latency_ms, created_at)
SELECT 'ACbench', printf('SM%032x', i), 'delivered', 'http://127.0.0.1:1/cb', 'POST', '', 1, 1, i FROM n;
SQL
start=$(date +%s.%N)
serve
echo "start with $rows messages: $(echo "$(date +%s.%N) - $start" | bc) s (includes the one count at open)"
address=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['http'])" "$dir/ready.json")
python3 - "$address" "$requests" <<'PY'
import http.client, json, sys, time
host, port = sys.argv[1].rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    conn.request("GET", "/health")
    body = conn.getresponse().read()
    times.append(time.perf_counter() - t)
times.sort()
q = lambda p: times[min(len(times) - 1, int(p * len(times)))] * 1000
stats = json.loads(body)["statistics"]
print(f"GET /health x{len(times)}: p50 {q(0.5):.3f} ms, p99 {q(0.99):.3f} ms, max {times[-1]*1000:.3f} ms; statistics {stats}")
PY
