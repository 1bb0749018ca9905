"""Bytes -> ``Bundle``: per-unit dispatch on the major opcode, with caches for speed."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from . import units_a, units_b, units_f, units_i, units_m, units_x
from .bits import MASK41, MASK64, UNKNOWN
from .forms import form_of
from .model import TEMPLATES, Bundle, DecodeError, Insn


def _unknown(r, addr):
    return UNKNOWN


def _table(entries: dict[int, object]) -> tuple:
    return tuple(entries.get(m, _unknown) for m in range(16))


_ALU = {m: units_a.alu for m in range(8, 15)}
_DISPATCH = {
    "M": _table({0: units_m.m_sys, 1: units_m.m_mgmt, 4: units_m.m_ldst, 5: units_m.m_ldst_imm,
                 6: units_m.m_fp_ldst, 7: units_m.m_fp_ldst_imm, **_ALU}),
    "I": _table({0: units_i.i_misc, 4: units_i.i_dep_reg, 5: units_i.i_shift, 7: units_i.i_mm,
                 **_ALU}),
    "B": _table({0: units_b.b_ind, 1: units_b.b5, 2: units_b.b_nop, 4: units_b.b1, 5: units_b.b3,
                   7: units_b.b6}),
    "F": _table({0: units_f.f_misc, 4: units_f.f_cmp, **{m: units_f.f_fma for m in range(8, 14)},
                 0xE: units_f.f_xma}),
}

# Forms without a qualifying predicate: bits 5:0 are ignored (M25, B2 loop
# branches, B8) or must be 0 (M34 alloc); objdump does not print them either.
_NO_QP = frozenset(("alloc", "loadrs", "flushrs", "br.cloop", "br.cexit", "br.ctop",
                    "cover", "clrrrb", "clrrrb.pr", "rfi", "bsw.0", "bsw.1", "epc",
                    "vmsw.0", "vmsw.1", "brp"))  # B6/B7 brp have no qualifying predicate

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


def _make_insn(unit, slot, raw, qp, op, fields, raw_l, form) -> Insn:
    ins = _new(Insn)
    d = ins.__dict__
    d["unit"], d["slot"], d["raw"], d["qp"], d["op"], d["fields"], d["raw_l"], d["form"] = (
        unit, slot, raw, qp, op, fields, raw_l, form)
    return ins


def _insn(unit: str, slot: int, raw: int, addr: int) -> Insn:
    key = raw | (_UNIT_CODE[unit] * 3 + slot) << 41
    ins = _SLOT_CACHE.get(key)
    if ins is None:
        op, fields, tmpl = _DISPATCH[unit][raw >> 37](raw, addr)
        ins = _make_insn(unit, slot, raw, 0 if op in _NO_QP else raw & 0x3F, op, fields, None,
                         form_of(op, tmpl))
        if "target" not in fields:
            if len(_SLOT_CACHE) >= _CACHE_MAX:
                _SLOT_CACHE.clear()
            _SLOT_CACHE[key] = ins
    return ins


def _long(raw_x: int, raw_l: int, addr: int) -> Insn:
    key = raw_x | raw_l << 41 | 15 << 82
    ins = _SLOT_CACHE.get(key)
    if ins is None:
        op, fields, tmpl = units_x.decode_long(raw_x, raw_l, addr)
        ins = _make_insn("L", 1, raw_x, raw_x & 0x3F, op, fields, raw_l, form_of(op, tmpl))
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
        insns = tuple(Insn("?", i, s, s & 0x3F, "reserved", form="reserved")
                      for i, s in enumerate((s0, s1, s2)))
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
                            {**i.fields, "target": (addr + disp) & MASK64}, i.raw_l, i.form)
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
