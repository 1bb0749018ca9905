"""The boot loader: a vmlinux into RAM, the boot parameter block, the entry state.

A vmlinux (ELF64, EM_IA_64, ET_EXEC) links at region 5 but its program
headers carry physical load addresses: every PT_LOAD is copied to
``p_paddr & ~(7 << 61)`` and its ``memsz - filesz`` tail zeroed (the per-CPU
segment's p_vaddr is 0xfffffffffffc0000 while its p_paddr lies inside the
image; arch/ia64/kernel/vmlinux.lds.S).  ``e_entry`` is ``phys_start``, a
physical address.  The image must sit in one 64 MiB-aligned 64 MiB window,
the page head.S maps with TR0, above the firmware and inside RAM.

The boot parameter block (struct ia64_boot_param,
arch/ia64/include/uapi/asm/setup.h, 80 bytes) holds only physical
addresses; the kernel reserves the block, the memory map, the command line
and the initrd before it allocates anything (setup.c ``reserve_memory``).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from ....elf import EHDR, ET_EXEC, PHDR, PT_LOAD, Layout
from ....objects import identity_problem
from .errors import MachineError
from .layout import (
    BOOT_DATA_BASE,
    EFI_MEMORY_DESCRIPTOR_VERSION,
    FW_END,
    KERNEL_ALIGN,
    MEMDESC_SIZE,
    MIB,
)

REGION_MASK = ~(7 << 61) & ((1 << 64) - 1)
COMMAND_LINE_SIZE = 2048          # arch/ia64/include/uapi/asm/setup.h, with the NUL

BOOT_PARAM = BOOT_DATA_BASE
COMMAND_LINE = BOOT_DATA_BASE + 0x100
MEMORY_MAP = BOOT_DATA_BASE + 0x1000
INITRD_ALIGN = 0x10000

PSR_BN = 1 << 44


class ConsoleInfo(ctypes.LittleEndianStructure):
    _fields_ = [("num_cols", ctypes.c_uint16), ("num_rows", ctypes.c_uint16),
                ("orig_x", ctypes.c_uint16), ("orig_y", ctypes.c_uint16)]


class BootParam(ctypes.LittleEndianStructure):
    """struct ia64_boot_param with C's alignment (4 bytes of padding after
    console_info), 80 bytes."""
    _fields_ = [
        ("command_line", ctypes.c_uint64),
        ("efi_systab", ctypes.c_uint64),
        ("efi_memmap", ctypes.c_uint64),
        ("efi_memmap_size", ctypes.c_uint64),
        ("efi_memdesc_size", ctypes.c_uint64),
        ("efi_memdesc_version", ctypes.c_uint32),
        ("console_info", ConsoleInfo),
        ("fpswa", ctypes.c_uint64),
        ("initrd_start", ctypes.c_uint64),
        ("initrd_size", ctypes.c_uint64),
    ]


assert ctypes.sizeof(BootParam) == 80
assert (BootParam.efi_memdesc_version.offset, BootParam.console_info.offset,
        BootParam.fpswa.offset, BootParam.initrd_start.offset) == (40, 44, 56, 64)


@dataclass(frozen=True)
class Segment:
    paddr: int
    vaddr: int
    data: bytes
    memsz: int


@dataclass(frozen=True)
class KernelImage:
    path: str
    entry: int                   # physical
    segments: tuple[Segment, ...]

    @property
    def start(self) -> int:
        return min(s.paddr for s in self.segments)

    @property
    def end(self) -> int:
        return max(s.paddr + s.memsz for s in self.segments)


@dataclass(frozen=True)
class EntryState:
    """The CPU state at the kernel's ``_start`` (arch/ia64/kernel/head.S):
    physical mode (psr.it/dt/rt = 0), cpl 0, psr.ic = psr.i = 0, register
    bank 1, an empty frame (CFM 0) with nothing dirty in the register stack,
    the RSE in enforced-lazy mode; r28 = the boot parameter block; ar.k0 =
    the legacy I/O base (the kernel takes it from the memory map first).
    Other registers are not used by the kernel."""
    ip: int
    psr: int
    r28: int
    ar_k0: int
    ar_rsc: int = 0
    ar_bspstore: int = FW_END
    cfm: int = 0
    cr_lid: int = 0


def _hdr(layout: Layout, data: bytes, off: int, what: str, path: str):
    if off < 0 or off + layout.size > len(data):
        raise MachineError(f"{path}: truncated ELF file ({what} at offset {off:#x} "
                           "is past the end)")
    return layout.unpack_from(data, off)


def parse_vmlinux(path: str, data: bytes) -> KernelImage:
    """The loadable image of a vmlinux; MachineError (one line) when it is not one."""
    problem = identity_problem(data[:64])
    if problem:
        raise MachineError(f"{path}: not an IA-64 kernel: {problem}")
    eh = _hdr(EHDR, data, 0, "ELF header", path)
    if eh.e_type != ET_EXEC:
        raise MachineError(f"{path}: not an IA-64 kernel: ELF type {eh.e_type}, "
                           "a vmlinux is ET_EXEC")
    if eh.e_phnum and eh.e_phentsize != PHDR.size:
        raise MachineError(f"{path}: malformed ELF file (program header size "
                           f"{eh.e_phentsize}, expected {PHDR.size})")
    segs = []
    for k in range(eh.e_phnum):
        ph = _hdr(PHDR, data, eh.e_phoff + k * eh.e_phentsize, "program header", path)
        if ph.p_type != PT_LOAD:
            continue
        if ph.p_offset + ph.p_filesz > len(data):
            raise MachineError(f"{path}: truncated ELF file (segment {k} ends at "
                               f"{ph.p_offset + ph.p_filesz:#x}, the file at {len(data):#x})")
        if ph.p_filesz > ph.p_memsz:
            raise MachineError(f"{path}: malformed ELF file (segment {k} has more file "
                               "bytes than memory bytes)")
        segs.append(Segment(ph.p_paddr & REGION_MASK, ph.p_vaddr,
                            data[ph.p_offset:ph.p_offset + ph.p_filesz], ph.p_memsz))
    if not segs:
        raise MachineError(f"{path}: no loadable segment")
    img = KernelImage(path, eh.e_entry & REGION_MASK, tuple(segs))
    if not any(s.paddr <= img.entry < s.paddr + s.memsz for s in segs):
        raise MachineError(f"{path}: entry point {img.entry:#x} (physical) is in no "
                           "loadable segment")
    return img


def read_vmlinux(path: str) -> KernelImage:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise MachineError(f"{path}: {e.strerror or e}") from None
    return parse_vmlinux(path, data)


def check_placement(img: KernelImage, mem: int) -> None:
    base = img.entry & ~(KERNEL_ALIGN - 1)
    if img.start < base or img.end > base + KERNEL_ALIGN:
        raise MachineError(f"{img.path}: the image [{img.start:#x}, {img.end:#x}) does not "
                           f"fit the 64 MiB page at {base:#x} that the kernel maps with TR0")
    if img.start < FW_END:
        raise MachineError(f"{img.path}: the image starts at {img.start:#x}, inside the "
                           f"firmware's first {FW_END:#x} bytes")
    if img.end > mem:
        raise MachineError(f"{img.path}: the image ends at {img.end:#x}, beyond the "
                           f"{mem // MIB} MiB of RAM (--mem)")


def initrd_place(size: int, kernel_end: int, mem: int, path: str = "initrd") -> int:
    """Where the initrd goes: the top of RAM, 64 KiB-aligned, above the kernel."""
    start = (mem - size) // INITRD_ALIGN * INITRD_ALIGN
    if size > mem or start < kernel_end:
        raise MachineError(f"{path}: the initrd ({size} bytes) does not fit in RAM above "
                           f"the kernel ({(mem - kernel_end) // MIB} MiB free of "
                           f"{mem // MIB} MiB; --mem)")
    return start


def check_cmdline(cmdline: str) -> bytes:
    b = cmdline.encode()
    if b"\0" in b:
        raise MachineError("command line: contains a NUL byte")
    if len(b) >= COMMAND_LINE_SIZE:
        raise MachineError(f"command line: {len(b)} bytes, the kernel takes at most "
                           f"{COMMAND_LINE_SIZE - 1}")
    return b + b"\0"


def boot_param(systab: int, memmap_size: int, initrd: tuple[int, int] | None) -> bytes:
    bp = BootParam(command_line=COMMAND_LINE, efi_systab=systab, efi_memmap=MEMORY_MAP,
                   efi_memmap_size=memmap_size, efi_memdesc_size=MEMDESC_SIZE,
                   efi_memdesc_version=EFI_MEMORY_DESCRIPTOR_VERSION,
                   console_info=ConsoleInfo(80, 25, 0, 0), fpswa=0)
    if initrd is not None:
        bp.initrd_start, bp.initrd_size = initrd
    return bytes(bp)
