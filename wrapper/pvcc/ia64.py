"""pvcc's own IA-64 (Itanium) bundle decoder and encoder.

Pure Python, no dependencies.  A bundle is 128 bits, little-endian: template in
bits 4:0, slot 0 in bits 45:5, slot 1 in bits 86:46, slot 2 in bits 127:87
(41 bits each).  Format names below ("M34", "I21", "B3", ...) are those of the
Intel Itanium Architecture Software Developer's Manual, vol. 3; every form
decoded or encoded here is checked against GNU as/objdump (binutils 2.40) by
tests/unit/test_ia64.py.

Conventions:

* ``Bundle.insns`` has three ``Insn`` for ordinary templates and two for MLX:
  the M instruction (slot 0) and one long instruction with ``unit == 'L'``,
  ``slot == 1`` (the slot number gas uses for relocations and slot labels),
  ``raw`` = the X slot (slot 2) and ``raw_l`` = the L slot (slot 1).
* Reserved templates (0x06, 0x07, 0x14, 0x15, 0x1A, 0x1B, 0x1E, 0x1F) make
  ``decode_bundle`` raise ``DecodeError``; ``iter_bundles`` yields them instead
  with ``units is None``, ``stops == ()`` and three ``Insn(unit='?', op='reserved')``.
* Branch targets are absolute: bundle address + displacement (modulo 2**64).
* The decoder does not insist that ignored/reserved bits of a recognised form
  are zero; an instruction whose opcode bits match no form here has
  ``op == 'unknown'`` (its ``text()`` is ``unknown.<unit> <raw>``).
* ``Insn.fields`` is shared between equal decoded instructions (a cache makes
  decoding fast): treat it as read-only.
* Forms without a qualifying predicate (alloc, loadrs, flushrs, cover, rfi,
  bsw, epc, clrrrb, vmsw, br.cloop/cexit/ctop) have ``qp == 0`` whatever bits
  5:0 hold, as objdump prints them.
* ``text()`` follows objdump's spelling (e.g. ``cmp.ne p6,p7=r8,r0`` reads
  back as ``cmp.eq p7,p6=r8,r0``, ``adds r8=0,r1`` as ``mov r8=r1``, an
  unpredicated ``br.cond.sptk`` as ``br``), except: predicates are written
  ``(p6)`` not ``(p06)``, branch targets as ``0x...`` without ``<symbol>``,
  and hint.m immediates >= 16, which binutils 2.40 encodes/prints against
  the SDM's M48 format (the decoder follows the SDM: same field as nop.m).

Decoded forms: M: alloc, mov to/from rr/dbr/ibr/pkr/pmc/pmd/msr, cpuid, psr,
psr.l, psr.um, ar (M29/M30/M31), cr, fc, fc.i, thash, ttag, tpa, tak, ptc.*,
ptr.*, itr.*, itc.*, probe.*, ssm/rsm/sum/rum, srlz.*, sync.i, mf, mf.a,
invala, fwb, loadrs, flushrs, nop/hint/break, ld1-8/st1-8 (plain, no
post-increment); I: mov to/from ar (I26/I27/I28), mov to/from br, mov from
ip/pr, mov to pr, dep.z (I12/I13), nop/hint/break; A (M or I slot): add, sub,
and, andcm, or, xor, adds, addl, cmp/cmp4 (eq, lt, ltu, .unc; register and
imm8 forms); B: br.cond/wexit/wtop/cloop/cexit/ctop (B1), br.call (B3),
br.cond/br.ia/br.ret indirect (B4), br.call indirect (B5), cover, clrrrb,
rfi, bsw, epc, vmsw, nop/hint/break; F: nop/hint/break; MLX: movl, brl.call,
brl.cond, nop.x/hint.x/break.x.  Anything else is 'unknown'.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

MASK41 = (1 << 41) - 1
MASK64 = (1 << 64) - 1

# template -> (units, slots followed by a stop; 2 = the end of the bundle).
TEMPLATES: dict[int, tuple[str, tuple[int, ...]]] = {
    0x00: ("MII", ()), 0x01: ("MII", (2,)), 0x02: ("MII", (1,)), 0x03: ("MII", (1, 2)),
    0x04: ("MLX", ()), 0x05: ("MLX", (2,)),
    0x08: ("MMI", ()), 0x09: ("MMI", (2,)), 0x0A: ("MMI", (0,)), 0x0B: ("MMI", (0, 2)),
    0x0C: ("MFI", ()), 0x0D: ("MFI", (2,)),
    0x0E: ("MMF", ()), 0x0F: ("MMF", (2,)),
    0x10: ("MIB", ()), 0x11: ("MIB", (2,)),
    0x12: ("MBB", ()), 0x13: ("MBB", (2,)),
    0x16: ("BBB", ()), 0x17: ("BBB", (2,)),
    0x18: ("MMB", ()), 0x19: ("MMB", (2,)),
    0x1C: ("MFB", ()), 0x1D: ("MFB", (2,)),
}

# Application register names as objdump prints them (others print as "arN").
AR_NAMES = {
    0: "k0", 1: "k1", 2: "k2", 3: "k3", 4: "k4", 5: "k5", 6: "k6", 7: "k7",
    16: "rsc", 17: "bsp", 18: "bspstore", 19: "rnat", 21: "fcr", 24: "eflag",
    25: "csd", 26: "ssd", 27: "cflg", 28: "fsr", 29: "fir", 30: "fdr", 32: "ccv",
    36: "unat", 40: "fpsr", 44: "itc", 45: "ruc", 64: "pfs", 65: "lc", 66: "ec",
}
# Control register names as objdump prints them (others print as "crN").
CR_NAMES = {
    0: "dcr", 1: "itm", 2: "iva", 8: "pta", 16: "ipsr", 17: "isr", 19: "iip",
    20: "ifa", 21: "itir", 22: "iipa", 23: "ifs", 24: "iim", 25: "iha",
    26: "iib0", 27: "iib1", 64: "lid", 65: "ivr", 66: "tpr", 67: "eoi",
    68: "irr0", 69: "irr1", 70: "irr2", 71: "irr3", 72: "itv", 73: "pmv",
    74: "cmcv", 80: "lrr0", 81: "lrr1",
}


def ar_units(ar: int) -> str:
    """Units that may execute a move to/from application register ``ar``.

    SDM vol. 1 table 3-3: ar0-47 are M-unit only (M29/M31), ar64-111 I-unit
    only (I26/I28), ar48-63 and ar112-127 may use either ("M" is preferred,
    as gas does).
    """
    if not isinstance(ar, int) or isinstance(ar, bool) or not 0 <= ar <= 127:
        raise ValueError(f"application register number {ar!r} is out of range 0..127")
    if ar < 48:
        return "M"
    if 64 <= ar < 112:
        return "I"
    return "MI"


def ar_name(ar: int) -> str:
    return "ar." + AR_NAMES[ar] if ar in AR_NAMES else f"ar{ar}"


def cr_name(cr: int) -> str:
    return "cr." + CR_NAMES[cr] if cr in CR_NAMES else f"cr{cr}"


class DecodeError(ValueError):
    """Bytes that are not a decodable bundle (wrong length, reserved template)."""


@dataclass(frozen=True)
class Insn:
    unit: str  # 'M', 'I', 'F', 'B', 'L' (MLX long pair) or '?' (reserved template)
    slot: int
    raw: int  # 41-bit slot; for 'L' the X slot (slot 2)
    qp: int
    op: str
    fields: dict = field(default_factory=dict, hash=False)
    raw_l: int | None = None  # the L slot (slot 1) of an MLX long instruction

    def text(self) -> str:
        """objdump-like text (predicate written "(p6)", branch targets as 0x...)."""
        fmt = _TEXT.get(self.op)
        body = fmt(self) if fmt else None
        if body is None:
            u = self.unit.lower()
            body = f"unknown.{u} {self.raw:#x}" if self.op == "unknown" else f"{self.op}"
            if self.op == "reserved":
                body = f"reserved {self.raw:#x}"
        return f"(p{self.qp}) {body}" if self.qp else body


@dataclass(frozen=True)
class Bundle:
    addr: int
    template: int
    units: str | None  # e.g. "MII"; None for a reserved template
    stops: tuple[int, ...]  # slots followed by a stop (2 = end of bundle)
    insns: tuple[Insn, ...]  # 3 insns, or 2 for MLX (M, L)

    @property
    def ends_group(self) -> bool:
        """True if a stop follows slot 2 (the next bundle starts a new group)."""
        return 2 in self.stops

    @property
    def slots(self) -> tuple[int, int, int]:
        """The three raw 41-bit slots (for MLX: M, L, X)."""
        ins = self.insns
        if len(ins) == 2:
            return (ins[0].raw, ins[1].raw_l, ins[1].raw)
        return (ins[0].raw, ins[1].raw, ins[2].raw)

    def insn_at(self, slot: int) -> Insn:
        """The instruction occupying ``slot`` (slots 1 and 2 of MLX both give L)."""
        if len(self.insns) == 2 and slot == 2:
            return self.insns[1]
        return self.insns[slot]

    def text(self) -> str:
        """One line per instruction, ``;;`` where stops are, like objdump."""
        lines = []
        for ins in self.insns:
            last = 2 if ins.unit == "L" else ins.slot
            lines.append(ins.text() + (";;" if last in self.stops else ""))
        return "\n".join(lines)


# --------------------------------------------------------------------------
# Field helpers


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


_WH2 = ("sptk", "spnt", "dptk", "dpnt")  # B1, B3, B4, X3, X4: bits 34:33
_WH3 = {1: "sptk", 3: "spnt", 5: "dptk", 7: "dpnt"}  # B5: bits 34:32
_PH = ("few", "many")  # bit 12


def _imm21(r: int) -> int:
    """nop/break/hint immediate: i (bit 36) : imm20a (25:6)."""
    return ((r >> 16) & 0x100000) | ((r >> 6) & 0xFFFFF)


def _r1(r): return (r >> 6) & 0x7F
def _r2(r): return (r >> 13) & 0x7F
def _r3(r): return (r >> 20) & 0x7F
def _x6(r): return (r >> 27) & 0x3F
def _x3(r): return (r >> 33) & 7


# --------------------------------------------------------------------------
# Decoders: raw -> (op, fields).  ``addr`` is the bundle address (for targets).

_UNKNOWN = ("unknown", {})


def _nop_break_hint(r: int, nop_code: int) -> tuple[str, dict]:
    """Shared by M48/M37, I18/I19, F16/F15: x6 (or x4) 0 = break, 1 = nop/hint."""
    if nop_code == 0:
        return "break", {"imm": _imm21(r)}
    return ("hint" if (r >> 26) & 1 else "nop"), {"imm": _imm21(r)}


_M_SYS_X4_X2 = {  # M24/M25 (op 0, x3 0): (x4, x2) -> name
    (0xA, 0): "loadrs", (0xC, 0): "flushrs", (0, 1): "invala", (0, 2): "fwb",
    (2, 2): "mf", (3, 2): "mf.a", (0, 3): "srlz.d", (1, 3): "srlz.i", (3, 3): "sync.i",
}
_M44 = {4: "sum", 5: "rum", 6: "ssm", 7: "rsm"}


def _m_sys(r, addr):  # M-unit major opcode 0
    if _x3(r):
        return _UNKNOWN
    x4, x2 = (r >> 27) & 0xF, (r >> 31) & 3
    if x4 in _M44:  # M44: imm24 = i (36) : i2d (32:31) : imm21a (26:6)
        imm = ((r >> 13) & 0x800000) | (x2 << 21) | ((r >> 6) & 0x1FFFFF)
        return _M44[x4], {"imm": imm}
    if x2 == 0 and x4 in (0, 1):  # M37 break.m, M48 nop.m/hint.m
        return _nop_break_hint(r, x4)
    if x2 == 2 and x4 == 8:  # M30 mov.m ar3=imm8
        return "mov.to.ar", {"ar": _r3(r), "imm": _sext(((r >> 29) & 0x80) | _r2(r), 8)}
    name = _M_SYS_X4_X2.get((x4, x2))
    return (name, {}) if name else _UNKNOWN


_IND = ("rr", "dbr", "ibr", "pkr", "pmc", "pmd", "msr")
_M_MGMT: dict[int, tuple[str, tuple[str, ...]]] = {}
for _i, _n in enumerate(_IND):
    _M_MGMT[0x00 + _i] = ("mov.to." + _n, ("r3", "r2"))  # M42
    _M_MGMT[0x10 + _i] = ("mov.from." + _n, ("r1", "r3"))  # M43
_M_MGMT.update({
    0x17: ("mov.from.cpuid", ("r1", "r3")),  # M43
    0x09: ("ptc.l", ("r3", "r2")), 0x0A: ("ptc.g", ("r3", "r2")),  # M45
    0x0B: ("ptc.ga", ("r3", "r2")), 0x0C: ("ptr.d", ("r3", "r2")),
    0x0D: ("ptr.i", ("r3", "r2")),
    0x0E: ("itr.d", ("r3", "r2")), 0x0F: ("itr.i", ("r3", "r2")),  # M42
    0x18: ("probe.r", ("r1", "r3", "imm2")), 0x19: ("probe.w", ("r1", "r3", "imm2")),  # M39
    0x1A: ("thash", ("r1", "r3")), 0x1B: ("ttag", ("r1", "r3")),  # M46
    0x1E: ("tpa", ("r1", "r3")), 0x1F: ("tak", ("r1", "r3")),
    0x21: ("mov.from.psr.um", ("r1",)), 0x25: ("mov.from.psr", ("r1",)),  # M36
    0x22: ("mov.from.ar", ("r1", "ar")),  # M31
    0x24: ("mov.from.cr", ("r1", "cr")),  # M33
    0x29: ("mov.to.psr.um", ("r2",)), 0x2D: ("mov.to.psr.l", ("r2",)),  # M35
    0x2A: ("mov.to.ar", ("ar", "r2")),  # M29
    0x2C: ("mov.to.cr", ("cr", "r2")),  # M32
    0x2E: ("itc.d", ("r2",)), 0x2F: ("itc.i", ("r2",)),  # M41
    0x30: ("fc", ("r3",)),  # M28 (bit 36 set: fc.i)
    0x31: ("probe.rw.fault", ("r3", "imm2")), 0x32: ("probe.r.fault", ("r3", "imm2")),  # M40
    0x33: ("probe.w.fault", ("r3", "imm2")),
    0x34: ("ptc.e", ("r3",)),  # M47
    0x38: ("probe.r", ("r1", "r3", "r2")), 0x39: ("probe.w", ("r1", "r3", "r2")),  # M38
})
_GETTERS = {"r1": _r1, "r2": _r2, "r3": _r3, "ar": _r3, "cr": _r3,
            "imm2": lambda r: (r >> 13) & 3}


def _m_mgmt(r, addr):  # M-unit major opcode 1
    x3 = _x3(r)
    if x3 == 6:  # M34 alloc: sor (30:27, in units of 8), sol (26:20), sof (19:13)
        return "alloc", {"r1": _r1(r), "sof": _r2(r), "sol": _r3(r), "sor": ((r >> 27) & 0xF) * 8}
    if x3:
        return _UNKNOWN
    entry = _M_MGMT.get(_x6(r))
    if entry is None:
        return _UNKNOWN
    name, names = entry
    if name == "fc" and (r >> 36) & 1:
        name = "fc.i"
    return name, {n: _GETTERS[n](r) for n in names}


def _m_ldst(r, addr):  # M-unit major opcode 4: M1 ld / M4 st, no post-increment
    if (r >> 36) & 1 or (r >> 27) & 1:
        return _UNKNOWN
    # Only the plain hints (none, .nt1, .nta): hint 2 and a non-zero unused
    # field (r2 of a load, r1 of a store) are the ".d2"-".d7" hints of newer
    # processors, which objdump prints and this decoder leaves 'unknown'.
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    if x6 <= 3 and hint != 2 and not _r2(r):
        return f"ld{1 << x6}", {"r1": _r1(r), "r3": _r3(r), "hint": hint}
    if 0x30 <= x6 <= 0x33 and hint in (0, 3) and not _r1(r):
        return f"st{1 << (x6 - 0x30)}", {"r3": _r3(r), "r2": _r2(r), "hint": hint}
    return _UNKNOWN


_A1 = {(0, 0): ("add", 0), (0, 1): ("add", 1), (1, 1): ("sub", 0), (1, 0): ("sub", 1),
       (3, 0): ("and", 0), (3, 1): ("andcm", 0), (3, 2): ("or", 0), (3, 3): ("xor", 0)}
_CMP_REL = {0xC: "lt", 0xD: "ltu", 0xE: "eq"}


def _alu(r, addr):  # A-unit instructions (major 8-0xE in an M or I slot)
    major = r >> 37
    if major == 8:
        x2a, ve = (r >> 34) & 3, (r >> 33) & 1
        if ve:
            return _UNKNOWN
        if x2a == 0:  # A1: x4 (32:29), x2b (28:27)
            found = _A1.get(((r >> 29) & 0xF, (r >> 27) & 3))
            if found is None:
                return _UNKNOWN
            name, carry = found
            return name, {"r1": _r1(r), "r2": _r2(r), "r3": _r3(r), "carry": carry}
        if x2a == 2:  # A4 adds: imm14 = s (36) : imm6d (32:27) : imm7b (19:13)
            imm = _sext(((r >> 23) & 0x2000) | (_x6(r) << 7) | _r2(r), 14)
            return "adds", {"r1": _r1(r), "imm": imm, "r3": _r3(r)}
        return _UNKNOWN
    if major == 9:  # A5 addl: imm22 = s (36) : imm5c (26:22) : imm9d (35:27) : imm7b
        imm = (((r >> 15) & 0x200000) | (((r >> 22) & 0x1F) << 16)
               | (((r >> 27) & 0x1FF) << 7) | _r2(r))
        return "addl", {"r1": _r1(r), "imm": _sext(imm, 22), "r3": (r >> 20) & 3}
    rel = _CMP_REL.get(major)
    if rel is None:
        return _UNKNOWN
    x2, ta, c = (r >> 34) & 3, (r >> 33) & 1, (r >> 12) & 1
    if ta or (x2 < 2 and (r >> 36) & 1):  # parallel compares (A6/A7 with ta/tb)
        return _UNKNOWN
    f = {"rel": rel, "size": 4 if x2 & 1 else 8, "unc": c,
         "p1": (r >> 6) & 0x3F, "p2": _x6(r), "r3": _r3(r)}
    if x2 < 2:  # A6 register form
        f["r2"] = _r2(r)
    else:  # A8 immediate form: imm8 = s (36) : imm7b (19:13)
        f["imm"] = _sext(((r >> 29) & 0x80) | _r2(r), 8)
    return "cmp", f


def _i_misc(r, addr):  # I-unit major opcode 0
    x3 = _x3(r)
    if x3 == 7:  # I21 mov to br: b1, r2, wh (21:20), x (22) ret, ih (23), timm9c (32:24)
        if (r >> 20) & 3 == 3:  # reserved hint
            return _UNKNOWN
        tag = (addr + (_sext((r >> 24) & 0x1FF, 9) << 4)) & MASK64
        return "mov.to.br", {"b1": r >> 6 & 7, "r2": _r2(r), "wh": (r >> 20) & 3,
                             "ret": (r >> 22) & 1, "imp": (r >> 23) & 1, "target": tag}
    if x3 == 3:  # I23 mov pr=r2,mask17: s (36) : mask8c (31:24) : mask7a (12:6), bit 0 = 0
        m = ((r >> 20) & 0x10000) | (((r >> 24) & 0xFF) << 8) | (((r >> 6) & 0x7F) << 1)
        return "mov.to.pr", {"r2": _r2(r), "mask": _sext(m, 17) & ((1 << 64) - 1)}
    if x3:
        return _UNKNOWN
    x6 = _x6(r)
    if x6 <= 1:  # I19 break.i, I18 nop.i/hint.i
        return _nop_break_hint(r, x6)
    if x6 == 0x0A:  # I27 mov.i ar3=imm8
        return "mov.to.ar", {"ar": _r3(r), "imm": _sext(((r >> 29) & 0x80) | _r2(r), 8)}
    if x6 == 0x2A:  # I26
        return "mov.to.ar", {"ar": _r3(r), "r2": _r2(r)}
    if x6 == 0x32:  # I28
        return "mov.from.ar", {"r1": _r1(r), "ar": _r3(r)}
    if x6 == 0x31:  # I22 mov r1=b2
        return "mov.from.br", {"r1": _r1(r), "b2": (r >> 13) & 7}
    if x6 == 0x30:  # I25
        return "mov.from.ip", {"r1": _r1(r)}
    if x6 == 0x33:  # I25
        return "mov.from.pr", {"r1": _r1(r)}
    return _UNKNOWN


def _i_dep(r, addr):  # I-unit major opcode 5: only dep.z (I12 reg, I13 imm8)
    if (r >> 33) & 7 != 3:  # x2 (35:34) = 1, x (33) = 1 (bit 36: I13 sign, else ignored)
        return _UNKNOWN
    # len6d (32:27) = len - 1, cpos6c (25:20) = 63 - pos
    f = {"r1": _r1(r), "pos": 63 - ((r >> 20) & 0x3F), "len": _x6(r) + 1}
    if (r >> 26) & 1:  # I13: imm8 = s (36) : imm7b (19:13)
        f["imm"] = _sext(((r >> 29) & 0x80) | _r2(r), 8)
    else:
        f["r2"] = _r2(r)
    return "dep.z", f


def _br_hints(r) -> dict:
    return {"wh": _WH2[(r >> 33) & 3], "p": _PH[(r >> 12) & 1], "d": (r >> 35) & 1}


def _target21(r, addr) -> int:  # B1/B3: s (36) : imm20b (32:13), in bundles
    return (addr + (_sext(((r >> 16) & 0x100000) | ((r >> 13) & 0xFFFFF), 21) << 4)) & MASK64


_B8 = {0x02: "cover", 0x04: "clrrrb", 0x05: "clrrrb.pr", 0x08: "rfi", 0x0C: "bsw.0",
       0x0D: "bsw.1", 0x10: "epc", 0x18: "vmsw.0", 0x19: "vmsw.1"}
_B4 = {(0x20, 0): "br.cond.ind", (0x20, 1): "br.ia", (0x21, 4): "br.ret"}
_B1_BTYPE = {0: "br.cond", 2: "br.wexit", 3: "br.wtop", 5: "br.cloop", 6: "br.cexit",
             7: "br.ctop"}


def _b_ind(r, addr):  # B-unit major opcode 0: B4 indirect, B8 misc, B9 break.b
    x6 = _x6(r)
    if x6 == 0:
        return "break", {"imm": _imm21(r)}
    if x6 in _B8:
        return _B8[x6], {}
    name = _B4.get((x6, (r >> 6) & 7))
    if name is None:
        return _UNKNOWN
    return name, {"b2": (r >> 13) & 7, "btype": (r >> 6) & 7, **_br_hints(r)}


def _b5(r, addr):  # B5 br.call b1=b2: wh is 3 bits (34:32)
    wh = _WH3.get((r >> 32) & 7)
    if wh is None:
        return _UNKNOWN
    return "br.call.ind", {"b1": (r >> 6) & 7, "b2": (r >> 13) & 7, "wh": wh,
                           "p": _PH[(r >> 12) & 1], "d": (r >> 35) & 1}


def _b_nop(r, addr):  # B9 nop.b / hint.b (major 2)
    x6 = _x6(r)
    if x6 > 1:
        return _UNKNOWN
    return ("hint" if x6 else "nop"), {"imm": _imm21(r)}


def _b1(r, addr):  # B1 IP-relative br.cond & co (major 4)
    name = _B1_BTYPE.get((r >> 6) & 7)
    if name is None:
        return _UNKNOWN
    return name, {"target": _target21(r, addr), "btype": (r >> 6) & 7, **_br_hints(r)}


def _b3(r, addr):  # B3 IP-relative br.call (major 5)
    return "br.call", {"target": _target21(r, addr), "b1": (r >> 6) & 7, **_br_hints(r)}


def _f_misc(r, addr):  # F-unit major 0: F15 break.f, F16 nop.f/hint.f
    if (r >> 33) & 1 or _x6(r) > 1:
        return _UNKNOWN
    return _nop_break_hint(r, _x6(r))


def _decode_long(x, l_, addr):  # MLX: x = X slot (2), l_ = L slot (1)
    major = x >> 37
    if major == 0:  # X1 break.x / X5 nop.x, hint.x: imm62 = imm41 : i : imm20a
        x6 = _x6(x)
        if _x3(x) or x6 > 1:
            return _UNKNOWN
        op, f = _nop_break_hint(x, x6)
        return op, {"imm": (l_ << 21) | f["imm"]}
    if major == 6:  # X2 movl: i:imm41:ic:imm5c:imm9d:imm7b; vc (20) must be 0
        if (x >> 20) & 1:
            return _UNKNOWN
        imm = (((x >> 36) & 1) << 63 | l_ << 22 | ((x >> 21) & 1) << 21
               | ((x >> 22) & 0x1F) << 16 | ((x >> 27) & 0x1FF) << 7 | _r2(x))
        return "movl", {"r1": _r1(x), "imm": imm}
    if major in (0xC, 0xD):  # X3 brl.cond / X4 brl.call: imm60 = i : L[40:2] : imm20b
        imm60 = ((x >> 36) & 1) << 59 | (l_ >> 2) << 20 | (x >> 13) & 0xFFFFF
        f = {"target": (addr + (_sext(imm60, 60) << 4)) & MASK64, **_br_hints(x)}
        if major == 0xD:
            return "brl.call", {"b1": (x >> 6) & 7, **f}
        if (x >> 6) & 7:
            return _UNKNOWN
        return "brl.cond", {"btype": 0, **f}
    return _UNKNOWN


def _unknown(r, addr):
    return _UNKNOWN


def _table(entries: dict[int, object]) -> tuple:
    return tuple(entries.get(m, _unknown) for m in range(16))


_ALU = {m: _alu for m in range(8, 15)}
_DISPATCH = {
    "M": _table({0: _m_sys, 1: _m_mgmt, 4: _m_ldst, **_ALU}),
    "I": _table({0: _i_misc, 5: _i_dep, **_ALU}),
    "B": _table({0: _b_ind, 1: _b5, 2: _b_nop, 4: _b1, 5: _b3}),
    "F": _table({0: _f_misc}),
}

# Forms without a qualifying predicate: bits 5:0 are ignored (M25, B2 loop
# branches, B8) or must be 0 (M34 alloc); objdump does not print them either.
_NO_QP = frozenset(("alloc", "loadrs", "flushrs", "br.cloop", "br.cexit", "br.ctop",
                    "cover", "clrrrb", "clrrrb.pr", "rfi", "bsw.0", "bsw.1", "epc",
                    "vmsw.0", "vmsw.1"))

# Speed (a vmlinux .text has ~2.3 M bundles): decoded instructions and bundles
# are cached (bounded), and the hot path builds the frozen dataclasses by
# filling their __dict__ instead of paying for the frozen __init__ (one
# object.__setattr__ per field).  A cached bundle with IP-relative branches
# keeps their displacements and gets fresh Insns with the new targets.
_SLOT_CACHE: dict[int, Insn] = {}  # raw | (unit code * 3 + slot) << 41; MLX: see _long
_BUNDLE_CACHE: dict[int, tuple] = {}  # 128-bit value -> (template, units, stops, insns, rel)
_CACHE_MAX = 1 << 16  # entries per cache; worst case (random bytes) ~70 MB
_UNIT_CODE = {"M": 0, "I": 1, "F": 2, "B": 3}
_new = object.__new__


def _make_insn(unit, slot, raw, qp, op, fields, raw_l) -> Insn:
    ins = _new(Insn)
    d = ins.__dict__
    d["unit"], d["slot"], d["raw"], d["qp"], d["op"], d["fields"], d["raw_l"] = (
        unit, slot, raw, qp, op, fields, raw_l)
    return ins


def _insn(unit: str, slot: int, raw: int, addr: int) -> Insn:
    key = raw | (_UNIT_CODE[unit] * 3 + slot) << 41
    ins = _SLOT_CACHE.get(key)
    if ins is None:
        op, fields = _DISPATCH[unit][raw >> 37](raw, addr)
        ins = _make_insn(unit, slot, raw, 0 if op in _NO_QP else raw & 0x3F, op, fields, None)
        if "target" not in fields:
            if len(_SLOT_CACHE) >= _CACHE_MAX:
                _SLOT_CACHE.clear()
            _SLOT_CACHE[key] = ins
    return ins


def _long(raw_x: int, raw_l: int, addr: int) -> Insn:
    key = raw_x | raw_l << 41 | 15 << 82
    ins = _SLOT_CACHE.get(key)
    if ins is None:
        op, fields = _decode_long(raw_x, raw_l, addr)
        ins = _make_insn("L", 1, raw_x, raw_x & 0x3F, op, fields, raw_l)
        if "target" not in fields:
            if len(_SLOT_CACHE) >= _CACHE_MAX:
                _SLOT_CACHE.clear()
            _SLOT_CACHE[key] = ins
    return ins


def _decode_uncached(v: int, addr: int) -> tuple:
    t = v & 0x1F
    s0, s1, s2 = (v >> 5) & MASK41, (v >> 46) & MASK41, v >> 87
    entry = TEMPLATES.get(t)
    if entry is None:
        insns = tuple(Insn("?", i, s, s & 0x3F, "reserved") for i, s in enumerate((s0, s1, s2)))
        return t, None, (), insns, ()
    units, stops = entry
    if units == "MLX":
        insns = (_insn("M", 0, s0, addr), _long(s2, s1, addr))
    else:
        insns = (_insn(units[0], 0, s0, addr), _insn(units[1], 1, s1, addr),
                 _insn(units[2], 2, s2, addr))
    rel = ()
    for n, i in enumerate(insns):
        if "target" in i.fields:
            rel += ((n, (i.fields["target"] - addr) & MASK64),)
    result = (t, units, stops, insns, rel)
    if len(_BUNDLE_CACHE) >= _CACHE_MAX:
        _BUNDLE_CACHE.clear()
    _BUNDLE_CACHE[v] = result
    return result


def _retarget(insns: tuple, rel: tuple, addr: int) -> tuple:
    out = list(insns)
    for n, disp in rel:
        i = out[n]
        out[n] = _make_insn(i.unit, i.slot, i.raw, i.qp, i.op,
                            {**i.fields, "target": (addr + disp) & MASK64}, i.raw_l)
    return tuple(out)


def _from_int(v: int, addr: int) -> Bundle:
    hit = _BUNDLE_CACHE.get(v) or _decode_uncached(v, addr)
    b = _new(Bundle)
    d = b.__dict__
    d["addr"] = addr
    d["template"], d["units"], d["stops"], insns, rel = hit
    d["insns"] = _retarget(insns, rel, addr) if rel else insns
    return b


def decode_bundle(data: bytes, addr: int = 0) -> Bundle:
    """Decode one 16-byte bundle at ``addr``; DecodeError if reserved or not 16 bytes."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) != 16:
        what = f"{len(data)} bytes" if isinstance(data, (bytes, bytearray, memoryview)) else (
            type(data).__name__)
        raise DecodeError(f"a bundle is 16 bytes, got {what}")
    b = _from_int(int.from_bytes(data, "little"), addr)
    if b.units is None:
        raise DecodeError(f"reserved template {b.template:#04x} at {addr:#x}")
    return b


