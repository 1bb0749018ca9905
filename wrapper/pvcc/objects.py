"""Read IA-64 ELF objects (.o, .ko, vmlinux) for the site checker and the patcher.

`open_object(path)` returns an `ElfObject`: its allocated sections at comparable
addresses, the function symbols, the code relocations, the decoded
`.pvcc_sites` records (docs/records.md) plus the compatibility
`.paravirt_bundles` records, all with their relocations applied, and for a
linked file its loadable segments and unwind table.

Addresses.  In a linked file (ET_EXEC, ET_DYN) an address is the virtual
address.  In a relocatable file (ET_REL: .o, .ko) every section lives at
offset 0, so each section gets a distinct synthetic base (`Section.addr`,
16-byte aligned, with gaps between sections): code addresses, record fields
and function symbols are then plain integers that compare as they would after
a link.  A value that names an undefined symbol (typically the record's
`target` and the call's relocation in a .o) is a `SymRef`.

Layers.  pyelftools reads the ELF header, the section headers and their
names, and the program headers.  The two bulk tables are unpacked here with
`struct` (their layouts, by field name, are `pvcc.elf`'s), bounds-checked,
into named tuples: pyelftools parses each entry on
its own.  Measured (CPU time) on synthetic objects of 150,000 functions, a
10.7 MB .o with as many code relocations and the 7 MB executable ld links
from it: pyelftools takes 3.2-3.5 s for their symbol tables alone, this whole
loader 0.8 s and 0.65 s.

Errors.  A file that is not a well-formed IA-64 ELF file raises `ObjectError`,
whose message is one line that starts with the file name: a check of this
module says what is wrong, a format error that pyelftools or `struct` finds
(`FORMAT_ERRORS`) is reported as "malformed ELF file".  Any other exception
is a bug of this module and is left to surface.
"""

from __future__ import annotations

import bisect
import gc
import io
import itertools
import struct
from dataclasses import dataclass
from typing import NamedTuple

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.constants import SH_FLAGS, SHN_INDICES
from elftools.elf.descriptions import describe_e_machine
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_E_MACHINE, ENUM_ST_INFO_TYPE
from elftools.elf.sections import Section as ElfSection

from . import catalog
from .elf import RELA, SHDR, SYM, UNWIND, Layout, r_sym, r_type, st_bind, st_type

EM_IA_64 = ENUM_E_MACHINE["EM_IA_64"]
ELF_TYPES = ("ET_REL", "ET_EXEC", "ET_DYN")
SHF_ALLOC, SHF_EXECINSTR = SH_FLAGS.SHF_ALLOC, SH_FLAGS.SHF_EXECINSTR
SHN_UNDEF, SHN_LORESERVE, SHN_ABS = 0, SHN_INDICES.SHN_LORESERVE, SHN_INDICES.SHN_ABS
STT_FUNC, STT_SECTION = ENUM_ST_INFO_TYPE["STT_FUNC"], ENUM_ST_INFO_TYPE["STT_SECTION"]

# e_flags (binutils include/elf/ia64.h)
EF_IA_64_CONS_GP = 0x40
EF_IA_64_NOFUNCDESC_CONS_GP = 0x80

# The IA-64 relocations pvcc looks at (values: the IA-64 processor-specific ELF
# ABI, binutils include/elf/ia64.h).  Every other type is only ever named.
R_IA64_DIR64LSB = 0x27      # S + A: the address fields of a record in a .o
R_IA64_REL64LSB = 0x6F      # BD + A: the same in a shared object (BD = 0 as read here)
R_IA64_PCREL60B = 0x48      # brl.call's target (slot 1 of an MLX bundle)
R_IA64_PCREL21B = 0x49      # br.call's target
_RELOC_NAMES = {R_IA64_DIR64LSB: "R_IA64_DIR64LSB", R_IA64_REL64LSB: "R_IA64_REL64LSB",
                R_IA64_PCREL60B: "R_IA64_PCREL60B", R_IA64_PCREL21B: "R_IA64_PCREL21B"}

