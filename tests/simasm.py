"""Helpers for the pvcc-sim tests: hand-assembled IA-64 programs run in the model."""

from __future__ import annotations

from pathlib import Path

from asmtools import assemble, link
from pvcc.sim import run_program

# Exit through the exit_group system call with r8 as the status.
EXIT_R8 = """
	alloc r2=ar.pfs,0,0,1,0
	mov r15=1236
	;;
	mov r32=r8
	;;
	break 0x100000
"""


def program(tmp_path: Path, body: str, *, data: str = "", name: str = "prog",
            extra: str = "") -> Path:
    """A static executable whose _start runs ``body`` then exits with r8."""
    src = (f"\t.text\n\t.global _start\n\t.proc _start\n_start:\n{body}\n{EXIT_R8}\n"
           f"\t.endp _start\n{extra}\n\t.data\n\t.align 16\n{data}\n")
    obj = assemble(tmp_path, src, name=name, flags=())
    return link(tmp_path, [obj], name)


def run(tmp_path: Path, body: str, **kw):
    """Assemble, link and run; returns pvcc.sim.Run."""
    opts = {k: kw.pop(k) for k in ("spec", "max_insns", "nphys", "groups", "hypercalls")
            if k in kw}
    return run_program(str(program(tmp_path, body, **kw)), **opts)


def r8(tmp_path: Path, body: str, **kw) -> int:
    """The value of r8 at exit (the exit status is r8 & 0xff: read the full state)."""
    r = run(tmp_path, body, **kw)
    assert r.error is None, f"{r.where}: {r.error}"
    return r.state.g[8]
