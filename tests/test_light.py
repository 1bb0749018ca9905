"""The light convention (docs/light.md) end to end on real objects.

Sites compiled by the real cross GCC with the plugin, checked and patched;
the callee contract (`pvcc-check --callee`) on hand-assembled implementations;
the generated native table and the C thunks assembled by GNU as and linked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from asmtools import AS, assemble, link, needs_binutils
from pvcc import callee, catalog, ia64, light_table, patch, thunks
from pvcc.check import check_file, violations_of
from pvcc.check_cli import main
from pvcc.decoded import decode_file
from pvcc.objects import open_object
from test_check import Editor

LIGHT_C = """\
#include <pvcc/paravirt.h>

unsigned long irq_save(void)
{
	unsigned long flags = paravirt_getreg(1019);
	paravirt_rsm_i();
	return flags;
}

void irq_restore(unsigned long flags)
{
	paravirt_intrin_local_irq_restore(flags);
}

unsigned long cpuid(int i, unsigned long k)
{
	return paravirt_get_cpuid(i) + k * 3;
}

void itc(unsigned long v)
{
	paravirt_setreg(3116, v);
}
"""


def compile_light(gcc, plugin_so, include_dir, tmp_path: Path, *opts: str,
                  source: str = LIGHT_C, name: str = "light") -> Path:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    out = tmp_path / f"{name}.o"
    subprocess.run([gcc, f"-fplugin={plugin_so}", "-fplugin-arg-pvcc-conv=light",
                    "-I", include_dir, *opts, "-c", str(src), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out


@pytest.fixture(scope="module")
def light_o(gcc, plugin_so, include_dir, tmp_path_factory) -> Path:
    return compile_light(gcc, plugin_so, include_dir, tmp_path_factory.mktemp("light"),
                         "-O2", "-mconstant-gp")


def site(path: Path, type_id: int):
    obj = open_object(str(path))
    rec = next(r for r in obj.records if r.type == type_id)
    return obj, rec, rec.start - obj.code_section_at(rec.start).addr


# -- sites ---------------------------------------------------------------------------

def test_light_records(light_o):
    rep = check_file(str(light_o))
    assert [str(v) for v in rep.violations] == []
    assert {r.conv for r in rep.records} == {catalog.CONV_LIGHT}
    obj = open_object(str(light_o))
    getreg = next(r for r in obj.records if r.type == catalog.GETREG_BASE + 1019)
    assert str(getreg.target) == "__pvcc_light_paravirt_getreg_1019"
    assert tuple(getreg.args[:2]) == (0, 0) and getreg.result == 8
    # the moved argument (catalog.light_moved_arg) is where the caller has it, the
    # function's own input r32; the transfer bundle's M slot moves it
    setreg = next(r for r in obj.records if r.type == catalog.SETREG_BASE + 3116)
    assert tuple(setreg.args[:2]) == (0, 32)
    transfer = ia64.decode_bundle(obj.read(setreg.end - 16, 16))
    assert [i.text() for i in transfer.insns][:2] == ["mov r9=r32", "mov r2=ip"]
    irq = next(r for r in obj.records if r.type == 12)
    assert irq.nbundles == 2 and irq.args[0] == 32 and (irq.sol, irq.sof) == (0, 0)
    assert ia64.decode_bundle(obj.read(irq.end - 16, 16)).insns[0].text() == "mov r8=r32"
    # patched native, the code reads r32 itself
    assert "mov.m ar.itc=r32" in [t for s in patch.patch_native(str(light_o), str(light_o) + ".n")
                                for t in s.text]


def test_light_link_must_be_r2(tmp_path, light_o):
    obj, rec, off = site(light_o, 3)
    b = ia64.decode_bundle(obj.read(rec.start, 16))
    assert b.insns[1].op == "mov.from.ip"
    bad = Editor(light_o).slot(off, 1, lambda raw: raw & ~(0x7F << 6) | 3 << 6) \
        .write(tmp_path / "x.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of get_cpuid: the link must be an "
            f"unpredicated 'mov r2=ip' before the branch, found 'mov r3=ip' in slot 1"
            ) in violations_of(str(bad))


def test_light_branch_predicated(tmp_path, light_o):
    obj, rec, off = site(light_o, 3)
    bad = Editor(light_o).slot(off, 2, lambda raw: raw | 6).write(tmp_path / "x.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of get_cpuid: the br.cond is "
            f"predicated (p6)") in violations_of(str(bad))


def test_light_reserved_bundle_not_isolated(tmp_path, light_o):
    obj, rec, off = site(light_o, 12)      # two bundles: nops, then the transfer
    bad = Editor(light_o).slot(off, 1, lambda _: ia64.adds(18, 1, 18)) \
        .write(tmp_path / "x.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of intrin_local_irq_restore is not "
            f"isolated: slot 1 holds 'adds r18=1,r18'") in violations_of(str(bad))


SETREG_ITC = catalog.SETREG_BASE + 3116


def test_light_argument_register(tmp_path, light_o):
    """The moved argument's byte must be what the transfer bundle moves."""
    obj, rec, _ = site(light_o, SETREG_ITC)
    assert ia64.decode_bundle(obj.read(rec.start, 16)).insns[0].text() == "mov r9=r32"
    bad = Editor(light_o).record(rec.index, 49, b"\x09").write(tmp_path / "x.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of setreg(ar.itc): the transfer "
            f"bundle's 'mov r9=r32' is not 'mov r9=r9' (argument 1, r9)"
            ) in violations_of(str(bad))
    # the static registers of the other arguments stay fixed
    obj, rec, _ = site(light_o, catalog.SETREG_BASE + 3116)
    bad = Editor(light_o).record(rec.index, 48, b"\x08").write(tmp_path / "y.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of setreg(ar.itc): argument 0 is "
            f"r8, the light convention passes no register number") in violations_of(str(bad))


