"""Read IA-64 ELF objects (.o, .ko, vmlinux) for the site checker and the patcher.

`open_object(path)` returns an `ElfObject`: its allocated sections at comparable
addresses, the function symbols, the code relocations, and the decoded
`.pvcc_sites` records (docs/records.md) plus the compatibility
`.paravirt_bundles` records, all with their relocations applied.

Addresses.  In a linked file (ET_EXEC, ET_DYN) an address is the virtual
address.  In a relocatable file (ET_REL: .o, .ko) every section lives at
offset 0, so each section gets a distinct synthetic base (`Section.addr`,
16-byte aligned, with gaps between sections): code addresses, record fields
and function symbols are then plain integers that compare as they would after
a link.  A value that names an undefined symbol (typically the record's
`target` and the call's relocation in a .o) is a `SymRef`.

Every failure is an `ObjectError` whose message is one line that starts with
the file name.  pyelftools reads the ELF header and the section headers; the
bulk tables (symbols, relocations) are unpacked with `struct` for speed on a
36 MB vmlinux, with bounds checked here.
"""

from __future__ import annotations

import bisect
import io
import itertools
import struct
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from . import catalog

EM_IA_64 = 50
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
ELF_TYPE_NAMES = {ET_REL: "ET_REL", ET_EXEC: "ET_EXEC", ET_DYN: "ET_DYN"}

SHT_NULL, SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_REL, SHT_DYNSYM = 0, 2, 4, 8, 9, 11
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4
SHN_UNDEF, SHN_LORESERVE, SHN_ABS, SHN_XINDEX = 0, 0xFF00, 0xFFF1, 0xFFFF
STT_FUNC, STT_SECTION = 2, 3

# e_flags (binutils include/elf/ia64.h)
EF_IA_64_ABI64 = 0x10
EF_IA_64_CONS_GP = 0x40
EF_IA_64_NOFUNCDESC_CONS_GP = 0x80

# ---------------------------------------------------------------------------
# IA-64 relocations, in the shape of pyelftools' RelocationHandler tables
# (elftools.elf.relocation: ENUM_RELOC_TYPE_<ARCH> and _RELOCATION_RECIPES_<ARCH>),
# so that they can be offered upstream as they are.  Names and values: the
# IA-64 processor-specific ELF ABI (binutils include/elf/ia64.h).

