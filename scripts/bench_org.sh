#!/usr/bin/env bash
# Benchmark: `warden sweep --org` over 1,000 synthetic repositories served by
# scripts/fake_github_org.py on 127.0.0.1 with 50 ms injected latency per request, with
# scripts/bench-org-policy.toml (branch protection, a required workflow, a symlink,
# forbidden files). Prints wall time, requests per repository and peak memory.
# Targets: < 60 s wall, <= 3 requests per repository, < 300 MB peak RSS.
#
#   scripts/bench_org.sh                      # every ci.yml is the org's template
#   DISTINCT_WORKFLOWS=1 scripts/bench_org.sh # every ci.yml differs (one blob each)
#   REPOS=200 LATENCY_MS=100 scripts/bench_org.sh
#   NEW_FACTS=1 scripts/bench_org.sh          # also every issue-12 rule kind that reads
#                                             # GitHub (scripts/bench-org-new-facts-policy.toml)
#
# Until `warden sweep --org` is wired into the CLI, this runs the same sweep through the
# library: the ignored test `bench_1000_repositories` in tests/it/org_sweep.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
REPOS=${REPOS:-1000}
LATENCY_MS=${LATENCY_MS:-50}
DISTINCT_WORKFLOWS=${DISTINCT_WORKFLOWS:-0}
POLICY=scripts/bench-org-policy.toml
if [ "${NEW_FACTS:-0}" = 1 ]; then POLICY=scripts/bench-org-new-facts-policy.toml; fi
WARDEN=${WARDEN_BIN:-${CARGO_TARGET_DIR:-target}/release/warden}

if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq time >/dev/null
  else
    echo "note: /usr/bin/time is missing (apt-get install time); peak memory will not be shown" >&2
  fi
fi
timed() {
  if [ -x /usr/bin/time ]; then /usr/bin/time -f "peak RSS %M kB, wall %e s" "$@"; else "$@"; fi
}

if [ ! -x "$WARDEN" ]; then cargo build --release --locked --quiet; fi
if ! "$WARDEN" sweep --help 2>/dev/null | grep -q -- '--org'; then
  echo "warden sweep --org is not wired into the CLI yet: running the library benchmark (tests/it/org_sweep.rs)"
  export BENCH_REPOS=$REPOS LATENCY_MS BENCH_DISTINCT_WORKFLOWS=$DISTINCT_WORKFLOWS
  export BENCH_REPOS_IN_FLIGHT=${REPOS_IN_FLIGHT:-8} BENCH_REQUESTS_IN_FLIGHT=${REQUESTS_IN_FLIGHT:-8}
  cargo test --release --locked --quiet --test it --no-run
  binary=$(cargo test --release --locked --test it --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "it":
        print(m["executable"])')
  timed "$binary" --ignored --nocapture --test-threads 1 bench_1000_repositories 2>&1 \
    | sed -E 's/^test [a-z_0-9]+ \.\.\. //' | grep -vE '^(running .*|ok|)$|^test result'
  echo "targets: < 60 s wall, <= 3 requests per repository, < 300 MB peak RSS (the figure above includes the fake server when measured by /usr/bin/time; 'peak RSS of the test process' is warden's)"
  exit 0
fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
extra=()
if [ "$DISTINCT_WORKFLOWS" = 1 ]; then extra+=(--distinct-workflows); fi
python3 scripts/fake_github_org.py --repos "$REPOS" --latency-ms "$LATENCY_MS" "${extra[@]}" \
  --port-file "$work/port" --stats-file "$work/stats.json" --max-seconds 300 &
server=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

echo "warden sweep --org bench: $REPOS repositories on 127.0.0.1:$port, ${LATENCY_MS} ms latency per request, policy $POLICY"
GITHUB_TOKEN=bench-token timed "$WARDEN" sweep --org bench --api-url "http://127.0.0.1:$port" \
  --policy "$POLICY" --now 2026-11-22 --no-cache \
  --format json --output "json=$work/org.json" --output "markdown=$work/org.md" \
  >/dev/null 2>"$work/stderr" || true
grep -E '^peak RSS' "$work/stderr" || true
python3 - "$work/org.json" "$work/stats.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
served = json.load(open(sys.argv[2]))
api, s = report["github_api"], report["summary"]
print(f"repositories {s['repositories']} ({s['ok']} ok, {s['error']} error, {s['blocking']} blocking); "
      f"requests {api['requests']} = {api['requests_per_repository']} per repository "
      f"(listing {api['listing']}, batched GraphQL {api.get('graphql', 0)}, blobs reused {api['blobs_reused']}, retried {api['retried']}); "
      f"server counted {served['requests']} {served['by_kind']}")
PY
echo "targets: < 60 s wall, <= 3 requests per repository, < 300 MB peak RSS"
