#!/usr/bin/env python3
"""Is the declared `rust-version` really the minimum the lockfile allows?

Cargo does not check this: `cargo build --locked` on an older toolchain fails deep in a
dependency instead. This reads every package in Cargo.lock, finds its published manifest
in the cargo registry (the unpacked source under ~/.cargo/registry/src, else the .crate
archive under ~/.cargo/registry/cache; `cargo fetch --locked` first fills both, for every
platform), takes the highest `rust-version` among them and compares it with the one
Cargo.toml declares.

  scripts/msrv-check.py            fail (exit 1) unless declared == locked maximum
  scripts/msrv-check.py --print    print the locked maximum and the crates that set it

Exit 1 when the lockfile needs a newer Rust than declared (the claim is false), or when
the declared one is higher than needed (the claim turns away toolchains that work: the
issue asks for equality). Exit 2 when a locked package's manifest cannot be found.
"""

import os
import subprocess
import sys
import tarfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    sys.exit("msrv-check: needs Python 3.11+ (tomllib)")
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def version_key(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def cargo_home():
    return Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))


def manifest_text(name, version, registry):
    """The published Cargo.toml of NAME VERSION, or None."""
    dirname = f"{name}-{version}"
    for index in sorted((registry / "src").glob("*")):
        path = index / dirname / "Cargo.toml"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    for index in sorted((registry / "cache").glob("*")):
        archive = index / f"{dirname}.crate"
        if archive.is_file():
            with tarfile.open(archive, "r:gz") as tar:
                member = tar.extractfile(f"{dirname}/Cargo.toml")
                if member is not None:
                    return member.read().decode("utf-8")
    return None


def main():
    show = "--print" in sys.argv[1:]
    # Every platform's packages, so that Windows- and macOS-only crates count too.
    subprocess.run(["cargo", "fetch", "--locked", "--quiet"], cwd=ROOT, check=True)

    declared = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))["package"].get("rust-version")
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text(encoding="utf-8"))
    registry = cargo_home() / "registry"

    found = {}
    missing = []
    for package in lock.get("package", []):
        source = package.get("source")
        if source is None:
            continue  # this workspace's own crate
        if source != CRATES_IO:
            print(f"msrv-check: {package['name']} {package['version']} comes from {source}, "
                  "which this script does not read", file=sys.stderr)
            missing.append(package["name"])
            continue
        text = manifest_text(package["name"], package["version"], registry)
        if text is None:
            missing.append(f"{package['name']}-{package['version']}")
            continue
        rust_version = tomllib.loads(text).get("package", {}).get("rust-version")
        if isinstance(rust_version, str):
            found.setdefault(rust_version, []).append(f"{package['name']} {package['version']}")

    if missing:
        print(f"msrv-check: no manifest in {registry} for: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not found:
        print("msrv-check: no locked package declares a rust-version", file=sys.stderr)
        return 2
    highest = max(found, key=version_key)
    setters = ", ".join(sorted(found[highest]))
    if show:
        print(highest)
        print(f"  set by: {setters}")
        return 0
    if declared is None:
        print(f"msrv-check: Cargo.toml declares no rust-version; the lockfile needs {highest} ({setters})",
              file=sys.stderr)
        return 1
    if version_key(declared) < version_key(highest):
        print(f"msrv-check: Cargo.toml declares rust-version {declared}, but the lockfile needs "
              f"{highest} ({setters}): raise rust-version (and the README) or lock older versions",
              file=sys.stderr)
        return 1
    if version_key(declared) > version_key(highest):
        print(f"msrv-check: Cargo.toml declares rust-version {declared}, but the locked dependencies "
              f"need only {highest} ({setters}): lower it to {highest}", file=sys.stderr)
        return 1
    print(f"msrv-check: rust-version {declared} = the highest rust-version in Cargo.lock ({setters})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