ENUM_RELOC_TYPE_IA64 = {
    "R_IA64_NONE": 0x00,
    "R_IA64_IMM14": 0x21,
    "R_IA64_IMM22": 0x22,
    "R_IA64_IMM64": 0x23,
    "R_IA64_DIR32MSB": 0x24,
    "R_IA64_DIR32LSB": 0x25,
    "R_IA64_DIR64MSB": 0x26,
    "R_IA64_DIR64LSB": 0x27,
    "R_IA64_GPREL22": 0x2A,
    "R_IA64_GPREL64I": 0x2B,
    "R_IA64_GPREL32MSB": 0x2C,
    "R_IA64_GPREL32LSB": 0x2D,
    "R_IA64_GPREL64MSB": 0x2E,
    "R_IA64_GPREL64LSB": 0x2F,
    "R_IA64_LTOFF22": 0x32,
    "R_IA64_LTOFF64I": 0x33,
    "R_IA64_PLTOFF22": 0x3A,
    "R_IA64_PLTOFF64I": 0x3B,
    "R_IA64_PLTOFF64MSB": 0x3E,
    "R_IA64_PLTOFF64LSB": 0x3F,
    "R_IA64_FPTR64I": 0x43,
    "R_IA64_FPTR32MSB": 0x44,
    "R_IA64_FPTR32LSB": 0x45,
    "R_IA64_FPTR64MSB": 0x46,
    "R_IA64_FPTR64LSB": 0x47,
    "R_IA64_PCREL60B": 0x48,
    "R_IA64_PCREL21B": 0x49,
    "R_IA64_PCREL21M": 0x4A,
    "R_IA64_PCREL21F": 0x4B,
    "R_IA64_PCREL32MSB": 0x4C,
    "R_IA64_PCREL32LSB": 0x4D,
    "R_IA64_PCREL64MSB": 0x4E,
    "R_IA64_PCREL64LSB": 0x4F,
    "R_IA64_LTOFF_FPTR22": 0x52,
    "R_IA64_LTOFF_FPTR64I": 0x53,
    "R_IA64_LTOFF_FPTR32MSB": 0x54,
    "R_IA64_LTOFF_FPTR32LSB": 0x55,
    "R_IA64_LTOFF_FPTR64MSB": 0x56,
    "R_IA64_LTOFF_FPTR64LSB": 0x57,
    "R_IA64_SEGREL32MSB": 0x5C,
    "R_IA64_SEGREL32LSB": 0x5D,
    "R_IA64_SEGREL64MSB": 0x5E,
    "R_IA64_SEGREL64LSB": 0x5F,
    "R_IA64_SECREL32MSB": 0x64,
    "R_IA64_SECREL32LSB": 0x65,
    "R_IA64_SECREL64MSB": 0x66,
    "R_IA64_SECREL64LSB": 0x67,
    "R_IA64_REL32MSB": 0x6C,
    "R_IA64_REL32LSB": 0x6D,
    "R_IA64_REL64MSB": 0x6E,
    "R_IA64_REL64LSB": 0x6F,
    "R_IA64_LTV32MSB": 0x74,
    "R_IA64_LTV32LSB": 0x75,
    "R_IA64_LTV64MSB": 0x76,
    "R_IA64_LTV64LSB": 0x77,
    "R_IA64_PCREL21BI": 0x79,
    "R_IA64_PCREL22": 0x7A,
    "R_IA64_PCREL64I": 0x7B,
    "R_IA64_IPLTMSB": 0x80,
    "R_IA64_IPLTLSB": 0x81,
    "R_IA64_COPY": 0x84,
    "R_IA64_SUB": 0x85,
    "R_IA64_LTOFF22X": 0x86,
    "R_IA64_LDXMOV": 0x87,
    "R_IA64_TPREL14": 0x91,
    "R_IA64_TPREL22": 0x92,
    "R_IA64_TPREL64I": 0x93,
    "R_IA64_TPREL64MSB": 0x96,
    "R_IA64_TPREL64LSB": 0x97,
    "R_IA64_LTOFF_TPREL22": 0x9A,
    "R_IA64_DTPMOD64MSB": 0xA6,
    "R_IA64_DTPMOD64LSB": 0xA7,
    "R_IA64_LTOFF_DTPMOD22": 0xAA,
    "R_IA64_DTPREL14": 0xB1,
    "R_IA64_DTPREL22": 0xB2,
    "R_IA64_DTPREL64I": 0xB3,
    "R_IA64_DTPREL32MSB": 0xB4,
    "R_IA64_DTPREL32LSB": 0xB5,
    "R_IA64_DTPREL64MSB": 0xB6,
    "R_IA64_DTPREL64LSB": 0xB7,
    "R_IA64_LTOFF_DTPREL22": 0xBA,
}
RELOC_NAMES_IA64 = {v: k for k, v in ENUM_RELOC_TYPE_IA64.items()}
R_IA64_NONE = ENUM_RELOC_TYPE_IA64["R_IA64_NONE"]
R_IA64_DIR64LSB = ENUM_RELOC_TYPE_IA64["R_IA64_DIR64LSB"]
R_IA64_REL64LSB = ENUM_RELOC_TYPE_IA64["R_IA64_REL64LSB"]
R_IA64_PCREL21B = ENUM_RELOC_TYPE_IA64["R_IA64_PCREL21B"]
R_IA64_PCREL60B = ENUM_RELOC_TYPE_IA64["R_IA64_PCREL60B"]


class _RelocationFunction(Protocol):
    def __call__(self, value: int, sym_value: int, offset: int, addend: int = 0) -> int: ...


def _reloc_calc_sym_plus_addend(value: int, sym_value: int, offset: int, addend: int = 0) -> int:
    return sym_value + addend


def _reloc_calc_base_plus_addend(value: int, sym_value: int, offset: int, addend: int = 0) -> int:
    # R_IA64_REL64LSB: BD + A; the load base of a file read at its link address is 0.
    return addend


class _RELOCATION_RECIPE_TYPE(NamedTuple):
    bytesize: int
    has_addend: bool
    calc_func: _RelocationFunction


# Data relocations a marker record may carry (the only ones pvcc applies).
_RELOCATION_RECIPES_IA64: dict[int, _RELOCATION_RECIPE_TYPE] = {
    ENUM_RELOC_TYPE_IA64["R_IA64_DIR64LSB"]: _RELOCATION_RECIPE_TYPE(
        bytesize=8, has_addend=True, calc_func=_reloc_calc_sym_plus_addend),
    ENUM_RELOC_TYPE_IA64["R_IA64_REL64LSB"]: _RELOCATION_RECIPE_TYPE(
        bytesize=8, has_addend=True, calc_func=_reloc_calc_base_plus_addend),
}

