"""The machine's firmware: EFI and SAL tables as the kernel reads them, and
the PAL, SAL and EFI calls as the kernel's callers use their results
(arch/ia64/kernel/{efi,sal,setup,time,topology}.c, mm/tlb.c, mm/init.c)."""

from __future__ import annotations

import ctypes
import zlib

import pytest

from pvcc.sim.platform.machine import (
    EFI_CALL,
    PAL_STACKED,
    PAL_STATIC,
    RAM,
    SAL_CALL,
    Machine,
    ProcessorConfig,
    Timer,
    efi,
    firmware,
    layout,
    pal,
    sal,
)
from pvcc.sim.platform.machine.physmem import PhysicalMemory

MASK = (1 << 64) - 1
# The GUIDs' bytes as include/linux/efi.h's EFI_GUID() lays them out.
SAL_GUID_BYTES = bytes([0x32, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                        0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d])
ACPI20_GUID_BYTES = bytes([0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                           0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81])


def u64(mem: PhysicalMemory, a: int) -> int:
    return int.from_bytes(mem.read(a, 8), "little")


def u32(mem: PhysicalMemory, a: int) -> int:
    return int.from_bytes(mem.read(a, 4), "little")


def installed(announce: bool = False) -> tuple[Machine, int]:
    m = Machine(128, announce_pvcc=announce)
    return m, m.install_firmware()


def call(m: Machine, name: str, *args: int, timer: Timer | None = None):
    kind = {"PAL": firmware.PAL_ENTRY, "SAL": firmware.SAL_ENTRY}
    entry = m.firmware_entry(kind[name]) if name in kind else m.firmware_entry(
        firmware.EFI_ENTRY + firmware.EFI_STUB_STRIDE * efi.RUNTIME_SERVICES.index(name))
    assert entry is not None
    res = m.firmware_call(entry, args, m.memory, timer or Timer())
    return res


def pal_call(m, index, a1=0, a2=0, a3=0, timer=None):
    return call(m, "PAL", index, a1, a2, a3, timer=timer)


def field(word: int, lsb: int, width: int) -> int:
    return (word >> lsb) & ((1 << width) - 1)


# -- EFI system table -------------------------------------------------------

def test_efi_system_table_as_efi_init_reads_it():
    m, systab = installed()
    mem = m.memory
    st = efi.EfiSystemTable.from_buffer_copy(mem.read(systab, 120))
    assert st.hdr.signature == 0x5453595320494249        # the kernel panics otherwise
    assert st.hdr.revision >> 16 >= 1                     # else a warning
    raw = bytearray(mem.read(systab, st.hdr.headersize))
    raw[16:20] = bytes(4)
    assert zlib.crc32(raw) == st.hdr.crc32
    vendor = mem.read(st.fw_vendor, 64).decode("utf-16-le").split("\0")[0]
    assert vendor == "pvcc-sim"
    for a in (st.fw_vendor, st.runtime, st.tables):
        assert layout.RT_DATA_BASE <= a < layout.RT_DATA_BASE + layout.RT_DATA_SIZE


def test_runtime_services_point_at_descriptors_of_stubs():
    m, systab = installed()
    mem = m.memory
    runtime = u64(mem, systab + efi.EfiSystemTable.runtime.offset)
    rt = efi.EfiRuntimeServices.from_buffer_copy(mem.read(runtime, 136))
    assert rt.hdr.signature == efi.EFI_RUNTIME_SERVICES_SIGNATURE
    entries = set()
    for name in efi.RUNTIME_SERVICES:
        desc = getattr(rt, name)
        entry, gp = u64(mem, desc), u64(mem, desc + 8)
        assert layout.PAL_CODE_BASE <= entry < layout.PAL_CODE_BASE + layout.PAL_CODE_SIZE
        assert entry % 16 == 0 and gp == firmware.FW_GP
        fe = m.firmware_entry(entry)
        assert fe is not None and fe.kind == "EFI" and fe.service == name
        assert m.firmware_convention(fe) is EFI_CALL
        entries.add(entry)
    assert len(entries) == len(efi.RUNTIME_SERVICES)
    # The stub bytes are zeros: break.m 0 bundles if a CPU ran them.
    assert mem.read(min(entries), 16) == bytes(16)


