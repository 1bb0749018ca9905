"""Load a program into a fresh model and run it: the one-call API."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ...board import Board
from ...cpu.state import State
from ...errors import SimError
from . import syscalls
from .loader import load


@dataclass
class Run:
    """The outcome of one run."""

    status: int | None  # the program's exit status; None if the model stopped
    stdout: bytes
    stderr: bytes
    error: SimError | None
    where: str | None  # FUNC+0xOFF (ADDR) of the error
    counters: dict = field(default_factory=dict)
    site_hits: dict = field(default_factory=dict)  # type -> executions of its sites
    site_insns: dict = field(default_factory=dict)  # type -> instructions run in site bundles
    state: State | None = None
    effects: list = field(default_factory=list)


def site_types(path: str) -> dict[int, tuple[str, bool]]:
    """Every bundle of every `.pvcc_sites` record -> (its type name, whether it is the
    record's first bundle); empty for a program without records."""
    from .... import catalog
    from ....objects import ObjectError, open_object
    try:
        obj = open_object(path)
    except ObjectError:
        return {}
    out = {}
    for r in obj.records or []:
        name = catalog.type_name(r.type)
        for a in range(r.start, max(r.end, r.start + 16), 16):
            out[a] = (name, a == r.start)
    return out


def run_program(path: str, args: list[str] | None = None, *, spec: str = "succeed",
                max_insns: int | None = None, trace=None, nphys: int = 96,
                groups: bool = True, stdout=None, stderr=None,
                hypercalls: dict[int, syscalls.Handler] | None = None,
                sites: dict | None = None) -> Run:
    """Run the static IA-64 executable ``path`` with ``args`` (argv[1:]).
    ``hypercalls`` (number -> handler) are served besides the platform's own, e.g.
    ``pvcc.sim.lab.hostile.hypercalls(seed)``: the clobber hypercalls a program
    built for proof way B makes.  ``sites`` (bundle address -> (type name, first
    bundle?)) replaces the map of the program's `.pvcc_sites` records that the
    site counters use."""
    out = io.BytesIO() if stdout is None else stdout
    err = io.BytesIO() if stderr is None else stderr
    board = Board(nphys=nphys, spec=spec, groups=groups, trace=trace,
                  sites=site_types(path) if sites is None else sites, out=out, err=err)
    st, ex = board.state, board.ex
    board.images.append(load(st, path, [path, *(args or [])]))
    platform = board.plug(syscalls.Syscalls(ex))
    for n, handler in (hypercalls or {}).items():
        platform.register_hypercall(n, handler)
    status, error = board.run(st.ip, max_insns)
    where = board.symbolize(error.addr) if error is not None and error.addr is not None else None
    return Run(status, out.getvalue() if stdout is None else b"",
               err.getvalue() if stderr is None else b"", error, where, ex.counters(),
               dict(ex.site_hits), dict(ex.site_insns), st, list(st.priv.effects))
