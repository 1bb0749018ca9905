"""pvcc-sim's MMU: physical and virtual addressing, faults, caches, MMIO (pure Python).

Each test names the section of the SDM (volume 2 unless said) it checks.
"""

from __future__ import annotations

import pytest

from pvcc.sim.cpu.memory import Memory, MemoryFault
from pvcc.sim.cpu.privileged import PSR_BITS
from pvcc.sim.cpu.state import State
from pvcc.sim.errors import SimError
from pvcc.sim.system import mmu as mmu_mod
from pvcc.sim.system.faults import (
    GE_RESERVED_REGISTER_FIELD,
    ISR_ED,
    ISR_NA,
    ISR_R,
    ISR_RS,
    ISR_SP,
    ISR_W,
    ISR_X,
    Interruption,
)
from pvcc.sim.system.mmu import MMU, READ, SEM, WRITE
from pvcc.sim.system.tlb import MachineCheck

RAM = 128 << 20
DEV = 0x80000000  # a 4 KiB device page
PTA_LINUX = ((1 << 61) - (1 << 40)) | 40 << 2 | 1


def pte(pa, *, p=1, ma=0, a=1, d=1, pl=0, ar=3, ed=0):
    return p | ma << 2 | a << 5 | d << 6 | pl << 7 | ar << 9 | pa | ed << 52


def itir(ps, key=0):
    return ps << 2 | key << 8


class Device:
    def __init__(self):
        self.log = []

    def read(self, off, size):
        self.log.append(("r", off, size))
        return 0x1122334455667788

    def write(self, off, size, value):
        self.log.append(("w", off, size, value))


def psr_of(*, dt=1, it=1, rt=1, ic=1, cpl=0, **bits):
    v = 0
    for name, on in dict(dt=dt, it=it, rt=rt, ic=ic, **bits).items():
        v |= bool(on) << PSR_BITS[name]
    return v | cpl << 32


class Machine:
    """A State with 128 MiB of RAM at 0, a device page and an MMU; memory pages of
    2**page_shift bytes (the fixture below runs every test with 4 KiB and 64 KiB)."""

    page_shift = 12

    def __init__(self, **psr):
        self.st = State()
        self.st.mem = self.mem = Memory(page_shift=self.page_shift)
        self.mem.map(0, RAM, "ram")
        self.dev = Device()
        self.mem.map_device(DEV, 0x1000, "uart", self.dev.read, self.dev.write)
        self.mmu = MMU(self.st.priv, self.mem, self.st.ar)
        self.set_psr(**psr)
        self.code = []
        self.mmu.on_code_store = lambda pa, size: self.code.append((pa, size))

    def set_psr(self, **kw):
        self.st.priv.psr = psr_of(**kw)
        self.mmu.sync()

    def L(self, n, a):
        return self.mmu.loads[n](a)

    def S(self, n, a, v):
        self.mmu.stores[n](a, v)


@pytest.fixture(autouse=True, params=[12, 16], ids=["4K-pages", "64K-pages"])
def _page_shift(request):
    Machine.page_shift = request.param
    yield
    Machine.page_shift = 12


def fault(fn, *args):
    with pytest.raises(Interruption) as ei:
        fn(*args)
    return ei.value


# -- physical addressing (SDM vol. 2, 4.4, "Physical Addressing") --------------------

def test_physical_mode_wb_and_uc_by_bit_63():
    m = Machine(dt=0)
    m.S(8, 0x1000, 0x0102030405060708)
    assert m.L(8, 0x1000) == 0x0102030405060708
    assert m.L(4, 0x8000000000001004) == 0x01020304  # UC view of the same RAM
    assert m.L(1, 0x1007) == 0x01
    m.S(2, 0x8000000000001000, 0xBEEF)
    assert m.L(2, 0x1000) == 0xBEEF


def test_physical_uc_reaches_the_device_and_wb_does_not():
    m = Machine(dt=0)
    assert m.L(4, 0x8000000000000000 | DEV | 0x10) == 0x55667788
    m.S(1, 0x8000000000000000 | DEV | 0x4, 0x41)
    assert m.dev.log == [("r", 0x10, 4), ("w", 0x4, 1, 0x41)]
    with pytest.raises(SimError, match="cacheable"):
        m.L(4, DEV)


