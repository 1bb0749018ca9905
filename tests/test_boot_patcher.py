"""The kernel's boot-time patcher (kernel/pvcc_patch.c) and its generated table.

The table (pvcc.patch_table) must be pvcc's encoder itself: for every type and
every register choice the template-and-fields model gives the bytes
`native.native_bundles` gives.  The C patcher, built from the source the
kernel builds, is compiled with the IA-64 cross GCC (it must build freestanding
for the kernel) and with the host's C compiler, and the host build is run over
images of real objects and over synthetic records for every type and register,
comparing each site with `pvcc-check --patch native`'s bytes.  Retargeting is
run over a linked executable and proven with `pvcc-check --verify-retarget`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from asmtools import LD, assemble, link, needs_binutils, return_stubs
from helpers import compile_c
from pvcc import catalog, ia64, kimage, native, patch_table
from pvcc.check_cli import main as check_main
from pvcc.objects import RECORD, Record, open_object, pack_record
from pvcc.patch import patch_native

KERNEL = Path(__file__).resolve().parent.parent / "kernel"
TESTCASES = Path(__file__).resolve().parent.parent / "testcases"
FILLER = bytes(range(0xA0, 0xB0))       # what a region holds before patching


@pytest.fixture(scope="module")
def table() -> patch_table.Table:
    return patch_table.generate()


# -- the table is the encoder ------------------------------------------------


def test_table_covers_the_catalog(table):
    types = {e.type_id for e in table.entries}
    for intr in catalog.INTRINSICS:
        if intr.type_id in (catalog.GETREG_BASE, catalog.SETREG_BASE):
            assert catalog.GETREG_BASE + catalog.REG_PSR in types
            assert catalog.SETREG_BASE + catalog.CR_BASE + 66 in types       # cr.tpr
        else:
            assert intr.type_id in types
    assert catalog.GETREG_BASE + catalog.REG_IP not in types     # never paravirtualized
    assert catalog.SETREG_BASE + catalog.CR_BASE + 65 not in types  # cr.ivr is read-only


def test_table_is_the_encoder_for_every_type_and_register(table):
    """Each operand swept over r0..r127 with the others fixed, for every type."""
    checked = 0
    for key in patch_table.native_keys():    # each type, and its code ending in srlz.d
        t, srlz = key & ~patch_table.SRLZ_KEY, bool(key & patch_table.SRLZ_KEY)
        intr, _ = catalog.intrinsic_for(t)
        n = intr.bundles
        e = table.lookup(key, {})
        for o in e.operands:
            for v in range(128):
                args = [20 + i for i in range(intr.nargs)]
                res = 9 if intr.returns else 0
                if o == patch_table.RESULT:
                    res = v
                else:
                    args[o] = v
                try:
                    want = native.native_bundles(t, args, res, n, srlz)
                except ValueError:
                    want = None
                try:
                    got = table.native(t, args, res, n, srlz)
                except ValueError:
                    got = None
                assert got == want, (catalog.type_name(t), srlz, o, v)
                checked += 1
    assert checked > 20000


def test_table_has_the_serialized_code_of_every_type_with_room(table):
    """A site carrying the srlz.d after it (record flag srlz.d) has its own entry:
    the type's code with srlz.d after a stop, in the same bundles."""
    keys = {e.type_id for e in table.entries}
    for intr, reg in catalog.expanded():
        t = intr.type_id + (reg or 0)
        assert (t | patch_table.SRLZ_KEY in keys) == catalog.serializable(intr, reg)
    tpr = catalog.SETREG_BASE + catalog.CR_BASE + 66
    plain, = table.native(tpr, [0, 40], 0, 1)
    serial, = table.native(tpr, [0, 40], 0, 1, srlz=True)
    assert [i.text() for i in ia64.decode_bundle(plain).insns if i.op != "nop"] == \
        ["mov cr.tpr=r40"]
    b = ia64.decode_bundle(serial)
    assert [i.text() for i in b.insns] == ["mov cr.tpr=r40", "srlz.d", "nop.i 0x0"]
    assert b.stops == (0, 2)     # M;MI: the srlz.d in a later instruction group
    with pytest.raises(ValueError):     # get_psr_i fills its bundle: no such entry
        table.native(11, [], 8, 1, srlz=True)


