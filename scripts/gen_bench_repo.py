#!/usr/bin/env python3
"""Generate the deterministic synthetic repository used by scripts/bench.sh.

The repository has exactly FILES tracked files at HEAD, MARKDOWN of them ending in `.md`,
and COMMITS commits on `main` with committer dates spread over about two years. It is
built in one `git fast-import` stream (no `git commit` per change), then checked out so a
working tree and an index exist.

Python 3.9 or newer, standard library only. The same seed and version always give the same
commit ids, so figures measured on different machines describe the same repository.

Usage: gen_bench_repo.py DEST [--files N] [--markdown N] [--commits N] [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time

# Bump whenever the generated repository changes, so cached copies are rebuilt.
GENERATOR_VERSION = 1
STAMP_FILE = "warden-bench.stamp"  # inside .git/, so it is never tracked

# 2024-11-25T00:00:00Z .. 2026-11-20T00:00:00Z: about two years before `--now 2026-11-22`.
START = 1732492800
END = 1795132800

AUTHORS = [
    ("Ada Byron", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Linus Torvald", "linus@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
    ("Ken Thompson", "ken@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
]

WORKFLOW_CI = """\
name: ci
on:
  push:
    branches: [main]
  pull_request:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci
      - run: npm test
  governance:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - run: warden check --format github
"""

WORKFLOW_RELEASE = """\
name: release
on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: write
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          registry-url: https://registry.npmjs.org
      - run: npm ci
      - run: npm publish --provenance
"""

WORKFLOW_LINT = """\
name: lint
on:
  pull_request:
    branches: [main, 'release/**']
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npm run lint
"""

WORKFLOW_NIGHTLY = """\
name: nightly
on:
  schedule:
    - cron: '17 3 * * *'
  workflow_dispatch: {}
jobs:
  audit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm audit --audit-level=high
"""

PACKAGE_JSON = """\
{
  "name": "bench-monorepo",
  "version": "3.14.0",
  "private": true,
  "license": "MIT",
  "engines": { "node": ">=20" },
  "workspaces": ["packages/*", "app"],
  "scripts": { "test": "vitest run", "lint": "eslint ." }
}
"""

AGENTS_JSON = """\
{
  "version": 2,
  "rules": ".claude/CLAUDE-ORG-RULES.mdc",
  "agents": [
    { "name": "reviewer", "model": "default", "tools": ["read", "grep"] },
    { "name": "planner", "model": "default", "tools": ["read"] }
  ],
  "telemetry": false
}
"""

ORG_RULES = """\
---
description: Organisation rules for coding agents
alwaysApply: true
---
# Organisation rules

