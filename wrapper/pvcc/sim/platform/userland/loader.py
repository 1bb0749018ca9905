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
import struct
from dataclasses import dataclass, field

from ....objects import identity_problem
from ...errors import LoadError

ET_EXEC = 2
PT_LOAD = 1
STT_FUNC = 2
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

    def symbolize(self, addr: int) -> str:
        """FUNC+0xOFF (ADDR), or just ADDR outside every function."""
        starts = [f[0] for f in self.funcs]
        k = bisect.bisect_right(starts, addr) - 1
        if k >= 0:
            a, size, name = self.funcs[k]
            if addr < a + max(size, 1) or (size == 0 and addr - a < 0x1000):
                return f"{name}+{addr - a:#x} ({addr:#x})"
        return f"{addr:#x}"


def _read(data: bytes, fmt: str, off: int, what: str):
    s = struct.Struct(fmt)
    if off < 0 or off + s.size > len(data):
        raise LoadError(f"truncated ELF file ({what} at offset {off:#x} is past the end)")
    return s.unpack_from(data, off)


def parse(path: str, data: bytes, require_exec: bool = True
          ) -> tuple[Image, list[tuple[int, bytes, int]]]:
    """The image and its loadable segments (vaddr, file bytes, memsz)."""
    problem = identity_problem(data[:64])
    if problem:
        raise LoadError(f"{path}: not an IA-64 program: {problem}")
    (e_type, _machine, _ver, e_entry, e_phoff, e_shoff, _flags, _ehsize, e_phentsize,
     e_phnum, e_shentsize, e_shnum, _e_shstrndx) = _read(data, "<HHIQQQIHHHHHH", 16, "header")
    if require_exec and e_type != ET_EXEC:
        raise LoadError(f"{path}: not a static executable (ELF type {e_type}, need ET_EXEC)")
    segs = []
    for n in range(e_phnum):
        (p_type, _pf, p_offset, p_vaddr, _pa, p_filesz, p_memsz,
         _al) = _read(data, "<IIQQQQQQ", e_phoff + n * e_phentsize, "program header")
        if p_type != PT_LOAD:
            continue
        if p_offset + p_filesz > len(data):
            raise LoadError(f"{path}: truncated ELF file (segment at {p_vaddr:#x} "
                            "is past the end)")
        segs.append((p_vaddr, data[p_offset:p_offset + p_filesz], p_memsz))
    if not segs:
        raise LoadError(f"{path}: no loadable segment")
    img = Image(path, e_entry, 0, [(v, m) for v, _, m in segs])
    _symbols(data, img, e_shoff, e_shnum, e_shentsize)
    img.gp = img.symbols.get("__gp", 0)
    return img, segs


def _symbols(data, img, shoff, shnum, shentsize):
    if not shoff or not shnum:
        return
    shdrs = [_read(data, "<IIQQQQIIQQ", shoff + n * shentsize, "section header")
             for n in range(shnum)]
    for sh in shdrs:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = shdrs[sh[6]] if sh[6] < len(shdrs) else None
        if strtab is None:
            continue
        soff, ssize = strtab[4], strtab[5]
        for k in range(sh[5] // 24):
            name, info, _other, shndx, value, size = _read(
                data, "<IBBHQQ", sh[4] + 24 * k, "symbol")
            if not name or name >= ssize:
                continue
            end = data.find(b"\0", soff + name)
            nm = data[soff + name:end].decode(errors="replace")
            img.symbols.setdefault(nm, value)
            if info & 0xF == STT_FUNC and shndx:
                img.funcs.append((value, size, nm))
    img.funcs.sort()


def load(state, path: str, argv: list[str]) -> Image:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    try:
        img, segs = parse(path, data)
    except LoadError as e:
        if e.msg.startswith(path + ":"):
            raise
        raise LoadError(f"{path}: {e.msg}") from None
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
