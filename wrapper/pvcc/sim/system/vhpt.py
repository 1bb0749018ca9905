"""The VHPT hash and tag: what ``thash`` and ``ttag`` compute (SDM vol. 2, 4.1.5).

pvcc-sim has no VHPT walker (the SDM makes it optional), so nothing reads the
VHPT; these functions only give the instructions, and the IHA of a TLB miss,
their values.

* Short format (cr.pta.vf = 0), the SDM's hash (vol. 2, 4.1.5.3, "VHPT Short
  Format" and the hash figure): one linear table per region; the entry of
  ``va`` is at ``va{63:61}`` | the table base pta{60:15} above the table size |
  ``(va{IMPL_VA_MSB:0} >> rr.ps) << 3`` inside it.
* Long format (cr.pta.vf = 1): the hash is implementation-defined; pvcc-sim's
  is one table in region pta{63:61} with 32-byte entries at
  ``((vpn ^ rid) << 5)`` inside it (vpn = ``va{IMPL_VA_MSB:0} >> rr.ps``).
* ``ttag`` is implementation-defined; pvcc-sim's tag is ``vpn ^ (rid << 39)``
  with bit 63 (ti) 0.
"""

from __future__ import annotations

from .tlb import IMPL_VA_MSB

_IMPL = (1 << (IMPL_VA_MSB + 1)) - 1
_LOW = 0x7FFF  # hash bits 14:0 always come from the offset


def _vpn(va: int, rr: int) -> int:
    return (va & _IMPL) >> ((rr >> 2) & 0x3F)


def thash(va: int, rr: int, pta: int) -> int:
    """The VHPT entry address of ``va``; ``rr`` is the region register of
    ``va``'s region, ``pta`` cr.pta."""
    size = (pta >> 2) & 0x3F
    mask = ((1 << size) - 1) | _LOW
    base = pta & ((1 << 61) - 1) & ~mask
    if (pta >> 8) & 1:  # long format
        rid = (rr >> 8) & 0xFFFFFF
        return (pta & (7 << 61)) | base | (((_vpn(va, rr) ^ rid) << 5) & mask)
    return (va & (7 << 61)) | base | ((_vpn(va, rr) << 3) & mask)


def ttag(va: int, rr: int) -> int:
    """The translation tag of ``va`` (ti, bit 63, is 0)."""
    rid = (rr >> 8) & 0xFFFFFF
    return (_vpn(va, rr) ^ (rid << 39)) & ((1 << 63) - 1)
