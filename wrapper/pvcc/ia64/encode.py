"""Encoders: operands -> 41-bit slots (long forms: the (L, X) pair), and bundles."""

from __future__ import annotations

from .bits import MASK41
from .model import TEMPLATES, ar_name, ar_units
from .units_b import PH, WH2, WH3


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


def _check(what: str, value: int, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{what} = {value!r} is out of range {lo}..{hi}")
    return value


def _gr(value: int, what: str = "register", dest: bool = False) -> int:
    """A general register number; r0 cannot be written."""
    return _check(f"{what} r", value, 1 if dest else 0, 127)


def _qp(qp: int) -> int:
    return _check("qualifying predicate p", qp, 0, 63)


def _bitsimm21(imm: int) -> int:  # i (36) : imm20a (25:6)
    _check("immediate", imm, 0, (1 << 21) - 1)
    return ((imm >> 20) & 1) << 36 | (imm & 0xFFFFF) << 6


def nop_m(imm: int = 0, qp: int = 0) -> int:
    """M48: major 0, x3 0, x2 0, x4 1, y 0."""
    return 1 << 27 | _bitsimm21(imm) | _qp(qp)


def nop_i(imm: int = 0, qp: int = 0) -> int:
    """I18: major 0, x3 0, x6 0x01, y 0 (same bits as nop.m)."""
    return 1 << 27 | _bitsimm21(imm) | _qp(qp)


def nop_f(imm: int = 0, qp: int = 0) -> int:
    """F16: major 0, x 0, x6 0x01, y 0 (same bits as nop.m)."""
    return 1 << 27 | _bitsimm21(imm) | _qp(qp)


def nop_b(imm: int = 0, qp: int = 0) -> int:
    """B9: major 2, x6 0x00."""
    return 2 << 37 | _bitsimm21(imm) | _qp(qp)


def nop_x(imm: int = 0, qp: int = 0) -> tuple[int, int]:
    """X5 (MLX): L = imm62[61:21], X = major 0, x6 0x01, i:imm20a = imm62[20:0]."""
    _check("immediate", imm, 0, (1 << 62) - 1)
    return imm >> 21, 1 << 27 | _bitsimm21(imm & 0x1FFFFF) | _qp(qp)


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


def mov_from_ip(r1: int, qp: int = 0) -> int:
    """I25 ``mov r1=ip``: major 0, x3 0, x6 0x30."""
    return 0x30 << 27 | _gr(r1, "r1", True) << 6 | _qp(qp)


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


WH2_CODE = {n: i for i, n in enumerate(WH2)}
WH3_CODE = {n: i for i, n in WH3.items()}


def _hints(wh: str, p: str, d: bool, table: dict) -> int:
    if not isinstance(wh, str) or wh not in table:
        raise ValueError(f"branch hint {wh!r} is not one of {sorted(table)}")
    if not isinstance(p, str) or p not in PH:
        raise ValueError(f"prefetch hint {p!r} is not 'few' or 'many'")
    return table[wh] << (32 if table is WH3_CODE else 33) | bool(d) << 35 | PH.index(p) << 12


def _disp21(disp: int) -> int:
    """s (36) : imm20b (32:13) for a byte displacement (multiple of 16, +-16 MiB)."""
    if not isinstance(disp, int) or disp % 16:
        raise ValueError(f"branch displacement {disp!r} is not a multiple of 16")
    _check("branch displacement", disp, -(1 << 24), (1 << 24) - 16)
    imm = (disp >> 4) & 0x1FFFFF
    return (imm >> 20) << 36 | (imm & 0xFFFFF) << 13


def br_cond(disp: int, wh: str = "sptk", p: str = "few", d: bool = False, qp: int = 0) -> int:
    """B1 IP-relative ``br.cond`` (major 4, btype 0); disp = target - bundle address."""
    return 4 << 37 | _hints(wh, p, d, WH2_CODE) | _disp21(disp) | _qp(qp)


def br_call(b1: int, disp: int, wh: str = "sptk", p: str = "many", d: bool = False,
            qp: int = 0) -> int:
    """B3 IP-relative ``br.call b1=target`` (major 5)."""
    return (5 << 37 | _hints(wh, p, d, WH2_CODE) | _disp21(disp)
            | _check("b1", b1, 0, 7) << 6 | _qp(qp))


def br_cond_ind(b2: int, wh: str = "sptk", p: str = "many", d: bool = False, qp: int = 0) -> int:
    """B4 ``br.cond b2``: major 0, x6 0x20, btype 0."""
    return _hints(wh, p, d, WH2_CODE) | 0x20 << 27 | _check("b2", b2, 0, 7) << 13 | _qp(qp)


def br_ret(b2: int = 0, wh: str = "sptk", p: str = "many", d: bool = False, qp: int = 0) -> int:
    """B4 ``br.ret b2``: major 0, x6 0x21, btype 4."""
    return (_hints(wh, p, d, WH2_CODE) | 0x21 << 27 | _check("b2", b2, 0, 7) << 13
            | 4 << 6 | _qp(qp))


def br_call_ind(b1: int, b2: int, wh: str = "sptk", p: str = "many", d: bool = False,
                qp: int = 0) -> int:
    """B5 ``br.call b1=b2``: major 1, wh 3 bits (34:32)."""
    return (1 << 37 | _hints(wh, p, d, WH3_CODE) | _check("b2", b2, 0, 7) << 13
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
    return slot_l, (0xD << 37 | _hints(wh, p, d, WH2_CODE) | x
                    | _check("b1", b1, 0, 7) << 6 | _qp(qp))


def brl_cond(disp: int, wh: str = "sptk", p: str = "few", d: bool = False,
             qp: int = 0) -> tuple[int, int]:
    """X3 ``brl.cond target`` (MLX, X major 0xC, btype 0); returns (L, X)."""
    slot_l, x = _disp60(disp)
    return slot_l, 0xC << 37 | _hints(wh, p, d, WH2_CODE) | x | _qp(qp)


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
