"""The ELF64 little-endian layouts pvcc reads with ``struct``, declared once, by field name.

pyelftools reads the ELF header, the section headers and the program headers
of an object pvcc checks (``pvcc.objects``, ``section_headers`` below); the
boot machine's vmlinux loader, which needs no more than the two headers, reads
them as `EHDR` and `PHDR`.  The bulk tables -- symbols and
relocations, up to hundreds of thousands of entries -- pyelftools parses one
entry at a time, several times slower than ``struct`` (measured in
``pvcc.objects``' docstring), so their layouts are declared here, each once,
as a `Layout`: a ``struct`` format with the ELF specification's field names.
`Layout.iter_unpack` gives typed entries (named tuples); the hot loops of
``pvcc.objects`` unpack the plain tuples of `Layout.struct` into variables of
the same names.  A byte edit (the tests, the patcher) asks `Layout.offset` for
a field's place in an entry.

``section_header_table(data)`` reads the section header table of an ELF image
with pyelftools: a `SectionHeader` (the header's fields and its own file
offset) per section; ``section_headers(data)`` the same by name.
"""

from __future__ import annotations

import io
import struct
from collections import namedtuple
from collections.abc import Iterator
from typing import NamedTuple

from elftools.elf.enums import ENUM_E_TYPE, ENUM_P_TYPE_BASE


class Layout:
    """A fixed-size ELF entry: a little-endian ``struct`` format and its field names."""

    def __init__(self, name: str, fmt: str, fields: str):
        self.name = name
        self.struct = struct.Struct(fmt)
        self.fields = tuple(fields.split())
        self.type = namedtuple(name, self.fields)
        codes = [c for c in fmt[1:] if not c.isdigit()]
        if len(codes) != len(self.fields):  # pragma: no cover - a layout's own mistake
            raise ValueError(f"{name}: {len(codes)} members, {len(self.fields)} names")
        offsets, at = {}, 0
        counts = iter(_counts(fmt[1:]))
        for field in self.fields:
            n, code = next(counts)
            offsets[field] = at
            at += struct.calcsize("<" + (f"{n}{code}" if n != 1 else code))
        self._offsets = offsets

    @property
    def size(self) -> int:
        return self.struct.size

    def offset(self, field: str) -> int:
        """The byte offset of ``field`` inside one entry."""
        return self._offsets[field]

    def unpack_from(self, data: bytes, offset: int = 0):
        return self.type._make(self.struct.unpack_from(data, offset))

    def iter_unpack(self, data: bytes) -> Iterator:
        """Every whole entry of ``data`` (its length a multiple of the size), typed."""
        return map(self.type._make, self.struct.iter_unpack(data))

    def pack(self, **fields) -> bytes:
        return self.struct.pack(*(fields[f] for f in self.fields))


def _counts(codes: str) -> list[tuple[int, str]]:
    """"IBB8sQ" -> [(1, "I"), (1, "B"), (1, "B"), (8, "s"), (1, "Q")]."""
    out, digits = [], ""
    for c in codes:
        if c.isdigit():
            digits += c
        else:
            out.append((int(digits or 1), c))
            digits = ""
    return out


# Numbers of the ELF specification the readers of raw headers compare with
# (pyelftools' tables: the names are the specification's).
ET_EXEC = ENUM_E_TYPE["ET_EXEC"]
PT_LOAD = ENUM_P_TYPE_BASE["PT_LOAD"]

# The ELF specification's Elf64 structures (little-endian: IA-64 Linux).
EHDR = Layout("Elf64_Ehdr", "<16sHHIQQQIHHHHHH",
              "e_ident e_type e_machine e_version e_entry e_phoff e_shoff e_flags e_ehsize "
              "e_phentsize e_phnum e_shentsize e_shnum e_shstrndx")
EHDR_SIZE = EHDR.size
PHDR = Layout("Elf64_Phdr", "<IIQQQQQQ",
              "p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align")
SHDR = Layout("Elf64_Shdr", "<IIQQQQIIQQ",
              "sh_name sh_type sh_flags sh_addr sh_offset sh_size sh_link sh_info "
              "sh_addralign sh_entsize")
SYM = Layout("Elf64_Sym", "<IBBHQQ", "st_name st_info st_other st_shndx st_value st_size")
RELA = Layout("Elf64_Rela", "<QQq", "r_offset r_info r_addend")
# An .IA_64.unwind entry: the code's start and end and its unwind info, all
# relative to the base of the segment that holds them (the IA-64 software
# conventions' unwind table).
UNWIND = Layout("IA_64_unwind", "<QQQ", "start end info")
assert (EHDR.size, PHDR.size, SHDR.size, SYM.size, RELA.size) == (64, 56, 64, 24, 24)


def r_sym(r_info: int) -> int:
    return r_info >> 32


def r_type(r_info: int) -> int:
    return r_info & 0xFFFFFFFF


def st_type(st_info: int) -> int:
    return st_info & 0xF


def st_bind(st_info: int) -> int:
    return st_info >> 4


class SectionHeader(NamedTuple):
    """One section header, by name: its index, where the header itself lies in the
    file (``hdr``), and its fields under pyelftools' names (sh_type as a number)."""
    index: int
    hdr: int
    name: str
    header: object      # SHDR.type: sh_name, sh_type, sh_flags, ... sh_entsize


def section_header_table(data: bytes) -> list[SectionHeader]:
    """Every section header of an ELF64 little-endian image, in index order
    (pyelftools reads the table and the names).

    Raises pyelftools' ELFError (or a construct error) for a malformed image."""
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(data))
    shoff, size = elf["e_shoff"], elf["e_shentsize"]
    return [SectionHeader(i, shoff + i * size, sec.name,
                          SHDR.unpack_from(data, shoff + i * size))
            for i, sec in enumerate(elf.iter_sections())]


def section_headers(data: bytes) -> dict[str, SectionHeader]:
    """Section name -> its header (section_header_table by name)."""
    return {sh.name: sh for sh in section_header_table(data)}