def test_retarget_transfers_are_the_encoder(table):
    for site, impl in [(0x1000, 0x2000), (0x10_0000, 0x10), (0, (1 << 24) - 16),
                       (0, 1 << 24), (1 << 40, 0x10), (0xA000000100000000, 0xA000000108000000)]:
        b = ia64.decode_bundle(table.retarget(site, impl), site)
        calls = [i for i in b.insns if i.op in ("br.call", "brl.call")]
        assert len(calls) == 1 and calls[0].fields["b1"] == 0
        assert calls[0].fields["target"] == impl
        assert calls[0].op == ("br.call" if abs(impl - site) < 1 << 24 else "brl.call")
        assert b.ends_group


def test_generated_header_is_deterministic(table_dir, tmp_path):
    assert patch_table.main([str(tmp_path / "t.h")]) == 0
    text = (tmp_path / "t.h").read_text()
    assert text == (table_dir / "pvcc_patch_table.h").read_text()
    assert f"#define PVCC_RECORD_VERSION {catalog.RECORD_VERSION}" in text


# -- the C source builds for the kernel's compiler ---------------------------


def test_patcher_compiles_freestanding_with_the_cross_gcc(gcc, table_dir, tmp_path):
    obj = tmp_path / "pvcc_patch.o"
    subprocess.run([gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-ffreestanding", "-c",
                    "-I", str(KERNEL), "-I", str(table_dir), str(KERNEL / "pvcc_patch.c"),
                    "-o", str(obj)], check=True, capture_output=True, text=True)
    o = open_object(str(obj))
    names = {f.name for f in o.functions}
    assert {"pvcc_patch_sites", "pvcc_patch_site", "pvcc_patch_reason"} <= names
    assert o.records is None            # the patcher holds no sites of its own


# -- the C patcher over synthetic records: every type, every register ----------

CODE_BASE = 0xA000_0001_0000_0000    # where vmlinux links its text


def _record(i: int, start: int, nb: int, t: int, nargs: int, args: list[int], result: int,
            sol: int = 0, sof: int = 0, version: int = 1, conv: int = 0,
            flags: int = 0) -> Record:
    raw = (list(args) + [0] * 8)[:8]
    return Record(index=i, section_offset=64 * i, start=start, end=start + 16 * nb,
                  func=start, target=0, type=t, version=version, conv=conv, nargs=nargs,
                  result=result, sol=sol, sof=sof, flags=flags, reserved=bytes(12),
                  args=tuple(raw))


def _arg_bytes(regs: list[int]) -> tuple[list[int], int, int]:
    """Record bytes that put the arguments in REGS: static below r32, else out k."""
    stacked = [r for r in regs if r >= 32]
    sol = min(stacked) - 32 if stacked else 0
    out = [r if r < 32 else 0x80 | (r - 32 - sol) for r in regs]
    if any(b & 0x80 and b & 0x7F > 7 for b in out):
        raise ValueError("stacked arguments too far apart for out0-out7")
    sof = sol + 8
    return out, sol, sof


def _run_records(runner, recs: list[Record], impls=None):
    code = bytearray()
    for r in recs:
        assert r.start == CODE_BASE + len(code)
        code += FILLER * r.nbundles
    segs = [kimage.Segment(CODE_BASE, bytes(code), None),
            kimage.Segment(1 << 48, b"".join(pack_record(r) for r in recs), None)]
    out, report = kimage.run_image(runner, kimage.image_from(segs, 1 << 48, len(recs), impls))
    return out[0][1], report


