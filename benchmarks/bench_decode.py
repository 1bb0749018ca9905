"""Decoder throughput: pvcc's IA-64 decoder against ia64-linux-gnu-objdump, same bytes, same run.

A vmlinux .text is ~36 MB (2.3 M bundles); pvcc-check decodes all of it.  This
prints the CPU time pvcc.ia64 needs for 1 MiB of bundles (65,536, a mix of
templates with random slots, as the cache sees in real code) and the wall time
objdump -d needs for the same bytes assembled into an object, and their ratio.
Asserts nothing: a slow or loaded machine is not a failure.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pvcc import ia64
from pvcc.ia64 import encode_bundle, iter_bundles


def sample(nbundles: int = 65536) -> bytes:
    rng = random.Random(5)
    pool = [encode_bundle(t, (ia64.nop_m(rng.getrandbits(8)), rng.getrandbits(41),
                              rng.getrandbits(41)))
            for t in (0x01, 0x08, 0x11) for _ in range(3000)]
    return b"".join(rng.choice(pool) for _ in range(nbundles))


def pvcc_seconds(data: bytes, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        n = sum(1 for _ in iter_bundles(data))
        best = min(best, time.process_time() - t0)
        assert n == len(data) // 16
    return best


def objdump_seconds(data: bytes, runs: int = 3) -> float | None:
    as_, objdump = shutil.which("ia64-linux-gnu-as"), shutil.which("ia64-linux-gnu-objdump")
    if not (as_ and objdump):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        raw, src, obj = Path(tmp, "code.bin"), Path(tmp, "code.s"), Path(tmp, "code.o")
        raw.write_bytes(data)
        src.write_text(f'.text\n.incbin "{raw}"\n')
        subprocess.run([as_, "-o", str(obj), str(src)], check=True)
        best = float("inf")
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([objdump, "-d", str(obj)], check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - t0)
        return best


def main() -> int:
    data = sample()
    mib = len(data) / (1 << 20)
    ours = pvcc_seconds(data)
    print(f"pvcc.ia64: {mib:.0f} MiB ({len(data) // 16:,} bundles) in {ours:.3f} s CPU "
          f"= {len(data) / 16 / ours / 1e6:.2f} M bundles/s")
    theirs = objdump_seconds(data)
    if theirs is None:
        print("objdump: ia64-linux-gnu-objdump not found; no ratio")
    else:
        print(f"objdump -d: {theirs:.3f} s wall; pvcc/objdump ratio {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
