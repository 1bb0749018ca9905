"""pvcc-thunks: light-convention entry points for paravirt implementations written in C.

A light site (docs/light.md) branches to ``__pvcc_light_<symbol>`` inside its
caller's register frame, with the arguments in r8, r9, r10, r11, r14 and the
link (the address of the site's transfer bundle) in r2.  A C function cannot
be entered that way: it would ``alloc`` over the caller's stacked registers,
overwrite b0, gp, r18-r31 and f6-f15, and return with ``br.ret``.  For each
symbol this module writes an assembly thunk that keeps every promise of the
light convention and calls ``<symbol>`` with the full C ABI:

outer part, in the caller's frame (writes only r2, r16, b6, b7, ar.pfs, and
puts ar.pfs back)::

    mov r16 = ar.pfs ; adds r2 = 16, r2 ;;       the caller's ar.pfs, the return address
    mov b6 = r2 ; br.call b7 = inner ;;          CFM -> ar.pfs.pfm; the new frame is
                                                 exactly the caller's output area
    mov ar.pfs = r16 ; br.cond b6 ;;             back to the end of the site

inner part, an ordinary frame of its own::

    alloc r40 = ar.pfs, 8, 20, 5, 0              in0-in7 (r32-r39) are the caller's
                                                 output registers: never written
    save b0, b6, b7, gp, r16, r18-r31 in locals r41-r59; sp -= 176;
    stf.spill f6-f15 (16 bytes of scratch area left for the callee at sp)
    out0-out4 = r8, r9, r10, r11, r14 ; br.call b0 = <symbol>
    restore everything; the result stays in r8; mov ar.pfs = r40 ; br.ret b7

The C function must not use f32-f127 (they are not saved): the kernel's
``-mfixed-range=f12-f15,f32-f127`` guarantees it, and so does
``-mfixed-range=f32-f127`` anywhere else.  It runs with the site's gp (one
link unit).  Interrupts may arrive anywhere in the thunk, whose frame is below
the caller's sp; it must not be used for sites that run with PSR.ic = 0
(its ``alloc`` may spill stacked registers to the backing store).

Unwind directives describe both parts for a backtrace (docs/light.md, "Unwind
information"): on entry rp is the link r2 and ar.pfs "r0" (no frame of its own),
then b6 (also named the return link, ``.altrp b6``); the inner part saves ar.pfs
in r40 and rp in r42, so an unwinder steps from it straight into the site's
caller.  pvcc-check's rule **unwind** proves them (``pvcc.unwind``).

pvcc-sim's proof builds its own variant with ``thunk``'s ``callee`` and
``before_return`` options (``pvcc.sim.lab.hostile``); ``pvcc-thunks`` never uses them.
"""

from __future__ import annotations

import argparse
import re
import sys

from . import catalog, cli
from .atomicfile import write_atomic

PROG = "pvcc-thunks"

IN_REGS = 8                  # the caller's output area, at most 8 registers
SAVED_GRS = tuple(range(18, 32))   # C scratch, preserved by the light convention
SAVED_FRS = tuple(range(6, 16))    # C scratch below f32
OUT_REGS = len(catalog.LIGHT_ARGS)
# locals: ar.pfs, b0, b6 (link), b7 (return into the outer part), gp, r16, r18-r31
_LOC = 32 + IN_REGS
L_PFS, L_B0, L_B6, L_B7, L_GP, L_R16 = range(_LOC, _LOC + 6)
L_GRS = tuple(range(_LOC + 6, _LOC + 6 + len(SAVED_GRS)))
N_LOCALS = 6 + len(SAVED_GRS)
OUT0 = 32 + IN_REGS + N_LOCALS
FRAME = 16 + 16 * len(SAVED_FRS)   # scratch area for the callee + the f-register saves

_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def entry_name(symbol: str, reg: int | None = None) -> str:
    return catalog.LIGHT_PREFIX + symbol + ("" if reg is None else f"_{reg}")