def _register_sweep(values) -> tuple[list, list]:
    """Records at CODE_BASE on: every native type, each operand in turn (arguments from
    r20 on, result r9) set to each register of VALUES; and per record the bytes
    native_bundles gives, or None where it refuses."""
    recs, want = [], []
    pos = CODE_BASE
    for key in patch_table.native_keys():
        t, srlz = key & ~patch_table.SRLZ_KEY, bool(key & patch_table.SRLZ_KEY)
        intr, _ = catalog.intrinsic_for(t)
        for o in [*range(intr.nargs), *([patch_table.RESULT] if intr.returns else [])]:
            for v in values:
                regs = [20 + i for i in range(intr.nargs)]
                res = 9 if intr.returns else 0
                if o == patch_table.RESULT:
                    res = v
                else:
                    regs[o] = v
                args, sol, sof = _arg_bytes(regs)
                try:
                    code = b"".join(native.native_bundles(t, regs, res, intr.bundles, srlz))
                except ValueError:
                    code = None
                recs.append(_record(len(recs), pos, intr.bundles, t, intr.nargs, args, res,
                                    sol, sof, flags=catalog.FLAG_SRLZ_D if srlz else 0))
                want.append(code)
                pos += 16 * intr.bundles
    return recs, want


def test_c_patcher_is_the_encoder_for_every_type_and_register(runner):
    recs, want = _register_sweep(range(1, 128))
    out, report = _run_records(runner, recs)
    refused = sum(1 for w in want if w is None)
    for r, w in zip(recs, want):
        got = out[r.start - CODE_BASE:r.end - CODE_BASE]
        assert got == (w if w is not None else FILLER * r.nbundles), \
            (catalog.type_name(r.type), r.args, r.result)
    assert report.splitlines()[-1] == f"native {len(recs) - refused} retargeted 0 kept 0 " \
                                      f"refused {refused}"
    # every native type (and its serialized code), each operand set to each of r1-r127
    operands = sum(i.nargs + i.returns for i, _ in (
        catalog.intrinsic_for(k & ~patch_table.SRLZ_KEY) for k in patch_table.native_keys()))
    assert len(recs) == 127 * operands > 30000 and refused > 0  # set_rr0_to_rr4 refuses r2/r3


def test_c_patcher_refuses_records_it_does_not_understand(runner):
    ssm, fc = 9, 1
    def f(t, nargs=0, args=(), result=0, **kw):
        return {"t": t, "nargs": nargs, "args": list(args), "result": result, **kw}

    out0 = [0x80]
    cases = [  # (record fields, the reason printed)
        (f(ssm, version=2), "unknown record version (0x2)"),
        (f(ssm, conv=7), "unknown calling convention (0x7)"),
        (f(0x0FFFFFFF), "unknown type (0xfffffff)"),
        (f(catalog.GETREG_BASE + catalog.REG_IP, 1, out0, 8, sof=1), "unknown type (0x100003f8)"),
        (f(fc), "wrong argument count (0)"),
        (f(fc, 9, out0, sof=1), "wrong argument count (0x9)"),
        (f(fc, 1, [0x88], sof=8), "argument names no register (0x88)"),
        (f(fc, 1, [0x81], sof=1), "argument names no register (0x81)"),
        (f(fc, 1, [0xFF]), "argument names no register (0xff)"),
        (f(2, 1, out0, sof=1), "register the native code cannot use (0x800)"),   # thash, r0
        (f(fc, 1, out0, sol=100, sof=110), "register the native code cannot use (0x84)"),
        (f(8, 5, [0x80, 0x81, 2, 0x83, 0x84], sof=5),
         "register the native code cannot use (0x202)"),
        (f(8, 5, [0x80, 0x81, 0x82, 0x83, 0x84], sof=5, nb=2),
         "region too small for the native code (0x4)"),
    ]
    recs, pos = [], CODE_BASE
    for i, (f, _) in enumerate(cases):
        nb = f.pop("nb", 1)
        recs.append(_record(i, pos, nb, f.pop("t"), **f))
        pos += 16 * nb
    good = _record(len(recs), pos, 1, ssm, 0, [], 0)
    # byte 0 is r0: a light setreg(cr.eoi) of 0 (its argument 0 is the register number)
    eoi = _record(len(recs) + 1, pos + 16, 1, catalog.SETREG_BASE + catalog.CR_BASE + 67, 2,
                  [0, 0], 0, conv=catalog.CONV_LIGHT)
    recs += [good, eoi]
    out, report = _run_records(runner, recs)
    lines = report.splitlines()
    assert len(lines) == len(cases) + 1
    eoi_code = ia64.decode_bundle(out[eoi.start - CODE_BASE:eoi.end - CODE_BASE])
    assert eoi_code.insns[0].text() == "mov cr.eoi=r0"
    for (_, why), line, r in zip(cases, lines, recs):
        assert f"site {r.start:#x} " in line and line.endswith(f"{why}, left unpatched"), line
        assert out[r.start - CODE_BASE:r.end - CODE_BASE] == FILLER * r.nbundles
    assert lines[-1] == f"native 2 retargeted 0 kept 0 refused {len(cases)}"
    assert out[good.start - CODE_BASE:good.end - CODE_BASE] == native.native_bundles(
        ssm, [], 0, 1)[0]