# Code relocations whose target is a branch destination: S + A, at the slot
# address bundle|slot of the branch (PCREL21B at slot 0..2, PCREL60B at slot 1).
BRANCH_RELOCS = frozenset([R_IA64_PCREL21B, R_IA64_PCREL60B])


def reloc_name(rtype: int) -> str:
    return _RELOC_NAMES.get(rtype, f"R_IA64_{rtype:#x}")


# What a malformed file makes pyelftools (ELFError, ELFParseError; construct
# errors it does not wrap) and struct raise.
FORMAT_ERRORS: tuple[type[Exception], ...] = (ELFError, ConstructError, struct.error)


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
    sh_type: str       # pyelftools' name: "SHT_PROGBITS", "SHT_NOBITS", ...

    @property
    def end(self) -> int:
        return self.addr + self.size

    @property
    def executable(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)

    @property
    def allocated(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def nobits(self) -> bool:
        """No contents in the file (.bss)."""
        return self.sh_type == "SHT_NOBITS"

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
    """One `.pvcc_sites` record (docs/records.md, version catalog.RECORD_VERSION)."""
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


class LoadSegment(NamedTuple):
    """A PT_LOAD program header of a linked file."""
    vaddr: int
    memsz: int
    offset: int        # file offset of its first filesz bytes
    filesz: int        # bytes the file holds (the rest, up to memsz, is zero: .bss)


class Symbol(NamedTuple):
    """One ELF symbol, with its address resolved the way this module numbers addresses."""
    name: str
    type: int          # STT_*
    bind: int          # STB_*
    shndx: int
    value: int         # st_value as stored
    size: int
    resolved: Value    # address (synthetic base + value in an ET_REL file), or SymRef


_SYM = SYM.struct
_RELA = RELA.struct
_SHDR_SIZE = SHDR.size
# A .pvcc_sites record (docs/records.md): the layout the plugin writes, the checker
# reads and pvcc's kernel-patcher images carry (pack_record).
RECORD = Layout("pvcc_site", "<QQQQIBBBBBBHI8sQ",
                "start end func target type version conv nargs result sol sof flags "
                "reserved0 args reserved1")
assert RECORD.size == catalog.RECORD_SIZE
_RECORD = RECORD.struct
_RESERVED = struct.Struct("<IQ")    # Record.reserved: bytes 44..47 and 56..63
_COMPAT = struct.Struct("<QQQ")
assert _COMPAT.size == catalog.COMPAT_RECORD_SIZE
_UNWIND = UNWIND.struct


class ElfObject:
    """An IA-64 ELF file with everything the checker needs, read eagerly."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.elf_type = ""             # "ET_REL", "ET_EXEC" or "ET_DYN"
        self.e_flags = 0
        self.entry = 0                 # e_entry
        self.sections: list[Section] = []
        self.segments: list[LoadSegment] = []         # linked files only
        self.functions: list[Function] = []
        self.symbols: list[Symbol] = []     # the symbol table (.symtab, else .dynsym)
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
        self._unwind: list[tuple[int, int]] | None = None
        self._unwind_relocs: dict[int, Value] = {}    # ET_REL: .IA_64.unwind's relocations

    # -- queries ------------------------------------------------------------
    @property
    def relocatable(self) -> bool:
        return self.elf_type == "ET_REL"

    @property
    def kind(self) -> str:
        return self.elf_type

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
        if sec is None or addr + n > sec.end or sec.sh_type == "SHT_NOBITS":
            raise ObjectError(f"{self.path}: no contents at {addr:#x}+{n}")
        off = sec.offset + (addr - sec.addr)
        return self.data[off:off + n]

    def file_offset(self, addr: int) -> int:
        sec = self.code_section_at(addr) or self.section_at(addr)
        if sec is None or sec.sh_type == "SHT_NOBITS":
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

    def segment_base(self, addr: int) -> int | None:
        """p_vaddr of the loadable segment that holds addr (linked files), else None."""
        for seg in self.segments:
            if seg.vaddr <= addr < seg.vaddr + seg.memsz:
                return seg.vaddr
        return None

    def unwind_ranges(self) -> list[tuple[int, int]]:
        """Sorted (start, end) of every `.IA_64.unwind` entry, relative to its segment's base."""
        if self._unwind is None:
            out = []
            for sec in self.sections:
                if (sec.name.startswith(".IA_64.unwind")
                        and not sec.name.startswith(".IA_64.unwind_info")
                        and sec.sh_type != "SHT_NOBITS"):
                    raw = self.data[sec.offset:sec.offset + sec.size - sec.size % _UNWIND.size]
                    out += [(start, end) for start, end, _info in _UNWIND.iter_unpack(raw)]
            self._unwind = sorted(out)
        return self._unwind

    def unwind_entries(self) -> list[tuple[int, int, int]]:
        """(start, end, info) of every `.IA_64.unwind` entry as addresses of this file:
        in a linked file the segment-relative values plus the base of the segment
        holding the table, in a `.o` the values of their relocations (an entry whose
        fields are not all resolved to addresses is left out)."""
        out = []
        for sec in self.sections:
            if not _is_unwind_table(sec):
                continue
            base = 0 if self.relocatable else self.segment_base(sec.addr) or 0
            raw = self.data[sec.offset:sec.offset + sec.size - sec.size % _UNWIND.size]
            for n, fields in enumerate(_UNWIND.iter_unpack(raw)):
                at = sec.addr + n * _UNWIND.size
                if self.relocatable:
                    vals = [self._unwind_relocs.get(at + 8 * k) for k in range(3)]
                    if all(isinstance(v, int) for v in vals):
                        out.append(tuple(vals))
                else:
                    out.append(tuple(base + v for v in fields))
        return sorted(out)

    def unwind_info(self, addr: int, n: int) -> bytes:
        """n bytes of unwind information at addr (short at the end of its section)."""
        sec = self.section_at(addr)
        if sec is None or sec.nobits:
            return b""
        off = addr - sec.addr
        return self.data[sec.offset + off:sec.offset + min(sec.size, off + n)]

    def unwind_range_at(self, addr: int) -> tuple[int, int] | None:
        """[start, end) of the code whose unwind entry covers addr (linked files), else None.

        Unwind entries are relative to the base of the segment that holds the code.
        """
        base = self.segment_base(addr)
        if base is None:
            return None
        table = self.unwind_ranges()
        off = addr - base
        i = bisect.bisect_right(table, (off, 1 << 64)) - 1
        if i < 0 or not table[i][0] <= off < table[i][1]:
            return None
        return base + table[i][0], base + table[i][1]


def _is_unwind_table(sec: Section) -> bool:
    return (sec.name.startswith(".IA_64.unwind") and not sec.name.startswith(".IA_64.unwind_info")
            and sec.sh_type != "SHT_NOBITS")


def pack_record(rec: Record) -> bytes:
    """The 64 bytes of a record as a linked image holds it (a SymRef field as 0)."""
    def val(v: Value) -> int:
        return v if isinstance(v, int) else 0
    res0, res1 = _RESERVED.unpack(rec.reserved)
    return RECORD.pack(start=rec.start, end=rec.end, func=val(rec.func), target=val(rec.target),
                       type=rec.type, version=rec.version, conv=rec.conv, nargs=rec.nargs,
                       result=rec.result, sol=rec.sol, sof=rec.sof, flags=rec.flags,
                       reserved0=res0, args=bytes(rec.args), reserved1=res1)


# ---------------------------------------------------------------------------
# Identity


def _printable(name: str) -> str:
    """A name from the file, fit for a one-line message: control characters escaped."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)


def _machine_name(machine: int) -> str:
    enum = next((k for k, v in ENUM_E_MACHINE.items() if v == machine), None)
    return describe_e_machine(enum) if enum else str(machine)


def identity_problem(data: bytes) -> str | None:
    """Why data does not start a little-endian ELF64 file for IA-64, else None.

    Needs the first 64 bytes (the ELF header); the one identity check of pvcc.
    """
    magic = b"\x7fELF"
    if data[:4] != magic:
        if len(data) < 4 and magic.startswith(data):
            return "truncated ELF file (no complete ELF header)"
        return "not an ELF file"
    if len(data) < 64:
        if len(data) >= 5 and data[4] == 1:
            return "ELF32 file, expected ELFCLASS64 (IA-64)"
        return f"truncated ELF file ({len(data)} bytes, header needs 64)"
    if data[4] != 2:
        cls = {1: "ELF32"}.get(data[4], f"ELF class {data[4]}")
        return f"{cls} file, expected ELFCLASS64 (IA-64)"
    if data[5] != 1:
        return "big-endian or unknown data encoding, expected little-endian IA-64"
    machine = int.from_bytes(data[18:20], "little")
    if machine != EM_IA_64:
        return f"ELF for machine {_machine_name(machine)} ({machine}), expected IA-64 ({EM_IA_64})"
    return None


# ---------------------------------------------------------------------------
# Loading


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
    problem = identity_problem(data)
    if problem:
        raise ObjectError(f"{path}: {problem}")
    # The load makes a few objects per symbol and relocation, and no cycles: the
    # cyclic collector would only rescan them again and again while they pile up
    # (measured: 1.75 s -> 0.6 s for 150,000 symbols), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        obj = _Loader(path, data).load()
    except FORMAT_ERRORS as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ObjectError(f"{path}: malformed ELF file ({type(e).__name__}: {msg})") from None
    finally:
        if collecting:
            gc.enable()
    if require_records and obj.records is None:
        raise ObjectError(f"{path}: no {catalog.SECTION} section")
    return obj


class _Loader:
    """Reads one file into an ElfObject, step by step (see load)."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.obj = ElfObject(path, data)
        self.elf: ELFFile | None = None
        self.shdrs: list[ElfSection] = []      # pyelftools' sections, by index
        self._symtabs: dict[int, list[Symbol]] = {}
        self._field_relocs: dict[tuple[int, int], Reloc] = {}

    def fail(self, msg: str) -> ObjectError:
        return ObjectError(f"{self.path}: {msg}")

    def load(self) -> ElfObject:
        self.elf = ELFFile(io.BytesIO(self.data))
        etype = self.elf["e_type"]
        if etype not in ELF_TYPES:
            raise self.fail(f"unsupported ELF type {etype} (expected ET_REL, ET_EXEC or ET_DYN)")
        self.obj.elf_type = etype
        self.obj.e_flags = self.elf["e_flags"]
        self.obj.entry = self.elf["e_entry"]
        self._read_section_headers()
        self._place_sections()
        if not self.obj.relocatable:
            self._read_segments()
        self._read_functions()
        relas = self._relocation_sections()
        if self.obj.relocatable:
            self._read_code_relocs(relas)
            self._read_unwind_relocs(relas)
        self._read_records(relas)
        return self.obj

    # -- section headers (pyelftools) ------------------------------------------
    def _read_section_headers(self) -> None:
        elf, size = self.elf, len(self.data)
        shoff = elf["e_shoff"]
        if shoff == 0:
            raise self.fail("no section headers")
        if elf["e_shentsize"] != _SHDR_SIZE:
            raise self.fail(f"section header size {elf['e_shentsize']}, expected {_SHDR_SIZE}")
        if shoff + _SHDR_SIZE > size:
            raise self.fail("truncated ELF file (section headers past the end)")
        count = elf.num_sections()      # extended numbering: section 0's sh_size
        if count > 0x100000 or shoff + count * _SHDR_SIZE > size:
            raise self.fail("truncated ELF file (section headers past the end)")
        # Every header is checked before pyelftools makes a section of it: it
        # reads the name, and a table of some types, at the offsets it holds.
        headers = [self._parse(elf.structs.Elf_Shdr, shoff + i * _SHDR_SIZE)
                   for i in range(count)]
        names = elf.get_shstrndx()
        if not 0 < names < count:
            raise self.fail("no section name table")
        if headers[names]["sh_offset"] + headers[names]["sh_size"] > size:
            raise self.fail("truncated ELF file (section name table past the end)")
        for h in headers:
            self._check_name(headers[names], h["sh_name"], "section name")
            # A section's contents must be in the file; pyelftools reads the
            # header of a compressed one (SHF_COMPRESSED) whatever its type.
            contents = 0 if h["sh_type"] in ("SHT_NULL", "SHT_NOBITS") else h["sh_size"]
            if h["sh_flags"] & SH_FLAGS.SHF_COMPRESSED:
                contents = max(contents, elf.structs.Elf_Chdr.sizeof())
            if h["sh_offset"] + contents > size:
                name = self._cstr(headers[names], h["sh_name"])
                raise self.fail(f"truncated ELF file (section {name} past the end)")
        self.shdrs = [elf.get_section(i) for i in range(count)]

    def _parse(self, layout, offset: int):
        """One pyelftools structure (a header) at offset, which must lie in the file."""
        if offset + layout.sizeof() > len(self.data):
            raise self.fail("truncated ELF file (headers past the end)")
        return layout.parse(self.data[offset:offset + layout.sizeof()])

    def _cstr(self, table, off: int) -> str:
        start = table["sh_offset"] + off
        return _printable(self.data[start:self.data.index(b"\0", start)].decode("utf-8", "replace"))

    def _check_name(self, table, off: int, what: str) -> None:
        """A name offset must point at a NUL-terminated string inside its table."""
        if off >= table["sh_size"]:
            raise self.fail(f"{what} offset {off:#x} outside its string table")
        start, end = table["sh_offset"] + off, table["sh_offset"] + table["sh_size"]
        if self.data.find(b"\0", start, end) < 0:
            raise self.fail(f"unterminated {what}")

    def _place_sections(self) -> None:
        """Sections at comparable addresses: vaddr, or synthetic bases in an ET_REL file."""
        obj = self.obj
        base = 0x10000
        for i, h in enumerate(self.shdrs):
            stype, flags, size = h["sh_type"], h["sh_flags"], h["sh_size"]
            if i == 0 or stype == "SHT_NULL":
                continue
            if obj.relocatable:
                align = h["sh_addralign"]
                a = max(16, min(align, 4096)) if align else 16
                base = (base + a - 1) // a * a
                sec = Section(i, _printable(h.name), base, size, h["sh_offset"], flags, stype)
                base = (base + size + 0x1000 + 0xFFF) // 0x1000 * 0x1000
            else:
                if not flags & SHF_ALLOC:
                    continue
                sec = Section(i, _printable(h.name), h["sh_addr"], size, h["sh_offset"], flags,
                              stype)
            obj.sections.append(sec)
            obj._by_index[i] = sec
        code = sorted((s for s in obj.sections if s.executable and s.flags & SHF_ALLOC
                       and s.sh_type != "SHT_NOBITS" and s.size), key=lambda s: s.addr)
        obj._overlap = any(b.addr < a.end for a, b in itertools.pairwise(code))
        obj._code = code
        obj._code_starts = [s.addr for s in code]

    # -- program headers (pyelftools) ----------------------------------------------
    def _read_segments(self) -> None:
        elf = self.elf
        if elf["e_phoff"] == 0:
            return
        if elf["e_phentsize"] != elf.structs.Elf_Phdr.sizeof():
            raise self.fail(f"program header size {elf['e_phentsize']}, "
                            f"expected {elf.structs.Elf_Phdr.sizeof()}")
        loads = []
        for i in range(elf.num_segments()):
            p = self._parse(elf.structs.Elf_Phdr, elf["e_phoff"] + i * elf["e_phentsize"])
            if p["p_type"] == "PT_LOAD":
                if p["p_offset"] + p["p_filesz"] > len(self.data):
                    raise self.fail(f"truncated ELF file (segment {i} past the end)")
                loads.append(LoadSegment(p["p_vaddr"], p["p_memsz"], p["p_offset"],
                                         p["p_filesz"]))
        self.obj.segments = loads

    # -- symbols (struct: the fast path) -------------------------------------------
    def _read_functions(self) -> None:
        obj = self.obj
        symtab = next((i for i, h in enumerate(self.shdrs) if h["sh_type"] == "SHT_SYMTAB"),
                      None)
        if symtab is None:
            symtab = next((i for i, h in enumerate(self.shdrs) if h["sh_type"] == "SHT_DYNSYM"),
                          None)
        funcs: dict[tuple[int, int], Function] = {}
        if symtab is not None:
            code_section_at = obj.code_section_at
            obj.symbols = self._symbols(symtab)
            for name, stype, bind, shndx, _value, size, resolved in obj.symbols:
                if stype != STT_FUNC or size == 0 or not isinstance(resolved, int):
                    continue
                if shndx == SHN_UNDEF or code_section_at(resolved) is None:
                    continue
                key = (resolved, size)
                if key not in funcs or (bind and not funcs[key].name):
                    funcs.setdefault(key, Function(name, resolved, size))
        obj.functions = sorted(funcs.values(), key=lambda f: (f.addr, -f.size))
        obj._func_starts = [f.addr for f in obj.functions]

    def _symbols(self, idx: int) -> list[Symbol]:
        """The symbol table in section idx, names and addresses resolved (cached)."""
        if idx in self._symtabs:
            return self._symtabs[idx]
        if not 0 < idx < len(self.shdrs) or \
                self.shdrs[idx]["sh_type"] not in ("SHT_SYMTAB", "SHT_DYNSYM"):
            raise self.fail(f"relocation refers to section {idx}, which is not a symbol table")
        h = self.shdrs[idx]
        off, size = h["sh_offset"], h["sh_size"]
        if h["sh_entsize"] not in (0, _SYM.size) or size % _SYM.size:
            raise self.fail("malformed symbol table")
        link = h["sh_link"]
        if not 0 < link < len(self.shdrs):
            raise self.fail("symbol table without a string table")
        strtab = self.shdrs[link]
        str_off, str_size = strtab["sh_offset"], strtab["sh_size"]
        if str_off + str_size > len(self.data):
            raise self.fail("truncated ELF file (string table past the end)")
        data = self.data
        out = []
        relocatable = self.obj.relocatable
        for st_name, st_info, _st_other, st_shndx, st_value, st_size in \
                _SYM.iter_unpack(data[off:off + size]):
            stype = st_type(st_info)
            name = ""
            if st_name:
                if st_name >= str_size:
                    raise self.fail(f"symbol name offset {st_name:#x} outside its string table")
                end = data.find(b"\0", str_off + st_name, str_off + str_size)
                if end < 0:
                    raise self.fail("unterminated symbol name")
                name = data[str_off + st_name:end].decode("utf-8", errors="replace")
                if not name.isprintable():
                    name = _printable(name)
            resolved: Value
            if st_shndx == SHN_UNDEF or (st_shndx >= SHN_LORESERVE and st_shndx != SHN_ABS):
                resolved = SymRef(name)
            elif st_shndx == SHN_ABS or not relocatable:
                resolved = st_value
            else:
                sec = self.obj.section(st_shndx)
                if sec is None:
                    raise self.fail(f"symbol {name or '#'} in section {st_shndx}, "
                                    f"which does not exist")
                if stype == STT_SECTION:
                    name = sec.name
                resolved = sec.addr + st_value
            if stype == STT_SECTION and not name:
                sec = self.obj.section(st_shndx)
                name = sec.name if sec is not None else f"section{st_shndx}"
            out.append(Symbol(name, stype, st_bind(st_info), st_shndx, st_value, st_size,
                              resolved))
        self._symtabs[idx] = out
        return out

    # -- relocations (struct: the fast path) ---------------------------------------
    def _relocation_sections(self) -> dict[int, list[int]]:
        """{index of the section relocated: [indexes of its REL/RELA sections]}."""
        relas: dict[int, list[int]] = {}
        for i, h in enumerate(self.shdrs):
            if h["sh_type"] in ("SHT_RELA", "SHT_REL"):
                relas.setdefault(h["sh_info"], []).append(i)
        return relas

    def _rela_entries(self, ri: int, what: str):
        """Iterator of (r_offset, r_info, r_addend) of the RELA section ri."""
        h = self.shdrs[ri]
        off, size = h["sh_offset"], h["sh_size"]
        if h["sh_entsize"] not in (0, _RELA.size) or size % _RELA.size:
            raise self.fail(f"malformed relocation section for {what}")
        return _RELA.iter_unpack(self.data[off:off + size])

    def _read_code_relocs(self, relas: dict[int, list[int]]) -> None:
        for sec in self.obj.code_sections:
            for ri in relas.get(sec.index, []):
                if self.shdrs[ri]["sh_type"] == "SHT_RELA":
                    for rel in self._relocs(ri, sec):
                        self.obj._code_relocs[rel.addr] = rel

    def _read_unwind_relocs(self, relas: dict[int, list[int]]) -> None:
        for sec in self.obj.sections:
            if _is_unwind_table(sec):
                for ri in relas.get(sec.index, []):
                    if self.shdrs[ri]["sh_type"] == "SHT_RELA":
                        for rel in self._relocs(ri, sec):
                            self.obj._unwind_relocs[rel.addr] = rel.value

    def _relocs(self, ri: int, target: Section) -> list[Reloc]:
        """The RELA section ri's relocations of target, with their values S + A."""
        entries = self._rela_entries(ri, target.name)
        syms = self._symbols(self.shdrs[ri]["sh_link"])
        out = []
        for n, (r_offset, r_info, r_addend) in enumerate(entries):
            sym, rtype = r_sym(r_info), r_type(r_info)
            if sym >= len(syms):
                raise self.fail(f"relocation {n} for {target.name} names symbol {sym}, "
                                f"past the end of the symbol table")
            if r_offset >= target.size:
                raise self.fail(f"relocation {n} for {target.name} at offset {r_offset:#x} "
                                f"is outside the section (size {target.size:#x})")
            s = syms[sym]
            value: Value
            if sym == 0:
                value = r_addend
            elif isinstance(s.resolved, SymRef):
                value = SymRef(s.resolved.name, r_addend)
            else:
                value = s.resolved + r_addend
            out.append(Reloc(target.addr + r_offset, rtype, value, s.name, r_addend, ri, n))
        return out

    def _dynamic_relocs(self, sec: Section) -> list[Reloc]:
        """The dynamic relocations (allocated RELA sections) that land in sec."""
        out = []
        for ri, h in enumerate(self.shdrs):
            if h["sh_type"] != "SHT_RELA" or not h["sh_flags"] & SHF_ALLOC:
                continue
            link = h["sh_link"]
            syms = self._symbols(link) if link else []
            for n, (r_offset, r_info, r_addend) in enumerate(
                    self._rela_entries(ri, f"dynamic section {ri}")):
                if not sec.contains(r_offset):
                    continue
                sym, rtype = r_sym(r_info), r_type(r_info)
                if sym >= max(len(syms), 1):
                    raise self.fail(f"dynamic relocation {n} names symbol {sym}, "
                                    f"past the end of the symbol table")
                s = syms[sym] if sym and syms else None
                value: Value
                if s is not None and isinstance(s.resolved, SymRef):
                    value = SymRef(s.resolved.name, r_addend)
                elif rtype == R_IA64_DIR64LSB:
                    value = (s.resolved if s is not None else 0) + r_addend
                elif rtype == R_IA64_REL64LSB:
                    value = r_addend      # BD + A, the load base BD being 0 here
                else:
                    raise self.fail(f"malformed {sec.name} section: relocation type "
                                    f"{reloc_name(rtype)} at offset {r_offset - sec.addr:#x}")
                out.append(Reloc(r_offset, rtype, value, s.name if s else "", r_addend, ri, n))
        return out

    # -- records -------------------------------------------------------------------
    def _read_records(self, relas: dict[int, list[int]]) -> None:
        obj = self.obj
        by_name = {h.name: i for i, h in enumerate(self.shdrs) if h["sh_type"] != "SHT_NULL"}
        rec_idx = by_name.get(catalog.SECTION)
        if rec_idx is None:
            orphan = [h.name for h in self.shdrs if h["sh_type"] in ("SHT_RELA", "SHT_REL")
                      and h.name in (".rela" + catalog.SECTION, ".rel" + catalog.SECTION)]
            if orphan:
                raise self.fail(f"{orphan[0]} present without a {catalog.SECTION} section")
        else:
            obj.record_section = self._alloc_section(rec_idx)
            raw = self._section_values(obj.record_section, relas, catalog.RECORD_SIZE,
                                       (0, 8, 16, 24))
            obj.records = [self._record(n, raw, obj.record_section.name)
                           for n in range(len(raw[0]) // catalog.RECORD_SIZE)]
        cmp_idx = by_name.get(catalog.COMPAT_SECTION)
        if cmp_idx is not None:
            obj.compat_section = self._alloc_section(cmp_idx)
            data, values = self._section_values(obj.compat_section, relas,
                                                catalog.COMPAT_RECORD_SIZE, (0, 8))
            obj.compat = []
            for n in range(len(data) // catalog.COMPAT_RECORD_SIZE):
                o = n * catalog.COMPAT_RECORD_SIZE
                start, end, ctype = _COMPAT.unpack_from(data, o)
                obj.compat.append(CompatRecord(n, o, values.get(o, start), values.get(o + 8, end),
                                               ctype))

    def _alloc_section(self, idx: int) -> Section:
        sec = self.obj.section(idx)
        h = self.shdrs[idx]
        if sec is None or not h["sh_flags"] & SHF_ALLOC:
            raise self.fail(f"{h.name} section is not allocated (create it with the \"a\" flag)")
        if h["sh_type"] == "SHT_NOBITS":
            raise self.fail(f"{h.name} section has no contents (NOBITS)")
        return sec

    def _section_values(self, sec: Section, relas: dict[int, list[int]], recsize: int,
                        fields: tuple[int, ...]) -> tuple[bytes, dict[int, Value]]:
        """The section's bytes and {offset: relocated value} of its address fields."""
        name = sec.name
        if sec.size % recsize:
            raise self.fail(f"malformed {name} section: size {sec.size:#x} is not a "
                            f"multiple of {recsize}")
        raw = self.data[sec.offset:sec.offset + sec.size]
        values: dict[int, Value] = {}
        if self.obj.relocatable:
            for ri in relas.get(sec.index, []):
                if self.shdrs[ri]["sh_type"] != "SHT_RELA":
                    raise self.fail(f"malformed {name} section: REL relocations (IA-64 uses RELA)")
                for r in self._relocs(ri, sec):
                    values.update(self._record_reloc(r, sec, recsize, fields, values))
        elif self.obj.elf_type == "ET_DYN":
            for r in self._dynamic_relocs(sec):
                values.update(self._record_reloc(r, sec, recsize, fields, values, dynamic=True))
        return raw, values

    def _record_reloc(self, r: Reloc, sec: Section, recsize: int, fields: tuple[int, ...],
                      seen: dict[int, Value], dynamic: bool = False) -> dict[int, Value]:
        name = sec.name
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
        if version != catalog.RECORD_VERSION:
            raise self.fail(f"{where}: version {version}, expected {catalog.RECORD_VERSION}")
        s, e = fields[0], fields[1]
        rs = self.obj.record_section
        sec = self.obj.code_section_at(s) if isinstance(s, int) else None
        if sec is None:
            raise self.fail(f"{where}: start {self._fmt(s, rs, o)} is outside any "
                            f"executable section")
        if not isinstance(e, int) or not sec.addr <= e <= sec.end:
            raise self.fail(f"{where}: end {self._fmt(e, rs, o + 8)} is outside section "
                            f"{sec.name} that holds its start")
        return Record(index=n, section_offset=o, start=s, end=e, func=fields[2],
                      target=fields[3], type=rtype, version=version, conv=conv, nargs=nargs,
                      result=result, sol=sol, sof=sof, flags=flags,
                      reserved=_RESERVED.pack(res1, res2), args=tuple(args))

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
