"""`.pvcc_native`: a linked kernel's native code encoded at link time (pvcc.native_table).

Real objects compiled with the plugin and linked with GNU ld, with a
`.pvcc_native` section of one 80-byte entry per record (an assembled object of
zeros, as the kernel's linker script reserves it): `pvcc-check --fill-native`
fills every entry so that the entry's bundles, then nop bundles up to the
region's end, are what `pvcc-check --patch native` writes into the region;
`pvcc-check` (rule native-table) passes the filled and the all-zero table and
reports a corrupted entry in one line; a file whose table cannot be filled is
one error line, exit 2, and stays untouched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from asmtools import LD, assemble, link, needs_binutils, return_stubs, section_headers
from helpers import compile_c
from pvcc import catalog, kimage, light_table, native, patch_table
from pvcc.check_cli import main as check_main
from pvcc.decoded import SiteInfo
from pvcc.native_table import ENTRY, MAGIC, SECTION, entry_for
from pvcc.objects import Record, open_object

TESTCASES = Path(__file__).resolve().parent.parent / "testcases"
WRAPPER = Path(__file__).resolve().parent.parent / "wrapper"

C_STUBS = return_stubs([f"paravirt_{i.name}" for i in catalog.INTRINSICS])

# the native light implementations (with their unwind entries, which rule unwind asks)
LIGHT_STUBS = light_table.source()

# case -> (entry symbol, stubs): all_types has the 4-bundle set_rr0_to_rr4 and the
# 2-bundle intrin_local_irq_restore; light_leaf's sites use the light convention;
# light_srlz has sites of one type and registers with and without the srlz.d flag
CASES = {"all_types": ("every", C_STUBS), "light_leaf": ("cpuid", LIGHT_STUBS),
         "light_srlz": ("dispatch", LIGHT_STUBS + return_stubs(["handle", "setreg_c"]))}


def _table_object(tmp: Path, size: int, *, kind: str = "@progbits") -> Path:
    """An object holding a .pvcc_native of SIZE zero bytes, as a linker script reserves it."""
    return assemble(tmp, f'\t.section {SECTION},"a",{kind}\n\t.p2align 4\n\t.skip {size}\n',
                    f"native{size}{kind[1:]}")


@pytest.fixture(scope="module")
def objects(gcc, plugin_so, include_dir, tmp_path_factory) -> dict[str, tuple[Path, Path, int]]:
    """case -> (its object, its stubs' object, its number of records)."""
    if LD is None:
        pytest.skip("needs ia64-linux-gnu-ld")
    tmp = tmp_path_factory.mktemp("native_objects")
    out = {}
    for case, (_, stubs) in CASES.items():
        conv = ["-fplugin-arg-pvcc-conv=light"] if case.startswith("light") else []
        obj = compile_c(gcc, plugin_so, include_dir, tmp, case, TESTCASES / case / "input.c",
                        *conv, "-O2", "-std=gnu11", "-mconstant-gp")
        n = len(open_object(str(obj), require_records=True).records)
        out[case] = (obj, assemble(tmp, stubs, f"{case}_stubs"), n)
    return out


def _linked(objects, tmp: Path, case: str = "all_types", *, entries: int | None = None,
            kind: str = "@progbits", table: bool = True, name: str | None = None) -> Path:
    """CASE linked with a zero .pvcc_native of ENTRIES entries (default: one per record)."""
    obj, stubs, n = objects[case]
    extra = [_table_object(tmp, ENTRY.size * (n if entries is None else entries), kind=kind)]
    return link(tmp, [obj, stubs, *(extra if table else [])], name or f"{case}.elf",
                "-e", CASES[case][0], "-Ttext=0x100000")


def _entries(path: Path) -> list[bytes]:
    data = path.read_bytes()
    sh = section_headers(data)[SECTION]
    raw = data[sh["offset"]:sh["offset"] + sh["size"]]
    return [raw[i:i + ENTRY.size] for i in range(0, len(raw), ENTRY.size)]


def _one_error(capsys, path: Path) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"pvcc-check: error: {path}: "), err
    assert "Traceback" not in err[0]
    return err[0]


