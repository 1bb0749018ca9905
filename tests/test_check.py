"""pvcc.check (the site contract: docs/contract.md), pvcc-check (CLI), pvcc.patch (--patch).

Good objects are assembled from tests/data/asm with ia64-linux-gnu-as -x; each
broken object is a real one with a few bytes edited (a slot, a template, a
relocation, a record byte), so every rule is shown to reject what it should.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from asmtools import ASM_DIR, OBJDUMP, assemble, link, needs_binutils, rela_entries, section_headers
from helpers import compile_c
from pvcc import catalog, elf, ia64
from pvcc.check import check_file, violations_of
from pvcc.check_cli import main
from pvcc.objects import ObjectError, open_object

pytestmark = needs_binutils


def symbol_index(data: bytes, name: str) -> int:
    sh = section_headers(data)
    symtab, strtab = sh[".symtab"], sh[".strtab"]
    syms = elf.SYM.iter_unpack(data[symtab["offset"]:symtab["offset"] + symtab["size"]])
    for i, sym in enumerate(syms):
        n = sym.st_name
        end = data.index(b"\0", strtab["offset"] + n)
        if data[strtab["offset"] + n:end].decode() == name:
            return i
    raise KeyError(name)


class Editor:
    """Byte edits on a copy of a real object."""

    def __init__(self, path: Path):
        self.data = bytearray(path.read_bytes())
        self.sh = section_headers(bytes(self.data))

    def bundle_off(self, text_off: int, section: str = ".text") -> int:
        return self.sh[section]["offset"] + text_off

    def slot(self, text_off: int, slot: int, fn) -> Editor:
        off = self.bundle_off(text_off)
        b = ia64.decode_bundle(bytes(self.data[off:off + 16]))
        slots = list(b.slots)
        slots[slot] = fn(slots[slot])
        self.data[off:off + 16] = ia64.encode_bundle(b.template, tuple(slots))
        return self

    def raw_slot(self, text_off: int, slot: int) -> int:
        off = self.bundle_off(text_off)
        return ia64.decode_bundle(bytes(self.data[off:off + 16])).slots[slot]

    def template(self, text_off: int, t: int) -> Editor:
        off = self.bundle_off(text_off)
        self.data[off] = (self.data[off] & ~0x1F) | t
        return self

    def record(self, n: int, field_off: int, value: bytes) -> Editor:
        off = self.sh[catalog.SECTION]["offset"] + n * catalog.RECORD_SIZE + field_off
        self.data[off:off + len(value)] = value
        return self

    def rela(self, section: str, n: int, *, sym: int | None = None,
             addend: int | None = None, rtype: int | None = None) -> Editor:
        e = rela_entries(bytes(self.data), section)[n]
        if sym is not None or rtype is not None:
            info = ((e["sym"] if sym is None else sym) << 32) | (
                e["type"] if rtype is None else rtype)
            at = e["at"] + elf.RELA.offset("r_info")
            self.data[at:at + 8] = struct.pack("<Q", info)
        if addend is not None:
            at = e["at"] + elf.RELA.offset("r_addend")
            self.data[at:at + 8] = struct.pack("<q", addend)
        return self

    def write(self, out: Path) -> Path:
        out.write_bytes(bytes(self.data))
        return out


NOP_I = 0x00008000000
NOP_M = 0x00008000000


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    wrapper = str(Path(__file__).resolve().parent.parent / "wrapper")
    env["PYTHONPATH"] = wrapper + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "pvcc.check_cli", *args],
                          check=False, capture_output=True, text=True, env=env)


@pytest.fixture
def good(tmp_path) -> Path:
    return assemble(tmp_path, "good.s")


@pytest.fixture
def sites(tmp_path) -> Path:
    return assemble(tmp_path, "sites.s")


# Layout of good.s (.text offsets): 0x00 alloc [MII], 0x10 [MMI;;], 0x20 the call
# [MIB;;], 0x30 [MII] mov r1=r35; adds r8=1,r8; mov ar.pfs=r34, 0x40 [MIB;;] mov b0=r33; br.ret


# -- good objects ---------------------------------------------------------------

def test_good_object_passes(good):
    assert violations_of(str(good)) == []
    rep = check_file(str(good))
    assert len(rep.records) == 1 and rep.by_type == {"get_cpuid": 1}
    assert rep.functions == ["foo"] and rep.ok


def test_good_object_without_constant_gp_passes(tmp_path):
    # foo reloads gp (mov r1=r35) after the site, as GCC does without -mconstant-gp
    assert violations_of(str(assemble(tmp_path, "good.s", flags=()))) == []


def test_all_site_types_and_sizes_pass(sites):
    rep = check_file(str(sites))
    assert rep.violations == []
    assert rep.by_type == {"ssm_i": 1, "set_rr0_to_rr4": 1, "intrin_local_irq_restore": 1,
                           "getreg(ar.itc)": 1, "get_cpuid": 1}
    assert rep.functions == ["bar", "baz"]


def test_linked_executable_passes(tmp_path, sites):
    exe = link(tmp_path, [sites, assemble(tmp_path, "stubs.s")], "sites.elf", "-e", "bar")
    rep = check_file(str(exe))
    assert rep.violations == [] and len(rep.records) == 5


def test_object_without_sites_is_fine(tmp_path):
    rep = check_file(str(assemble(tmp_path, "stubs.s")))
    assert rep.ok and rep.records == [] and not rep.has_section


# -- rule 1: the region --------------------------------------------------------

def test_region_not_isolated(tmp_path, good):
    ed = Editor(good)
    adds = ed.raw_slot(0x30, 1)                  # adds r8=1,r8 (I unit)
    bad = ed.slot(0x20, 1, lambda _: adds).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid is not isolated: slot 1 holds 'adds r8=1,r8'"]


def test_region_not_isolated_in_reserved_bundle(tmp_path, sites):
    ed = Editor(sites)
    mov = ed.raw_slot(0x20, 1)                   # mov r37=r32 (I unit)
    bad = ed.slot(0x60, 2, lambda _: mov).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: bar+0x60: error: site of set_rr0_to_rr4 is not isolated: slot 2 holds "
        f"'mov r37=r32'")]


def test_no_stop_before_region(tmp_path, good):
    bad = Editor(good).template(0x10, 0x08).write(tmp_path / "x.o")     # MMI;; -> MMI
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: no stop before the region"]


def test_no_stop_after_region(tmp_path, good):
    bad = Editor(good).template(0x20, 0x10).write(tmp_path / "x.o")     # MIB;; -> MIB
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: no stop after the region"]


def test_region_size_differs_from_catalog(tmp_path, sites):
    # record 1 is set_rr0_to_rr4 (4 bundles at bar+0x40); make its end bar+0x60
    ed = Editor(sites)
    e = rela_entries(bytes(ed.data), catalog.SECTION)
    end = next(i for i, r in enumerate(e) if r["offset"] == 64 + 8)
    bad = ed.rela(catalog.SECTION, end, addend=0x60).write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert (f"{bad}: bar+0x40: error: site of set_rr0_to_rr4: region is 2 bundle(s), the catalog "
            f"reserves 4") in v
    assert f"{bad}: bar+0x50: error: site of set_rr0_to_rr4: no stop after the region" in v


def test_region_not_bundle_aligned(tmp_path, good):
    bad = Editor(good).rela(catalog.SECTION, 0, addend=0x21).write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert any("is not made of whole bundles" in x for x in v), v


def test_call_predicated(tmp_path, good):
    bad = Editor(good).slot(0x20, 2, lambda r: r | 6).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: the br.call is predicated (p6)"]


def test_call_to_another_target(tmp_path, good):
    ed = Editor(good)
    bad = ed.rela(".text", 0, sym=symbol_index(bytes(ed.data), "foo")).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid calls foo, the record says paravirt_get_cpuid"]


def test_no_transfer(tmp_path, good):
    bad = Editor(good).slot(0x20, 2, lambda _: 0x04000000000).write(tmp_path / "x.o")  # nop.b
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: no br.call in the first bundle of the region"]


def br_cond(disp_bundles: int) -> int:
    """B1 `br.cond.sptk.few` to bundle + disp_bundles*16 (Itanium SDM vol. 3, format B1)."""
    imm = disp_bundles & 0x1FFFFF
    return (4 << 37) | ((imm >> 20) << 36) | ((imm & 0xFFFFF) << 13)


def test_branch_into_the_middle_of_a_region(tmp_path, sites):
    # bar+0xe0 [MIB]: its br.ret becomes a br.cond to bar+0x60, inside set_rr0_to_rr4's region
    bad = Editor(sites).slot(0xE0, 2, lambda _: br_cond((0x60 - 0xE0) // 16)).write(
        tmp_path / "x.o")
    v = violations_of(str(bad))
    assert (f"{bad}: bar+0xe0: error: branch into the middle of the site of set_rr0_to_rr4 "
            f"(to bar+0x60)") in v, v
    ok = Editor(sites).slot(0xE0, 2, lambda _: br_cond((0x40 - 0xE0) // 16)).write(
        tmp_path / "y.o")               # to the start of the region: fine
    assert not [x for x in violations_of(str(ok)) if "branch into" in x]


def test_record_outside_any_function(tmp_path):
    src = (ASM_DIR / "good.s").read_text().replace(".size foo, .-foo", ".size foo, 16")
    v = violations_of(str(assemble(tmp_path, src, name="nofunc")))
    assert any("site of get_cpuid is not inside any function" in x for x in v), v


# -- rule 2: the frame -----------------------------------------------------------

def set_sof(raw: int, sof: int) -> int:
    return (raw & ~(0x7F << 13)) | (sof << 13)


def test_alloc_with_too_few_outputs(tmp_path, good):
    bad = Editor(good).slot(0x00, 0, lambda r: set_sof(r, 4)).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x0: error: alloc of foo reserves 0 output register(s), site of get_cpuid "
        f"at foo+0x20 needs 1"),
        (f"{bad}: foo+0x20: error: site of get_cpuid records sol 4, sof 5; the alloc of foo has "
        f"sol 4, sof 4"),
    ]


def test_record_frame_differs_from_alloc(tmp_path, good):
    bad = Editor(good).record(0, 41, b"\x07").write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x20: error: site of get_cpuid records sol 4, sof 7; the alloc of foo has "
        f"sol 4, sof 5")]


def test_missing_b0_restore(tmp_path, good):
    bad = Editor(good).slot(0x40, 1, lambda _: NOP_I).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x40: error: foo does not restore b0 before this br.ret "
        f"(site of get_cpuid at foo+0x20)")]


def test_b0_restored_from_wrong_register(tmp_path, good):
    bad = Editor(good).slot(0x40, 1, lambda r: (r & ~(0x7F << 13)) | (34 << 13)).write(
        tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x40: error: foo restores b0 from r34 before this br.ret, but saved it in r33"]


def test_b0_not_saved(tmp_path, good):
    bad = Editor(good).slot(0x00, 1, lambda _: NOP_I).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: foo does not save b0 before the site"]


def test_b0_saved_in_scratch_register(tmp_path, good):
    bad = Editor(good).slot(0x00, 1, lambda r: (r & ~(0x7F << 6)) | (2 << 6)).write(
        tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x0: error: foo saves b0 in r2, which the callee of get_cpuid may overwrite"]


def test_b0_spilled_to_memory_is_accepted(sites):
    # baz: mov r2=b0; st8 [r12]=r2 ... ld8 r2=[r12]; mov b0=r2
    rep = check_file(str(sites))
    assert not [v for v in rep.violations if "baz" in v.where]


def test_ar_pfs_not_restored(tmp_path, good):
    bad = Editor(good).slot(0x30, 2, lambda _: NOP_I).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x40: error: foo does not restore ar.pfs before this br.ret "
        f"(site of get_cpuid at foo+0x20)")]


def test_ar_pfs_in_scratch_register(tmp_path, good):
    bad = Editor(good).slot(0x00, 0, lambda r: (r & ~(0x7F << 6)) | (16 << 6)).write(
        tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x0: error: foo keeps ar.pfs in r16, not in a local (r32..r35) nor in "
        f"memory; the callee may overwrite it"),
        (f"{bad}: foo+0x40: error: foo restores ar.pfs from r34 before this br.ret, but its alloc "
        f"saved it in r16"),
    ]


# More values live across the site than stacked locals hold: GCC saves ar.pfs through a
# scratch register to the memory stack (found by the proof campaign, csmith seed 265 -O3).
MANY_LIVE_C = "\n".join([
    "#include <pvcc/paravirt.h>", "unsigned long many_live(unsigned long *p)", "{",
    "\tunsigned long " + ", ".join(f"v{i} = p[{i}]" for i in range(110)) + ";",
    "\tparavirt_fc((unsigned long)p);",
    "\treturn " + " ^ ".join(f"v{i} * {2 * i + 1}" for i in range(110)) + ";", "}", ""])


@pytest.mark.parametrize("level", ["-O1", "-O2", "-Os"])
def test_ar_pfs_saved_in_memory(gcc, plugin_so, include_dir, tmp_path, level):
    obj = compile_c(gcc, plugin_so, include_dir, tmp_path, "many", MANY_LIVE_C, level)
    o = open_object(str(obj))
    f = next(fn for fn in o.functions if fn.name == "many_live")
    insns = [(b.addr, n, i) for b in ia64.iter_bundles(o.read(f.addr, f.end - f.addr), f.addr)
             for n, i in enumerate(b.insns)]
    alloc = next(i for _, _, i in insns if i.op == "alloc")
    pfs = alloc.fields["r1"]
    assert pfs < 32         # not a local: every stacked register is taken
    assert violations_of(str(obj)) == []
    # the store that saves it, removed: ar.pfs now only lives in a scratch register
    addr, slot = next((a, n) for a, n, i in insns
                      if i.op.startswith("st8") and i.fields.get("r2") == pfs)
    bad = Editor(obj).slot(addr - f.addr, slot, lambda _: NOP_M).write(tmp_path / "x.o")
    assert f"many_live keeps ar.pfs in r{pfs}, not in a local (r32..r119) nor in memory" in \
        " ".join(violations_of(str(bad)))


def test_no_alloc(tmp_path, good):
    bad = Editor(good).slot(0x00, 0, lambda _: NOP_M).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: foo+0x20: error: site of get_cpuid: foo has no alloc before the site"]


def test_gp_not_reloaded_without_constant_gp(tmp_path):
    v = violations_of(str(assemble(tmp_path, "sites.s", flags=())))
    # the first three sites of bar are followed by another call; the last one and
    # baz's only by a return (gp is not preserved for the caller)
    assert [x.split(": error: ")[1] for x in v] == [
        f"site of {name}: gp (r1) is not reloaded after the site before its use at {use} "
        f"(object not compiled with -mconstant-gp)"
        for name, use in (("ssm_i", "bar+0x40"), ("set_rr0_to_rr4", "bar+0x90"),
                          ("intrin_local_irq_restore", "bar+0xc0"))]
    ed = Editor(assemble(tmp_path, "good.s", flags=()))
    bad = ed.slot(0x30, 0, lambda _: NOP_M).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == []    # no reload, but nothing uses gp again


def _gp_function(name: str, after: str) -> str:
    """Function NAME: a get_cpuid site as good.s has it, then AFTER (gp saved in r35)."""
    return f"""
	.global {name}
	.proc {name}
{name}:
	alloc r34 = ar.pfs, 1, 3, 1, 0
	mov r33 = b0
	mov r35 = r1
	mov r36 = r32 ;;
