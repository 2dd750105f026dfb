# Shared by the bench_*.sh scripts: the warden binary, the work directory, the machine.
# Source it; it defines $root, $work, $warden and the functions below.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WARDEN_BENCH_DIR:-$root/bench-work}
mkdir -p "$work"
warden=${WARDEN_BIN:-}
if [[ -z $warden ]]; then
  (cd "$root" && cargo build --release --locked --quiet)
  warden=${CARGO_TARGET_DIR:-$root/target}/release/warden
fi
warden=$(cd "$(dirname "$warden")" && pwd)/$(basename "$warden")
runs=${RUNS:-10}

# The machine and its load, printed before any figure: on a shared machine the load is
# part of the result.
machine() {
  echo "## machine"
  echo "- $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- uptime: $(uptime)"
  echo "- git: $(git --version); warden: $("$warden" --version)"
}

# A repository from gen_bench_repo.py, reused when its stamp matches.
repo() { # DEST ARGS...
  local dest=$1; shift
  local want; want=$(python3 "$root/scripts/gen_bench_repo.py" "$dest" --stamp "$@")
  if [[ ! -f $dest/.git/warden-bench.stamp || $(cat "$dest/.git/warden-bench.stamp") != "$want" ]]; then
    python3 "$root/scripts/gen_bench_repo.py" "$dest" "$@" >&2
  fi
}

# Side by side, unpinned and then pinned to one core (`taskset -c 0`): NAME=COMMAND...
measure() { # DIR NAME=COMMAND...
  local dir=$1; shift
  echo "### both cores"
  python3 "$root/scripts/bench_measure.py" --runs "$runs" --cwd "$dir" "$@"
  echo
  echo "### pinned to one core (taskset -c 0)"
  taskset -c 0 python3 "$root/scripts/bench_measure.py" --runs "$runs" --cwd "$dir" --no-memory "$@"
  echo
}