@needs_binutils
@pytest.mark.parametrize("case", sorted(CASES))
def test_fill_native_writes_what_patch_native_writes(objects, tmp_path, capsys, case):
    elf = _linked(objects, tmp_path, case)
    n = len(open_object(str(elf), require_records=True).records)
    zero = tmp_path / "zero.elf"
    zero.write_bytes(elf.read_bytes())
    assert set(_entries(elf)) == {bytes(ENTRY.size)}
    # the all-zero table passes the check (every site takes the patcher's long way)
    assert check_main(["-q", str(zero)]) == 0
    before = elf.read_bytes()
    os.chmod(elf, 0o640)
    assert check_main(["--fill-native", str(elf)]) == 0
    assert capsys.readouterr().out == f"{elf}: {SECTION}: {n} of {n} entries filled\n"
    assert os.stat(elf).st_mode & 0o7777 == 0o640
    after = elf.read_bytes()
    sh = section_headers(after)[SECTION]
    lo, hi = sh["offset"], sh["offset"] + sh["size"]
    assert len(after) == len(before) and after[:lo] == before[:lo] and after[hi:] == before[hi:]

    out = tmp_path / "native.elf"
    assert check_main(["-q", "--patch", "native", "-o", str(out), str(zero)]) == 0
    patched = open_object(str(out))
    recs = open_object(str(elf), require_records=True).records
    sizes = set()
    for rec, entry in zip(recs, _entries(elf), strict=True):
        e = ENTRY.unpack_from(entry)
        assert e.magic == MAGIC and entry[:4] == b"PVNB" and e.pad == bytes(10)
        assert e.nregion == rec.nbundles
        assert 1 <= e.nbundles <= 4
        code = e.code[:16 * e.nbundles]
        assert e.code[16 * e.nbundles:] == bytes(16 * (4 - e.nbundles))
        fill = patch_table.NOP_BUNDLE * (rec.nbundles - e.nbundles)
        assert code + fill == patched.read(rec.start, rec.end - rec.start)
        sizes.add(e.nbundles)
    if case == "all_types":
        assert sizes == {1, 2, 4}
    assert patch_table.NOP_BUNDLE == patch_table.generate().nop == native.NOP_BUNDLE

    # through a symbolic link the file it names is filled, the link stays
    link_path = tmp_path / "vmlinux"
    link_path.symlink_to(zero.name)
    assert check_main(["--fill-native", "-q", str(link_path)]) == 0
    assert link_path.is_symlink() and zero.read_bytes() == after

    # the filled table passes the check; filling again changes nothing (no rewrite)
    assert check_main(["-q", str(elf)]) == 0
    ino = os.stat(elf).st_ino
    assert check_main(["--fill-native", "-q", str(elf)]) == 0
    assert os.stat(elf).st_ino == ino and elf.read_bytes() == after


@needs_binutils
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_boot_patcher_copies_the_filled_table(objects, tmp_path, runner, sim_prog, case):
    """kernel/pvcc_patch.c over the filled file, as the kernel runs it (the image
    carries .pvcc_native's address): on the host through its callbacks, in
    pvcc-sim in place with fc.i; both write what --patch native writes.  With
    entry 0 zeroed, or an entry that claims more bundles than its region holds,
    that site takes the long way and the result is the same: the patcher copies
    nothing past a region's end, whatever the table says."""
    elf = _linked(objects, tmp_path, case)
    native_elf = tmp_path / "native.elf"
    assert check_main(["-q", "--patch", "native", "-o", str(native_elf), str(elf)]) == 0
    assert check_main(["--fill-native", "-q", str(elf)]) == 0
    o = open_object(str(elf), require_records=True)
    assert kimage.native_table(o) == section_headers(elf.read_bytes())[SECTION]["addr"]
    n = len(o.records)
    for run in (lambda o: kimage.run(runner, o), lambda o: kimage.run_sim(sim_prog, o)):
        segs, report = run(o)
        r = kimage.compare_native(o, segs, open_object(str(native_elf)))
        assert r["differ"] == [] and r["bytes_changed_outside_sites"] == 0
        assert r["identical"] == r["sites"] == n
        assert report.splitlines()[-1] == f"native {n} retargeted 0 kept 0 refused 0"
    data = bytearray(elf.read_bytes())
    off = section_headers(bytes(data))[SECTION]["offset"]
    data[off:off + ENTRY.size] = bytes(ENTRY.size)
    # a 1-bundle region's entry saying 2 bundles, its second one not a nop
    i = next(i for i, r in enumerate(o.records) if r.nbundles == 1 and i > 0)
    at = off + ENTRY.size * i
    data[at + 4] = 2
    data[at + 32:at + 48] = bytes([0xAA]) * 16
    elf.write_bytes(bytes(data))
    o = open_object(str(elf), require_records=True)
    for run in (lambda o: kimage.run(runner, o), lambda o: kimage.run_sim(sim_prog, o)):
        segs, report = run(o)
        r = kimage.compare_native(o, segs, open_object(str(native_elf)))
        assert r["identical"] == r["sites"] == n and r["bytes_changed_outside_sites"] == 0


