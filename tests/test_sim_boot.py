"""pvcc-sim boot (pvcc.sim.platform.machine.run) on Linux: the smallest
boots of a real sim vmlinux that are fast, and bad input.

The whole boot of the sim kernels to /init and power-off (about 20 s of CPU
each) is the opt-in ``tox -e boot`` (``kernel/build.sh simboot``); here a
real sim vmlinux of kernel/build.sh, when one is built, runs to its banner
(about 2.5 M instructions), and every bad input is one line and its status.
The boot that runs on every clone, with no kernel built, is the minikernel's
(tests/test_sim_minikernel.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pvcc.sim import cli
from pvcc.sim.platform.machine.run import EXIT_PANIC, Console, KernelPanic

WORK = Path(os.environ.get("PVCC_KERNEL_WORK", Path.home() / ".cache/pvcc/kernel"))
PLAIN = WORK / "sim/plain/vmlinux"
needs_kernel = pytest.mark.skipif(
    not PLAIN.exists(),
    reason="no sim kernel built yet (PVCC_KERNEL_CONFIG=sim bash kernel/build.sh plain)")


def boot(capfd, *args) -> tuple[int, str, list[str]]:
    status = cli.main(["boot", *map(str, args)])
    out, err = capfd.readouterr()
    return status, out, err.splitlines()


@needs_kernel
def test_boot_to_the_banner(capfd):
    """The plain sim kernel from its physical entry through head.S, the switch
    to virtual mode, EFI/SAL/PAL calls and the earlycon: the banner and the
    EFI lines are on the console when --max-insns stops it (status 124)."""
    status, out, err = boot(capfd, "--max-insns", 2_500_000, "--stats", "--trace-interrupts",
                            "--append", "loglevel=8", PLAIN)
    assert status == 124
    assert out.startswith("Linux version 6.1.")
    assert "efi: EFI v1.10 by pvcc-sim" in out
    assert "printk: bootconsole [uart8250] enabled" in out
    assert err[-1].startswith("pvcc-sim: error: ") and "more than 2500000 instructions" in err[-1]
    assert "Kernel command line: console=ttyS0 earlycon=uart8250,mmio,0xff5e0000 nomca " \
        "lpj=100000 swiotlb=64 loglevel=8" in out
    tlb = [ln for ln in err if ln.startswith("pvcc-sim: interruption Alternate Data TLB:")]
    assert tlb and all(" iip=0x" in ln and " ifa=0x" in ln and " isr=0x" in ln for ln in tlb)
    stats = dict(line[len("pvcc-sim: "):].rsplit(": ", 1) for line in err[:-1]
                 if line.count(": ") >= 2 and "interruption " not in line)
    assert 2_400_000 <= int(stats["instructions"]) <= 2_500_100
    assert int(stats["firmware EFI SetVirtualAddressMap"]) == 1
    assert int(stats["firmware PAL_VM_SUMMARY"]) >= 1
    assert int(stats["tlb: itr.i"]) >= 1 and int(stats["tlb: ptc.e"]) == 1
    assert int(stats["interruptions: Alternate Data TLB"]) == len(tlb)


def test_not_ia64(tmp_path, capfd):
    bad = tmp_path / "vmlinux"
    bad.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(44))
    status, out, err = boot(capfd, bad)
    assert status == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("pvcc-sim: error: ")


def test_not_elf(tmp_path, capfd):
    bad = tmp_path / "vmlinux"
    bad.write_text("not a kernel\n")
    status, _, err = boot(capfd, bad)
    assert status == 2 and len(err) == 1 and err[0].startswith("pvcc-sim: error: ")


def test_missing_file(tmp_path, capfd):
    status, _, err = boot(capfd, tmp_path / "nothing")
    assert status == 2 and len(err) == 1 and "nothing" in err[0]


@needs_kernel
def test_truncated(tmp_path, capfd):
    cut = tmp_path / "vmlinux"
    cut.write_bytes(PLAIN.read_bytes()[:200_000])
    status, _, err = boot(capfd, cut)
    assert status == 2 and len(err) == 1 and "truncated" in err[0]


@needs_kernel
def test_initrd_that_does_not_fit(tmp_path, capfd):
    rd = tmp_path / "initrd.cpio"
    with open(rd, "wb") as f:
        f.truncate(80 << 20)
    status, _, err = boot(capfd, "--mem", 80, "--initrd", rd, PLAIN)
    assert status == 2 and len(err) == 1 and err[0].startswith("pvcc-sim: error: ")


def test_bad_mem(tmp_path, capfd):
    status, _, err = boot(capfd, "--mem", 7, tmp_path / "vmlinux")
    assert status == 2 and len(err) == 1 and err[0].startswith("pvcc-sim: error: ")


def test_the_panic_line_ends_the_run():
    """The console ends the run at the end of the kernel's panic line (the
    whole boot with rdinit=/nonexistent is in kernel/build.sh simboot)."""
    import io
    out = io.BytesIO()
    con = Console(out)
    con.write(b"Run /init as init process\n")
    con.write(b"Kernel panic - not syncing: Requested init /x failed (error -2).")
    with pytest.raises(KernelPanic) as e:
        con.write(b"\n")
    assert e.value.status == EXIT_PANIC
    assert e.value.line.startswith("Kernel panic - not syncing: Requested init")
    assert out.getvalue().endswith(b"(error -2).\n")


# -- the fifth way: the pass-through hypervisor ---------------------------------------

def _simboot():
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))
    import simboot
    return simboot


def test_simboot_ways_include_the_pass_through_hypervisor(tmp_path):
    """kernel/build.sh simboot boots five ways, the unwind test and the panic: the
    fifth is the light paravirt kernel with the machine's pass-through hypervisor."""
    simboot = _simboot()
    assert simboot.WAYS == ("plain", "paravirt", "noreplace", "paravirt-c", "passthru",
                            "unwind", "unwind-c", "panic")
    assert simboot.vmlinux_of(tmp_path, "passthru") == tmp_path / "paravirt/vmlinux"
    assert simboot.append_of("passthru") == ["--hypervisor", "passthru"]
    assert simboot.vmlinux_of(tmp_path, "unwind") == tmp_path / "paravirt/vmlinux"
    assert simboot.vmlinux_of(tmp_path, "unwind-c") == tmp_path / "paravirt-c/vmlinux"
    assert simboot.append_of("unwind") == simboot.append_of("unwind-c") == [
        "--append", "pvcc_unwind_test"]