# -- real objects --------------------------------------------------------------


def _compile(gcc, plugin_so, include_dir, tmp_path: Path, case: str, *opts: str) -> Path:
    """A testcase's input.c, compiled -O2 (light cases with the light convention)."""
    conv = ["-fplugin-arg-pvcc-conv=light"] if case.startswith("light") else []
    return compile_c(gcc, plugin_so, include_dir, tmp_path, case, TESTCASES / case / "input.c",
                     *conv, "-O2", "-std=gnu11", *opts)


def _assert_patcher_equals_patch_native(obj: Path, run_patcher):
    """run_patcher(object) -> (segments, report) patches OBJ byte for byte as
    patch_native does, every site native, nothing else touched; returns the object."""
    nat = obj.with_suffix(".native.o")
    done = patch_native(str(obj), str(nat))
    o = open_object(str(obj), require_records=True)
    segs, report = run_patcher(o)
    r = kimage.compare_native(o, segs, open_object(str(nat)))
    assert r["differ"] == [] and r["bytes_changed_outside_sites"] == 0
    assert r["identical"] == r["sites"] == len(done) > 0
    assert report.splitlines()[-1] == f"native {len(done)} retargeted 0 kept 0 refused 0"
    return o


# the patcher encodes a kind of record once (its memo, pvcc_patch.h) and copies the
# code into the next site that agrees: "several", "loop", "many_locals" and
# "live_outputs" repeat types in frames of different sizes (out registers differ)
@pytest.mark.parametrize("case", ["all_types", "set_rr0_to_rr4", "getreg_setreg", "several",
                                  "loop", "many_locals", "live_outputs",
                                  "light_leaf", "light_attribute", "light_srlz"])
def test_c_patcher_equals_patch_native_on_real_objects(gcc, plugin_so, include_dir, runner,
                                                       tmp_path, case):
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, case)
    o = _assert_patcher_equals_patch_native(obj, lambda o: kimage.run(runner, o))
    if case.startswith("light"):
        assert {rec.conv for rec in o.records} >= {catalog.CONV_LIGHT}


# -- retargeting, proven by pvcc-check --verify-retarget -------------------------

STUBS = (return_stubs([f"paravirt_{i.name}" for i in catalog.INTRINSICS])
         + return_stubs(["hv_ssm_i", "hv_irq_restore"])
         + return_stubs(["hv_fc", "hv_getreg_itc"], ".farcode"))

TABLE = """# hypervisor implementations
ssm_i                     hv_ssm_i
intrin_local_irq_restore  hv_irq_restore
fc                        hv_fc       # beyond br.call's reach: brl.call
getreg(3116)              hv_getreg_itc
"""


@pytest.fixture
def linked(gcc, plugin_so, include_dir, tmp_path) -> Path:
    if LD is None:
        pytest.skip("needs ia64-linux-gnu-ld")
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, "all_types", "-mconstant-gp")
    stubs = assemble(tmp_path, STUBS, "hvstubs")
    return link(tmp_path, [obj, stubs], "all.elf", "-e", "every", "-Ttext=0x100000",
                "--section-start=.farcode=0x8000000")


