"""The intrinsic catalog (pvcc.catalog) is the one source of the plugin, the header,
the checker, the native encoder and the patcher.

Proved here on real parts: the checked-in <pvcc/paravirt.h> is what the catalog
generates; the plugin built from the catalog accepts exactly the catalog's
registers with the catalog's texts; the native code of every type and register
decodes back to the catalog's instructions; and a fictitious intrinsic added to
the catalog of a copy of the package is known to the plugin, the checker and
the patcher of that copy, with nothing else edited.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pvcc import catalog, catalog_c, ia64, native, patch

ROOT = Path(__file__).resolve().parent.parent
G, S = catalog.GETREG_BASE, catalog.SETREG_BASE


def _env(**extra: str) -> dict[str, str]:
    return {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def test_paravirt_header_is_generated_from_the_catalog():
    header = Path(catalog_c.PARAVIRT_HEADER)
    assert header.read_text() == catalog_c.paravirt_header(), (
        f"{header} differs from what the catalog generates: it is generated, edit "
        "wrapper/pvcc/catalog.py (entries) or wrapper/pvcc/catalog_c.py (the fixed text), "
        "then run `python -m pvcc.catalog_c --write`")


def test_plugin_header_is_not_checked_in():
    """pvcc-catalog.h exists only in the plugin's build directory (see pvcc.pluginbuild)."""
    assert not (ROOT / "plugin" / catalog_c.PLUGIN_HEADER_NAME).exists()


def test_entries_are_consistent():
    for intr in catalog.INTRINSICS:
        assert intr.bundles >= 1 and intr.nargs <= catalog.MAX_ARGS, intr.name
        assert catalog.intrinsic_for(intr.type_id + (1025 if intr.access else 0))[0] is intr
    assert catalog.type_name(G + 3116) == "getreg(ar.itc)"
    assert catalog.intrinsic_for(0) is None and catalog.intrinsic_for(0x30000000) is None


def test_light_placeholder_weights_are_the_catalogs():
    """A light placeholder weighs what Linux's native asm weighs (catalog.asm_weight);
    the plugin reads the weights from its generated header."""
    weights = {i.name: i.asm_weight for i in catalog.INTRINSICS if i.asm_weight != 1}
    assert weights == {"set_rr0_to_rr4": 5, "intrin_local_irq_restore": 8,
                       "intrin_local_irq_save": 8}
    # GCC's count (final.cc, asm_str_count: 1 + each ';' or newline) of Linux 6.1's
    # asms: uapi/asm/gcc_intrin.h's ia64_intrin_local_irq_restore and ia64_set_rr (five of
    # them in ia64_set_rr0_to_rr4), and asm/irqflags.h's arch_local_irq_save():
    # ia64_stop() (";;"), getreg(PSR), ia64_stop(), ia64_rsm(IA64_PSR_I).
    linux = {"intrin_local_irq_restore": [(";;   cmp.ne p6,p7=%0,r0;;(p6) ssm psr.i;"
                                           "(p7) rsm psr.i;;(p6) srlz.d")],
             "set_rr0_to_rr4": ["mov rr[%0]=%1"] * 5,
             "intrin_local_irq_save": [";;", "mov %0=psr", ";;", "rsm %0"]}
    for name, asms in linux.items():
        assert weights[name] == sum(1 + sum(c in ";\n" for c in a) for a in asms), name
    header = catalog_c.plugin_header()
    for i in catalog.INTRINSICS:
        moved = catalog.light_moved_arg(i)
        assert f'{{ "{i.name}", ' in header and \
            f", {i.bundles}, {i.asm_weight}, {-1 if moved is None else moved} }}," in header
    source = (ROOT / "plugin" / "pvcc.cc").read_text()
    assert "in->asm_weight" in source and '"set_rr0_to_rr4"' not in source