def test_physical_unimplemented_bits_fault():
    # bits 62:50 of a physical address must be 0 (the UC bit 63 aside)
    m = Machine(dt=0)
    e = fault(m.L, 8, 0x2000000000001000)
    assert e.vector == "General Exception" and e.isr & 0xF0 == GE_RESERVED_REGISTER_FIELD
    assert e.isr & ISR_R


def test_physical_memory_outside_ram_is_a_model_error():
    m = Machine(dt=0)
    with pytest.raises(MemoryFault, match="no memory or device"):
        m.L(8, RAM + 0x1000)


def test_unaligned_reference():
    # SDM vol. 2, 5.8 "Unaligned Reference vector": ifa and isr.r/w
    m = Machine(dt=0)
    e = fault(m.L, 8, 0x1004)
    assert e.vector == "Unaligned Reference" and e.ifa == 0x1004 and e.isr == ISR_R
    e = fault(m.S, 2, 0x1001, 0)
    assert e.isr == ISR_W


# -- TLB misses (SDM vol. 2, 5.8: Data TLB, Alternate Data TLB, Data Nested TLB) --------

def test_alternate_data_tlb_miss_registers():
    m = Machine()
    va = 0xE000000000123458
    e = fault(m.L, 8, va)
    assert e.vector == "Alternate Data TLB"  # rr7.ve = 0
    rr7 = m.st.priv.rr[7]
    assert e.ifa == va and e.itir == rr7 & 0xFFFFFFFC and e.itir == 7 << 8 | 14 << 2
    assert e.iha == m.mmu.thash(va) and e.isr == ISR_R
    e = fault(m.S, 4, va, 1)
    assert e.isr == ISR_W


def test_vhpt_enabled_region_misses_to_the_data_tlb_vector():
    m = Machine()
    m.st.priv.cr[8] = PTA_LINUX
    m.mmu.set_rr(1, 0x123 << 8 | 14 << 2 | 1)
    va = 0x2000000000004010
    e = fault(m.L, 4, va)
    assert e.vector == "Data TLB"
    assert e.itir == 0x123 << 8 | 14 << 2
    assert e.iha == 0x3FFFFF0000000008  # thash with Linux's pta
    m.mmu.set_rr(1, 0x123 << 8 | 14 << 2)  # ve = 0
    assert fault(m.L, 4, va).vector == "Alternate Data TLB"


def test_data_miss_with_ic_off_is_a_nested_tlb_fault():
    m = Machine(ic=0)
    e = fault(m.L, 8, 0xA000000000010000)
    assert e.vector == "Data Nested TLB" and e.ifa == 0xA000000000010000


def test_instruction_misses():
    m = Machine()
    e = fault(m.mmu.fetch, 0xA000000000010012)
    assert e.vector == "Alternate Instruction TLB"
    assert e.ifa == 0xA000000000010010 and e.isr == ISR_X
    assert e.iha == m.mmu.thash(0xA000000000010010)
    m.st.priv.cr[8] = PTA_LINUX
    m.mmu.set_rr(5, 5 << 8 | 14 << 2 | 1)
    assert fault(m.mmu.fetch, 0xA000000000010000).vector == "Instruction TLB"


def test_unimplemented_virtual_address():
    m = Machine()
    e = fault(m.L, 8, 0x0010000000000000)  # bit 52 set, bit 50 clear
    assert e.vector == "General Exception"


# -- translation, purges and the translation caches ------------------------------------

def test_itc_translates_and_ptc_l_makes_the_next_access_miss():
    m = Machine()
    va = 0xA000000000014000
    m.mmu.itc("d", pte(0x100000), itir(14), va)
    m.S(8, va + 8, 77)
    assert m.L(8, va + 8) == 77
    assert m.mem.read_bytes(0x100008, 8) == (77).to_bytes(8, "little")
    assert m.mmu.rc and m.mmu.wc  # the page is cached
    m.mmu.ptc_l(va, 14 << 2)
    assert not m.mmu.rc and not m.mmu.wc
    assert fault(m.L, 8, va + 8).vector == "Alternate Data TLB"


