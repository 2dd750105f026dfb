#!/usr/bin/env bash
# `warden check` with every repository rule kind except planning-doc-ttl against
# `git ls-files`, at several repository sizes (issue 11): wall and CPU time (user+sys),
# unpinned and pinned to one core, and peak memory.
# Environment: WARDEN_BIN, WARDEN_BENCH_DIR, RUNS (default 10),
# SIZES (default "10000 100000"; 300000 and 1000000 take minutes and gigabytes to make:
# the 1,000,000-file repository took 18 minutes and 4.4 GB of disk on a busy 2-core machine).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_common.sh"

policy=$work/policies/all-but-ttl.toml
mkdir -p "$(dirname "$policy")"
# scripts/bench-policy.toml without its planning-doc-ttl rule.
python3 - "$root/scripts/bench-policy.toml" "$policy" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.split(r"(?m)^(?=\[\[rule\]\])", text)
kept = [b for b in blocks if 'kind = "planning-doc-ttl"' not in b]
open(sys.argv[2], "w").write("".join(kept))
PY

machine
echo
# The floor: a process that starts, prints its version and exits. Peak memory below this
# is not reachable by any work warden does.
echo "## floor (no repository)"
measure "$work" "git --version=git --version" "warden --version=$warden --version"
for files in ${SIZES:-10000 100000}; do
  dir=$work/files$((files / 1000))k
  # At least 1,000 Markdown files: the generator places 910 fixed ones.
  md=$((files / 20 > 1000 ? files / 20 : 1000))
  repo "$dir" --files "$files" --markdown "$md" --commits 500
  echo
  echo "## $files files"
  measure "$dir" \
    "git ls-files=git ls-files" \
    "warden check (all rule kinds but TTL)=$warden check --policy $policy --now 2026-11-22 --format json"
done
