"""Boot the sim kernels in pvcc-sim and check their consoles (kernel/build.sh simboot).

    python kernel/simboot.py BUILDS [--ways plain,paravirt,noreplace,paravirt-c,passthru,unwind,
                                            unwind-c,panic]
                                    [--max-insns N]

BUILDS is the sim configuration's build directory (``$PVCC_KERNEL_WORK/sim``).
Ways, each run as ``pvcc-sim boot VMLINUX --stats`` when its vmlinux is built:

  plain       BUILDS/plain/vmlinux
  paravirt    BUILDS/paravirt/vmlinux: light sites, patched native at boot
  noreplace   the same with ``--append noreplace-paravirt``: every site keeps its call
  paravirt-c  BUILDS/paravirt-c/vmlinux: C-call sites (PVCC_KERNEL_CONV=c), patched native
  passthru    BUILDS/paravirt/vmlinux with ``--hypervisor passthru``: the machine announces
              pvcc's pass-through hypervisor, the kernel registers its implementations
              and retargets every site to them; each runs one hypercall the machine
              performs and counts
  unwind      BUILDS/paravirt/vmlinux with ``--append pvcc_unwind_test``
              (CONFIG_PVCC_UNWIND_TEST, kernel/pvcc_unwind_test.c): get_cpuid's sites
              are retargeted to a C implementation through its pvcc-thunks light entry
              (the other types' sites are kept: they call the native table), and a late
              initcall reaches it through a site; it calls dump_stack() once
  unwind-c    the same with BUILDS/paravirt-c/vmlinux: C-call sites call the C
              implementation directly
  panic       the plain kernel with ``--append rdinit=/nonexistent``: no /init in the
              initramfs and no root device, so the kernel panics ("VFS: Unable
              to mount root fs"; init= would not do: /init of the initramfs
              runs first)

Checks: exit status 0 (PAL_HALT after /init's reboot(POWER_OFF)); the banner,
"Run /init as init process", /init's first line, its verdict "init: all
checks passed" and "reboot: System halted" on the console; no WARNING, BUG, Oops, Call Trace or panic; the paravirt
kernels' patcher line ("pvcc: N sites native, ..." or, with noreplace, "N
sites keep their calls", or with passthru "0 sites native, N retargeted", after
"pvcc: pass-through hypervisor ... M implementations registered") with N =
pvcc-check's count; passthru: pass-through hypercalls counted per type; each console equal to
the plain kernel's apart from the build time stamp, the paravirt lines, the
command line and the kernel's own sizes (the Memory: and Freeing lines).  The unwind ways:
the patcher line "0 sites native, R retargeted, K kept, 0 refused" with R > 0 and R + K
= pvcc-check's count, the test's line "pvcc: unwind test: the get_cpuid site ...", and
exactly one "Call Trace:" (the only one allowed), whose frames hold, one after the
other, pvcc_unwind_test_get_cpuid, __pvcc_light_pvcc_unwind_test_get_cpuid (unwind
only), pvcc_unwind_test_site (the site's caller) and pvcc_unwind_test_init (its
caller); the console equals the plain kernel's without the dump_stack() lines.  The panic way must
exit with 3 and end with the panic line.  Consoles and --stats go to
BUILDS/simboot/WAY.console and WAY.stats; a table of the figures is printed.
Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

WAYS = ("plain", "paravirt", "noreplace", "paravirt-c", "passthru", "unwind", "unwind-c",
        "panic")
UNWIND = ("unwind", "unwind-c")
BAD = re.compile(r"WARNING|\bBUG\b|Oops|Call Trace|Kernel panic|\bError\b")
# lines that differ between the ways by design: the build's time stamp, the
# kernel's sizes, the patcher's line, the command line (noreplace-paravirt)
VARIABLE = re.compile(r"^(Linux version |Memory: |Freeing unused kernel memory|pvcc: |"
                      r"Kernel command line: )")


# dump_stack() on ia64 (lib/dump_stack.c, ia64_do_show_stack() of arch/ia64/kernel/process.c):
# "CPU: 0 PID: 1 Comm: ...", "Call Trace:", then per frame " [<ip>] function+0xoff/0xsize"
# and a line "sp=... bsp=..."
DUMP_HEAD = re.compile(r"^CPU: \d+ PID: \d+ Comm: ")
FRAME = re.compile(r"^ \[<([0-9a-f]{16})>\] ([^\s+]+)(\+0x[0-9a-f]+/0x[0-9a-f]+)?$")
FRAME_SP = re.compile(r"^\s+sp=[0-9a-f]{16} bsp=[0-9a-f]{16}$")
# the unwind ways' backtrace, one frame after the other from the C implementation: its
# light entry (pvcc-thunks), the function holding the site, that function's caller
UNWIND_FRAMES = {
    "unwind": ("pvcc_unwind_test_get_cpuid", "__pvcc_light_pvcc_unwind_test_get_cpuid",
               "pvcc_unwind_test_site", "pvcc_unwind_test_init"),
    "unwind-c": ("pvcc_unwind_test_get_cpuid", "pvcc_unwind_test_site",
                 "pvcc_unwind_test_init"),
}
UNWIND_OK = "pvcc: unwind test: the get_cpuid site in pvcc_unwind_test_site() reached "


def vmlinux_of(builds: Path, way: str) -> Path:
    return builds / {"noreplace": "paravirt", "passthru": "paravirt", "unwind": "paravirt",
                     "unwind-c": "paravirt-c", "panic": "plain"}.get(way, way) / "vmlinux"


def append_of(way: str) -> list[str]:
    return {"noreplace": ["--append", "noreplace-paravirt"],
            "passthru": ["--hypervisor", "passthru"],
            "unwind": ["--append", "pvcc_unwind_test"],
            "unwind-c": ["--append", "pvcc_unwind_test"],
            "panic": ["--append", "rdinit=/nonexistent"]}.get(way, [])


def boot(vmlinux: Path, extra: list[str], max_insns: int) -> tuple[int, str, str, float]:
    cmd = [sys.executable, "-m", "pvcc.sim.cli", "boot", "--stats", "--max-insns",
           str(max_insns), *extra, str(vmlinux)]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                       check=False)
    return p.returncode, p.stdout, p.stderr, time.time() - t0


def stats_of(err: str) -> dict[str, str]:
    out = {}
    for line in err.splitlines():
        if line.startswith("pvcc-sim: ") and line.count(": ") >= 2:
            k, v = line[len("pvcc-sim: "):].rsplit(": ", 1)
            out[k] = v
    return out


def path(st: dict[str, str], kind: str) -> tuple[int, int] | None:
    """(instructions, groups) per execution of a kernel path from --stats, or None."""
    keys = [k for k in st if k.startswith(f"per {kind} (") and k.endswith(": instructions")]
    if not keys:
        return None
    k = keys[0][:-len("instructions")]
    return int(st[k + "instructions"]), int(st[k + "instruction groups"])


def path_cost(st: dict[str, str], kind: str) -> str:
    p = path(st, kind)
    return f"{p[0]}/{p[1]}" if p else "-"


def sites_of(vmlinux: Path) -> int | None:
    """pvcc-check's site count of ``vmlinux`` (None when it cannot say)."""
    p = subprocess.run([sys.executable, "-m", "pvcc.check_cli", "--json", str(vmlinux)],
                       capture_output=True, text=True, check=False)
    try:
        return json.loads(p.stdout)["objects"][0]["sites"]
    except (ValueError, KeyError, IndexError):
        return None