- Planning documents live in docs/planning/ and expire after 90 days.
- Markdown lives in docs/, or as a README next to the code it describes.
- Secrets never enter git.
"""

# Fixed top-level files: (path, mode, content).
FIXED = [
    ("README.md", "100644", "# Bench monorepo\n\nA synthetic repository for warden benchmarks.\n"),
    ("CHANGELOG.md", "100644", "# Changelog\n\n## 3.14.0\n\n- Everything.\n"),
    ("CONTRIBUTING.md", "100644", "# Contributing\n\nOpen a pull request.\n"),
    ("SECURITY.md", "100644", "# Security\n\nMail security@example.com.\n"),
    ("LICENSE", "100644", "MIT License\n\nCopyright (c) 2024 Bench\n"),
    (".gitignore", "100644", "node_modules/\ndist/\n"),
    (".github/CODEOWNERS", "100644", "* @bench/maintainers\n"),
    (".github/workflows/ci.yml", "100644", WORKFLOW_CI),
    (".github/workflows/release.yml", "100644", WORKFLOW_RELEASE),
    (".github/workflows/lint.yml", "100644", WORKFLOW_LINT),
    (".github/workflows/nightly.yml", "100644", WORKFLOW_NIGHTLY),
    ("package.json", "100644", PACKAGE_JSON),
    ("agents.json", "100644", AGENTS_JSON),
    ("org/rules/CLAUDE-ORG-RULES.mdc", "100644", ORG_RULES),
    (".claude/CLAUDE-ORG-RULES.mdc", "120000", "../org/rules/CLAUDE-ORG-RULES.mdc"),
    (".claude/settings.json", "100644", '{ "permissions": { "allow": ["Read"] } }\n'),
    # A few files forbidden-files should find (a committed secret and a stray Dockerfile).
    ("services/billing/.env", "100644", "DATABASE_URL=postgres://localhost/billing\n"),
    ("packages/pkg-0042/test/fixtures/server.pem", "100644", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
    ("tools/legacy/Dockerfile", "100644", "FROM debian:bookworm\n"),
]

CODE_EXT = {
    "src": [".rs"],
    "app": [".tsx", ".ts", ".css"],
    "packages": [".ts", ".ts", ".ts", ".json"],
    "services": [".go", ".go", ".yaml"],
    "tools": [".py", ".sh"],
}
WORDS = (
    "alpha beta gamma delta core util model view store cache auth billing search index "
    "parser render widget config client server queue worker report metrics audit sync "
    "export import graph event stream token session policy schema layout theme"
).split()


def build_layout(rng: random.Random, files: int, markdown: int) -> list[tuple[str, str]]:
    """Every path at HEAD with its mode, exactly `files` of them, `markdown` ending in .md."""
    paths: dict[str, str] = {p: mode for p, mode, _ in FIXED}
    md_fixed = sum(1 for p in paths if p.endswith(".md"))

    def add(path: str, mode: str = "100644") -> bool:
        if path in paths:
            return False
        paths[path] = mode
        return True

    # Markdown: 300 planning docs, 150 stray notes, 60 READMEs/TODOs scattered in code,
    # the rest under docs/ (allowed) and as package READMEs (allowed).
    md_target = markdown - md_fixed
    planning = 300
    for i in range(planning):
        add(f"docs/planning/{2025 + i % 2}/plan-{i:04d}-{rng.choice(WORDS)}.md")
    for i in range(150):
        add(f"notes/{rng.choice(WORDS)}/note-{i:04d}.md")
    n_packages = 400
    for p in range(n_packages):
        add(f"packages/pkg-{p:04d}/README.md")
    stray = 0
    while stray < 60:
        top = rng.choice(["src", "app", "services"])
        depth = rng.randint(1, 3)
        d = "/".join([top] + [rng.choice(WORDS) for _ in range(depth)])
        if add(f"{d}/{rng.choice(['NOTES', 'TODO', 'design'])}.md"):
            stray += 1
    sections = ["guides", "reference", "adr", "runbooks", "api", "architecture", "onboarding"]
    md_now = sum(1 for p in paths if p.endswith(".md"))
    i = 0
    while md_now < md_target + md_fixed:
        sec = sections[i % len(sections)]
        sub = rng.choice(WORDS)
        if add(f"docs/{sec}/{sub}/{rng.choice(WORDS)}-{i:05d}.md"):
            md_now += 1
        i += 1

    # Code: directory trees with 5-30 files each until the total is reached.
    tops = ["src", "app", "packages", "services", "tools"]
    weights = [30, 20, 35, 12, 3]
    while len(paths) < files:
        top = rng.choices(tops, weights)[0]
        if top == "packages":
            base = f"packages/pkg-{rng.randrange(n_packages):04d}/{rng.choice(['src', 'src', 'test'])}"
        elif top == "services":
            base = f"services/svc-{rng.randrange(40):02d}"
        else:
            base = top
        depth = rng.randint(1, 4)
        d = "/".join([base] + [rng.choice(WORDS) for _ in range(depth)])
        for _ in range(rng.randint(5, 30)):
            if len(paths) >= files:
                break
            ext = rng.choice(CODE_EXT[top])
            name = f"{rng.choice(WORDS)}_{rng.randrange(10000):04d}{ext}"
            mode = "100755" if ext == ".sh" else "100644"
            add(f"{d}/{name}", mode)

    out = sorted(paths.items())
    assert len(out) == files, len(out)
    assert sum(1 for p, _ in out if p.endswith(".md")) == markdown
    return out


def content_for(path: str, rev: int) -> bytes:
    """Small deterministic file text; `rev` > 0 marks later modifications."""
    h = hashlib.blake2b(path.encode(), digest_size=8).hexdigest()
    if path.endswith(".md"):
        body = f"# {path.rsplit('/', 1)[-1][:-3]}\n\nNotes {h}.\n"
    elif path.endswith(".json"):
        body = f'{{ "id": "{h}" }}\n'
    elif path.endswith((".yaml", ".yml")):
        body = f"id: {h}\n"
    else:
        body = f"// {path}\n// {h}\nfn f() {{}}\n"
    if rev:
        body += f"\nrevision {rev}\n"
    return body.encode()


def generate(dest: str, files: int, markdown: int, commits: int, seed: int) -> None:
    rng = random.Random(seed)
    fixed_content = {p: c.encode() for p, _, c in FIXED}
    layout = build_layout(rng, files, markdown)
    mode_of = dict(layout)

    # Which commit adds each file: the fixed files and 90% of the rest come with the first
    # (import) commit; the others arrive spread over the history. Planning docs arrive
    # evenly over the whole two years, so their ages cover the whole range.
    add_at: dict[str, int] = {}
    for path, _ in layout:
        if path in fixed_content:
            add_at[path] = 0
        elif path.startswith("docs/planning/"):
            add_at[path] = rng.randrange(commits)
        elif rng.random() < 0.9:
            add_at[path] = 0
        else:
            add_at[path] = rng.randrange(1, commits)
    adds: list[list[str]] = [[] for _ in range(commits)]
    for path, _ in layout:
        adds[add_at[path]].append(path)

    stream = sys.stdout.buffer if dest == "-" else None
    proc = None
    if stream is None:
        proc = subprocess.Popen(
            ["git", "-C", dest, "fast-import", "--quiet", "--done"],
            stdin=subprocess.PIPE,
            env=dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull),
        )
        stream = proc.stdin
    buf: list[bytes] = []

    def emit(b: bytes) -> None:
        buf.append(b)

    def data(b: bytes) -> None:
        emit(b"data %d\n" % len(b))
        emit(b)
        emit(b"\n")

    present: list[str] = []  # files that exist, for picking modifications
    transient: list[tuple[int, str]] = []  # (commit that deletes it, path)
    rev: dict[str, int] = {}
    step = (END - START) / commits
    for c in range(commits):
        when = int(START + c * step + rng.randrange(int(step * 0.8)))
        name, email = AUTHORS[rng.randrange(len(AUTHORS))]
        changes: list[bytes] = []
        for path in adds[c]:
            body = fixed_content.get(path) or content_for(path, 0)
            changes.append(b"M %s inline %s\n" % (mode_of[path].encode(), path.encode()))
            changes.append(b"data %d\n%s\n" % (len(body), body))
        if c > 0:
            # Modify a handful of existing files; planning docs are touched now and then.
            for _ in range(rng.randint(2, 5)):
                path = present[rng.randrange(len(present))]
                if mode_of[path] == "120000" or path in fixed_content:
                    continue
                rev[path] = rev.get(path, 0) + 1
                body = content_for(path, rev[path])
                changes.append(b"M %s inline %s\n" % (mode_of[path].encode(), path.encode()))
                changes.append(b"data %d\n%s\n" % (len(body), body))
            # Now and then a scratch file that is deleted again some commits later.
            if c % 7 == 0:
                path = f"scratch/wip-{c:05d}/{rng.choice(WORDS)}.md"
                body = content_for(path, 0)
                changes.append(b"M 100644 inline %s\n" % path.encode())
                changes.append(b"data %d\n%s\n" % (len(body), body))
                transient.append((min(commits - 1, c + rng.randint(1, 40)), path))
            for due, path in [t for t in transient if t[0] == c]:
                changes.append(b"D %s\n" % path.encode())
            transient = [t for t in transient if t[0] != c]
        present.extend(adds[c])
        msg = (
            f"Import the monorepo\n" if c == 0 else f"Change {c}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n"
        ).encode()
        emit(b"commit refs/heads/main\n")
        emit(b"mark :%d\n" % (c + 1))
        emit(b"author %s <%s> %d +0000\n" % (name.encode(), email.encode(), when))
        emit(b"committer %s <%s> %d +0000\n" % (name.encode(), email.encode(), when))
        data(msg)
        if c > 0:
            emit(b"from :%d\n" % c)
        emit(b"".join(changes))
        emit(b"\n")
        if len(buf) > 4096:
            stream.write(b"".join(buf))
            buf.clear()
    assert not transient, transient
    emit(b"done\n")
    stream.write(b"".join(buf))
    if proc is not None:
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def stamp_text(files: int, markdown: int, commits: int, seed: int) -> str:
    return (
        f"generator-version={GENERATOR_VERSION} files={files} markdown={markdown} "
        f"commits={commits} seed={seed}\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", help="directory to create (its parent must exist); `-` writes the fast-import stream to stdout")
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--markdown", type=int, default=5_000)
    ap.add_argument("--commits", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--stamp", action="store_true", help="print the cache stamp for these parameters and exit")
    args = ap.parse_args()
    stamp = stamp_text(args.files, args.markdown, args.commits, args.seed)
    if args.stamp:
        sys.stdout.write(stamp)
        return
    if args.dest == "-":
        generate("-", args.files, args.markdown, args.commits, args.seed)
        return

    dest = os.path.abspath(args.dest)
    stamp_path = os.path.join(dest, ".git", STAMP_FILE)
    if os.path.exists(dest):
        t = time.monotonic()
        print(f"removing the previous copy in {dest} ...", file=sys.stderr, flush=True)
        shutil.rmtree(dest)
        print(f"removed in {time.monotonic() - t:.1f}s", file=sys.stderr)
    os.makedirs(dest)
    # Ignore system and user git configuration (index.version, feature.manyFiles, hooks...).
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    run = lambda *cmd: subprocess.run(["git", "-C", dest, *cmd], check=True, env=env)
    t0 = time.monotonic()
    run("init", "-q", "-b", "main")
    run("config", "user.name", "Bench")
    run("config", "user.email", "bench@example.com")
    run("config", "core.symlinks", "true")
    run("config", "gc.auto", "0")
    generate(dest, args.files, args.markdown, args.commits, args.seed)
    t1 = time.monotonic()
    run("reset", "-q", "--hard", "main")
    t2 = time.monotonic()
    with open(stamp_path, "w") as f:
        f.write(stamp)
    head = subprocess.run(
        ["git", "-C", dest, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"generated {dest}: {args.files} files, {args.markdown} Markdown, {args.commits} commits, "
        f"HEAD {head[:12]} (fast-import {t1 - t0:.1f}s, checkout {t2 - t1:.1f}s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
