#!/usr/bin/env bash
# Benchmark: one `warden check` with all GitHub rule kinds against a local fake GitHub
# (scripts/fake_github.py) with 50 ms injected latency per request; cold and warm cache.
# Prints wall time and request counts. Targets: <= 8 requests cold, <= 1 s wall cold,
# 0 rate-limited requests warm (all 304).
set -euo pipefail
cd "$(dirname "$0")/.."
LATENCY_MS=${LATENCY_MS:-50}
WARDEN=${WARDEN_BIN:-target/release/warden}
if [ ! -x "$WARDEN" ]; then cargo build --release --locked --quiet; fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/fake_github.py --latency-ms "$LATENCY_MS" --port-file "$work/port" --stats-file "$work/stats.json" --max-seconds 300 &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

run() {
  local label=$1
  local start end
  start=$(date +%s%N)
  GITHUB_TOKEN=bench-token "$WARDEN" check . --policy scripts/bench-github-policy.toml --api-url "http://127.0.0.1:$port" \
      --repo octocat/hello-world --cache-dir "$work/cache" --format json --now 2026-11-22 \
      >"$work/$label.json" || true
  end=$(date +%s%N)
  python3 - "$label" "$(( (end - start) / 1000000 ))" "$work/$label.json" <<'PY'
import json, sys
label, ms, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
report = json.load(open(path))
api = report.get("github_api", {})
outcomes = ", ".join(f'{r["id"]}={r["outcome"]}' for r in report["rules"])
print(f"{label:5} wall {ms:5d} ms  requests {api.get('requests')}  from cache (304) {api.get('cached')}  "
      f"retried {api.get('retried')}  rate-limited {api.get('rate_limited')}   [{outcomes}]")
PY
}

echo "GitHub rules against 127.0.0.1:$port with ${LATENCY_MS} ms latency per request"
run cold
run warm
echo "targets: cold <= 8 requests and <= 1000 ms; warm: 0 rate-limited, all answered 304"
echo "for comparison: Scorecard's action spends ~70 API calls per repository (scorecard-action#1071)"
