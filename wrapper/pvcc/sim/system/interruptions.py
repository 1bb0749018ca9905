"""IVA-based interruption delivery, ``rfi`` and the banked registers (SDM vol. 2,
5.5 "IVA-based Interruption Handling", 5.7 "IVA-based Interruption Vectors",
3.3.5 "Interruption Control Registers", the Processor Status Register, ch. 8
"Interruption Vector Descriptions"; vol. 3: rfi, bsw, cover).

Delivery of an ``Interruption`` at an instruction (bundle address | slot):

* psr.ic = 1: cr.ipsr = psr with ipsr.ri = the slot, cr.iip = the bundle
  (faults: the faulting instruction; external interrupts: the next one),
  cr.iipa = the last bundle an instruction completed in, cr.ifs.v = 0, cr.isr
  = the interruption's ISR with ei = the slot and ni = 0, and cr.ifa,
  cr.itir, cr.iha, cr.iim where the vector writes them.
* psr.ic = 0: a data TLB miss (Data TLB, Alternate Data TLB) becomes the Data
  Nested TLB fault, which writes no register (its handler returns through a
  register it chose).  Any other interruption with psr.ic = 0 leaves no way
  back (cr.iip and cr.ipsr are not written): the model stops with a one-line
  error naming it instead (docs/sim.md, "deviations").
* the new PSR keeps up, mfl, mfh, pk, dt, rt, mc and it, takes be and pp from
  cr.dcr, and clears every other bit (ic, i, bn, cpl, ri, ...); with psr.bn
  = 1 the registers r16-r31 switch to bank 0 first.
* ip = cr.iva + the vector's offset (cr.iva = 0: the model stops, naming it).
"""

from __future__ import annotations

from ..errors import SimError
from .faults import VECTORS, Interruption

M64 = (1 << 64) - 1
PSR_IC, PSR_I, PSR_BN = 1 << 13, 1 << 14, 1 << 44
PSR_RI_SHIFT = 41
# up, mfl, mfh, pk, dt, rt, mc, it: kept by an interruption
PSR_KEPT = (1 << 2) | (1 << 4) | (1 << 5) | (1 << 15) | (1 << 17) | (1 << 27) | (1 << 35) | (
    1 << 36)
CR_DCR, CR_IVA = 0, 2
CR_IPSR, CR_ISR, CR_IIP, CR_IFA, CR_ITIR, CR_IIPA, CR_IFS, CR_IIM, CR_IHA = (
    16, 17, 19, 20, 21, 22, 23, 24, 25)
ISR_NI = 1 << 39
ISR_EI_SHIFT = 41
_NESTED = frozenset(("Data TLB", "Alternate Data TLB", "VHPT Translation"))


def describe(e: Interruption, at: int) -> str:
    """The registers an interruption would write (for error messages)."""
    parts = [f"isr={(e.isr | (at & 3) << ISR_EI_SHIFT):#x}"]
    for name in ("ifa", "itir", "iha", "iim"):
        v = getattr(e, name)
        if v is not None:
            parts.append(f"{name}={v:#x}")
    return " ".join(parts)


def registers(cr) -> str:
    """The interruption registers, for error messages."""
    names = (("ipsr", CR_IPSR), ("isr", CR_ISR), ("iip", CR_IIP), ("ifa", CR_IFA),
             ("iim", CR_IIM), ("ifs", CR_IFS))
    return " ".join(f"{n}={cr[k]:#x}" for n, k in names)


def switch_bank(state, to: int) -> None:
    """Make bank ``to`` (0 or 1) of r16-r31 current (the PSR bit is the caller's)."""
    g = state.g
    cur = 1 - to
    state.banks[cur] = g[16:32]
    g[16:32] = state.banks[to]


def deliver(system, e: Interruption, at: int, iipa: int) -> int:
    """Deliver ``e`` raised at instruction ``at`` (bundle | slot; external
    interrupts: the next instruction); ``iipa`` is the bundle the last completed
    instruction was in.  Returns the handler's address."""
    st = system.state
    priv = st.priv
    cr = priv.cr
    psr = priv.psr
    vector = e.vector
    if not psr & PSR_IC:
        if vector == "Data Nested TLB" or (vector in _NESTED and not e.isr & (1 << 32)):
            vector = "Data Nested TLB"
        else:
            raise SimError(f"{e.msg}, with psr.ic = 0: the SDM saves no state to return "
                           f"to (cr.iip, cr.ipsr not written); {describe(e, at)}; psr={psr:#x} "
                           f"{registers(cr)}", at)
    if not cr[CR_IVA]:
        raise SimError(f"{e.msg}, with cr.iva unset (no vector table); {describe(e, at)}; "
                       f"psr={psr:#x} {registers(cr)}", at)
    slot = at & 3
    if psr & PSR_IC:
        cr[CR_IPSR] = (psr & ~(3 << PSR_RI_SHIFT)) | slot << PSR_RI_SHIFT
        cr[CR_IIP] = at & ~15
        cr[CR_IIPA] = iipa & ~15
        cr[CR_IFS] &= ~(1 << 63)
        cr[CR_ISR] = (e.isr & ~(3 << ISR_EI_SHIFT) & ~ISR_NI) | slot << ISR_EI_SHIFT
        for reg, value in ((CR_IFA, e.ifa), (CR_ITIR, e.itir), (CR_IHA, e.iha),
                           (CR_IIM, e.iim)):
            if value is not None:
                cr[reg] = value & M64
    if psr & PSR_BN:
        switch_bank(st, 0)
    dcr = cr[CR_DCR]
    priv.psr = (psr & PSR_KEPT) | (dcr & 2) | ((dcr & 1) << 21)
    system.counts[vector] += 1
    if system.on_deliver is not None:
        system.on_deliver(vector, at)
    system.psr_changed()
    return (cr[CR_IVA] & ~0x7FFF) + VECTORS[vector]


def rfi(system) -> int:
    """``rfi``: psr = cr.ipsr (banks follow ipsr.bn), the covered frame back when
    cr.ifs.v = 1, and execution resumes at cr.iip, slot ipsr.ri.  Returns the
    resume address as bundle | slot (the system's run loop starts mid-bundle)."""
    st = system.state
    priv = st.priv
    cr = priv.cr
    ipsr, iip, ifs = cr[CR_IPSR], cr[CR_IIP], cr[CR_IFS]
    ri = (ipsr >> PSR_RI_SHIFT) & 3
    if ri == 3:
        raise SimError(f"rfi with cr.ipsr.ri = 3 (reserved); {registers(cr)}")
    if ifs >> 63:
        st.rse.uncover(ifs & ((1 << 38) - 1))
    if (ipsr ^ priv.psr) & PSR_BN:
        switch_bank(st, 1 if ipsr & PSR_BN else 0)
    priv.psr = ipsr & ~(3 << PSR_RI_SHIFT)
    system.psr_changed()
    system.check_resume(iip & ~15, cr)
    return (iip & ~15) | ri


def bsw(system, bank: int) -> None:
    """``bsw.0``/``bsw.1``: r16-r31 of bank ``bank`` become current."""
    priv = system.state.priv
    if ((priv.psr >> 44) & 1) != bank:
        switch_bank(system.state, bank)
        priv.psr ^= PSR_BN