def test_registers_by_name():
    """Reports print a register's name; every input takes the name or the number."""
    assert [catalog.type_name(t) for t in (G + 3116, S + 4162, G + 1019, S + 1019, S + 3072,
                                           G + 5000)] \
        == ["getreg(ar.itc)", "setreg(cr.tpr)", "getreg(psr)", "setreg(psr.l)", "setreg(ar.k0)",
            "getreg(5000)"]
    for reg in catalog.REGISTERS.values():
        for base in (G, S):
            name = catalog.type_name(base + reg.number)
            assert "(" in name and not name.split("(")[1][:-1].isdigit(), name
            assert catalog.type_id_of(name) == base + reg.number
            assert catalog.type_id_of(f"{name.split('(')[0]}({reg.number})") == base + reg.number
    assert catalog.reg_number("ar44") == catalog.reg_number("AR.ITC") == 3116
    assert catalog.type_id_of("ssm_i") == 9 and catalog.type_id_of(hex(G + 3116)) == G + 3116
    for bad in ("getreg", "ssm_i(3)", "getreg(ar.nope)", "getreg(-1)", "nope", "0x30000000"):
        assert catalog.type_id_of(bad) is None, bad


# -- the plugin: registers and texts -------------------------------------------------

def _candidates() -> list[int]:
    """Every catalog register, the IP, and the numbers around them that are none."""
    near = {n + d for n in (catalog.REG_IP, catalog.REG_PSR, catalog.REG_GP, catalog.REG_SP,
                            catalog.REG_TP) for d in (-1, 0, 1)}
    banks = {base + n for base in (catalog.AR_BASE, catalog.CR_BASE) for n in range(-1, 129)}
    return sorted(near | banks | set(catalog.REGISTERS) | {0, 12345})


def test_plugin_takes_exactly_the_catalog_registers(gcc, plugin_so, include_dir, tmp_path):
    """getreg and setreg of every candidate number: the plugin's verdict and text are
    catalog.reg_problem's."""
    regs = _candidates()
    lines = ["#include <pvcc/paravirt.h>"]
    for r in regs:
        lines.append(f"unsigned long get_{r}(void) {{ return paravirt_getreg({r}); }}")
        lines.append(f"void set_{r}(unsigned long v) {{ paravirt_setreg({r}, v); }}")
    src = tmp_path / "regs.c"
    src.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([gcc, f"-fplugin={plugin_so}", f"-I{include_dir}", "-O2",
                           "-fdiagnostics-plain-output", "-S", str(src), "-o", os.devnull],
                          capture_output=True, text=True, check=False, env=_env())
    got: dict[tuple[str, int], str] = {}
    for m in re.finditer(r"error: register (\d+) cannot be passed to paravirt intrinsic "
                         r"'paravirt_(getreg|setreg)': (.*)", proc.stderr):
        got[(m.group(2), int(m.group(1)))] = m.group(3)
    want = {}
    for r in regs:
        for name, base in (("getreg", G), ("setreg", S)):
            why = catalog.reg_problem(base, r)
            if why:
                want[(name, r)] = why
    assert got == want
    assert set(catalog.REG_PROBLEMS.values()) == set(want.values())
    assert proc.returncode == (1 if want else 0)


# -- native code and patch expectations: one table ------------------------------------

def _sites():
    """(label, type id, args, result) for every type, getreg/setreg of every register."""
    out = []
    for intr in catalog.INTRINSICS:
        if intr.access is None:
            out.append((intr.name, intr.type_id, [40 + i for i in range(intr.nargs)], 8))
    for reg in catalog.REGISTERS.values():
        out.append((f"getreg({reg.label})", G + reg.number, [0], 35))
        if reg.writable:
            out.append((f"setreg({reg.label})", S + reg.number, [0, 41], 0))
    return out


@pytest.mark.parametrize("label,type_id,args,result", _sites(), ids=[s[0] for s in _sites()])
def test_native_code_decodes_to_the_catalog(label, type_id, args, result):
    intr = catalog.intrinsic_for(type_id)[0]
    bundles = native.native_bundles(type_id, args, result, intr.bundles)
    insns = [i for n, b in enumerate(bundles) for i in ia64.decode_bundle(b, 16 * n).insns]
    assert patch.code_mismatch(type_id, args, result, insns) is None
    # and the comparison is not vacuous: other registers, another type are caught
    if args[intr.access is not None:] or intr.returns:
        other = [a + 1 for a in args]
        assert patch.code_mismatch(type_id, other, result + 1, insns) is not None
    another = "rsm_i" if label == "ssm_i" else "ssm_i"
    assert patch.code_mismatch(catalog.BY_NAME[another].type_id, [], 0, insns) is not None


# -- acceptance: one new entry in the catalog reaches every part --------------------

