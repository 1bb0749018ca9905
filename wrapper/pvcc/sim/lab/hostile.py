"""What the hostile returns of proof way B overwrite, per calling convention.

In way B (docs/prove.md) every return from an intrinsic implementation
overwrites every register the site's convention lets a callee change with
values that depend on the run's seed and change from call to call, so a
caller that kept a live value there gets a wrong result instead of a lucky
one.  The model does the overwriting, in one of three clobber hypercalls
(``pvcc.sim.hypercalls``: clobber_c, clobber_thunked, clobber_light), which
this module serves: :func:`hypercalls` gives their handlers, and whoever makes
a run registers them with the platform (``pvcc-sim run``, ``pvcc.sim.lab.prove``;
the platform never imports the lab).  The B build's entry points ask for the
one of their convention:

===============  ===========  ======================================================
hypercall        set          who asks for it
===============  ===========  ======================================================
clobber_c        C_SCRATCH    ``paravirt_NAME`` (``runtime/hv/hv_entry.S``): C sites.
                              r2, r3, r9-r11, r14-r31, b6, b7, p6-p15, ar.ccv,
                              f6-f15 and f32-f127 (the C convention's scratch
                              registers; the entry overwrites r8 and its inputs
                              itself)
clobber_thunked  C_THUNKED    ``__pvcc_hv_thunked_NAME``: the C function a light
                              thunk calls.  The same without f32-f127, which a C
                              function behind a thunk must leave alone
                              (docs/light.md)
clobber_light    LIGHT        the B build's light thunks (``light_thunks``), after
                              the C function returned: r2, r3, r8-r11, r14-r17, b6,
                              b7, p6-p15, ar.ccv (the light clobber set); every FR
                              is left as it was
===============  ===========  ======================================================

Each hypercall spares the registers of a keep mask (bit n: rn for n < 32,
bit 32 + n: bn): in r8 for clobber_c and clobber_thunked, in r9 for
clobber_light (r8 may carry the site's result).  The light thunks keep r8
when the intrinsic has a result and b6, their return link; everything else in
the set comes back random.  None of this is in the thunks a kernel links
(``pvcc-thunks``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from pvcc import catalog

from .. import hypercalls as hc
from ..cpu.nat import plain


@dataclass(frozen=True)
class ClobberSet:
    """The registers a hostile return overwrites."""

    grs: tuple[int, ...]
    brs: tuple[int, ...]
    prs: tuple[int, ...]
    frs: tuple[int, ...]
    ars: tuple[int, ...]
    mask_reg: int  # the GR holding the keep mask


_C_GRS = (2, 3, 9, 10, 11, *range(14, 32))
_C_FRS_LOW = tuple(range(6, 16))
C_SCRATCH = ClobberSet(_C_GRS, (6, 7), tuple(range(6, 16)), (*_C_FRS_LOW, *range(32, 128)),
                       (32,), 8)
C_THUNKED = ClobberSet(_C_GRS, (6, 7), tuple(range(6, 16)), _C_FRS_LOW, (32,), 8)
LIGHT = ClobberSet(tuple(sorted(catalog.LIGHT_CLOBBER_GRS)),
                   tuple(sorted(catalog.LIGHT_CLOBBER_BRS)),
                   tuple(sorted(catalog.LIGHT_CLOBBER_PRS)), (),
                   tuple(sorted(catalog.LIGHT_CLOBBER_ARS)), 9)
# The clobber hypercalls, by their number in pvcc.sim.hypercalls.
CLOBBERS = {hc.CLOBBER_C: C_SCRATCH, hc.CLOBBER_THUNKED: C_THUNKED, hc.CLOBBER_LIGHT: LIGHT}

THUNKED_PREFIX = "__pvcc_hv_thunked_"


def hypercalls(seed: int = 1) -> dict[int, Callable[[object, int], None]]:
    """The clobber hypercalls' handlers (``handler(executor, addr)``), for a platform's
    ``register_hypercall``: the values they write change with every call and with
    ``seed`` (one random sequence per call of this function: one per run)."""
    rng = random.Random(seed)

    def serve(regs: ClobberSet) -> Callable[[object, int], None]:
        def clobber_hypercall(ex, addr: int) -> None:
            clobber(ex.st, regs, plain(ex.st.g[regs.mask_reg]), rng)
        return clobber_hypercall

    return {n: serve(regs) for n, regs in CLOBBERS.items()}


def clobber(st, regs: ClobberSet, keep: int, rng: random.Random) -> None:
    """Overwrite the registers of ``regs`` in the model state ``st`` but those of the
    keep mask, with values drawn from ``rng``."""
    rnd = rng.getrandbits
    for r in regs.grs:
        if not (keep >> r) & 1:
            st.g[r] = rnd(64)
    for b in regs.brs:
        if not (keep >> (32 + b)) & 1:
            st.br[b] = rnd(60) << 4
    for p in regs.prs:
        st.pr[p] = bool(rnd(1))
    for a in regs.ars:
        st.ar[a] = rnd(64)
    for f in regs.frs:
        st.fs[f] = rnd(64)
        st.fe[f] = 0x1003E


def keep_mask(grs: tuple[int, ...] = (), brs: tuple[int, ...] = ()) -> int:
    """The keep mask sparing general registers ``grs`` (r0-r31) and branch
    registers ``brs``."""
    mask = 0
    for r in grs:
        if not 0 <= r < 32:
            raise ValueError(f"r{r}: only r0-r31 can be kept")
        mask |= 1 << r
    for b in brs:
        mask |= 1 << (32 + b)
    return mask


def light_return(result: bool) -> tuple[str, ...]:
    """The light thunk's hostile tail: what it runs after the C function returned
    and before it branches back through b6 (the link), sparing r8 when the
    intrinsic has a result."""
    keep = keep_mask((catalog.LIGHT_RESULT,) if result else (), (6,))
    return (f"\tmovl r{LIGHT.mask_reg} = {keep:#x}", "\t;;",
            f"\tbreak.m {hc.BASE + hc.CLOBBER_LIGHT:#x}", "\t;;")


def light_thunks() -> str:
    """The B build's light entry points, one per catalog intrinsic (getreg and
    setreg per register): ``pvcc.thunks``'s thunk calling the hypervisor
    layer's ``__pvcc_hv_thunked_NAME`` and returning with the light clobber."""
    from pvcc import thunks

    head = ["// Generated by pvcc-sim for proof way B only (pvcc.sim.lab.hostile): light",
            "// thunks into the C hypervisor layer with hostile returns.  Do not edit.",
            "\t.text"]
    body = [thunks.thunk(intr.symbol, reg, callee=THUNKED_PREFIX + intr.name,
                         before_return=light_return(intr.returns))
            for intr, reg in catalog.expanded()]
    return "\n".join(head) + "\n" + "".join(body)