# -- the way unwind: a backtrace through a light site ---------------------------------

# The console of kernel/simboot.py --ways unwind: the sim configuration's light
# paravirt kernel (CONFIG_PVCC_UNWIND_TEST) booted with pvcc_unwind_test; pvcc-check
# counted 3819 sites in that vmlinux.
UNWIND_CONSOLE = Path(__file__).parent / "data/simboot/unwind.console"
UNWIND_SITES = 3819


def test_unwind_console_passes_through_the_site():
    """The real console: one Call Trace, the C implementation, its thunk, the
    function holding the site and the initcall one after the other."""
    simboot = _simboot()
    lines = UNWIND_CONSOLE.read_text().splitlines()
    [trace] = simboot.call_traces(lines)
    assert trace[:4] == ["show_stack.part.0", "show_stack", "dump_stack_lvl", "dump_stack"]
    assert trace[4:8] == list(simboot.UNWIND_FRAMES["unwind"])
    assert trace[8:] == ["do_one_initcall", "kernel_init_freeable", "kernel_init", "call_payload"]
    assert simboot.check_unwind("unwind", lines, UNWIND_SITES) == []
    # the only Call Trace any way accepts, and only in the unwind ways
    bad = [ln for ln in lines if simboot.BAD.search(ln)]
    assert bad == ["Call Trace:"]


