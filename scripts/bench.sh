#!/usr/bin/env bash
# Benchmark warden on a large deterministic synthetic repository.
#
#   scripts/bench.sh [--runs N] [--per-rule] [--worst-case] [--regenerate]
#
# Generates (or reuses) a repository with 100,000 tracked files, 5,000 Markdown files and
# 2,000 commits (scripts/gen_bench_repo.py), then times, on that repository:
#   git ls-files                                  the baseline
#   warden check  (scripts/bench-policy.toml)     every repository rule kind
#   warden check --staged                         10 modified files staged
# and measures peak memory. It prints figures and whether each target of the issue is met;
# it never fails because warden is slow (exit 0 unless something could not be run).
#
# Targets: check <= 2x git ls-files; check --staged <= 50 ms; peak RSS <= 200 MB.
#
# Options:
#   --runs N        timed runs per command (default 10, after 3 warm-up runs)
#   --per-rule      also time an empty policy (fixed cost) and each rule on its own
#   --worst-case    also time planning-doc-ttl with a glob that has no directory prefix
#                   (`**/plan-*.md`), the slow path of the history walk (one run; slow)
#   --regenerate    rebuild the synthetic repository even if a cached copy matches
#
# Environment:
#   WARDEN_BIN        use this warden binary instead of `cargo build --release`
#   WARDEN_BENCH_DIR  where the repository and results go (default: bench-work/ here)
#   WARDEN_BENCH_FILES, WARDEN_BENCH_MARKDOWN, WARDEN_BENCH_COMMITS
#                     repository size (defaults 100000, 5000, 2000), for quick trials
#   WARDEN_BENCH_POLICY  time this policy instead of scripts/bench-policy.toml
#   WARDEN_BENCH_NO_HYPERFINE=1  time with the bash-loop fallback even if hyperfine exists
#   CARGO_TARGET_DIR  honoured when building warden
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
WORK=$(abspath "${WARDEN_BENCH_DIR:-$ROOT/bench-work}")
REPO=$WORK/repo
RESULTS=$WORK/results
POLICY=$(abspath "${WARDEN_BENCH_POLICY:-$ROOT/scripts/bench-policy.toml}")
[ -f "$POLICY" ] || { echo "bench.sh: no policy file $POLICY" >&2; exit 2; }
GEN=$ROOT/scripts/gen_bench_repo.py
NOW=2026-11-22
FILES=${WARDEN_BENCH_FILES:-100000}
MARKDOWN=${WARDEN_BENCH_MARKDOWN:-5000}
COMMITS=${WARDEN_BENCH_COMMITS:-2000}
RUNS=10
WARMUP=3
PER_RULE=0
WORST_CASE=0
REGENERATE=0

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --per-rule) PER_RULE=1; shift ;;
        --worst-case) WORST_CASE=1; shift ;;
        --regenerate) REGENERATE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\n== %s\n' "$*"; }
CHILD=
on_signal() {
    [ -z "$CHILD" ] || kill "$CHILD" 2>/dev/null || true
    echo "bench.sh: interrupted" >&2
    exit 130
}
trap on_signal INT TERM
die() { echo "bench.sh: $*" >&2; exit 2; }

# ---------------------------------------------------------------------------- tools
command -v git >/dev/null || die "git is required"
command -v python3 >/dev/null || die "python3 (3.9 or newer) is required"

apt_install() {
    # Install a Debian/Ubuntu package when running as root; otherwise do nothing.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $1 with apt-get ..."
        if [ -z "${APT_UPDATED:-}" ]; then
            apt-get update -qq >/dev/null 2>&1 || true
            APT_UPDATED=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 || true
    fi
}
[ -n "${WARDEN_BENCH_NO_HYPERFINE:-}" ] || command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && [ -z "${WARDEN_BENCH_NO_HYPERFINE:-}" ] && HAVE_HYPERFINE=1
HAVE_TIME=0
/usr/bin/time -v true >/dev/null 2>&1 && HAVE_TIME=1
[ "$HAVE_HYPERFINE" = 1 ] || echo "note: hyperfine not found; timing with a bash loop instead"
[ "$HAVE_TIME" = 1 ] || echo "note: GNU time (/usr/bin/time) not found; peak memory is not measured"

# ---------------------------------------------------------------------------- warden
if [ -n "${WARDEN_BIN:-}" ]; then
    BIN=$(command -v "$WARDEN_BIN" || true)
    [ -n "$BIN" ] && [ -x "$BIN" ] || die "WARDEN_BIN=$WARDEN_BIN is not executable"
    BIN=$(abspath "$BIN")
else
    say "building warden (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    TARGET=${CARGO_TARGET_DIR:-target}
    case "$TARGET" in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
    BIN=$TARGET/release/warden
    [ -x "$BIN" ] || die "no binary at $BIN after the build"
