#!/usr/bin/env bash
# The dashboard's pages at a large size: fills a file database with ROWS messages of one tenant
# (and as many webhook attempts) straight through sqlite3 — so the migration's triggers keep
# the counts and the word index as they would — starts the server on it and requests every page
# REQUESTS times, sequentially on one keep-alive connection. Prints, per page, the server's own
# time (from its request log) and the time seen by the client, p50 and p99.
#
#   scripts/dashboard-bench.sh [ROWS] [REQUESTS]        # defaults: 1000000 50
#
# MOCKINGBIRD_BIN picks the binary (default: target/release/mockingbird). Needs sqlite3, python3.
set -euo pipefail
rows=${1:-1000000}
requests=${2:-50}
bin=${MOCKINGBIRD_BIN:-target/release/mockingbird}
account="AC$(printf 'b%.0s' $(seq 32))"
dir=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT

serve() {
  rm -f "$dir/ready.json"
  RUST_LOG=info "$bin" serve --port 0 --grpc-port 0 --host 127.0.0.1 --database "$dir/bench.db" \
    --set "twilio.account_sid=$account" --set logging.level=info \
    --ready-file "$dir/ready.json" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 400); do [ -s "$dir/ready.json" ] && return; sleep 0.05; done
  echo "server did not start" >&2; cat "$dir/server.log" >&2; exit 1
}

serve # creates and migrates the database
kill "$pid"; wait "$pid" 2>/dev/null || true
fill_start=$(date +%s.%N)
# One message in 1,000 failed and one undelivered, one in 500 inbound, one in 200 on WhatsApp,
# one in 100 with media; 5,000 users; a word ("zebra") in 1 body of 100,000; times 1 s apart.
sqlite3 "$dir/bench.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO messages (sid, account_sid, direction, from_addr, to_addr, body, media_urls, status,
                      num_segments, created_at, updated_at, sent_at)
SELECT printf('SM%032x', i), '$account',
       CASE WHEN i % 500 = 0 THEN 'inbound' ELSE 'outbound-api' END,
       '+15550000001',
       CASE WHEN i % 200 = 0 THEN 'whatsapp:' ELSE '' END || printf('+1555%07d', i % 5000),
       'Your code is ' || i || ' for the ' ||
         CASE i % 4 WHEN 0 THEN 'checkout' WHEN 1 THEN 'login' WHEN 2 THEN 'signup' ELSE 'reset' END ||
         CASE WHEN i % 100000 = 0 THEN ' zebra' ELSE '' END,
       CASE WHEN i % 100 = 1 THEN '["https://example.com/a.jpg"]' ELSE '[]' END,
       CASE i % 1000 WHEN 0 THEN 'failed' WHEN 1 THEN 'undelivered' ELSE 'delivered' END,
       1, i * 1000, i * 1000, i * 1000
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO callback_attempts (account_sid, resource_sid, status, url, method, request_body, attempt,
                               response_status, latency_ms, created_at)
SELECT '$account', printf('SM%032x', i), 'delivered', 'http://127.0.0.1:1/cb', 'POST',
       'MessageStatus=delivered', 1, 200, 1, i * 1000 FROM n;
SQL
echo "filled $rows messages and $rows attempts in $(echo "$(date +%s.%N) - $fill_start" | bc) s"
serve
address=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['http'])" "$dir/ready.json")
middle=$(printf 'SM%032x' $((rows / 2)))
python3 - "$address" "$requests" "$account" "$middle" "$dir/server.log" "$rows" <<'PY'
import http.client, re, sys, time
host, port = sys.argv[1].rsplit(":", 1)
requests, account, middle, log = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rows = int(sys.argv[6])
pages = [
    ("overview", "/"),
    ("messages", "/ui/messages"),
    ("messages, a page in the middle", f"/ui/messages?after={middle}"),
    ("messages, status failed (1 in 1,000)", "/ui/messages?status=failed"),
    ("messages, direction inbound (1 in 500)", "/ui/messages?direction=inbound"),
    ("messages, channel whatsapp (1 in 200)", "/ui/messages?channel=whatsapp"),
    ("messages, to one user", "/ui/messages?to=%2B15550001234"),
    ("text search, a common word", "/ui/messages?q=checkout"),
    ("text search, a rare word (10 rows)", "/ui/messages?q=zebra"),
    ("text search, no match", "/ui/messages?q=nowhere"),
    ("text search, two words", "/ui/messages?q=login+code"),
    ("a message", f"/ui/messages/{middle}"),
    ("calls", "/ui/calls"),
    ("callbacks", "/ui/callbacks"),
    ("callbacks of one message", f"/ui/callbacks?resource={middle}"),
    ("conversations", "/ui/conversations"),
    ("a conversation", "/ui/conversations/thread?channel=twilio&user=%2B15550001234"),
    ("tenants", "/ui/tenants"),
    ("simulator", "/ui/simulator"),
]
# What some pages must show, so that a fast answer is also a right one: rows of the table.
rows_expected = {
    "/ui/messages": 50,
    "/ui/messages?status=failed": 50,
    "/ui/messages?q=zebra": min(50, rows // 100_000),
    "/ui/messages?q=nowhere": 0,
    "/ui/messages?q=login+code": 50,
}
conn = http.client.HTTPConnection(host, int(port))
q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
# The first search indexes every body stored since the last one (here: all of them).
t = time.perf_counter()
conn.request("GET", "/ui/messages?q=first")
conn.getresponse().read()
print(f"the first text search, indexing {rows} bodies: {time.perf_counter() - t:.2f} s")
for path, expected in rows_expected.items():
    conn.request("GET", path)
    shown = conn.getresponse().read().decode().count('<tr id="row-')
    assert shown == expected, f"{path} shows {shown} rows, not {expected}"
client = {}
time.sleep(0.5)  # the request log is written by a background writer
already_logged = sum(1 for _ in open(log))  # the requests above are not the measured ones
for name, path in pages:
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        times.append((time.perf_counter() - t) * 1000)
    client[path.split("?")[0] + "?" + (path.split("?") + [""])[1]] = times
time.sleep(0.5)  # the request log is written by a background writer
server = {}
pattern = re.compile(r"path=(\S+) status=200 micros=(\d+)")
for line in list(open(log))[already_logged:]:
    m = pattern.search(line)
    if m and m.group(1).startswith(("/ui", "/")) and "assets" not in m.group(1):
        server.setdefault(m.group(1), []).append(int(m.group(2)) / 1000)
print(f"{'page':44} {'server p50':>11} {'server p99':>11} {'client p50':>11} {'client p99':>11}")
for name, path in pages:
    c = client[path.split("?")[0] + "?" + (path.split("?") + [""])[1]]
    # The request log names the path without its query: match this page's share of the lines
    # by order (every page's requests are sequential).
    s = server.get(path.split("?")[0], [])
    share, server[path.split("?")[0]] = s[:requests], s[requests:]
    sp = f"{q(share, .5):8.2f} ms {q(share, .99):8.2f} ms" if share else f"{'-':>11} {'-':>11}"
    print(f"{name:44} {sp} {q(c, .5):8.2f} ms {q(c, .99):8.2f} ms")
PY