@pytest.mark.parametrize("announce", [False, True])
def test_config_tables(announce):
    m, systab = installed(announce)
    mem = m.memory
    st = efi.EfiSystemTable.from_buffer_copy(mem.read(systab, 120))
    tables = {}
    for k in range(st.nr_tables):
        raw = mem.read(st.tables + 24 * k, 24)
        tables[raw[:16]] = int.from_bytes(raw[16:], "little")
    assert tables[SAL_GUID_BYTES] == firmware.SAL_SYSTAB
    assert mem.read(tables[ACPI20_GUID_BYTES], 8) == b"RSD PTR "
    pvcc = efi.PVCC_HYPERVISOR_GUID.bytes_le
    assert (pvcc in tables) == announce
    assert len(tables) == 2 + announce
    if announce:
        t = efi.PvccHypervisorTable.from_buffer_copy(mem.read(tables[pvcc], 32))
        assert (t.signature, t.revision, t.length) == (b"PVCCHYPV", 1, 32)
        assert t.hypercall_imm == firmware.PVCC_HYPERCALL_IMM and t.flags == 1


def test_sal_system_table_as_ia64_sal_init_walks_it():
    m, _ = installed()
    mem = m.memory
    hdr = sal.SalSystemTable.from_buffer_copy(mem.read(firmware.SAL_SYSTAB, 96))
    assert hdr.signature == b"SST_"
    body = mem.read(firmware.SAL_SYSTAB, hdr.size)
    assert sum(body) % 256 == 0
    assert (hdr.sal_rev_major, hdr.sal_rev_minor) == (0x03, 0x20)    # 3.20, BCD
    p = firmware.SAL_SYSTAB + 96
    seen = []
    for _ in range(hdr.entry_count):
        t = mem.read(p, 1)[0]
        seen.append(t)
        if t == 0:
            ep = sal.SalEntryPointDescriptor.from_buffer_copy(mem.read(p, 48))
            assert ep.pal_proc == firmware.PAL_ENTRY and ep.sal_proc == firmware.SAL_ENTRY
            assert ep.gp == firmware.FW_GP
        p += b"\x30\x20\x10\x20\x10\x10"[t]             # SAL_DESC_SIZE (sal.h)
    assert seen == [0] and p == firmware.SAL_SYSTAB + hdr.size
    assert m.firmware_convention(m.firmware_entry(firmware.SAL_ENTRY)) is SAL_CALL


# -- PAL ----------------------------------------------------------------------

def test_pal_conventions_by_index():
    m = Machine(128)
    e = m.firmware_entry(firmware.PAL_ENTRY)
    assert m.firmware_convention(e, 6) is PAL_STATIC
    assert PAL_STATIC.args == ("r28", "r29", "r30", "r31") and PAL_STATIC.static
    assert m.firmware_convention(e, 274) is PAL_STACKED
    assert PAL_STACKED.args == ("in0", "in1", "in2", "in3") and not PAL_STACKED.static
    # Only registers inside the frame the caller's br.call creates: SAL_CALL
    # passes 8 arguments, efi_call_phys allocates 7 outputs.
    assert SAL_CALL.args == tuple(f"in{k}" for k in range(8)) and not SAL_CALL.static
    assert EFI_CALL.args == ("in0", "in1", "in2", "in3", "in4") and not EFI_CALL.static
    for conv in (PAL_STATIC, PAL_STACKED, SAL_CALL, EFI_CALL):
        assert conv.results == ("r8", "r9", "r10", "r11")


def test_cache_topology_is_consistent():
    """topology.c allocates CACHE_SUMMARY's unique_caches leaves and fills one
    per successful PAL_CACHE_INFO(level, 2 then 1); setup.c asks type 1 only
    of split levels and takes strides and line sizes from the answers."""
    m = Machine(128)
    s = pal_call(m, 4)
    assert s.r8 == 0
    levels, unique = s.r9, s.r10
    leaves = []
    for lvl in range(levels):
        for t in (2, 1):
            r = pal_call(m, 2, lvl, t)
            if r.r8 == 0:
                leaves.append((lvl, t, r.r9, r.r10))
    assert len(leaves) == unique               # no heap overflow, no empty leaf
    for lvl in range(levels):
        d = pal_call(m, 2, lvl, 2)
        assert d.r8 == 0                        # get_cache_info: every level has data
        info1 = d.r9
        if not field(info1, 0, 1):              # split: setup.c asks for the I-cache
            assert pal_call(m, 2, lvl, 1).r8 == 0
    for _, _, info1, info2 in leaves:
        line, stride, assoc, size = (field(info1, 16, 8), field(info1, 24, 8),
                                     field(info1, 8, 8), field(info2, 0, 32))
        assert 5 <= line <= 8 and 5 <= stride <= 8 and assoc >= 1
        assert field(info1, 1, 2) <= 2          # indexes cache_mattrib[]
        assert size % (assoc << line) == 0      # show_number_of_sets divides
    assert pal_call(m, 2, levels, 2).r8 == pal.PAL_STATUS_EINVAL & MASK