def iter_bundles(data: bytes, addr: int = 0) -> Iterator[Bundle]:
    """Decode consecutive bundles; reserved templates are yielded, not raised.

    A trailing partial bundle (len(data) not a multiple of 16) is ignored;
    ``data`` must be bytes-like (TypeError otherwise).
    """
    whole = memoryview(data)[:len(data) & ~15]
    for lo, hi in struct.iter_unpack("<QQ", whole):
        yield _from_int(hi << 64 | lo, addr)
        addr += 16


def encode_bundle(template: int, slots: tuple[int, int, int]) -> bytes:
    """Pack a template and three raw 41-bit slots (MLX: M, L, X) into 16 bytes."""
    if not isinstance(template, int) or template not in TEMPLATES:
        raise ValueError(f"template {template!r} is not a valid IA-64 template")
    if not isinstance(slots, (tuple, list)) or len(slots) != 3:
        raise ValueError("a bundle has exactly 3 slots")
    for s in slots:
        if not isinstance(s, int) or not 0 <= s <= MASK41:
            raise ValueError(f"slot value {s!r} is not a 41-bit unsigned integer")
    v = template | slots[0] << 5 | slots[1] << 46 | slots[2] << 87
    return v.to_bytes(16, "little")


# --------------------------------------------------------------------------
# Text rendering (objdump spelling)


