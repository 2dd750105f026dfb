#!/usr/bin/env bash
# Benchmark: `warden pr` end to end on a 200-file pull request read through the API of a
# local fake GitHub (scripts/fake_github.py) with 50 ms latency per request.
# Prints wall time and API requests. Target: <= 4 requests. (The issue also asks for a
# side-by-side `danger ci` run; see docs/benchmarks.md for why it is not automated here.)
set -euo pipefail
cd "$(dirname "$0")/.."
LATENCY_MS=${LATENCY_MS:-50}
RUNS=${RUNS:-5}
WARDEN=${WARDEN_BIN:-target/release/warden}
if [ ! -x "$WARDEN" ]; then cargo build --release --locked --quiet; fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/fake_github.py --latency-ms "$LATENCY_MS" --port-file "$work/port" --stats-file "$work/stats.json" --max-seconds 300 &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
git -C "$work" init -q checkout

best=""
for i in $(seq "$RUNS"); do
  start=$(date +%s%N)
  GITHUB_TOKEN=bench-token "$WARDEN" pr octocat/hello-world#7 --path "$work/checkout" \
    --policy scripts/bench-pr-policy.toml --api-url "http://127.0.0.1:$port" --no-cache \
    --format json > "$work/pr.json" || true
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
python3 - "$best" "$work/pr.json" "$RUNS" <<'PY'
import json, sys
best, path, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
report = json.load(open(path))
api = report["github_api"]
pr = report["pull_request"]
print(f"warden pr: {pr['changed_files']} files from {pr['files_source']}, best of {runs}: {best} ms wall, "
      f"{api['requests']} API requests")
print("  outcomes:", ", ".join(f'{r["id"]}={r["outcome"]}' for r in report["rules"]))
PY
echo "target: <= 4 API requests"