def test_light_move_must_write_the_static_register(tmp_path, light_o):
    obj, rec, off = site(light_o, SETREG_ITC)
    bad = Editor(light_o).slot(off, 0, lambda _: ia64.adds(10, 0, 32)).write(tmp_path / "x.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of setreg(ar.itc): the transfer "
            f"bundle's 'mov r10=r32' is not 'mov r9=r32' (argument 1, r32)"
            ) in violations_of(str(bad))
    bad = Editor(light_o).slot(off, 0, lambda _: ia64.nop_m()).write(tmp_path / "z.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of setreg(ar.itc): argument 1 is "
            f"r32, but the transfer bundle moves nothing into r9") in violations_of(str(bad))
    # a move where the type has no argument to move
    obj, rec, off = site(light_o, catalog.GETREG_BASE + 1019)
    bad = Editor(light_o).slot(off, 0, lambda _: ia64.adds(8, 0, 32)).write(tmp_path / "y.o")
    assert (f"{bad}: {obj.where(rec.start)}: error: site of getreg(psr) is not isolated: "
            f"slot 0 holds 'mov r8=r32'") in violations_of(str(bad))


@needs_binutils
def test_light_branch_outside_a_site(tmp_path):
    obj = assemble(tmp_path, """\
	.text
	.global f#
	.proc f#
f:
	{ .mib
	nop.m 0
	mov r2 = ip
	br.cond.sptk.many __pvcc_light_paravirt_ssm_i# ;;
	}
	{ .mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	}
	.endp f#
""", "stray")
    assert violations_of(str(obj)) == [
        (f"{obj}: f+0x0: error: branch to __pvcc_light_paravirt_ssm_i is not inside any "
        f"recorded site")]


def test_light_patch_native(tmp_path, light_o):
    out = tmp_path / "native.o"
    done = patch.patch_native(str(light_o), str(out))
    text = {s.name: s.text for s in done}
    assert text["getreg(psr)"][0] == "mov r8=psr"
    assert text["get_cpuid"][0] == "mov r8=cpuid[r8]"
    assert text["setreg(ar.itc)"][0] == "mov.m ar.itc=r32"     # the caller's register
    assert text["rsm_i"][0] == "rsm 0x4000"