fi

# ---------------------------------------------------------------------------- repository
mkdir -p "$WORK" "$RESULTS"
GEN_ARGS=(--files "$FILES" --markdown "$MARKDOWN" --commits "$COMMITS")
STAMP=$(python3 "$GEN" "${GEN_ARGS[@]}" --stamp -)
if [ "$REGENERATE" = 0 ] && [ -f "$REPO/.git/warden-bench.stamp" ] &&
    [ "$(cat "$REPO/.git/warden-bench.stamp")" = "$STAMP" ]; then
    say "reusing the synthetic repository in $REPO ($STAMP)"
    # An interrupted run may have left files staged or modified.
    if ! git -C "$REPO" diff-index --quiet HEAD --; then
        echo "it had local changes; resetting it to HEAD"
        git -C "$REPO" reset -q --hard HEAD
    fi
else
    say "generating the synthetic repository in $REPO"
    start=$(date +%s)
    python3 "$GEN" "${GEN_ARGS[@]}" "$REPO"
    echo "generated in $(( $(date +%s) - start )) s"
fi
cd "$REPO"
HEAD_ID=$(git rev-parse --short=12 HEAD)

# ---------------------------------------------------------------------------- machine
say "machine"
CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
[ -n "$CPU" ] || CPU=$(uname -m)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo "?")
{
    echo "cpus:       $(nproc 2>/dev/null || echo ?) × $CPU"
    echo "memory:     $MEM"
    echo "load avg:   $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)   (other work on the machine skews every figure)"
    echo "os:         $(uname -sr)"
    echo "git:        $(git --version | sed 's/git version //')"
    echo "warden:     $("$BIN" --version 2>/dev/null | sed 's/warden //') ($BIN)"
    [ "$HAVE_HYPERFINE" = 1 ] && echo "hyperfine:  $(hyperfine --version | sed 's/hyperfine //')"
    echo "repository: $(git ls-files | wc -l | tr -d ' ') files, $(git ls-files '*.md' | wc -l | tr -d ' ') Markdown, $(git rev-list --count HEAD) commits, HEAD $HEAD_ID"
} | tee "$RESULTS/machine.txt"

# ---------------------------------------------------------------------------- policy sanity
# show_report FILE EXIT : one line per rule of a JSON report.
show_report() {
    python3 - "$1" "$2" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"exit code {sys.argv[2]} (1 = blocking gaps found, expected)")
for r in report["rules"]:
    note = f" — {r['reason']}" if r.get("reason") else ""
    print(f"  {r['id']:<28} {r['kind']:<20} {r['outcome']:<8} {len(r['findings']):>4} findings{note}")
errors = [r["id"] for r in report["rules"] if r["outcome"] == "error"]
if errors:
    print(f"warning: {len(errors)} rule(s) report `error` ({', '.join(errors)}); their cost is not fully measured")
PY
}
say "policy check: $POLICY"
set +e
"$BIN" check --policy "$POLICY" --now "$NOW" --format json >"$RESULTS/check-report.json" 2>"$RESULTS/check-report.stderr"
rc=$?
set -e
if [ "$rc" -ge 2 ]; then
    cat "$RESULTS/check-report.stderr" >&2
    die "warden refused the benchmark policy (exit $rc); this build does not accept scripts/bench-policy.toml"
fi
show_report "$RESULTS/check-report.json" "$rc"

# ---------------------------------------------------------------------------- timing helpers
# time_cmds NAME CMD... : times each command (argument vector given as one string, words
# quoted with printf %q) and writes $RESULTS/NAME.json in hyperfine's export format.
time_cmds() {
    local name=$1; shift
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        # In the background, so Ctrl-C reaches this script (hyperfine keeps going on SIGINT).
        hyperfine -N -i --style basic --warmup "$WARMUP" --runs "$RUNS" \
            --export-json "$RESULTS/$name.json" "$@" >"$RESULTS/$name.log" 2>&1 &
        CHILD=$!
        wait "$CHILD" || { cat "$RESULTS/$name.log" >&2; die "hyperfine failed"; }
        CHILD=
        grep -E '^(Benchmark|  Time|  Range)' "$RESULTS/$name.log" || true
    else
        # Fallback: a bash loop timed with date +%s%N (includes fork/exec of the loop).
        local cmd argv i t0 t1 times json=""
        for cmd in "$@"; do
            eval "argv=($cmd)"
            times=()
            for ((i = 0; i < WARMUP + RUNS; i++)); do
                t0=$(date +%s%N)
                "${argv[@]}" >/dev/null 2>&1 || true
                t1=$(date +%s%N)
                [ "$i" -ge "$WARMUP" ] && times+=("$(( t1 - t0 ))")
            done
            json+="${json:+,}$(python3 -c '
import json, sys
t = [int(x) / 1e9 for x in sys.argv[2:]]
print(json.dumps({"command": sys.argv[1], "mean": sum(t) / len(t), "min": min(t), "max": max(t), "times": t}))
' "$cmd" "${times[@]}")"
            echo "Benchmark: $cmd"
        done
        echo "{\"results\": [$json]}" >"$RESULTS/$name.json"
        python3 - "$RESULTS/$name.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"  mean {r['mean'] * 1e3:.1f} ms, min {r['min'] * 1e3:.1f} ms: {r['command']}")
PY
    fi
}

