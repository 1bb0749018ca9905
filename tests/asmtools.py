"""Helpers for tests that build real IA-64 objects with GNU as/ld and edit their bytes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pvcc import elf

ASM_DIR = Path(__file__).parent / "data" / "asm"
# The one place the tests look for the IA-64 binutils (None when missing).
AS = shutil.which("ia64-linux-gnu-as")
LD = shutil.which("ia64-linux-gnu-ld")
OBJDUMP = shutil.which("ia64-linux-gnu-objdump")
READELF = shutil.which("ia64-linux-gnu-readelf")
OBJCOPY = shutil.which("ia64-linux-gnu-objcopy")
needs_binutils = pytest.mark.skipif(AS is None or LD is None,
                                    reason="needs ia64-linux-gnu binutils")


def return_stubs(names: list[str] | tuple[str, ...], section: str = ".text") -> str:
    """Assembly of functions NAMES in SECTION that only return (br.ret b0): the
    C implementations an object with C-call sites links against."""
    return "".join(f"""\t.section {section},"ax",@progbits
\t.global {n}
\t.type {n}, @function
\t.proc {n}
{n}:
\tbr.ret.sptk.many b0 ;;
\t.endp {n}
\t.size {n}, .-{n}
""" for n in names)


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
    """Section name -> header fields and the header's own file offset, for byte edits
    (read through pvcc.elf, the one reader of ELF layouts)."""
    out = {}
    for name, sh in elf.section_headers(data).items():
        h = sh.header
        out[name] = {"index": sh.index, "hdr": sh.hdr, "type": h.sh_type, "flags": h.sh_flags,
                     "addr": h.sh_addr,
                     "offset": h.sh_offset, "size": h.sh_size, "link": h.sh_link,
                     "info": h.sh_info}
    return out


def rela_entries(data: bytes, section: str) -> list[dict]:
    """Entries of .rela<section>: file offset of each entry and its fields."""
    sh = section_headers(data)[".rela" + section]
    out = []
    for n in range(sh["size"] // elf.RELA.size):
        off = sh["offset"] + elf.RELA.size * n
        r = elf.RELA.unpack_from(data, off)
        out.append({"at": off, "offset": r.r_offset, "sym": elf.r_sym(r.r_info),
                    "type": elf.r_type(r.r_info), "addend": r.r_addend})
    return out
