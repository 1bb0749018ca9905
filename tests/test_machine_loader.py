"""The machine's boot loader on real IA-64 ELF files made by the cross
binutils: a vmlinux-like image linked like arch/ia64/kernel/vmlinux.lds.S
(region-5 VMAs, physical LMAs at 64 MiB, a per-CPU segment whose VMA is
0xfffffffffffc0000, .bss), loaded and checked byte for byte; the boot
parameter block, command line, memory map and initrd as the kernel reads
them; and bad input."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pytest

from asmtools import AS, LD, assemble, needs_binutils
from pvcc.sim.platform.machine import Machine, MachineError, firmware, layout
from pvcc.sim.platform.machine.loader import BOOT_PARAM, COMMAND_LINE, MEMORY_MAP, BootParam

pytestmark = needs_binutils

KERNEL_SRC = """
	.text
	.global _start
	.proc _start
_start:
	movl r2 = kdata
	;;
	ld8 r3 = [r2]
	br.cond.sptk.many _start
	;;
	.endp _start

	.section .data..percpu,"aw"
	.global percpu_word
percpu_word:
	data8 0x1122334455667788

	.data
	.global kdata
kdata:
	data8 0xdeadbeefcafef00d
	.ascii "pvcc-machine-test"

	.bss
	.global kbss
kbss:
	.skip 0x3000
