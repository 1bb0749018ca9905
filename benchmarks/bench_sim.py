"""Speed of pvcc-sim's model on csmith programs, against the host running them natively.

    python benchmarks/bench_sim.py [--seeds 1,3,4,...] [--level -O2] [--no-groups]

For each seed: csmith generates the program (pvcc.sim.lab.csmith's options), the
host builds and runs it (gcc -O1), pvcc-sim cc builds it for IA-64 at LEVEL
(plain GCC, no plugin), and the model runs it in this process.  Prints, per
program and in total, the IA-64 instructions executed, the model's CPU time
(process time: the machine is shared, wall time would measure the others),
instructions per second, and the ratio of the model's CPU time to the host's
(the host's user+system time of the same program).  Programs the host does
not finish in 10 s are skipped and counted.  No assertions.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time

from pvcc.sim import run_program
from pvcc.sim.lab import csmith

DEFAULT_SEEDS = "1,3,4,5,6,8,9,10"


def host_seconds(exe: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([exe], stdout=subprocess.DEVNULL, check=False, timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=DEFAULT_SEEDS)
    ap.add_argument("--level", default="-O2")
    ap.add_argument("--no-groups", action="store_true",
                    help="run without the instruction-group check")
    opts = ap.parse_args()
    total_insns = total_model = total_host = 0.0
    skipped = 0
    print(f"{'seed':>6} {'insns':>12} {'model s':>9} {'insns/s':>10} {'host s':>8} {'ratio':>8}")
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as d:
        for seed in (int(s) for s in opts.seeds.split(",")):
            src = os.path.join(d, f"s{seed}.c")
            csmith.generate(seed, src)
            ref = csmith.host_reference(src, d)
            if ref.outcome is not None:
                skipped += 1
                continue
            host = host_seconds(os.path.join(d, "host.exe"))
            prog = os.path.join(d, f"s{seed}.ia64")
            err = csmith.build_ia64(src, prog, opts.level, "plain", plugin=False)
            if err:
                print(f"{seed:>6} build error: {err}")
                continue
            t0 = time.process_time()
            r = run_program(prog, groups=not opts.no_groups, stdout=io.BytesIO())
            model = time.process_time() - t0
            n = r.counters["instructions"]
            if r.error is not None:
                print(f"{seed:>6} model error: {r.where}: {r.error.msg}")
                continue
            total_insns += n
            total_model += model
            total_host += host
            print(f"{seed:>6} {n:>12,} {model:>9.2f} {n / model:>10,.0f} {host:>8.4f} "
                  f"{model / max(host, 1e-4):>8.0f}")
    if total_model:
        print(f"{'total':>6} {int(total_insns):>12,} {total_model:>9.2f} "
              f"{total_insns / total_model:>10,.0f} {total_host:>8.4f} "
              f"{total_model / max(total_host, 1e-4):>8.0f}")
    if skipped:
        print(f"{skipped} program(s) skipped: the host did not finish them in 10 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
