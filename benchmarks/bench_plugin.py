"""Compile-time overhead of the pvcc plugin on a large C file.

Prints the median wall time of compiling one generated file (thousands of
functions, a tenth of them with intrinsic calls) with and without the plugin,
and the ratio, from one run. Asserts nothing: a slow machine is not a failure.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def big_file(functions: int, with_sites: bool) -> str:
    out = ["#include <pvcc/paravirt.h>", "struct item { long key, value; struct item *next; };"]
    for i in range(functions):
        body = (f"  for (; it; it = it->next) s += it->key * {i + 3} ^ (it->value >> {i % 13});\n"
                f"  if (s & {i}) s = s * 31 + {i};\n")
        if with_sites and i % 10 == 0:
            body += f"  s += paravirt_get_cpuid({i % 5}) + paravirt_getreg(3116);\n"
            body += "  paravirt_fc((unsigned long)it);\n"
        out.append(f"long f{i}(struct item *it, long s)\n{{\n{body}  return s;\n}}")
    return "\n".join(out) + "\n"


def timed(a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    """Median wall times of a and b, run alternately so load drifts hit both."""
    samples: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(runs):
        for which, argv in enumerate((a, b)):
            t0 = time.perf_counter()
            subprocess.run(argv, check=True)
            samples[which].append(time.perf_counter() - t0)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main(runs: int = 5, functions: int = 1000) -> None:
    from pvcc import pluginbuild, toolchain
    from pvcc.catalog import KERNEL_CFLAGS

    gcc = toolchain.find_compiler()
    plugin = pluginbuild.plugin_path(gcc)
    print(f"plugin compile overhead, {functions} functions, -O2 kernel flags, "
          f"median of {runs} ({gcc}):")
    with tempfile.TemporaryDirectory() as tmp:
        for with_sites in (False, True):
            src = Path(tmp) / "big.c"
            src.write_text(big_file(functions, with_sites))
            base = [gcc, "-O2", *KERNEL_CFLAGS, f"-I{pluginbuild.include_dir()}", "-c", str(src),
                    "-o", str(Path(tmp) / "big.o")]
            plain, plugged = timed(base, [base[0], f"-fplugin={plugin}", *base[1:]], runs)
            what = f"{functions // 10 * 3} sites" if with_sites else "no intrinsic"
            print(f"  {what:>12}: without plugin {plain:7.3f} s, with plugin {plugged:7.3f} s, "
                  f"ratio {plugged / plain:.3f}")
    print("  (with sites, the fenced calls split ia64's scheduling regions, which can make"
          " the plugin build faster than the plain one)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
