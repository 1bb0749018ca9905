"""pvcc-sim's TLB, access-rights table and VHPT hash (pure Python, SDM volume 2).

Each test names the SDM section it checks.
"""

from __future__ import annotations

import pytest

from pvcc.sim.system import rights, tlb, vhpt
from pvcc.sim.system.faults import GE_RESERVED_REGISTER_FIELD, Interruption
from pvcc.sim.system.rights import R, W, X
from pvcc.sim.system.tlb import TLB, MachineCheck


def pte(pa, *, p=1, ma=0, a=1, d=1, pl=0, ar=3, ed=0):
    """An insertion-format PTE (SDM vol. 2, 4.1.1.5)."""
    return p | ma << 2 | a << 5 | d << 6 | pl << 7 | ar << 9 | pa | ed << 52


def itir(ps, key=0):
    return ps << 2 | key << 8


class Drops:
    def __init__(self):
        self.entries = []

    def __call__(self, e):
        self.entries.append(e)


# -- the access-rights table (SDM vol. 2, 4.1.1.6, "Page Access Rights") ------------

@pytest.mark.parametrize(("ar", "pl", "cpl", "want"), [
    (0, 3, 3, R), (0, 0, 3, 0), (0, 2, 1, R),
    (1, 3, 0, R | X), (1, 1, 2, 0),
    (2, 3, 3, R | W), (2, 0, 1, 0),
    (3, 3, 3, R | W | X), (3, 0, 0, R | W | X), (3, 1, 2, 0),
    (4, 3, 3, R), (4, 3, 2, R | W), (4, 0, 0, R | W), (4, 1, 1, R),
    (5, 3, 3, R | X), (5, 3, 1, R | X), (5, 3, 0, R | W | X), (5, 0, 0, R | W | X),
    (6, 3, 3, R | W | X), (6, 3, 2, R | W), (6, 0, 0, R | W), (6, 2, 2, R | W | X),
    (7, 3, 3, X), (7, 0, 3, X), (7, 2, 1, X), (7, 3, 0, R | X), (7, 0, 0, R | X),
])
def test_access_rights_table(ar, pl, cpl, want):
    assert rights.rights(ar, pl, cpl) == want


def _described(ar, pl, cpl):
    """The rights from the SDM's description column of the table: no access below
    TLB.pl (except ar 7's execute), the first set at pl and the second set at
    more privileged levels (ar 4: the second from any level above pl and at 0;
    ar 5: the second only at level 0; ar 6: the first only at pl = cpl != 0)."""
    if ar == 7:
        return R | X if cpl == 0 else X
    if cpl > pl:
        return 0
    base = {0: R, 1: R | X, 2: R | W, 3: R | W | X}
    if ar in base:
        return base[ar]
    if ar == 4:
        return R | W if cpl < pl or cpl == 0 else R
    if ar == 5:
        return R | W | X if cpl == 0 else R | X
    return R | W | X if cpl == pl and cpl != 0 else R | W  # ar 6


def test_access_rights_table_against_its_descriptions():
    for ar in range(8):
        for pl in range(4):
            for cpl in range(4):
                assert rights.rights(ar, pl, cpl) == _described(ar, pl, cpl), (ar, pl, cpl)


def test_epc_promotion_only_from_ar7_to_a_more_privileged_pl():
    # SDM vol. 2, 4.1.1.6: the XPn entries of TLB.ar 7
    assert rights.promotion(7, 0, 3) == 0
    assert rights.promotion(7, 2, 3) == 2
    assert rights.promotion(7, 3, 3) is None
    assert rights.promotion(3, 0, 3) is None


# -- inserts and lookups (SDM vol. 2, 4.1.1.1-4.1.1.5) --------------------------------

def test_tc_insert_lookup_matches_rid_and_page():
    t = TLB()
    t.itc("d", 0x10, 0x2000000000004000, pte(0x80000), itir(14))
    e = t.lookup("d", 0x10, 0x2000000000007FF8)
    assert e is not None and e.pa == 0x80000 and e.size == 1 << 14
    assert t.lookup("d", 0x11, 0x2000000000004000) is None  # another region id
    assert t.lookup("d", 0x10, 0x2000000000008000) is None  # the next page
    assert t.lookup("i", 0x10, 0x2000000000004000) is None  # the other side
    # the region number is not part of the match, the region id is (4.1.1.4)
    assert t.lookup("d", 0x10, 0x6000000000004000) is e


def test_tr_insert_lookup():
    t = TLB()
    t.itr("i", 0, 5, 0xA000000100000000, pte(0x4000000, ar=1), itir(26))
    e = t.lookup("i", 5, 0xA000000103FFFFF0)
    assert e.slot == 0 and e.pa == 0x4000000 and e.ar == 1
    assert t.lookup("i", 5, 0xA000000104000000) is None


