"""The smallest boot: tests/minikernel (a freestanding kernel of about 600
lines of C and assembly, compiled by the real cross GCC in a second) booted
by ``pvcc-sim boot`` on the machine, so that every run of the default suite,
on a fresh clone before any Linux is built, goes through the loader's entry
state, the firmware's three calling conventions, the UART, the switch to
virtual mode (region registers, translation registers, Alternate TLB misses
served by the kernel's own handlers with itc), the interval timer's External
Interrupts through its vector table, PAL_HALT_LIGHT's fast-forward and each
way a run ends.

What the minikernel prints it reads from the tables in the layouts Linux's
headers declare for EFI, SAL and ACPI (its structures are its own, written
from those declarations); the figures it is checked against come from
docs/machine.md's tables and the command's own options, not from the model's
code.  The Linux boots of the sim kernels are ``tox -e boot``."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from asmtools import LD, needs_binutils
from pvcc.sim import cli

pytestmark = needs_binutils
SRC = Path(__file__).parent / "minikernel"
CFLAGS = ("-O2", "-ffreestanding", "-fno-builtin", "-nostdlib", "-Wall", "-Wextra", "-Werror")


@pytest.fixture(scope="module")
def minikernel(gcc, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("minikernel")
    objs = []
    for src in ("head.S", "main.c"):
        obj = out / (Path(src).stem + ".o")
        subprocess.run([gcc, *CFLAGS, "-c", str(SRC / src), "-o", str(obj)],
                       check=True, capture_output=True, text=True)
        objs.append(str(obj))
    image = out / "minikernel"
    subprocess.run([LD, "-static", "-T", str(SRC / "minikernel.lds"), *objs, "-o", str(image)],
                   check=True, capture_output=True, text=True)
    return image


def boot(capfd, *args, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    status = cli.main(["boot", *map(str, args)])
    out, err = capfd.readouterr()
    return status, out.replace("\r\n", "\n"), err.splitlines()


def stats(err: list[str]) -> dict[str, str]:
    return dict(ln[len("pvcc-sim: "):].rsplit(": ", 1) for ln in err
                if ln.startswith("pvcc-sim: ") and ln.count(": ") >= 2)


def test_the_minikernel_boots_and_powers_off(minikernel, capfd):
    status, out, err = boot(capfd, "--stats", "--trace-interrupts", "--mem", 128,
                            "--max-insns", 1_000_000, minikernel)
    assert status == 0, err
    # docs/machine.md: the boot parameter block at 0x130000, the default command
    # line, EFI 1.10 by "pvcc-sim" with the SAL and ACPI 2.0 tables, RAM = --mem
    # all write-back, the RSDP at 0x120000 with FADT and MADT in the XSDT, SAL
    # 3.20 with PAL at 0x100000 and SAL at 0x100040 (gp 0x108000), SAL_FREQ_BASE
    # 100 MHz and a 1/10 ITC ratio, GetTime's epoch; then 100 Hz ticks of the
    # 10 MHz ITC at the vector the kernel gave cr.itv (Linux's timer vector)
    assert out == """\
