#!/usr/bin/env bash
# Benchmark: `warden apply --org` over 1,000 synthetic repositories served by
# scripts/fake_github_org.py on 127.0.0.1 with 50 ms injected latency per request, with
# scripts/bench-apply-policy.toml (a repository setting, a label, branch protection).
# Every 10th repository has the three gaps. Two runs against one server:
#   1. the plan only (`--dry-run`): wall time, requests per repository;
#   2. the apply (`--yes`) to the 10% with gaps: wall time, writes, requests per
#      repository, and what the re-check says.
# Target: < 60 s for the plan.
#
#   scripts/bench_apply.sh
#   REPOS=200 LATENCY_MS=100 GAP_EVERY=5 CONCURRENCY=16 scripts/bench_apply.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPOS=${REPOS:-1000}
LATENCY_MS=${LATENCY_MS:-50}
GAP_EVERY=${GAP_EVERY:-10}
CONCURRENCY=${CONCURRENCY:-8}
WARDEN=$(realpath -m "${WARDEN_BIN:-${CARGO_TARGET_DIR:-target}/release/warden}")

if [ ! -x "$WARDEN" ]; then cargo build --release --locked --quiet --bin warden; fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 scripts/fake_github_org.py --repos "$REPOS" --latency-ms "$LATENCY_MS" \
  --apply-gap-every "$GAP_EVERY" \
  --port-file "$work/port" --stats-file "$work/stats.json" --max-seconds 600 &
server=$!
for _ in $(seq 400); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
mkdir "$work/checkout"

run() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  (cd "$work/checkout" && GITHUB_TOKEN=bench-token "$WARDEN" apply --org bench \
    --api-url "http://127.0.0.1:$port" --policy "$OLDPWD/scripts/bench-apply-policy.toml" \
    --no-cache --concurrency "$CONCURRENCY" --format json "$@" \
    >"$work/$name.json" 2>"$work/$name.stderr") || true
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')" >"$work/$name.wall"
  if [ ! -s "$work/$name.json" ]; then echo "warden apply $* failed:" >&2; cat "$work/$name.stderr" >&2; exit 1; fi
  cp "$work/stats.json" "$work/$name.stats"
}

echo "warden apply --org bench: $REPOS repositories on 127.0.0.1:$port, ${LATENCY_MS} ms latency per request, gaps in every ${GAP_EVERY}th, --concurrency $CONCURRENCY"
run plan --dry-run
run apply --yes --audit-log "$work/audit.jsonl"
python3 - "$work" "$REPOS" <<'PY'
import json, sys
work, repos = sys.argv[1], int(sys.argv[2])
plan = json.load(open(f"{work}/plan.json"))["plan"]
plan_stats = json.load(open(f"{work}/plan.stats"))
outcome = json.load(open(f"{work}/apply.json"))
apply_stats = json.load(open(f"{work}/apply.stats"))
wall = {n: open(f"{work}/{n}.wall").read().strip() for n in ("plan", "apply")}
writes = sum(len(c["requests"]) for c in plan["changes"])
targets = sorted({c["repo"] for c in plan["changes"] if c["requests"]})
print(f"plan:  {wall['plan']} s wall; {plan['repositories']} repositories, {len(targets)} with changes, "
      f"{writes} writes planned, {len(plan['errors'])} errors; "
      f"{plan['requests']} requests = {plan['requests'] / repos:.2f} per repository "
      f"(server counted {plan_stats['requests']})")
applied = outcome["applied"]
done = [w for w in applied["writes"] if w["error"] is None]
failed = [w for w in applied["writes"] if w["error"] is not None]
remaining = outcome["remaining"]
still = sum(len(r["fixable"]) for r in remaining)
audit = sum(1 for _ in open(f"{work}/audit.jsonl"))
served = apply_stats["requests"] - plan_stats["requests"]
writes_served = apply_stats["by_kind"].get("write", 0) - plan_stats["by_kind"].get("write", 0)
total = outcome["plan"]["requests"] + applied["requests"]
print(f"apply: {wall['apply']} s wall (plan, re-read, {len(done)} writes, re-check of {len(remaining)} repositories); "
      f"{len(failed)} failed; {still} fixable gaps left; audit log {audit} lines; "
      f"server counted {served} requests ({writes_served} writes) = {served / repos:.2f} per repository "
      f"(plan and apply: {total}, re-check the rest)")
PY
echo "target: < 60 s for the plan"