@pytest.mark.parametrize("ps", tlb.PAGE_SIZES)
def test_every_supported_page_size(ps):
    # SDM vol. 2, 4.1.1.7: 4K..256M and 4G, the mask PAL_VM_PAGE_SIZE reports
    t = TLB()
    va = 0x2000000000000000 | (3 << ps)
    t.itc("d", 1, va, pte(5 << ps), itir(ps))
    assert t.lookup("d", 1, va).pa == 5 << ps
    assert t.lookup("d", 1, va + (1 << ps) - 1) is not None
    assert t.lookup("d", 1, va + (1 << ps)) is None
    assert t.lookup("d", 1, va - 1) is None


def test_page_size_mask_is_linux_default():
    assert tlb.PAGE_SIZE_MASK == 0x115557000


@pytest.mark.parametrize("ps", [11, 15, 17, 19, 30, 34])
def test_unsupported_page_size_is_a_reserved_field(ps):
    with pytest.raises(Interruption) as ei:
        TLB().itc("d", 1, 0, pte(0), itir(ps))
    assert ei.value.vector == "General Exception"
    assert ei.value.isr == GE_RESERVED_REGISTER_FIELD


@pytest.mark.parametrize(("p", "t"), [
    (pte(0, ma=1), itir(12)),  # reserved memory attribute
    (pte(0) | 2, itir(12)),  # pte bit 1
    (pte(0) | 1 << 50, itir(12)),  # pte bits 51:50
    (pte(0), itir(12) | 1),  # itir bits 1:0
    (pte(0), itir(12) | 1 << 40),  # itir bits 63:32
])
def test_reserved_insert_fields(p, t):
    # SDM vol. 3, itc/itr: is_reserved_field(TLB_TYPE, GR[r2], CR[ITIR])
    with pytest.raises(Interruption) as ei:
        TLB().itc("d", 1, 0, p, t)
    assert ei.value.vector == "General Exception"


def test_not_present_entry_ignores_reserved_pte_fields():
    t = TLB()
    t.itc("d", 1, 0, pte(0, p=0, ma=1), itir(12))
    assert t.lookup("d", 1, 0).p == 0


def test_itr_slot_beyond_the_registers_is_reserved():
    with pytest.raises(Interruption) as ei:
        TLB().itr("d", tlb.NUM_TR, 1, 0, pte(0), itir(12))
    assert ei.value.isr == GE_RESERVED_REGISTER_FIELD


# -- purge behaviour of inserts and purges (SDM vol. 2, 4.1.1.4, Table 4-1) -----------

def test_overlapping_tc_insert_purges_the_older_entry():
    drops = Drops()
    t = TLB(drops)
    t.itc("d", 1, 0x10000, pte(0x100000), itir(16))  # 64K at 0x10000
    t.itc("d", 1, 0x14000, pte(0x200000), itir(12))  # 4K inside it
    assert len(drops.entries) == 1 and drops.entries[0].ps == 16
    assert t.lookup("d", 1, 0x10000) is None
    assert t.lookup("d", 1, 0x14000).pa == 0x200000
    # a different region id does not overlap
    t.itc("d", 2, 0x14000, pte(0x300000), itir(12))
    assert t.lookup("d", 1, 0x14000).pa == 0x200000


def test_tc_insert_overlapping_a_tr_is_a_machine_check():
    t = TLB()
    t.itr("d", 1, 7, 0xE000000000000000, pte(0), itir(24))
    with pytest.raises(MachineCheck):
        t.itc("d", 7, 0xE000000000004000, pte(0x4000), itir(14))
    t.itc("i", 7, 0xE000000000004000, pte(0x4000), itir(14))  # the other side: fine


def test_tr_insert_overlapping_another_slot_is_a_machine_check():
    t = TLB()
    t.itr("d", 0, 5, 0xA000000100000000, pte(0x4000000), itir(26))
    with pytest.raises(MachineCheck):
        t.itr("d", 2, 5, 0xA000000100000000, pte(0x4000000), itir(24))


def test_tr_insert_replaces_its_slot_and_purges_tc():
    drops = Drops()
    t = TLB(drops)
    t.itc("d", 7, 0xE000000001000000, pte(0x1000000), itir(24))
    t.itr("d", 1, 7, 0xE000000000000000, pte(0), itir(24))
    t.itr("d", 1, 7, 0xE000000001000000, pte(0x1000000), itir(24))  # Linux's stack TR
    assert [e.slot for e in drops.entries] == [None, 1]
    assert t.lookup("d", 7, 0xE000000000000000) is None
    assert t.lookup("d", 7, 0xE000000001000010).slot == 1


def test_ptc_l_purges_overlapping_entries_of_both_caches():
    t = TLB()
    t.itc("d", 1, 0x4000, pte(0x4000), itir(14))
    t.itc("i", 1, 0x4000, pte(0x4000), itir(14))
    t.itc("d", 1, 0x8000, pte(0x8000), itir(14))
    t.ptc(1, 0x5000, 12 << 2)  # 4K inside the first page: the whole entry goes
    assert t.lookup("d", 1, 0x4000) is None and t.lookup("i", 1, 0x4000) is None
    assert t.lookup("d", 1, 0x8000) is not None
    t.ptc(1, 0x0, 32 << 2)  # 4G: everything of rid 1 below 4G
    assert t.lookup("d", 1, 0x8000) is None


