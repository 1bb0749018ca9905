"""pvcc's cost on complete kernel builds: ccache-warm, then interleaved rounds.

Linux 6.1 arch/ia64 (the tree kernel/build.sh unpacks), configuration
PVCC_KERNEL_CONFIG (allnoconfig), ``make vmlinux`` in a fresh O= directory:

1. unless ``--no-ccache``: CC="ccache <gcc>" and CC="ccache pvcc" (with
   CCACHE_COMPILERCHECK='%compiler% --print-cache-identity' and
   CCACHE_COMPILERTYPE=gcc), each with a
   private, emptied CCACHE_DIR.  Both caches are filled by cold builds run
   side by side (their times are not compared); then ``--warm N`` rounds of
   the two warm builds, each from an emptied O= directory at the path of its
   cold build, the order alternating; prints each warm build's wall and CPU
   time and hit counts, and the warm ratios pvcc/plain.
2. ``--rounds N`` rounds of CC=<ia64-linux-gnu-gcc> and CC=pvcc without any
   cache, the order alternating from round to round so that a drifting
   machine load hits both alike; prints each round's wall and CPU
   (children's user+sys) ratio pvcc/plain, and the ratio of the sums.

    python benchmarks/bench_kernel_rounds.py --run [--rounds 2] [--warm 2] [--jobs 2] [--nice 19]
        [--subset DIR...]   # time `make DIR...` (after an untimed `make prepare`)

Long (a complete allnoconfig build takes minutes, much longer at nice 19 on a
loaded machine), so without ``--run`` (as in ``tox -e bench``) it only says
how to run it. Needs the unpacked source (``bash kernel/build.sh plain`` once,
or any step). Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(os.environ.get("PVCC_KERNEL_WORK", Path.home() / ".cache/pvcc/kernel"))
CONFIG = os.environ.get("PVCC_KERNEL_CONFIG", "allnoconfig")
IDENTITY_CHECK = "%compiler% --print-cache-identity"


def make(src: Path, out: Path, cc: str, targets: list[str], jobs: int, nice: int, env: dict,
         log: Path) -> tuple[float, float]:
    """-> (wall, cpu) seconds of ``make TARGETS`` (children's user+sys)."""
    cmd = ["nice", "-n", str(nice), "make", "-C", str(src), f"-j{jobs}", "ARCH=ia64",
           "CROSS_COMPILE=ia64-linux-gnu-", f"CC={cc}", f"O={out}", *targets]
    t0, c0 = time.monotonic(), os.times()
    with open(log, "ab") as fh:
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env,
                            check=False).returncode
    t1, c1 = time.monotonic(), os.times()
    if rc != 0:
        sys.exit(f"bench_kernel_rounds: make {' '.join(targets)} with CC={cc} failed "
                 f"(log: {log})")
    return t1 - t0, (c1.children_user - c0.children_user) + (c1.children_system
                                                            - c0.children_system)


