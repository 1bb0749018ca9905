"""Multimedia (parallel) integer semantics on 1-, 2- and 4-byte elements.

The compiled code calls the lane helpers below (bound by name in every
bundle's namespace: see ``HELPERS``); element 0 is the least significant.
Saturating forms: ``.sss`` signed operands and result, ``.uuu`` unsigned,
``.uus`` unsigned first operand, signed second, unsigned result.
"""

from __future__ import annotations

import re

from .gen import Unimplemented, gd, on_nat, propagate_nat


def _split(v: int, size: int) -> list[int]:
    bits = 8 * size
    m = (1 << bits) - 1
    return [(v >> (bits * k)) & m for k in range(8 // size)]


def _join(lanes: list[int], size: int) -> int:
    bits = 8 * size
    m = (1 << bits) - 1
    v = 0
    for k, x in enumerate(lanes):
        v |= (x & m) << (bits * k)
    return v


def _s(x: int, size: int) -> int:
    sign = 1 << (8 * size - 1)
    return (x ^ sign) - sign


def _clamp(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else min(x, hi)


def p_addsub(a: int, b: int, size: int, sub: bool, mode: str) -> int:
    bits = 8 * size
    la, lb = _split(a, size), _split(b, size)
    out = []
    for x, y in zip(la, lb):
        if mode == "sss":
            x, y = _s(x, size), _s(y, size)
            r = _clamp(x - y if sub else x + y, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        elif mode == "uuu":
            r = _clamp(x - y if sub else x + y, 0, (1 << bits) - 1)
        elif mode == "uus":
            y = _s(y, size)
            r = _clamp(x - y if sub else x + y, 0, (1 << bits) - 1)
        else:
            r = x - y if sub else x + y
        out.append(r)
    return _join(out, size)


def p_cmp(a: int, b: int, size: int, gt: bool) -> int:
    ones = (1 << (8 * size)) - 1
    out = []
    for x, y in zip(_split(a, size), _split(b, size)):
        hit = _s(x, size) > _s(y, size) if gt else x == y
        out.append(ones if hit else 0)
    return _join(out, size)


def p_minmax(a: int, b: int, size: int, signed: bool, is_max: bool) -> int:
    out = []
    for x, y in zip(_split(a, size), _split(b, size)):
        kx, ky = (_s(x, size), _s(y, size)) if signed else (x, y)
        out.append(x if (kx > ky) == is_max or kx == ky else y)
    return _join(out, size)


def p_sad(a: int, b: int) -> int:
    return sum(abs(x - y) for x, y in zip(_split(a, 1), _split(b, 1)))


def p_shift(a: int, n: int, size: int, kind: str) -> int:
    bits = 8 * size
    out = []
    for x in _split(a, size):
        if kind == "l":
            out.append(x << n if n < bits else 0)
        elif kind == "u":
            out.append(x >> n if n < bits else 0)
        else:
            out.append(_s(x, size) >> min(n, bits - 1))
    return _join(out, size)


def p_mix(a: int, b: int, size: int, left: bool) -> int:
    la, lb = _split(a, size), _split(b, size)
    out = []
    for i in range(len(la) // 2):
        src = 2 * i + 1 if left else 2 * i
        out += [lb[src], la[src]]
    return _join(out, size)


def p_unpack(a: int, b: int, size: int, high: bool) -> int:
    la, lb = _split(a, size), _split(b, size)
    base = len(la) // 2 if high else 0
    out = []
    for i in range(len(la) // 2):
        out += [lb[base + i], la[base + i]]
    return _join(out, size)


def p_czx(a: int, size: int, left: bool) -> int:
    lanes = _split(a, size)
    n = len(lanes)
    order = range(n - 1, -1, -1) if left else range(n)
    for k, i in enumerate(order):
        if lanes[i] == 0:
            return k
    return n


def p_mpyshr(a: int, b: int, n: int, unsigned: bool) -> int:
    out = []
    for x, y in zip(_split(a, 2), _split(b, 2)):
        if not unsigned:
            x, y = _s(x, 2), _s(y, 2)
        out.append((x * y) >> n)
    return _join(out, 2)


def p_shladd(a: int, n: int, b: int, left: bool) -> int:
    out = []
    for x, y in zip(_split(a, 2), _split(b, 2)):
        x, y = _s(x, 2), _s(y, 2)
        x = _clamp(x << n, -0x8000, 0x7FFF) if left else x >> n
        out.append(_clamp(x + y, -0x8000, 0x7FFF))
    return _join(out, 2)


HELPERS = {f.__name__.upper(): f for f in (p_addsub, p_cmp, p_minmax, p_sad, p_shift, p_mix,
                                             p_unpack, p_czx, p_mpyshr, p_shladd)}
_OP = re.compile(r"^(padd|psub|pcmp|pmin|pmax|psad|pshl|pshr|mix|unpack|czx|pmpyshr|pshladd|"
                 r"pshradd)([124])(?:\.([a-z]+))?$")


def _count(fl, reg: str) -> str:
    return str(fl["count"]) if "count" in fl else f"min(g[{fl[reg]}], 64)"


@on_nat(propagate_nat)
def multimedia(i, c):
    m = _OP.match(i.op)
    kind, size, comp = m.group(1), int(m.group(2)), m.group(3) or ""
    fl = i.fields
    d = gd(fl["r1"])
    a = f"g[{fl.get('r2', 0)}]"
    b = f"g[{fl.get('r3', 0)}]"
    if kind in ("padd", "psub") and comp in ("", "sss", "uuu", "uus"):
        return [f"{d} = P_ADDSUB({a}, {b}, {size}, {kind == 'psub'}, {comp!r})"]
    if kind == "pcmp" and comp in ("eq", "gt"):
        return [f"{d} = P_CMP({a}, {b}, {size}, {comp == 'gt'})"]
    if kind in ("pmin", "pmax") and (size, comp) in ((1, "u"), (2, "")):
        return [f"{d} = P_MINMAX({a}, {b}, {size}, {size == 2}, {kind == 'pmax'})"]
    if kind == "psad" and size == 1:
        return [f"{d} = P_SAD({a}, {b})"]
    if kind == "pshl" and size == 2:  # pshl2 r1=r2,r3 / r1=r2,count
        return [f"{d} = P_SHIFT({a}, {_count(fl, 'r3')}, 2, 'l')"]
    if kind == "pshr" and size == 2:  # pshr2[.u] r1=r3,r2 / r1=r3,count
        return [f"{d} = P_SHIFT({b}, {_count(fl, 'r2')}, 2, {'u' if comp == 'u' else 's'!r})"]
    if kind == "mix" and comp in ("l", "r"):
        return [f"{d} = P_MIX({a}, {b}, {size}, {comp == 'l'})"]
    if kind == "unpack" and comp in ("l", "h"):
        return [f"{d} = P_UNPACK({a}, {b}, {size}, {comp == 'h'})"]
    if kind == "czx" and comp in ("l", "r"):
        return [f"{d} = P_CZX({b}, {size}, {comp == 'l'})"]
    if kind == "pmpyshr" and size == 2:
        return [f"{d} = P_MPYSHR({a}, {b}, {fl['count']}, {comp == 'u'})"]
    if kind in ("pshladd", "pshradd") and size == 2:
        return [f"{d} = P_SHLADD({a}, {fl['count']}, {b}, {kind == 'pshladd'})"]
    raise Unimplemented(i.op)


HANDLERS: dict = {}


def family(op: str):
    return multimedia if _OP.match(op) else None