# (what to change in entry 0, the violation's text after "entry 0 ")
CORRUPTIONS = [
    (lambda e: e.__setitem__(16 + 5, e[16 + 5] ^ 0x04),
     r"bundle 0 is [0-9a-f]{32}, the native code's is [0-9a-f]{32}"),
    (lambda e: e.__setitem__(4, e[4] + 1), r"has nbundles \d, the native code is \d bundle\(s\)"),
    (lambda e: e.__setitem__(0, ord("Q")),
     r'has magic 0x424e5651, expected 0x424e5650 \("PVNB"\) or an all-zero entry'),
    (lambda e: e.__setitem__(5, e[5] + 1), r"has nregion \d, the region is \d bundle\(s\)"),
    (lambda e: e.__setitem__(9, 1), r"has nonzero bytes 6\.\.15"),
    (lambda e: e.__setitem__(79, 1), r"unused bundle 3 is not zero"),
]


@needs_binutils
@pytest.mark.parametrize("n", range(len(CORRUPTIONS)))
def test_a_corrupted_entry_is_one_violation(objects, tmp_path, capsys, n):
    edit, text = CORRUPTIONS[n]
    elf = _linked(objects, tmp_path)
    assert check_main(["--fill-native", "-q", str(elf)]) == 0
    o = open_object(str(elf), require_records=True)
    # the first record with a 1-bundle region (so bundle 3 of its entry is unused)
    i, rec = next((i, r) for i, r in enumerate(o.records) if r.nbundles == 1)
    data = bytearray(elf.read_bytes())
    at = section_headers(bytes(data))[SECTION]["offset"] + ENTRY.size * i
    entry = data[at:at + ENTRY.size]
    edit(entry)
    data[at:at + ENTRY.size] = entry
    elf.write_bytes(data)
    capsys.readouterr()
    assert check_main(["-q", str(elf)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    name = catalog.type_name(rec.type)
    assert len(err) == 1 and re.fullmatch(
        rf"{re.escape(str(elf))}: {re.escape(o.where(rec.start))}: error: site of "
        rf"{re.escape(name)}: \.pvcc_native entry {i} {text}", err[0]), err
    assert check_main(["--json", str(elf)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [v["rule"] for v in doc["objects"][0]["violations"]] == ["native-table"]
    # an entry all zero again is fine: that site is patched the long way
    data[at:at + ENTRY.size] = bytes(ENTRY.size)
    elf.write_bytes(data)
    assert check_main(["-q", str(elf)]) == 0


@needs_binutils
@pytest.mark.parametrize("how", ["short", "long", "nobits"])
def test_a_table_of_the_wrong_size_or_without_contents(objects, tmp_path, capsys, how):
    n = objects["all_types"][2]
    elf = _linked(objects, tmp_path, entries={"short": n - 1, "long": n + 1, "nobits": n}[how],
                  kind="@nobits" if how == "nobits" else "@progbits")
    before = elf.read_bytes()
    assert check_main(["--fill-native", str(elf)]) == 2
    err = _one_error(capsys, elf)
    if how == "nobits":
        assert err.endswith(f"{SECTION} section has no contents in the file (NOBITS)")
    else:
        k = n - 1 if how == "short" else n + 1
        assert err.endswith(f"{SECTION} section is {80 * k} bytes, expected 80 x {n} "
                            f"record(s) = {80 * n}")
    assert elf.read_bytes() == before
    # the checking run: one violation naming the section
    assert check_main(["-q", str(elf)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{elf}: {SECTION}: error: {SECTION} section ")


@needs_binutils
def test_fill_native_errors_are_one_line_and_leave_the_file(objects, tmp_path, capsys):
    obj, stubs, _ = objects["all_types"]
    cases = {}
    cases["no table"] = (_linked(objects, tmp_path, table=False, name="notable.elf"), f"no {SECTION} section")
    trunc = tmp_path / "truncated.elf"
    trunc.write_bytes(_linked(objects, tmp_path).read_bytes()[:3000])
    cases["truncated"] = (trunc, "truncated ELF file")
    junk = tmp_path / "junk"
    junk.write_bytes(b"not an object at all\n")
    cases["foreign"] = (junk, "not an ELF file")
    cases["missing"] = (tmp_path / "missing.elf", "No such file or directory")
    rel = tmp_path / "all_types.o"
    rel.write_bytes(obj.read_bytes())
    cases["object"] = (rel, f"ET_REL file, {SECTION} is filled in a linked executable")
    sub = tmp_path / "nosites"
    sub.mkdir()
    cases["no records"] = (link(sub, [stubs, _table_object(sub, 80)], "stubs.elf",
                                "-e", "paravirt_fc", "-Ttext=0x100000"),
                           f"no {catalog.SECTION} section")
    for what, (path, text) in cases.items():
        before = path.read_bytes() if path.exists() else None
        assert check_main(["--fill-native", str(path)]) == 2, what
        err = _one_error(capsys, path)
        assert text in err, (what, err)
        assert (path.read_bytes() if path.exists() else None) == before, what
    # several files: each is done or refused on its own, exit 2 when one is refused
    good = _linked(objects, tmp_path, name="good.elf")
    assert check_main(["--fill-native", str(cases["no table"][0]), str(good)]) == 2
    cap = capsys.readouterr()
    assert len(cap.err.strip().splitlines()) == 1
    assert cap.out.startswith(f"{good}: {SECTION}: ")
    with pytest.raises(SystemExit) as e:
        check_main(["--fill-native", "--patch", "native", "-o", "x", str(good)])
    assert e.value.code == 2


def _site(rec: Record) -> SiteInfo:
    intr, reg = catalog.intrinsic_for(rec.type)
    return SiteInfo(rec, catalog.entry_name(intr, reg), intr, reg, None)


def _record(type_id: int, nbundles: int, **kw) -> Record:
    # get_cpuid(out0) -> r8 in a frame of sol 2, sof 3: out0 is r34
    fields = {"index": 0, "section_offset": 0, "start": 0x1000, "end": 0x1000 + 16 * nbundles,
              "func": 0x1000, "target": 0, "type": type_id, "version": 1,
              "conv": catalog.CONV_C, "nargs": 1, "result": 8, "sol": 2, "sof": 3, "flags": 0,
              "reserved": bytes(12), "args": (0x80,) + (0,) * 7}
    return Record(**{**fields, **kw})


def test_entry_drops_the_trailing_nop_bundles_and_refuses_what_the_patcher_refuses():
    cpuid = next(i for i in catalog.INTRINSICS if i.name == "get_cpuid")
    # a region longer than the code: the entry holds the code, not the nop bundles
    e = entry_for(_site(_record(cpuid.type_id, 3)))
    want = native.native_bundles(cpuid.type_id, [34], 8, 3)
    assert e.filled and e.nbundles == 1 and ENTRY.unpack_from(e.data).code[:16] == want[0]
    assert want[1:] == [native.NOP_BUNDLE] * 2
    for kw, reason in [({"version": 2}, "record version 2"),
                       ({"conv": 7}, "unknown convention 7"),
                       ({"end": 0x1008}, "region is not 1 to 255 whole bundles"),
                       ({"args": (0x85,) + (0,) * 7}, "outside the frame")]:
        e = entry_for(_site(_record(cpuid.type_id, 1, **kw)))
        assert not e.filled and e.data == bytes(80) and reason in e.reason, (kw, e)


def test_checking_an_object_does_not_import_the_table(objects):
    """The CC wrapper checks every object it compiles: without a .pvcc_native section
    the rule costs it no import."""
    obj = objects["all_types"][0]
    code = ("import sys; from pvcc.check import violations_of; "
            f"assert violations_of({str(obj)!r}) == []; "
            "print('pvcc.native_table' in sys.modules, 'pvcc.patch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(WRAPPER)})
    assert out.stdout.split() == ["False", "False"]