FAKE = ('    intrinsic("flush_and_hash", 14, UL, (f"{UL} addr",),\n'
        '              bundle("MII;", "fc r3=%addr"),\n'
        '              bundle("M;MI;", "thash r1=%result r3=%addr")),\n')


def _copy_package(dest: Path) -> Path:
    """wrapper/pvcc with its plugin sources (the symlink resolved), without caches."""
    pkg = dest / "pvcc"
    shutil.copytree(ROOT / "wrapper" / "pvcc", pkg, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def _python(pkg: Path, code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False, env=_env(PYTHONPATH=str(pkg.parent), **env))


CHECK = "import sys; from pvcc.check_cli import main; sys.exit(main())"


def test_a_new_catalog_entry_reaches_plugin_checker_and_patcher(gcc, plugin_so, tmp_path):
    pkg = _copy_package(tmp_path / "copy")
    cat = pkg / "catalog.py"
    text = cat.read_text()
    anchor = '    intrinsic("getreg", GETREG_BASE,'
    assert anchor in text
    cat.write_text(text.replace(anchor, FAKE + anchor))

    # the copy's header declares it, the copy's plugin is built from the copy's catalog
    gen = _python(pkg, "import sys; from pvcc.catalog_c import main; sys.exit(main())",
                  "--write")
    assert gen.returncode == 0, gen.stderr
    header = (pkg / "plugin" / "include" / "pvcc" / "paravirt.h").read_text()
    assert "extern unsigned long paravirt_flush_and_hash(unsigned long addr)" in header
    build = _python(pkg, "import sys; from pvcc.pluginbuild import plugin_path; "
                    "print(plugin_path(sys.argv[1]))", gcc,
                    PVCC_CACHE_DIR=str(tmp_path / "cache"))
    assert build.returncode == 0, build.stderr
    fake_so = build.stdout.strip()

    src = tmp_path / "fake.c"
    src.write_text("#include <pvcc/paravirt.h>\n"
                   "unsigned long f(unsigned long a) { return paravirt_flush_and_hash(a) + 1; }\n")
    obj = tmp_path / "fake.o"

    def compile_with(so):
        return subprocess.run([gcc, f"-fplugin={so}", f"-I{pkg / 'plugin' / 'include'}",
                               "-O2", "-c", str(src), "-o", str(obj)],
                              capture_output=True, text=True, check=False, env=_env())

    # the shipped plugin does not know type 14; the copy's does
    old = compile_with(plugin_so)
    assert old.returncode == 1 and "unknown paravirt intrinsic type 14" in old.stderr
    new = compile_with(fake_so)
    assert new.returncode == 0, new.stderr

    # the copy's checker accepts the site (region of the new entry's 2 bundles included)
    check = _python(pkg, CHECK, str(obj))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "flush_and_hash 1" in check.stdout
    # the shipped checker does not know the type
    theirs = subprocess.run([sys.executable, "-c", CHECK, str(obj)], capture_output=True,
                            text=True, check=False)
    assert theirs.returncode == 1 and "unknown type 0xe" in theirs.stdout + theirs.stderr

    # the copy's patcher writes the new entry's native code
    out = tmp_path / "native.o"
    done = _python(pkg, CHECK, "--patch", "native", "-o", str(out), str(obj))
    assert done.returncode == 0, done.stdout + done.stderr
    dis = subprocess.run(["ia64-linux-gnu-objdump", "-d", str(out)], capture_output=True,
                         text=True, check=True).stdout
    assert re.search(r"\bfc r(3[2-9]|[4-9]\d)\b", dis), dis
    assert re.search(r"\bthash r8=r(3[2-9]|[4-9]\d)\b", dis), dis
    assert "br.call" not in dis


def test_the_record_format_documents_the_catalog_region_sizes():
    """docs/records.md's region-size table is the catalog's, row by row."""
    text = (ROOT / "docs" / "records.md").read_text()
    rows = {(name, int(tid)): int(n) for name, tid, n in
            re.findall(r"^\| (\w+) \((\d+)\) \| (\d+) \|$", text, re.MULTILINE)}
    other = re.search(r"^\| every other type \| (\d+) \|$", text, re.MULTILINE)
    assert rows and other
    for intr in catalog.INTRINSICS:
        size = rows.get((intr.name.upper(), intr.type_id), int(other.group(1)))
        assert size == intr.bundles, intr.name