def call_traces(lines: list[str]) -> list[list[str]]:
    """The functions of each "Call Trace:" of a console, innermost first."""
    traces = []
    for i, ln in enumerate(lines):
        if ln != "Call Trace:":
            continue
        frames = []
        for f in lines[i + 1:]:
            if m := FRAME.match(f):
                frames.append(m.group(2))
            elif not FRAME_SP.match(f):
                break
        traces.append(frames)
    return traces


def without_dump_stack(lines: list[str]) -> list[str]:
    """The console without dump_stack()'s lines: from its "CPU: N PID: N Comm:" line
    to the last frame of the Call Trace after it."""
    out, i = [], 0
    while i < len(lines):
        if DUMP_HEAD.match(lines[i]) and "Call Trace:" in lines[i + 1:i + 5]:
            i = lines.index("Call Trace:", i) + 1
            while i < len(lines) and (FRAME.match(lines[i]) or FRAME_SP.match(lines[i])):
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return out


def normal(console: str) -> list[str]:
    return [ln for ln in without_dump_stack(console.splitlines()) if not VARIABLE.match(ln)]


def check_unwind(way: str, lines: list[str], sites: int) -> list[str]:
    """The unwind ways: the test ran, and its one backtrace passes through the site."""
    problems = []
    counts = [m.groups() for ln in lines
              if (m := re.match(r"^pvcc: 0 sites native, (\d+) retargeted, (\d+) kept, "
                                r"0 refused$", ln))]
    if not any(int(r) > 0 and int(r) + int(k) == sites for r, k in counts):
        got = [ln for ln in lines if ln.startswith("pvcc: ")]
        problems.append(f"no patcher line 'pvcc: 0 sites native, R retargeted, K kept, "
                        f"0 refused' with R > 0 and R + K = pvcc-check's {sites} (console: {got})")
    if not any(ln.startswith(UNWIND_OK) for ln in lines):
        got = [ln for ln in lines if ln.startswith("pvcc: unwind test: ")]
        problems.append(f"no console line {UNWIND_OK.strip()!r}... (console: {got})")
    traces = call_traces(lines)
    if len(traces) != 1:
        return problems + [f"{len(traces)} Call Traces on the console, expected 1"]
    want, frames = UNWIND_FRAMES[way], traces[0]
    if not any(tuple(frames[i:i + len(want)]) == want for i in range(len(frames))):
        problems.append(f"the Call Trace does not hold {' > '.join(want)} one after the "
                        f"other: {' > '.join(frames)}")
    return problems


