"""Helpers for the system-mode tests: hand-assembled programs with a vector table
of their own, run on the bare machine (pvcc.sim.platform.bare) in physical mode.

``run_system(tmp_path, body, handlers={...})`` assembles ``_start`` (``body``,
then the stop break with r8), a 32 KiB-aligned IVT whose every entry by
default records the interruption and stops (``RECORD``), and ``extra`` code;
``handlers`` replaces entries (key: vector name or offset).  Entry code runs
with psr.ic = 0 and bank 0 of r16-r31.

RECORD leaves: r16 = cr.ipsr, r17 = cr.isr, r18 = cr.iip, r19 = cr.ifa,
r20 = cr.iim, r21 = cr.itir, r22 = cr.iha, r23 = cr.iipa, r24 = the
vector's offset, r25 = psr, r26 = cr.ifs, and stops with status 0x77.
"""

from __future__ import annotations

from pathlib import Path

from asmtools import assemble, link
from pvcc.sim.platform.bare import STOP, run_bare
from pvcc.sim.system.faults import VECTORS

TEXT = 0x100000
DATA = 0x400000
RECORDED = 0x77

RECORD = f"""
	mov r16 = cr.ipsr
	mov r17 = cr.isr
	mov r18 = cr.iip
	mov r19 = cr.ifa
	mov r20 = cr.iim
	mov r21 = cr.itir
	mov r22 = cr.iha
	mov r23 = cr.iipa
	mov r24 = OFFSET
	mov r25 = psr
	mov r26 = cr.ifs
	mov r8 = {RECORDED}
	;;
	break {STOP:#x}
"""

# the offsets of the SDM's vector table (vol. 2, 5.7) that have an entry
_ENTRIES = sorted(set(VECTORS.values()) | {0x5800, 0x5F00, 0x6100, 0x6900, 0x6A00})


def ivt(handlers: dict) -> str:
    by_offset = {(VECTORS[k] if isinstance(k, str) else k): v for k, v in handlers.items()}
    out = ["\t.align 32768", "ivt:"]
    for off in _ENTRIES:
        code = by_offset.get(off, RECORD.replace("OFFSET", f"{off:#x}"))
        out += [f"\t.org ivt+{off:#x}", f"ivt_{off:04x}:", code]
    return "\n".join(out) + "\n"


def program(tmp_path: Path, body: str, *, handlers: dict | None = None, extra: str = "",
            data: str = "", name: str = "sysprog") -> Path:
    src = (f"\t.text\n\t.global _start\n\t.proc _start\n_start:\n"
           f"\tmovl r2 = ivt\n\t;;\n\tmov cr.iva = r2\n\t;;\n{body}\n\t;;\n"
           f"\tbreak {STOP:#x}\n\t;;\n\t.endp _start\n{extra}\n{ivt(handlers or {})}"
           f"\t.data\n\t.align 16\n{data}\n")
    obj = assemble(tmp_path, src, name=name, flags=())
    return link(tmp_path, [obj], name, f"-Ttext={TEXT:#x}", f"-Tdata={DATA:#x}")


def run_system(tmp_path: Path, body: str, **kw):
    """Assemble, link and run in system mode; returns a pvcc.sim.platform.bare.BareRun."""
    opts = {k: kw.pop(k) for k in ("max_insns", "chk_faults") if k in kw}
    return run_bare(str(program(tmp_path, body, **kw)), **opts)


def recorded(r) -> dict:
    """The registers RECORD saved (asserts the run stopped there)."""
    assert r.error is None, f"{r.where}: {r.error}"
    assert r.status == RECORDED, r.status
    g = r.state.g
    names = ("ipsr", "isr", "iip", "ifa", "iim", "itir", "iha", "iipa", "vector", "psr", "ifs")
    return dict(zip(names, g[16:27]))


def sym(r, name: str) -> int:
    return r.board.images[0].symbols[name]
