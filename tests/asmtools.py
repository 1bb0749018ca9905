"""Helpers for tests that build real IA-64 objects with GNU as/ld and edit their bytes."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ASM_DIR = Path(__file__).parent / "data" / "asm"
# The one place the tests look for the IA-64 binutils (None when missing).
AS = shutil.which("ia64-linux-gnu-as")
LD = shutil.which("ia64-linux-gnu-ld")
OBJDUMP = shutil.which("ia64-linux-gnu-objdump")
READELF = shutil.which("ia64-linux-gnu-readelf")
OBJCOPY = shutil.which("ia64-linux-gnu-objcopy")
needs_binutils = pytest.mark.skipif(AS is None or LD is None,
                                    reason="needs ia64-linux-gnu binutils")


def assemble(tmp_path: Path, source: str, name: str | None = None,
             flags: tuple[str, ...] = ("-mconstant-gp",)) -> Path:
    """Assemble a fixture (a name under tests/data/asm) or inline source text."""
    if source.endswith(".s") and "\n" not in source:
        src = ASM_DIR / source
        name = name or src.stem
    else:
        name = name or "inline"
        src = tmp_path / f"{name}.s"
        src.write_text(source)
    out = tmp_path / f"{name}.o"
    subprocess.run([AS, "-x", *flags, "-I", str(ASM_DIR), str(src), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


def link(tmp_path: Path, objs: list[Path], name: str, *extra: str) -> Path:
    out = tmp_path / name
    subprocess.run([LD, *extra, *map(str, objs), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


def section_headers(data: bytes) -> dict[str, dict]:
    """Section name -> header fields and the header's own file offset, for byte edits."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", data, 0x3C)
    raw = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * i) for i in range(shnum)]
    stroff = raw[shstrndx][4]
    out = {}
    for i, h in enumerate(raw):
        end = data.index(b"\0", stroff + h[0])
        name = data[stroff + h[0]:end].decode()
        out[name] = {"index": i, "hdr": shoff + 64 * i, "type": h[1], "flags": h[2],
                     "offset": h[4], "size": h[5], "link": h[6], "info": h[7]}
    return out


def rela_entries(data: bytes, section: str) -> list[dict]:
    """Entries of .rela<section>: file offset of each entry and its fields."""
    sh = section_headers(data)[".rela" + section]
    out = []
    for n in range(sh["size"] // 24):
        off = sh["offset"] + 24 * n
        r_off, info, addend = struct.unpack_from("<QQq", data, off)
        out.append({"at": off, "offset": r_off, "sym": info >> 32, "type": info & 0xFFFFFFFF,
                    "addend": addend})
    return out
