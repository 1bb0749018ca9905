"""Page access rights: what a translation's ar and pl allow at each privilege level.

The table is the SDM's "Page Access Rights" table (volume 2, 4.1.1.6), written
here in the same layout: one row per TLB.pl (3, 2, 1, 0), one column per
privilege level of the access (3, 2, 1, 0).  ``XPn`` is execute with
promotion to privilege level n by ``epc``; "-" is no access.
"""

from __future__ import annotations

R, W, X = 1, 2, 4  # the rights bits of ``RIGHTS``

# TLB.ar -> rows for TLB.pl = 3, 2, 1, 0; columns for privilege level 3, 2, 1, 0.
_TABLE = {
    0: ("R   R   R   R  ",  # read only
        "-   R   R   R  ",
        "-   -   R   R  ",
        "-   -   -   R  "),
    1: ("RX  RX  RX  RX ",  # read, execute
        "-   RX  RX  RX ",
        "-   -   RX  RX ",
        "-   -   -   RX "),
    2: ("RW  RW  RW  RW ",  # read, write
        "-   RW  RW  RW ",
        "-   -   RW  RW ",
        "-   -   -   RW "),
    3: ("RWX RWX RWX RWX",  # read, write, execute
        "-   RWX RWX RWX",
        "-   -   RWX RWX",
        "-   -   -   RWX"),
    4: ("R   RW  RW  RW ",  # read only / read, write
        "-   R   RW  RW ",
        "-   -   R   RW ",
        "-   -   -   RW "),
    5: ("RX  RX  RX  RWX",  # read, execute / read, write, execute
        "-   RX  RX  RWX",
        "-   -   RX  RWX",
        "-   -   -   RWX"),
    6: ("RWX RW  RW  RW ",  # read, write, execute / read, write
        "-   RWX RW  RW ",
        "-   -   RWX RW ",
        "-   -   -   RW "),
    7: ("X   X   X   RX ",  # execute, promote / read, execute
        "XP2 X   X   RX ",
        "XP1 XP1 X   RX ",
        "XP0 XP0 XP0 RX "),
}


def _bits(cell: str) -> int:
    if cell.startswith("XP"):
        return X
    return (R if "R" in cell else 0) | (W if "W" in cell else 0) | (X if "X" in cell else 0)


def _build():
    out = {}
    for ar, rows in _TABLE.items():
        for row, pl in zip(rows, (3, 2, 1, 0)):
            cells = row.split()
            for cell, cpl in zip(cells, (3, 2, 1, 0)):
                out[ar, pl, cpl] = _bits(cell)
    return out


_RIGHTS = _build()


def rights(ar: int, pl: int, cpl: int) -> int:
    """The rights (R | W | X) a page with access rights ``ar`` and privilege level
    ``pl`` grants an access made at privilege level ``cpl``."""
    return _RIGHTS[ar & 7, pl & 3, cpl & 3]


def rights_by_level(ar: int, pl: int) -> tuple[int, int, int, int]:
    """``rights(ar, pl, cpl)`` for cpl = 0, 1, 2, 3."""
    return tuple(_RIGHTS[ar & 7, pl & 3, c] for c in range(4))


def promotion(ar: int, pl: int, cpl: int) -> int | None:
    """The privilege level ``epc`` promotes to on this page (the XPn entries), or
    None: only ar 7 promotes, and only to a more privileged pl than cpl."""
    if ar == 7 and pl < cpl:
        return pl
    return None
