"""Physical memory layout of the machine and its EFI memory map.

RAM is one contiguous, write-back range [0, mem) with mem a multiple of the
kernel's 16 MiB granule (``IA64_GRANULE_SHIFT`` = 24: the kernel maps region 7
with granule-sized pages and only uses memory whose whole granule is WB, see
``efi_memmap_init`` in arch/ia64/kernel/efi.c), so nothing is trimmed.

    0x00000000  conventional        the kernel puts its own memory descriptors
                                    here (find_memmap_space takes the first
                                    granule-aligned available descriptor that
                                    is not LOADER_DATA)
    0x00100000  PAL_CODE    64 KiB  the firmware stubs (FIRMWARE_STUBS)
    0x00110000  RT data     64 KiB  EFI system table, runtime services, config
                                    tables, SAL system table, pvcc table
    0x00120000  ACPI        64 KiB  RSDP, XSDT, MADT, FADT, DSDT (ACPI reclaim)
    0x00130000  loader data 64 KiB  boot parameter block, command line, memory map
    0x00140000  conventional
    0x04000000  loader data         the kernel image (its PT_LOADs at p_paddr,
                                    64 MiB-aligned: the kernel's LMA)
    ...         conventional
    top - n     loader data         the initrd, if any, at the top of RAM
    IOSAPIC_BASE MMIO, UC   4 KiB   an I/O SAPIC (the UART's interrupt with uart_irq)
    UART_BASE   MMIO, UC    4 KiB   the 16550 (outside RAM)
    IO_BASE     I/O port space, UC  64 MiB: legacy ports, sparse (docs/machine.md)

The firmware areas are typed so that the kernel never takes them as memory
(PAL_CODE, RUNTIME_SERVICES_DATA, ACPI_RECLAIM_MEMORY); the loader's areas
are LOADER_DATA, which the kernel uses as memory but reserves piece by piece
(setup.c ``reserve_memory``) and never picks for its descriptor array.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from .errors import MachineError

MIB = 1 << 20
GRANULE_SHIFT = 24
GRANULE = 1 << GRANULE_SHIFT          # 16 MiB: IA64_GRANULE_SIZE of the kernel
KERNEL_ALIGN = 64 * MIB               # KERNEL_TR_PAGE_SIZE: the kernel's TR0 page
KERNEL_LMA = 0x4000000                # LMA of _text for the default LOAD_OFFSET
EFI_PAGE = 4096

FW_BASE = 0x100000
PAL_CODE_BASE, PAL_CODE_SIZE = FW_BASE, 0x10000
RT_DATA_BASE, RT_DATA_SIZE = 0x110000, 0x10000
ACPI_BASE, ACPI_SIZE = 0x120000, 0x10000
BOOT_DATA_BASE, BOOT_DATA_SIZE = 0x130000, 0x10000
FW_END = BOOT_DATA_BASE + BOOT_DATA_SIZE

UART_BASE, UART_SIZE = 0xFF5E0000, 0x1000
IOSAPIC_BASE, IOSAPIC_SIZE = 0xFEC00000, 0x1000
IO_BASE, IO_SIZE = 0xFFFFC000000, 64 * MIB   # legacy I/O port space (sparse)

MIN_MEM_MIB = 80
MAX_MEM_MIB = 3072
DEFAULT_MEM_MIB = 256

# EFI memory types and attributes (include/linux/efi.h)
EFI_RESERVED_TYPE = 0
EFI_LOADER_CODE = 1
EFI_LOADER_DATA = 2
EFI_BOOT_SERVICES_CODE = 3
EFI_BOOT_SERVICES_DATA = 4
EFI_RUNTIME_SERVICES_CODE = 5
EFI_RUNTIME_SERVICES_DATA = 6
EFI_CONVENTIONAL_MEMORY = 7
EFI_UNUSABLE_MEMORY = 8
EFI_ACPI_RECLAIM_MEMORY = 9
EFI_ACPI_MEMORY_NVS = 10
EFI_MEMORY_MAPPED_IO = 11
EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12
EFI_PAL_CODE = 13

EFI_TYPE_NAMES = {
    0: "reserved", 1: "loader code", 2: "loader data", 3: "boot services code",
    4: "boot services data", 5: "runtime services code", 6: "runtime services data",
    7: "conventional", 8: "unusable", 9: "ACPI reclaim", 10: "ACPI NVS",
    11: "MMIO", 12: "MMIO port space", 13: "PAL code",
}

EFI_MEMORY_UC = 0x1
EFI_MEMORY_WC = 0x2
EFI_MEMORY_WT = 0x4
EFI_MEMORY_WB = 0x8
EFI_MEMORY_RUNTIME = 1 << 63
EFI_MEMORY_DESCRIPTOR_VERSION = 1

AVAILABLE_TYPES = (EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BOOT_SERVICES_CODE,
                   EFI_BOOT_SERVICES_DATA, EFI_CONVENTIONAL_MEMORY)


class EfiMemoryDescriptor(ctypes.LittleEndianStructure):
    """efi_memory_desc_t (include/linux/efi.h), 40 bytes."""
    _pack_ = 1
    _fields_ = [
        ("type", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("phys_addr", ctypes.c_uint64),
        ("virt_addr", ctypes.c_uint64),
        ("num_pages", ctypes.c_uint64),
        ("attribute", ctypes.c_uint64),
    ]


assert ctypes.sizeof(EfiMemoryDescriptor) == 40
# The stride of the map the loader hands over (bp.efi_memdesc_size).  Firmware
# is free to make descriptors larger than the structure it defines, and
# real firmware does; the kernel walks the map by this size.
MEMDESC_SIZE = 48


@dataclass(frozen=True)
class Region:
    start: int
    size: int
    type: int
    attribute: int
    name: str

    @property
    def end(self) -> int:
        return self.start + self.size

    def descriptor(self) -> bytes:
        d = EfiMemoryDescriptor(type=self.type, phys_addr=self.start,
                                num_pages=self.size // EFI_PAGE, attribute=self.attribute)
        return bytes(d).ljust(MEMDESC_SIZE, b"\0")


def check_mem_mib(mem_mib: int) -> int:
    """The RAM size in bytes for ``--mem MIB``; MachineError when unusable."""
    if not isinstance(mem_mib, int) or isinstance(mem_mib, bool):
        raise MachineError(f"--mem: not a whole number of MiB: {mem_mib!r}")
    if mem_mib % (GRANULE // MIB):
        raise MachineError(f"--mem {mem_mib}: RAM must be a multiple of the kernel's "
                           f"{GRANULE // MIB} MiB granule")
    if not MIN_MEM_MIB <= mem_mib <= MAX_MEM_MIB:
        raise MachineError(f"--mem {mem_mib}: RAM must be {MIN_MEM_MIB}..{MAX_MEM_MIB} MiB "
                           f"(the kernel is loaded at {KERNEL_LMA // MIB} MiB)")
    return mem_mib * MIB


def page_up(n: int, page: int = EFI_PAGE) -> int:
    return (n + page - 1) // page * page


def memory_map(mem: int, kernel: tuple[int, int] | None = None,
               initrd: tuple[int, int] | None = None,
               io_base: int = IO_BASE, uart_base: int = UART_BASE) -> list[Region]:
    """The EFI memory map of a machine with ``mem`` bytes of RAM, sorted by
    address: RAM covered without gaps, then the MMIO ranges.  ``kernel`` and
    ``initrd`` are [start, end) physical ranges the loader used (rounded out to
    EFI pages here)."""
    wb = EFI_MEMORY_WB
    fixed = [
        Region(PAL_CODE_BASE, PAL_CODE_SIZE, EFI_PAL_CODE, wb | EFI_MEMORY_RUNTIME,
               "firmware stubs"),
        Region(RT_DATA_BASE, RT_DATA_SIZE, EFI_RUNTIME_SERVICES_DATA, wb | EFI_MEMORY_RUNTIME,
               "firmware tables"),
        Region(ACPI_BASE, ACPI_SIZE, EFI_ACPI_RECLAIM_MEMORY, wb, "ACPI tables"),
        Region(BOOT_DATA_BASE, BOOT_DATA_SIZE, EFI_LOADER_DATA, wb, "boot parameters"),
    ]
    for what, rng in (("kernel", kernel), ("initrd", initrd)):
        if rng is None or rng[1] <= rng[0]:
            continue
        lo = rng[0] // EFI_PAGE * EFI_PAGE
        hi = page_up(rng[1])
        fixed.append(Region(lo, hi - lo, EFI_LOADER_DATA, wb, what))
    fixed.sort(key=lambda r: r.start)
    out: list[Region] = []
    at = 0
    for r in fixed:
        if r.start < at or r.end > mem:
            raise MachineError(f"{r.name} [{r.start:#x}, {r.end:#x}) overlaps another "
                               f"area or lies outside the {mem // MIB} MiB of RAM")
        if r.start > at:
            out.append(Region(at, r.start - at, EFI_CONVENTIONAL_MEMORY, wb, "free"))
        out.append(r)
        at = r.end
    if at < mem:
        out.append(Region(at, mem - at, EFI_CONVENTIONAL_MEMORY, wb, "free"))
    out.append(Region(IOSAPIC_BASE, IOSAPIC_SIZE, EFI_MEMORY_MAPPED_IO, EFI_MEMORY_UC,
                      "I/O SAPIC"))
    out.append(Region(uart_base, UART_SIZE, EFI_MEMORY_MAPPED_IO, EFI_MEMORY_UC, "16550 UART"))
    out.append(Region(io_base, IO_SIZE, EFI_MEMORY_MAPPED_IO_PORT_SPACE, EFI_MEMORY_UC,
                      "legacy I/O port space"))
    out.sort(key=lambda r: r.start)
    return out


def encode_map(regions: list[Region]) -> bytes:
    return b"".join(r.descriptor() for r in regions)


def decode_map(data: bytes, desc_size: int = MEMDESC_SIZE) -> list[EfiMemoryDescriptor]:
    return [EfiMemoryDescriptor.from_buffer_copy(data[o:o + ctypes.sizeof(EfiMemoryDescriptor)])
            for o in range(0, len(data), desc_size)]


# -- what the kernel makes of a map (a re-statement of arch/ia64/kernel/efi.c,
#    used to check the machine's maps; it never runs on the boot path) -------

def _granule_down(a: int) -> int:
    return a & ~(GRANULE - 1)


def _granule_up(a: int) -> int:
    return (a + GRANULE - 1) & ~(GRANULE - 1)


def _wb_descriptors(descs: list[EfiMemoryDescriptor]):
    """Each WB descriptor with its end and the granule-trimmed bounds
    [contig_low, contig_high) of the contiguous WB run it belongs to, the way
    the kernel's efi.c walks the map (a run starts where the previous
    descriptor is not WB or not adjacent)."""
    prev = None
    contig_low = contig_high = 0
    for i, md in enumerate(descs):
        end = md.phys_addr + md.num_pages * EFI_PAGE
        if not md.attribute & EFI_MEMORY_WB:
            prev = md
            continue
        if (prev is None or not prev.attribute & EFI_MEMORY_WB
                or prev.phys_addr + prev.num_pages * EFI_PAGE != md.phys_addr):
            contig_low = _granule_up(md.phys_addr)
            contig_high = end
            for q in descs[i + 1:]:
                if not q.attribute & EFI_MEMORY_WB or q.phys_addr != contig_high:
                    break
                contig_high = q.phys_addr + q.num_pages * EFI_PAGE
            contig_high = _granule_down(contig_high)
        prev = md
        yield md, end, contig_low, contig_high


def kernel_usable_memory(descs: list[EfiMemoryDescriptor]) -> list[tuple[int, int]]:
    """The [start, end) ranges ``efi_memmap_init`` gives the kernel as WB
    memory: available types, trimmed inward to granules over contiguous WB
    runs, merged."""
    out: list[tuple[int, int]] = []
    for md, end, contig_low, contig_high in _wb_descriptors(descs):
        if md.type not in AVAILABLE_TYPES:
            continue
        lo, hi = max(md.phys_addr, contig_low), min(end, contig_high)
        if hi <= lo:
            continue
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def kernel_memdesc_home(descs: list[EfiMemoryDescriptor]) -> int | None:
    """Where ``find_memmap_space`` puts the kernel's own descriptor array: the
    start of the first granule-aligned available descriptor that is not
    LOADER_DATA and has room for it (None: the kernel would panic)."""
    need = 24 * (3 * len(descs) + 1)
    for md, end, contig_low, contig_high in _wb_descriptors(descs):
        if md.type not in AVAILABLE_TYPES or md.type == EFI_LOADER_DATA:
            continue
        lo, hi = max(contig_low, md.phys_addr), min(contig_high, end)
        if hi - lo > need:
            return lo
    return None
