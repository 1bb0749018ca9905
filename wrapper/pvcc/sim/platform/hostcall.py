"""A model machine to drive from Python: load ELF images, read and write memory,
call functions in them (the way a test calls a kernel's boot-time patcher).

    m = Machine()
    img = m.load("vmlinux")                  # every PT_LOAD segment at its address
    m.call("paravirt_patch_apply", 0, 1)     # -> r8; errors raise SimError
    m.read(addr, n); m.write(addr, data); m.effects

``call`` runs the function with the arguments in its input registers
(out0-out7 of an empty caller frame), gp = the image's ``__gp``, a fresh
16-byte-aligned memory stack and register backing store, and b0 holding a
return address in a page of its own: reaching it ends the call.
"""

from __future__ import annotations

import io

from ..board import Board
from ..errors import ReturnToHost, SimError
from .userland import syscalls
from .userland.loader import (
    RBS_BASE,
    RBS_SIZE,
    STACK_SIZE,
    STACK_TOP,
    Image,
    parse,
    read_program,
)

RETURN_ADDR = 0x6000000F00000000  # b0 of a call: reaching it returns to Python


class Machine:
    def __init__(self, *, spec: str = "succeed", nphys: int = 96, groups: bool = True):
        self.stdout = io.BytesIO()
        self.board = Board(nphys=nphys, spec=spec, groups=groups, out=self.stdout,
                           err=self.stdout)
        self.state = self.board.state
        self.images: list[Image] = self.board.images
        mem = self.state.mem
        mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, "stack")
        mem.map(RBS_BASE, RBS_SIZE, "register backing store")
        self.executor = self.board.ex
        self.executor.return_addr = RETURN_ADDR
        self.board.plug(syscalls.Syscalls(self.executor))

    # -- images and memory -----------------------------------------------------
    def load(self, path: str) -> Image:
        img, segs = parse(read_program(path), require_exec=False)
        mem = self.state.mem
        for vaddr, body, memsz in segs:
            lo = vaddr & ~0xFFF
            hi = (vaddr + memsz + 0xFFF) & ~0xFFF
            mem.map(lo, hi - lo, f"{path} segment {vaddr:#x}")
            mem.write_bytes(vaddr, body)
        self.images.append(img)
        return img

    def map(self, addr: int, size: int, name: str = "mapped by the caller") -> None:
        self.state.mem.map(addr, size, name)

    def read(self, addr: int, n: int) -> bytes:
        return self.state.mem.read_bytes(addr, n)

    def write(self, addr: int, data: bytes) -> None:
        self.state.mem.write_bytes(addr, data)
        self.executor.cache.clear()  # code may have changed

    def symbol(self, name: str) -> int:
        for img in self.images:
            if name in img.symbols:
                return img.symbols[name]
        raise SimError(f"no symbol {name!r} in the loaded images")

    def symbolize(self, addr: int) -> str:
        return self.board.symbolize(addr)

    @property
    def effects(self) -> list:
        return self.state.priv.effects

    # -- calls -----------------------------------------------------------------
    def call(self, func: int | str, *args: int, gp: int | None = None,
             max_insns: int | None = None) -> int:
        """Run ``func`` (an address or a symbol) with up to 8 integer arguments; its r8."""
        if len(args) > 8:
            raise ValueError("at most 8 register arguments")
        addr = self.symbol(func) if isinstance(func, str) else func
        st = self.state
        if gp is None:
            gp = next((img.gp for img in self.images if img.gp), 0)
        st.rse.reset(RBS_BASE)
        st.rse.alloc(len(args), 0, 0)
        g = st.g
        for n, a in enumerate(args):
            g[32 + n] = a & ((1 << 64) - 1)
        st.rse.call()  # the function's frame: the arguments as its inputs
        st.ar[64] = 0  # return to an empty frame
        st.br[0] = RETURN_ADDR
        g[1] = gp
        g[12] = STACK_TOP - 64
        try:
            self.executor.run(addr, max_insns)
        except ReturnToHost as r:
            return r.value
        raise SimError("the called function did not return")  # run() only ends by raising

