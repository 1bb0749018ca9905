"""Speed of pvcc-sim's system-mode memory references (the MMU's translation caches).

    python benchmarks/bench_mmu.py [--n N]

Prints nanoseconds per call (CPU time, best of 5 rounds) of: the user-mode harness's 8-byte load
and store (``Memory.loads/stores``), the MMU's cached virtual load and store,
a cached instruction-fetch translation, and a reference that misses the
translation cache and walks the TLB (the cache refilled each time).  No
assertions.
"""

from __future__ import annotations

import argparse
import time

from pvcc.sim.cpu.memory import Memory
from pvcc.sim.cpu.state import State
from pvcc.sim.system.mmu import MMU

PSR = 1 << 13 | 1 << 17 | 1 << 27 | 1 << 36  # ic, dt, rt, it; cpl 0


def per_call(fn, n):
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n * 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000)
    n = ap.parse_args().n
    st = State()
    st.mem.map(0x6000000000000000, 64 << 20, "stack")  # the user-mode harness's memory
    phys = Memory(page_shift=12)  # system mode's physical memory
    phys.map(0, 64 << 20, "ram")
    st.priv.psr = PSR
    mmu = MMU(st.priv, phys, st.ar)
    va = 0x6000000000010000  # same magnitude in both (Python's big ints cost)
    pte = 1 | 1 << 5 | 1 << 6 | 3 << 9 | 0x100000  # p, a, d, ar RWX, pl 0, WB
    mmu.itc("d", pte, 14 << 2, va)
    mmu.itc("i", pte, 14 << 2, va)
    ul, us = st.mem.loads[8], st.mem.stores[8]
    ml, ms = mmu.loads[8], mmu.stores[8]
    fetch = mmu.fetch
    ml(va), ms(va, 0), fetch(va)

    def refill():
        mmu.rc.clear()
        ml(va + 8)

    ul(va + 8)
    rows = [("user mode Memory.loads[8]", lambda: ul(va + 8)),
            ("user mode Memory.stores[8]", lambda: us(va + 8, 1)),
            ("MMU loads[8], cached", lambda: ml(va + 8)),
            ("MMU stores[8], cached", lambda: ms(va + 8, 1)),
            ("MMU fetch, cached", lambda: fetch(va + 16)),
            ("MMU loads[8], cache miss (TLB walk)", refill)]
    base = per_call(lambda: None, n)
    print(f"{'reference':40} {'ns/call':>8}   (a Python call of nothing: {base:.0f} ns)")
    for name, fn in rows:
        k = n if "miss" not in name else n // 10
        print(f"{name:40} {min(per_call(fn, k) for _ in range(5)):8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
