#!/usr/bin/env bash
# Regenerate link/hot-code.ld (docs/linking.md): build warden's release binary without
# an order and with a link map, run representative commands under callgrind, and list the
# functions they executed. Needs valgrind. Run it after a toolchain or dependency update
# (the list names functions by their mangled names, which carry per-build hashes).
# Environment: WARDEN_BENCH_DIR (default bench-work) for the generated repository.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WARDEN_BENCH_DIR:-$root/bench-work}
mkdir -p "$work/symbol-order"
out=$work/symbol-order
command -v valgrind >/dev/null || { echo "symbol-order.sh needs valgrind" >&2; exit 2; }

(cd "$root" && WARDEN_HOT_CODE=none WARDEN_LINK_MAP="$out/warden.map" \
  cargo build --release --locked --quiet)
bin=$out/warden
cp "${CARGO_TARGET_DIR:-$root/target}/release/warden" "$bin"

repo=$work/files10k
want=$(python3 "$root/scripts/gen_bench_repo.py" "$repo" --stamp --files 10000 --markdown 1000 --commits 500)
if [[ ! -f $repo/.git/warden-bench.stamp || $(cat "$repo/.git/warden-bench.stamp") != "$want" ]]; then
  python3 "$root/scripts/gen_bench_repo.py" "$repo" --files 10000 --markdown 1000 --commits 500 >&2
fi

profile() { # NAME ARGS...
  local name=$1; shift
  (cd "$repo" && valgrind --tool=callgrind --dump-instr=yes --compress-pos=no \
    --compress-strings=no --callgrind-out-file="$out/$name.callgrind" "$bin" "$@" \
    >/dev/null 2>"$out/$name.log") || true
}
policy=$root/scripts/bench-policy.toml
profile json check --policy "$policy" --now 2026-11-22 --format json
profile human check --policy "$policy" --now 2026-11-22
profile default check --policy builtin:default .
# The pre-commit hook: one staged change.
echo "# staged" >> "$repo/README.md" && git -C "$repo" add README.md
profile staged check --staged --policy "$root/scripts/bench-staged-policy.toml"
git -C "$repo" reset -q --hard
# The constants a JSON check reads (lackey traces every load; about a minute).
# (The check finds gaps on purpose and exits 1.)
(cd "$repo" && valgrind --tool=lackey --trace-mem=yes "$bin" check --policy "$policy" \
  --now 2026-11-22 --format json 2>&1 >/dev/null || true) |
  python3 "$root/scripts/symbol_order.py" loads "$bin" >"$out/json.loads"

python3 "$root/scripts/symbol_order.py" "$out/warden.map" warden "$root/link/hot-code.ld" \
  --loads "$out/json.loads" "$out/json.callgrind" "$out/human.callgrind" \
  "$out/default.callgrind" "$out/staged.callgrind"
