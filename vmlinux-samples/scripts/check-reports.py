#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Cross-check the committed reports against the committed ELF files.

An independent oracle built only on binutils output (nm, readelf,
objdump), not on the sample's own C code:

  - every "func+0xOFF/0xSIZE" names a symbol whose kallsyms size, recomputed
    from `nm -n` (vmlinux) or from the module layout rule (samplemod.ko),
    is SIZE;
  - every reliable vmlinux frame's return address follows a call;
  - old-style "[<addr>]" vmlinux addresses carry the 0x1a000000 slide,
    module addresses none;
  - module build ids match the .ko's NT_GNU_BUILD_ID.

Usage: scripts/check-reports.py [vmlinux-samples dir]   (dev tool, not CI)
"""
import collections
import glob
import os
import re
import subprocess
import sys

KASLR_SLIDE = 0x1a000000
MODULES_VADDR = 0x20000000
PAGE_SIZE = 4096

FRAME = re.compile(r"(?:\[<(?P<printed>[0-9a-f]+)>\] )?(?P<q>\? )?(?P<fn>[\w.]+)"
                   r"\+0x(?P<off>[0-9a-f]+)/0x(?P<size>[0-9a-f]+)"
                   r"(?: \[(?P<mod>\w+)(?: (?P<bid>[0-9a-f]+))?\])?")
PREFIX = re.compile(r"^(\[[^]]*\])+ ")


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def sections(elf):
    """[(index, name, size, flags, align)] from readelf -SW."""
    out = []
    for line in run("readelf", "-SW", elf).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+"
                     r"([0-9a-f]+)\s+[0-9a-f]+\s+([A-Z]*)\s+\d+\s+\d+\s+(\d+)$", line)
        if m:
            out.append((int(m[1]), m[2], int(m[4], 16), m[5], int(m[6]),
                        int(m[3], 16)))
    return out


def vmlinux_kallsyms(vmlinux):
    """name -> [(address, kallsyms size)]: the kernel's get_symbol_pos() rule."""
    text = [s for s in sections(vmlinux) if s[1] == ".text"][0]
    start, end = text[5], text[5] + text[2]
    syms = []
    for line in run("nm", "-n", vmlinux).splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW" and not f[2].startswith(".L"):
            addr = int(f[0], 16)
            if start <= addr < end:
                syms.append((addr, f[2]))
    addrs = sorted({a for a, _ in syms})
    table = collections.defaultdict(list)
    for addr, name in syms:
        nxt = next((a for a in addrs if a > addr), end)
        table[name].append((addr, nxt - addr))
    return table


def module_kallsyms(ko):
    """name -> (address, size): layout_sections() + find_kallsyms_symbol()."""
    secs = [s for s in sections(ko) if s[1] != ".modinfo"]
    classes = [lambda f: "A" in f and "X" in f,
               lambda f: "A" in f and "W" not in f and "X" not in f,
               lambda f: "A" in f and "W" in f and "X" not in f]
    offset, size, text_size = {}, 0, 0
    for n, wanted in enumerate(classes):
        for idx, _, sz, flags, align, _ in secs:
            if wanted(flags):
                align = align or 1
                size = (size + align - 1) // align * align
                offset[idx] = size
                size += sz
        size = (size + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
        if n == 0:
            text_size = size
    exec_secs = {s[0] for s in secs if "X" in s[3] and "A" in s[3]}
    syms = []
    for line in run("readelf", "-sW", ko).splitlines():
        f = line.split()
        if len(f) == 8 and f[6].isdigit() and int(f[6]) in exec_secs:
            syms.append((MODULES_VADDR + offset[int(f[6])] + int(f[1], 16),
                         int(f[0].rstrip(":")), f[7]))
    syms.sort()
    end = MODULES_VADDR + text_size
    table = {}
    for addr, _, name in syms:
        nxt = min([a for a, _, _ in syms if a > addr] + [end])
        table.setdefault(name, (addr, nxt - addr))
    return table


def build_id(elf):
    m = re.search(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", elf))
    return m[1] if m else None


def call_sites(vmlinux):
    """return address -> mnemonic of the instruction before it."""
    prev, out = None, {}
    for line in run("objdump", "-d", "--no-show-raw-insn", vmlinux).splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)", line)
        if m:
            if prev:
                out[int(m[1], 16)] = prev
            prev = m[2]
    return out


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    build = os.path.join(top, "build")
    ksyms = vmlinux_kallsyms(os.path.join(build, "vmlinux-dwarf5"))
    before = call_sites(os.path.join(build, "vmlinux-dwarf5"))
    problems = frames = 0

    for report in sorted(glob.glob(os.path.join(top, "reports", "*.txt"))):
        ko = "samplemod-dwarf4.ko" if report.endswith("-dwarf4.txt") else "samplemod.ko"
        msyms = module_kallsyms(os.path.join(build, ko))
        bid = build_id(os.path.join(build, ko))
        for line in open(report):
            text = PREFIX.sub("", line).strip()
            exact_pc = text.startswith(("RIP:", "WARNING:", "BUG: KASAN"))
            for m in FRAME.finditer(text):
                frames += 1
                off, size = int(m["off"], 16), int(m["size"], 16)
                if m["mod"]:
                    addr, real = msyms.get(m["fn"], (None, None))
                    if m["bid"] and m["bid"] != bid:
                        print(f"{report}: build id {m['bid']} != {bid}")
                        problems += 1
                else:
                    match = [c for c in ksyms.get(m["fn"], []) if c[1] == size]
                    addr, real = match[0] if match else (None, None)
                if real != size:
                    print(f"{report}: size of {m['fn']} is {real}: {text}")
                    problems += 1
                    continue
                if m["printed"]:
                    slide = 0 if m["mod"] else KASLR_SLIDE
                    if int(m["printed"], 16) != addr + off + slide:
                        print(f"{report}: bad address/slide: {text}")
                        problems += 1
                if not m["mod"] and not m["q"] and not exact_pc and \
                        not before.get(addr + off, "").startswith("call"):
                    print(f"{report}: not a return address: {text}")
                    problems += 1

    print(f"{frames} frames checked, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
