"""Preprocess, then compile: what distcc, icecream and ccache's preprocessor
mode do with ``CC=pvcc``.

Every testcase of ``testcases/``, at each of its optimisation levels, is
compiled through the real pvcc and the real IA-64 GCC twice: directly
(``pvcc -c NAME.c``), and preprocessed first (``pvcc -E NAME.c -o NAME.i``,
then ``pvcc -c NAME.i``).  The two objects must be the same bytes -- so the
same records, sites and code -- and a compile case must have records at all;
a diagnostics case must fail the same way both times, with the same messages.
Cases compiled alike share one ``pvcc -c`` call per level (the suite stays
fast); the flag set is the kernel's where the case allows it.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from pvcc.catalog import KERNEL_CFLAGS

CASES_DIR = Path(__file__).resolve().parent.parent / "testcases"
LEVELS = ["-O0", "-O1", "-O2", "-Os", "-O3"]
FLAG_SETS = {
    "plain": [],
    "kernel": list(KERNEL_CFLAGS),
}
DIAG = ["-fdiagnostics-plain-output", "-fno-diagnostics-show-caret"]


def _specs():
    for toml in sorted(CASES_DIR.glob("*/case.toml")):
        yield toml.parent, tomllib.loads(toml.read_text())


SPECS = list(_specs())
DIAGNOSTIC_CASES = [(c, s, lv) for c, s in SPECS if s.get("kind") == "diagnostics"
                    for lv in s.get("levels", LEVELS)]


def _flags(spec) -> list[str]:
    sets = spec.get("flag_sets", list(FLAG_SETS))
    return FLAG_SETS["kernel" if "kernel" in sets else sets[0]]


def _run(argv, env, cwd):
    return subprocess.run([str(a) for a in argv], env=env, cwd=cwd, capture_output=True,
                          check=False, timeout=300)


def _excluded(spec, gcc_version):
    return any(ex["gcc"] == gcc_version for ex in spec.get("exclude", []))


@pytest.fixture(scope="module")
def include_dir(pvcc_exe, env):
    return _run([pvcc_exe, "--print-include-dir"], env, None).stdout.decode().strip()


def test_every_testcase_is_covered():
    assert len(SPECS) >= 20
    assert len(DIAGNOSTIC_CASES) >= 10


@pytest.mark.parametrize("level", LEVELS)
def test_preprocessed_compile_equals_direct_compile(level, pvcc_exe, env, include_dir,
                                                    gcc_version, tmp_path):
    from pvcc.objects import open_object

    groups = defaultdict(list)
    for case, spec in SPECS:
        if (spec.get("kind") == "diagnostics" or level not in spec.get("levels", LEVELS)
                or _excluded(spec, gcc_version)):
            continue
        key = (tuple(spec.get("options", [])), tuple(spec.get("plugin_args", [])),
               tuple(_flags(spec)))
        groups[key].append((case, spec))
    assert groups
    compared = 0
    for n, ((options, plugin_args, flags), cases) in enumerate(sorted(groups.items())):
        genv = dict(env, PVCC_PLUGIN_ARGS=" ".join(plugin_args))
        opts = [*DIAG, *options, level, *flags]
        direct, pre = tmp_path / f"direct{n}", tmp_path / f"pre{n}"
        direct.mkdir()
        pre.mkdir()
        names = []
        for case, _ in cases:
            shutil.copy(case / "input.c", direct / f"{case.name}.c")
            names.append(case.name)
        p = _run([pvcc_exe, f"-I{include_dir}", *opts, "-c", *(f"{m}.c" for m in names)],
                 genv, direct)
        assert p.returncode == 0 and not p.stderr, p.stderr.decode()
        for m in names:
            p = _run([pvcc_exe, f"-I{include_dir}", *opts, "-E", f"{m}.c",
                      "-o", pre / f"{m}.i"], genv, direct)
            assert p.returncode == 0 and not p.stderr, p.stderr.decode()
        p = _run([pvcc_exe, *opts, "-c", *(f"{m}.i" for m in names)], genv, pre)
        assert p.returncode == 0 and not p.stderr, p.stderr.decode()
        for case, spec in cases:
            m = case.name
            assert (pre / f"{m}.o").read_bytes() == (direct / f"{m}.o").read_bytes(), \
                f"{m} {level}: the object of the preprocessed compile differs"
            if spec.get("kind", "sites") == "sites":
                assert open_object(str(pre / f"{m}.o")).records, f"{m} {level}: no records"
                assert b"paravirt_intrinsic" in (pre / f"{m}.i").read_bytes()
            compared += 1
    assert compared >= 10


@pytest.mark.parametrize("case,spec,level", DIAGNOSTIC_CASES,
                         ids=[f"{c.name}[{lv}]" for c, _, lv in DIAGNOSTIC_CASES])
def test_preprocessed_compile_gives_the_same_diagnostics(case, spec, level, pvcc_exe, env,
                                                          include_dir, gcc_version, tmp_path):
    if _excluded(spec, gcc_version):
        pytest.skip(f"excluded on GCC {gcc_version}")
    opts = [*DIAG, *spec.get("options", []), level, *_flags(spec)]
    direct = _run([pvcc_exe, f"-I{include_dir}", *opts, "-c", "input.c",
                   "-o", tmp_path / "direct.o"], env, case)
    p = _run([pvcc_exe, f"-I{include_dir}", *opts, "-E", "input.c", "-o", tmp_path / "x.i"],
             env, case)
    assert p.returncode == 0, p.stderr.decode()
    late = _run([pvcc_exe, *opts, "-c", tmp_path / "x.i", "-o", tmp_path / "late.o"], env, case)
    assert direct.returncode == spec.get("exit", 1) and direct.stderr
    assert (late.returncode, late.stderr) == (direct.returncode, direct.stderr)
    assert not (tmp_path / "late.o").exists() and not (tmp_path / "direct.o").exists()