def test_ptc_e_and_ptr_make_the_next_access_miss():
    m = Machine()
    m.mmu.itc("d", pte(0x100000), itir(14), 0x4000)
    m.mmu.itr("d", 1, pte(0x200000), itir(14), 0x8000)
    assert m.L(8, 0x4000) == 0 and m.L(8, 0x8000) == 0
    m.mmu.ptc_e(0)
    assert fault(m.L, 8, 0x4000).vector == "Alternate Data TLB"
    assert m.L(8, 0x8000) == 0  # a translation register survives ptc.e
    m.mmu.ptr("d", 0x8000, 14 << 2)
    assert fault(m.L, 8, 0x8000).vector == "Alternate Data TLB"


def test_rr_write_changes_the_rid_and_drops_the_cache():
    m = Machine()
    m.mmu.itc("d", pte(0x100000), itir(14), 0x2000000000004000)
    assert m.L(8, 0x2000000000004000) == 0
    m.mmu.set_rr(1, 0x99 << 8 | 14 << 2)
    assert fault(m.L, 8, 0x2000000000004000).vector == "Alternate Data TLB"
    m.mmu.set_rr(1, 1 << 8 | 14 << 2)  # back: the entry matches again
    assert m.L(8, 0x2000000000004000) == 0


def test_overlapping_insert_purges_and_invalidates():
    m = Machine()
    m.mmu.itc("d", pte(0x100000), itir(16), 0x10000)
    m.S(8, 0x14000, 1)
    m.mem.write_bytes(0x204000, (2).to_bytes(8, "little"))
    m.mmu.itc("d", pte(0x204000), itir(12), 0x14000)  # purges the 64K entry
    assert m.L(8, 0x14000) == 2
    assert fault(m.L, 8, 0x10000).vector == "Alternate Data TLB"


def test_page_sizes_through_the_mmu():
    m = Machine()
    m.mmu.itc("d", pte(0), itir(32), 0x0000000100000000)  # 4G page onto physical 0
    m.S(8, 0x0000000100000000 + 0x1000, 5)
    assert m.L(8, 0x1000 | 0x0000000100000000) == 5
    m.mmu.itr("d", 0, pte(0x4000000), itir(26), 0xA000000100000000)  # Linux's TR0
    m.S(4, 0xA000000100000000 + 0x123454, 9)
    assert m.mem.read_bytes(0x4123454, 4) == (9).to_bytes(4, "little")


def test_insert_over_a_tr_is_a_machine_check():
    m = Machine()
    m.mmu.itr("d", 0, pte(0x4000000), itir(26), 0xA000000100000000)
    with pytest.raises(MachineCheck):
        m.mmu.itc("d", pte(0), itir(14), 0xA000000100004000)


# -- access rights, privilege, a/d bits, present bit (SDM vol. 2, 4.1.1.5-4.1.1.6) ----

def test_access_rights_fault():
    m = Machine()
    m.mmu.itc("d", pte(0x100000, ar=0), itir(14), 0x4000)  # read only
    assert m.L(8, 0x4000) == 0
    e = fault(m.S, 8, 0x4000, 1)
    assert e.vector == "Data Access Rights" and e.isr == ISR_W and e.ifa == 0x4000
    m.set_psr(cpl=3)  # pl 0 page, user access
    e = fault(m.L, 8, 0x4000)
    assert e.vector == "Data Access Rights" and e.isr == ISR_R
    m.set_psr(cpl=0)
    assert m.L(8, 0x4000) == 0


def test_user_page_and_privilege_levels():
    m = Machine(cpl=3)
    m.mmu.itc("d", pte(0x100000, pl=3, ar=2), itir(14), 0x4000)
    m.S(8, 0x4000, 3)
    assert m.L(8, 0x4000) == 3
    m.set_psr(cpl=0)  # more privileged: allowed too
    assert m.L(8, 0x4000) == 3


def test_dirty_bit_fault_on_a_clean_page_even_after_reads():
    m = Machine()
    m.mmu.itc("d", pte(0x100000, d=0), itir(14), 0x4000)
    assert m.L(8, 0x4000) == 0  # reads are cached
    e = fault(m.S, 8, 0x4000, 1)
    assert e.vector == "Dirty-Bit" and e.isr == ISR_W
    m.set_psr(da=1)  # psr.da: no dirty-bit fault, and nothing cached for later
    m.S(8, 0x4000, 1)
    m.set_psr()
    assert fault(m.S, 8, 0x4000, 2).vector == "Dirty-Bit"


