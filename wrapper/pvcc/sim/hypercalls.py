"""The model's hypercalls: one table, the single source of their numbers.

A hypercall is ``break BASE + N``: arguments in r8-r11, result in r8.  They use
only static registers, so code running in its caller's frame (the static
calling convention) can make them.  The user-mode platform
(``platform/userland/syscalls.py``) serves all below ``PASSTHRU_BASE`` but the
three clobber hypercalls; those are the hostile returns of proof way B, whose register sets
are the lab's (``lab/hostile.py``), and whoever makes a run registers them with
the platform.  A ``break`` in the range that nothing serves stops the model.

The pass-through hypercalls (``PASSTHRU``, numbers ``PASSTHRU_BASE`` + the
intrinsic's index in ``pvcc.catalog.INTRINSICS``) are the hypervisor a
paravirtualized kernel finds on pvcc-sim's machine (docs/boot-patching.md):
one per intrinsic of the catalog, each performing that intrinsic's operation
on the machine as its native code does, with the light convention's
registers -- arguments in r8, r9, r10, r11, r14, result in r8; getreg and
setreg take the ``_IA64_REG_*`` number in r8 (setreg's value in r9).  The
machine platform serves them (``platform/machine/passthru.py``); the
kernel's implementations that make them are generated from the catalog
(``pvcc.passthru_impls``).  ``COUNT`` is the number of hypercalls the
machine announces (its EFI table's ``nr_hypercalls``).

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

from .. import catalog

BASE = 0x1C0000  # break BASE + N
END = 0x1D0000   # the first immediate past the hypercalls' range
COUNT = 64       # hypercalls 0..COUNT-1 exist (what the machine announces)

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

# The pass-through hypercalls: PASSTHRU_BASE + the intrinsic's index in the catalog.
PASSTHRU_BASE = 32
PASSTHRU = {intr.name: PASSTHRU_BASE + k for k, intr in enumerate(catalog.INTRINSICS)}

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
    *(Hypercall(n, f"pt_{name}", "pass-through " + (
        "getreg: r8 = the register numbered r8" if name == "getreg" else
        "setreg: the register numbered r8 = r9" if name == "setreg" else
        f"{name}({', '.join(f'r{r}' for r in catalog.LIGHT_ARGS[:catalog.BY_NAME[name].nargs])})"
        + (" -> r8" if catalog.BY_NAME[name].returns else "")) + " (served by the machine)")
      for name, n in PASSTHRU.items()),
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
        f"#define HYPERCALL_COUNT {COUNT}",
    ]
    for h in HYPERCALLS:
        out.append(f"#define HYPERCALL_{_macro(h.name):<{width}} {h.imm:#x}  /* {h.does} */")
    out += ["", "/* Effect numbers of the log hypercall (r8). */"]
    out += [f"#define EFFECT_{_macro(e)} {n}" for n, e in enumerate(EFFECTS)]
    out += ["", "#endif", ""]
    return "\n".join(out)

