"""Floating-point arithmetic on the register format (for fma and friends, fcmp,
conversions, frcpa).

A register holds a significand ``sig`` (64 bits, explicit integer bit) and
``fe`` = sign (bit 17) : biased exponent (17 bits, bias 0xFFFF); exponent
0x1FFFF is infinity (sig = 2**63) or NaN.  Arithmetic is exact on Python
integers and rounded once to the precision and exponent range the completer
(``.s``, ``.d``) or the status field's pc/wre/rc select.  Denormal results are
produced with the format's minimum exponent; the floating-point exception
flags are not modelled.
"""

from __future__ import annotations

from fractions import Fraction

BIAS = 0xFFFF
EXP_SPECIAL = 0x1FFFF
INT_BIT = 1 << 63
NAN_INDEFINITE = (0xC000000000000000, 1 << 17 | EXP_SPECIAL)
M64 = (1 << 64) - 1
# (significand bits, minimum and maximum exponent of the leading bit)
SINGLE, DOUBLE = (24, -126, 127), (53, -1022, 1023)
EXTENDED, WIDEST = (64, -16382, 16383), (64, 1 - BIAS, EXP_SPECIAL - 1 - BIAS)


def unpack(sig: int, fe: int):
    """(kind, sign, m, e): value = m * 2**e; kind zero, fin, inf or nan."""
    sign, exp = fe >> 17 & 1, fe & EXP_SPECIAL
    if exp == EXP_SPECIAL:
        return ("inf" if sig == INT_BIT else "nan"), sign, sig, 0
    if sig == 0:
        return "zero", sign, 0, 0
    return "fin", sign, sig, (exp or 1) - BIAS - 63


def status(fpsr: int, sf: int) -> tuple[int, int]:
    """(pc, rc, wre) of status field ``sf`` of ar.fpsr."""
    f = fpsr >> (6 + 13 * sf) & 0x1FFF
    return (f >> 2) & 3, (f >> 4) & 3, (f >> 1) & 1


def precision(op_prec: str, fpsr: int, sf: int):
    pc, rc, wre = status(fpsr, sf)
    if op_prec == "s" or (op_prec == "" and pc == 0):
        fmt = SINGLE
    elif op_prec == "d" or (op_prec == "" and pc == 2):
        fmt = DOUBLE
    else:
        fmt = EXTENDED
    if wre:
        fmt = (fmt[0], WIDEST[1], WIDEST[2])
    return fmt, rc


def round_value(sign: int, m: int, e: int, fmt, rc: int = 0) -> tuple[int, int]:
    """m * 2**e (m > 0) with ``sign``, rounded to ``fmt``, as (sig, fe)."""
    p, emin, emax = fmt
    n = m.bit_length()
    lead = e + n - 1
    keep = p if lead >= emin else p - (emin - lead)
    drop = n - keep
    if drop > 0:
        q, rem = m >> drop, m & ((1 << drop) - 1)
        half = 1 << (drop - 1)
        if rc == 0:
            up = rem > half or (rem == half and q & 1)
        elif rc == 1:
            up = bool(sign and rem)
        elif rc == 2:
            up = bool(not sign and rem)
        else:
            up = False
        m, e = q + up, e + drop
        if keep > 0 and m >> keep:  # rounded up to the next power of two: keep the width
            m, e = m >> 1, e + 1
    if m == 0:
        return 0, sign << 17
    n = m.bit_length()
    lead = e + n - 1
    if lead > emax:
        if rc == 3 or (rc == 1 and not sign) or (rc == 2 and sign):
            return ((1 << p) - 1) << (64 - p), sign << 17 | (emax + BIAS)
        return INT_BIT, sign << 17 | EXP_SPECIAL
    if lead >= emin:
        return m << (64 - n), sign << 17 | (lead + BIAS)
    return m << (e - emin + 63), sign << 17 | (emin + BIAS)


def fma(a, b, c, neg_prod: bool, neg_add: bool, fmt, rc: int = 0) -> tuple[int, int]:
    """(a * b) + c with the signs flipped as asked, rounded once; a, b, c are (sig, fe)."""
    ka, sa, ma, ea = unpack(*a)
    kb, sb, mb, eb = unpack(*b)
    kc, sc, mc, ec = unpack(*c)
    for k, x in ((ka, a), (kb, b), (kc, c)):
        if k == "nan":
            return x[0] | (1 << 62), x[1]  # the NaN operand, quieted
    sp = sa ^ sb ^ neg_prod
    sc ^= neg_add
    if "inf" in (ka, kb):
        if "zero" in (ka, kb):
            return NAN_INDEFINITE
        if kc == "inf" and sc != sp:
            return NAN_INDEFINITE
        return INT_BIT, sp << 17 | EXP_SPECIAL
    if kc == "inf":
        return INT_BIT, sc << 17 | EXP_SPECIAL
    terms = []
    if ka != "zero" and kb != "zero":
        terms.append((sp, ma * mb, ea + eb))
    if kc != "zero":
        terms.append((sc, mc, ec))
    if not terms:  # exact zero from zeros
        sign = sp & sc if rc != 1 else sp | sc
        return 0, sign << 17
    e = min(t[2] for t in terms)
    total = sum((-1 if s else 1) * (m << (ex - e)) for s, m, ex in terms)
    if total == 0:
        return 0, (1 if rc == 1 else 0) << 17
    return round_value(int(total < 0), abs(total), e, fmt, rc)


