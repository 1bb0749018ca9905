"""The machine's physical layout and EFI memory map, checked against the
rules arch/ia64/kernel/efi.c applies to a map (granules, available types,
where the kernel puts its own descriptor array)."""

from __future__ import annotations

import itertools

import pytest

from pvcc.sim.platform.machine import MachineError, layout
from pvcc.sim.platform.machine.layout import (
    EFI_MEMORY_RUNTIME,
    EFI_MEMORY_UC,
    EFI_MEMORY_WB,
    GRANULE,
    MIB,
)

KERNEL = (0x4000000, 0x4000000 + 9 * MIB + 0x1234)


def descs(regions):
    return layout.decode_map(layout.encode_map(regions))


@pytest.mark.parametrize("mem_mib", [80, 128, 256, 1024])
def test_ram_is_covered_exactly_and_all_of_it_is_usable(mem_mib):
    mem = layout.check_mem_mib(mem_mib)
    regions = layout.memory_map(mem, kernel=KERNEL, initrd=(mem - 3 * 0x10000, mem))
    ram = [r for r in regions if r.attribute & EFI_MEMORY_WB]
    assert ram[0].start == 0
    for a, b in itertools.pairwise(ram):
        assert a.end == b.start, (a, b)
    assert ram[-1].end == mem
    assert all(r.attribute == EFI_MEMORY_WB or r.attribute == EFI_MEMORY_WB | EFI_MEMORY_RUNTIME
               for r in ram)
    d = descs(regions)
    assert [r.start for r in regions] == sorted(r.start for r in regions)
    # Everything but the firmware's three areas is the kernel's memory:
    # nothing is lost to granule trimming.
    usable = layout.kernel_usable_memory(d)
    assert usable == [(0, layout.PAL_CODE_BASE), (layout.BOOT_DATA_BASE, mem)]
    assert mem % GRANULE == 0


def test_firmware_areas_are_typed_as_the_kernel_needs():
    regions = layout.memory_map(256 * MIB, kernel=KERNEL)
    by_name = {r.name: r for r in regions}
    pal = by_name["firmware stubs"]
    assert pal.type == layout.EFI_PAL_CODE and pal.start % pal.size == 0
    assert pal.size <= GRANULE          # efi.c panics on a PAL region bigger than a granule
    assert [r for r in regions if r.type == layout.EFI_PAL_CODE] == [pal]
    assert by_name["firmware tables"].type == layout.EFI_RUNTIME_SERVICES_DATA
    assert by_name["ACPI tables"].type == layout.EFI_ACPI_RECLAIM_MEMORY
    assert by_name["boot parameters"].type == layout.EFI_LOADER_DATA
    k = by_name["kernel"]
    assert (k.type, k.start, k.end) == (layout.EFI_LOADER_DATA, KERNEL[0],
                                       layout.page_up(KERNEL[1]))
    for r in (pal, by_name["firmware tables"]):
        assert r.attribute & EFI_MEMORY_RUNTIME


def test_mmio_descriptors():
    regions = layout.memory_map(256 * MIB)
    io = [r for r in regions if r.type == layout.EFI_MEMORY_MAPPED_IO_PORT_SPACE]
    assert len(io) == 1 and io[0].attribute == EFI_MEMORY_UC
    assert (io[0].start, io[0].size) == (layout.IO_BASE, 64 * MIB)
    mmio = [r for r in regions if r.type == layout.EFI_MEMORY_MAPPED_IO]
    assert [(r.start, r.attribute, r.name) for r in mmio] == [
        (layout.IOSAPIC_BASE, EFI_MEMORY_UC, "I/O SAPIC"),
        (layout.UART_BASE, EFI_MEMORY_UC, "16550 UART")]
    assert layout.UART_BASE >= 256 * MIB and layout.IO_BASE >= layout.MAX_MEM_MIB * MIB


def test_kernel_descriptor_array_lands_in_free_memory():
    """find_memmap_space takes the first granule-aligned available descriptor
    that is not LOADER_DATA: it must be free memory, away from the firmware,
    the boot data, the kernel and the initrd (the kernel does not check)."""
    mem = 256 * MIB
    regions = layout.memory_map(mem, kernel=KERNEL, initrd=(mem - 0x20000, mem))
    home = layout.kernel_memdesc_home(descs(regions))
    assert home is not None
    holder = next(r for r in regions if r.start <= home < r.end)
    assert holder.type == layout.EFI_CONVENTIONAL_MEMORY
    need = 24 * (3 * len(regions) + 1)
    assert home + need <= holder.end


def test_descriptor_bytes():
    r = layout.memory_map(128 * MIB)[1]
    raw = r.descriptor()
    assert len(raw) == layout.MEMDESC_SIZE == 48
    assert int.from_bytes(raw[0:4], "little") == r.type
    assert int.from_bytes(raw[8:16], "little") == r.start
    assert int.from_bytes(raw[24:32], "little") == r.size // 4096
    assert int.from_bytes(raw[32:40], "little") == r.attribute
    assert raw[40:] == bytes(8)


@pytest.mark.parametrize("mem_mib, words", [
    (100, "multiple of the kernel's 16 MiB granule"),
    (64, "RAM must be 80..3072 MiB"),
    (4096, "RAM must be 80..3072 MiB"),
])
def test_bad_mem_is_one_line(mem_mib, words):
    with pytest.raises(MachineError) as e:
        layout.check_mem_mib(mem_mib)
    assert words in e.value.msg and "\n" not in e.value.msg
    assert e.value.status == 2


def test_overlapping_areas_are_refused():
    with pytest.raises(MachineError, match="overlaps"):
        layout.memory_map(256 * MIB, kernel=(0x4000000, 0x5000000), initrd=(0x4800000, 0x4900000))
