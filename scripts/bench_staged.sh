#!/usr/bin/env bash
# Benchmark `warden check --staged` with the differential judgement against
# `git diff --cached --name-only`, wall time and CPU time (user + sys) side by side.
#
#   scripts/bench_staged.sh [--runs N]
#
# On the 100,000-file repository of scripts/gen_bench_repo.py (generated, or reused from
# WARDEN_BENCH_DIR), ten tracked files are modified and staged (three stray notes that
# were docs-allowlist gaps before, two docs, five code files), and
# scripts/bench-staged-policy.toml adds tree rules whose gaps HEAD already has, so the
# rules that found gaps are judged again on HEAD's side of the change.
# Targets (issue #9): <= 50 ms wall and <= 1.3x git's CPU time. Exit 0 unless something
# could not be run; the figures say whether the targets are met.
#
# Environment: WARDEN_BIN (default: cargo build --release), WARDEN_BENCH_DIR (default
# bench-work/ here), CARGO_TARGET_DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
WORK=$(abspath "${WARDEN_BENCH_DIR:-$ROOT/bench-work}")
REPO=$WORK/repo
POLICY=$ROOT/scripts/bench-staged-policy.toml
GEN=$ROOT/scripts/gen_bench_repo.py
RUNS=20
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_staged.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
die() { echo "bench_staged.sh: $*" >&2; exit 2; }
command -v git >/dev/null || die "git is required"

if [ -n "${WARDEN_BIN:-}" ]; then
    BIN=$(abspath "$WARDEN_BIN")
else
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    BIN=$(abspath "$TARGET")/release/warden
fi
[ -x "$BIN" ] || die "no warden binary at $BIN"

mkdir -p "$WORK"
STAMP=$(python3 "$GEN" --stamp -)
if ! [ -f "$REPO/.git/warden-bench.stamp" ] || [ "$(cat "$REPO/.git/warden-bench.stamp")" != "$STAMP" ]; then
    echo "generating the synthetic repository in $REPO"
    rm -rf "$REPO"
    python3 "$GEN" "$REPO"
fi
cd "$REPO"
git diff-index --quiet HEAD -- || git reset -q --hard HEAD

mapfile -t STAGE_FILES < <(
    { git ls-files 'notes/*' | awk 'NR <= 3'; git ls-files 'docs/guides/*' | awk 'NR <= 2';
      git ls-files 'src/*' 'app/*' 'packages/*' | grep -v '\.md$' |
          awk '{ a[NR] = $0 } END { s = int(NR / 5); for (i = 0; i < 5; i++) print a[i * s + 1] }'; }
)
[ "${#STAGE_FILES[@]}" = 10 ] || die "could not pick 10 files to stage"
restore() {
    git reset -q HEAD -- "${STAGE_FILES[@]}" 2>/dev/null || true
    git checkout -q -- "${STAGE_FILES[@]}" 2>/dev/null || true
}
trap restore EXIT
for f in "${STAGE_FILES[@]}"; do printf '\nbenchmark edit\n' >>"$f"; done
git add -- "${STAGE_FILES[@]}"

python3 - "$BIN" "$POLICY" "$RUNS" <<'PY'
import json, os, resource, subprocess, sys, time
bin_, policy, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
git = ["git", "diff", "--cached", "--name-only"]
warden = [bin_, "check", "--staged", "--policy", policy, "--now", "2026-11-22", "--format", "json"]

report = json.loads(subprocess.run(warden, capture_output=True, text=True).stdout)
print(f"warden check --staged: exit {'1' if report['summary']['blocking'] else '0'}, "
      f"{report['summary']['existing']} gaps already there, {report['summary']['gaps']} new; "
      f"compared with {report['change']['before']}")
for r in report["rules"]:
    marks = [f.get("change", "-") for f in r["findings"]]
    print(f"  {r['id']:<26} {r['outcome']:<8} {len(marks):>3} findings "
          f"({marks.count('new')} new, {marks.count('existing')} existing)")

def measure(cmd):
    for _ in range(3):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    walls.sort(); cpus.sort()
    mean = lambda xs: sum(xs) / len(xs)
    return mean(walls), walls[len(walls) // 2], mean(cpus), cpus[len(cpus) // 2]

g = measure(git)
w = measure(warden)
ms = lambda s: f"{s * 1e3:.1f} ms"
print(f"\n{runs} runs each after 3 warm-up runs; load avg {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
print(f"| command | wall mean | wall median | CPU mean (user+sys) | CPU median |")
print(f"|---|---|---|---|---|")
print(f"| git diff --cached --name-only | {ms(g[0])} | {ms(g[1])} | {ms(g[2])} | {ms(g[3])} |")
print(f"| warden check --staged (differential) | {ms(w[0])} | {ms(w[1])} | {ms(w[2])} | {ms(w[3])} |")
print(f"\nwall: {ms(w[0])} (target <= 50 ms: {'met' if w[0] <= 0.050 else 'NOT met'}); "
      f"CPU: {w[2] / g[2]:.2f}x git by mean, {w[3] / g[3]:.2f}x by median "
      f"(target <= 1.3x: {'met' if w[2] <= 1.3 * g[2] else 'NOT met'} by mean)")
PY