def test_unwind_c_console_calls_the_implementation_directly():
    """The paravirt-c kernel's console (3868 sites): C-call sites go to the C
    function itself, so no thunk is between it and the site's caller."""
    simboot = _simboot()
    lines = (UNWIND_CONSOLE.parent / "unwind-c.console").read_text().splitlines()
    [trace] = simboot.call_traces(lines)
    assert trace[4:7] == list(simboot.UNWIND_FRAMES["unwind-c"])
    assert not any(f.startswith("__pvcc_light_") for f in trace)
    assert simboot.check_unwind("unwind-c", lines, 3868) == []
    assert len(simboot.check_unwind("unwind", lines, 3868)) == 1


def test_unwind_console_without_dump_stack():
    """What the console comparison with the plain kernel leaves out: dump_stack()'s
    "CPU:" line, the blank line, "Call Trace:" and the 12 frames with their sp lines."""
    simboot = _simboot()
    lines = UNWIND_CONSOLE.read_text().splitlines()
    rest = simboot.without_dump_stack(lines)
    assert len(rest) == len(lines) - 3 - 2 * 12
    assert not any(simboot.DUMP_HEAD.match(ln) or ln == "Call Trace:" or "sp=" in ln
                   or simboot.FRAME.match(ln) for ln in rest)
    i = lines.index("Call Trace:")
    assert rest[i - 2:i] == [lines[i + 25], lines[i + 26]]   # the test's line, then Freeing
    assert simboot.without_dump_stack(rest) == rest


def test_unwind_check_refuses_a_trace_that_stops_or_skips():
    """A backtrace that stops in the thunk, skips it, or has no trace at all, a
    patcher line whose counts do not add up, or a missing verdict fail the way."""
    simboot = _simboot()
    lines = UNWIND_CONSOLE.read_text().splitlines()
    i = lines.index("Call Trace:")
    thunk = next(j for j in range(i, len(lines)) if "__pvcc_light_" in lines[j])
    stops = lines[:thunk + 2] + lines[i + 25:]          # the unwinder gave up after the thunk
    [problem] = simboot.check_unwind("unwind", stops, UNWIND_SITES)
    assert problem.startswith("the Call Trace does not hold pvcc_unwind_test_get_cpuid > "
                              "__pvcc_light_pvcc_unwind_test_get_cpuid > pvcc_unwind_test_site")
    skips = lines[:thunk] + lines[thunk + 2:]
    assert len(simboot.check_unwind("unwind", skips, UNWIND_SITES)) == 1
    assert simboot.check_unwind("unwind-c", skips, UNWIND_SITES) == []
    assert simboot.check_unwind("unwind", lines[:i] + lines[i + 25:], UNWIND_SITES) == [
        "0 Call Traces on the console, expected 1"]
    assert simboot.check_unwind("unwind", lines + lines[i - 2:i + 25], UNWIND_SITES) == [
        "2 Call Traces on the console, expected 1"]
    [problem] = simboot.check_unwind("unwind", lines, UNWIND_SITES + 1)
    assert problem.startswith("no patcher line 'pvcc: 0 sites native, R retargeted, K kept")
    quiet = [ln for ln in lines if not ln.startswith(simboot.UNWIND_OK)]
    [problem] = simboot.check_unwind("unwind", quiet, UNWIND_SITES)
    assert problem.startswith("no console line 'pvcc: unwind test: the get_cpuid site")


