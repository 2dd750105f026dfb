#!/usr/bin/env bash
# planning-doc-ttl on a 20,000-commit repository, side by side with git (issue 11):
#  - a 7-day window against `git log --since --name-only` for the same window;
#  - exact dates of every Markdown file against `git log --first-parent --name-only`.
# Prints wall and CPU time (user+sys), unpinned and pinned to one core, and peak memory.
# Environment: WARDEN_BIN, WARDEN_BENCH_DIR, RUNS (default 10), COMMITS (default 20000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_common.sh"

commits=${COMMITS:-20000}
dir=$work/hist$((commits / 1000))k
repo "$dir" --files 20000 --markdown 2000 --commits "$commits"
policies=$work/policies
mkdir -p "$policies"
cat > "$policies/ttl-7.toml" <<'TOML'
[[rule]]
id = "ttl"
kind = "planning-doc-ttl"
paths = ["docs/planning/**"]
max_age_days = 7
TOML
cat > "$policies/exact-md.toml" <<'TOML'
[[rule]]
id = "dates"
kind = "planning-doc-ttl"
paths = ["**/*.md"]
max_age_days = 7
exact_age = true
TOML

machine
echo "- repository: $dir ($(git -C "$dir" rev-list --count HEAD) commits, $(git -C "$dir" ls-files | wc -l) files)"
# `--now 2026-11-22`: the window is 2026-11-15T00:00Z onwards, whatever today is.
echo
echo "## 7-day window"
measure "$dir" \
  "git log --since 7 days, --name-only=git log --since=2026-11-15T00:00:00Z --name-only --format=%H" \
  "warden check (planning-doc-ttl, 7 days)=$warden check --policy $policies/ttl-7.toml --now 2026-11-22 --format json"
echo "## exact dates of every Markdown file"
measure "$dir" \
  "git log --first-parent --name-only=git log --first-parent --name-only --format=%H" \
  "warden check (**/*.md, exact_age)=$warden check --policy $policies/exact-md.toml --now 2026-11-22 --format json"