def check(way: str, vmlinux: Path, status: int, out: str, err: str) -> list[str]:
    problems = []
    lines = out.splitlines()
    if way == "panic":
        if status != 3:
            problems.append(f"exit status {status}, expected 3 (kernel panic)")
        if not lines or "Kernel panic - not syncing: VFS: Unable to mount root fs" not in lines[-1]:
            problems.append(f"the console does not end with the panic line: {lines[-1:]}")
        return problems
    if status != 0:
        tail = err.strip().splitlines()[-1:] or ["(nothing on stderr)"]
        problems.append(f"exit status {status}: {tail[0]}")
    for want in ("Linux version 6.1", "Run /init as init process", "init: pvcc sim /init",
                 "init: all checks passed, powering off", "reboot: System halted"):
        if not any(ln.startswith(want) for ln in lines):
            problems.append(f"no console line {want!r}")
    problems += [f"console: {ln}" for ln in lines if BAD.search(ln)
                 and not (way in UNWIND and ln == "Call Trace:")]   # check_unwind's
    if way in UNWIND:
        n = sites_of(vmlinux)
        if n is None:
            return problems + [f"pvcc-check --json {vmlinux} gave no site count"]
        return problems + check_unwind(way, lines, n)
    if way != "plain":
        n = sites_of(vmlinux)
        if n is None:
            return problems + [f"pvcc-check --json {vmlinux} gave no site count"]
        want = (rf"^pvcc: .*noreplace-paravirt: {n} sites keep their calls$" if way == "noreplace"
                else rf"^pvcc: (.* )?0 sites native, {n} retargeted, 0 kept, 0 refused$"
                if way == "passthru"
                else rf"^pvcc: (.* )?{n} sites native, 0 retargeted, 0 kept, 0 refused$")
        if not any(re.match(want, ln) for ln in lines):
            got = [ln for ln in lines if ln.startswith("pvcc: ")]
            problems.append(f"no patcher line for pvcc-check's {n} sites (console: {got})")
    if way == "passthru":
        problems += check_passthru(lines, err)
    return problems