# Code relocations whose target is a branch destination: S + A, at the slot
# address bundle|slot of the branch (PCREL21B at slot 0..2, PCREL60B at slot 1).
BRANCH_RELOCS = frozenset([R_IA64_PCREL21B, R_IA64_PCREL60B])


def reloc_name(rtype: int) -> str:
    return RELOC_NAMES_IA64.get(rtype, f"R_IA64_{rtype:#x}")


# ---------------------------------------------------------------------------


class ObjectError(Exception):
    """An object that cannot be read; str() is one line naming the file."""


@dataclass(frozen=True)
class SymRef:
    """A value that names a symbol this file does not define."""
    name: str
    addend: int = 0

    def __str__(self) -> str:
        if self.addend:
            return f"{self.name}{self.addend:+#x}"
        return self.name


Value = int | SymRef


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    addr: int          # vaddr, or the synthetic base in an ET_REL file
    size: int
    offset: int        # file offset of the contents
    flags: int
    sh_type: int

    @property
    def end(self) -> int:
        return self.addr + self.size

    @property
    def executable(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)

    def contains(self, addr: int) -> bool:
        return self.addr <= addr < self.addr + self.size


@dataclass(frozen=True)
class Function:
    name: str
    addr: int
    size: int

    @property
    def end(self) -> int:
        return self.addr + self.size


@dataclass(frozen=True)
class Reloc:
    addr: int          # address of the relocated place (bundle|slot for code)
    type: int
    value: Value       # S + A
    symbol: str
    addend: int
    rela_index: int    # section index of the .rela section
    entry: int         # entry number inside it (for the patcher)

    @property
    def type_name(self) -> str:
        return reloc_name(self.type)


@dataclass(frozen=True)
class Record:
    """One `.pvcc_sites` record (docs/records.md, version 1)."""
    index: int
    section_offset: int
    start: int
    end: int
    func: Value
    target: Value
    type: int
    version: int
    conv: int
    nargs: int
    result: int
    sol: int
    sof: int
    flags: int
    reserved: bytes    # bytes 44..47 and 56..63
    args: tuple[int, ...]

    @property
    def nbundles(self) -> int:
        return (self.end - self.start) // 16


@dataclass(frozen=True)
class CompatRecord:
    """One Linux `.paravirt_bundles` record {sbundle, ebundle, type}."""
    index: int
    section_offset: int
    start: Value
    end: Value
    type: int


_RECORD = struct.Struct("<QQQQIBBBBBBHI8sQ")
assert _RECORD.size == catalog.RECORD_SIZE
_COMPAT = struct.Struct("<QQQ")
assert _COMPAT.size == catalog.COMPAT_RECORD_SIZE
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")