def test_access_bit_faults():
    m = Machine()
    m.mmu.itc("d", pte(0x100000, a=0), itir(14), 0x4000)
    e = fault(m.L, 8, 0x4000)
    assert e.vector == "Data Access-Bit"
    m.mmu.itc("i", pte(0x100000, a=0), itir(14), 0x4000)
    e = fault(m.mmu.fetch, 0x4000)
    assert e.vector == "Instruction Access-Bit" and e.isr == ISR_X


def test_page_not_present():
    m = Machine()
    m.mmu.itc("d", pte(0, p=0), itir(14), 0x4000)
    e = fault(m.L, 4, 0x4000)
    assert e.vector == "Page Not Present" and e.isr == ISR_R
    m.mmu.itc("i", pte(0, p=0), itir(14), 0x4000)
    assert fault(m.mmu.fetch, 0x4000).vector == "Page Not Present"


def test_natpage_consumption_and_speculative_deferral():
    # SDM vol. 2, 4.4.3 (NaTPage): non-speculative references fault, ld.s defers
    m = Machine()
    m.mmu.itc("d", pte(0x100000, ma=7), itir(14), 0x4000)
    e = fault(m.L, 8, 0x4000)
    assert e.vector == "NaT Consumption" and e.isr == ISR_R | 0x20
    assert m.mmu.spec_loads[8](0x4000, 0) is None


def test_instruction_access_rights_and_fetch():
    m = Machine(cpl=3)
    m.mmu.itc("i", pte(0x100000, pl=3, ar=2), itir(14), 0x4000)  # RW, no execute
    e = fault(m.mmu.fetch, 0x4010)
    assert e.vector == "Instruction Access Rights" and e.ifa == 0x4010
    m.mmu.itc("i", pte(0x100000, pl=3, ar=1), itir(14), 0x4000)
    assert m.mmu.fetch(0x4010) == 0x100010
    assert m.mmu.fetch(0x4FF0) == 0x100FF0  # cached
    m.set_psr(it=0)
    assert m.mmu.fetch(0x200000) == 0x200000  # physical


def test_fetch_cache_follows_cpl():
    m = Machine()
    m.mmu.itc("i", pte(0x100000, pl=0, ar=1), itir(14), 0x4000)
    assert m.mmu.fetch(0x4000) == 0x100000
    m.set_psr(cpl=3)
    assert fault(m.mmu.fetch, 0x4000).vector == "Instruction Access Rights"


def test_epc_promotion():
    m = Machine(cpl=3)
    m.mmu.itc("i", pte(0x100000, pl=0, ar=7), itir(14), 0xA000000000010000)
    assert m.mmu.epc_pl(0xA000000000010000) == 0
    assert m.mmu.fetch(0xA000000000010000) == 0x100000  # X at cpl 3


# -- speculation (SDM vol. 2, 5.5.5 deferral) ------------------------------------

def test_speculative_load_deferral():
    m = Machine()
    ld = m.mmu.spec_loads[8]
    code = 0xA000000000010000
    m.mmu.itc("i", pte(0x100000, ar=1), itir(14), code)  # code page without ed
    e = fault(ld, 0x4000, code)
    assert e.vector == "Alternate Data TLB" and e.isr == ISR_R | ISR_SP
    m.mmu.itc("i", pte(0x100000, ar=1, ed=1), itir(14), code)  # with ed, dcr.dm 0
    e = fault(ld, 0x4000, code)
    assert e.isr == ISR_R | ISR_SP | ISR_ED
    m.st.priv.cr[0] = 1 << 8  # dcr.dm
    assert ld(0x4000, code) is None
    m.st.priv.cr[0] = 0
    m.set_psr(ed=1)  # psr.ed: the restarted ld.s defers
    assert ld(0x4000, code) is None
    m.set_psr(ic=0)
    assert ld(0x4000, code) is None
    m.set_psr()
    m.mmu.itc("d", pte(0x100000), itir(14), 0x4000)
    m.mem.write_bytes(0x100000, (6).to_bytes(8, "little"))
    assert ld(0x4000, code) == 6
    m.set_psr(dt=0)  # physical mode: always deferred, cached or not
    assert m.L(8, 0x100000) == 6 and ld(0x100000, code) is None
    m.set_psr()
    m.mmu.itc("d", pte(0x100000, ma=4), itir(14), 0x4000)  # UC: never speculatively
    assert ld(0x4000, code) is None


