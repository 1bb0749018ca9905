"""pvcc.objects: reading IA-64 ELF objects, records and relocations.

Objects are assembled at test time from tests/data/asm/*.s with
ia64-linux-gnu-as -x (as GCC runs it); broken objects are real ones with a few
bytes edited.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from asmtools import (
    ASM_DIR,
    READELF,
    assemble,
    link,
    needs_binutils,
    rela_entries,
    section_headers,
)
from pvcc import catalog, elf
from pvcc.objects import (
    R_IA64_DIR64LSB,
    R_IA64_PCREL21B,
    STT_SECTION,
    ObjectError,
    SymRef,
    load_object,
    open_object,
)

pytestmark = needs_binutils


def edited(path: Path, out: Path, edits: list[tuple[int, bytes]]) -> Path:
    data = bytearray(path.read_bytes())
    for off, b in edits:
        data[off:off + len(b)] = b
    out.write_bytes(bytes(data))
    return out


def record_offset(data: bytes, n: int = 0) -> int:
    return section_headers(data)[catalog.SECTION]["offset"] + n * catalog.RECORD_SIZE


# -- good objects --------------------------------------------------------------

def test_relocatable_record(tmp_path):
    obj = open_object(str(assemble(tmp_path, "good.s")))
    assert obj.kind == "ET_REL" and obj.relocatable and obj.constant_gp
    assert [s.name for s in obj.code_sections] == [".text"]
    (rec,) = obj.records
    text = obj.code_sections[0]
    assert rec.start == text.addr + 0x20 and rec.end == text.addr + 0x30
    assert rec.nbundles == 1
    assert rec.func == text.addr and obj.function_at(rec.start).name == "foo"
    assert rec.target == SymRef("paravirt_get_cpuid")
    assert (rec.type, rec.version, rec.conv, rec.nargs, rec.result) == (3, 1, 0, 1, 8)
    assert (rec.sol, rec.sof, rec.flags) == (4, 5, 0)
    assert rec.args == (0x80, 0, 0, 0, 0, 0, 0, 0)
    assert rec.reserved == bytes(12)
    assert obj.where(rec.start) == "foo+0x20"
    assert obj.compat is None


def test_code_relocation_of_the_call(tmp_path):
    obj = open_object(str(assemble(tmp_path, "good.s")))
    (rec,) = obj.records
    r = obj.code_reloc(rec.start + 2)          # br.call in slot 2: bundle + 2
    assert r is not None and r.type == R_IA64_PCREL21B
    assert r.type_name == "R_IA64_PCREL21B"
    assert r.value == SymRef("paravirt_get_cpuid")
    assert obj.code_relocs_in(rec.start, rec.end) == [r]
    # the call bundle's bytes read through the section
    assert len(obj.read(rec.start, 16)) == 16


def test_gp_flag(tmp_path):
    obj = open_object(str(assemble(tmp_path, "good.s", flags=())))
    assert not obj.constant_gp


def test_several_sites_and_compat(tmp_path):
    obj = open_object(str(assemble(tmp_path, "sites.s")))
    assert [catalog.type_name(r.type) for r in obj.records] == [
        "ssm_i", "set_rr0_to_rr4", "intrin_local_irq_restore", "getreg(ar.itc)", "get_cpuid"]
    assert [r.nbundles for r in obj.records] == [1, 4, 2, 1, 1]
    assert [(c.start, c.end, c.type) for c in obj.compat] == [
        (r.start, r.end, r.type) for r in obj.records]
    names = [f.name for f in obj.functions]
    assert names == ["bar", "baz", "plain"]


def test_sections_get_distinct_synthetic_bases(tmp_path):
    src = """
	.include "pvsite.inc"
	.section .text.one,"ax",@progbits
	.global one
	.proc one
	.type one, @function
one:
	.mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	.endp one
	.size one, .-one
	.section .text.two,"ax",@progbits
	.global two
	.proc two
	.type two, @function
two:
	.mii
	alloc r32 = ar.pfs, 0, 2, 0, 0
	mov r33 = b0
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_ssm_i ;;
	}
2:
	PVSITE two, paravirt_ssm_i, 9, 0, 0, 2, 2
	.mib
	nop.m 0
	mov b0 = r33
	br.ret.sptk.many b0 ;;
	.endp two
	.size two, .-two
