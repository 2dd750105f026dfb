#!/usr/bin/env python3
"""Time commands side by side: wall time, CPU time (user + sys) and peak memory.

Each round runs every command once, in turn (A B C, A B C, ...), so a change in the
machine's load hits all of them alike; ratios are taken against the first command. CPU
time comes from the kernel's accounting of the child (`wait4`), which a second thread
cannot hide, unlike wall time. Peak memory is GNU time's "Maximum resident set size"
(`/usr/bin/time -v`), the largest of three runs, when GNU time is installed.

To measure on one core, run this script under `taskset -c 0`: the affinity is inherited
by every command it starts.

Usage:
  bench_measure.py [--runs N] [--warmup N] [--cwd DIR] [--json FILE]
                   NAME=COMMAND [NAME=COMMAND ...]

COMMAND is split like a shell would (shlex) but run without a shell; its output goes to
/dev/null and its exit code is ignored (policies find gaps on purpose).
Standard library only, Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run, in the current directory."""
    start = time.perf_counter()
    pid = os.posix_spawnp(
        argv[0],
        argv,
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ],
    )
    _, _, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime


def peak_rss_mb(argv: list[str]) -> float | None:
    gnu_time = "/usr/bin/time"
    if not os.access(gnu_time, os.X_OK):
        return None
    best = 0.0
    for _ in range(3):
        out = subprocess.run(
            [gnu_time, "-v", *argv], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
        if not m:
            return None
        best = max(best, int(m.group(1)) / 1024)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--json", help="also write the raw figures here")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args()

    cmds = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep:
            raise SystemExit(f"expected NAME=COMMAND, got {spec!r}")
        argv = shlex.split(command)
        if shutil.which(argv[0]) is None and not os.access(argv[0], os.X_OK):
            raise SystemExit(f"not found: {argv[0]}")
        cmds.append((name, argv))

    os.chdir(args.cwd)
    for _ in range(args.warmup):
        for _, argv in cmds:
            run_once(argv)
    walls = {n: [] for n, _ in cmds}
    cpus = {n: [] for n, _ in cmds}
    for _ in range(args.runs):
        for name, argv in cmds:
            wall, cpu = run_once(argv)
            walls[name].append(wall * 1000)
            cpus[name].append(cpu * 1000)
    memory = {
        n: (None if args.no_memory else peak_rss_mb(argv)) for n, argv in cmds
    }

    base = cmds[0][0]
    base_cpu = statistics.mean(cpus[base])
    base_wall = statistics.mean(walls[base])
    try:
        pinned = sorted(os.sched_getaffinity(0))
    except AttributeError:
        pinned = []
    print(f"cpus allowed: {pinned}; load average: {os.getloadavg()}; runs: {args.runs}")
    print(
        "| command | wall mean | wall min | CPU mean (user+sys) | CPU min | "
        "vs first (CPU) | vs first (wall) | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, _ in cmds:
        w, c = walls[name], cpus[name]
        mem = memory[name]
        print(
            f"| {name} | {statistics.mean(w):.1f} ms | {min(w):.1f} ms | "
            f"{statistics.mean(c):.1f} ms | {min(c):.1f} ms | "
            f"{statistics.mean(c) / base_cpu:.2f}× | {statistics.mean(w) / base_wall:.2f}× | "
            f"{'—' if mem is None else f'{mem:.0f} MB'} |"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "cpus": pinned,
                    "loadavg": os.getloadavg(),
                    "commands": {
                        n: {"argv": a, "wall_ms": walls[n], "cpu_ms": cpus[n], "peak_rss_mb": memory[n]}
                        for n, a in cmds
                    },
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