def check_passthru(lines: list[str], err: str) -> list[str]:
    """The kernel found the hypervisor and its sites ran through hypercalls."""
    problems = []
    if not any(re.match(r"^pvcc: pass-through hypervisor .* [1-9][0-9]* implementations "
                        r"registered", ln) for ln in lines):
        problems.append("no console line 'pvcc: pass-through hypervisor ... N implementations "
                        "registered'")
    st = stats_of(err)
    per_type = {k: int(v) for k, v in st.items() if k.startswith("pass-through hypercalls: ")}
    total = int(st.get("pass-through hypercalls", "0").split()[0])
    if not total or not per_type or sum(per_type.values()) != total:
        problems.append(f"pass-through hypercalls not counted per type (--stats: total "
                        f"{total}, per type {per_type})")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("builds", type=Path)
    p.add_argument("--ways", default=",".join(WAYS))
    p.add_argument("--max-insns", type=int, default=400_000_000)
    opts = p.parse_args(argv)
    outdir = opts.builds / "simboot"
    outdir.mkdir(parents=True, exist_ok=True)
    failed = False
    consoles: dict[str, str] = {}
    rows = []
    for way in opts.ways.split(","):
        if way not in WAYS:
            print(f"simboot: unknown way {way!r} ({', '.join(WAYS)})", file=sys.stderr)
            return 2
        vm = vmlinux_of(opts.builds, way)
        if not vm.exists():
            print(f"-- {way}: {vm} not built, skipped")
            continue
        print(f"-- {way}: pvcc-sim boot {' '.join(append_of(way))} {vm}", flush=True)
        status, out, err, wall = boot(vm, append_of(way), opts.max_insns)
        (outdir / f"{way}.console").write_text(out)
        (outdir / f"{way}.stats").write_text(err)
        lines = out.splitlines()
        print("   first: " + (lines[0] if lines else "(no console output)"))
        print("   last:  " + (lines[-1] if lines else ""))
        problems = check(way, vm, status, out, err)
        if way != "panic":
            consoles[way] = out
            if way != "plain" and "plain" in consoles:
                a, b = normal(consoles["plain"]), normal(out)
                if a != b:
                    diff = [f"plain: {x!r} / {way}: {y!r}" for x, y in zip(a, b) if x != y]
                    diff = diff or [f"{len(a)} lines against {len(b)}"]
                    problems += [f"console differs from the plain kernel's: {d}" for d in diff]
        for pr in problems:
            print(f"   FAIL: {pr}")
        failed |= bool(problems)
        st = stats_of(err)
        rows.append((way, st, wall))
    print(f"\n{'way':<11} {'instructions':>13} {'groups':>12} {'interrupts':>10} "
          f"{'to /init':>12} {'cpu s':>7} {'insns/s':>9} {'getpid':>9} {'timer':>10} "
          f"{'hypercalls':>10}")
    for way, st, _wall in rows:
        cpu = st.get("cpu seconds", "0 (0 instructions/s)")
        secs, ips = cpu.split(" (")[0], cpu.split("(")[-1].split()[0]
        print(f"{way:<11} {st.get('instructions', '-'):>13} "
              f"{st.get('instruction groups', '-'):>12} {st.get('interruptions', '-'):>10} "
              f"{st.get('boot to /init: instructions', '-'):>12} {secs:>7} {ips:>9} "
              f"{path_cost(st, 'getpid syscall'):>9} {path_cost(st, 'timer interrupt'):>10} "
              f"{st.get('pass-through hypercalls', '-'):>10}")
    print("(getpid, timer: instructions/groups per getpid syscall and per timer interrupt, "
          "medians)")
    print("simboot: " + ("FAILED" if failed else "every boot passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