@needs_binutils
def test_retargeted_image_passes_verify_retarget(linked, runner, tmp_path, capsys):
    o = open_object(str(linked), require_records=True)
    (tmp_path / "impls").write_text(TABLE)
    from pvcc.retarget import read_impls
    impls = read_impls(str(tmp_path / "impls"), o)
    segs, report = kimage.run(runner, o, impls)
    assert report.splitlines()[-1] == f"native 0 retargeted 4 kept {len(o.records) - 4} refused 0"
    out = tmp_path / "all.retargeted"
    kimage.write_patched(o, segs, str(out))
    a, b = linked.read_bytes(), out.read_bytes()
    changed = [i for i in range(len(a)) if a[i] != b[i]]
    regions = [(o.file_offset(r.start), o.file_offset(r.start) + r.end - r.start)
               for r in o.records]
    assert len(a) == len(b) and changed
    assert all(any(s <= i < e for s, e in regions) for i in changed)   # only inside sites
    ops = {catalog.type_name(r.type): [i.op for i in ia64.decode_bundle(
        open_object(str(out)).read(r.start, 16)).insns] for r in o.records}
    assert "brl.call" in ops["fc"] and "br.call" in ops["ssm_i"]     # 127 MiB away / near
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"4 call their registered implementation, 11 keep their call, "
                     r"0 violation", text), text
    assert re.search(r"fc\s+1 retargeted", text)
    # the untouched image: every site still calls paravirt_*, which the table does not name
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(linked)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"every\+0x[0-9a-f]+: site of ssm_i: transfers to paravirt_ssm_i\+0x0 "
                     r"\(0x[0-9a-f]+\), expected the registered implementation hv_ssm_i", err)
    # and the retargeted image against a table that says otherwise
    (tmp_path / "other").write_text("ssm_i hv_fc\n")
    assert check_main(["--verify-retarget", str(tmp_path / "other"), str(out)]) == 1
    err = capsys.readouterr().err
    assert "site of ssm_i: transfers to hv_ssm_i" in err
    assert "site of fc: transfers to hv_fc+0x0" in err and "none registered" in err


@pytest.mark.parametrize("text, message", [
    ("ssm_i\n", "impls:1: expected 'TYPE IMPLEMENTATION [CONVENTION]', got 'ssm_i'"),
    ("\n# c\nfoo hv_fc\n", "impls:3: unknown paravirt type 'foo'"),
    ("ssm_i nowhere\n", "impls:1: 'nowhere' is neither a function of"),
    ("ssm_i 0x1008\n", "impls:1: implementation address 0x1008 is not a bundle address"),
    ("ssm_i 0x1000\n9 0x2000\n", "impls:2: 9 is registered twice"),
    ("ssm_i 0x1000 fast\n", "impls:1: unknown calling convention 'fast' (one of c-call, light)"),
    ("getreg(ar.nope) 0x1000\n", "impls:1: unknown paravirt type 'getreg(ar.nope)'"),
    ("getreg(ar.itc) 0x1000\ngetreg(3116) 0x2000\n", "impls:2: getreg(3116) is registered twice"),
])
def test_verify_retarget_table_errors_are_one_located_line(linked, tmp_path, capsys, text,
                                                           message):
    (tmp_path / "impls").write_text(text)
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(linked)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pvcc-check: error: "), err
    assert message in err[0] and "Traceback" not in err[0], err


def test_record_packing_round_trips(gcc, plugin_so, include_dir, tmp_path):
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, "all_types")
    o = open_object(str(obj), require_records=True)
    sec = o.record_section
    raw = o.data[sec.offset:sec.offset + sec.size]
    for r in o.records:
        packed = pack_record(r)
        # the address fields are relocated in a .o: compare the rest
        assert packed[32:] == raw[64 * r.index + 32:64 * r.index + 64]
        fields = RECORD.unpack_from(packed)
        assert (fields.start, fields.end) == (r.start, r.end)


