"""System mode with translation: the TLB vectors as the interruptions deliver
them (Alternate/Data TLB, Data Nested TLB with psr.ic = 0, Data Access
Rights, Dirty-Bit), a TC purge, tpa and thash, and speculative-load deferral
by psr.ed and the code page's TLB.ed, on hand-assembled programs
(tests/systemasm.py).  Sections: SDM volume 2."""

from __future__ import annotations

from asmtools import needs_binutils
from systemasm import recorded, run_system, sym

pytestmark = needs_binutils

VA = 0x2000000000100000  # region 1: rr1 = rid 1, 16 KiB pages, ve 0 at reset
PA = 0x500000
PTE_RWX = 0x661  # p, ma WB, a, d, pl 0, ar 3 (read, write, execute)
PTE_RO = 0x061  # ar 0: read only
PTE_CLEAN = 0x621  # d = 0
ISR_R, ISR_W, ISR_SP = 1 << 34, 1 << 33, 1 << 36
PSR_IC_DT = 0x22000


def mapping(va: int, pte: int, ps: int = 14, side: str = "d") -> str:
    """itc.[side] a translation (psr.ic must be 0, 4.1.1.5)."""
    return f"""
	movl r2 = {va:#x}
	movl r3 = {ps << 2:#x}
	movl r4 = {pte:#x}
	;;
	mov cr.ifa = r2
	mov cr.itir = r3
	;;
	itc.{side} r4
	;;
	srlz.d
	;;
"""


def virtual(pte: int) -> str:
    """Map VA -> PA and turn data translation (and collection) on."""
    return f"""
	rsm psr.ic
	;;
	srlz.d
	;;
{mapping(VA, PA | pte)}
	ssm {PSR_IC_DT:#x}
	;;
	srlz.d
	movl r2 = {VA + 8:#x}
	;;
"""


