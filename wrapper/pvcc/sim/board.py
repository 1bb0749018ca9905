"""One way to wire a CPU, its memory and a platform together.

    board = Board(nphys=96, spec="succeed")        # a CPU (State + Executor) and memory
    img = load(board.state, path, argv)            # a platform's loader fills memory
    board.images.append(img)                       # FUNC+0xOFF in messages
    board.plug(syscalls.Syscalls(board.ex))        # the platform serves `break`
    status, error = board.run(board.state.ip, max_insns)

``Board(system=True)`` adds the system architecture (``system.System``:
privilege, interruptions, translation, the interrupt controller and the
timer) between the CPU and the platform; the user-mode harness leaves it out
and runs exactly as before.  The user-mode harness (``platform.userland``),
calls from Python (``platform.hostcall``), the boot patcher run of
``pvcc.kimage`` and the system-mode entry (``platform.bare``) all wire
through here.
"""

from __future__ import annotations

import sys

from .cpu.executor import Executor
from .cpu.state import State
from .errors import ProgramExit, SimError


class Board:
    def __init__(self, *, nphys: int = 96, spec: str = "succeed", groups: bool = True,
                 trace=None, sites: dict | None = None, system: bool = False,
                 out=None, err=None):
        self.state = State(nphys, page_shift=12 if system else 16)
        self.mem = self.state.mem
        self.images: list = []  # anything with symbolize(addr) -> "FUNC+0xOFF (ADDR)"
        self.ex = Executor(self.state, spec=spec, groups=groups, trace=trace,
                           symbolize=self.symbolize, sites=sites)
        self.ex.out = out if out is not None else getattr(sys.stdout, "buffer", sys.stdout)
        self.ex.err = err if err is not None else getattr(sys.stderr, "buffer", sys.stderr)
        self.system = None
        if system:
            from .system.core import System
            self.system = System(self)

    def plug(self, platform):
        """The platform that serves ``break`` (system calls, hypercalls, firmware)."""
        if self.system is not None:
            self.system.platform = platform
        else:
            self.ex.platform = platform
        return platform

    def symbolize(self, addr: int) -> str:
        """FUNC+0xOFF (ADDR) from the first image that knows ADDR, else ADDR."""
        for img in self.images:
            s = img.symbolize(addr)
            if "+" in s:
                return s
        return f"{addr:#x}"

    def run(self, ip: int, max_insns: int | None = None) -> tuple[int | None, SimError | None]:
        """Run from ``ip``: (the exit status, None) when the program or the platform
        ends the run, (None, the error) when the model stops."""
        try:
            if self.system is not None:
                self.system.run(ip, max_insns)
            else:
                self.ex.run(ip, max_insns)
        except ProgramExit as e:
            return e.status, None
        except SimError as e:
            return None, e
        raise SimError("the run ended without an exit")  # run() only ends by raising
