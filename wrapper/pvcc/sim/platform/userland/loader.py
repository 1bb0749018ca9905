"""Loads a static IA-64 ELF executable into the model with the Linux ia64 user ABI.

Segments (PT_LOAD) are mapped at their addresses.  The memory stack is
mapped below ``STACK_TOP`` and the register backing store from ``RBS_BASE``
upwards.  At entry: ip = e_entry; gp (r1) = the ``__gp`` symbol's value
when the program has one (else 0: ``_start`` sets gp itself); sp (r12) is
16-byte aligned with the 16-byte scratch area above it and argc at sp+16,
then argv[], NULL, envp[] (empty), NULL, and an auxiliary vector ending in
AT_NULL; r13 = 0; the frame is empty (sof = 0); ar.bsp = ar.bspstore = RBS_BASE.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ....objects import STT_FUNC, STT_SECTION, ElfObject, ObjectError, identity_problem, load_object
from ...errors import LoadError

STACK_TOP = 0x6000100000000000
STACK_SIZE = 8 << 20
RBS_BASE = 0x60000FFF80000000
RBS_SIZE = 8 << 20


@dataclass
class Image:
    path: str
    entry: int
    gp: int
    segments: list[tuple[int, int]]  # (vaddr, memsz)
    funcs: list[tuple[int, int, str]] = field(default_factory=list)  # sorted (addr, size, name)
    symbols: dict[str, int] = field(default_factory=dict)
    obj: ElfObject | None = None     # the file as pvcc.objects read it: records, functions

    def symbolize(self, addr: int) -> str:
        """FUNC+0xOFF (ADDR), or just ADDR outside every function."""
        starts = [f[0] for f in self.funcs]
        k = bisect.bisect_right(starts, addr) - 1
        if k >= 0:
            a, size, name = self.funcs[k]
            if addr < a + max(size, 1) or (size == 0 and addr - a < 0x1000):
                return f"{name}+{addr - a:#x} ({addr:#x})"
        return f"{addr:#x}"


def read_program(path: str) -> ElfObject:
    """Read an IA-64 program once (pvcc.objects): the loader, the site counters and
    the native table's map all use what this returns.  LoadError (one line) when
    it is unreadable or not an IA-64 ELF file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    problem = identity_problem(data[:64])
    if problem:
        raise LoadError(f"{path}: not an IA-64 program: {problem}")
    try:
        return load_object(path, data)
    except ObjectError as e:
        raise LoadError(str(e)) from None


def parse(obj: ElfObject, require_exec: bool = True
          ) -> tuple[Image, list[tuple[int, bytes, int]]]:
    """The image and its loadable segments (vaddr, file bytes, memsz)."""
    path = obj.path
    if require_exec and obj.elf_type != "ET_EXEC":
        raise LoadError(f"{path}: not a static executable ({obj.elf_type}, need ET_EXEC)")
    segs = [(s.vaddr, obj.data[s.offset:s.offset + s.filesz], s.memsz) for s in obj.segments]
    if not segs:
        raise LoadError(f"{path}: no loadable segment")
    img = Image(path, obj.entry, 0, [(v, m) for v, _, m in segs], obj=obj)
    for sym in obj.symbols:
        if not sym.name or sym.type == STT_SECTION:
            continue
        img.symbols.setdefault(sym.name, sym.value)
        if sym.type == STT_FUNC and sym.shndx:
            img.funcs.append((sym.value, sym.size, sym.name))
    img.funcs.sort()
    img.gp = img.symbols.get("__gp", 0)
    return img, segs


def load(state, path: str, argv: list[str], obj: ElfObject | None = None) -> Image:
    """Load the program ``path`` (``obj``: read already by read_program) into ``state``."""
    img, segs = parse(obj if obj is not None else read_program(path))
    mem = state.mem
    for vaddr, body, memsz in segs:
        lo = vaddr & ~0xFFF
        hi = (vaddr + memsz + 0xFFF) & ~0xFFF
        mem.map(lo, hi - lo, f"segment {vaddr:#x}")
        mem.write_bytes(vaddr, body)
    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, "stack")
    mem.map(RBS_BASE, RBS_SIZE, "register backing store")
    sp = _build_stack(mem, argv)
    g = state.g
    g[1] = img.gp
    g[12] = sp
    g[13] = 0
    state.rse.reset(RBS_BASE)
    state.ip = img.entry
    return img


def _build_stack(mem, argv: list[str]) -> int:
    strings = b""
    offsets = []
    for a in argv:
        offsets.append(len(strings))
        strings += a.encode() + b"\0"
    top = STACK_TOP - 64
    str_base = (top - len(strings)) & ~15
    mem.write_bytes(str_base, strings)
    words = [len(argv), *[str_base + o for o in offsets], 0, 0, 0, 0]  # argv, envp, AT_NULL
    area = len(words) * 8
    base = (str_base - area) & ~15
    mem.write_bytes(base, b"".join(w.to_bytes(8, "little") for w in words))
    return base - 16  # argc at sp + 16
