"""Booting the sim kernels in pvcc-sim: the model's speed and the native-path cost.

Each built kernel of the sim configuration (kernel/build.sh with
PVCC_KERNEL_CONFIG=sim) is booted with ``pvcc-sim boot --stats`` to /init and
its power-off: plain, paravirt (light sites patched native at boot),
noreplace (the same kernel with noreplace-paravirt: every site calls the
native table), paravirt-c (C-call sites patched native) and passthru (the
light kernel retargeted to the machine's pass-through hypervisor,
``--hypervisor passthru``).  Printed per
kernel: instructions, instruction groups, interruptions, the model's CPU
time and instructions per second, and the boot to /init (up to the console's
"Run /init as init process"): instructions and groups, with their ratio to
the plain kernel's (the native path's cost of paravirtualization on the boot
path), and the boot patcher's instructions (from the console line before its
"pvcc: ..." line to it: the patcher and that line's printk) with the ratio
without them; then the native-path cost table (docs/boot.md): instructions
and groups for the boot to /init, per getpid syscall of /init's loop and per
timer interrupt, each with its ratio to the plain kernel's, and the
pass-through hypercalls per type.

    python benchmarks/bench_boot.py [--kernels plain,paravirt,noreplace,paravirt-c,passthru]
                                    [--work DIR] [--max-insns N]

Asserts nothing.  Each boot takes about a minute of CPU.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "kernel"))
import simboot

WORK = Path(os.environ.get("PVCC_KERNEL_WORK", Path.home() / ".cache/pvcc/kernel"))


def run(vmlinux: Path, extra: list[str], max_insns: int) -> tuple[int, dict]:
    cmd = [sys.executable, "-m", "pvcc.sim.cli", "boot", "--stats", "--max-insns",
           str(max_insns), *extra, str(vmlinux)]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                       check=False)
    return p.returncode, simboot.stats_of(p.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", default="plain,paravirt,noreplace,paravirt-c,passthru")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--max-insns", type=int, default=400_000_000)
    opts = ap.parse_args(argv)
    builds = opts.work / "sim"
    rows = []
    for way in opts.kernels.split(","):
        vm = simboot.vmlinux_of(builds, way)
        if not vm.exists():
            print(f"{way}: {vm} not built (PVCC_KERNEL_CONFIG=sim bash kernel/build.sh)")
            continue
        status, st = run(vm, simboot.append_of(way), opts.max_insns)
        rows.append((way, status, st))
        print(f"{way}: exit {status}", flush=True)
    if not rows:
        return 0
    print(f"\n{'kernel':<11} {'instructions':>13} {'groups':>12} {'interrupts':>10} "
          f"{'cpu s':>7} {'insns/s':>10}   {'to /init: insns':>15} {'groups':>12}")
    base = None
    for way, _status, st in rows:
        cpu = st.get("cpu seconds", "0 (0 instructions/s)")
        secs, ips = cpu.split(" (")[0], cpu.split("(")[-1].split()[0]
        ii = int(st.get("boot to /init: instructions", 0))
        ig = int(st.get("boot to /init: instruction groups", 0))
        if way == "plain":
            base = (ii, ig)
        print(f"{way:<11} {st.get('instructions', '-'):>13} "
              f"{st.get('instruction groups', '-'):>12} {st.get('interruptions', '-'):>10} "
              f"{secs:>7} {ips:>10}   {ii:>15} {ig:>12}")
    if base and base[0]:
        print("\nnative-path cost, boot to /init, against the plain kernel:")
        for way, _status, st in rows:
            if way == "plain":
                continue
            ii = int(st.get("boot to /init: instructions", 0))
            ig = int(st.get("boot to /init: instruction groups", 0))
            if ii:
                pi = int(st.get("boot patcher (up to its console line): instructions", 0))
                print(f"  {way:<11} instructions x{ii / base[0]:.4f}   "
                      f"groups x{ig / base[1]:.4f}   boot patcher {pi} instructions, "
                      f"without it x{(ii - pi) / base[0]:.4f}")
    print_path_costs(rows)
    return 0


def path_costs(st: dict) -> dict[str, tuple[int, int] | None]:
    ii = int(st.get("boot to /init: instructions", 0))
    ig = int(st.get("boot to /init: instruction groups", 0))
    return {"boot to /init": (ii, ig) if ii else None,
            "getpid syscall": simboot.path(st, "getpid syscall"),
            "timer interrupt": simboot.path(st, "timer interrupt")}


def print_path_costs(rows) -> None:
    """The native-path cost table: per kernel and path, instructions and groups
    and their ratio to the plain kernel's."""
    base = next((path_costs(st) for way, _s, st in rows if way == "plain"), None)
    print("\nnative-path cost (instructions / groups; x ratio to the plain kernel):")
    print(f"{'kernel':<11} {'boot to /init':>30} {'per getpid syscall':>26} "
          f"{'per timer interrupt':>26}")
    for way, _status, st in rows:
        cells = []
        for kind, v in path_costs(st).items():
            if v is None:
                cells.append("-")
                continue
            b = base.get(kind) if base else None
            ratio = f" x{v[0] / b[0]:.3f}/{v[1] / b[1]:.3f}" if b and b[0] and b[1] else ""
            cells.append(f"{v[0]}/{v[1]}{ratio}")
        print(f"{way:<11} {cells[0]:>30} {cells[1]:>26} {cells[2]:>26}")
        hc = {k.split(": ", 1)[1]: v for k, v in st.items()
              if k.startswith("pass-through hypercalls: ")}
        if hc:
            print(f"{'':<11} pass-through hypercalls {st.get('pass-through hypercalls')}: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(hc.items(), key=lambda kv: -int(kv[1]))))


if __name__ == "__main__":
    sys.exit(main())