# peak_rss CMD... : the largest "Maximum resident set size" (KiB) over 3 runs, or "".
peak_rss() {
    [ "$HAVE_TIME" = 1 ] || { echo ""; return; }
    local best=0 kb
    for _ in 1 2 3; do
        /usr/bin/time -v -o "$RESULTS/time.txt" "$@" >/dev/null 2>&1 || true
        kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RESULTS/time.txt")
        [ -n "$kb" ] && [ "$kb" -gt "$best" ] && best=$kb
    done
    echo "$best"
}

q() { printf '%q ' "$@"; }

LS=(git ls-files)
CHECK=("$BIN" check --policy "$POLICY" --now "$NOW" --format json)
STAGED=("$BIN" check --staged --policy "$POLICY" --now "$NOW" --format json)

# ---------------------------------------------------------------------------- full check
say "timing: git ls-files vs warden check (all repository rules), $RUNS runs after $WARMUP warm-up"
time_cmds full "$(q "${LS[@]}")" "$(q "${CHECK[@]}")"
RSS_LS=$(peak_rss "${LS[@]}")
RSS_CHECK=$(peak_rss "${CHECK[@]}")

# ---------------------------------------------------------------------------- staged
# Ten tracked files, modified and staged: three stray notes (docs-allowlist findings), two
# docs, five code files. Restored whatever happens.
mapfile -t STAGE_FILES < <(
    { git ls-files 'notes/*' | awk 'NR <= 3'; git ls-files 'docs/guides/*' | awk 'NR <= 2';
      git ls-files 'src/*' 'app/*' 'packages/*' | grep -v '\.md$' |
          awk '{ a[NR] = $0 } END { s = int(NR / 5); for (i = 0; i < 5; i++) print a[i * s + 1] }'; }
)
[ "${#STAGE_FILES[@]}" = 10 ] || die "could not pick 10 files to stage (got ${#STAGE_FILES[@]})"
restore() {
    git reset -q HEAD -- "${STAGE_FILES[@]}" 2>/dev/null || true
    git checkout -q -- "${STAGE_FILES[@]}" 2>/dev/null || true
}
trap restore EXIT
for f in "${STAGE_FILES[@]}"; do printf '\nbenchmark edit\n' >>"$f"; done
git add -- "${STAGE_FILES[@]}"
say "timing: warden check --staged with ${#STAGE_FILES[@]} staged files"
printf '  %s\n' "${STAGE_FILES[@]}"
set +e
"${STAGED[@]}" >"$RESULTS/staged-report.json" 2>"$RESULTS/staged-report.stderr"
rc=$?
set -e
[ "$rc" -lt 2 ] || { cat "$RESULTS/staged-report.stderr" >&2; die "warden check --staged failed (exit $rc)"; }
show_report "$RESULTS/staged-report.json" "$rc"
time_cmds staged "$(q "${STAGED[@]}")"
RSS_STAGED=$(peak_rss "${STAGED[@]}")
restore
trap - EXIT

# ---------------------------------------------------------------------------- optional rows
EXTRA_ROWS=()
if [ "$PER_RULE" = 1 ]; then
    say "per rule: an empty policy (the fixed cost), then each [[rule]] of the policy alone"
    rm -f "$RESULTS"/rule-*.toml
    mapfile -t RULE_POLICIES < <(python3 - "$POLICY" "$RESULTS" <<'PY'
import os, re, sys
text, out = open(sys.argv[1]).read(), sys.argv[2]
# Split at top-level [[rule]] headers; [[rule.workflow]] etc. stay with their rule.
blocks = re.split(r"(?m)^(?=\[\[rule\]\]\s*(?:#.*)?$)", text)[1:]
paths = [os.path.join(out, "rule-empty.toml")]
open(paths[0], "w").write("# no rules\n")
for i, block in enumerate(blocks, 1):
    m = re.search(r'(?m)^id\s*=\s*"([^"]+)"', block) or re.search(r'(?m)^kind\s*=\s*"([^"]+)"', block)
    name = f"{i:02d}-{m.group(1) if m else 'rule'}"
    paths.append(os.path.join(out, f"rule-{name}.toml"))
    open(paths[-1], "w").write(block)
print("\n".join(paths))
PY
    )
    cmds=()
    for p in "${RULE_POLICIES[@]}"; do
        cmds+=("$(q "$BIN" check --policy "$p" --now "$NOW" --format json)")
    done
    time_cmds per-rule "${cmds[@]}"
    EXTRA_ROWS+=(per-rule)
