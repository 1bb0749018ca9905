"""Kernel build overhead of CC=pvcc against the plain cross compiler.

Linux 6.1 arch/ia64 (kernel/build.sh) built twice from the same tree and
configuration: CC=<ia64-linux-gnu-gcc> and CC=pvcc (the plugin loaded, every
object checked; the kernel itself is not paravirtualized).  Prints the ratio
pvcc/plain of the wall time and of the CPU time (the children's user+sys,
os.times), and the number of compiler invocations (counted from Kbuild's .cmd
files: every command that starts with $(CC)).

    python benchmarks/bench_kernel.py                 # timings recorded by kernel/build.sh
    python benchmarks/bench_kernel.py --run           # bash kernel/build.sh --clean plain pvcc first (long)
    python benchmarks/bench_kernel.py --subset arch/ia64/ mm/
        # a controlled measurement run here: fresh O= dirs of the two builds, then
        # plain, pvcc, plain, pvcc, ... `make DIRS` back to back (--repeat N), so
        # both see the same machine load

Asserts nothing; without recorded timings it says how to get them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("PVCC_KERNEL_WORK", Path.home() / ".cache/pvcc/kernel"))
CONFIG = os.environ.get("PVCC_KERNEL_CONFIG", "allnoconfig")
sys.path.insert(0, str(REPO / "kernel"))


def _fmt_row(name: str, e: dict) -> str:
    c = e.get("compiles", {}).get("total", "?")
    return (f"  {name:<10} wall {e['wall_s']:8.1f} s   cpu {e['cpu_s']:8.1f} s "
            f"(user {e['user_s']:.1f} + sys {e['sys_s']:.1f})   compiler invocations {c}")


def report(plain: dict, pvcc: dict, what: str) -> None:
    print(what)
    print(_fmt_row("plain", plain))
    print(_fmt_row("CC=pvcc", pvcc))
    wr = pvcc["wall_s"] / plain["wall_s"]
    cr = pvcc["cpu_s"] / plain["cpu_s"]
    print(f"  ratio pvcc/plain: wall {wr:.3f}, cpu {cr:.3f}")
    n = pvcc.get("compiles", {}).get("total") or 0
    if n:
        extra = (pvcc["cpu_s"] - plain["cpu_s"]) / n * 1000
        print(f"  extra CPU per compiler invocation: {extra:.0f} ms over {n} invocations")
    by = pvcc.get("compiles", {}).get("by_suffix")
    if by:
        print("  invocations by output: " + ", ".join(f"{k} {v}" for k, v in by.items()))


def from_timings(path: Path) -> int:
    if not path.exists():
        print(f"no kernel timings at {path}: run `bash kernel/build.sh --clean plain pvcc` "
              "(tox -e kernel) or this script with --run / --subset")
        return 0
    data = json.loads(path.read_text())
    fresh = data.get("fresh", {})
    if "plain" not in fresh or "pvcc" not in fresh:
        print(f"{path}: no complete (fresh) plain and pvcc builds recorded yet; "
              "run `bash kernel/build.sh --clean plain pvcc`")
        return 0
    p, q = fresh["plain"], fresh["pvcc"]
    report(p, q, f"complete vmlinux builds recorded by kernel/build.sh ({path}):\n"
                 f"  plain {p['date']}, pvcc {q['date']}")
    if "paravirt" in fresh:
        print(_fmt_row("paravirt", fresh["paravirt"]) + "  (CONFIG_PVCC_PARAVIRT=y, for reference)")
    return 0


def _make(src: Path, out: Path, cc: str, targets: list[str], jobs: int, nice: int,
          log: Path) -> None:
    cmd = ["nice", "-n", str(nice), "make", "-C", str(src), f"-j{jobs}", "ARCH=ia64",
           "CROSS_COMPILE=ia64-linux-gnu-", f"CC={cc}", f"O={out}", *targets]
    with open(log, "ab") as fh:
        subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=True)


def subset(dirs: list[str], repeat: int, jobs: int, nice: int) -> int:
    import kbuild  # kernel/kbuild.py

    src = WORK / "linux-source-6.1"
    config = WORK / CONFIG / "plain" / ".config"
    if not config.exists():
        print(f"needs {config}: run `bash kernel/build.sh plain` once")
        return 1
    gcc = os.environ.get("PVCC_GCC") or subprocess.run(
        ["pvcc-toolchain", "path", "--gcc", "12"], check=True, capture_output=True,
        text=True).stdout.strip()
    os.environ["PVCC_GCC"] = gcc
    ccs = {"plain": gcc, "pvcc": "pvcc"}
    totals = {k: {"wall_s": 0.0, "cpu_s": 0.0, "user_s": 0.0, "sys_s": 0.0} for k in ccs}
    base = WORK / CONFIG / "bench"
    for i in range(repeat):
        for name, cc in ccs.items():
            out = base / name
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            shutil.copy(config, out / ".config")
            log = base / f"{name}.log"
            _make(src, out, cc, ["olddefconfig"], jobs, nice, log)
            _make(src, out, cc, ["prepare"], jobs, nice, log)  # untimed
            t0, c0 = time.monotonic(), os.times()
            _make(src, out, cc, dirs, jobs, nice, log)
            t1, c1 = time.monotonic(), os.times()
            u = c1.children_user - c0.children_user
            s = c1.children_system - c0.children_system
            t = totals[name]
            t["wall_s"] += t1 - t0
            t["user_s"] += u
            t["sys_s"] += s
            t["cpu_s"] += u + s
            t["compiles"] = kbuild.count_compiles(out, cc)
            print(f"  round {i + 1} {name}: wall {t1 - t0:.1f} s, cpu {u + s:.1f} s", flush=True)
    report(totals["plain"], totals["pvcc"],
           f"subset {' '.join(dirs)} of the {CONFIG} kernel, {repeat} round(s), "
           f"make -j{jobs}, nice {nice} (sums over rounds; invocations per round)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timings", type=Path, default=WORK / CONFIG / "timings.json")
    ap.add_argument("--run", action="store_true",
                    help="run `bash kernel/build.sh --clean plain pvcc` first")
    ap.add_argument("--subset", nargs="+", metavar="DIR")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PVCC_KERNEL_JOBS", "2")))
    ap.add_argument("--nice", type=int, default=int(os.environ.get("PVCC_KERNEL_NICE", "5")))
    ns = ap.parse_args()
    if ns.subset:
        return subset(ns.subset, ns.repeat, ns.jobs, ns.nice)
    if ns.run:
        subprocess.run(["bash", str(REPO / "kernel" / "build.sh"), "--clean", "plain", "pvcc"],
                       check=True)
    return from_timings(ns.timings)


if __name__ == "__main__":
    sys.exit(main())