def test_light_leaf_at_every_level(gcc, plugin_so, include_dir, tmp_path):
    for level in ("-O0", "-O1", "-O2", "-Os", "-O3"):
        obj = compile_light(gcc, plugin_so, include_dir, tmp_path, level, name=f"l{level}")
        o = open_object(str(obj))
        for f in o.functions:
            code = o.read(f.addr, f.end - f.addr + (-(f.end - f.addr)) % 16)
            ops = {i.op for b in ia64.iter_bundles(code, f.addr) for i in b.insns}
            assert not ops & {"alloc", "br.call", "brl.call", "mov.from.br"}, (level, f.name)


# -- the callee contract ------------------------------------------------------------

GOOD = """\
	.text
	.global __pvcc_light_paravirt_ssm_i#
	.proc __pvcc_light_paravirt_ssm_i#
__pvcc_light_paravirt_ssm_i:
	adds r2 = 16, r2
	;;
	mov b6 = r2
	ssm psr.i
	;;
	{BODY}
	srlz.d
	br.cond.sptk.many b6
	;;
	.endp __pvcc_light_paravirt_ssm_i#
"""


def callee_check(tmp_path: Path, body: str, name: str) -> list[str]:
    obj = assemble(tmp_path, GOOD.replace("{BODY}", body), name)
    funcs, violations = callee.check(decode_file(str(obj)))
    assert [f.name for f in funcs] == ["__pvcc_light_paravirt_ssm_i"]
    return [str(v).split(": error: ", 1)[1] for v in violations]


@needs_binutils
def test_callee_good(tmp_path):
    assert callee_check(tmp_path, "mov r3 = r8 ;; cmp.eq p6, p7 = r3, r0 ;;", "good") == []


@needs_binutils
@pytest.mark.parametrize("body,message", [
    ("mov r18 = r8 ;;", "writes register outside the light clobber set r18 ('mov r18=r8')"),
    ("mov r32 = r8 ;;", "writes stacked register r32 ('mov r32=r8')"),
    ("adds r8 = 1, r33 ;;", ("reads stacked register r33 ('adds r8=1,r33'), which belongs to "
                            "the caller's frame")),
    ("mov r12 = r8 ;;", "writes register outside the light clobber set r12 ('mov r12=r8')"),
    ("mov b0 = r8 ;;", "writes register outside the light clobber set b0 ('mov b0=r8')"),
    ("cmp.eq p16, p17 = r8, r0 ;;", "writes register outside the light clobber set p16"),
    ("alloc r16 = ar.pfs, 0, 1, 0, 0 ;;", "allocates a register frame"),
    ("ld8 r8 = [r18], 8 ;;", "writes register outside the light clobber set r18"),
    ("st8 [r19] = r8, 8 ;;", "writes register outside the light clobber set r19"),
    ("ldfd f6 = [r8] ;;", "writes register outside the light clobber set f6"),
    ("flushrs ;;", "writes register outside the light clobber set ar.bspstore"),
    ("st8.spill [r8] = r9 ;;", "writes register outside the light clobber set ar.unat"),
    ("cover ;;", "changes the register frame"),
    ("mov r1 = r8 ;;", "writes register outside the light clobber set r1"),
    ("mov.i ar.pfs = r8 ;;", "writes register outside the light clobber set ar.pfs"),
])
def test_callee_rejects(tmp_path, body, message):
    got = callee_check(tmp_path, body, "bad")
    assert any(message in m for m in got), got


@needs_binutils
def test_callee_must_return_through_b6_from_the_link(tmp_path):
    src = GOOD.replace("mov b6 = r2", "mov b6 = r3").replace("{BODY}", "")
    _funcs, violations = callee.check(decode_file(str(assemble(tmp_path, src, "nolink"))))
    text = [str(v) for v in violations]
    assert any("b6 is not set once, unpredicated, before any branch, from the link r2 + 16"
               in t for t in text), text
    src = GOOD.replace("br.cond.sptk.many b6", "br.ret.sptk.many b0").replace("{BODY}", "")
    _funcs, violations = callee.check(decode_file(str(assemble(tmp_path, src, "ret"))))
    text = [str(v) for v in violations]
    assert any("returns with br.ret" in t for t in text), text
    assert any("never returns through b6" in t for t in text), text


