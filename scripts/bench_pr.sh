#!/usr/bin/env bash
# Benchmark: `warden pr` end to end on a 200-file pull request read through the API of a
# local fake GitHub (scripts/fake_github.py) with 50 ms latency per request.
# Side by side: `danger ci` (danger from npm, installed under bench-work/danger) running the
# equivalent Dangerfile (scripts/bench-dangerfile.js) against the same server through
# DANGER_GITHUB_API_BASE_URL. Prints wall time and API requests of both, and the ratio.
# Targets: warden >= 10x faster than Danger, <= 4 API requests. Set NO_DANGER=1 to skip it.
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

[ -n "${NO_DANGER:-}" ] && exit 0
DANGER_DIR=${WARDEN_BENCH_DIR:-bench-work}/danger
if [ ! -x "$DANGER_DIR/node_modules/.bin/danger" ]; then
  mkdir -p "$DANGER_DIR"
  (cd "$DANGER_DIR" && npm install --silent --no-audit --no-fund danger@14.0.7 >/dev/null)
fi
python3 - "$work/event.json" <<'PY'
import json, sys
pr = json.load(open("fixtures/github/pull-request.json"))
pr["number"] = 7
pr["body"] = "Fixes #1\n\nAllowed paths: app/** packages/**\n\n## Definition of Done\n- [x] tests\n"
pr["base"]["repo"]["full_name"] = "octocat/hello-world"
event = {"action": "opened", "number": 7, "pull_request": pr,
         "repository": {"full_name": "octocat/hello-world", "name": "hello-world", "owner": {"login": "octocat"}}}
json.dump(event, open(sys.argv[1], "w"))
PY
danger_best=""
for i in $(seq "$RUNS"); do
  before=$(python3 -c "import json; print(json.load(open('$work/stats.json'))['requests'])")
  start=$(date +%s%N)
  GITHUB_WORKFLOW=bench GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$work/event.json" \
    GITHUB_REPOSITORY=octocat/hello-world DANGER_GITHUB_API_TOKEN=bench-token \
    DANGER_GITHUB_API_BASE_URL="http://127.0.0.1:$port" \
    "$DANGER_DIR/node_modules/.bin/danger" ci --dangerfile scripts/bench-dangerfile.js >"$work/danger.out" 2>&1 || true
  end=$(date +%s%N)
  after=$(python3 -c "import json; print(json.load(open('$work/stats.json'))['requests'])")
  ms=$(( (end - start) / 1000000 ))
  if [ -z "$danger_best" ] || [ "$ms" -lt "$danger_best" ]; then danger_best=$ms; danger_requests=$((after - before)); fi
done
echo "danger ci: best of $RUNS: $danger_best ms wall, $danger_requests API requests"
python3 -c "print(f'ratio: warden is {$danger_best / max($best, 1):.1f}x faster than Danger (target >= 10x)')"
