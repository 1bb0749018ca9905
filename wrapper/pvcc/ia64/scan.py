"""Fast search of code for the bundles that hold IP-relative transfers.

A vmlinux has millions of bundles; decoding each one to find the few that call
or branch is too slow, so this pre-filter looks only at the template and the
major opcode of the B slots (and of the X slot of MLX bundles) and decodes the
candidates.
"""

from __future__ import annotations

from collections.abc import Iterator

from .bits import MASK41
from .decode import decode_bundle
from .model import TEMPLATES, Bundle, DecodeError
from .semantics import BRANCH, CALL

# IP-relative transfers: kind -> (major opcode in a B slot, major opcode of an X slot)
_MAJORS = {CALL: (5, 0xD),     # B3 br.call, X4 brl.call
           BRANCH: (4, 0xC)}   # B1 br.cond/br.cloop/..., X3 brl.cond
_B_SLOTS = {t: tuple(i for i, u in enumerate(units) if u == "B")
            for t, (units, _) in TEMPLATES.items() if "B" in units}
_MLX = frozenset(t for t, (units, _) in TEMPLATES.items() if units == "MLX")


def iter_transfer_bundles(data: bytes, addr: int, kind: str = CALL) -> Iterator[Bundle]:
    """The bundles of ``data`` (code at ``addr``) holding an IP-relative transfer of
    ``kind`` (``semantics.CALL`` or ``semantics.BRANCH``); a candidate may also hold
    other instructions: callers look at the ``effects`` of each."""
    b_major, x_major = _MAJORS[kind]
    b_slots, mlx = _B_SLOTS, _MLX
    mv = memoryview(data)
    from_bytes = int.from_bytes
    for off in range(0, len(data) - len(data) % 16, 16):
        v = from_bytes(mv[off:off + 16], "little")
        t = v & 0x1F
        hit = False
        slots = b_slots.get(t)
        if slots is not None:
            for s in slots:  # a loop, not any(): this is the hot path of a vmlinux scan
                if ((v >> (5 + 41 * s)) & MASK41) >> 37 == b_major:
                    hit = True
                    break
        else:
            hit = t in mlx and (v >> 87) >> 37 == x_major
        if hit:
            try:
                yield decode_bundle(mv[off:off + 16].tobytes(), addr + off)
            except DecodeError:  # pragma: no cover - reserved templates are not candidates
                continue