1:
	{{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_get_cpuid ;;
	}}
2:
	PVSITE {name}, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80
{after}
	.endp {name}
"""


_RETURN = "\tmov ar.pfs = r34\n\tmov b0 = r33 ;;\n\tbr.ret.sptk.many b0 ;;"
GP_PATHS = {
    # name: (code after the site, whether gp is used before it is reloaded)
    "reads_gp": (f"\tadds r14 = 8, r1 ;;\n{_RETURN}", True),
    "calls": ("\tbr.call.sptk.many b0 = helper ;;\n" + _RETURN, True),
    "reloads_then_calls": ("\tmov r1 = r35 ;;\n\tbr.call.sptk.many b0 = helper ;;\n"
                           + _RETURN, False),
    "returns": (_RETURN, False),
    "loops_forever": ("3:\tld4.acq r14 = [r32] ;;\n\tbr.few 3b ;;", False),
    "skips_the_reload": ("\tcmp.eq p6, p7 = 0, r32 ;;\n\t(p6) br.cond.dptk 4f ;;\n"
                         "\tmov r1 = r35 ;;\n4:\tadds r14 = 8, r1 ;;\n" + _RETURN, True),
    "reloads_on_both_paths": ("\tcmp.eq p6, p7 = 0, r32 ;;\n\t(p6) br.cond.dptk 4f ;;\n"
                              "\tmov r1 = r35 ;;\n\tbr.few 5f ;;\n4:\tmov r1 = r35 ;;\n"
                              "5:\tadds r14 = 8, r1 ;;\n" + _RETURN, False),
    "reloads_under_a_predicate": ("\tcmp.eq p6, p7 = 0, r32 ;;\n\t(p6) mov r1 = r35 ;;\n"
                                  "\tadds r14 = 8, r1 ;;\n" + _RETURN, True),
    "branches_indirectly": ("\tmov b6 = r32 ;;\n\tbr.cond.sptk.many b6 ;;", True),
}


def test_gp_must_be_reloaded_only_where_it_is_used(tmp_path):
    """Without -mconstant-gp the callee may leave its own gp in r1: every path from
    the site must reload gp before it reads r1, calls, or transfers to an unknown
    target; a path that ends in br.ret or never uses gp again needs no reload."""
    src = '\t.include "pvsite.inc"\n\t.text\n\t.align 16\n' + "".join(
        _gp_function(name, after) for name, (after, _) in GP_PATHS.items())
    obj = assemble(tmp_path, src, name="gp_paths", flags=())
    got = {x.split(": error: ")[0].split(": ")[1].split("+")[0] for x in violations_of(str(obj))}
    assert got == {name for name, (_, used) in GP_PATHS.items() if used}


# -- rule 3: the record fields -------------------------------------------------------

@pytest.mark.parametrize("off,value,message", [
    (32, struct.pack("<I", 0x99), "site has unknown type 0x99"),
    (32, struct.pack("<I", catalog.GETREG_BASE + catalog.REG_IP),
     "site of getreg(ip): register 1016: the instruction pointer is never paravirtualized"),
    (37, b"\x02", "site of get_cpuid has unknown convention 2"),
    # a C site whose record claims the light convention (its argument 0 may be in any
    # register, out0 too: the light transfer would move it; but there is none)
    (37, b"\x01", ("site of get_cpuid is not isolated: slot 2 holds "
                    "'br.call.sptk.many b0=0x10020'")),
    (37, b"\x01", ("site of get_cpuid: the last bundle of a light region must hold exactly "
                   "'mov r2=ip' and one br.cond")),
    (38, b"\x02", "site of get_cpuid records 2 arguments, get_cpuid takes 1"),
    (39, b"\x00", "site of get_cpuid records result register 0, expected 8"),
    (48, b"\x81", "site of get_cpuid: argument 0 is out1, the C convention puts it in out0"),
    (49, b"\x81", "site of get_cpuid: unused argument byte 1 is 0x81, expected 0"),
    (42, b"\x04", "site of get_cpuid: reserved flag bits set (0x4)"),
    (42, b"\x02", "site of get_cpuid: flag srlz.d on a c-call site (light only)"),
    (44, b"\x01", "site of get_cpuid: reserved bytes are not zero"),
    (60, b"\x01", "site of get_cpuid: reserved bytes are not zero"),
])
def test_record_fields(tmp_path, good, off, value, message):
    bad = Editor(good).record(0, off, value).write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert f"{bad}: foo+0x20: error: {message}" in v, v


def test_flag_inlined_is_fine(tmp_path, good):
    assert violations_of(str(Editor(good).record(0, 42, b"\x01").write(tmp_path / "x.o"))) == []


def test_record_func_is_not_the_function(tmp_path, good):
    bad = Editor(good).rela(catalog.SECTION, 2, addend=0x10).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: foo+0x20: error: site of get_cpuid: record says func foo+0x10, the site is "
        f"in foo")]


# -- rule 4: completeness, overlaps, compat ----------------------------------------------

def test_overlapping_records(tmp_path, sites):
    # record 2 (intrin_local_irq_restore at bar+0x90) made to start at bar+0x70,
    # inside record 1 (set_rr0_to_rr4, bar+0x40..0x80)
    ed = Editor(sites)
    e = rela_entries(bytes(ed.data), catalog.SECTION)
    start = next(i for i, r in enumerate(e) if r["offset"] == 128)
    bad = ed.rela(catalog.SECTION, start, addend=0x70).write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert (f"{bad}: bar+0x70: error: site of intrin_local_irq_restore (record 2) overlaps the "
            f"site of set_rr0_to_rr4 (record 1) at bar+0x40") in v


def test_duplicate_record_overlaps(tmp_path):
    src = (ASM_DIR / "good.s").read_text().replace(
        "PVSITE foo, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80",
        "PVSITE foo, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80\n"
        "\tPVSITE foo, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80")
    p = assemble(tmp_path, src, name="dup")
    assert violations_of(str(p)) == [
        (f"{p}: foo+0x20: error: site of get_cpuid (record 1) overlaps the site of get_cpuid "
        f"(record 0) at foo+0x20")]


def test_call_outside_any_region(tmp_path, sites):
    # plain's br.call helper (PCREL21B at plain+0x10+2) redirected to paravirt_get_cpuid
    ed = Editor(sites)
    e = rela_entries(bytes(ed.data), ".text")
    helper = symbol_index(bytes(ed.data), "helper")
    n = next(i for i, r in enumerate(e) if r["sym"] == helper)
    bad = ed.rela(".text", n, sym=symbol_index(bytes(ed.data), "paravirt_get_cpuid")).write(
        tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        f"{bad}: plain+0x10: error: call of paravirt_get_cpuid is not inside any recorded site"]


def test_call_of_implementation_without_any_record(tmp_path):
    src = (ASM_DIR / "good.s").read_text().replace(
        "PVSITE foo, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80", "")
    p = assemble(tmp_path, src, name="norec")
    assert violations_of(str(p)) == [
        f"{p}: foo+0x20: error: call of paravirt_get_cpuid is not inside any recorded site"]


def test_call_outside_region_in_linked_file(tmp_path, sites):
    ed = Editor(sites)
    e = rela_entries(bytes(ed.data), ".text")
    helper = symbol_index(bytes(ed.data), "helper")
    n = next(i for i, r in enumerate(e) if r["sym"] == helper)
    bad = ed.rela(".text", n, sym=symbol_index(bytes(ed.data), "paravirt_ssm_i")).write(
        tmp_path / "x.o")
    exe = link(tmp_path, [bad, assemble(tmp_path, "stubs.s")], "x.elf", "-e", "bar")
    assert violations_of(str(exe)) == [
        f"{exe}: plain+0x10: error: call of paravirt_ssm_i is not inside any recorded site"]


def test_compat_mismatch(tmp_path, sites):
    data = sites.read_bytes()
    off = section_headers(data)[catalog.COMPAT_SECTION]["offset"] + 16   # record 0 type
    bad = tmp_path / "x.o"
    bad.write_bytes(data[:off] + struct.pack("<Q", 10) + data[off + 8:])
    assert violations_of(str(bad)) == [
        f"{bad}: bar+0x10: error: site of ssm_i has no matching .paravirt_bundles record",
        f"{bad}: bar+0x10: error: .paravirt_bundles record 0 (rsm_i) matches no .pvcc_sites record",
    ]


# -- unreadable input: ObjectError in the API, exit 2 in the CLI ----------------------------

def test_api_raises_object_error(tmp_path, good):
    bad = Editor(good).record(0, 36, b"\x02").write(tmp_path / "v.o")
    with pytest.raises(ObjectError, match="version 2, expected 1"):
        violations_of(str(bad))


def assert_cli_error(path, *extra, match: str = "") -> str:
    r = run_cli(*extra, str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"pvcc-check: error: {path}: "), lines[0]
    assert match in lines[0], lines[0]
    return lines[0]


def test_cli_truncated(tmp_path, good):
    data = good.read_bytes()
    for cut in (0, 3, 10, 64, 200, len(data) // 2, len(data) - 100, len(data) - 1):
        p = tmp_path / f"cut{cut}.o"
        p.write_bytes(data[:cut])
        assert_cli_error(p)


def test_cli_bad_inputs(tmp_path, good):
    txt = tmp_path / "notelf.o"
    txt.write_text("int main;\n")
    assert_cli_error(txt, match="not an ELF file")
    assert_cli_error("/bin/true", match="expected IA-64")
    assert_cli_error(tmp_path / "missing.o", match="No such file")
    src = tmp_path / "x.s"
    src.write_text("\t.text\n\tnop\n")
    if shutil.which("as"):
        subprocess.run(["as", "--32", str(src), "-o", str(tmp_path / "x32.o")], check=True)
        assert_cli_error(tmp_path / "x32.o", match="ELF32")
    stubs = assemble(tmp_path, "stubs.s")
    assert_cli_error(stubs, "--require-sites", match="no .pvcc_sites section")
    sh = section_headers(good.read_bytes())[catalog.SECTION]
    ed = Editor(good)
    size_at = sh["hdr"] + elf.SHDR.offset("sh_size")
    ed.data[size_at:size_at + 8] = struct.pack("<Q", 40)
    assert_cli_error(ed.write(tmp_path / "size.o"), match="not a multiple of 64")
    assert_cli_error(Editor(good).record(0, 36, b"\x02").write(tmp_path / "v.o"),
                     match="version 2, expected 1")
    assert_cli_error(Editor(good).rela(catalog.SECTION, 0, addend=0x4000).write(
        tmp_path / "o.o"), match="outside any executable section")


def test_cli_good_table(good, sites):
    r = run_cli(str(good), str(sites))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0].split()[:5] == ["FILE", "TYPE", "SITES", "FUNCS", "VIOLATIONS"]
    assert lines[1].split()[:5] == [str(good), "ET_REL", "1", "1", "0"]
    assert "get_cpuid 1" in lines[1]
    assert lines[2].split()[:5] == [str(sites), "ET_REL", "5", "2", "0"]


def test_cli_violations_exit_1(tmp_path, good):
    bad = Editor(good).slot(0x40, 1, lambda _: NOP_I).write(tmp_path / "x.o")
    r = run_cli(str(good), str(bad))
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        (f"{bad}: foo+0x40: error: foo does not restore b0 before this br.ret "
        f"(site of get_cpuid at foo+0x20)")]
    assert "Traceback" not in r.stderr


def test_cli_json(tmp_path, good):
    bad = Editor(good).slot(0x40, 1, lambda _: NOP_I).write(tmp_path / "x.o")
    junk = tmp_path / "junk.o"
    junk.write_bytes(b"\x7fELF")
    r = run_cli("--json", str(good), str(bad), str(junk))
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert doc["summary"] == {"objects": 3, "sites": 2, "violations": 1, "errors": 1}
    g, b, j = doc["objects"]
    assert g["ok"] and g["sites"] == 1 and g["by_type"] == {"get_cpuid": 1}
    assert g["functions"] == ["foo"] and g["type"] == "ET_REL"
    assert b["violations"][0]["rule"] == "frame" and b["violations"][0]["where"] == "foo+0x40"
    assert j["error"].startswith(f"{junk}: ")
    assert r.stderr.splitlines() == [f"pvcc-check: error: {j['error']}"]


def test_cli_in_process(good, capsys):
    assert main([str(good)]) == 0
    assert "get_cpuid 1" in capsys.readouterr().out


def test_console_script_if_installed(good):
    exe = shutil.which("pvcc-check")
    if exe is None:
        pytest.skip("pvcc-check console script not installed")
    r = subprocess.run([exe, str(good)], check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# -- real objects from the plugin (the conftest fixtures provide GCC and the plugin) ----------

# every intrinsic of the catalog once (the all_types testcase), plus a leaf and a
# function that calls around a site
EVERY_C = (Path(__file__).parent.parent / "testcases" / "all_types" / "input.c").read_text() + """