"""
    obj = open_object(str(assemble(tmp_path, src)))
    one, two = (next(s for s in obj.code_sections if s.name == n) for n in (".text.one", ".text.two"))
    assert one.addr != two.addr and not (one.addr <= two.addr < one.end)
    assert one.addr % 16 == 0 and two.addr % 16 == 0
    (rec,) = obj.records
    assert obj.code_section_at(rec.start) is two
    assert rec.start == two.addr + 0x10
    assert obj.where(rec.start) == "two+0x10"
    assert obj.function_at(one.addr).name == "one"
    assert obj.function_at(rec.func).name == "two"


def test_linked_executable(tmp_path):
    objs = [assemble(tmp_path, "sites.s"), assemble(tmp_path, "stubs.s")]
    exe = open_object(str(link(tmp_path, objs, "sites.elf", "-e", "bar")))
    assert exe.kind == "ET_EXEC" and not exe.relocatable
    rel = open_object(str(objs[0]))
    assert len(exe.records) == len(rel.records) == 5
    funcs = {f.name: f for f in exe.functions}
    text = exe.code_section_at(funcs["bar"].addr)
    assert text.addr >= 0x4000000000000000
    for r, o in zip(exe.records, rel.records):
        # same offsets from the function start as in the .o
        f_r = exe.function_at(r.start)
        f_o = rel.function_at(o.start)
        assert f_r.name == f_o.name and r.start - f_r.addr == o.start - f_o.addr
        assert r.func == f_r.addr
        assert r.target == funcs[o.target.name].addr
    assert [(c.start, c.end) for c in exe.compat] == [(r.start, r.end) for r in exe.records]
    assert exe.code_relocs == {}


def test_linked_executable_segments_and_unwind(tmp_path):
    objs = [assemble(tmp_path, "sites.s"), assemble(tmp_path, "stubs.s")]
    path = link(tmp_path, objs, "sites.elf", "-e", "bar")
    exe = open_object(str(path))
    phdrs = subprocess.run([READELF, "-l", "-W", str(path)], check=True, capture_output=True,
                           text=True).stdout
    loads = [ln.split() for ln in phdrs.splitlines() if ln.split()[:1] == ["LOAD"]]
    assert [(s.offset, s.vaddr, s.filesz, s.memsz) for s in exe.segments] == [
        (int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[5], 16)) for f in loads]
    bar = next(f for f in exe.functions if f.name == "bar")
    base = exe.segment_base(bar.addr)
    assert base is not None and any(s.vaddr == base for s in exe.segments)
    assert exe.unwind_range_at(bar.addr) is None      # no unwind directives in sites.s
    assert open_object(str(objs[0])).segments == []


UNWOUND = """\
	.text
	.global g#
	.proc g#
g:
	.prologue
	.save ar.pfs, r32
	alloc r32 = ar.pfs, 0, 1, 0, 0
	.body
	;;
	nop.m 0
	mov ar.pfs = r32
	br.ret.sptk.many b0 ;;
	.endp g#
