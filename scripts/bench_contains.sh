#!/usr/bin/env bash
# `contains` over 100 MiB of matched files (issue 11): required-files reads 100 files of
# 1 MiB each and checks a regex in every one. Target: peak memory ≤ 100 MB, since texts
# are judged and dropped one at a time. Side by side with `git grep -L` over the same files.
# Environment: WARDEN_BIN, WARDEN_BENCH_DIR, RUNS (default 10), FILES (default 100).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_common.sh"

count=${FILES:-100}
dir=$work/contains$count
if [[ ! -f $dir/.git/warden-bench.stamp ]]; then
  rm -rf "$dir"
  mkdir -p "$dir/assets"
  python3 - "$dir" "$count" <<'PY'
import sys
dest, count = sys.argv[1], int(sys.argv[2])
line = "export function f%06d(a, b) { return a + b * %d; } // padding padding padding\n"
for i in range(count):
    with open(f"{dest}/assets/bundle-{i:03d}.js", "w") as f:
        size, n = 0, 0
        while size < 1024 * 1024 - 40:
            text = line % (n, i)
            f.write(text)
            size += len(text)
            n += 1
        f.write("// LICENSE: MIT\n")
PY
  cat > "$dir/warden.toml" <<'TOML'
[[rule]]
id = "license-header"
kind = "required-files"
paths = ["assets/*.js"]
contains = 'LICENSE: MIT'
TOML
  env GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null sh -c '
    cd "$1" && git init -q -b main && git add -A &&
    git -c user.name=b -c user.email=b@example.com commit -qm bundles' sh "$dir"
  echo "files=$count" > "$dir/.git/warden-bench.stamp"
fi

machine
echo "- repository: $dir ($(du -sh --exclude=.git "$dir" | cut -f1) of working tree)"
echo
measure "$dir" \
  "git grep -L=git grep -L -e LICENSE: -- assets/*.js" \
  "warden check (contains)=$warden check --format json --now 2026-11-22"
