#!/usr/bin/env python3
"""Decode what the cross GCC emits and compare every instruction with objdump.

    tools/ia64_forms.py [--seeds N] [--first SEED] [--gcc 12] [--list] [--keep DIR]

Compiles N csmith programs (``-c`` at -O0 -O1 -O2 -Os -O3, plain and with the
kernel's flags, against pvcc-sim's freestanding headers) and every compile
testcase of ``testcases/`` (through ``pvcc`` and its plugin, at the same levels
and flag sets, then natively patched with ``pvcc-check --patch native``), decodes
every executable section with ``pvcc.ia64`` and compares each instruction's text
with ``ia64-linux-gnu-objdump -d``.  Prints the number of objects and
instructions, the distinct forms (``--list``: each with its count), and every
instruction that does not decode or reads differently; exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "wrapper"))

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from pvcc import compilers, ia64, objects
from pvcc.ia64.objdump import instructions
from pvcc.sim.lab.csmith import FLAG_SETS, LEVELS

OBJDUMP = "ia64-linux-gnu-objdump"

def objdump_texts(obj: Path) -> dict[str, list[tuple[int, str]]]:
    """Section name -> [(bundle address, text)] of every instruction, in order."""
    out = subprocess.run([OBJDUMP, "-d", "-z", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    texts: dict[str, list[tuple[int, str]]] = {}
    for section, addr, text in instructions(out):
        if section is not None:
            texts.setdefault(section, []).append((addr, text.removesuffix(";;")))
    return texts


class Tally:
    def __init__(self):
        self.objects = 0
        self.insns = 0
        self.forms: collections.Counter[str] = collections.Counter()
        self.problems: list[str] = []

    def add_object(self, obj: Path, label: str) -> None:
        self.objects += 1
        want = objdump_texts(obj)
        with open(obj, "rb") as f:
            elf = ELFFile(f)
            for sec in elf.iter_sections():
                if not sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR or not sec.data_size:
                    continue
                base = sec["sh_addr"]
                got = [(b.addr, i) for b in ia64.iter_bundles(sec.data(), base) for i in b.insns]
                ref = want.get(sec.name, [])
                if len(ref) != len(got):
                    self.problems.append(f"{label} {sec.name}: {len(got)} instructions decoded, "
                                         f"objdump shows {len(ref)}")
                for (addr, ins), (_, text) in zip(got, ref):
                    self.insns += 1
                    self.forms[ins.form] += 1
                    if ins.op in ("unknown", "reserved") or ins.text() != text:
                        self.problems.append(f"{label} {sec.name}+{addr - base:#x}: decoded "
                                             f"{ins.text()!r} ({ins.form}), objdump {text!r}")


def _run(cmd: list[str], quiet: str = "", **kw) -> bool:
    """Run a build step; False (and a line on stderr unless it says ``quiet``) if it fails."""
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    if res.returncode != 0 and not (quiet and quiet in res.stderr):
        print(f"  skipped: {' '.join(cmd[:3])} ...: {(res.stderr or res.stdout).strip()[:200]}",
              file=sys.stderr)
    return res.returncode == 0


def csmith_objects(tally: Tally, gcc: str, seeds: range, work: Path) -> None:
    from pvcc.sim.lab import build, csmith

    inc = ["-isystem", build.runtime_include_dir(), f"-I{csmith.csmith_include()}"]
    for seed in seeds:
        src = work / f"csmith{seed}.c"
        csmith.generate(seed, str(src))
        for level in LEVELS:
            for fs, flags in FLAG_SETS.items():
                obj = work / f"csmith{seed}{level}{fs}.o"
                if _run([gcc, "-c", level, "-w", *flags, *inc, str(src), "-o", str(obj)]):
                    tally.add_object(obj, f"csmith seed {seed} {level} {fs}")


def testcase_objects(tally: Tally, gcc: str, work: Path) -> None:
    env = dict(os.environ, PVCC_GCC=gcc)
    pvcc = [sys.executable, "-c", "import sys; from pvcc.driver import main; sys.exit(main())"]
    check = [sys.executable, "-c", "import sys; from pvcc.check_cli import main; sys.exit(main())"]
    inc = subprocess.run([*pvcc, "--print-include-dir"], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    for case in sorted((ROOT / "testcases").glob("*/input.c")):
        toml = (case.parent / "case.toml").read_text()
        if 'kind = "diagnostics"' in toml:
            continue
        for level in LEVELS:
            for fs, flags in FLAG_SETS.items():
                obj = work / f"{case.parent.name}{level}{fs}.o"
                if not _run([*pvcc, "-c", "-std=gnu11", level, *flags, f"-I{inc}", str(case),
                             "-o", str(obj)], env=env):
                    continue
                tally.add_object(obj, f"{case.parent.name} {level} {fs}")
                native = obj.with_suffix(".native.o")
                if _run([*check, "--patch", "native", "-o", str(native), str(obj)],
                        quiet="no .pvcc_sites section", env=env):
                    tally.add_object(native, f"{case.parent.name} {level} {fs} native")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30, help="csmith programs (default 30)")
    ap.add_argument("--first", type=int, default=1, help="first csmith seed (default 1)")
    ap.add_argument("--gcc", default="12", help="GCC major version or path (default 12)")
    ap.add_argument("--no-testcases", action="store_true", help="csmith programs only")
    ap.add_argument("--objects", metavar="DIR", action="append", default=[],
                    help="also every IA-64 .o under DIR (e.g. a kernel build tree)")
    ap.add_argument("--list", action="store_true", help="print every form with its count")
    ap.add_argument("--keep", help="build in this directory and keep it")
    args = ap.parse_args(argv)
    gcc = args.gcc if os.sep in args.gcc else compilers.find_compiler(int(args.gcc))
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.seeds:
            csmith_objects(tally, gcc, range(args.first, args.first + args.seeds), work)
        if not args.no_testcases:
            testcase_objects(tally, gcc, work)
        for d in args.objects:
            for obj in sorted(Path(d).rglob("*.o")):
                with open(obj, "rb") as f:
                    if objects.identity_problem(f.read(64)) is not None:
                        continue
                tally.add_object(obj, str(obj.relative_to(d)))
    if args.list:
        for form, n in sorted(tally.forms.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{n:9d}  {form}")
    print(f"{tally.objects} objects, {tally.insns} instructions, {len(tally.forms)} distinct "
          f"forms, {len(tally.problems)} not decoded or not as objdump reads them")
    for p in tally.problems[:50]:
        print("  " + p)
    return 1 if tally.problems else 0


if __name__ == "__main__":
    sys.exit(main())