"""


def test_unwind_entry_covers_the_function(tmp_path):
    exe = open_object(str(link(tmp_path, [assemble(tmp_path, UNWOUND, "g")], "g.elf", "-e", "g")))
    (g,) = exe.functions
    assert exe.unwind_ranges() == [(g.addr - exe.segment_base(g.addr),
                                     g.end - exe.segment_base(g.addr))]
    assert exe.unwind_range_at(g.addr + 16) == (g.addr, g.end)
    assert exe.unwind_range_at(g.end) is None


def test_one_identity_check_for_the_toolchain_too(tmp_path):
    from pvcc import objects, toolchain

    good = assemble(tmp_path, "good.s")
    assert toolchain.is_ia64_object(good) == (True, "ELF64 LSB relocatable, IA-64")
    assert objects.identity_problem(good.read_bytes()) is None
    for data in (b"", b"\x7fELF\x01", Path("/bin/true").read_bytes()):
        bad = tmp_path / "bad"
        bad.write_bytes(data)
        assert toolchain.is_ia64_object(bad) == (False, objects.identity_problem(data))


def test_shared_object_dynamic_relocations(tmp_path):
    objs = [assemble(tmp_path, "good.s"), assemble(tmp_path, "stubs.s")]
    so = open_object(str(link(tmp_path, objs, "good.so", "-shared")))
    assert so.kind == "ET_DYN"
    (rec,) = so.records
    foo = next(f for f in so.functions if f.name == "foo")
    assert rec.start == foo.addr + 0x20 and rec.end == foo.addr + 0x30
    assert rec.func == foo.addr


def test_require_records(tmp_path):
    path = assemble(tmp_path, "stubs.s")
    obj = open_object(str(path))
    assert obj.records is None
    with pytest.raises(ObjectError, match=r"no \.pvcc_sites section"):
        open_object(str(path), require_records=True)


# -- unreadable input ------------------------------------------------------------

def one_line(e: pytest.ExceptionInfo, path) -> str:
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(path) + ": ")
    return msg


def test_missing_file(tmp_path):
    p = tmp_path / "nope.o"
    with pytest.raises(ObjectError) as e:
        open_object(str(p))
    one_line(e, p)


@pytest.mark.parametrize("content,match", [
    (b"", "not an ELF file|truncated"),
    (b"\x7fEL", "truncated"),
    (b"hello world\n" * 10, "not an ELF file"),
    (b"\x7fELF\x02\x01\x01" + bytes(20), "truncated"),
])
def test_not_elf(tmp_path, content, match):
    p = tmp_path / "bad.o"
    p.write_bytes(content)
    with pytest.raises(ObjectError, match=match) as e:
        open_object(str(p))
    one_line(e, p)


def test_foreign_elf():
    with pytest.raises(ObjectError, match=r"machine .*X86-64.*expected IA-64") as e:
        open_object("/bin/true")
    one_line(e, "/bin/true")


def test_elf32(tmp_path):
    src = tmp_path / "x.s"
    src.write_text("\t.text\n\tnop\n")
    p = tmp_path / "x32.o"
    if shutil.which("as"):
        subprocess.run(["as", "--32", str(src), "-o", str(p)], check=True)
    else:  # pragma: no cover
        good = assemble(tmp_path, "good.s")
        edited(good, p, [(4, b"\x01")])
    with pytest.raises(ObjectError, match="ELF32") as e:
        open_object(str(p))
    one_line(e, p)


def test_big_endian_and_machine(tmp_path):
    good = assemble(tmp_path, "good.s")
    with pytest.raises(ObjectError, match="little-endian"):
        open_object(str(edited(good, tmp_path / "be.o", [(5, b"\x02")])))
    with pytest.raises(ObjectError, match=r"\(62\), expected IA-64"):
        open_object(str(edited(good, tmp_path / "m.o", [(18, struct.pack("<H", 62))])))


def test_truncated_everywhere(tmp_path):
    good = assemble(tmp_path, "good.s")
    data = good.read_bytes()
    sh = section_headers(data)
    cuts = sorted({1, 4, 5, 16, 52, 63, 64, 100, len(data) // 2,
                   sh[catalog.SECTION]["offset"] + 8, sh[".rela" + catalog.SECTION]["offset"] + 30,
                   len(data) - 64, len(data) - 1})
    for cut in cuts:
        p = tmp_path / f"cut{cut}.o"
        p.write_bytes(data[:cut])
        with pytest.raises(ObjectError) as e:
            open_object(str(p))
        one_line(e, p)


def test_record_section_size(tmp_path):
    good = assemble(tmp_path, "good.s")
    data = good.read_bytes()
    sh = section_headers(data)[catalog.SECTION]
    bad = edited(good, tmp_path / "size.o", [(sh["hdr"] + elf.SHDR.offset("sh_size"),
                                                       struct.pack("<Q", 56))])
    with pytest.raises(ObjectError, match="size 0x38 is not a multiple of 64") as e:
        open_object(str(bad))
    one_line(e, bad)


def test_wrong_version(tmp_path):
    good = assemble(tmp_path, "good.s")
    bad = edited(good, tmp_path / "v2.o", [(record_offset(good.read_bytes()) + 36, b"\x02")])
    with pytest.raises(ObjectError, match="record 0 .*version 2, expected 1") as e:
        open_object(str(bad))
    one_line(e, bad)


def test_bad_relocation_type(tmp_path):
    good = assemble(tmp_path, "good.s")
    r = rela_entries(good.read_bytes(), catalog.SECTION)[0]
    assert r["type"] == R_IA64_DIR64LSB
    bad = edited(good, tmp_path / "rt.o", [(r["at"] + elf.RELA.offset("r_info"),
                                                     struct.pack("<I", 0x47))])
    with pytest.raises(ObjectError, match=r"relocation type R_IA64_0x47 at offset 0x0 "
                                          r"\(expected R_IA64_DIR64LSB\)"):
        open_object(str(bad))


def test_relocation_outside_section(tmp_path):
    good = assemble(tmp_path, "good.s")
    r = rela_entries(good.read_bytes(), catalog.SECTION)[1]
    bad = edited(good, tmp_path / "ro.o", [(r["at"] + elf.RELA.offset("r_offset"),
                                                     struct.pack("<Q", 0x1000))])
    with pytest.raises(ObjectError, match=r"offset 0x1000 is outside the section"):
        open_object(str(bad))


def test_relocation_on_a_non_address_field(tmp_path):
    good = assemble(tmp_path, "good.s")
    r = rela_entries(good.read_bytes(), catalog.SECTION)[1]
    bad = edited(good, tmp_path / "rf.o", [(r["at"] + elf.RELA.offset("r_offset"),
                                                     struct.pack("<Q", 32))])
    with pytest.raises(ObjectError, match="not on an address field"):
        open_object(str(bad))


def test_relocation_symbol_out_of_range(tmp_path):
    good = assemble(tmp_path, "good.s")
    r = rela_entries(good.read_bytes(), catalog.SECTION)[0]
    bad = edited(good, tmp_path / "rs.o", [(r["at"] + elf.RELA.offset("r_info") + 4,
                                                     struct.pack("<I", 999))])
    with pytest.raises(ObjectError, match="symbol 999, past the end of the symbol table"):
        open_object(str(bad))


def test_record_outside_text(tmp_path):
    good = assemble(tmp_path, "good.s")
    r = rela_entries(good.read_bytes(), catalog.SECTION)[0]   # start = .text + 0x20
    bad = edited(good, tmp_path / "out.o", [(r["at"] + elf.RELA.offset("r_addend"),
                                                      struct.pack("<q", 0x4000))])
    with pytest.raises(ObjectError, match="start .text\\+0x4000 is outside any executable section"):
        open_object(str(bad))


def test_record_pointing_at_data(tmp_path):
    src = (ASM_DIR / "good.s").read_text() + "\n\t.data\ndlabel:\tdata8 0\n"
    obj_path = assemble(tmp_path, src, name="data")
    # point the start relocation at the .data section symbol
    data = obj_path.read_bytes()
    r = rela_entries(data, catalog.SECTION)[0]
    symtab = section_headers(data)[".symtab"]
    syms = elf.SYM.iter_unpack(data[symtab["offset"]:symtab["offset"] + symtab["size"]])
    data_idx = section_headers(data)[".data"]["index"]
    sym = next(i for i, s in enumerate(syms)
               if elf.st_type(s.st_info) == STT_SECTION and s.st_shndx == data_idx)
    r_sym_at = r["at"] + elf.RELA.offset("r_info") + 4      # the high half of r_info
    bad = edited(obj_path, tmp_path / "d.o", [(r_sym_at, struct.pack("<I", sym)),
                                              (r["at"] + elf.RELA.offset("r_addend"),
                                               struct.pack("<q", 0))])
    with pytest.raises(ObjectError, match=r"start .data is outside any executable section"):
        open_object(str(bad))


def test_record_section_not_allocated(tmp_path):
    p = assemble(tmp_path, "\t.section .pvcc_sites,\"\"\n\tdata8 0\n", name="na")
    with pytest.raises(ObjectError, match="not allocated"):
        open_object(str(p))


def test_load_object_from_bytes(tmp_path):
    good = assemble(tmp_path, "good.s")
    obj = load_object("mem.o", good.read_bytes())
    assert len(obj.records) == 1
    with pytest.raises(ObjectError, match="^mem.o: "):
        load_object("mem.o", good.read_bytes()[:200])