def test_ptc_l_of_a_large_range_over_small_pages():
    t = TLB()
    for n in range(64):
        t.itc("d", 3, n << 12, pte(n << 12), itir(12))
    t.ptc(3, 0x20000, 16 << 2)  # 64K: pages 0x20..0x2f
    left = {e.va >> 12 for e in t.entries("d")}
    assert left == set(range(64)) - set(range(0x20, 0x30))


def test_ptc_over_a_tr_is_a_machine_check_and_sizes_must_be_purgeable():
    t = TLB()
    t.itr("i", 0, 5, 0xA000000100000000, pte(0x4000000), itir(26))
    with pytest.raises(MachineCheck):
        t.ptc(5, 0xA000000100000000, 14 << 2)
    with pytest.raises(MachineCheck):
        t.ptc(5, 0x0, 15 << 2)


def test_ptc_e_purges_the_whole_cache_but_not_the_registers():
    # SDM vol. 3, ptc.e; PAL_PTCE_INFO count 1/1, stride 0/0: one ptc.e is the loop
    drops = Drops()
    t = TLB(drops)
    t.itr("d", 0, 5, 0xA000000100000000, pte(0x4000000), itir(26))
    for n in range(10):
        t.itc("d", 1, n << 14, pte(n << 14), itir(14))
        t.itc("i", 1, n << 14, pte(n << 14), itir(14))
    t.ptc_e()
    assert len(drops.entries) == 20
    assert t.entries("i") == [] and [e.slot for e in t.entries("d")] == [0]


def test_ptr_purges_its_side_registers_and_cache():
    t = TLB()
    t.itr("d", 1, 7, 0xE000000001000000, pte(0x1000000), itir(24))
    t.itr("i", 1, 7, 0xE000000001000000, pte(0x1000000), itir(24))
    t.itc("d", 7, 0xE000000002000000, pte(0x2000000), itir(24))
    t.ptr("d", 7, 0xE000000000000000, 26 << 2)  # 64M covering both
    assert t.lookup("d", 7, 0xE000000001000000) is None
    assert t.lookup("d", 7, 0xE000000002000000) is None
    assert t.lookup("i", 7, 0xE000000001000000) is not None


def test_tc_evicts_the_oldest_entry_when_full():
    drops = Drops()
    t = TLB(drops)
    for n in range(tlb.TC_CAPACITY + 1):
        t.itc("d", 1, n << 12, pte(0), itir(12))
    assert len(drops.entries) == 1 and drops.entries[0].va == 0
    assert t.lookup("d", 1, 0) is None
    assert t.lookup("d", 1, tlb.TC_CAPACITY << 12) is not None


# -- the VHPT hash and tag (SDM vol. 2, 4.1.5) ---------------------------------------

# Linux's cr.pta (mm/init.c): base 2**61 - 2**vmlpt_bits, size vmlpt_bits, short format,
# walker bit set; vmlpt_bits = 51 implemented bits - PAGE_SHIFT 14 + 3 = 40.
LINUX_PTA = ((1 << 61) - (1 << 40)) | 40 << 2 | 1
RR_16K = 1 << 8 | 14 << 2 | 1  # rid 1, ps 14, ve 1


def test_thash_short_format():
    # the hash of SDM vol. 2, 4.1.5.3: region of va | base above the size | vpn * 8
    assert vhpt.thash(0x2000000000004000, RR_16K, LINUX_PTA) == 0x3FFFFF0000000008
    assert vhpt.thash(0x0000000000000000, RR_16K, LINUX_PTA) == 0x1FFFFF0000000000
    va = 0x0000000123456789
    want = 0x1FFFFF0000000000 | ((va >> 14) << 3)
    assert vhpt.thash(va, RR_16K, LINUX_PTA) == want
    # unimplemented bits (60:51, a copy of bit 50) are not part of the hash
    hi = 0x1FFFFFFFFFFFC000
    assert vhpt.thash(hi, RR_16K, LINUX_PTA) == (
        0x1FFFFF0000000000 | ((((1 << 51) - 1) & hi) >> 14 << 3 & ((1 << 40) - 1)))


def test_thash_small_table_keeps_offset_bits_below_15():
    pta = 0x12340000 | 15 << 2  # 32K table
    assert vhpt.thash(0x3 << 14, 14 << 2, pta) == 0x12340000 | (3 << 3)
    assert vhpt.thash(0x1000 << 14, 14 << 2, pta) == 0x12340000  # wraps in the table


def test_thash_long_format_and_ttag_are_the_documented_ones():
    pta = 0xC000000000000000 | 0x10000000 | 20 << 2 | 1 << 8
    rr = 0x42 << 8 | 14 << 2
    va = 0x2000000000010000
    vpn = (va & ((1 << 51) - 1)) >> 14
    assert vhpt.thash(va, rr, pta) == 0xC000000000000000 | 0x10000000 | (
        ((vpn ^ 0x42) << 5) & ((1 << 20) - 1))
    assert vhpt.ttag(va, rr) == vpn ^ (0x42 << 39)
    assert vhpt.ttag(va, rr) >> 63 == 0