def fresh_build(src: Path, out: Path, cc: str, jobs: int, nice: int, env: dict,
                log: Path, subset: list[str] | None = None) -> tuple[float, float]:
    """Configure a fresh O= directory and time ``make vmlinux`` -- or, for a
    ``subset`` of directories, ``make prepare`` untimed and then those."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    make(src, out, cc, [CONFIG], jobs, nice, env, log)  # untimed
    if not subset:
        return make(src, out, cc, ["vmlinux"], jobs, nice, env, log)
    make(src, out, cc, ["prepare"], jobs, nice, env, log)  # untimed
    return make(src, out, cc, subset, jobs, nice, env, log)


def ccache_stats(env: dict) -> dict[str, int]:
    out = subprocess.run(["ccache", "--print-stats"], env=env, capture_output=True, text=True,
                         check=True).stdout
    c = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    return {"hits": int(c["direct_cache_hit"]) + int(c["preprocessed_cache_hit"]),
            "misses": int(c["cache_miss"])}


def ratio(a: tuple[float, float], b: tuple[float, float]) -> str:
    return f"wall {a[0] / b[0]:.3f}, cpu {a[1] / b[1]:.3f}"


def warm_ccache(src: Path, gcc: str, base: Path, env: dict, ns) -> None:
    if shutil.which("ccache") is None:
        print("ccache is not installed: no ccache-warm builds")
        return
    (base / "ccache.conf").write_text("max_size = 5G\n")
    setups = {}
    for name, cc, extra in (("plain", f"ccache {gcc}", {}),
                            ("pvcc", "ccache pvcc", {"CCACHE_COMPILERCHECK": IDENTITY_CHECK,
                                                     "CCACHE_COMPILERTYPE": "gcc"})):
        cdir = base / f"ccache-{name}"
        shutil.rmtree(cdir, ignore_errors=True)
        cenv = dict(env, CCACHE_DIR=str(cdir), CCACHE_CONFIGPATH=str(base / "ccache.conf"),
                    **extra)
        setups[name] = (cc, cenv, base / f"ccache-{name}-out", base / f"ccache-{name}.log")
    # Cold builds side by side: they only fill the caches.
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(2) as pool:
        cold = {name: pool.submit(fresh_build, src, out, cc, ns.jobs, ns.nice, cenv, log,
                                  ns.subset)
                for name, (cc, cenv, out, log) in setups.items()}
        for name, fut in cold.items():
            w, _ = fut.result()  # CPU times of concurrent builds cannot be told apart
            print(f"  cold (filling) CC=\"{setups[name][0].replace(gcc, 'GCC')}\": "
                  f"wall {w:7.1f} s (side by side)", flush=True)
    sums = {"plain": [0.0, 0.0], "pvcc": [0.0, 0.0]}
    for r in range(ns.warm):
        got = {}
        for name in (["plain", "pvcc"] if r % 2 == 0 else ["pvcc", "plain"]):
            cc, cenv, out, log = setups[name]
            before = ccache_stats(cenv)
            got[name] = fresh_build(src, out, cc, ns.jobs, ns.nice, cenv, log, ns.subset)
            after = ccache_stats(cenv)
            sums[name][0] += got[name][0]
            sums[name][1] += got[name][1]
            print(f"  warm {r + 1} CC=\"{cc.replace(gcc, 'GCC')}\": wall {got[name][0]:7.1f} s, "
                  f"cpu {got[name][1]:7.1f} s; hits {after['hits'] - before['hits']}, "
                  f"misses {after['misses'] - before['misses']}", flush=True)
        print(f"  warm {r + 1} ratio ccache-pvcc/ccache-plain: "
              f"{ratio(got['pvcc'], got['plain'])}", flush=True)
    if ns.warm:
        print(f"ccache-warm, {ns.warm} round(s), ratio of sums pvcc/plain: "
              f"{ratio(sums['pvcc'], sums['plain'])}", flush=True)


def rounds(src: Path, gcc: str, base: Path, env: dict, ns) -> None:
    sums = {"plain": [0.0, 0.0], "pvcc": [0.0, 0.0]}
    ccs = {"plain": gcc, "pvcc": "pvcc"}
    for r in range(ns.rounds):
        got = {}
        for name in (["plain", "pvcc"] if (r + ns.pvcc_first) % 2 == 0 else ["pvcc", "plain"]):
            got[name] = fresh_build(src, base / name, ccs[name], ns.jobs, ns.nice, env,
                                    base / f"{name}.log", ns.subset)
            sums[name][0] += got[name][0]
            sums[name][1] += got[name][1]
            print(f"  round {r + 1} {name:<5}: wall {got[name][0]:7.1f} s, "
                  f"cpu {got[name][1]:7.1f} s", flush=True)
        print(f"  round {r + 1} ratio pvcc/plain: {ratio(got['pvcc'], got['plain'])}",
              flush=True)
    if ns.rounds:
        print(f"all {ns.rounds} round(s), ratio of sums pvcc/plain: "
              f"{ratio(sums['pvcc'], sums['plain'])}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", action="store_true", help="run the builds (long)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warm", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PVCC_KERNEL_JOBS", "2")))
    ap.add_argument("--nice", type=int, default=19)
    ap.add_argument("--no-ccache", action="store_true")
    ap.add_argument("--pvcc-first", action="store_true",
                    help="start the rounds with CC=pvcc (to continue an earlier run)")
    ap.add_argument("--subset", nargs="+", metavar="DIR",
                    help="time `make DIR...` after an untimed `make prepare` instead of "
                         "`make vmlinux` (when complete builds take too long)")
    ns = ap.parse_args()
    if not ns.run:
        print("complete kernel builds, long: python benchmarks/bench_kernel_rounds.py --run")
        return 0

    src = WORK / "linux-source-6.1"
    if not (src / "Makefile").exists():
        print(f"needs the unpacked source in {src}: run `bash kernel/build.sh plain` once")
        return 1
    gcc = os.environ.get("PVCC_GCC") or subprocess.run(
        ["pvcc-toolchain", "path", "--gcc", "12"], check=True, capture_output=True,
        text=True).stdout.strip()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PVCC_", "CCACHE_")) or k == "PVCC_CACHE_DIR"}
    env["PVCC_GCC"] = gcc
    base = WORK / CONFIG / "bench-rounds"
    base.mkdir(parents=True, exist_ok=True)
    what = "directories " + " ".join(ns.subset) if ns.subset else "vmlinux"
    print(f"{CONFIG} {what}, make -j{ns.jobs} at nice {ns.nice}, GCC = {gcc}; "
          f"load average now {os.getloadavg()[0]:.1f}", flush=True)
    if not ns.no_ccache:
        warm_ccache(src, gcc, base, env, ns)
    rounds(src, gcc, base, env, ns)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
