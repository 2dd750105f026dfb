#!/usr/bin/env python3
"""Write link/hot-code.ld: the functions warden runs, for lld to place together.

Usage: symbol_order.py MAP BINARY OUT [--loads FILE]... CALLGRIND_OUT...
       symbol_order.py loads BINARY < LACKEY_TRACE > FILE

MAP is lld's link map of BINARY (`-Wl,-Map`, which build.rs adds when WARDEN_LINK_MAP is
set); each CALLGRIND_OUT is `valgrind --tool=callgrind --dump-instr=yes
--compress-pos=no --compress-strings=no` of one warden run. Every input section of
`.text` that holds an executed instruction is hot, and so is each input section of
`.rodata` holding an address in a --loads FILE (one hexadecimal address of BINARY a line:
the loads `valgrind --tool=lackey --trace-mem=yes` saw, less the load address). OUT is a linker script that gathers
the hot sections into one output section before `.text`: first each by its exact name
(the first CALLGRIND_OUT's in the order they had in BINARY, which keeps each
crate's code together, then those each next one adds), then each
again with its hashes as wildcards. The names carry hashes that change with the code
(a closure added in a function, another toolchain); a function whose hash changed still
lands in the hot section, just later in it. Standard library only; run by
scripts/symbol-order.sh.
"""

from __future__ import annotations

import bisect
import re
import sys

PREFIXES = (".text.unlikely.", ".text.hot.", ".text.startup.", ".text.split.", ".text.")
LINE = re.compile(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\s*)(\S.*)$")


