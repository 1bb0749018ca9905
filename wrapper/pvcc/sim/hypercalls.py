"""The model's hypercalls: one table, the single source of their numbers.

A hypercall is ``break BASE + N``: arguments in r8-r11, result in r8.  They use
only static registers, so code running in its caller's frame (the static
calling convention) can make them.  The user-mode platform
(``platform/userland/syscalls.py``) serves all but the three clobber
hypercalls; those are the hostile returns of proof way B, whose register sets
are the lab's (``lab/hostile.py``), and whoever makes a run registers them with
the platform.  A ``break`` in the range that nothing serves stops the model.

The runtime's C and assembly (``runtime/hv/hv.c``, ``runtime/hv/hv_entry.S``)
take the numbers from ``hypercalls.h``, which :func:`header` renders from this
table.  ``pvcc-sim cc`` writes it as ``<pvcc-sim/hypercalls.h>`` into the
runtime's build directory every time it builds the runtime; its text is part
of the runtime cache's key, it is published with the cached runtime
(``<cache>/simrt/<key>/include/``, on the include path of every program
``pvcc-sim cc`` builds), and it is never checked in (``pvcc.sim.lab.build``).
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = 0x1C0000  # break BASE + N
END = 0x1D0000   # the first immediate past the hypercalls' range

# N of each hypercall (what it does: HYPERCALLS below).
CPUID = 0
ITC = 1
THASH = 2
TTAG = 3
SET_ITC = 4
LOG = 5
CLOBBER_C = 6
PSR = 7
CR = 8
RR = 9
CLOBBER_THUNKED = 10
CLOBBER_LIGHT = 11

# The effects the log hypercall appends, by their number in r8.
EFFECTS = ("fc", "fc.i", "ptc.ga", "ptc.e", "itc.d", "itc.i", "itr.d", "itr.i", "srlz.d",
           "srlz.i", "sync.i", "mov.to.eoi", "mov.to.itm")

HEADER_NAME = "hypercalls.h"


@dataclass(frozen=True)
class Hypercall:
    n: int
    name: str   # lower case; the C macro is HYPERCALL_<NAME>
    does: str

    @property
    def imm(self) -> int:
        """The ``break`` immediate that makes this hypercall."""
        return BASE + self.n


HYPERCALLS = (
    Hypercall(CPUID, "cpuid", "r8 = CPUID[r8]"),
    Hypercall(ITC, "itc", "r8 = the next ITC value (the sequence mov r=ar.itc reads)"),
    Hypercall(THASH, "thash", "r8 = thash(r8)"),
    Hypercall(TTAG, "ttag", "r8 = ttag(r8)"),
    Hypercall(SET_ITC, "set_itc", "ITC = r8 (as mov ar.itc=r8)"),
    Hypercall(LOG, "log", "append (effect r8, r9, r10) to the effect log (EFFECT_*)"),
    Hypercall(CLOBBER_C, "clobber_c",
              "hostile return of a C callee; keep mask in r8 (served by the lab)"),
    Hypercall(PSR, "psr", "r8 = the machine PSR (as mov r8=psr)"),
    Hypercall(CR, "cr", "r8 = cr[r8] (reads; no side effect)"),
    Hypercall(RR, "rr", "r8 = rr[r8 >> 61]"),
    Hypercall(CLOBBER_THUNKED, "clobber_thunked",
              "as clobber_c without f32-f127: a C function behind a light thunk"),
    Hypercall(CLOBBER_LIGHT, "clobber_light",
              "hostile return of a light callee; keep mask in r9 (served by the lab)"),
)


def by_number(n: int) -> Hypercall | None:
    """The hypercall ``break BASE + n`` makes, or None."""
    return next((h for h in HYPERCALLS if h.n == n), None)


def _macro(name: str) -> str:
    return name.upper().replace(".", "_")


def header() -> str:
    """The text of hypercalls.h: the break immediates and the log's effect numbers,
    for C and for preprocessed assembly (``#define`` only)."""
    width = max(len(_macro(h.name)) for h in HYPERCALLS)
    out = [
        "/*",
        " * hypercalls.h - pvcc-sim's hypercalls: the break immediate of each, and the",
        " * effect numbers of the log hypercall.",
        " *",
        " * Generated from wrapper/pvcc/sim/hypercalls.py when pvcc-sim cc builds its",
        " * runtime: edit the table, never this file.  Usable from C and from",
        " * preprocessed assembly.",
        " */",
        "#ifndef PVCC_SIM_HYPERCALLS_H",
        "#define PVCC_SIM_HYPERCALLS_H",
        "",
        f"#define HYPERCALL_BASE {BASE:#x}",
    ]
    for h in HYPERCALLS:
        out.append(f"#define HYPERCALL_{_macro(h.name):<{width}} {h.imm:#x}  /* {h.does} */")
    out += ["", "/* Effect numbers of the log hypercall (r8). */"]
    out += [f"#define EFFECT_{_macro(e)} {n}" for n, e in enumerate(EFFECTS)]
    out += ["", "#endif", ""]
    return "\n".join(out)

