"""Every directory of testcases/ with a case.toml, at every level and flag set.

See testcases/README.md for the format. PVCC_REGEN=1 rewrites the expected
files from what the compiler does now (for a human to review; never in CI).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path

import oracle
import pytest

from pvcc.catalog import KERNEL_CFLAGS

HERE = Path(__file__).parent
LEVELS = ["-O0", "-O1", "-O2", "-Os", "-O3"]
FLAG_SETS = {
    "plain": [],
    "kernel": list(KERNEL_CFLAGS),
}
REGEN = os.environ.get("PVCC_REGEN") == "1"


def _cases():
    for toml in sorted(HERE.glob("*/case.toml")):
        spec = tomllib.loads(toml.read_text())
        for level in spec.get("levels", LEVELS):
            for flags in spec.get("flag_sets", list(FLAG_SETS)):
                yield pytest.param(toml.parent, spec, level, flags,
                                   id=f"{toml.parent.name}[{level}-{flags}]")


def _compile(gcc, plugin_so, include_dir, case: Path, spec, level, flags, out: Path,
             with_plugin=True):
    argv = [gcc]
    if with_plugin:
        argv.append(f"-fplugin={plugin_so}")
        argv += [f"-fplugin-arg-pvcc-{arg}" for arg in spec.get("plugin_args", [])]
    argv += ["-fdiagnostics-plain-output", "-fno-diagnostics-show-caret", f"-I{include_dir}",
             *spec.get("options", []), level, *FLAG_SETS[flags], "-c", "input.c", "-o", str(out)]
    env = dict(os.environ, LC_ALL="C")
    proc = subprocess.run(argv, cwd=case, capture_output=True, text=True, env=env,
                          check=False)
    return proc, shlex.join(argv)


def _excluded(spec, gcc_version):
    for ex in spec.get("exclude", []):
        assert ex.get("reason"), "an exclusion needs a written reason"
        if ex["gcc"] == gcc_version:
            pytest.skip(f"excluded on GCC {gcc_version}: {ex['reason']}")


# -- expected-sites.txt -------------------------------------------------------

def _parse_sites(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section name ('' for the base) -> function -> site types."""
    sections: dict[str, dict[str, list[str]]] = {"": {}}
    current = ""
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            current = line.strip("[]").strip()
            sections.setdefault(current, {})
            continue
        func, _, types = line.partition(":")
        sections[current][func.strip()] = types.split()
    return sections


def _expected_sites(path: Path, level: str, flags: str) -> dict[str, list[str]]:
    sections = _parse_sites(path)
    merged = dict(sections[""])
    for key in (level, f"{level} {flags}"):
        merged.update(sections.get(key, {}))
    return {f: t for f, t in merged.items() if t}


def _actual_sites(records, functions) -> dict[str, list[str]]:
    sites = defaultdict(list)
    for rec in sorted(records, key=lambda r: r.start):
        fn = oracle.function_at(functions, rec.start)
        sites[fn.name if fn else f"?{rec.start:#x}"].append(rec.type_name)
    return dict(sites)


def _write_sites(path: Path, results: dict[tuple[str, str], dict[str, list[str]]]) -> None:
    base = results.get(("-O2", "plain")) or next(iter(results.values()))
    lines = ["# function: types of its sites in address order (see testcases/README.md)"]
    lines += [f"{f}: {' '.join(t)}" for f, t in sorted(base.items())]

    def diff(actual):
        funcs = sorted(set(actual) | set(base))
        return {f: actual.get(f, []) for f in funcs if actual.get(f, []) != base.get(f, [])}

    for level in LEVELS:
        per_flags = {fl: diff(results[(level, fl)]) for fl in FLAG_SETS if (level, fl) in results}
        if not any(per_flags.values()):
            continue
        same = len({repr(d) for d in per_flags.values()}) == 1
        groups = [(level, next(iter(per_flags.values())))] if same else \
            [(f"{level} {fl}", d) for fl, d in per_flags.items() if d]
        for name, d in groups:
            lines.append(f"[{name}]")
            lines += [f"{f}: {' '.join(t)}".rstrip() for f, t in d.items()]
    path.write_text("\n".join(lines) + "\n")


_regen_sites: dict[Path, dict] = defaultdict(dict)


# -- the test -----------------------------------------------------------------

@pytest.mark.parametrize("case, spec, level, flags", list(_cases()))
def test_case(case, spec, level, flags, gcc, gcc_version, plugin_so, include_dir, tmp_path):
    _excluded(spec, gcc_version)
    kind = spec.get("kind", "sites")
    obj = tmp_path / "input.o"
    proc, cmd = _compile(gcc, plugin_so, include_dir, case, spec, level, flags, obj)
    context = f"\n$ cd {case} && {cmd}\n{proc.stderr}"

    if kind == "diagnostics":
        stderr = proc.stderr.replace(str(include_dir) + "/", "")
        expected = case / "expected-stderr.txt"
        if REGEN:
            expected.write_text(stderr)
        assert proc.returncode == spec.get("exit", 1), context
        assert not obj.exists(), "a failed compile left an object behind" + context
        assert stderr == expected.read_text(), context
        return

    assert proc.returncode == 0 and proc.stderr == "", context
    records = oracle.records(str(obj))

    if kind == "transparent":
        assert records == [], "records in a file without intrinsics" + context
        plain = tmp_path / "plain.o"
        proc2, cmd2 = _compile(gcc, plugin_so, include_dir, case, spec, level, flags, plain,
                               with_plugin=False)
        assert proc2.returncode == 0, proc2.stderr
        assert oracle.text_bytes(str(obj)) == oracle.text_bytes(str(plain)), \
            f".text differs with the plugin{context}\n$ {cmd2}"
        return

    functions = oracle.disassemble(str(obj))
    actual = _actual_sites(records, functions)
    if REGEN:
        _regen_sites[case][(level, flags)] = actual
        if len(_regen_sites[case]) == len(spec.get("levels", LEVELS)) * \
                len(spec.get("flag_sets", FLAG_SETS)):
            _write_sites(case / "expected-sites.txt", _regen_sites[case])
    else:
        expected = _expected_sites(case / "expected-sites.txt", level, flags)
        listing = "\n".join(f"  {r.type_name} at {r.start:#x}..{r.end:#x}"
                            f" sol={r.sol} sof={r.sof}" for r in records)
        assert actual == expected, f"sites differ\nrecords:\n{listing}{context}"

    problems = []
    for rec in records:
        for p in oracle.site_problems(str(obj), functions, rec):
            fn = oracle.function_at(functions, rec.start)
            region = "\n".join(f"    {b.text()}" for b in (fn.bundles if fn else [])
                               if rec.start - 16 <= b.addr < rec.end + 16)
            problems.append(f"{rec.type_name} at {rec.start:#x}: {p}\n{region}")
    assert not problems, "\n".join(problems) + context

    if "compat-bundles" in spec.get("plugin_args", []):
        compat = oracle.compat_records(str(obj))
        assert compat == [(r.start, r.end, r.type) for r in records], context

    for name in spec.get("leaves", []):
        fn = next((f for f in functions if f.name == name), None)
        assert fn is not None, f"no function {name}" + context
        leaf = oracle.leaf_problems(fn)
        assert not leaf, f"{name} is not a leaf that keeps its frame:\n" + "\n".join(leaf) \
            + context

    from pvcc import check
    violations = check.violations_of(str(obj))
    assert violations == [], "\n".join(violations) + context
