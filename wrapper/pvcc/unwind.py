"""IA-64 unwind information of light entries: the descriptors pvcc writes, and rule
**unwind** of pvcc-check that proves them (docs/light.md, "Unwind information";
docs/contract.md).

An unwind entry (`.IA_64.unwind`: start, end, info) points at a header word
(version 1, flags, length in 8-byte words) followed by descriptors, region by
region: R1/R2/R3 region headers (prologue or body, length in instruction
slots), then P-format descriptors in a prologue (P3 rp_gr/pfs_gr/rp_br: where
the return pointer and ar.pfs are saved, P7 rp_when/pfs_when: at which slot),
B-format in a body, X-format in both (X2 spill_reg: a register moved into
another register at a slot).  A save at time t of a region starting at slot s of
length n takes effect after slot s + min(t, n - 1); in a prologue region of
length 0 that is before the entry's first slot: the state on entry.

A light entry (`__pvcc_light_*`) is entered by a plain branch with the link in
r2 and runs in its caller's register frame, so its unwind information must say,
for the state on entry: the return pointer is in r2, and ar.pfs is "in r0" -- the
frame marker of the frame to return to has no locals, so an unwinder keeps the
backing-store pointer where it is (no `br.call` made a frame).  Every
`br.call b0` inside the entry (a thunk's call of its C function) must find the
return pointer and ar.pfs saved where that call cannot overwrite them: a stacked
register (r32 and up) or memory.  And slot by slot, no instruction of the entry
overwrites the register the return pointer is said to be in (but the link's own
`adds r2 = 16, r2`), and the return pointer moves only where an instruction
copies it.  Locations are read as an unwinder reads them (``location``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import catalog
from .objects import Function

RP, PFS = "rp", "ar.pfs"
_P3 = {0: "psp", 1: RP, 2: PFS, 3: "pr", 4: "ar.unat", 5: "ar.lc", 6: "rp_br", 7: "ar.rnat",
       8: "ar.bsp", 9: "ar.bspstore", 10: "ar.fpsr", 11: "priunat"}
_P7_WHEN = {4: RP, 6: PFS}
_P7_PSPREL = {5: RP, 7: PFS}
_ABREG = {0x63: RP, 0x69: PFS}
_R2_ORDER = ((0x8, RP), (0x4, PFS), (0x2, "psp"), (0x1, "pr"))


class UnwindError(Exception):
    """Unwind information that cannot be read."""


@dataclass
class Region:
    body: bool
    start: int                 # slot, from the entry's start
    length: int
    # register -> (where, time relative to the region or None for its end)
    saves: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    when: dict[str, int] = field(default_factory=dict)
    spills: list[tuple[str, str, int]] = field(default_factory=list)   # (reg, where, t)
    return_link: int | None = None      # rp_br


def _uleb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise UnwindError("descriptor runs past the end of the unwind information")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def decode(info: bytes) -> list[Region]:
    """The regions of the unwind information ``info`` (header word first)."""
    if len(info) < 8:
        raise UnwindError("unwind information shorter than its header")
    hdr = int.from_bytes(info[:8], "little")
    version, length = hdr >> 48, hdr & 0xFFFFFFFF
    if version != 1:
        raise UnwindError(f"unwind information version {version}, not 1")
    data = info[8:8 + 8 * length]
    if len(data) < 8 * length:
        raise UnwindError("unwind information runs past its section")
    regions: list[Region] = []
    i, start = 0, 0

    def region(body: bool, rlen: int) -> None:
        nonlocal start
        if regions:
            start = regions[-1].start + regions[-1].length
        regions.append(Region(body, start, rlen))

    while i < len(data):
        b = data[i]
        if not b & 0x80:                         # region headers
            if not b & 0x40:                     # R1
                region(bool(b & 0x20), b & 0x1F)
                i += 1
            elif not b & 0x20:                   # R2: prologue_gr
                if i + 1 >= len(data):
                    raise UnwindError("R2 descriptor cut short")
                mask = ((b & 0x7) << 1) | (data[i + 1] >> 7)
                grsave = data[i + 1] & 0x7F
                rlen, i = _uleb(data, i + 2)
                region(False, rlen)
                for bit, reg in _R2_ORDER:
                    if mask & bit:
                        regions[-1].saves[reg] = (f"r{grsave}", None)
                        grsave += 1
            else:                                # R3
                rlen, i = _uleb(data, i + 1)
                region((b & 0x3) == 1, rlen)
            continue
        if not regions:         # before any header: a prologue of length 0 at the start
            regions.append(Region(False, 0, 0))
        r = regions[-1]
        if 0xF9 <= b <= 0xFC:                    # X1..X4
            i = _x_format(data, i, r)
        elif r.body:
            if b < 0xC0:                         # B1
                i += 1
            elif b < 0xE0:                       # B2
                _t, i = _uleb(data, i + 1)
            elif b == 0xE0:                      # B3
                _t, i = _uleb(data, i + 1)
                _e, i = _uleb(data, i)
            elif b in (0xF0, 0xF8):              # B4
                _l, i = _uleb(data, i + 1)
            else:
                raise UnwindError(f"unknown body descriptor {b:#04x}")
        else:
            i = _p_format(data, i, r)
    return regions


def _p_format(data: bytes, i: int, r: Region) -> int:
    b = data[i]
    if b < 0xA0:                                 # P1 br_mem
        return i + 1
    if b < 0xB0:                                 # P2 br_gr
        return i + 2
    if b < 0xB8:                                 # P3
        if i + 1 >= len(data):
            raise UnwindError("P3 descriptor cut short")
        kind = _P3.get(((b & 0x7) << 1) | (data[i + 1] >> 7))
        if kind is None:
            raise UnwindError(f"unknown P3 descriptor {b:#04x} {data[i + 1]:#04x}")
        reg = data[i + 1] & 0x7F
        if kind == "rp_br":
            r.return_link = reg
        else:
            r.saves[kind] = (f"r{reg}", None)
        return i + 2
    if b == 0xB8:                                # P4 spill_mask
        return i + 1 + (2 * r.length + 7) // 8
    if b == 0xB9:                                # P5
        return i + 4
    if b < 0xE0:                                 # P6
        return i + 1
    if b < 0xF0:                                 # P7
        kind = b & 0xF
        t, i = _uleb(data, i + 1)
        if kind == 0:                            # mem_stack_f: time, size
            _size, i = _uleb(data, i)
        elif kind in _P7_WHEN:
            r.when[_P7_WHEN[kind]] = t
        elif kind in _P7_PSPREL:
            r.saves[_P7_PSPREL[kind]] = ("memory", None)
        return i
    if b == 0xF0:                                # P8
        if i + 1 >= len(data):
            raise UnwindError("P8 descriptor cut short")
        kind = data[i + 1]
        _v, j = _uleb(data, i + 2)
        if kind in (1, 2):                       # rp_sprel, pfs_sprel
            r.saves[RP if kind == 1 else PFS] = ("memory", None)
        return j
    if b == 0xF1:                                # P9 gr_gr
        return i + 3
    if b == 0xFF:                                # P10 abi
        return i + 3
    raise UnwindError(f"unknown prologue descriptor {b:#04x}")


def _x_format(data: bytes, i: int, r: Region) -> int:
    b = data[i]
    if b in (0xFB, 0xFC):                        # predicated: a location only sometimes
        qp_and = 1
    else:
        qp_and = 0
    j = i + 1 + qp_and
    if j + 1 > len(data):
        raise UnwindError("X descriptor cut short")
    abreg = data[j] & 0x7F
    x = data[j] >> 7
    reg = _ABREG.get(abreg)
    if b in (0xF9, 0xFB):                        # X1/X3 spill to memory
        t, k = _uleb(data, j + 1)
        _off, k = _uleb(data, k)
        where = "memory"
    else:                                        # X2/X4 spill to a register
        if j + 2 > len(data):
            raise UnwindError("X descriptor cut short")
        y, treg = data[j + 1] >> 7, data[j + 1] & 0x7F
        t, k = _uleb(data, j + 2)
        where = f"b{treg}" if x else f"f{treg}" if y else f"r{treg}"
        if not x and not y and treg == 0:
            where = "restored"
    if reg is not None:
        r.spills.append((reg, "predicated" if qp_and else where, t))
    return k


def location(regions: list[Region], reg: str, slot: int) -> str:
    """Where ``reg`` (RP or PFS) is when the instruction at ``slot`` of the entry is
    next: a register name, "memory", or its own register ("b0" -- or the return
    link an rp_br names -- for RP, "ar.pfs").

    Read as an IA-64 unwinder reads the descriptors: the regions up to the one
    holding ``slot``, one location and one time per register, a later region's save
    replacing an earlier one whatever its time (a save keeps the time it already
    has unless a *_when descriptor gives one; a spill is taken only when it has
    happened), and a register whose time is not before ``slot`` still in its own
    place.  So a location a later prologue names takes over only at its time, and
    before that the register is back in its own place, not where an earlier region
    had put it: an entry whose rp moves twice says where rp is in between by
    naming that register as its return link."""
    never = 1 << 62
    link = 0
    where, when = None, never
    for r in regions:
        if r.start > slot:
            break
        if r.return_link is not None:
            link = r.return_link
        if reg in r.saves:
            where = r.saves[reg][0]
            if when == never:
                when = r.start + r.length - 1
        if reg in r.when:
            when = r.start + min(r.when[reg], r.length - 1)
        for sreg, swhere, t in r.spills:
            at = r.start + min(t, r.length - 1)
            if sreg == reg and at < slot:
                where, when = swhere, at
    if where is None or where == "restored" or when >= slot:
        return f"b{link}" if reg == RP else PFS
    return where


def _stacked_or_memory(where: str) -> bool:
    return where == "memory" or (where.startswith("r") and int(where[1:]) >= 32)


def light_entries(obj) -> list:
    """The light entries (``__pvcc_light_*``) ``obj`` defines in code, as Functions:
    every such symbol, also a label without a type or a size (its extent is then
    empty)."""
    out: dict[str, Function] = {}
    for sym in obj.symbols:
        addr = sym.resolved
        if (sym.name.startswith(catalog.LIGHT_PREFIX) and isinstance(addr, int)
                and sym.shndx != 0 and obj.code_section_at(addr) is not None):
            out.setdefault(sym.name, Function(sym.name, addr, sym.size))
    return sorted(out.values(), key=lambda f: (f.addr, f.name))


def _is_link_step(ins) -> bool:
    """`adds r2 = 16, r2`: the link moves from the site's transfer bundle to the bundle
    after it; both are in the caller, in the same state, so either is its IP."""
    link = catalog.LIGHT_LINK
    return ins.op == "adds" and ins.fields == {"r1": link, "imm": 16, "r3": link}


def _tracking(regions: list[Region], insns, name: str) -> list[tuple[int, str]]:
    """(slot, message) where the instructions ``insns`` ((slot, insn, effects), in
    address order) contradict the return pointer's locations: an instruction writes
    the register rp is said to be in, or rp is said to move to a register the
    instruction at that slot does not copy it into."""
    out = []
    for slot, ins, eff in insns:
        here, after = location(regions, RP, slot), location(regions, RP, slot + 1)
        if here in eff.writes and after == here and not _is_link_step(ins):
            out.append((slot, (f"light entry {name}'s unwind information puts rp in {here}, "
                              f"which {ins.op} overwrites")))
        if after != here and after != "memory" and (
                after not in eff.writes or here not in eff.reads):
            out.append((slot, (f"light entry {name}'s unwind information moves rp from {here} "
                              f"to {after} at an instruction ({ins.op}) that does not copy it")))
    return out


def check(obj, calls_b0, insns=None) -> list[tuple[int, str]]:
    """Rule **unwind**: (address, message) for every light entry of ``obj`` whose
    unwind information is missing or does not say what the light convention needs.
    ``calls_b0(start, end)`` lists the slot addresses (bundle | slot) of the
    `br.call b0`/`brl.call b0` instructions in [start, end); ``insns(f)`` lists
    (slot address, insn, effects) of function f's instructions in address order."""
    entries = obj.unwind_entries()
    out: list[tuple[int, str]] = []
    for f in light_entries(obj):
        cover = [e for e in entries if e[0] <= f.addr < e[1]]
        if not cover:
            out.append((f.addr, (f"light entry {f.name} has no unwind entry (.IA_64.unwind): "
                                "a backtrace cannot pass through it")))
            continue
        start, end, info_addr = cover[0]
        if not f.size:                  # a label: its unwind entry says how far it goes
            f = Function(f.name, f.addr, end - f.addr)
        if start != f.addr or end < f.end:
            out.append((f.addr, (f"light entry {f.name}'s unwind entry covers "
                                f"[{obj.where(start)}, {obj.where(end)}), not the entry itself")))
            continue
        try:
            hdr = obj.unwind_info(info_addr, 8)
            words = int.from_bytes(hdr, "little") & 0xFFFFFFFF if len(hdr) == 8 else 0
            regions = decode(obj.unwind_info(info_addr, 8 + 8 * words))
        except UnwindError as e:
            out.append((f.addr, f"light entry {f.name}: unreadable unwind information: {e}"))
            continue
        rp, pfs = location(regions, RP, 0), location(regions, PFS, 0)
        link = f"r{catalog.LIGHT_LINK}"
        if rp != link:
            out.append((f.addr, (f"light entry {f.name}'s unwind information puts the return "
                                f"pointer in {rp} on entry, not in {link} (the light link)")))
        if pfs != "r0":
            out.append((f.addr, (f"light entry {f.name}'s unwind information puts ar.pfs in "
                                f"{pfs} on entry, not r0 (it runs in its caller's frame: "
                                "no frame to pop)")))
        if insns is not None:
            code = [(3 * ((a & ~0xF) - f.addr) // 16 + (a & 0xF), ins, eff)
                    for a, ins, eff in insns(f) if f.addr <= a < f.end]
            for slot, message in _tracking(regions, code, f.name):
                out.append((f.addr + slot // 3 * 16, message))
        for at in calls_b0(f.addr, f.end):
            slot = 3 * ((at & ~0xF) - f.addr) // 16 + (at & 0xF)
            for reg in (RP, PFS):
                where = location(regions, reg, slot)
                if not _stacked_or_memory(where):
                    out.append((at & ~0xF, (f"light entry {f.name}'s unwind information puts "
                                           f"{reg} in {where} at its call at "
                                           f"{obj.where(at & ~0xF)}, a register the call may "
                                           "overwrite (needs a stacked register or memory)")))
    return out


# -- writing ----------------------------------------------------------------


def _uleb_bytes(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def light_native_info(nbundles: int) -> bytes:
    """The unwind information of a native light body of ``nbundles`` bundles whose
    first bundle copies the link, plus 16, into b6 with its slot 2 (light_table's
    PROLOGUE): on entry rp is in r2 and ar.pfs "in r0"; from slot 3 rp is in b6."""
    rlen = 3 * nbundles
    desc = bytearray([
        0x00,                                   # R1 prologue, rlen 0: the state on entry
        0xE4, 0x00,                             # P7 rp_when t=0
        0xB0, 0x80 | catalog.LIGHT_LINK,        # P3 rp_gr r2
        0xE6, 0x00,                             # P7 pfs_when t=0
        0xB1, 0x00,                             # P3 pfs_gr r0
    ])
    desc += bytes([0x20 | rlen]) if rlen < 32 else bytes([0x61]) + _uleb_bytes(rlen)
    desc += bytes([0xFA, 0x80 | 0x63, 6]) + _uleb_bytes(2)   # X2 spill_reg t=2 rp -> b6
    desc += bytes(-len(desc) % 8)               # zero bytes: empty R1 prologues
    return ((1 << 48) | len(desc) // 8).to_bytes(8, "little") + bytes(desc)