def test_vm_summary_page_sizes_ptce():
    cfg = ProcessorConfig()
    m = Machine(128, config=cfg)
    r = pal_call(m, 8)
    assert r.r8 == 0
    impl_va_bits = field(r.r10, 0, 8) + 1
    assert 51 <= impl_va_bits <= 61                 # mm/init.c panics otherwise
    assert field(r.r9, 1, 7) == cfg.phys_addr_bits
    assert field(r.r10, 8, 8) == cfg.rid_bits       # max_ctx = 2^(rid_size-3) - 1
    assert min(field(r.r9, 40, 8), field(r.r9, 32, 8)) + 1 == 8   # ia64_tr_num
    assert field(r.r9, 0, 1) == 0                   # no VHPT walker
    ps = pal_call(m, 34)
    assert ps.r8 == 0 and ps.r10 == 0x115557000
    for shift in (14, 16, 18, 24, 26):              # what the kernel inserts
        assert ps.r10 >> shift & 1
    pt = pal_call(m, 6)
    assert (pt.r8, pt.r9, pt.r10 >> 32, pt.r10 & 0xFFFFFFFF, pt.r11) == (0, 0, 1, 1, 0)


def test_frequencies_as_ia64_init_itm_computes_them():
    cfg = ProcessorConfig(itc_hz=12_500_000)
    m = Machine(128, config=cfg)
    base = call(m, "SAL", sal.SAL_FREQ_BASE, sal.SAL_FREQ_BASE_PLATFORM)
    assert base.r8 == 0 and base.r9 >= 40_000_000
    fr = pal_call(m, 14)
    assert fr.r8 == 0
    den, num = fr.r11 & 0xFFFFFFFF, fr.r11 >> 32      # struct pal_freq_ratio {den, num}
    assert base.r9 * num // den == 12_500_000
    pden, pnum = fr.r9 & 0xFFFFFFFF, fr.r9 >> 32
    assert base.r9 * pnum // pden == cfg.cpu_hz


def test_rse_info_reports_the_configured_stacked_registers():
    assert pal_call(Machine(128), 19).r9 == 96
    assert pal_call(Machine(128, config=ProcessorConfig(nphys=128)), 19).r9 == 128


def test_halt_light_fast_forwards_the_itc_to_the_timer_match():
    m = Machine(128)
    t = Timer(itc=1000, itm=250_000, itv=0xEF)
    assert pal_call(m, 29, timer=t).r8 == 0 and t.itc == 250_000
    t = Timer(itc=1000, itm=250_000, itv=(1 << 16) | 0xEF)     # masked: no wake-up
    pal_call(m, 29, timer=t)
    assert t.itc == 1000
    t = Timer(itc=300_000, itm=250_000, itv=0xEF)              # already due
    pal_call(m, 29, timer=t)
    assert t.itc == 300_000
    t = Timer(itc=MASK - 10, itm=5, itv=0xEF)                  # across the wrap
    pal_call(m, 29, timer=t)
    assert t.itc == 5


def test_features_brand_halt():
    m = Machine(128)
    g = pal_call(m, 17, 0, 16)
    assert (g.r8, g.r9, g.r10, g.r11) == (0, 0, 0, 0)
    assert pal_call(m, 18, 0).r8 == 0
    assert pal_call(m, 18, 0x80).r8 == pal.PAL_STATUS_EINVAL & MASK
    buf = 0x200000
    assert call(m, "PAL", 274, 0, buf, 0).r8 == 0
    assert m.memory.read(buf, 128).split(b"\0")[0] == b"pvcc-sim IA-64 model"
    hi = call(m, "PAL", 257, buf)
    assert hi.r8 == 0 and hi.stop is None
    words = [u64(m.memory, buf + 8 * k) for k in range(8)]
    assert field(words[0], 60, 1) == 1 and all(field(w, 60, 1) == 0 for w in words[1:])
    h = pal_call(m, 28, 0)
    assert h.stop is not None and h.stop.kind == "halt" and h.stop.exit_status == 0