minikernel: boot parameters at 0x130000
command line: console=ttyS0 earlycon=uart8250,mmio,0xff5e0000 nomca lpj=100000 swiotlb=64
efi: revision 1.10 by pvcc-sim, 2 configuration tables
memory: 11 descriptors, 128 MiB write-back
acpi: RSDP revision 2 at 0x120000, XSDT: FACP APIC
sal: revision 3.20, PAL at 0x100000, SAL at 0x100040 gp 0x108000
efi: GetTime 2026-01-01 00:00:00
freq: platform 100000000 Hz, ITC ratio 1/10, ITC 10000000 Hz
virtual: translation on; the image's 64 MiB page in itr/dtr 0, the rest by the miss handlers
timer: 3 ticks of 100000 at vector 0xef, the ITC moved past them
minikernel: powering off
"""
    s = stats(err)
    assert s["interruptions: External Interrupt"] == "3" and s["timer interrupts"] == "3"
    # virtual mode: the UART (bit 63: region 4, uncacheable) and the boot
    # parameter block missed in the data TLB, PAL's entry in the instruction
    # TLB; each served by one itc (the image itself is in the two TRs)
    assert s["interruptions: Alternate Data TLB"] == "2"
    assert s["interruptions: Alternate Instruction TLB"] == "1"
    assert s["interruptions"] == "6"
    assert (s["tlb: itr.i"], s["tlb: itr.d"], s["tlb: itc.i"], s["tlb: itc.d"]) == \
        ("1", "1", "1", "2")
    # SDM Vol. 2 Part I 8.3: cr.ifa is the faulting address; ISR.r (bit 34)
    # for a data read, ISR.x (bit 32) for an instruction fetch
    misses = [ln for ln in err if " TLB: iip=" in ln]

    def isr(line: str) -> int:
        return int(line.split(" isr=")[1].split()[0], 16)
    assert "interruption Alternate Data TLB: " in misses[0]
    assert " ifa=0x80000000ff5e0005 " in misses[0] and isr(misses[0]) >> 34 & 1   # LSR
    assert "interruption Alternate Instruction TLB: iip=0x100000 ifa=0x100000 " in misses[1]
    assert isr(misses[1]) == 1 << 32
    for call, n in (("EFI GetTime", 1), ("EFI ResetSystem", 1), ("PAL_FREQ_RATIOS", 1),
                    ("SAL_FREQ_BASE", 1), ("PAL_HALT_LIGHT", 3)):
        assert s[f"firmware {call}"] == str(n), call
    assert not [k for k in s if "unimplemented" in k]
    # three idle periods of 100,000 ITC cycles each, fast-forwarded by
    # PAL_HALT_LIGHT: far fewer instructions than the time that passed
    assert int(s["instructions"]) < 150_000
    assert int(s["per timer interrupt (median of 3): instructions"]) > 0


@pytest.mark.parametrize("word,status,last,message", [
    ("halt", 0, "minikernel: PAL_HALT", None),
    ("fail", 1, "minikernel: resetting with EFI_DEVICE_ERROR", None),
    # SDM Vol. 2 Part I 5.7: Break Instruction is the vector at offset 0x2c00;
    # cr.iim holds the immediate of the break
    ("break", 1, "minikernel: unexpected interruption 0x2c00 at ip=0x", None),
    ("panic", 3, "Kernel panic - not syncing: minikernel: asked to panic",
     "pvcc-sim: the kernel panicked"),
    ("loop", 124, "timer: 3 ticks of 100000 at vector 0xef, the ITC moved past them",
     "more than 1000000 instructions executed"),
    # docs/boot.md: a kernel idling with no timer armed is the model's error
    ("idle", 125, "timer: 3 ticks of 100000 at vector 0xef, the ITC moved past them",
     "the kernel idles (PAL_HALT_LIGHT, 10000 times in a row)"),
])
def test_each_way_a_run_ends(minikernel, capfd, word, status, last, message):
    got, out, err = boot(capfd, "--append", word, "--max-insns", 1_000_000, minikernel)
    assert got == status, (out, err)
    lines = out.splitlines()
    assert lines[-1].startswith(last)
    if word == "break":
        assert lines[-1].endswith(" iim=0x1234")
    if message is None:
        assert err == []
    else:
        assert len(err) == 1 and message in err[0]
    if word in ("loop", "idle"):
        assert err[0].startswith("pvcc-sim: error: ")
    if word == "halt":
        _, _, err = boot(capfd, "--append", word, "--stats", minikernel)
        assert stats(err)["firmware PAL_HALT"] == "1"


def test_the_uart_receives_stdin_and_the_initrd_is_where_the_block_says(
        minikernel, capfd, monkeypatch, tmp_path):
    initrd = tmp_path / "initrd.cpio"
    initrd.write_bytes(b"070701" + bytes(4090))
    status, out, err = boot(capfd, "--append", "echo", "--stdin", "--initrd", initrd,
                            "--mem", 128, minikernel, stdin=b"hello, machine\nmore\n",
                            monkeypatch=monkeypatch)
    assert status == 0, err
    lines = out.splitlines()
    # docs/machine.md: the initrd at the top of RAM, 64 KiB-aligned
    assert f"initrd: 4096 bytes at {128 * 2**20 - 0x10000:#x}, magic 070701" in lines
    assert lines[-2:] == ['uart: received "hello, machine"', "minikernel: powering off"]
    # without --stdin the line stays quiet
    status, out, _ = boot(capfd, "--append", "echo", minikernel)
    assert status == 0 and 'uart: received "" and then nothing' in out