def _clr(f) -> str:
    return ".clr" if f["d"] else ""


def _br_cond_name(i: Insn) -> str:
    """objdump prints an unpredicated br.cond.sptk as the pseudo-op "br"."""
    f = i.fields
    name = "br" if f["wh"] == "sptk" and not i.qp else f"br.cond.{f['wh']}"
    return f"{name}.{f['p']}{_clr(f)}"


def _hint_text(i: Insn) -> str:
    imm = i.fields["imm"]
    u = "x" if i.unit == "L" else i.unit.lower()
    return f"hint.{u} {imm}" if u == "m" else f"hint.{u} {imm:#x}"  # objdump's quirk


def _mov_to_br_text(i: Insn) -> str:
    f = i.fields
    name = "mov" + (".ret" if f["ret"] else "") + {0: ".sptk", 1: "", 2: ".dptk"}[f["wh"]]
    name += ".imp" if f["imp"] else ""
    text = f"{name} b{f['b1']}=r{f['r2']}"
    # objdump shows the tag only for the hinted forms
    return text if name == "mov" else f"{text},{f['target']:#x}"


def _dep_z_text(i: Insn) -> str:
    f = i.fields
    if "imm" in f:
        return f"dep.z r{f['r1']}={f['imm']},{f['pos']},{f['len']}"
    if f["pos"] + f["len"] == 64:
        return f"shl r{f['r1']}=r{f['r2']},{f['pos']}"
    return f"dep.z r{f['r1']}=r{f['r2']},{f['pos']},{f['len']}"