"""

# {region}: added to every LMA, to see the loader strip region bits from p_paddr.
LDS = """
OUTPUT_FORMAT("elf64-ia64-little")
OUTPUT_ARCH(ia64)
ENTRY(phys_start)
LOAD_OFFSET = 0xa000000100000000 - {lma:#x} - {region:#x};
PHDRS {{
  text PT_LOAD;
  percpu PT_LOAD;
  data PT_LOAD;
}}
SECTIONS {{
  . = 0xa000000100000000;
  phys_start = _start - LOAD_OFFSET;
  .text : AT(ADDR(.text) - LOAD_OFFSET) {{ *(.text) }} :text
  . = ALIGN(0x10000);
  __phys_per_cpu_start = .;
  .data..percpu 0xfffffffffffc0000 : AT(__phys_per_cpu_start - LOAD_OFFSET)
    {{ *(.data..percpu) }} :percpu
  . = __phys_per_cpu_start + 0x10000;
  .data : AT(ADDR(.data) - LOAD_OFFSET) {{ *(.data) }} :data
  .bss : AT(ADDR(.bss) - LOAD_OFFSET) {{ *(.bss) }} :data
  /DISCARD/ : {{ *(.IA_64.unwind*) *(.comment) }}
}}
"""


def build_vmlinux(tmp_path: Path, lma: int = 0x4000000, region: int = 0) -> Path:
    obj = assemble(tmp_path, KERNEL_SRC, name="kernel", flags=())
    lds = tmp_path / f"k-{lma:x}-{region:x}.lds"
    lds.write_text(LDS.format(lma=lma, region=region))
    out = tmp_path / f"vmlinux-{lma:x}-{region:x}"
    subprocess.run([LD, "-static", "-T", str(lds), str(obj), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


@pytest.fixture(scope="module")
def vmlinux(tmp_path_factory) -> Path:
    return build_vmlinux(tmp_path_factory.mktemp("vmlinux"))


def phdrs(path: Path) -> list[dict]:
    """PT_LOAD headers as the cross readelf shows them (independent of the loader)."""
    readelf = shutil.which("ia64-linux-gnu-readelf")
    out = subprocess.run([readelf, "-lW", str(path)], check=True, capture_output=True,
                         text=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append({"offset": int(f[1], 16), "vaddr": int(f[2], 16),
                         "paddr": int(f[3], 16), "filesz": int(f[4], 16),
                         "memsz": int(f[5], 16)})
    return segs


def test_the_test_image_is_shaped_like_a_vmlinux(vmlinux):
    segs = phdrs(vmlinux)
    assert [s["vaddr"] for s in segs] == [0xA000000100000000, 0xFFFFFFFFFFFC0000,
                                          0xA000000100020000]
    assert [s["paddr"] for s in segs] == [0x4000000, 0x4010000, 0x4020000]
    assert segs[2]["memsz"] > segs[2]["filesz"]            # .bss


def test_boot_loads_every_segment_at_its_physical_address(vmlinux):
    m = Machine(128)
    st = m.boot(str(vmlinux))
    data = vmlinux.read_bytes()
    for s in phdrs(vmlinux):
        assert m.memory.read(s["paddr"], s["filesz"]) == \
            data[s["offset"]:s["offset"] + s["filesz"]]
        tail = s["memsz"] - s["filesz"]
        assert m.memory.read(s["paddr"] + s["filesz"], tail) == bytes(tail)
    assert m.memory.read(0x4010000, 8) == (0x1122334455667788).to_bytes(8, "little")
    assert m.memory.read(0x4020000, 8) == (0xDEADBEEFCAFEF00D).to_bytes(8, "little")
    assert st.ip == 0x4000000                               # phys_start
    assert st.r28 == BOOT_PARAM and st.ar_k0 == layout.IO_BASE
    assert st.psr == 1 << 44                                # bn; it/dt/rt/ic/i 0, cpl 0
    assert (st.cfm, st.ar_rsc) == (0, 0)


def test_region_bits_in_p_paddr_are_stripped(tmp_path):
    path = build_vmlinux(tmp_path, region=5 << 61)
    assert phdrs(path)[0]["paddr"] == 0xA000000004000000
    m = Machine(128)
    st = m.boot(str(path))
    assert st.ip == 0x4000000
    assert m.memory.read(0x4020000, 8) == (0xDEADBEEFCAFEF00D).to_bytes(8, "little")


def test_another_64mib_aligned_address(tmp_path):
    m = Machine(256)
    st = m.boot(str(build_vmlinux(tmp_path, lma=0x8000000)))
    assert st.ip == 0x8000000
    assert m.kernel.start == 0x8000000


def read_bp(m: Machine) -> BootParam:
    return BootParam.from_buffer_copy(m.memory.read(BOOT_PARAM, ctypes.sizeof(BootParam)))


def cstring(m: Machine, addr: int) -> str:
    return m.memory.read(addr, 2048).split(b"\0")[0].decode()


def test_boot_parameter_block(vmlinux, tmp_path):
    rd = tmp_path / "initrd.cpio"
    rd.write_bytes(b"070701" + bytes(range(256)) * 40)
    m = Machine(128)
    m.boot(str(vmlinux), initrd=str(rd), append="loglevel=8 init=/init")
    bp = read_bp(m)
    assert bp.command_line == COMMAND_LINE
    assert cstring(m, bp.command_line) == (
        "console=ttyS0 earlycon=uart8250,mmio,0xff5e0000 nomca lpj=100000 "
        "swiotlb=64 loglevel=8 init=/init")
    assert bp.efi_systab == firmware.SYSTAB
    assert m.memory.read(bp.efi_systab, 8) == (0x5453595320494249).to_bytes(8, "little")
    assert (bp.efi_memmap, bp.efi_memdesc_size, bp.efi_memdesc_version) == (MEMORY_MAP, 48, 1)
    descs = layout.decode_map(m.memory.read(bp.efi_memmap, bp.efi_memmap_size))
    assert len(descs) == len(m.memory_map) and bp.efi_memmap_size == 48 * len(descs)
    assert bp.fpswa == 0
    assert (bp.console_info.num_cols, bp.console_info.num_rows) == (80, 25)
    # The initrd: WB memory the kernel's map calls loader data, above the image.
    assert bp.initrd_size == rd.stat().st_size
    assert m.memory.read(bp.initrd_start, bp.initrd_size) == rd.read_bytes()
    assert bp.initrd_start % 0x10000 == 0 and bp.initrd_start >= m.kernel.end
    assert bp.initrd_start + bp.initrd_size <= 128 << 20
    holder = [d for d in descs
              if d.phys_addr <= bp.initrd_start < d.phys_addr + d.num_pages * 4096]
    assert [d.type for d in holder] == [layout.EFI_LOADER_DATA]
    # Everything the kernel reserves lies in memory it uses (loader data),
    # none of it where its own descriptor array goes.
    home = layout.kernel_memdesc_home(descs)
    usable = layout.kernel_usable_memory(descs)
    for lo, n in ((BOOT_PARAM, 80), (bp.efi_memmap, bp.efi_memmap_size),
                  (bp.command_line, 2048), (m.kernel.start, m.kernel.end - m.kernel.start),
                  (bp.initrd_start, bp.initrd_size)):
        assert any(a <= lo and lo + n <= b for a, b in usable), hex(lo)
        assert not lo <= home < lo + n
    # The image is in a loader-data descriptor too.
    k = [d for d in descs if d.phys_addr == 0x4000000]
    assert k and k[0].type == layout.EFI_LOADER_DATA


def test_default_command_line_and_explicit_one(vmlinux):
    m = Machine(128, uart_resource="io")
    m.boot(str(vmlinux), cmdline="console=ttyS0", append="quiet")
    assert cstring(m, COMMAND_LINE) == "console=ttyS0 quiet"
    assert "earlycon=uart8250,io,0x3f8" in Machine(128, uart_resource="io").default_cmdline()


def one_line_error(fn, *args, **kw) -> str:
    with pytest.raises(MachineError) as e:
        fn(*args, **kw)
    assert "\n" not in e.value.msg and e.value.status == 2
    return e.value.msg


def test_not_ia64(tmp_path):
    host = Path(shutil.which("true") or "/bin/true")
    msg = one_line_error(Machine(128).boot, str(host))
    assert msg.startswith(f"{host}: not an IA-64 kernel: ELF for machine") and \
        "expected IA-64" in msg


def test_not_elf_and_truncated(tmp_path, vmlinux):
    junk = tmp_path / "junk"
    junk.write_bytes(b"#!/bin/sh\necho not a kernel\n")
    assert one_line_error(Machine(128).boot, str(junk)).endswith("not an ELF file")
    data = vmlinux.read_bytes()
    short = tmp_path / "short"
    short.write_bytes(data[:40])
    assert "truncated ELF file" in one_line_error(Machine(128).boot, str(short))
    cut = tmp_path / "cut"
    cut.write_bytes(data[:phdrs(vmlinux)[2]["offset"] + 4])
    assert "truncated ELF file (segment 2" in one_line_error(Machine(128).boot, str(cut))
    assert "No such file" in one_line_error(Machine(128).boot, str(tmp_path / "none"))


def test_object_file_is_not_a_kernel(tmp_path):
    obj = assemble(tmp_path, KERNEL_SRC, name="obj", flags=())
    assert "ELF type 1, a vmlinux is ET_EXEC" in one_line_error(Machine(128).boot, str(obj))


def test_initrd_that_does_not_fit(tmp_path, vmlinux):
    big = tmp_path / "big.cpio"
    with open(big, "wb") as f:
        f.truncate(60 << 20)                   # 80 MiB of RAM, kernel at 64 MiB
    msg = one_line_error(Machine(80).boot, str(vmlinux), initrd=str(big))
    assert msg.startswith(f"{big}: the initrd (62914560 bytes) does not fit in RAM")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert "empty initrd" in one_line_error(Machine(128).boot, str(vmlinux), initrd=str(empty))


def test_image_outside_ram_or_the_tr_page(tmp_path):
    path = build_vmlinux(tmp_path, lma=0x8000000)
    assert "beyond the 128 MiB of RAM" in one_line_error(Machine(128).boot, str(path))
    path = build_vmlinux(tmp_path, lma=0x4000000 - 0x10000)   # straddles a 64 MiB boundary
    assert "does not fit the 64 MiB page" in one_line_error(Machine(256).boot, str(path))


def test_command_line_limits(vmlinux):
    assert "at most 2047" in one_line_error(Machine(128).boot, str(vmlinux),
                                            append="x" * 2100)


def test_toolchain_is_the_cross_one():
    assert AS and LD and "ia64" in Path(AS).name


def run_module(*args: str) -> subprocess.CompletedProcess:
    import os
    import sys

    import pvcc
    env = dict(os.environ, PYTHONPATH=str(Path(pvcc.__file__).parent.parent))
    return subprocess.run([sys.executable, "-m", "pvcc.sim.platform.machine", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_module_command_shows_the_machine(vmlinux, tmp_path):
    r = run_module(str(vmlinux), "--mem", "128", "--append", "loglevel=8",
                   "--dump-acpi", str(tmp_path / "acpi"))
    assert r.returncode == 0, r.stderr
    assert "entry: ip=0x4000000 psr=0x100000000000 r28=0x130000 ar.k0=0xffffc000000" in r.stdout
    assert "command line: console=ttyS0 earlycon=uart8250,mmio,0xff5e0000 nomca lpj=100000 " \
           "swiotlb=64 loglevel=8" in r.stdout
    assert sorted(p.name for p in (tmp_path / "acpi").iterdir()) == [
        "apic.dat", "dsdt.dat", "facp.dat", "rsdp.dat", "xsdt.dat"]


@pytest.mark.parametrize("args, message", [
    (["/bin/true"], "not an IA-64 kernel: ELF for machine"),
    (["{vmlinux}", "--mem", "100"], "--mem 100: RAM must be a multiple"),
    (["{vmlinux}", "--mem", "80", "--initrd", "{big}"], "does not fit in RAM above the kernel"),
    (["{short}"], "truncated ELF file"),
])
def test_module_command_bad_input_is_one_line(vmlinux, tmp_path, args, message):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(20 << 20)
    short = tmp_path / "short"
    short.write_bytes(vmlinux.read_bytes()[:100])
    r = run_module(*(a.format(vmlinux=vmlinux, big=big, short=short) for a in args))
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pvcc-machine: error: ") and message in lines[0]


def test_boot_into_the_cpus_memory(vmlinux):
    """The CPU's own memory (pvcc.sim.cpu.memory.Memory, written with
    write_bytes) as the machine's physical memory."""
    from pvcc.sim.cpu.memory import Memory
    cpu_mem = Memory()
    cpu_mem.map(0, 128 << 20, "RAM")
    m = Machine(128, memory=cpu_mem)
    st = m.boot(str(vmlinux))
    assert cpu_mem.read_bytes(0x4020000, 8) == (0xDEADBEEFCAFEF00D).to_bytes(8, "little")
    assert cpu_mem.read_bytes(st.r28, 8) == COMMAND_LINE.to_bytes(8, "little")
    assert cpu_mem.read_bytes(firmware.SYSTAB, 8) == b"IBI SYST"
    names = [r[2] for r in m.device_ranges()]
    assert names == ["I/O SAPIC", "16550 UART", "legacy I/O port space"]