# -- MMIO through a translation (SDM vol. 2, 4.4.1: UC) ---------------------------------

def test_uc_mapping_reaches_the_device():
    m = Machine()
    va = 0xC000000080000000
    m.mmu.itc("d", pte(DEV, ma=4), itir(12), va)
    assert m.L(1, va + 5) == 0x88
    m.S(4, va + 8, 0xDEADBEEF)
    m.S(4, va + 8, 0xDEADBEEF)
    assert m.dev.log == [("r", 5, 1), ("w", 8, 4, 0xDEADBEEF), ("w", 8, 4, 0xDEADBEEF)]
    assert not m.mmu.rc and not m.mmu.wc  # device pages are never cached
    m.mmu.itc("d", pte(DEV), itir(12), va)  # a WB mapping of a device: a model error
    with pytest.raises(SimError, match="cacheable"):
        m.L(4, va)


# -- semaphores and the RSE -------------------------------------------------------

def test_semaphore_read_needs_write_permission_and_cacheable_memory():
    m = Machine()
    lm = m.mmu.sem_loads[8]
    m.mmu.itc("d", pte(0x100000, ar=0), itir(14), 0x4000)
    e = fault(lm, 0x4000)
    assert e.vector == "Data Access Rights" and e.isr == ISR_R | ISR_W
    m.mmu.itc("d", pte(0x100000, ma=4), itir(14), 0x4000)
    assert fault(lm, 0x4000).vector == "Unsupported Data Reference"
    m.mmu.itc("d", pte(0x100000), itir(14), 0x4000)
    m.S(8, 0x4000, 12)
    assert lm(0x4000) == 12


def test_rse_references_use_rt_and_rsc_pl():
    m = Machine()
    m.mmu.itc("d", pte(0x100000, pl=0), itir(14), 0x4000)
    m.st.ar[16] = 3 << 2  # rsc.pl 3
    e = fault(m.mmu.rse_stores[8], 0x4000, 1)
    assert e.vector == "Data Access Rights" and e.isr == ISR_W | ISR_RS
    m.st.ar[16] = 0
    m.mmu.rse_stores[8](0x4000, 0x55)
    assert m.mmu.rse_loads[8](0x4000) == 0x55  # now cached at pl 0
    m.st.ar[16] = 3 << 2  # a cached translation is not used at another level
    e = fault(m.mmu.rse_loads[8], 0x4000)
    assert e.vector == "Data Access Rights" and e.isr == ISR_R | ISR_RS
    m.st.ar[16] = 0
    m.set_psr(rt=0)  # physical backing store
    assert m.mmu.rse_loads[8](0x100000) == 0x55


# -- tpa, tak, probe, thash, ttag (SDM vol. 3 and vol. 2, 4.1.5) ------------------------

def test_tpa_tak_probe_thash_ttag():
    m = Machine()
    m.mmu.itc("d", pte(0x100000, pl=0, ar=2), itir(14, key=0x42), 0x4000)
    assert m.mmu.tpa(0x4123) == 0x100123
    e = fault(m.mmu.tpa, 0x8000)
    assert e.vector == "Alternate Data TLB" and e.isr == ISR_NA  # code 0: tpa
    assert m.mmu.tak(0x4000) == 0x42 << 8
    assert m.mmu.tak(0x8000) == 1
    assert m.mmu.probe(0x4000, 0, READ) == 1
    assert m.mmu.probe(0x4000, 0, WRITE) == 1
    assert m.mmu.probe(0x4000, 3, READ) == 0  # pl 3 on a pl 0 page
    e = fault(m.mmu.probe, 0x4000, 3, WRITE, True)
    assert e.vector == "Data Access Rights" and e.isr == ISR_W | ISR_NA | 5
    assert fault(m.mmu.probe, 0x8000, 0, READ).isr == ISR_R | ISR_NA | 2
    assert m.mmu.probe(0x0010000000000000, 0, READ) == 0  # unimplemented address
    m.st.priv.cr[8] = PTA_LINUX
    assert m.mmu.thash(0x2000000000004000) == 0x3FFFFF0000000008
    assert m.mmu.ttag(0x2000000000004000) == 1 ^ (1 << 39)
    assert m.mmu.impl_va(0x1FFFFFFFFFFFC000) and not m.mmu.impl_va(0x0010000000000000)


