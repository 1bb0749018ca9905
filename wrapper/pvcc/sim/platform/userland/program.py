"""Load a program into a fresh model and run it: the one-call API."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from ....objects import ElfObject
from ...board import Board
from ...cpu.state import State
from ...errors import SimError
from . import syscalls
from .loader import load, read_program

SiteMap = dict | Callable[[ElfObject], dict]


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
    sites: dict = field(default_factory=dict)  # the site map the counters used
    symbols: dict = field(default_factory=dict)  # the program's symbols: name -> value


def site_types(obj: ElfObject) -> dict[int, tuple[str, bool]]:
    """Every bundle of every `.pvcc_sites` record of the program ``obj`` -> (its type
    name, whether it is the record's first bundle); empty for a program without
    records."""
    from .... import catalog

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
                sites: SiteMap | None = None) -> Run:
    """Run the static IA-64 executable ``path`` with ``args`` (argv[1:]); the file is
    read once (``read_program``).  ``hypercalls`` (number -> handler) are served
    besides the platform's own, e.g. ``pvcc.sim.lab.hostile.hypercalls(seed)``: the
    clobber hypercalls a program built for proof way B makes.  ``sites`` (bundle
    address -> (type name, first bundle?)), or a function that makes that map from
    the program's ElfObject, replaces the map of the program's `.pvcc_sites`
    records that the site counters use."""
    obj = read_program(path)
    if sites is None:
        sites = site_types(obj)
    elif callable(sites):
        sites = sites(obj)
    out = io.BytesIO() if stdout is None else stdout
    err = io.BytesIO() if stderr is None else stderr
    board = Board(nphys=nphys, spec=spec, groups=groups, trace=trace, sites=sites,
                  out=out, err=err)
    st, ex = board.state, board.ex
    img = load(st, path, [path, *(args or [])], obj)
    board.images.append(img)
    platform = board.plug(syscalls.Syscalls(ex))
    for n, handler in (hypercalls or {}).items():
        platform.register_hypercall(n, handler)
    status, error = board.run(st.ip, max_insns)
    where = board.symbolize(error.addr) if error is not None and error.addr is not None else None
    return Run(status, out.getvalue() if stdout is None else b"",
               err.getvalue() if stderr is None else b"", error, where, ex.counters(),
               dict(ex.site_hits), dict(ex.site_insns), st, list(st.priv.effects), sites,
               img.symbols)