fi
if [ "$WORST_CASE" = 1 ]; then
    say "worst case: planning-doc-ttl with paths = [\"**/plan-*.md\"] (no directory prefix), one run"
    cat >"$RESULTS/worst-case.toml" <<'EOF'
[[rule]]
id = "planning-ttl-anywhere"
kind = "planning-doc-ttl"
paths = ["**/plan-*.md"]
max_age_days = 90
EOF
    W=("$BIN" check --policy "$RESULTS/worst-case.toml" --now "$NOW" --format json)
    python3 - "$RESULTS/worst-case.json" "$(q "${W[@]}")" "$HAVE_TIME" "$RESULTS/time.txt" <<'PY'
import json, re, shlex, subprocess, sys, time
cmd, have_time, time_file = sys.argv[2], sys.argv[3] == "1", sys.argv[4]
argv = shlex.split(cmd)
if have_time:
    argv = ["/usr/bin/time", "-v", "-o", time_file] + argv
t = time.perf_counter()
p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
s = time.perf_counter() - t
rss = ""
if have_time:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(time_file).read())
    rss = m.group(1) if m else ""
if p.returncode >= 2:
    print(f"  not measured: warden refused the policy (exit {p.returncode})\n{p.stderr}")
    json.dump({"results": []}, open(sys.argv[1], "w"))
else:
    print(f"  {s:.2f} s (exit {p.returncode})" + (f", peak RSS {int(rss) // 1024} MB" if rss else ""))
    json.dump({"results": [{"command": cmd, "mean": s, "min": s, "times": [s], "rss_kb": rss}]}, open(sys.argv[1], "w"))
PY
    EXTRA_ROWS+=(worst-case)
fi

# ---------------------------------------------------------------------------- summary
say "summary ($HEAD_ID, $(nproc) cpus)"
python3 - "$RESULTS" "$RSS_LS" "$RSS_CHECK" "$RSS_STAGED" "${#STAGE_FILES[@]}" "${EXTRA_ROWS[@]}" <<'PY' | tee "$RESULTS/summary.md"
import json, os, shlex, sys
res, rss_ls, rss_check, rss_staged, nstaged, *extra = sys.argv[1:]
load = lambda n: json.load(open(os.path.join(res, f"{n}.json")))["results"]
full, staged = load("full"), load("staged")
ls, check, st = full[0], full[1], staged[0]
ms = lambda s: f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"
mb = lambda kb: f"{int(kb) / 1024:.0f} MB" if kb else "n/a"
ok = lambda b: "met" if b else "NOT met"
peak = max([int(k) for k in (rss_check, rss_staged) if k] or [0])
rows = [
    ("git ls-files", ls, "1.00×", mb(rss_ls), "baseline", ""),
    ("warden check (all rules)", check, f"{check['mean'] / ls['mean']:.2f}×", mb(rss_check),
     "≤ 2× git ls-files", ok(check["mean"] <= 2 * ls["mean"])),
    (f"warden check --staged ({nstaged} files)", st, f"{st['mean'] / ls['mean']:.2f}×", mb(rss_staged),
     "≤ 50 ms", ok(st["mean"] <= 0.050)),
]
head = ("command", "mean", "min", "vs ls-files", "peak RSS", "target", "")
table = [head] + [(n, ms(r["mean"]), ms(r["min"]), ratio, m, t, v) for n, r, ratio, m, t, v in rows]
table.append(("peak memory (check, staged)", "", "", "", mb(peak), "≤ 200 MB", ok(peak and peak <= 200 * 1024)))
for name in extra:
    for r in load(name):
        argv = shlex.split(r["command"])
        label = argv[argv.index("--policy") + 1]
        label = os.path.basename(label).removeprefix("rule-").removesuffix(".toml")
        label = label[3:] if label[:2].isdigit() and label[2:3] == "-" else label
        label = {"empty": "no rules (fixed cost)",
                 "worst-case": "planning-doc-ttl, paths = [\"**/plan-*.md\"]"}.get(label, label)
        table.append((f"  {name}: {label}", ms(r["mean"]), ms(r["min"]),
                      f"{r['mean'] / ls['mean']:.2f}×", mb(r["rss_kb"]) if "rss_kb" in r else "", "", ""))
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
print(line(table[0]))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for row in table[1:]:
    print(line(row))
print(f"\nratio = mean / mean of git ls-files; min-based ratio for check: "
      f"{check['min'] / ls['min']:.2f}×. Targets are judged on the mean.")
PY
echo
echo "raw results: $RESULTS/"