def test_unimplemented_calls_answer_and_are_counted():
    m = Machine(128)
    assert pal_call(m, 15).r8 == MASK                          # PAL_PERF_MON_INFO: -1
    assert pal_call(m, 15).r8 == MASK
    assert call(m, "SAL", sal.SAL_PCI_CONFIG_READ).r8 == MASK
    assert call(m, "GetVariable").r8 == efi.EFI_UNSUPPORTED
    pal_call(m, 6)
    assert m.firmware.unimplemented == {"PAL_PERF_MON_INFO": 2, "SAL_PCI_CONFIG_READ": 1,
                                        "EFI GetVariable": 1}
    assert m.firmware.calls["PAL_PTCE_INFO"] == 1
    lines = m.stats_lines()
    assert "firmware PAL_PERF_MON_INFO: 2 (unimplemented)" in lines
    assert "firmware PAL_PTCE_INFO: 1" in lines


# -- SAL and EFI calls --------------------------------------------------------

def test_sal_mca_calls():
    m = Machine(128)
    assert call(m, "SAL", sal.SAL_MC_SET_PARAMS, 1, 1, 0xF3, 20000, 2).r8 == 0
    assert call(m, "SAL", sal.SAL_SET_VECTORS, 0, 0x4100000, 0x4200000, 0).r8 == 0
    size = call(m, "SAL", sal.SAL_GET_STATE_INFO_SIZE, 0)
    assert (size.r8, size.r9) == (0, 0)
    assert m.firmware.sal.vectors[0][:2] == (0x4100000, 0x4200000)
    assert not m.firmware.unimplemented


def test_get_time_is_the_epoch_plus_itc_time():
    m = Machine(128, config=ProcessorConfig(itc_hz=10_000_000))
    tm = 0x300000
    r = call(m, "GetTime", tm, 0, timer=Timer(itc=10_000_000 * 61 + 5_000_000))
    assert r.r8 == 0
    t = efi.EfiTime.from_buffer_copy(m.memory.read(tm, 16))
    assert (t.year, t.month, t.day, t.hour, t.minute, t.second) == (2026, 1, 1, 0, 1, 1)
    assert t.nanosecond == 500_000_000
    assert call(m, "GetTime", 0, 0).r8 == efi.EFI_INVALID_PARAMETER


def test_set_virtual_address_map_and_reset():
    m = Machine(128)
    assert call(m, "SetVirtualAddressMap", 480, 48, 1, 0x131000).r8 == efi.EFI_UNSUPPORTED
    assert "EFI SetVirtualAddressMap" not in m.firmware.unimplemented
    r = call(m, "ResetSystem", 1, 0, 0, 0)
    assert r.stop.kind == "reset" and r.stop.reset_type == 1 and r.stop.exit_status == 0
    r = call(m, "ResetSystem", 0, efi.EFI_UNSUPPORTED, 0, 0)
    assert r.stop.exit_status == 1 and "cold" in r.stop.describe()


def test_structure_sizes_match_the_kernel():
    assert ctypes.sizeof(efi.EfiSystemTable) == 120
    assert efi.EfiSystemTable.runtime.offset == 88
    assert efi.EfiSystemTable.nr_tables.offset == 104
    assert efi.EfiSystemTable.tables.offset == 112
    assert efi.EfiRuntimeServices.SetVirtualAddressMap.offset == 24 + 4 * 8
    assert efi.EfiRuntimeServices.ResetSystem.offset == 24 + 10 * 8


def test_ram_rejects_accesses_outside():
    r = RAM(1 << 20)
    r.write(0xFFFF8, b"12345678")
    assert r.read(0xFFFF8, 8) == b"12345678"
    with pytest.raises(Exception, match="outside the RAM"):
        r.write(0xFFFFC, b"12345678")