def built_sim_kernels() -> list[Path]:
    import os
    work = Path(os.environ.get("PVCC_KERNEL_WORK", Path.home() / ".cache/pvcc/kernel"))
    return sorted(work.glob("sim/*/vmlinux"))


@pytest.mark.skipif(not built_sim_kernels(),
                    reason="no sim kernel built yet (PVCC_KERNEL_CONFIG=sim bash kernel/build.sh)")
@pytest.mark.parametrize("path", built_sim_kernels(), ids=lambda p: p.parent.name)
def test_a_built_sim_kernel(path):
    """A real vmlinux of kernel/build.sh's sim configuration: every PT_LOAD at
    its p_paddr (first and last 4 KiB compared), .bss zeroed, the entry at the
    physical address of _start."""
    from pvcc.objects import open_object
    start = next(f.addr for f in open_object(str(path)).functions if f.name == "_start")
    m = Machine(128)
    st = m.boot(str(path))
    data = path.read_bytes()
    for s in phdrs(path):
        for off in {0, max(0, s["filesz"] - 4096)}:
            n = min(4096, s["filesz"] - off)
            assert m.memory.read(s["paddr"] + off, n) == \
                data[s["offset"] + off:s["offset"] + off + n]
        tail = min(s["memsz"] - s["filesz"], 4096)
        assert m.memory.read(s["paddr"] + s["filesz"], tail) == bytes(tail)
    assert st.ip == start - (0xA000000100000000 - 0x4000000)
    assert m.kernel.start == 0x4000000
