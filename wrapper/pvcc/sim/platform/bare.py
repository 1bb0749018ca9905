"""The bare machine: system mode with nothing but RAM, for hand-written programs.

``run_bare(path)`` loads an IA-64 ELF image (every PT_LOAD segment at its
address, taken as physical: bits 63:61 are dropped) into RAM, and starts at
its entry point the way a processor leaves firmware for an operating system:
physical mode (psr.it = dt = rt = 0), cpl 0, psr.ic = 1, psr.bn = 1,
interrupts off, cr.iva = 0 (the program installs its own vector table), an
empty register frame with ar.bspstore at ``RBS``, r12 = ``STACK_TOP``.

``break 0x1F0000`` (``STOP``, an immediate no other software uses) ends the
run with status r8 & 0xFF; any other ``break`` is the Break Instruction
interruption.  The boot platform (``pvcc-sim boot``) wires the same way
(``Board(system=True)``) with its firmware, devices and loader instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..board import Board
from ..cpu.nat import plain
from ..errors import LoadError, ProgramExit, SimError
from .userland.loader import parse, read_program

STOP = 0x1F0000
RAM_BASE = 0
RAM_SIZE = 64 << 20
STACK_TOP = RAM_SIZE - (1 << 20)  # 1 MiB below the top of RAM: the backing store above
RBS = STACK_TOP
PHYS_MASK = (1 << 61) - 1
PSR_IC, PSR_BN = 1 << 13, 1 << 44


class Bare:
    """The platform: only the stop ``break``."""

    def __init__(self, board: Board):
        self.board = board

    def serves(self, imm: int) -> bool:
        return imm == STOP

    def brk(self, imm: int, addr: int) -> None:
        raise ProgramExit(plain(self.board.state.g[8]) & 0xFF)


@dataclass
class BareRun:
    status: int | None  # r8 & 0xff at the stop break; None if the model stopped
    error: SimError | None
    where: str | None  # FUNC+0xOFF (ADDR) of the error
    board: Board
    counters: dict = field(default_factory=dict)

    @property
    def state(self):
        return self.board.state

    @property
    def system(self):
        return self.board.system


def load_bare(path: str, *, ram: int = RAM_SIZE, trace=None, groups: bool = True) -> Board:
    """A system-mode board with ``ram`` bytes of RAM at 0 and ``path`` loaded."""
    img, segs = parse(read_program(path), require_exec=False)
    board = Board(system=True, trace=trace, groups=groups)
    board.images.append(img)
    mem = board.mem
    mem.map(RAM_BASE, ram, "RAM")
    for vaddr, body, _memsz in segs:
        pa = vaddr & PHYS_MASK
        if pa + len(body) > ram:
            raise LoadError(f"{path}: segment at {vaddr:#x} is outside RAM ({ram} bytes)")
        mem.write_bytes(pa, body)
    st = board.state
    st.priv.psr = PSR_IC | PSR_BN
    board.system.psr_changed()
    st.rse.reset(RBS)
    st.g[12] = STACK_TOP - 16
    st.g[1] = img.gp
    st.ip = img.entry & PHYS_MASK
    board.plug(Bare(board))
    return board


def run_bare(path: str, *, max_insns: int | None = None, ram: int = RAM_SIZE, trace=None,
             chk_faults: bool = False) -> BareRun:
    board = load_bare(path, ram=ram, trace=trace)
    board.system.chk_faults = chk_faults
    status, error = board.run(board.state.ip, max_insns)
    where = board.symbolize(error.addr) if error is not None and error.addr is not None else None
    counters = {**board.ex.counters(), **board.system.counters()}
    return BareRun(status, error, where, board, counters)