unsigned long leaf(int i)
{
	return paravirt_get_cpuid(i) + 1;
}

extern void other(unsigned long);

void twice(unsigned long x)
{
	other(x);
	paravirt_ssm_i();
	other(paravirt_get_psr_i());
}
"""


@pytest.fixture(scope="module")
def real(gcc, plugin_so, include_dir, tmp_path_factory) -> Path:
    return compile_c(gcc, plugin_so, include_dir, tmp_path_factory.mktemp("real"), "every",
                     EVERY_C, "-O2", "-mconstant-gp", "-fplugin-arg-pvcc-compat-bundles")


@pytest.mark.parametrize("opts", [
    ("-O0",), ("-O2",), ("-O2", "-mconstant-gp"), ("-Os", "-mconstant-gp"),
    ("-O3", "-fplugin-arg-pvcc-compat-bundles"),
])
def test_real_objects_pass(gcc, plugin_so, include_dir, tmp_path, opts):
    obj = compile_c(gcc, plugin_so, include_dir, tmp_path, "every", EVERY_C, *opts)
    rep = check_file(str(obj))
    assert [str(v) for v in rep.violations] == []
    assert len(rep.records) == 18
    assert rep.functions == ["every", "leaf", "twice"]
    assert rep.by_type["get_cpuid"] == 2 and rep.by_type["setreg(cr.tpr)"] == 1


def real_site(path: Path, type_id: int):
    obj = open_object(str(path))
    rec = next(r for r in obj.records if r.type == type_id)
    text = obj.code_section_at(rec.start)
    return obj, rec, rec.start - text.addr


def test_real_object_not_isolated(tmp_path, real):
    obj, rec, off = real_site(real, 3)
    ed = Editor(real)
    first = ia64.decode_bundle(obj.read(obj.functions[0].addr, 16))
    prologue = first.insns[1]            # every+0x0 slot 1: the I-unit `mov rX=b0`
    assert prologue.op == "mov.from.br"
    bad = ed.slot(off, 1, lambda _: prologue.raw).write(tmp_path / "x.o")
    assert violations_of(str(bad)) == [
        (f"{bad}: {obj.where(rec.start)}: error: site of get_cpuid is not isolated: slot 1 "
        f"holds '{prologue.text()}'")]


def test_real_object_alloc_too_small(tmp_path, real):
    obj, rec, _ = real_site(real, 3)
    f = obj.function_at(rec.start)
    text = obj.code_section_at(f.addr)
    ed = Editor(real)
    alloc = ia64.decode_bundle(obj.read(f.addr, 16)).insns[0]
    assert alloc.op == "alloc"
    sol = alloc.fields["sol"]
    bad = ed.slot(f.addr - text.addr, 0, lambda r: set_sof(r, sol)).write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert f"{bad}: {f.name}+0x0: error: alloc of {f.name} reserves 0 output register(s), " \
           f"site of fc at {f.name}+0x10 needs 1" in v, v


def test_real_object_lost_record(tmp_path, real):
    # make the get_cpuid record describe the thash site: the cpuid call is then uncovered
    obj, rec, _ = real_site(real, 3)
    thash = next(r for r in obj.records if r.type == 2)
    ed = Editor(real)
    rel = rela_entries(bytes(ed.data), catalog.SECTION)
    base = rec.index * catalog.RECORD_SIZE
    text = obj.code_section_at(rec.start)
    for i, r in enumerate(rel):
        if r["offset"] in (base, base + 8):
            ed.rela(catalog.SECTION, i,
                    addend=thash.start - text.addr + (16 if r["offset"] == base + 8 else 0))
    bad = ed.write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert (f"{bad}: {obj.where(rec.start)}: error: call of paravirt_get_cpuid is not inside any "
            f"recorded site") in v, v
    assert any("overlaps the site of thash" in x for x in v), v


# -- --patch native ---------------------------------------------------------------------

def objdump_region(path: Path, start: int, end: int, func: str) -> list[str]:
    """objdump -d instruction texts of [func+start, func+end), normalized like ia64.Insn.text()."""
    import re
    out = subprocess.run([OBJDUMP, "-d", str(path)], check=True, capture_output=True,
                         text=True).stdout
    lines, in_func = [], False
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            in_func = m.group(1) == func
            base = None
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\[\w+\])?\s*(.*)$", line)
        if not (in_func and m):
            continue
        addr = int(m.group(1), 16)
        if base is None:
            base = addr
        if start <= addr - base < end:
            text = re.sub(r"\(p0*(\d+)\)", r"(p\1)", m.group(3)).replace(";;", "").strip()
            lines.append(re.sub(r"\s+", " ", text))
    return lines


def check_patched(src: Path, out: Path) -> None:
    """Every region of OUT, read back by objdump, is the native code pvcc decoded."""
    from pvcc import patch
    orig = open_object(str(src))
    new = open_object(str(out))
    assert len(new.records) == len(orig.records)
    for rec in new.records:
        f = new.function_at(rec.start)
        code = new.read(rec.start, rec.end - rec.start)
        ours = [i.text() for off in range(0, len(code), 16)
                for i in ia64.decode_bundle(code[off:off + 16], rec.start + off).insns]
        theirs = objdump_region(out, rec.start - f.addr, rec.end - f.addr, f.name)
        assert theirs == ours, (catalog.type_name(rec.type), theirs, ours)
        assert not any(x.startswith("br") for x in theirs)
        assert patch.code_mismatch(rec.type, patch.physical_args(rec), rec.result,
                                   [i for off in range(0, len(code), 16)
                                    for i in ia64.decode_bundle(code[off:off + 16]).insns]) is None
        # no relocation may write into the native code at link time
        assert all(r.type == 0 for r in new.code_relocs_in(rec.start, rec.end))


@pytest.mark.skipif(OBJDUMP is None, reason="needs ia64-linux-gnu-objdump")
def test_patch_good_object(tmp_path, good):
    out = tmp_path / "native.o"
    before = good.read_bytes()
    r = run_cli("--patch", "native", "-o", str(out), str(good))
    assert r.returncode == 0, r.stderr
    assert "foo+0x20: get_cpuid: mov r8=cpuid[r36]" in r.stdout
    assert good.read_bytes() == before
    assert objdump_region(out, 0x20, 0x30, "foo") == ["mov r8=cpuid[r36]", "nop.i 0x0",
                                                      "nop.i 0x0"]
    check_patched(good, out)
    relocs = subprocess.run([OBJDUMP, "-r", "-j", ".text", str(out)], check=True,
                            capture_output=True, text=True).stdout
    assert "PCREL21B" not in relocs


@pytest.mark.skipif(OBJDUMP is None, reason="needs ia64-linux-gnu-objdump")
def test_patch_every_type_and_size(tmp_path, sites):
    out = tmp_path / "native.o"
    r = run_cli("--patch", "native", "-o", str(out), str(sites))
    assert r.returncode == 0, r.stderr
    check_patched(sites, out)
    text = objdump_region(out, 0, 0xF0, "bar")
    assert "ssm 0x4000" in text and "mov.m r8=ar.itc" in text
    assert [x for x in text if x.startswith("mov rr[")] == [
        "mov rr[r0]=r36", "mov rr[r2]=r37", "mov rr[r3]=r38", "mov rr[r2]=r39", "mov rr[r3]=r40"]
    assert "mov r8=cpuid[r34]" in objdump_region(out, 0x20, 0x30, "baz")   # baz: sol 2


@pytest.mark.skipif(OBJDUMP is None, reason="needs ia64-linux-gnu-objdump")
def test_patch_linked_executable(tmp_path, sites):
    exe = link(tmp_path, [sites, assemble(tmp_path, "stubs.s")], "sites.elf", "-e", "bar")
    out = tmp_path / "native.elf"
    r = run_cli("--patch", "native", "--json", "-o", str(out), str(exe))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [s["type"] for s in doc["patched"]] == [
        "ssm_i", "set_rr0_to_rr4", "intrin_local_irq_restore", "getreg(ar.itc)", "get_cpuid"]
    assert doc["patched"][4]["insns"][0] == "mov r8=cpuid[r34]"
    check_patched(exe, out)
    assert os.access(out, os.X_OK)


@pytest.mark.skipif(OBJDUMP is None, reason="needs ia64-linux-gnu-objdump")
def test_patch_real_object(tmp_path, real):
    out = tmp_path / "native.o"
    r = run_cli("--patch", "native", "-o", str(out), str(real))
    assert r.returncode == 0, r.stderr
    check_patched(real, out)
    expected = {"fc": "fc r", "thash": "thash r8=r", "get_cpuid": "mov r8=cpuid[r",
                "get_pmd": "mov r8=pmd[r", "ptcga": "ptc.ga r", "get_rr": "mov r8=rr[r",
                "set_rr": "mov rr[r", "ssm_i": "ssm 0x4000", "rsm_i": "rsm 0x4000",
                "get_psr_i": "mov r8=psr", "getreg(ar.itc)": "mov.m r8=ar.itc",
                "setreg(cr.tpr)": "mov cr.tpr=r", "set_rr0_to_rr4": "mov rr[r0]=r",
                "intrin_local_irq_restore": "(p6) ssm 0x4000",
                "intrin_local_irq_save": "mov r8=psr"}
    new = open_object(str(out))
    seen = set()
    for rec in new.records:
        f = new.function_at(rec.start)
        name = catalog.type_name(rec.type)
        text = objdump_region(out, rec.start - f.addr, rec.end - f.addr, f.name)
        assert any(x.startswith(expected[name]) for x in text), (name, text)
        seen.add(name)
    assert seen == set(expected)


def test_patch_refuses_object_with_violations(tmp_path, good):
    bad = Editor(good).slot(0x40, 1, lambda _: NOP_I).write(tmp_path / "x.o")
    out = tmp_path / "native.o"
    r = run_cli("--patch", "native", "-o", str(out), str(bad))
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == f"pvcc-check: error: {bad}: not patched: 1 violation(s)"
    assert not out.exists()


def test_patch_unreadable_input(tmp_path, good):
    out = tmp_path / "native.o"
    trunc = tmp_path / "t.o"
    trunc.write_bytes(good.read_bytes()[:300])
    for path in (trunc, assemble(tmp_path, "stubs.s")):      # truncated; no record section
        r = run_cli("--patch", "native", "-o", str(out), str(path))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.splitlines()) == 1
        assert r.stderr.startswith(f"pvcc-check: error: {path}: ")
        assert not out.exists()


def test_patch_usage_errors(tmp_path, good):
    for args in (["--patch", "native", str(good)],
                 ["--patch", "native", "-o", str(tmp_path / "o"), str(good), str(good)],
                 ["--patch", "native", "-o", str(good), str(good)],
                 ["--patch", "xen", "-o", str(tmp_path / "o"), str(good)]):
        r = run_cli(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, args


def test_patch_failure_leaves_out_untouched(tmp_path, good, monkeypatch):
    from pvcc import native, patch

    out = tmp_path / "native.o"
    out.write_bytes(b"previous contents")
    real_encode = native.encode     # the patcher binds a site once, then encodes it

    def branching(bound, nbundles):
        # a bundle that still branches: must not verify
        code = ia64.decode_bundle(open_object(str(good)).read(
            open_object(str(good)).records[0].start, 16))
        return [ia64.encode_bundle(code.template, code.slots)] * nbundles

    def too_long(bound, nbundles):
        return real_encode(bound, nbundles) * 2

    def refuses(bound, nbundles):
        raise ValueError("no room")

    for fake, match in ((branching, "does not verify: holds a branch"),
                        (too_long, "the region is 1 bundle"),
                        (refuses, "cannot patch site of get_cpuid: no room")):
        monkeypatch.setattr(native, "encode", fake)
        with pytest.raises(patch.PatchError, match=match):
            patch.patch_native(str(good), str(out))
        assert out.read_bytes() == b"previous contents"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["good.o", "native.o"]
    monkeypatch.setattr(native, "encode", real_encode)
    done = patch.patch_native(str(good), str(out))
    assert [s.text[0] for s in done] == ["mov r8=cpuid[r36]"]


def test_physical_args(good):
    from pvcc import patch

    rec = open_object(str(good)).records[0]
    assert patch.physical_args(rec) == [36]                # out0 of sol 4


def test_reports_name_registers(sites, tmp_path):
    """pvcc-check's table and --patch native's listing print a getreg/setreg site's
    register by name (getreg(ar.itc)), never its _IA64_REG_* number."""
    r = run_cli(str(sites))
    assert r.returncode == 0, r.stderr
    row = r.stdout.splitlines()[1]
    assert "getreg(ar.itc) 1" in row and "3116" not in r.stdout, r.stdout
    out = tmp_path / "native.o"
    r = run_cli("--patch", "native", "-o", str(out), str(sites))
    assert r.returncode == 0, r.stderr
    listing = [ln for ln in r.stdout.splitlines() if "getreg" in ln]
    assert len(listing) == 1 and ": getreg(ar.itc): mov.m r8=ar.itc" in listing[0], r.stdout
    assert "3116" not in r.stdout


def test_patch_native_reads_its_input_once(sites, tmp_path, capsys):
    """pvcc-check --patch native checks and patches from one reading of the input."""
    from opens import times_opened

    out = tmp_path / "native.o"
    assert times_opened(sites, lambda: main(["--patch", "native", "-o", str(out),
                                            str(sites)])) == 1
    assert "site(s) patched with native code" in capsys.readouterr().out


def test_patch_native_looks_up_each_record_once(sites, tmp_path, capsys):
    """pvcc-check --patch native looks up each record's catalog entry once (in the
    decoded model); the rules and the patcher read it from there (counted with
    sys.setprofile: the real code runs)."""
    from pvcc import catalog

    calls = []
    target = catalog.intrinsic_for.__code__

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is target:
            calls.append(frame.f_locals["type_id"])

    out = tmp_path / "native.o"
    sys.setprofile(profile)
    try:
        status = main(["--patch", "native", "-o", str(out), str(sites)])
    finally:
        sys.setprofile(None)
    assert status == 0, capsys.readouterr().err
    records = open_object(str(sites)).records
    assert sorted(calls) == sorted(r.type for r in records), calls
