"""pvcc's main job, end to end, on the bundled example (`./dev demo`).

1. provision the default IA-64 cross GCC (first run only: about 10 minutes on
   an idle 2-core machine, more under load);
2. build the pvcc plugin for it (first run only, seconds);
3. compile examples/paravirt_demo.c with `pvcc` as a kernel build would;
4. print pvcc-check's report of the object;
5. patch every site to its native instruction and show one patched site;
6. prove the example in the execution model, built three ways (plain GCC with
   the native table, pvcc with a hostile C hypervisor layer, pvcc patched
   native), and print what each site costs on the native path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
OUT = HERE.parent / "build" / "demo"


def step(n: int, text: str) -> float:
    print(f"\n== [{n}/6] {text}", flush=True)
    return time.monotonic()


def done(t0: float) -> None:
    print(f"   done in {time.monotonic() - t0:.1f} s", flush=True)


def run(*argv: str) -> None:
    print("   $ " + " ".join(argv), flush=True)
    proc = subprocess.run(argv, check=False)
    if proc.returncode != 0:
        sys.exit(f"demo: step failed: {' '.join(argv)} (exit {proc.returncode})")


def main() -> None:
    from pvcc import pluginbuild, toolchain
    from pvcc.catalog import KERNEL_CFLAGS

    OUT.mkdir(parents=True, exist_ok=True)
    t0 = step(1, "provision the IA-64 cross compiler (GCC 12)")
    run(str(BIN / "pvcc-toolchain"), "install", "--gcc", "12")
    gcc = toolchain.find_compiler(12)
    done(t0)

    t0 = step(2, "build the pvcc plugin for that compiler")
    print(f"   {pluginbuild.plugin_path(gcc)}")
    done(t0)

    t0 = step(3, "compile examples/paravirt_demo.c with pvcc (kernel flags)")
    obj = OUT / "paravirt_demo.o"
    env = dict(os.environ, PVCC_GCC=gcc)
    os.environ.update(env)
    run(str(BIN / "pvcc"), "-O2", "-std=gnu11", *KERNEL_CFLAGS,
        f"-I{pluginbuild.include_dir()}", "-c", str(HERE / "paravirt_demo.c"), "-o", str(obj))
    done(t0)

    t0 = step(4, "check every call site from the object alone")
    run(str(BIN / "pvcc-check"), str(obj))
    done(t0)

    t0 = step(5, "patch every site to its native instruction(s)")
    native = OUT / "paravirt_demo-native.o"
    run(str(BIN / "pvcc-check"), "--patch", "native", "-o", str(native), str(obj))
    dump = subprocess.run(["ia64-linux-gnu-objdump", "-d", str(native)],
                          capture_output=True, text=True, check=True).stdout
    lines = dump.splitlines()
    start = next(i for i, line in enumerate(lines) if "<cpu_family>:" in line)
    print("   cpu_family() after patching:")
    for line in lines[start:start + 16]:
        print("   " + line)
    done(t0)

    t0 = step(6, "run it three ways in pvcc-sim: A plain GCC, B pvcc + hypervisor, C patched")
    prove_three_ways(KERNEL_CFLAGS)
    done(t0)
    print(f"\nobjects are in {OUT}")


def prove_three_ways(kernel_cflags) -> None:
    """`pvcc-sim prove` on the example with a generated driver main."""
    from pvcc.sim.lab import drivers, prove

    driver = OUT / "paravirt_demo-driver.c"
    driver.write_text(drivers.driver((HERE / "paravirt_demo.c").read_text()).text)
    print(f"   $ pvcc-sim prove --sites -O2 -std=gnu11 {' '.join(kernel_cflags)} "
          f"examples/paravirt_demo.c {driver}", flush=True)
    p = prove.prove([str(HERE / "paravirt_demo.c"), str(driver)],
                    ["-O2", "-std=gnu11", *kernel_cflags], "c", seeds=(1, 2),
                    workdir=str(OUT / "prove"))
    for line in prove.report(p, sites=True).splitlines():
        print("   " + line)
    if p.outcome != prove.AGREE:
        sys.exit(f"demo: the three ways do not agree: {p.detail}")


if __name__ == "__main__":
    main()