# -- self-modifying code ------------------------------------------------------------

def test_store_into_a_code_frame_calls_the_hook():
    m = Machine()
    m.mmu.itc("d", pte(0x100000), itir(14), 0x4000)
    m.S(8, 0x4000, 1)  # cached for writes
    m.mmu.note_code(0x101000)  # the second 4K frame of the page holds code
    m.S(8, 0x4000, 2)
    assert m.code == []
    m.S(8, 0x5008, 3)
    m.S(4, 0x5010, 4)
    assert m.code == [(0x101008, 8), (0x101010, 4)]
    m.set_psr(dt=0)  # physical stores too
    m.S(8, 0x101020, 5)
    assert m.code[-1] == (0x101020, 8)
    m.mmu.forget_code(0x101000)
    m.S(8, 0x101028, 6)
    assert len(m.code) == 3


def test_kinds_exported():
    assert mmu_mod.SEM == SEM == ISR_R | ISR_W


def test_platform_view_without_faults():
    m = Machine()
    m.mmu.itc("d", pte(0x100000), itir(14), 0xE000000000004000)
    assert m.mmu.virt_to_phys(0xE000000000004010) == 0x100010
    assert m.mmu.virt_to_phys(0xE000000000008000) is None  # a miss: no fault
    with pytest.raises(SimError, match="not mapped"):  # crosses into an unmapped page
        m.mmu.write_virtual(0xE000000000007FFC, b"abcdefgh")
    assert m.mem.read_bytes(0x103FFC, 4) == b"abcd"  # the mapped part was written
    assert m.mmu.read_virtual(0xE000000000007FFC, 4) == b"abcd"


def test_platform_view_reports_unmapped():
    m = Machine()
    with pytest.raises(SimError, match="not mapped"):
        m.mmu.read_virtual(0x4000, 8)
    m.set_psr(dt=0)
    m.mem.write_bytes(0x2000, b"xyz")
    assert m.mmu.read_virtual(0x8000000000002000, 3) == b"xyz"


def test_instruction_tr_and_ptr_i_and_ptc_g():
    # SDM vol. 2, 4.1.1.4: ptr.i purges the instruction side only; ptc.g/ptc.ga act
    # locally on one processor (SDM vol. 3, ptc.g)
    m = Machine()
    m.mmu.itr("i", 0, pte(0x4000000, ar=1), itir(26), 0xA000000100000000)
    m.mmu.itr("d", 0, pte(0x4000000), itir(26), 0xA000000100000000)
    assert m.mmu.fetch(0xA000000100000040) == 0x4000040
    m.mmu.ptr("i", 0xA000000100000000, 26 << 2)
    assert fault(m.mmu.fetch, 0xA000000100000040).vector == "Alternate Instruction TLB"
    assert m.L(8, 0xA000000100000040) == 0  # the data register is still there
    m.mmu.itc("d", pte(0x100000), itir(14), 0x4000)
    assert m.L(8, 0x4000) == 0
    m.mmu.ptc_l(0x4000, 14 << 2, "ptc.ga")
    assert fault(m.L, 8, 0x4000).vector == "Alternate Data TLB"


def test_device_ranges_do_not_overlap_memory():
    m = Machine()
    assert m.mem.device_at(DEV + 0xFFF).name == "uart"
    assert m.mem.device_at(DEV + 0x1000) is None
    with pytest.raises(MemoryFault, match="overlaps"):
        m.mem.map_device(0x1000, 0x1000, "bad", m.dev.read, m.dev.write)
    with pytest.raises(MemoryFault, match="overlaps device"):
        m.mem.map(DEV, 0x2000, "more ram")
    with pytest.raises(MemoryFault):  # the user-mode accessors never reach a device
        m.mem.loads[4](DEV)