def thunk(symbol: str, reg: int | None = None, *, callee: str | None = None,
          before_return: tuple[str, ...] = ()) -> str:
    """The assembly (GNU as, ia64) of the light entry point for C function ``symbol``.

    With ``reg`` it is the entry of getreg/setreg of that register: the site
    passes no register number, the thunk gives ``symbol`` the number as its
    first argument and r9 (setreg's value) as its second.

    For pvcc-sim's proof only (``pvcc.sim.lab.hostile``; the thunks a kernel links
    use neither): ``callee`` is the C function called instead of ``symbol``
    (the entry keeps ``symbol``'s name), and ``before_return`` are assembly
    lines the outer part runs after restoring ar.pfs and before branching back
    through b6; they may write only light clobber registers other than b6 and
    the result in r8.
    """
    callee = symbol if callee is None else callee
    for name in (symbol, callee):
        if not _SYMBOL.match(name):
            raise ValueError(f"'{name}' is not a C identifier")
    if reg is not None and not 0 <= reg < 1 << 21:
        raise ValueError(f"register number {reg} is out of range")
    entry = entry_name(symbol, reg)
    inner = f".L{entry}_inner"
    lines = [
        f"\t.global {entry}#",
        f"\t.type {entry}#, @function",
        "\t.align 32",
        f"\t.proc {entry}#",
        f"{entry}:",
        # unwind state on entry: rp is the link, no frame of its own; b6, where rp
        # goes next, is the return link wherever no save says otherwise (docs/light.md)
        "\t.prologue",
        f"\t.save rp, r{catalog.LIGHT_LINK}",
        "\t.save ar.pfs, r0",
        "\t.altrp b6",
        "\t.body",
        "\tmov r16 = ar.pfs",
        f"\tadds r{catalog.LIGHT_LINK} = 16, r{catalog.LIGHT_LINK}",
        "\t;;",
        "\t.spillreg rp, b6",
        f"\tmov b6 = r{catalog.LIGHT_LINK}",
        f"\tbr.call.sptk.many b7 = {inner}",
        "\t;;",
        "\tsrlz.d",  # the C function's effects serialized (catalog.FLAG_SRLZ_D)
        "\tmov.i ar.pfs = r16",
        *before_return,
        "\tbr.cond.sptk.many b6",
        "\t;;",
        f"{inner}:",
        # the inner frame returns, for an unwinder, straight to the site's caller:
        # its ar.pfs (saved by alloc) is the caller's frame marker, rp is b6
        "\t.prologue",
        f"\t.save ar.pfs, r{L_PFS}",
        f"\talloc r{L_PFS} = ar.pfs, {IN_REGS}, {N_LOCALS}, {OUT_REGS}, 0",
        f"\tmov r{L_B0} = b0",
        f"\t.save rp, r{L_B6}",
        f"\tmov r{L_B6} = b6",
        "\t;;",
        f"\tmov r{L_B7} = b7",
        f"\tmov r{L_GP} = r1",
        f"\tmov r{L_R16} = r16",
    ]
    lines += [f"\tmov r{loc} = r{gr}" for loc, gr in zip(L_GRS, SAVED_GRS)]
    lines += [
        f"\t.fframe {FRAME}",
        f"\tadds r12 = -{FRAME}, r12",
        "\t;;",
        "\t.body",
        "\tadds r17 = 16, r12",
        "\t;;",
    ]
    lines += [f"\tstf.spill [r17] = f{f}, 16\n\t;;" for f in SAVED_FRS]
    lines += [f"\tmov r{OUT0 + i} = r{a}" if reg is None or i else f"\taddl r{OUT0} = {reg}, r0"
              for i, a in enumerate(catalog.LIGHT_ARGS)]
    lines += [
        f"\tbr.call.sptk.many b0 = {callee}#",
        "\t;;",
        "\tadds r17 = 16, r12",
        "\t;;",
    ]
    lines += [f"\tldf.fill f{f} = [r17], 16\n\t;;" for f in SAVED_FRS]
    lines += [f"\tmov r{gr} = r{loc}" for loc, gr in zip(L_GRS, SAVED_GRS)]
    lines += [
        "\t.restore sp",
        f"\tadds r12 = {FRAME}, r12",
        f"\tmov r16 = r{L_R16}",
        f"\tmov r1 = r{L_GP}",
        f"\tmov b0 = r{L_B0}",
        f"\tmov b6 = r{L_B6}",
        "\t;;",
        f"\tmov b7 = r{L_B7}",
        f"\tmov.i ar.pfs = r{L_PFS}",
        "\t;;",
        "\tbr.ret.sptk.many b7",
        "\t;;",
        f"\t.endp {entry}#",
        f"\t.size {entry}#, .-{entry}",
    ]
    return "\n".join(lines) + "\n"


def parse_spec(spec: str) -> tuple[str, int | None]:
    """``SYMBOL`` or ``SYMBOL:REG`` (a getreg/setreg entry for register REG: its
    name, ``ar.itc``, or its _IA64_REG_* number, ``3116``)."""
    symbol, sep, reg = spec.partition(":")
    if not sep:
        return symbol, None
    number = catalog.reg_number(reg)
    if number is None:
        raise ValueError(f"'{spec}': the register after ':' is neither a register name "
                         f"nor a number")
    return symbol, number


def source(specs: list[tuple[str, int | None]]) -> str:
    """A whole assembly file with one thunk per (symbol, register) (duplicates once)."""
    head = [
        f"// Generated by {PROG} (pvcc): light-convention entry points that call C",
        "// functions (docs/light.md).  Do not edit.",
        "\t.text",
    ]
    seen: list[tuple[str, int | None]] = []
    for s in specs:
        if s not in seen:
            seen.append(s)
    return "\n".join(head) + "\n" + "".join(thunk(sym, reg) for sym, reg in seen)


def catalog_specs() -> list[tuple[str, int | None]]:
    """Every C implementation <pvcc/paravirt.h> declares (paravirt_<name>), getreg and
    setreg once per register they accept."""
    return [(intr.symbol, reg) for intr, reg in catalog.expanded()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Write light-convention thunks (__pvcc_light_SYMBOL) that call C functions.")
    p.add_argument("symbols", nargs="*", metavar="SYMBOL[:REG]",
                   help="C functions to wrap, getreg/setreg with the register "
                        "(default: every paravirt_* of the catalog)")
    p.add_argument("-o", "--output", metavar="OUT.S", help="write here instead of stdout")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def body() -> int:
        text = source([parse_spec(s) for s in args.symbols] or catalog_specs())
        if args.output:
            write_atomic(args.output, text)
        else:
            sys.stdout.write(text)
        return 0

    return cli.run(PROG, body, errors=((ValueError, 2), (OSError, 1)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