def _cmp_text(i: Insn) -> str:
    f = i.fields
    name = ("cmp4." if f["size"] == 4 else "cmp.") + f["rel"] + (".unc" if f["unc"] else "")
    src = f"r{f['r2']}" if "r2" in f else f"{f['imm']}"
    return f"{name} p{f['p1']},p{f['p2']}={src},r{f['r3']}"


def _mov_ar_text(i: Insn) -> str:
    f = i.fields
    u = i.unit.lower()
    if i.op == "mov.from.ar":
        return f"mov.{u} r{f['r1']}={ar_name(f['ar'])}"
    src = f"r{f['r2']}" if "r2" in f else f"{f['imm']}"
    return f"mov.{u} {ar_name(f['ar'])}={src}"


_LDST_HINT = {0: "", 1: ".nt1", 3: ".nta"}


def _simple(fmt: str):
    return lambda i: fmt.format(**i.fields)


_TEXT = {
    "nop": lambda i: f"nop.{'x' if i.unit == 'L' else i.unit.lower()} {i.fields['imm']:#x}",
    "break": lambda i: f"break.{'x' if i.unit == 'L' else i.unit.lower()} {i.fields['imm']:#x}",
    "hint": _hint_text,
    "alloc": _simple("alloc r{r1}=ar.pfs,{sof},{sol},{sor}"),
    "br.call": lambda i: (f"br.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                          f"b{i.fields['b1']}={i.fields['target']:#x}"),
    "br.call.ind": lambda i: (f"br.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                              f"b{i.fields['b1']}=b{i.fields['b2']}"),
    "br.cond.ind": lambda i: f"{_br_cond_name(i)} b{i.fields['b2']}",
    "br.ia": lambda i: f"br.ia.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} b{i.fields['b2']}",
    "br.ret": lambda i: f"br.ret.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                        f"b{i.fields['b2']}",
    "brl.call": lambda i: (f"brl.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                           f"b{i.fields['b1']}={i.fields['target']:#x}"),
    "brl.cond": lambda i: (f"brl.cond.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                           f"{i.fields['target']:#x}"),
    "movl": lambda i: f"movl r{i.fields['r1']}={i.fields['imm']:#x}",
    "mov.from.cpuid": _simple("mov r{r1}=cpuid[r{r3}]"),
    "fc": _simple("fc r{r3}"),
    "fc.i": _simple("fc.i r{r3}"),
    "ptc.e": _simple("ptc.e r{r3}"),
    "itr.d": _simple("itr.d dtr[r{r3}]=r{r2}"),
    "itr.i": _simple("itr.i itr[r{r3}]=r{r2}"),
    "itc.d": _simple("itc.d r{r2}"),
    "itc.i": _simple("itc.i r{r2}"),
    "mov.from.psr": _simple("mov r{r1}=psr"),
    "mov.from.psr.um": _simple("mov r{r1}=psr.um"),
    "mov.to.psr.l": _simple("mov psr.l=r{r2}"),
    "mov.to.psr.um": _simple("mov psr.um=r{r2}"),
    "mov.from.ar": _mov_ar_text,
    "mov.to.ar": _mov_ar_text,
    "mov.from.cr": lambda i: f"mov r{i.fields['r1']}={cr_name(i.fields['cr'])}",
    "mov.to.cr": lambda i: f"mov {cr_name(i.fields['cr'])}=r{i.fields['r2']}",
    "mov.from.br": _simple("mov r{r1}=b{b2}"),
    "mov.to.br": _mov_to_br_text,
    "mov.from.ip": _simple("mov r{r1}=ip"),
    "mov.from.pr": _simple("mov r{r1}=pr"),
    "mov.to.pr": lambda i: f"mov pr=r{i.fields['r2']},{i.fields['mask']:#x}",
    "cmp": _cmp_text,
    "dep.z": _dep_z_text,
    "adds": lambda i: (f"mov r{i.fields['r1']}=r{i.fields['r3']}" if i.fields["imm"] == 0
                       else _simple("adds r{r1}={imm},r{r3}")(i)),
    "addl": lambda i: (f"mov r{i.fields['r1']}={i.fields['imm']}" if i.fields["r3"] == 0
                       else _simple("addl r{r1}={imm},r{r3}")(i)),
}
for _n in ("sum", "rum", "ssm", "rsm"):
    _TEXT[_n] = lambda i, _n=_n: f"{_n} {i.fields['imm']:#x}"
for _n in ("thash", "ttag", "tpa", "tak"):
    _TEXT[_n] = _simple(_n + " r{r1}=r{r3}")
for _n in ("ptc.l", "ptc.g", "ptc.ga", "ptr.d", "ptr.i"):
    _TEXT[_n] = _simple(_n + " r{r3},r{r2}")
for _n in ("probe.r", "probe.w"):
    _TEXT[_n] = (lambda i, _n=_n: f"{_n} r{i.fields['r1']}=r{i.fields['r3']},"
                 + (f"r{i.fields['r2']}" if "r2" in i.fields else f"{i.fields['imm2']}"))
for _n in ("probe.rw.fault", "probe.r.fault", "probe.w.fault"):
    _TEXT[_n] = _simple(_n + " r{r3},{imm2}")
for _n in _IND:
    _TEXT["mov.from." + _n] = _simple("mov r{r1}=" + _n + "[r{r3}]")
    _TEXT["mov.to." + _n] = _simple("mov " + _n + "[r{r3}]=r{r2}")
for _n in ("add", "sub", "and", "andcm", "or", "xor"):
    _TEXT[_n] = (lambda i, _n=_n: f"{_n} r{i.fields['r1']}=r{i.fields['r2']},r{i.fields['r3']}"
                 + (",1" if i.fields["carry"] else ""))
for _w in (1, 2, 4, 8):
    _TEXT[f"ld{_w}"] = (lambda i, _w=_w: f"ld{_w}{_LDST_HINT[i.fields['hint']]} "
                        f"r{i.fields['r1']}=[r{i.fields['r3']}]")
    _TEXT[f"st{_w}"] = (lambda i, _w=_w: f"st{_w}{_LDST_HINT[i.fields['hint']]} "
                        f"[r{i.fields['r3']}]=r{i.fields['r2']}")
_TEXT["br.cond"] = lambda i: f"{_br_cond_name(i)} {i.fields['target']:#x}"
for _n in list(_B1_BTYPE.values())[1:]:
    _TEXT[_n] = (lambda i, _n=_n: f"{_n}.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                 f"{i.fields['target']:#x}")
for _n in (*_M_SYS_X4_X2.values(), *_B8.values()):
    _TEXT[_n] = lambda i: i.op


# --------------------------------------------------------------------------
# Encoders: each returns a 41-bit slot (long forms return the (L, X) pair).
# ``qp`` is the qualifying predicate.  Out-of-range operands raise ValueError.


def _check(what: str, value: int, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{what} = {value!r} is out of range {lo}..{hi}")
    return value


def _gr(value: int, what: str = "register", dest: bool = False) -> int:
    """A general register number; r0 cannot be written."""
    return _check(f"{what} r", value, 1 if dest else 0, 127)


def _qp(qp: int) -> int:
    return _check("qualifying predicate p", qp, 0, 63)


def _bits_imm21(imm: int) -> int:  # i (36) : imm20a (25:6)
    _check("immediate", imm, 0, (1 << 21) - 1)
    return ((imm >> 20) & 1) << 36 | (imm & 0xFFFFF) << 6


def nop_m(imm: int = 0, qp: int = 0) -> int:
    """M48: major 0, x3 0, x2 0, x4 1, y 0."""
    return 1 << 27 | _bits_imm21(imm) | _qp(qp)


def nop_i(imm: int = 0, qp: int = 0) -> int:
    """I18: major 0, x3 0, x6 0x01, y 0 (same bits as nop.m)."""
    return 1 << 27 | _bits_imm21(imm) | _qp(qp)


def nop_f(imm: int = 0, qp: int = 0) -> int:
    """F16: major 0, x 0, x6 0x01, y 0 (same bits as nop.m)."""
    return 1 << 27 | _bits_imm21(imm) | _qp(qp)


def nop_b(imm: int = 0, qp: int = 0) -> int:
    """B9: major 2, x6 0x00."""
    return 2 << 37 | _bits_imm21(imm) | _qp(qp)


def nop_x(imm: int = 0, qp: int = 0) -> tuple[int, int]:
    """X5 (MLX): L = imm62[61:21], X = major 0, x6 0x01, i:imm20a = imm62[20:0]."""
    _check("immediate", imm, 0, (1 << 62) - 1)
    return imm >> 21, 1 << 27 | _bits_imm21(imm & 0x1FFFFF) | _qp(qp)


def _m_reg(x6: int, r1: int = 0, r2: int = 0, r3: int = 0, qp: int = 0) -> int:
    """System/memory management, major 1, x3 0 (M28-M47 register forms)."""
    return 1 << 37 | x6 << 27 | r3 << 20 | r2 << 13 | r1 << 6 | _qp(qp)


def mov_from_cpuid(r1: int, r3: int, qp: int = 0) -> int:
    """M43 ``mov r1=cpuid[r3]`` (x6 0x17)."""
    return _m_reg(0x17, r1=_gr(r1, "r1", True), r3=_gr(r3, "r3"), qp=qp)


def mov_from_pmd(r1: int, r3: int, qp: int = 0) -> int:
    """M43 ``mov r1=pmd[r3]`` (x6 0x15)."""
    return _m_reg(0x15, r1=_gr(r1, "r1", True), r3=_gr(r3, "r3"), qp=qp)


def mov_from_rr(r1: int, r3: int, qp: int = 0) -> int:
    """M43 ``mov r1=rr[r3]`` (x6 0x10)."""
    return _m_reg(0x10, r1=_gr(r1, "r1", True), r3=_gr(r3, "r3"), qp=qp)


def mov_to_rr(r3: int, r2: int, qp: int = 0) -> int:
    """M42 ``mov rr[r3]=r2`` (x6 0x00)."""
    return _m_reg(0x00, r2=_gr(r2, "r2"), r3=_gr(r3, "r3"), qp=qp)


def fc(r3: int, qp: int = 0) -> int:
    """M28 ``fc r3`` (x6 0x30, bit 36 = 0; 1 would be fc.i)."""
    return _m_reg(0x30, r3=_gr(r3, "r3"), qp=qp)


def thash(r1: int, r3: int, qp: int = 0) -> int:
    """M46 ``thash r1=r3`` (x6 0x1A)."""
    return _m_reg(0x1A, r1=_gr(r1, "r1", True), r3=_gr(r3, "r3"), qp=qp)


def ptc_ga(r3: int, r2: int, qp: int = 0) -> int:
    """M45 ``ptc.ga r3,r2`` (x6 0x0B); r2 holds the page size in bits 7:2."""
    return _m_reg(0x0B, r2=_gr(r2, "r2"), r3=_gr(r3, "r3"), qp=qp)


def mov_from_psr(r1: int, qp: int = 0) -> int:
    """M36 ``mov r1=psr`` (x6 0x25)."""
    return _m_reg(0x25, r1=_gr(r1, "r1", True), qp=qp)


def mov_to_psr_l(r2: int, qp: int = 0) -> int:
    """M35 ``mov psr.l=r2`` (x6 0x2D)."""
    return _m_reg(0x2D, r2=_gr(r2, "r2"), qp=qp)


def mov_from_cr(r1: int, cr: int, qp: int = 0) -> int:
    """M33 ``mov r1=cr`` (x6 0x24, cr number in the r3 field)."""
    return _m_reg(0x24, r1=_gr(r1, "r1", True), r3=_check("cr", cr, 0, 127), qp=qp)


def mov_to_cr(cr: int, r2: int, qp: int = 0) -> int:
    """M32 ``mov cr=r2`` (x6 0x2C)."""
    return _m_reg(0x2C, r2=_gr(r2, "r2"), r3=_check("cr", cr, 0, 127), qp=qp)


def _ar_unit(ar: int, unit: str | None) -> str:
    allowed = ar_units(ar)
    if unit is None:
        return allowed[0]
    if unit not in ("M", "I") or unit not in allowed:
        raise ValueError(f"{ar_name(ar)} cannot be moved by the {unit!r} unit (only {allowed})")
    return unit


def mov_from_ar(r1: int, ar: int, unit: str | None = None, qp: int = 0) -> int:
    """``mov r1=ar``: M31 (major 1, x6 0x22) or I28 (major 0, x6 0x32).

    ``unit`` defaults to what ``ar_units(ar)`` allows, M first; put the result
    in a slot of that unit.
    """
    r1 = _gr(r1, "r1", True)
    if _ar_unit(ar, unit) == "M":
        return _m_reg(0x22, r1=r1, r3=ar, qp=qp)
    return 0x32 << 27 | ar << 20 | r1 << 6 | _qp(qp)


def mov_to_ar(ar: int, r2: int, unit: str | None = None, qp: int = 0) -> int:
    """``mov ar=r2``: M29 (major 1, x6 0x2A) or I26 (major 0, x6 0x2A)."""
    r2 = _gr(r2, "r2")
    if _ar_unit(ar, unit) == "M":
        return _m_reg(0x2A, r2=r2, r3=ar, qp=qp)
    return 0x2A << 27 | ar << 20 | r2 << 13 | _qp(qp)


def _m44(x4: int, imm24: int, qp: int) -> int:
    """M44 ssm/rsm/sum/rum: imm24 = i (36) : i2d (32:31) : imm21a (26:6)."""
    _check("imm24", imm24, 0, (1 << 24) - 1)
    return ((imm24 >> 23) << 36 | ((imm24 >> 21) & 3) << 31 | x4 << 27
            | (imm24 & 0x1FFFFF) << 6 | _qp(qp))


def ssm(imm24: int, qp: int = 0) -> int:
    """M44 ``ssm imm24`` (x4 6); psr.i is ``1 << 14``."""
    return _m44(6, imm24, qp)


def rsm(imm24: int, qp: int = 0) -> int:
    """M44 ``rsm imm24`` (x4 7)."""
    return _m44(7, imm24, qp)


def srlz_d(qp: int = 0) -> int:
    """M24 ``srlz.d``: major 0, x3 0, x2 3, x4 0."""
    return 3 << 31 | _qp(qp)


def srlz_i(qp: int = 0) -> int:
    """M24 ``srlz.i``: major 0, x3 0, x2 3, x4 1."""
    return 3 << 31 | 1 << 27 | _qp(qp)


def cmp_eq(p1: int, p2: int, r2: int, r3: int, qp: int = 0) -> int:
    """A6 ``cmp.eq p1,p2=r2,r3``: major 0xE, tb 0, x2 0, ta 0, c 0."""
    _check("p1", p1, 0, 63)
    _check("p2", p2, 0, 63)
    return 0xE << 37 | p2 << 27 | _gr(r3, "r3") << 20 | _gr(r2, "r2") << 13 | p1 << 6 | _qp(qp)


def cmp_ne(p1: int, p2: int, r2: int, r3: int, qp: int = 0) -> int:
    """``cmp.ne p1,p2=r2,r3`` is the pseudo-op ``cmp.eq p2,p1=r2,r3`` (gas does the same)."""
    return cmp_eq(p2, p1, r2, r3, qp)


def dep_z(r1: int, imm8: int, pos: int, len_: int, qp: int = 0) -> int:
    """I13 ``dep.z r1=imm8,pos,len``: major 5, s (36), x2 1, x 1, len6d = len-1
    (32:27), y 1, cpos6c = 63-pos (25:20), imm7b (19:13)."""
    _check("imm8", imm8, -128, 127)
    _check("pos", pos, 0, 63)
    _check("len", len_, 1, 64 - pos)
    imm8 &= 0xFF
    return (5 << 37 | (imm8 >> 7) << 36 | 1 << 34 | 1 << 33 | (len_ - 1) << 27 | 1 << 26
            | (63 - pos) << 20 | (imm8 & 0x7F) << 13 | _gr(r1, "r1", True) << 6 | _qp(qp))


def adds(r1: int, imm14: int, r3: int, qp: int = 0) -> int:
    """A4 ``adds r1=imm14,r3``: major 8, s (36), x2a 2, ve 0, imm6d (32:27), imm7b (19:13)."""
    _check("imm14", imm14, -(1 << 13), (1 << 13) - 1)
    imm = imm14 & 0x3FFF
    return (8 << 37 | (imm >> 13) << 36 | 2 << 34 | ((imm >> 7) & 0x3F) << 27
            | _gr(r3, "r3") << 20 | (imm & 0x7F) << 13 | _gr(r1, "r1", True) << 6 | _qp(qp))


def mov_gr(r1: int, r2: int, qp: int = 0) -> int:
    """``mov r1=r2`` is the pseudo-op ``adds r1=0,r2``."""
    return adds(r1, 0, r2, qp)


def addl(r1: int, imm22: int, r3: int, qp: int = 0) -> int:
    """A5 ``addl r1=imm22,r3`` (r3 in r0..r3): major 9, s (36), imm9d (35:27),
    imm5c (26:22), r3 (21:20), imm7b (19:13)."""
    _check("imm22", imm22, -(1 << 21), (1 << 21) - 1)
    _check("addl r3 (r0..r3 only): r", r3, 0, 3)
    imm = imm22 & 0x3FFFFF
    return (9 << 37 | (imm >> 21) << 36 | ((imm >> 7) & 0x1FF) << 27 | ((imm >> 16) & 0x1F) << 22
            | r3 << 20 | (imm & 0x7F) << 13 | _gr(r1, "r1", True) << 6 | _qp(qp))


def and_(r1: int, r2: int, r3: int, qp: int = 0) -> int:
    """A1 ``and r1=r2,r3``: major 8, x2a 0, ve 0, x4 3 (32:29), x2b 0 (28:27)."""
    return (8 << 37 | 3 << 29 | _gr(r3, "r3") << 20 | _gr(r2, "r2") << 13
            | _gr(r1, "r1", True) << 6 | _qp(qp))


def ld8(r1: int, r3: int, qp: int = 0) -> int:
    """M1 ``ld8 r1=[r3]``: major 4, m 0, x6 0x03 (35:30), hint 0, x 0."""
    return 4 << 37 | 3 << 30 | _gr(r3, "r3") << 20 | _gr(r1, "r1", True) << 6 | _qp(qp)


def st8(r3: int, r2: int, qp: int = 0) -> int:
    """M4 ``st8 [r3]=r2``: major 4, m 0, x6 0x33 (35:30), hint 0, x 0."""
    return 4 << 37 | 0x33 << 30 | _gr(r3, "r3") << 20 | _gr(r2, "r2") << 13 | _qp(qp)


def mov_from_br(r1: int, b2: int, qp: int = 0) -> int:
    """I22 ``mov r1=b2``: major 0, x3 0, x6 0x31, b2 (15:13)."""
    return 0x31 << 27 | _check("b2", b2, 0, 7) << 13 | _gr(r1, "r1", True) << 6 | _qp(qp)


def mov_to_br(b1: int, r2: int, qp: int = 0) -> int:
    """I21 ``mov b1=r2`` (no hints): major 0, x3 7, wh 1 (21:20), x 0, ih 0, tag 0."""
    return 7 << 33 | 1 << 20 | _gr(r2, "r2") << 13 | _check("b1", b1, 0, 7) << 6 | _qp(qp)


def alloc(r1: int, sof: int, sol: int, sor: int = 0) -> int:
    """M34 ``alloc r1=ar.pfs,i,l,o,r`` given as sizes: sof = i+l+o, sol = i+l, sor = r
    (a multiple of 8).  Major 1, x3 6, sor/8 (30:27), sol (26:20), sof (19:13); qp 0."""
    _check("sof", sof, 0, 96)
    _check("sol", sol, 0, sof)
    _check("sor", sor, 0, sof)
    if sor % 8:
        raise ValueError(f"sor = {sor} is not a multiple of 8")
    return 1 << 37 | 6 << 33 | (sor // 8) << 27 | sol << 20 | sof << 13 | _gr(r1, "r1", True) << 6


_WH2_CODE = {n: i for i, n in enumerate(_WH2)}
_WH3_CODE = {n: i for i, n in _WH3.items()}


def _hints(wh: str, p: str, d: bool, table: dict) -> int:
    if not isinstance(wh, str) or wh not in table:
        raise ValueError(f"branch hint {wh!r} is not one of {sorted(table)}")
    if not isinstance(p, str) or p not in _PH:
        raise ValueError(f"prefetch hint {p!r} is not 'few' or 'many'")
    return table[wh] << (32 if table is _WH3_CODE else 33) | bool(d) << 35 | _PH.index(p) << 12


def _disp21(disp: int) -> int:
    """s (36) : imm20b (32:13) for a byte displacement (multiple of 16, +-16 MiB)."""
    if not isinstance(disp, int) or disp % 16:
        raise ValueError(f"branch displacement {disp!r} is not a multiple of 16")
    _check("branch displacement", disp, -(1 << 24), (1 << 24) - 16)
    imm = (disp >> 4) & 0x1FFFFF
    return (imm >> 20) << 36 | (imm & 0xFFFFF) << 13


def br_cond(disp: int, wh: str = "sptk", p: str = "few", d: bool = False, qp: int = 0) -> int:
    """B1 IP-relative ``br.cond`` (major 4, btype 0); disp = target - bundle address."""
    return 4 << 37 | _hints(wh, p, d, _WH2_CODE) | _disp21(disp) | _qp(qp)


def br_call(b1: int, disp: int, wh: str = "sptk", p: str = "many", d: bool = False,
            qp: int = 0) -> int:
    """B3 IP-relative ``br.call b1=target`` (major 5)."""
    return (5 << 37 | _hints(wh, p, d, _WH2_CODE) | _disp21(disp)
            | _check("b1", b1, 0, 7) << 6 | _qp(qp))


def br_cond_ind(b2: int, wh: str = "sptk", p: str = "many", d: bool = False, qp: int = 0) -> int:
    """B4 ``br.cond b2``: major 0, x6 0x20, btype 0."""
    return _hints(wh, p, d, _WH2_CODE) | 0x20 << 27 | _check("b2", b2, 0, 7) << 13 | _qp(qp)


def br_ret(b2: int = 0, wh: str = "sptk", p: str = "many", d: bool = False, qp: int = 0) -> int:
    """B4 ``br.ret b2``: major 0, x6 0x21, btype 4."""
    return (_hints(wh, p, d, _WH2_CODE) | 0x21 << 27 | _check("b2", b2, 0, 7) << 13
            | 4 << 6 | _qp(qp))


def br_call_ind(b1: int, b2: int, wh: str = "sptk", p: str = "many", d: bool = False,
                qp: int = 0) -> int:
    """B5 ``br.call b1=b2``: major 1, wh 3 bits (34:32)."""
    return (1 << 37 | _hints(wh, p, d, _WH3_CODE) | _check("b2", b2, 0, 7) << 13
            | _check("b1", b1, 0, 7) << 6 | _qp(qp))


def _disp60(disp: int) -> tuple[int, int]:
    """imm60 of X3/X4: L slot bits 40:2 = imm60[58:20]; X: i (36), imm20b (32:13)."""
    if not isinstance(disp, int) or disp % 16:
        raise ValueError(f"branch displacement {disp!r} is not a multiple of 16")
    _check("branch displacement", disp, -(1 << 63), (1 << 63) - 16)
    imm = (disp >> 4) & ((1 << 60) - 1)
    return ((imm >> 20) & ((1 << 39) - 1)) << 2, (imm >> 59) << 36 | (imm & 0xFFFFF) << 13


def brl_call(b1: int, disp: int, wh: str = "sptk", p: str = "many", d: bool = False,
             qp: int = 0) -> tuple[int, int]:
    """X4 ``brl.call b1=target`` (MLX, X major 0xD); returns (L, X)."""
    slot_l, x = _disp60(disp)
    return slot_l, (0xD << 37 | _hints(wh, p, d, _WH2_CODE) | x
                    | _check("b1", b1, 0, 7) << 6 | _qp(qp))


def brl_cond(disp: int, wh: str = "sptk", p: str = "few", d: bool = False,
             qp: int = 0) -> tuple[int, int]:
    """X3 ``brl.cond target`` (MLX, X major 0xC, btype 0); returns (L, X)."""
    slot_l, x = _disp60(disp)
    return slot_l, 0xC << 37 | _hints(wh, p, d, _WH2_CODE) | x | _qp(qp)


def movl(r1: int, imm64: int, qp: int = 0) -> tuple[int, int]:
    """X2 ``movl r1=imm64`` (MLX, X major 6); returns (L, X).

    L = imm[62:22]; X: i (36) = imm[63], imm9d (35:27) = imm[15:7],
    imm5c (26:22) = imm[20:16], ic (21) = imm[21], vc (20) = 0, imm7b (19:13) = imm[6:0].
    """
    _check("imm64", imm64, -(1 << 63), (1 << 64) - 1)
    imm = imm64 & ((1 << 64) - 1)
    x = (6 << 37 | (imm >> 63) << 36 | ((imm >> 7) & 0x1FF) << 27 | ((imm >> 16) & 0x1F) << 22
         | ((imm >> 21) & 1) << 21 | (imm & 0x7F) << 13 | _gr(r1, "r1", True) << 6 | _qp(qp))
    return (imm >> 22) & MASK41, x