class ElfObject:
    """An IA-64 ELF file with everything the checker needs, read eagerly."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.elf_type = 0
        self.e_flags = 0
        self.sections: list[Section] = []
        self.functions: list[Function] = []
        self.records: list[Record] | None = None
        self.compat: list[CompatRecord] | None = None
        self.record_section: Section | None = None
        self.compat_section: Section | None = None
        self._code_relocs: dict[int, Reloc] = {}
        self._by_index: dict[int, Section] = {}
        self._code: list[Section] = []
        self._code_starts: list[int] = []
        self._func_starts: list[int] = []
        self._overlap = False

    # -- queries ------------------------------------------------------------
    @property
    def relocatable(self) -> bool:
        return self.elf_type == ET_REL

    @property
    def kind(self) -> str:
        return ELF_TYPE_NAMES.get(self.elf_type, str(self.elf_type))

    @property
    def constant_gp(self) -> bool:
        return bool(self.e_flags & (EF_IA_64_CONS_GP | EF_IA_64_NOFUNCDESC_CONS_GP))

    @property
    def code_sections(self) -> list[Section]:
        return list(self._code)

    def section(self, index: int) -> Section | None:
        return self._by_index.get(index)

    def code_section_at(self, addr: int) -> Section | None:
        """The executable section holding addr (or None)."""
        i = bisect.bisect_right(self._code_starts, addr) - 1
        if i >= 0 and self._code[i].contains(addr):
            return self._code[i]
        if self._overlap:  # rare (overlay sections in a linked file): look at all
            return next((s for s in self._code if s.contains(addr)), None)
        return None

    def section_at(self, addr: int) -> Section | None:
        for s in self.sections:
            if s.contains(addr):
                return s
        return None

    def function_at(self, addr: Value) -> Function | None:
        """The function symbol whose [addr, addr+size) holds addr."""
        if not isinstance(addr, int):
            return None
        i = bisect.bisect_right(self._func_starts, addr) - 1
        for j in range(i, max(i - 8, -1), -1):     # a few back: nested or aliased symbols
            f = self.functions[j]
            if f.addr <= addr < f.end:
                return f
        return None

    def read(self, addr: int, n: int) -> bytes:
        sec = self.code_section_at(addr) or self.section_at(addr)
        if sec is None or addr + n > sec.end or sec.sh_type == SHT_NOBITS:
            raise ObjectError(f"{self.path}: no contents at {addr:#x}+{n}")
        off = sec.offset + (addr - sec.addr)
        return self.data[off:off + n]

    def file_offset(self, addr: int) -> int:
        sec = self.code_section_at(addr) or self.section_at(addr)
        if sec is None or sec.sh_type == SHT_NOBITS:
            raise ObjectError(f"{self.path}: address {addr:#x} is not in the file")
        return sec.offset + (addr - sec.addr)

    def code_reloc(self, addr: int) -> Reloc | None:
        """The relocation at a code address (bundle|slot), if any (ET_REL only)."""
        return self._code_relocs.get(addr)

    def code_relocs_in(self, start: int, end: int) -> list[Reloc]:
        return [r for a, r in self._code_relocs.items() if start <= a < end]

    @property
    def code_relocs(self) -> dict[int, Reloc]:
        return self._code_relocs

    def where(self, addr: Value) -> str:
        """`func+0x40`, else `section+0x40`, else the number."""
        if not isinstance(addr, int):
            return str(addr)
        f = self.function_at(addr)
        if f is not None:
            return f"{f.name}+{addr - f.addr:#x}"
        sec = self.section_at(addr)
        if sec is not None:
            return f"{sec.name}+{addr - sec.addr:#x}"
        return f"{addr:#x}"

    def describe(self, value: Value) -> str:
        """A value for messages: a symbol name when one is exactly there."""
        if isinstance(value, SymRef):
            return str(value)
        f = self.function_at(value)
        if f is not None and f.addr == value:
            return f.name
        return self.where(value)


# ---------------------------------------------------------------------------
# Loading

# What pyelftools (and construct, struct, our own slicing) raise on garbage.
def _parse_errors() -> tuple[type[BaseException], ...]:
    errs: list[type[BaseException]] = [
        struct.error, IndexError, ValueError, KeyError, TypeError, AttributeError,
        UnicodeDecodeError, AssertionError, OverflowError, EOFError, RecursionError,
        MemoryError, ZeroDivisionError, LookupError,
    ]
    try:
        from elftools.common.exceptions import ELFError
        errs.append(ELFError)
    except ImportError:  # pragma: no cover
        pass
    try:
        from elftools.construct.core import ConstructError
        errs.append(ConstructError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errs)


_PARSE_ERRORS = _parse_errors()


def open_object(path: str, *, require_records: bool = False) -> ElfObject:
    """Read an IA-64 ELF file; ObjectError (one line, naming path) on any failure."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ObjectError(f"{path}: {e.strerror or e}") from None
    return load_object(path, data, require_records=require_records)


def load_object(path: str, data: bytes, *, require_records: bool = False) -> ElfObject:
    """As open_object, from bytes already read."""
    try:
        obj = _Loader(path, data).load()
    except ObjectError:
        raise
    except _PARSE_ERRORS as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ObjectError(f"{path}: malformed ELF file ({type(e).__name__}: {msg})") from None
    if require_records and obj.records is None:
        raise ObjectError(f"{path}: no {catalog.SECTION} section")
    return obj