def value(sig: int, fe: int):
    """The exact value as a Fraction (None for NaN, +-inf as floats)."""
    k, s, m, e = unpack(sig, fe)
    if k == "nan":
        return None
    if k == "inf":
        return float("-inf") if s else float("inf")
    v = Fraction(m) * (Fraction(2) ** e)
    return -v if s else v


def compare(a, b, rel: str) -> bool:
    va, vb = value(*a), value(*b)
    if va is None or vb is None:
        return rel == "unord"
    return {"eq": va == vb, "lt": va < vb, "le": va <= vb, "unord": False}[rel]


def to_int(sig: int, fe: int, signed: bool, trunc: bool, rc: int = 0) -> int:
    """fcvt.fx/fcvt.fxu: the value as a 64-bit integer (integer indefinite if it does not fit)."""
    k, s, m, e = unpack(sig, fe)
    if k in ("nan", "inf"):
        return INT_BIT
    if k == "zero":
        return 0
    if e >= 0:
        q, rem, half = m << e, 0, 1
    else:
        q, rem, half = m >> -e, m & ((1 << -e) - 1), 1 << (-e - 1)
    if rem and not trunc:
        if rc == 0:
            q += rem > half or (rem == half and q & 1)
        elif rc == 1:
            q += s
        elif rc == 2:
            q += 1 - s
    v = -q if s else q
    lo, hi = (-(1 << 63), (1 << 63) - 1) if signed else (0, M64)
    if not lo <= v <= hi:
        return INT_BIT
    return v & M64


def from_memory(bits: int, size: int) -> tuple[int, int]:
    """A single (4) or double (8) precision memory value in register format."""
    ebits, mbits = (8, 23) if size == 4 else (11, 52)
    sign = bits >> (ebits + mbits) & 1
    ex = bits >> mbits & ((1 << ebits) - 1)
    man = bits & ((1 << mbits) - 1)
    bias = (1 << (ebits - 1)) - 1
    if ex == (1 << ebits) - 1:
        return INT_BIT | man << (63 - mbits), sign << 17 | EXP_SPECIAL
    if ex == 0:
        if man == 0:
            return 0, sign << 17
        return man << (63 - mbits), sign << 17 | (1 - bias + BIAS)
    return INT_BIT | man << (63 - mbits), sign << 17 | (ex - bias + BIAS)


def to_memory(sig: int, fe: int, size: int) -> int:
    """The register value as single (4) or double (8) precision bits (rounded to nearest)."""
    ebits, mbits = (8, 23) if size == 4 else (11, 52)
    bias = (1 << (ebits - 1)) - 1
    fmt = SINGLE if size == 4 else DOUBLE
    k, s, m, e = unpack(sig, fe)
    top = s << (ebits + mbits)
    if k == "nan":
        return top | ((1 << ebits) - 1) << mbits | (sig >> (63 - mbits) & ((1 << mbits) - 1) or 1)
    if k == "inf":
        return top | ((1 << ebits) - 1) << mbits
    if k == "zero":
        return top
    rs, rfe = round_value(s, m, e, fmt)
    rk, _, rm, re_ = unpack(rs, rfe)
    if rk == "inf":
        return top | ((1 << ebits) - 1) << mbits
    if rk == "zero":
        return top
    lead = re_ + rm.bit_length() - 1
    if lead < 1 - bias:  # denormal: the fraction holds m * 2**(e - (1 - bias - mbits))
        sh = re_ - (1 - bias - mbits)
        return top | (rm << sh if sh >= 0 else rm >> -sh)
    shift = rm.bit_length() - 1 - mbits  # rounded: the bits below the fraction are 0
    frac = (rm >> shift if shift >= 0 else rm << -shift) & ((1 << mbits) - 1)
    return top | (lead + bias) << mbits | frac


def reciprocal_approx(sig: int, fe: int) -> tuple[int, int]:
    """frcpa's approximation of 1/x: the reciprocal rounded to 11 significant bits
    (relative error below 2**-11, inside the architected bound of 2**-8.886)."""
    _, s, m, e = unpack(sig, fe)
    inv = Fraction(1, m) * Fraction(2) ** -e
    num, den = inv.numerator, inv.denominator
    shift = den.bit_length() - num.bit_length() + 11
    q = (num << shift) // den if shift >= 0 else num // (den << -shift)
    return round_value(s, q, -shift, (11, WIDEST[1], WIDEST[2]))