@needs_binutils
@pytest.mark.parametrize("serialize", ["", "srlz.d ;;", "(p6) srlz.d"])
def test_callee_must_return_serialized(tmp_path, serialize):
    """A site may carry the srlz.d that followed it (docs/light.md, "Serialization"):
    the return's instruction group must serialize, unpredicated."""
    src = GOOD.replace("\tsrlz.d\n", f"\t{serialize}\n").replace("{BODY}", "")
    _funcs, violations = callee.check(decode_file(str(assemble(tmp_path, src, "nosrlz"))))
    assert [str(v).split(": error: ", 1)[1] for v in violations] == [
        ("__pvcc_light_paravirt_ssm_i: returns ('br.many b6') without an "
         "unpredicated srlz.d in its instruction group: a light implementation returns "
         "with data serialized")]


@needs_binutils
def test_callee_cli(tmp_path, capsys):
    bad = assemble(tmp_path, GOOD.replace("{BODY}", "mov r18 = r8 ;;"), "cli")
    assert main(["--callee", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: __pvcc_light_paravirt_ssm_i+0x10: error: "
                          "__pvcc_light_paravirt_ssm_i: writes register outside")
    assert "Traceback" not in err


# -- generated implementations ---------------------------------------------------------

@needs_binutils
def test_native_table_obeys_the_contract(tmp_path):
    src = tmp_path / "table.S"
    src.write_text(light_table.source())
    obj = tmp_path / "table.o"
    subprocess.run([AS, "-x", str(src), "-o", str(obj)], check=True, capture_output=True)
    funcs, violations = callee.check(decode_file(str(obj)))
    assert [str(v) for v in violations] == []
    names = {f.name for f in funcs}
    assert "__pvcc_light_paravirt_ssm_i" in names
    assert "__pvcc_light_paravirt_getreg_1019" in names
    assert "__pvcc_light_paravirt_setreg_3116" in names
    assert "__pvcc_light_paravirt_getreg_1016" not in names    # ip: never paravirtualized


@needs_binutils
def test_thunks_link_with_light_sites_and_c(gcc, plugin_so, include_dir, tmp_path):
    """Sites (light) + pvcc-thunks + C implementations (-mfixed-range=f32-f127) link
    into one executable that pvcc-check accepts."""
    sites = compile_light(gcc, plugin_so, include_dir, tmp_path, "-O2")
    impl = tmp_path / "impl.c"
    impl.write_text("""\
unsigned long paravirt_getreg(int reg) { return reg; }
void paravirt_setreg(int reg, unsigned long v) { (void)reg; (void)v; }
void paravirt_rsm_i(void) { }
void paravirt_intrin_local_irq_restore(unsigned long f) { (void)f; }
unsigned long paravirt_get_cpuid(int i) { return i; }
void _start(void) { }
""")
    impl_o = tmp_path / "impl.o"
    subprocess.run([gcc, "-O2", "-mfixed-range=f32-f127", "-c", str(impl), "-o", str(impl_o)],
                   check=True, capture_output=True)
    th = tmp_path / "thunks.S"
    assert thunks.main(["paravirt_getreg:1019", "paravirt_setreg:3116", "paravirt_rsm_i",
                        "paravirt_intrin_local_irq_restore", "paravirt_get_cpuid",
                        "-o", str(th)]) == 0
    th_o = tmp_path / "thunks.o"
    subprocess.run([AS, "-x", str(th), "-o", str(th_o)], check=True, capture_output=True)
    exe = link(tmp_path, [sites, th_o, impl_o], "prog")
    assert violations_of(str(exe)) == []
    text = th.read_text()
    assert "addl r60 = 1019, r0" in text and "br.call.sptk.many b0 = paravirt_getreg#" in text


def test_thunks_bad_symbol(capsys):
    assert thunks.main(["1bad"]) == 2
    assert capsys.readouterr().err == "pvcc-thunks: error: '1bad' is not a C identifier\n"


def test_thunk_registers_by_name(capsys):
    """A thunk's register is an input: its name or its number, the same thunk."""
    assert thunks.parse_spec("paravirt_getreg:ar.itc") == ("paravirt_getreg", 3116)
    assert thunks.parse_spec("paravirt_setreg:cr.tpr") == thunks.parse_spec("paravirt_setreg:4162")
    assert thunks.source([thunks.parse_spec("paravirt_getreg:psr")]) == \
        thunks.source([thunks.parse_spec("paravirt_getreg:1019")])
    assert thunks.main(["paravirt_getreg:ar.nope"]) == 2
    assert capsys.readouterr().err == ("pvcc-thunks: error: 'paravirt_getreg:ar.nope': the "
                                       "register after ':' is neither a register name nor a "
                                       "number\n")


def test_thunk_options_of_the_proof_only():
    """pvcc-sim's B build calls another C entry and adds a hostile tail before the
    return through b6; the thunks pvcc-thunks writes (what a kernel links) have
    neither."""
    plain = thunks.thunk("paravirt_ssm_i")
    sim = thunks.thunk("paravirt_ssm_i", callee="hv_ssm_i",
                       before_return=("\tbreak.m 0x1c000b", "\t;;"))
    assert "break" not in plain and "break" not in thunks.source(thunks.catalog_specs())
    assert "br.call.sptk.many b0 = paravirt_ssm_i#" in plain
    assert "__pvcc_light_paravirt_ssm_i:" in sim and "b0 = hv_ssm_i#" in sim
    assert sim.replace("hv_ssm_i#", "paravirt_ssm_i#").replace(
        "\tbreak.m 0x1c000b\n\t;;\n", "") == plain
    assert "\tmov.i ar.pfs = r16\n\tbreak.m 0x1c000b\n\t;;\n\tbr.cond.sptk.many b6" in sim
    with pytest.raises(ValueError, match="'1bad' is not a C identifier"):
        thunks.thunk("paravirt_ssm_i", callee="1bad")


# -- in the execution model (pvcc-sim) -------------------------------------------------

MIX_C = """\
#include <stdio.h>
#include <pvcc/paravirt.h>

/* A leaf whose inputs (in its caller's output area) and temporaries in
 * r18-r31 are live across the sites. */
__attribute__((noinline)) unsigned long mix(unsigned long a, unsigned long b,
					    unsigned long c, unsigned long d,
					    unsigned long e, unsigned long f)
{
	unsigned long x = a * 7 + b, y = c ^ d, z = e - f, w = a + f;
	unsigned long flags = paravirt_getreg(1019);
	paravirt_rsm_i();
	unsigned long id = paravirt_get_cpuid(2);
	paravirt_intrin_local_irq_restore(flags);
	return x + 3 * y + 5 * z + 7 * w + a + b + c + d + e + f + (id & 0xff) +
	       (flags & 0x4000) + paravirt_get_psr_i();
}

int main(void)
{
	unsigned long s = 0;
	paravirt_ssm_i();
	for (unsigned long i = 1; i < 4; i++)
		s += mix(i, i * 11, i * 101, i * 1001, i * 10001, i * 100001);
	printf("%lu\\n", s);
	return 0;
}
"""


def _sim(gcc, tmp_path: Path, name: str, *args: str, light: bool = True,
         patch_native: bool = False) -> str:
    env = dict(os.environ, PVCC_GCC=gcc)
    if light:
        env["PVCC_PLUGIN_ARGS"] = "conv=light"
    prog = tmp_path / name
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.lab.build", "-O2", *args, "-o", str(prog)],
                       capture_output=True, text=True, env=env, check=False)
    assert p.returncode == 0, p.stderr
    assert violations_of(str(prog)) == []
    run = [sys.executable, "-m", "pvcc.sim.cli", "run", *(["--patch", "native"]
                                                           if patch_native else []), str(prog)]
    r = subprocess.run(run, capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r.stdout


def test_light_runs_in_the_model(gcc, tmp_path):
    """The same program, C call vs light sites, in pvcc-sim: light sites reaching the
    assembly table, light sites reaching C through the thunks, with the hostile C
    hypervisor layer (it clobbers every scratch register and its inputs on return),
    and patched native; a thunk that did not save r18-r31 is caught."""
    src = tmp_path / "mix.c"
    src.write_text(MIX_C)
    table = tmp_path / "table.S"
    table.write_text(light_table.source())
    th = tmp_path / "thunks.S"
    # pvcc-thunks' thunks, calling the layer's entries that leave f32-f127 alone (the
    # thunk's limit; the paravirt_* entries clobber them, as C sites allow)
    th.write_text(thunks.source(thunks.catalog_specs()).replace(
        "br.call.sptk.many b0 = paravirt_", "br.call.sptk.many b0 = __pvcc_hv_thunked_"))
    want = _sim(gcc, tmp_path, "c", str(src), light=False)
    assert want == _sim(gcc, tmp_path, "c-hv", "--impl", "hv", str(src), light=False)
    assert want == _sim(gcc, tmp_path, "asm", str(src), str(table))
    assert want == _sim(gcc, tmp_path, "asm", str(src), str(table), patch_native=True)
    assert want == _sim(gcc, tmp_path, "thunk-hv", "--impl", "hv", str(src), str(th))
    assert want == _sim(gcc, tmp_path, "thunk-hv", "--impl", "hv", str(src), str(th),
                        patch_native=True)
    saved = re.compile(r"^\tmov r\d+ = r(1[89]|2\d|3[01])\n|^\tmov r(1[89]|2\d|3[01]) = r\d+\n",
                       re.MULTILINE)
    bad = tmp_path / "bad.S"
    bad.write_text(saved.sub("", th.read_text()))
    assert want != _sim(gcc, tmp_path, "bad-hv", "--impl", "hv", str(src), str(bad))


@pytest.mark.parametrize("arg", ["-fplugin-arg-pvcc-conv=heavy", "-fplugin-arg-pvcc-conv"])
def test_unit_convention_option(gcc, plugin_so, tmp_path, arg):
    src = tmp_path / "e.c"
    src.write_text("int x;\n")
    p = subprocess.run([gcc, f"-fplugin={plugin_so}", arg, "-c", str(src), "-o",
                        str(tmp_path / "e.o")], capture_output=True, text=True, check=False)
    assert p.returncode == 1 and not (tmp_path / "e.o").exists()
    assert p.stderr == "cc1: error: option '-fplugin-arg-pvcc-conv' takes 'c' or 'light'\n"


FAR_STUBS = """\
	.section .farcode,"ax",@progbits
	.global __pvcc_light_paravirt_fc#, __pvcc_light_paravirt_thash#
	.proc __pvcc_light_paravirt_fc#
__pvcc_light_paravirt_fc:
__pvcc_light_paravirt_thash:
	.prologue
	.save rp, r2
	.save ar.pfs, r0
	.body
	adds r2 = 16, r2 ;;
	.spillreg rp, b6
	mov b6 = r2 ;;
	br.cond.sptk.many b6 ;;
	.endp __pvcc_light_paravirt_fc#
"""


@needs_binutils
def test_out_of_range_light_branch_through_the_linker_stub(gcc, plugin_so, include_dir,
                                                           tmp_path):
    """ld gives an out-of-range br.cond a stub `[MLX] nop.m; brl` after the code: still
    one transfer to the implementation, and r2 still points at the site."""
    obj = compile_light(gcc, plugin_so, include_dir, tmp_path, "-O2", "-mconstant-gp",
                        source="#include <pvcc/paravirt.h>\nunsigned long far_sites("
                               "unsigned long a)\n{\n\tparavirt_fc(a);\n\treturn "
                               "paravirt_thash(a);\n}\n", name="far")
    stubs = assemble(tmp_path, FAR_STUBS, "farstubs")
    elf = link(tmp_path, [obj, stubs], "far.elf", "-e", "far_sites", "-Ttext=0x100000",
               "--section-start=.farcode=0x8000000")
    o = open_object(str(elf))
    rec = o.records[0]
    first = ia64.decode_bundle(o.read(rec.start, 16), rec.start).insns[2]
    stub = ia64.decode_bundle(o.read(first.fields["target"], 16), first.fields["target"])
    assert [i.op for i in stub.insns] == ["nop", "brl.cond"], "ld made no stub: shows nothing"
    assert violations_of(str(elf)) == []
    assert main(["--patch", "native", "-o", str(tmp_path / "native.elf"), str(elf)]) == 0


def test_register_known_only_after_inlining(gcc, plugin_so, include_dir, tmp_path):
    """getreg through an inline wrapper: the register is constant only after inlining,
    so the site is made late, and is still a light site (and the function a leaf)."""
    src = """\
extern unsigned long getreg_l(int reg) __attribute__((paravirt_intrinsic(0x10000000, 1)));
static inline unsigned long rd(int r) { return getreg_l(r); }
unsigned long itc(void) { return rd(3116) + 1; }
"""
    for level in ("-O1", "-O2", "-Os"):
        obj = compile_light(gcc, plugin_so, include_dir, tmp_path, level, source=src,
                            name=f"late{level}")
        o = open_object(str(obj))
        (rec,) = o.records
        assert (rec.conv, rec.flags, str(rec.target)) == (1, 1, "__pvcc_light_getreg_l_3116")
        assert violations_of(str(obj)) == []
        f = o.functions[0]
        code = o.read(f.addr, f.end - f.addr + (-(f.end - f.addr)) % 16)
        assert not {i.op for b in ia64.iter_bundles(code, f.addr) for i in b.insns} \
            & {"alloc", "br.call", "mov.from.br"}


def test_light_site_of_an_intrinsic_with_a_long_name(gcc, plugin_so, include_dir, tmp_path):
    """A light site names its implementation in full, however long the intrinsic's
    name, on both routes: a placeholder made before inlining (get_cpuid) and a site
    made late (getreg, its register constant only after inlining)."""
    long = "cpuid_under_a_name_longer_than_any_fixed_buffer_" + "".join(
        f"{i:03d}" for i in range(90))
    src = f"""\
extern unsigned long {long}(int i) __attribute__((paravirt_intrinsic(3)));
extern unsigned long {long}_reg(int reg) __attribute__((paravirt_intrinsic(0x10000000)));
static inline unsigned long rd(int r) {{ return {long}_reg(r); }}
unsigned long f(int i) {{ return {long}(i) + rd(3116); }}
"""
    assert len(long) > 300
    for level in ("-O1", "-O2"):    # at -O0 rd's register is not constant
        obj = compile_light(gcc, plugin_so, include_dir, tmp_path, level, source=src,
                            name=f"long{level}")
        o = open_object(str(obj))
        targets = {catalog.type_name(r.type): str(r.target) for r in o.records}
        assert targets == {"get_cpuid": f"__pvcc_light_{long}",
                           "getreg(ar.itc)": f"__pvcc_light_{long}_reg_3116"}
        assert violations_of(str(obj)) == []


@needs_binutils
def test_overridden_weak_leaf_without_unwind_entry(gcc, plugin_so, include_dir, tmp_path):
    """A __weak leaf whose only intrinsic is a light site has no unwind entry; linked
    against a strong definition, its body stays in .text without a symbol (Linux's
    arch_cpu_idle).  Its bounds are its neighbours': the site is checked and patched."""
    weak = compile_light(gcc, plugin_so, include_dir, tmp_path, "-O2", "-mconstant-gp",
                         source="#include <pvcc/paravirt.h>\n__attribute__((weak)) void "
                                "arch_idle(void) { paravirt_ssm_i(); }\nvoid do_idle(void) "
                                "{ arch_idle(); }\n", name="weak")
    strong = tmp_path / "strong.c"
    strong.write_text("void arch_idle(void) { }\nvoid _start(void) { }\n")
    strong_o = tmp_path / "strong.o"
    subprocess.run([gcc, "-O2", "-mconstant-gp", "-c", str(strong), "-o", str(strong_o)],
                   check=True, capture_output=True)
    table = tmp_path / "table.S"
    table.write_text(light_table.source())
    table_o = tmp_path / "table.o"
    subprocess.run([AS, "-x", "-mconstant-gp", str(table), "-o", str(table_o)], check=True,
                   capture_output=True)
    elf = link(tmp_path, [weak, strong_o, table_o], "weak.elf", "-e", "_start")
    o = open_object(str(elf))
    assert o.function_at(o.records[0].start) is None, "the weak body kept a symbol: no test"
    assert violations_of(str(elf)) == []
    assert main(["--patch", "native", "-q", "-o", str(tmp_path / "native.elf"), str(elf)]) == 0