def input_sections(map_path: str, output: str) -> list[tuple[int, int, str]]:
    """(address, size, name) of each input section of the output section OUTPUT."""
    sections = []
    inside = False
    for line in open(map_path, encoding="utf-8", errors="replace"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            continue
        depth = len(m.group(3)) // 8
        name = m.group(4)
        if depth == 0:
            inside = name == output
        elif inside and depth == 1:
            section = re.search(r":\((\.[^)]*)\)$", name)
            if section:
                sections.append((int(m.group(1), 16), int(m.group(2), 16), section.group(1)))
    return sections


def symbol_of(section: str) -> str | None:
    """The function a `.text.*` section holds; `None` for a plain `.text` (C start-up
    files), which has no name to match."""
    for prefix in PREFIXES:
        if section.startswith(prefix):
            return section[len(prefix):]
    return None


def hot(sections: list[tuple[int, int, str]], addresses) -> list[tuple[int, int, str]]:
    """The sections holding any of ADDRESSES, in address order."""
    starts = [s[0] for s in sections]
    chosen = [False] * len(sections)
    for address in addresses:
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < sections[i][0] + max(sections[i][1], 1):
            chosen[i] = True
    return [s for s, c in zip(sections, chosen) if c]


def executed(callgrind_path: str, binary: str) -> set[int]:
    """Instruction addresses of BINARY that ran (callgrind prints them per object)."""
    addresses = set()
    current = None
    for line in open(callgrind_path, encoding="utf-8", errors="replace"):
        if line.startswith("ob="):
            current = line[3:].strip()
        elif line.startswith("0x") and current is not None and current.endswith(binary):
            addresses.add(int(line.split()[0], 16))
    return addresses


def wildcard(symbol: str) -> str:
    """SYMBOL with the parts that change between builds as `*`: the legacy mangling's
    hash (`17h` and 16 hex digits), ThinLTO's `.llvm.N` suffix and, in v0 names (the
    standard library's), each crate's disambiguator."""
    symbol = re.sub(r"17h[0-9a-f]{16}E", "17h*E", symbol)
    symbol = re.sub(r"\.llvm\.\d+$", "*", symbol)
    # An anonymous constant's name is its object's hash and a counter: no wildcard
    # would find the same constant again.
    if ".Lanon." in symbol or ".anon." in symbol:
        return symbol
    return re.sub(r"Cs[0-9A-Za-z]+_(?=\d)", "Cs*_", symbol)


# Where valgrind loads a position-independent executable on x86_64.
VALGRIND_PIE_BASE = 0x108000


def print_loads(binary: str) -> None:
    """`symbol_order.py loads BINARY < lackey's trace`: print the addresses of BINARY that
    were read, as offsets from where valgrind loaded it (checked: `_start`, the ELF entry
    point, must run there)."""
    with open(binary, "rb") as f:
        entry = int.from_bytes(f.read(32)[24:32], "little")
    base = VALGRIND_PIE_BASE
    started = False
    seen = set()
    for line in sys.stdin:
        kind, _, rest = line.strip().partition(" ")
        if kind not in ("I", "L", "M"):
            continue
        address = int(rest.strip().split(",")[0], 16)
        if kind == "I":
            started = started or address == base + entry
        elif 0 <= address - base < 1 << 26:
            seen.add(address - base)
    if not started:
        sys.exit(f"the trace never ran BINARY's entry point at {base + entry:#x}")
    for address in sorted(seen):
        print(f"{address:x}")


def main() -> None:
    if sys.argv[1:2] == ["loads"]:
        print_loads(sys.argv[2])
        return
    args = sys.argv[1:]
    map_path, binary, out = args[:3]
    loads, profiles = [], []
    rest = iter(args[3:])
    for arg in rest:
        if arg == "--loads":
            loads.append(next(rest))
        else:
            profiles.append(arg)
    text = [s for s in input_sections(map_path, ".text") if symbol_of(s[2])]
    # The first profile's functions first, then what each next one adds: the first
    # command's code is then one contiguous run.
    chosen = []
    for profile in profiles:
        taken = set(chosen)
        chosen += [s for s in hot(text, executed(profile, binary)) if s not in taken]
    if not chosen:
        sys.exit("no executed function found: is MAP the link map of BINARY?")
    loaded = set()
    for path in loads:
        loaded |= {int(line, 16) for line in open(path) if line.strip()}
    # Merged constants (`.rodata.str1.1`, `.rodata.cst16`) are one section for the
    # whole program; only sections of one object can be placed by name.
    data = [s for s in hot(input_sections(map_path, ".rodata"), loaded)
            if not re.match(r"\.rodata\.(str|cst)\d", s[2])]
    size = sum(s[1] for s in chosen)
    total = sum(s[1] for s in text)
    exact = [symbol_of(name) for _, _, name in chosen]
    wildcards = []
    for symbol in exact:
        pattern = wildcard(symbol)
        if pattern != symbol and pattern not in wildcards:
            wildcards.append(pattern)
    with open(out, "w", encoding="utf-8") as f:
        f.write("/* Written by scripts/symbol-order.sh: the functions a warden check runs and\n")
        f.write("   the constants it reads, for lld to place together (build.rs, docs/linking.md).\n")
        f.write(f"   {len(chosen)} functions, {size:,} of {total:,} bytes of code; ")
        f.write(f"{len(data)} constants, {sum(s[1] for s in data):,} bytes. */\n")
        f.write("SECTIONS\n{\n  .text.warden_hot :\n  {\n")
        for name in exact + wildcards:
            f.write(f"    *(.text.{name} .text.unlikely.{name})\n")
        f.write("  }\n}\nINSERT BEFORE .text;\n")
        if data:
            f.write("SECTIONS\n{\n  .rodata.warden_hot :\n  {\n")
            for _, _, name in data:
                f.write(f"    *({name})\n")
            for name in dict.fromkeys(wildcard(n) for _, _, n in data):
                if "*" in name:
                    f.write(f"    *({name})\n")
            f.write("  }\n}\nINSERT BEFORE .rodata;\n")
    print(f"{out}: {len(chosen)} functions, {size:,} of {total:,} bytes of code; "
          f"{len(data)} constants", file=sys.stderr)


if __name__ == "__main__":
    main()
