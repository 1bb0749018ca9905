"""A linked kernel's pre-encoded native code: ``.pvcc_native`` (docs/boot-patching.md).

The kernel's linker script reserves ``.pvcc_native`` beside ``.pvcc_sites``:
one `ENTRY` of 80 bytes per record, in record order, all zero as linked.
``pvcc-check --fill-native`` fills it after the link (`fill_file`); the boot
patcher copies a filled entry's bundles into the record's region, then nop
bundles up to the region's end, and takes its own long way for a zero entry.

An entry (little-endian, ``struct pvcc_native`` of kernel/pvcc_patch.h):

| offset | size | field      | meaning |
|-------:|-----:|------------|---------|
| 0      | 4    | `magic`    | `MAGIC` ("PVNB") when filled, 0 when not |
| 4      | 1    | `nbundles` | 1..4: the code bundles that follow |
| 5      | 1    | `nregion`  | 1..255: the bundles of the record's region (`end - start` / 16) |
| 6      | 10   | `pad`      | 0 |
| 16     | 64   | `code`     | 4 bundles, the first `nbundles` used, the rest 0 |

A filled entry's bundles, followed by the C table's nop bundle
(`native.NOP_BUNDLE`, `patch_table.NOP_BUNDLE`) up to the region's end, are
byte for byte what ``pvcc-check --patch native`` writes into the region
(`patch.native_code`): they are that code with its trailing nop bundles
dropped, at least one kept.  An entry stays zero when the boot patcher would
refuse the record before looking at its code (version, convention, region,
argument count: pvcc_patch.c's first checks), when the site cannot be patched
(`patch.PatchError`), or when more than `MAX_BUNDLES` bundles remain: the boot
patcher's long way then refuses what is wrong.

`expected_entries(model)` is the table of a decoded file, `fill_file(path)`
writes it in place (atomically), `violations(model)` is pvcc-check's rule
**native-table**: every entry is all zero or exactly its expected entry.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from . import catalog, native
from .atomicfile import write_atomic
from .decoded import DecodedObject, SiteInfo, decode_file
from .elf import Layout, section_header_table
from .objects import ElfObject, Section, Value
from .patch import PatchError, native_code

SECTION = catalog.NATIVE_SECTION
MAGIC = 0x424E5650          # the bytes "PVNB", little-endian
MAX_BUNDLES = 4
BUNDLE = 16
ENTRY = Layout("pvcc_native", f"<IBB10s{MAX_BUNDLES * BUNDLE}s",
               "magic nbundles nregion pad code")
ZERO = bytes(ENTRY.size)
assert ENTRY.size == 80 and MAGIC.to_bytes(4, "little") == b"PVNB"
assert ENTRY.offset("nbundles") == 4 and ENTRY.offset("nregion") == 5
assert ENTRY.offset("code") == 16

# why an entry stays zero, as the summary counts it
UNPATCHABLE = "cannot be patched"
TOO_LONG = f"native code longer than {MAX_BUNDLES} bundles"


class TableError(Exception):
    """A file whose ``.pvcc_native`` cannot be filled (one line, naming the file)."""


@dataclass(frozen=True)
class Entry:
    data: bytes                     # the 80 bytes
    nbundles: int = 0               # 0: a zero entry
    why: str | None = None          # a zero entry: UNPATCHABLE or TOO_LONG
    reason: str | None = None       # ... in detail

    @property
    def filled(self) -> bool:
        return self.nbundles > 0


def pack(bundles: list[bytes], nregion: int) -> bytes:
    """The filled entry of 1..MAX_BUNDLES code bundles for a region of NREGION."""
    assert 1 <= len(bundles) <= MAX_BUNDLES and all(len(b) == BUNDLE for b in bundles)
    assert len(bundles) <= nregion <= 255
    code = b"".join(bundles).ljust(MAX_BUNDLES * BUNDLE, b"\0")
    return ENTRY.pack(magic=MAGIC, nbundles=len(bundles), nregion=nregion, pad=bytes(10),
                      code=code)


def _refused(rec) -> str | None:
    """What the boot patcher refuses before it looks at the code (pvcc_patch.c)."""
    if rec.version != catalog.RECORD_VERSION:
        return f"record version {rec.version}, not {catalog.RECORD_VERSION}"
    if rec.conv not in catalog.CONV_NAMES:
        return f"unknown convention {rec.conv}"
    if rec.start % BUNDLE or rec.end % BUNDLE or not 1 <= rec.nbundles <= 255:
        return "region is not 1 to 255 whole bundles"
    if rec.nargs > catalog.MAX_ARGS:
        return f"{rec.nargs} arguments (at most {catalog.MAX_ARGS})"
    return None


def entry_for(site: SiteInfo, memo: dict | None = None) -> Entry:
    """The entry ``--fill-native`` writes for one record (module docstring)."""
    rec = site.rec
    refused = _refused(rec)
    if refused:
        return Entry(ZERO, why=UNPATCHABLE, reason=refused)
    key = (rec.type, rec.flags & catalog.FLAG_SRLZ_D, rec.nargs, rec.args, rec.sol, rec.sof,
           rec.result, rec.nbundles)
    if memo is not None and key in memo:
        return memo[key]
    try:
        bundles = native_code(site)
    except PatchError as e:
        found = Entry(ZERO, why=UNPATCHABLE, reason=str(e))
    else:
        while len(bundles) > 1 and bundles[-1] == native.NOP_BUNDLE:
            bundles = bundles[:-1]
        if len(bundles) > MAX_BUNDLES:
            found = Entry(ZERO, why=TOO_LONG,
                          reason=f"native code is {len(bundles)} bundles, an entry holds "
                                 f"{MAX_BUNDLES}")
        else:
            found = Entry(pack(bundles, rec.nbundles), nbundles=len(bundles))
    if memo is not None:
        memo[key] = found
    return found


def expected_entries(model: DecodedObject) -> list[Entry]:
    """The entry of every record, in record order (a kind of record encoded once)."""
    memo: dict = {}
    return [entry_for(site, memo) for site in model.sites]


def find_section(obj: ElfObject) -> Section | None:
    """The file's ``.pvcc_native`` (None without one); TableError when it is there but
    not allocated or has no contents in the file."""
    sec = next((s for s in obj.sections if s.name == SECTION), None)
    if sec is None:
        if not obj.relocatable and any(sh.name == SECTION
                                       for sh in section_header_table(obj.data)):
            raise TableError(f"{SECTION} section is not allocated (SHF_ALLOC)")
        return None
    if not sec.allocated:
        raise TableError(f"{SECTION} section is not allocated (SHF_ALLOC)")
    if sec.nobits:
        raise TableError(f"{SECTION} section has no contents in the file (NOBITS)")
    if sec.offset + sec.size > len(obj.data):
        raise TableError(f"{SECTION} section lies past the end of the file")
    return sec


def size_problem(sec: Section, nrecords: int) -> str | None:
    want = ENTRY.size * nrecords
    if sec.size != want:
        return (f"{SECTION} section is {sec.size} bytes, expected {ENTRY.size} x {nrecords} "
                f"record(s) = {want}")
    return None


# -- pvcc-check --fill-native ---------------------------------------------------------


@dataclass
class Filled:
    """What fill_file did to one file."""
    path: str
    entries: int
    filled: int
    zero: Counter = field(default_factory=Counter)              # why -> count
    left: list[tuple[str, str, str]] = field(default_factory=list)  # (where, type, reason)
    written: bool = False                                       # False: already so

    def summary(self) -> str:
        line = f"{self.path}: {SECTION}: {self.filled} of {self.entries} entries filled"
        if self.zero:
            why = ", ".join(f"{n} {w}" for w, n in sorted(self.zero.items()))
            line += f", {self.entries - self.filled} left zero ({why})"
        return line


def fill_file(path: str) -> Filled:
    """Fill ``path``'s ``.pvcc_native`` in place, atomically, keeping its mode.

    Raises ObjectError for a file that cannot be read, TableError for one whose
    table cannot be filled (no records, not linked, no or a wrong-sized section);
    the file is then left untouched.  A file whose table already holds these
    bytes is not rewritten.
    """
    model = decode_file(path, require_records=True)
    obj = model.obj
    if not model.sites:
        raise TableError(f"{path}: {catalog.SECTION} section has no records")
    if obj.elf_type != "ET_EXEC":
        raise TableError(f"{path}: {obj.elf_type} file, {SECTION} is filled in a linked "
                         f"executable (ET_EXEC)")
    try:
        sec = find_section(obj)
    except TableError as e:
        raise TableError(f"{path}: {e}") from None
    if sec is None:
        raise TableError(f"{path}: no {SECTION} section")
    problem = size_problem(sec, len(model.sites))
    if problem:
        raise TableError(f"{path}: {problem}")
    entries = expected_entries(model)
    table = b"".join(e.data for e in entries)
    done = Filled(path, len(entries), sum(e.filled for e in entries))
    for site, e in zip(model.sites, entries):
        if not e.filled:
            done.zero[e.why] += 1
            done.left.append((obj.where(site.rec.start), site.name, e.reason))
    if obj.data[sec.offset:sec.offset + sec.size] == table:
        return done
    buf = bytearray(obj.data)
    buf[sec.offset:sec.offset + sec.size] = table

    def check(tmp: str) -> None:
        with open(tmp, "rb") as f:
            back = f.read()
        if len(back) != len(buf) or back[sec.offset:sec.offset + sec.size] != table:
            raise TableError(f"{path}: the written copy does not read back")

    # through a symbolic link: the file it names is replaced, the link stays
    write_atomic(os.path.realpath(path), buf, mode=os.stat(path).st_mode & 0o7777, fsync=True,
                 check=check)
    done.written = True
    return done


# -- rule native-table --------------------------------------------------------------


def violations(model: DecodedObject) -> list[tuple[Value | str, str]]:
    """Rule **native-table**: (where, message) for every entry of ``.pvcc_native`` that
    is neither all zero nor the entry ``--fill-native`` writes for its record, and for
    a section of the wrong size (where: the section's name)."""
    obj = model.obj
    try:
        sec = find_section(obj)
    except TableError as e:
        return [(SECTION, str(e))]
    if sec is None:
        return []
    if obj.records is None:
        return [(SECTION, f"{SECTION} section without a {catalog.SECTION} section")]
    problem = size_problem(sec, len(model.sites))
    if problem:
        return [(SECTION, problem)]
    data = obj.data[sec.offset:sec.offset + sec.size]
    memo: dict = {}
    out: list[tuple[Value | str, str]] = []
    for i, site in enumerate(model.sites):
        got = data[i * ENTRY.size:(i + 1) * ENTRY.size]
        if got == ZERO:
            continue
        want = entry_for(site, memo)
        if got != want.data:
            message = f"site of {site.name}: {SECTION} entry {i} {_difference(got, want)}"
            out.append((site.rec.start, message))
    return out


def _difference(got: bytes, want: Entry) -> str:
    """The first way a nonzero entry differs from the expected one."""
    if not want.filled:
        return f"is not zero, but the site gets no entry ({want.reason})"
    g, w = ENTRY.unpack_from(got), ENTRY.unpack_from(want.data)
    if g.magic != w.magic:
        return f"has magic {g.magic:#010x}, expected {MAGIC:#010x} (\"PVNB\") or an all-zero entry"
    if g.nbundles != w.nbundles:
        return f"has nbundles {g.nbundles}, the native code is {w.nbundles} bundle(s)"
    if g.nregion != w.nregion:
        return f"has nregion {g.nregion}, the region is {w.nregion} bundle(s)"
    if g.pad != w.pad:
        return "has nonzero bytes 6..15"
    for k in range(MAX_BUNDLES):
        a, b = g.code[k * BUNDLE:(k + 1) * BUNDLE], w.code[k * BUNDLE:(k + 1) * BUNDLE]
        if a != b:
            if k < w.nbundles:
                return f"bundle {k} is {a.hex()}, the native code's is {b.hex()}"
            return f"unused bundle {k} is not zero"
    raise AssertionError("entries differ nowhere")  # pragma: no cover