def test_verify_retarget_on_an_object_reads_its_relocations(gcc, plugin_so, include_dir,
                                                            runner, tmp_path, capsys):
    """In a .o the call's relocation decides the target: kept calls pass, and a
    retargeted transfer a link would overwrite is reported."""
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, "all_types")
    (tmp_path / "impls").write_text("ssm_i every\n")
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(obj)]) == 1
    err = capsys.readouterr().err
    assert "site of ssm_i: relocation R_IA64_PCREL21B against paravirt_ssm_i still applies" \
        in err and len(err.strip().splitlines()) == 1, err
    o = open_object(str(obj), require_records=True)
    from pvcc.retarget import read_impls
    segs, _ = kimage.run(runner, o, read_impls(str(tmp_path / "impls"), o))
    kimage.write_patched(o, segs, str(tmp_path / "r.o"))
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(tmp_path / "r.o")]) == 1
    assert "still applies" in capsys.readouterr().err


def test_kimage_cli_errors_are_one_line(runner, tmp_path, capsys):
    (tmp_path / "junk").write_bytes(b"not an ELF file")
    assert kimage.main([runner[0], str(tmp_path / "junk")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pvcc.kimage: error: ") and str(tmp_path) in err[0]


LIGHT_STUBS = "\n".join(
    f"""\t.text
\t.global {name}
\t.type {name}, @function
\t.proc {name}
{name}:
\tadds r2 = 16, r2 ;;
\tmov b6 = r2 ;;
\tbr.cond.sptk.many b6 ;;
\t.endp {name}
\t.size {name}, .-{name}
""" for name in sorted({catalog.light_entry(f"paravirt_{catalog.intrinsic_for(t)[0].name}", t)
                          for t in patch_table.native_types()})
    + ["hv_light_fc", "hv_light_irq_restore"])


@needs_binutils
def test_retargeted_light_sites_pass_verify_retarget(gcc, plugin_so, include_dir, runner,
                                                     tmp_path, capsys):
    if LD is None:
        pytest.skip("needs ia64-linux-gnu-ld")
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, "light_leaf", "-mconstant-gp")
    elf = link(tmp_path, [obj, assemble(tmp_path, LIGHT_STUBS, "lightstubs")], "light.elf",
               "-e", "cpuid", "-Ttext=0x100000")
    (tmp_path / "impls").write_text("fc hv_light_fc light\n"
                                    "intrin_local_irq_restore hv_light_irq_restore light\n"
                                    "ssm_i hv_light_fc   # a C-call implementation: unused\n")
    o = open_object(str(elf), require_records=True)
    from pvcc.retarget import read_impls
    segs, report = kimage.run(runner, o, read_impls(str(tmp_path / "impls"), o))
    n = len(o.records)
    # fc once, intrin_local_irq_restore twice (irq_restore, irq_save_restore)
    assert report.splitlines()[-1] == f"native 0 retargeted 3 kept {n - 3} refused 0"
    out = tmp_path / "light.retargeted"
    kimage.write_patched(o, segs, str(out))
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(out)]) == 0
    assert re.search(rf"3 call their registered implementation, {n - 3} keep their call",
                     capsys.readouterr().out)
    new = open_object(str(out))
    irq = next(r for r in o.records if r.type == 12)
    last = ia64.decode_bundle(new.read(irq.end - 16, 16), irq.end - 16)
    assert [i.text() for i in last.insns][1] == "mov r2=ip"
    assert last.insns[2].fields["target"] == next(
        f.addr for f in new.functions if f.name == "hv_light_irq_restore")
    assert new.read(irq.start, 16) == patch_table.NOP_BUNDLE
    # the same table read as C-call registrations does not match these light sites
    (tmp_path / "c").write_text("fc hv_light_fc\n")
    assert check_main(["--verify-retarget", str(tmp_path / "c"), str(out)]) == 1
    assert "site of fc: transfers to hv_light_fc" in capsys.readouterr().err


# -- the same source, compiled by the cross GCC, run in pvcc-sim --------------------


EDGE_REGS = (1, 2, 3, 8, 14, 31, 32, 33, 85, 126, 127)