def test_stats_of_the_pass_through_hypervisor_and_the_paths():
    """What print_stats writes for the fifth way is what simboot checks and
    reads: hypercalls per type, per-path medians; a console without the
    kernel's registration line, or a run without hypercalls, is a failure."""
    import io

    from pvcc import catalog
    from pvcc.sim import hypercalls as hc
    from pvcc.sim.platform.machine.passthru import PassThrough
    from pvcc.sim.platform.machine.run import BootResult, print_stats

    simboot = _simboot()
    hv = PassThrough()
    hv.counts[catalog.type_name(catalog.BY_NAME["rsm_i"].type_id)] += 3
    hv.counts[catalog.type_name(catalog.BY_NAME["ssm_i"].type_id)] += 2
    r = BootResult(status=0, counters={"instructions": 100, "instruction groups": 40},
                   hypervisor=hv.stats_lines(),
                   paths={"getpid syscall": (200, 465, 131, 90), "timer interrupt": (9, 3441, 1324, 700)})
    err = io.StringIO()
    print_stats(r, err)
    st = simboot.stats_of(err.getvalue())
    assert st["pass-through hypercalls"] == "5"
    assert st["pass-through hypercalls: rsm_i"] == "3" and st["pass-through hypercalls: ssm_i"] == "2"
    assert simboot.path(st, "getpid syscall") == (465, 131)
    assert simboot.path_cost(st, "timer interrupt") == "3441/1324"
    registered = ("pvcc: pass-through hypervisor PVCCHYPV revision 1 at 0x1000: "
                  f"{len(hc.PASSTHRU)} implementations registered (hypercalls break 0x1-0x2)")
    assert simboot.check_passthru([registered], err.getvalue()) == []
    assert "no console line" in simboot.check_passthru([], err.getvalue())[0]
    none = io.StringIO()
    print_stats(BootResult(status=0, counters={"instructions": 1}, hypervisor=PassThrough().stats_lines()),
                none)
    assert "not counted per type" in simboot.check_passthru([registered], none.getvalue())[0]


def test_unknown_hypervisor_is_one_line(tmp_path):
    from pvcc.sim.platform.machine.errors import MachineError
    from pvcc.sim.platform.machine.run import Boot

    with pytest.raises(MachineError) as e:
        Boot(str(tmp_path / "vmlinux"), hypervisor="xen")
    assert e.value.msg == "unknown hypervisor 'xen' (passthru)"


@needs_kernel
def test_boot_with_the_pass_through_hypervisor_to_the_banner(capfd):
    """--hypervisor passthru: the machine announces the hypervisor and the
    hypervisor is the system's platform (its hypercalls are served before a
    Break Instruction interruption); a plain kernel ignores the table and boots
    as without it."""
    from pvcc.sim.platform.machine.run import Boot

    b = Boot(str(PLAIN), hypervisor="passthru")
    assert b.machine.firmware.announce_pvcc
    assert b.system.platform is b.passthru and b.passthru.ex is b.board.ex
    status, out, err = boot(capfd, "--hypervisor", "passthru", "--max-insns", 2_500_000,
                            "--stats", PLAIN)
    assert status == 124 and out.startswith("Linux version 6.1.")
    assert "pvcc-sim: pass-through hypercalls: 0" in err


def test_the_patcher_figure_ends_at_the_patchers_own_line():
    """--stats' "boot patcher" counts up to kernel/pvcc_boot.c's own line, not
    the pass-through hypervisor's or the unwind test's line printed before it."""
    from pvcc.sim.platform.machine.run import PATCHER_LINE

    for line in (b"pvcc: 3819 sites native, 0 retargeted, 0 kept, 0 refused",
                 b"pvcc: 0 sites native, 3819 retargeted, 0 kept, 0 refused",
                 b"pvcc: noreplace-paravirt: 3819 sites keep their calls"):
        assert PATCHER_LINE.match(line), line
    for line in ((b"pvcc: pass-through hypervisor PVCCHYPV revision 1 at 0x110600: "
                  b"80 implementations registered (hypercalls break 0x1c0020-0x1c002e)"),
                 (b"pvcc: unwind test: get_cpuid's sites go to pvcc_unwind_test_get_cpuid(); "
                  b"the other types have no implementation here and keep their calls")):
        assert not PATCHER_LINE.match(line), line