class _Loader:
    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.obj = ElfObject(path, data)
        self.shdrs: list = []
        self._symtabs: dict[int, list[tuple[str, int, int, int, int, Value]]] = {}
        self._field_relocs: dict[tuple[int, int], Reloc] = {}

    def fail(self, msg: str) -> ObjectError:
        return ObjectError(f"{self.path}: {msg}")

    # -- header -------------------------------------------------------------
    def _check_ident(self) -> None:
        d = self.data
        if len(d) < 4 or d[:4] != b"\x7fELF":
            if len(d) < 4 and b"\x7fELF".startswith(d):
                raise self.fail("truncated ELF file (no complete ELF header)")
            raise self.fail("not an ELF file")
        if len(d) < 64:
            if len(d) >= 5 and d[4] == 1:
                raise self.fail("ELF32 file, expected ELFCLASS64 (IA-64)")
            raise self.fail(f"truncated ELF file ({len(d)} bytes, header needs 64)")
        if d[4] != 2:
            cls = {1: "ELF32"}.get(d[4], f"ELF class {d[4]}")
            raise self.fail(f"{cls} file, expected ELFCLASS64 (IA-64)")
        if d[5] != 1:
            raise self.fail("big-endian or unknown data encoding, expected little-endian IA-64")
        machine = struct.unpack_from("<H", d, 18)[0]
        if machine != EM_IA_64:
            try:
                from elftools.elf.descriptions import describe_e_machine
                name = describe_e_machine(_machine_enum_name(machine))
            except _PARSE_ERRORS:
                name = str(machine)
            raise self.fail(f"ELF for machine {name} ({machine}), expected IA-64 ({EM_IA_64})")

    def load(self) -> ElfObject:
        from elftools.elf.elffile import ELFFile

        self._check_ident()
        d = self.data
        elf = ELFFile(io.BytesIO(d))
        hdr = elf.header
        obj = self.obj
        etype = {"ET_REL": ET_REL, "ET_EXEC": ET_EXEC, "ET_DYN": ET_DYN}.get(hdr["e_type"])
        if etype is None:
            raise self.fail(f"unsupported ELF type {hdr['e_type']} (expected ET_REL, ET_EXEC or ET_DYN)")
        obj.elf_type = etype
        obj.e_flags = hdr["e_flags"]
        shoff, shnum, shentsize = hdr["e_shoff"], hdr["e_shnum"], hdr["e_shentsize"]
        if shoff == 0:
            raise self.fail("no section headers")
        if shentsize != 64:
            raise self.fail(f"section header size {shentsize}, expected 64")
        if shnum == 0:
            # extended numbering: the count is in section 0's sh_size
            if shoff + 64 > len(d):
                raise self.fail("truncated ELF file (section headers past the end)")
            shnum = struct.unpack_from("<Q", d, shoff + 32)[0]
        if shnum > 0x100000 or shoff + shnum * 64 > len(d):
            raise self.fail("truncated ELF file (section headers past the end)")
        for i in range(shnum):
            name, stype, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", d, shoff + 64 * i)
            self.shdrs.append((name, stype, flags, addr, off, size, link, info, align, entsize))
        shstrndx = hdr["e_shstrndx"]
        if shstrndx == SHN_XINDEX:
            shstrndx = self.shdrs[0][6]
        names = [self._section_name(shstrndx, h[0]) for h in self.shdrs]
        # pyelftools must agree with our reading of the table (it also validates it).
        if elf.num_sections() != shnum:
            raise self.fail("inconsistent section count")

        # -- sections and their addresses ------------------------------------
        base = 0x10000
        for i, (_, stype, flags, addr, off, size, _link, _info, align, _) in enumerate(self.shdrs):
            if i == 0 or stype == SHT_NULL:
                continue
            if stype != SHT_NOBITS and off + size > len(d):
                raise self.fail(f"truncated ELF file (section {names[i]} past the end)")
            if etype == ET_REL:
                a = max(16, min(align, 4096)) if align else 16
                base = (base + a - 1) // a * a
                sec = Section(i, names[i], base, size, off, flags, stype)
                base = (base + size + 0x1000 + 0xFFF) // 0x1000 * 0x1000
            else:
                if not flags & SHF_ALLOC:
                    continue
                sec = Section(i, names[i], addr, size, off, flags, stype)
            obj.sections.append(sec)
            obj._by_index[i] = sec
        code = sorted((s for s in obj.sections if s.executable and s.flags & SHF_ALLOC
                       and s.sh_type != SHT_NOBITS and s.size), key=lambda s: s.addr)
        obj._overlap = any(b.addr < a.end for a, b in itertools.pairwise(code))
        obj._code = code
        obj._code_starts = [s.addr for s in code]

        # -- functions ---------------------------------------------------------
        symtab_index = next((i for i, h in enumerate(self.shdrs) if h[1] == SHT_SYMTAB), None)
        if symtab_index is None:
            symtab_index = next((i for i, h in enumerate(self.shdrs) if h[1] == SHT_DYNSYM), None)
        funcs: dict[tuple[int, int], Function] = {}
        if symtab_index is not None:
            for name, info, shndx, value, size, resolved in self._symbols(symtab_index):
                if info & 0xF != STT_FUNC or size == 0 or not isinstance(resolved, int):
                    continue
                if shndx == SHN_UNDEF:
                    continue
                if obj.code_section_at(resolved) is None:
                    continue
                key = (resolved, size)
                if key not in funcs or (info >> 4 and not funcs[key].name):
                    funcs.setdefault(key, Function(name, resolved, size))
        obj.functions = sorted(funcs.values(), key=lambda f: (f.addr, -f.size))
        obj._func_starts = [f.addr for f in obj.functions]

        # -- relocations ---------------------------------------------------------
        relas: dict[int, list[int]] = {}
        for i, h in enumerate(self.shdrs):
            if h[1] in (SHT_RELA, SHT_REL):
                relas.setdefault(h[7], []).append(i)
        if etype == ET_REL:
            for sec in code:
                for ri in relas.get(sec.index, []):
                    if self.shdrs[ri][1] != SHT_RELA:
                        continue
                    for rel in self._relocs(ri, sec):
                        obj._code_relocs[rel.addr] = rel

        # -- records -------------------------------------------------------------
        by_name = {names[i]: i for i in range(len(self.shdrs)) if self.shdrs[i][1] != SHT_NULL}
        rec_idx = by_name.get(catalog.SECTION)
        if rec_idx is None:
            orphan = [i for i, h in enumerate(self.shdrs) if h[1] in (SHT_RELA, SHT_REL)
                      and names[i] in (".rela" + catalog.SECTION, ".rel" + catalog.SECTION)]
            if orphan:
                raise self.fail(f"{names[orphan[0]]} present without a {catalog.SECTION} section")
        else:
            obj.record_section = self._alloc_section(rec_idx, names[rec_idx])
            raw = self._section_values(rec_idx, names[rec_idx], relas, catalog.RECORD_SIZE,
                                       (0, 8, 16, 24))
            obj.records = [self._record(n, raw, names[rec_idx])
                           for n in range(len(raw[0]) // catalog.RECORD_SIZE)]
        cmp_idx = by_name.get(catalog.COMPAT_SECTION)
        if cmp_idx is not None:
            obj.compat_section = self._alloc_section(cmp_idx, names[cmp_idx])
            raw = self._section_values(cmp_idx, names[cmp_idx], relas, catalog.COMPAT_RECORD_SIZE,
                                       (0, 8))
            obj.compat = []
            for n in range(len(raw[0]) // catalog.COMPAT_RECORD_SIZE):
                o = n * catalog.COMPAT_RECORD_SIZE
                vals = [raw[1].get(o + k, _COMPAT.unpack_from(raw[0], o)[k // 8]) for k in (0, 8)]
                ctype = _COMPAT.unpack_from(raw[0], o)[2]
                obj.compat.append(CompatRecord(n, o, vals[0], vals[1], ctype))
        return obj

    # -- helpers ----------------------------------------------------------------
    def _section_name(self, shstrndx: int, off: int) -> str:
        if not 0 < shstrndx < len(self.shdrs):
            raise self.fail("no section name table")
        h = self.shdrs[shstrndx]
        if h[4] + h[5] > len(self.data):
            raise self.fail("truncated ELF file (section name table past the end)")
        return self._cstr(h[4], h[5], off, "section name")

    def _cstr(self, sec_off: int, sec_size: int, off: int, what: str) -> str:
        if off >= sec_size:
            raise self.fail(f"{what} offset {off:#x} outside its string table")
        start = sec_off + off
        stop = self.data.find(b"\0", start, sec_off + sec_size)
        if stop < 0:
            raise self.fail(f"unterminated {what}")
        return self.data[start:stop].decode("utf-8", errors="replace")

    def _alloc_section(self, idx: int, name: str) -> Section:
        sec = self.obj.section(idx)
        stype = self.shdrs[idx][1]
        if sec is None or not self.shdrs[idx][2] & SHF_ALLOC:
            raise self.fail(f"{name} section is not allocated (create it with the \"a\" flag)")
        if stype == SHT_NOBITS:
            raise self.fail(f"{name} section has no contents (NOBITS)")
        return sec

    def _symbols(self, idx: int) -> list[tuple[str, int, int, int, int, Value]]:
        """(name, info, shndx, st_value, st_size, resolved address or SymRef)."""
        if idx in self._symtabs:
            return self._symtabs[idx]
        if not 0 < idx < len(self.shdrs) or self.shdrs[idx][1] not in (SHT_SYMTAB, SHT_DYNSYM):
            raise self.fail(f"relocation refers to section {idx}, which is not a symbol table")
        _, _, _, _, off, size, link, _, _, entsize = self.shdrs[idx]
        if entsize not in (0, _SYM.size) or size % _SYM.size:
            raise self.fail("malformed symbol table")
        if off + size > len(self.data):
            raise self.fail("truncated ELF file (symbol table past the end)")
        if not 0 < link < len(self.shdrs):
            raise self.fail("symbol table without a string table")
        str_off, str_size = self.shdrs[link][4], self.shdrs[link][5]
        if str_off + str_size > len(self.data):
            raise self.fail("truncated ELF file (string table past the end)")
        out = []
        data = self.data
        rel = self.obj.elf_type == ET_REL
        for name_off, info, _other, shndx, value, size_ in _SYM.iter_unpack(data[off:off + size]):
            if name_off:
                if name_off >= str_size:
                    raise self.fail(f"symbol name offset {name_off:#x} outside its string table")
                end = data.find(b"\0", str_off + name_off, str_off + str_size)
                if end < 0:
                    raise self.fail("unterminated symbol name")
                name = data[str_off + name_off:end].decode("utf-8", errors="replace")
            else:
                name = ""
            resolved: Value
            if shndx == SHN_UNDEF or (shndx >= SHN_LORESERVE and shndx != SHN_ABS):
                resolved = SymRef(name)
            elif shndx == SHN_ABS or not rel:
                resolved = value
            else:
                sec = self.obj.section(shndx)
                if sec is None:
                    raise self.fail(f"symbol {name or '#'} in section {shndx}, which does not exist")
                if info & 0xF == STT_SECTION:
                    name = sec.name
                resolved = sec.addr + value
            if info & 0xF == STT_SECTION and not name:
                s = self.obj.section(shndx)
                name = s.name if s is not None else f"section{shndx}"
            out.append((name, info, shndx, value, size_, resolved))
        self._symtabs[idx] = out
        return out

    def _relocs(self, ri: int, target: Section) -> list[Reloc]:
        _, _, _, _, off, size, link, _, _, entsize = self.shdrs[ri]
        if entsize not in (0, _RELA.size) or size % _RELA.size:
            raise self.fail(f"malformed relocation section for {target.name}")
        if off + size > len(self.data):
            raise self.fail(f"truncated ELF file (relocations for {target.name} past the end)")
        syms = self._symbols(link)
        out = []
        for n, (r_off, r_info, addend) in enumerate(_RELA.iter_unpack(self.data[off:off + size])):
            sym, rtype = r_info >> 32, r_info & 0xFFFFFFFF
            if sym >= len(syms):
                raise self.fail(f"relocation {n} for {target.name} names symbol {sym}, "
                                f"past the end of the symbol table")
            if r_off >= target.size:
                raise self.fail(f"relocation {n} for {target.name} at offset {r_off:#x} "
                                f"is outside the section (size {target.size:#x})")
            sname, _, _, _, _, resolved = syms[sym]
            if sym == 0:
                value: Value = addend
            elif isinstance(resolved, SymRef):
                value = SymRef(resolved.name, addend)
            else:
                value = resolved + addend
            out.append(Reloc(target.addr + r_off, rtype, value, sname, addend, ri, n))
        return out

    def _section_values(self, idx: int, name: str, relas: dict[int, list[int]],
                        recsize: int, fields: tuple[int, ...]) -> tuple[bytes, dict[int, Value]]:
        """The section's bytes and {offset: relocated value} of its address fields."""
        sec = self.obj.section(idx)
        assert sec is not None
        if sec.size % recsize:
            raise self.fail(f"malformed {name} section: size {sec.size:#x} is not a "
                            f"multiple of {recsize}")
        raw = self.data[sec.offset:sec.offset + sec.size]
        values: dict[int, Value] = {}
        if self.obj.elf_type == ET_REL:
            rel_secs = relas.get(idx, [])
            for ri in rel_secs:
                if self.shdrs[ri][1] != SHT_RELA:
                    raise self.fail(f"malformed {name} section: REL relocations (IA-64 uses RELA)")
                for r in self._relocs(ri, sec):
                    values.update(self._record_reloc(r, sec, name, recsize, fields, values))
        elif self.obj.elf_type == ET_DYN:
            # Dynamic relocations that land in the record section.
            dyn = [i for i, h in enumerate(self.shdrs) if h[1] == SHT_RELA and h[2] & SHF_ALLOC]
            for ri in dyn:
                link = self.shdrs[ri][6]
                _, _, _, _, off, size, _, _, _, entsize = self.shdrs[ri]
                if entsize not in (0, _RELA.size) or size % _RELA.size or off + size > len(self.data):
                    raise self.fail(f"malformed dynamic relocation section {ri}")
                syms = self._symbols(link) if link else []
                for n, (r_off, r_info, addend) in enumerate(
                        _RELA.iter_unpack(self.data[off:off + size])):
                    if not sec.contains(r_off):
                        continue
                    sym, rtype = r_info >> 32, r_info & 0xFFFFFFFF
                    if sym >= max(len(syms), 1):
                        raise self.fail(f"dynamic relocation {n} names symbol {sym}, "
                                        f"past the end of the symbol table")
                    if sym and syms:
                        sname, resolved = syms[sym][0], syms[sym][5]
                    else:
                        sname, resolved = "", 0
                    value: Value
                    if isinstance(resolved, SymRef):
                        value = SymRef(resolved.name, addend)
                    else:
                        recipe = _RELOCATION_RECIPES_IA64.get(rtype)
                        if recipe is None:
                            raise self.fail(f"malformed {name} section: relocation type "
                                            f"{reloc_name(rtype)} at offset {r_off - sec.addr:#x}")
                        value = recipe.calc_func(value=0, sym_value=resolved, offset=r_off,
                                                 addend=addend)
                    r = Reloc(r_off, rtype, value, sname, addend, ri, n)
                    values.update(self._record_reloc(r, sec, name, recsize, fields, values,
                                                     dynamic=True))
        return raw, values

    def _record_reloc(self, r: Reloc, sec: Section, name: str, recsize: int,
                      fields: tuple[int, ...], seen: dict[int, Value],
                      dynamic: bool = False) -> dict[int, Value]:
        off = r.addr - sec.addr
        allowed = (R_IA64_DIR64LSB, R_IA64_REL64LSB) if dynamic else (R_IA64_DIR64LSB,)
        if r.type not in allowed:
            raise self.fail(f"malformed {name} section: relocation type {r.type_name} at offset "
                            f"{off:#x} (expected R_IA64_DIR64LSB)")
        if off + 8 > sec.size:
            raise self.fail(f"malformed {name} section: relocation at offset {off:#x} "
                            f"runs past the end of the section")
        if off % recsize not in fields:
            raise self.fail(f"malformed {name} section: relocation at offset {off:#x} is not on "
                            f"an address field")
        if off in seen:
            raise self.fail(f"malformed {name} section: two relocations at offset {off:#x}")
        self._field_relocs[(sec.index, off)] = r
        value = r.value
        if isinstance(value, int):
            value &= (1 << 64) - 1
        return {off: value}

    def _record(self, n: int, raw: tuple[bytes, dict[int, Value]], name: str) -> Record:
        data, values = raw
        o = n * catalog.RECORD_SIZE
        (start, end, func, target, rtype, version, conv, nargs, result, sol, sof, flags,
         res1, args, res2) = _RECORD.unpack_from(data, o)
        fields: list[Value] = [values.get(o + k, v) for k, v in
                               zip((0, 8, 16, 24), (start, end, func, target))]
        where = f"{name} record {n} (offset {o:#x})"
        if version != 1:
            raise self.fail(f"{where}: version {version}, expected 1")
        s, e = fields[0], fields[1]
        rs = self.obj.record_section
        if not isinstance(s, int) or self.obj.code_section_at(s) is None:
            raise self.fail(f"{where}: start {self._fmt(s, rs, o)} is outside any "
                            f"executable section")
        sec = self.obj.code_section_at(s)
        assert sec is not None
        if not isinstance(e, int) or not sec.addr <= e <= sec.end:
            raise self.fail(f"{where}: end {self._fmt(e, rs, o + 8)} is outside section "
                            f"{sec.name} that holds its start")
        return Record(index=n, section_offset=o, start=s, end=e, func=fields[2],
                      target=fields[3], type=rtype, version=version, conv=conv, nargs=nargs,
                      result=result, sol=sol, sof=sof, flags=flags,
                      reserved=struct.pack("<IQ", res1, res2), args=tuple(args))

    def _fmt(self, v: Value, sec: Section | None = None, off: int = 0) -> str:
        r = self._field_relocs.get((sec.index, off)) if sec is not None else None
        if r is not None:
            return f"{r.symbol}{r.addend:+#x}" if r.addend else r.symbol
        if isinstance(v, int):
            sec = self.obj.section_at(v)
            if sec is not None and self.obj.relocatable:
                return f"{sec.name}+{v - sec.addr:#x}"
            return f"{v:#x}"
        return str(v)


def _machine_enum_name(machine: int) -> str:
    from elftools.elf.enums import ENUM_E_MACHINE
    for k, v in ENUM_E_MACHINE.items():
        if v == machine:
            return k
    return str(machine)