@pytest.mark.parametrize("regs", [
    pytest.param(EDGE_REGS, id="edge-registers"),
    pytest.param(tuple(range(1, 128)), id="every-register", marks=[
        pytest.mark.slow,
        pytest.mark.skipif(os.environ.get("PVCC_TEST_EVERY_REGISTER") != "1",
                           reason="about 10 s of CPU in pvcc-sim; PVCC_TEST_EVERY_REGISTER=1 "
                                  "runs it (the host build covers every register by default)")]),
])
def test_sim_patcher_is_the_encoder_for_every_type(sim_prog, runner, regs):
    """In pvcc-sim, in place: every type and operand over REGS (the slow row: r1..r127,
    about 10 s of CPU), the same bytes as native_bundles and as the host build."""
    recs, want = _register_sweep(regs)
    code = b"".join(FILLER * r.nbundles for r in recs)
    segs = [kimage.Segment(CODE_BASE, code, None),
            kimage.Segment(1 << 48, b"".join(pack_record(r) for r in recs), None)]
    out, report = kimage.run_sim_segments(sim_prog, segs, 1 << 48, len(recs))
    host, host_report = _run_records(runner, recs)
    assert out[0][1] == host and report == host_report
    for r, w in zip(recs, want):
        got = out[0][1][r.start - CODE_BASE:r.end - CODE_BASE]
        assert got == (w if w is not None else FILLER * r.nbundles), catalog.type_name(r.type)
    assert len(recs) > 100 * len(regs)


@pytest.mark.parametrize("case", ["all_types", "getreg_setreg", "light_leaf"])
def test_sim_patcher_equals_patch_native_on_real_objects(gcc, plugin_so, include_dir, sim_prog,
                                                         tmp_path, case):
    obj = _compile(gcc, plugin_so, include_dir, tmp_path, case)
    _assert_patcher_equals_patch_native(obj, lambda o: kimage.run_sim(sim_prog, o))


def test_sim_patcher_retargets_like_the_host_build(linked, runner, sim_prog, tmp_path):
    o = open_object(str(linked), require_records=True)
    (tmp_path / "impls").write_text(TABLE)
    from pvcc.retarget import read_impls
    impls = read_impls(str(tmp_path / "impls"), o)
    assert kimage.run_sim(sim_prog, o, impls) == kimage.run(runner, o, impls)


def test_c_patcher_retarget_refusals(runner):
    from pvcc.retarget import impl_key

    ssm, fc = 9, 1
    recs = [_record(0, CODE_BASE, 1, ssm, 0, [], 0, conv=catalog.CONV_LIGHT),
            _record(1, CODE_BASE + 16, 1, fc, 1, [8], 0, conv=catalog.CONV_LIGHT),
            _record(2, CODE_BASE + 32, 1, ssm, 0, [], 0),
            _record(3, CODE_BASE + 48, 1, fc, 1, [0x80], 0, sof=1)]
    impls = {impl_key(ssm, catalog.CONV_LIGHT): CODE_BASE + (1 << 30),     # beyond br.cond
             impl_key(fc, catalog.CONV_LIGHT): CODE_BASE + 0x1008,         # not a bundle
             impl_key(ssm, catalog.CONV_C): CODE_BASE + (1 << 30)}         # brl.call reaches
    out, report = _run_records(runner, recs, impls)
    lines = report.splitlines()
    assert lines[0].endswith("implementation beyond the light transfer's reach "
                             f"({CODE_BASE + (1 << 30):#x}), left unpatched")
    assert lines[1].endswith(f"misaligned implementation address ({CODE_BASE + 0x1008:#x}), "
                             "left unpatched")
    assert lines[2] == "native 0 retargeted 1 kept 1 refused 2"
    assert out[:32] == FILLER * 2 and out[48:] == FILLER
    b = ia64.decode_bundle(out[32:48], CODE_BASE + 32)
    assert b.insns[1].op == "brl.call" and b.insns[1].fields["target"] == CODE_BASE + (1 << 30)