def test_access_rights_fault(tmp_path):
    """4.1.1.6: ar 0 grants reads only; a store is a Data Access Rights fault
    (8, vector 0x5300) with cr.ifa and ISR.w."""
    r = run_system(tmp_path, virtual(PTE_RO) + """
	ld8 r3 = [r2]
	;;
	st8 [r2] = r3
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5300 and rec["ifa"] == VA + 8
    assert rec["isr"] & ISR_W and not rec["isr"] & ISR_R
    assert rec["ipsr"] & (1 << 17) and rec["psr"] & (1 << 17)  # dt kept (5.5)


def test_dirty_bit_fault(tmp_path):
    """4.1.1.5 / 8: a store to a page with TLB.d = 0 is a Dirty-Bit fault
    (vector 0x2000); the load before it is fine."""
    r = run_system(tmp_path, virtual(PTE_CLEAN) + """
	ld8 r3 = [r2]
	;;
	st8 [r2] = r3
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x2000 and rec["ifa"] == VA + 8 and rec["isr"] & ISR_W


def test_tc_purge_makes_the_next_access_miss(tmp_path):
    """4.1.1.4: ptc.l purges the translation; the next reference misses: with
    rr.ve = 0 the Alternate Data TLB fault (8, 0x1000) with cr.ifa, cr.itir
    (rr.ps, rr.rid) and cr.iha = thash(ifa)."""
    r = run_system(tmp_path, virtual(PTE_RWX) + """
	ld8 r3 = [r2]
	mov r5 = 14 << 2
	;;
	ptc.l r2, r5
	;;
	srlz.d
	;;
	ld8 r3 = [r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x1000 and rec["ifa"] == VA + 8
    assert rec["isr"] & ISR_R and rec["itir"] == (1 << 8) | (14 << 2)
    assert r.state.g[3] == 0  # the first load read the zeroed RAM


def test_data_tlb_vector_with_the_vhpt_enabled_region(tmp_path):
    """8: with cr.pta.ve = 1 and rr.ve = 1 a miss is the Data TLB fault (0x0800)."""
    r = run_system(tmp_path, """
	movl r2 = 0x2000000000000000
	movl r3 = (1 << 8) | (14 << 2) | 1
	movl r4 = 0x1ff00000 | (20 << 2) | 1
	;;
	mov rr[r2] = r3
	mov cr.pta = r4
	;;
	srlz.d
	ssm psr.dt
	;;
	srlz.d
	movl r2 = 0x2000000000104000
	;;
	ld8 r3 = [r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x0800 and rec["ifa"] == 0x2000000000104000
    va = rec["ifa"]
    mask = (1 << 20) - 1
    assert rec["iha"] == (va & (7 << 61)) | (0x1ff00000 & ~mask) | (((va & ((1 << 51) - 1))
                                                                      >> 14) << 3 & mask)


def test_nested_dtlb_with_psr_ic_0(tmp_path):
    """5.5, 8 Data Nested TLB (0x1400): a data TLB miss while psr.ic = 0 (in the
    Alternate DTLB handler) goes to the nested vector and writes no
    interruption register: cr.ifa, cr.iip, cr.isr still describe the first miss."""
    r = run_system(tmp_path, """
	ssm psr.dt
	;;
	srlz.d
	movl r2 = 0x2000000000100010
	;;
first:
	ld8 r3 = [r2]
	;;
""", handlers={"Alternate Data TLB": """
	movl r30 = 0x2000000000900000
	;;
	ld8 r31 = [r30]
	;;
"""})
    rec = recorded(r)
    assert rec["vector"] == 0x1400
    assert rec["ifa"] == 0x2000000000100010 and rec["iip"] == sym(r, "first")
    assert rec["isr"] & ISR_R and not rec["ipsr"] & (1 << 39)
    assert r.system.counts["Data Nested TLB"] == 1


def test_tpa_and_thash(tmp_path):
    """vol. 3 tpa: the physical address through the data TLB; thash: the short
    format VHPT hash of 4.1.5.3 with cr.pta and rr.ps; ttag: implementation
    defined (pvcc-sim: vpn ^ rid << 39)."""
    pta = 0x1ff00000 | (20 << 2)
    r = run_system(tmp_path, virtual(PTE_RWX) + f"""
	movl r4 = {pta:#x}
	movl r2 = {VA + 0x1234:#x}
	;;
	mov cr.pta = r4
	;;
	srlz.d
	tpa r8 = r2
	;;
	thash r9 = r2
	ttag r10 = r2
	;;
""")
    assert r.error is None, r.error
    g = r.state.g
    va = VA + 0x1234
    mask = (1 << 20) - 1
    assert g[8] == PA | 0x1234
    assert g[9] == (1 << 61) | (0x1ff00000 & ~mask) | (((va & ((1 << 51) - 1)) >> 14) << 3 & mask)
    assert g[10] == ((va & ((1 << 51) - 1)) >> 14) ^ (1 << 39)


def test_tpa_miss_is_a_non_access_fault(tmp_path):
    """8: tpa on an untranslated address takes the data TLB fault with ISR.na."""
    r = run_system(tmp_path, """
	ssm psr.dt
	;;
	srlz.d
	movl r2 = 0x2000000000700000
	;;
	tpa r8 = r2
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x1000 and rec["isr"] & (1 << 35)


def test_ld_s_fault_is_not_deferred_without_tlb_ed(tmp_path):
    """5.5.5: a speculative load's miss is deferred only when the code page's
    TLB.ed = 1 and cr.dcr.dm; in physical instruction mode (no TLB.ed) it
    faults, with ISR.sp."""
    r = run_system(tmp_path, """
	mov r2 = 1 << 8
	;;
	mov cr.dcr = r2
	ssm psr.dt
	;;
	srlz.d
	movl r2 = 0x2000000000700000
	;;
	ld8.s r3 = [r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x1000 and rec["isr"] & ISR_SP


CODE_PTE = 0x100000 | PTE_RWX | (1 << 52)  # identity, 1 MiB, TLB.ed = 1


def _to_virtual(ipsr: int) -> str:
    """Map the code (identity, TLB.ed = 1) and rfi into it with ``ipsr``."""
    return f"""
	rsm psr.ic
	;;
	srlz.d
	;;
{mapping(0x100000, CODE_PTE, 20, "i")}
	mov r2 = 1 << 8
	movl r3 = virt
	movl r5 = {ipsr:#x}
	;;
	mov cr.dcr = r2
	mov cr.iip = r3
	mov cr.ipsr = r5
	mov cr.ifs = r0
	;;
	rfi
	;;
"""


def test_ld_s_miss_deferred_by_tlb_ed_and_dcr_dm(tmp_path):
    """5.5.5: code on a page with TLB.ed = 1 and cr.dcr.dm = 1: the speculative
    load's TLB miss defers (NaT), no interruption."""
    ipsr = (1 << 36) | (1 << 17) | (1 << 13) | (1 << 44)  # it, dt, ic, bn
    r = run_system(tmp_path, _to_virtual(ipsr), extra="""
	.align 16
virt:
	movl r2 = 0x2000000000700000
	;;
	ld8.s r3 = [r2]
	;;
	tnat.nz p6, p7 = r3
	;;
	(p6) mov r8 = 0x42
	(p7) mov r8 = 0x43
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0x42 and not r.system.counts


def test_psr_ed_defers_a_mapped_load(tmp_path):
    """psr.ed (set by rfi): the next speculative load defers without
    reading, even from a mapped page."""
    ipsr = (1 << 36) | (1 << 17) | (1 << 13) | (1 << 44) | (1 << 43)  # ... ed
    r = run_system(tmp_path, _to_virtual(ipsr), extra="""
	.align 16
virt:
	movl r2 = 0x100000
	;;
	ld8.s r3 = [r2]
	;;
	tnat.nz p6, p7 = r3
	;;
	(p6) mov r8 = 0x42
	(p7) mov r8 = 0x43
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0x42


def _rfi_to(target: str, ipsr: int, maps: str) -> str:
    """Map the IVT's 1 MiB (identity, RWX) for fetches, add ``maps``, and rfi to
    ``target`` with ``ipsr``."""
    return f"""
	rsm psr.ic
	;;
	srlz.d
	;;
{mapping(0x100000, 0x100000 | PTE_RWX, 20, "i")}
{maps}
	movl r3 = {target}
	movl r5 = {ipsr:#x}
	;;
	mov cr.iip = r3
	mov cr.ipsr = r5
	mov cr.ifs = r0
	;;
	rfi
	;;
"""


IPSR_VIRT = (1 << 36) | (1 << 13) | (1 << 44)  # it, ic, bn


def test_alternate_instruction_tlb(tmp_path):
    """8 Alternate Instruction TLB (0x0c00): a fetch miss with rr.ve = 0;
    cr.ifa = cr.iip = the bundle, ISR.x."""
    r = run_system(tmp_path, _rfi_to("0x2000000", IPSR_VIRT, ""))
    rec = recorded(r)
    assert rec["vector"] == 0x0C00 and rec["ifa"] == 0x2000000 == rec["iip"]
    assert rec["isr"] & (1 << 32)


def test_instruction_tlb_with_the_vhpt_enabled_region(tmp_path):
    """8 Instruction TLB (0x0400): rr.ve = 1, cr.pta.ve = 1, psr.ic = 1 (and
    psr.dt = 1: system.mmu enables its absent walker only with data translation)."""
    setup = """
	movl r2 = 0
	movl r3 = (0 << 8) | (14 << 2) | 1
	movl r4 = 0x1ff00000 | (20 << 2) | 1
	;;
	mov rr[r2] = r3
	mov cr.pta = r4
	;;
	srlz.d
	;;
"""
    r = run_system(tmp_path, _rfi_to("0x2000000", IPSR_VIRT | (1 << 17), setup))
    rec = recorded(r)
    assert rec["vector"] == 0x0400 and rec["ifa"] == 0x2000000


def test_instruction_access_rights(tmp_path):
    """4.1.1.6: ar 2 (read, write) does not grant execute: Instruction Access
    Rights (0x5200)."""
    maps = mapping(0x300000, 0x100000 | 0x461, 20, "i")  # ar 2
    r = run_system(tmp_path, _rfi_to("0x300000", IPSR_VIRT, maps))
    rec = recorded(r)
    assert rec["vector"] == 0x5200 and rec["ifa"] == 0x300000 and rec["isr"] & (1 << 32)


def test_instruction_access_bit(tmp_path):
    """8 Instruction Access-Bit (0x2400): TLB.a = 0 and psr.ia = 0."""
    maps = mapping(0x300000, 0x100000 | 0x641, 20, "i")  # a = 0
    r = run_system(tmp_path, _rfi_to("0x300000", IPSR_VIRT, maps))
    assert recorded(r)["vector"] == 0x2400


def test_data_access_bit_and_page_not_present(tmp_path):
    """8 Data Access-Bit (0x2800): TLB.a = 0; Page Not Present (0x5000): TLB.p = 0."""
    r = run_system(tmp_path, virtual(0x641) + "\tld8 r3 = [r2]\n\t;;")
    assert recorded(r)["vector"] == 0x2800
    r = run_system(tmp_path, virtual(0x660) + "\tld8 r3 = [r2]\n\t;;")
    rec = recorded(r)
    assert rec["vector"] == 0x5000 and rec["ifa"] == VA + 8


def test_epc_promotes_on_an_execute_promote_page(tmp_path):
    """4.1.1.6 / vol. 3 epc: on a page with ar 7 (execute, promote) epc sets cpl
    to the page's TLB.pl; the privileged instruction after it then runs."""
    maps = mapping(0x300000, 0x100000 | 0xE61, 20, "i")  # ar 7, pl 0
    ipsr = IPSR_VIRT | (3 << 32)
    r = run_system(tmp_path, _rfi_to("0x300000 + (gate - 0x100000)", ipsr, maps),
                   extra="""
	.align 16
gate:
	epc
	;;
	mov r3 = psr
	;;
	extr.u r8 = r3, 32, 2
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0


def test_no_promotion_elsewhere(tmp_path):
    """epc on an ordinary page changes nothing: the next privileged instruction
    at cpl 3 faults."""
    maps = mapping(0x300000, 0x100000 | PTE_RWX | (3 << 7), 20, "i")  # ar 3, pl 3
    r = run_system(tmp_path, _rfi_to("0x300000 + (gate - 0x100000)", IPSR_VIRT | (3 << 32),
                                     maps), extra="""
	.align 16
gate:
	epc
	;;
	mov r3 = psr
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xFF == 0x10


def test_rse_spill_fault_restarts_flushrs(tmp_path):
    """An RSE store that misses (psr.rt = 1) faults at the flushrs with ISR.rs;
    after the handler inserts the translation and rfi's, flushrs runs again and
    the registers reach the backing store."""
    bs = 0x2000000000200000
    r = run_system(tmp_path, f"""
	alloc r35 = ar.pfs, 0, 4, 0, 0
	;;
	mov r32 = 11
	mov r33 = 22
	mov r34 = 33
	mov r35 = 44
	movl r2 = {bs:#x}
	;;
	mov ar.rsc = r0
	;;
	mov ar.bspstore = r2
	;;
	mov r3 = psr
	movl r4 = 0x8002000
	;;
	or r3 = r3, r4
	;;
	mov psr.l = r3
	;;
	srlz.d
	;;
	cover
	;;
	flushrs
	;;
	mov r8 = 5
	;;
""", handlers={"Alternate Data TLB": """
	mov r16 = cr.ifa
	mov r17 = cr.isr
	movl r18 = 0x600661
	mov r19 = 14 << 2
	;;
	mov cr.itir = r19
	;;
	itc.d r18
	;;
	rfi
	;;
"""})
    assert r.error is None and r.status == 5, r.error
    bank0 = r.state.banks[0]
    assert bank0[0] == bs and bank0[1] & (1 << 37)  # ifa, ISR.rs
    mem = r.board.mem
    assert [int.from_bytes(mem.read_bytes(0x600000 + 8 * k, 8), "little") for k in range(4)] \
        == [11, 22, 33, 44]
    assert r.system.counts["Alternate Data TLB"] == 1


def test_thash_of_an_unimplemented_address_is_nat(tmp_path):
    """vol. 3 thash: an unimplemented virtual address gives NaT."""
    r = run_system(tmp_path, """
	movl r2 = 0x2010000000000000
	;;
	thash r3 = r2
	;;
	tnat.nz p6, p7 = r3
	;;
	(p6) mov r8 = 1
	(p7) mov r8 = 2
	;;
""")
    assert r.error is None and r.status == 1
