"""pvcc.driver: the drop-in CC, run as a real process against the real compiler.

Transparency (wrapper/pvcc/driver.py's docstring): on plain C without intrinsics,
pvcc must give the compiler's own stdout, stderr, exit status, dependency
file and `.text` bytes; probes and identity queries must be exactly the
compiler's.  Every test here runs the real IA-64 cross GCC (the session
fixture ``gcc`` from the top-level conftest provisions it).  The only fake
compiler is the shell script of the *plumbing* tests at the end (exit
status, death by signal, signal forwarding, inherited fds), which the real
GCC cannot be made to exercise on demand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from asmtools import assemble, needs_binutils
from pvcc.catalog import KERNEL_CFLAGS

PLAIN = Path(__file__).parent / "data" / "plain"
ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(PLAIN.glob("*.c"))
GCC_NAME = "ia64-linux-gnu-gcc"
KERNEL_FLAGS = list(KERNEL_CFLAGS)
FLAG_SETS = {
    "O2": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
    "kernel": ["-std=gnu11", "-O2", *KERNEL_FLAGS, "-fno-common", "-fno-strict-aliasing",
               "-Wall"],
}


# ---------------------------------------------------------------------------
# fixtures and helpers


def run(argv, env, cwd=None, input=None, timeout=120):
    return subprocess.run([str(a) for a in argv], env=env, cwd=cwd, input=input,
                          capture_output=True, timeout=timeout, check=False)


def same(plain, wrapped, norm=lambda b: b):
    assert wrapped.returncode == plain.returncode, wrapped.stderr.decode()
    assert norm(wrapped.stdout) == norm(plain.stdout)
    assert norm(wrapped.stderr) == norm(plain.stderr)


def gcc_temps(data: bytes) -> bytes:
    """GCC's random temporary file names (-v, -###) made comparable."""
    import re

    return re.sub(rb"/cc[A-Za-z0-9]{6}\.", b"/ccXXXXXX.", data)


def verbose_lines(proc) -> list[str]:
    return [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("pvcc: ")]


def injected(proc) -> bool:
    lines = verbose_lines(proc)
    assert lines, "PVCC_VERBOSE printed nothing"
    return any(ln.startswith("pvcc: inject -fplugin=") for ln in lines)


def text_sections(obj: Path) -> list[tuple[str, bytes]]:
    from elftools.elf.elffile import ELFFile

    with open(obj, "rb") as f:
        elf = ELFFile(f)
        return [(s.name, s.data()) for s in elf.iter_sections()
                if s.name == ".text" or s.name.startswith(".text.")]


def section_names(obj: Path) -> list[str]:
    from elftools.elf.elffile import ELFFile

    with open(obj, "rb") as f:
        return [s.name for s in ELFFile(f).iter_sections()]


# ---------------------------------------------------------------------------
# transparency on plain C


def test_plain_corpus_is_big_enough():
    assert len(SOURCES) >= 20


@pytest.mark.parametrize("flags", sorted(FLAG_SETS))
@pytest.mark.parametrize("src", SOURCES, ids=[s.name for s in SOURCES])
def test_transparent_compile(src, flags, gcc, pvcc_exe, env, tmp_path):
    results = {}
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        d = tmp_path / who
        d.mkdir()
        argv = [*cc, *FLAG_SETS[flags], "-Wp,-MMD,x.d", "-c", "-o", "x.o", src]
        results[who] = (run(argv, env, cwd=d), d)
    (plain, pd), (wrapped, wd) = results["plain"], results["pvcc"]
    same(plain, wrapped)
    assert plain.returncode == 0
    assert (wd / "x.d").read_bytes() == (pd / "x.d").read_bytes()
    assert text_sections(wd / "x.o") == text_sections(pd / "x.o")
    assert ".pvcc_sites" not in section_names(wd / "x.o")


def test_transparent_asm_output(gcc, pvcc_exe, env, tmp_path):
    """-S of plain C: the same assembly text (kernel asm-offsets relies on it)."""
    src = PLAIN / "structs.c"
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        p = run([*cc, "-O2", "-S", "-o", tmp_path / f"{who}.s", src], env)
        assert p.returncode == 0, p.stderr
    assert (tmp_path / "pvcc.s").read_bytes() == (tmp_path / "plain.s").read_bytes()


def test_save_temps_is_transparent(gcc, pvcc_exe, env, tmp_path):
    """-save-temps compiles the .i with -fpreprocessed, plugin loaded."""
    src = PLAIN / "loops.c"
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        d = tmp_path / who
        d.mkdir()
        p = run([*cc, "-O2", "-save-temps", "-c", src, "-o", "x.o"], env, cwd=d)
        assert p.returncode == 0, p.stderr
    assert text_sections(tmp_path / "pvcc" / "x.o") == text_sections(tmp_path / "plain" / "x.o")


def test_several_sources_in_one_call(gcc, pvcc_exe, env, tmp_path):
    srcs = [PLAIN / "loops.c", PLAIN / "switch.c", PLAIN / "unions.c"]
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        d = tmp_path / who
        d.mkdir()
        same_proc = run([*cc, "-O2", "-c", *srcs], env, cwd=d)
        assert same_proc.returncode == 0, same_proc.stderr
    for s in srcs:
        obj = s.with_suffix(".o").name
        assert text_sections(tmp_path / "pvcc" / obj) == text_sections(tmp_path / "plain" / obj)


def test_compile_error_is_the_compilers(gcc, pvcc_exe, env, tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int f(void) { return missing + ; }\n#include <no-such-header.h>\n")
    plain = run([gcc, "-c", bad, "-o", tmp_path / "a.o"], env, cwd=tmp_path)
    wrapped = run([pvcc_exe, "-c", bad, "-o", tmp_path / "a.o"], env, cwd=tmp_path)
    assert plain.returncode != 0
    same(plain, wrapped)
    assert not (tmp_path / "a.o").exists()


def test_warnings_as_errors_exit_status(gcc, pvcc_exe, env, tmp_path):
    src = PLAIN / "warnings.c"
    plain = run([gcc, "-Wall", "-Werror", "-c", src, "-o", tmp_path / "w.o"], env)
    wrapped = run([pvcc_exe, "-Wall", "-Werror", "-c", src, "-o", tmp_path / "w.o"], env)
    assert plain.returncode == 1
    same(plain, wrapped)


def test_stdin_compile_is_transparent_and_injected(gcc, pvcc_exe, env, tmp_path):
    code = (PLAIN / "recursion.c").read_bytes()
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        d = tmp_path / who
        d.mkdir()
        p = run([*cc, "-O2", "-c", "-x", "c", "-"], env, cwd=d, input=code)
        assert p.returncode == 0, p.stderr
    assert text_sections(tmp_path / "pvcc" / "-.o") == text_sections(tmp_path / "plain" / "-.o")
    v = run([pvcc_exe, "-O2", "-c", "-x", "c", "-", "-o", tmp_path / "v.o"],
            dict(env, PVCC_VERBOSE="1"), input=code)
    assert v.returncode == 0 and injected(v)


# ---------------------------------------------------------------------------
# kernel probes and identity queries


PROBES = {
    "cc-option": ["-Werror", "-c", "-x", "c", "/dev/null", "-o", "{tmp}/x.o"],
    "kconfig-cc-option": ["-E", "-x", "c", "/dev/null", "-o", "/dev/null"],
    "version": ["--version"],
    "v": ["-v"],
    "dumpmachine": ["-dumpmachine"],
    "dumpversion": ["-dumpversion"],
    "dumpfullversion": ["-dumpfullversion"],
    "print-plugin": ["-print-file-name=plugin"],
    "print-include": ["-print-file-name=include"],
    "print-libgcc": ["-print-libgcc-file-name"],
    "print-cc1": ["-print-prog-name=cc1"],
    "print-search-dirs": ["-print-search-dirs"],
    "help": ["--help"],
    "###-compile": ["-###", "-O2", "-c", "{src}", "-o", "{tmp}/y.o"],
    "v-compile": ["-v", "-O2", "-c", "{src}", "-o", "{tmp}/y.o"],
    "Wa-version": ["-Wa,--version", "-c", "-x", "assembler", "/dev/null", "-o", "{tmp}/z.o"],
    "syntax-only": ["-fsyntax-only", "{src}"],
    "asm-S": ["-c", "{asm}", "-o", "{tmp}/s.o"],
    "assembler-with-cpp": ["-D__ASSEMBLY__", "-c", "-x", "assembler-with-cpp", "{asm}",
                           "-o", "{tmp}/s2.o"],
}


@pytest.fixture
def probe_files(tmp_path):
    asm = tmp_path / "a.S"
    asm.write_text("#ifdef __ASSEMBLY__\n\t.text\n#endif\n\t.global f\nf:\n\tbr.ret.sptk.many b0\n;;\n")
    return {"tmp": str(tmp_path), "src": str(PLAIN / "macros.c"), "asm": str(asm)}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_is_exactly_the_compilers(name, gcc, pvcc_exe, env, probe_files):
    args = [a.format(**probe_files) for a in PROBES[name]]
    plain = run([gcc, *args], env, cwd=probe_files["tmp"])
    wrapped = run([pvcc_exe, *args], env, cwd=probe_files["tmp"])
    same(plain, wrapped, norm=gcc_temps)
    v = run([pvcc_exe, *args], dict(env, PVCC_VERBOSE="1"), cwd=probe_files["tmp"])
    assert not injected(v), verbose_lines(v)
    assert b"-fplugin" not in v.stderr.replace(b"pvcc: ", b"")


# Preprocessing C loads the plugin, which defines __PVCC__ (the .i keeps the
# intrinsics for a later compile, as distcc and icecream do it); on C that
# does not test __PVCC__ the output is still exactly the compiler's.
PREPROCESS = {
    "MM": ["-MM", "{src}"],
    "M-MG": ["-M", "-MG", "{src}"],
    "MM-c": ["-MM", "-c", "{src}"],
    "E": ["-E", "{src}"],
    "E-P-C": ["-E", "-P", "-C", "-x", "c", "{src}"],
    "E-o": ["-E", "{src}", "-o", "{tmp}/x.i"],
}


@pytest.mark.parametrize("name", sorted(PREPROCESS))
def test_preprocess_of_c_loads_the_plugin_and_is_the_compilers(name, gcc, pvcc_exe, env,
                                                               probe_files):
    args = [a.format(**probe_files) for a in PREPROCESS[name]]
    plain = run([gcc, *args], env, cwd=probe_files["tmp"])
    out = Path(probe_files["tmp"], "x.i")
    plain_out = out.read_bytes() if out.exists() else None
    wrapped = run([pvcc_exe, *args], env, cwd=probe_files["tmp"])
    same(plain, wrapped)
    assert (out.read_bytes() if out.exists() else None) == plain_out
    v = run([pvcc_exe, *args], dict(env, PVCC_VERBOSE="1"), cwd=probe_files["tmp"])
    assert injected(v), verbose_lines(v)


def test_preprocessed_output_keeps_the_intrinsics(gcc, pvcc_exe, env, tmp_path):
    src = tmp_path / "t.c"
    src.write_text("#include <pvcc/paravirt.h>\nint v = __PVCC__;\n"
                   "unsigned long f(void) { return paravirt_get_cpuid(3); }\n")
    inc = run([pvcc_exe, "--print-include-dir"], env).stdout.decode().strip()
    p = run([pvcc_exe, f"-I{inc}", "-E", "-P", src], env)
    assert p.returncode == 0, p.stderr
    assert b"int v = 1;" in p.stdout
    assert b"paravirt_get_cpuid(int index)\n __attribute__((paravirt_intrinsic(3)))" in p.stdout
    plain = run([gcc, f"-I{inc}", "-E", "-P", src], env)  # __PVCC__ is the plugin's
    assert b"int v = __PVCC__;" in plain.stdout and b"paravirt_intrinsic" not in plain.stdout


@pytest.mark.parametrize("code", [
    b"GCC __GNUC__ __GNUC_MINOR__ __GNUC_PATCHLEVEL__\n",  # scripts/cc-version.sh
    b"#include <stddef.h>\nsize_t s = sizeof(long);\n",
])
def test_preprocess_stdin(code, gcc, pvcc_exe, env):
    plain = run([gcc, "-E", "-P", "-x", "c", "-"], env, input=code)
    wrapped = run([pvcc_exe, "-E", "-P", "-x", "c", "-"], env, input=code)
    assert plain.returncode == 0 and plain.stdout.strip()
    same(plain, wrapped)


def test_stack_protector_style_probe_to_stdout(gcc, pvcc_exe, env):
    code = b"int foo(void) { char X[200]; return 3; }\n"
    args = ["-S", "-x", "c", "-", "-o", "-", "-O0", "-fstack-protector"]
    plain = run([gcc, *args], env, input=code)
    wrapped = run([pvcc_exe, *args], env, input=code)
    same(plain, wrapped)


def test_version_first_line_through_a_pipe(gcc, pvcc_exe, env):
    cmd = '"$CC" --version 2>/dev/null | head -n 1'
    plain = subprocess.run(["sh", "-c", cmd], env=dict(env, CC=gcc), capture_output=True,
                           check=False)
    wrapped = subprocess.run(["sh", "-c", cmd], env=dict(env, CC=pvcc_exe), capture_output=True,
                             check=False)
    assert plain.stdout.startswith(GCC_NAME.encode())
    assert wrapped.stdout == plain.stdout


def test_sigpipe_behaves_like_the_compiler(gcc, pvcc_exe, env, tmp_path):
    """Python ignores SIGPIPE; pvcc must not hand that on to the compiler."""
    big = tmp_path / "big.c"
    big.write_text("".join(f"int variable_number_{i} = {i};\n" for i in range(40000)))
    cmd = '"$CC" -E -P "$SRC" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"'
    statuses = []
    for cc in (gcc, pvcc_exe):
        p = subprocess.run(["bash", "-c", cmd], env=dict(env, CC=cc, SRC=str(big)),
                           capture_output=True, check=False)
        statuses.append((p.stdout, p.stderr))
    assert statuses[1] == statuses[0]


# ---------------------------------------------------------------------------
# injection decisions


def test_injects_for_a_c_compile(pvcc_exe, env, tmp_path, plugin_so):
    p = run([pvcc_exe, "-O2", "-c", PLAIN / "loops.c", "-o", tmp_path / "l.o"],
            dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0, p.stderr
    lines = verbose_lines(p)
    assert f"pvcc: inject -fplugin={plugin_so}" in lines
    run_line = next(ln for ln in lines if ln.startswith(("pvcc: run ", "pvcc: exec ")))
    # Inserted right after argv[0]; the caller's argv follows untouched.
    assert run_line.split()[3:6] == [f"-fplugin={plugin_so}", "-O2", "-c"]


def test_injects_for_dash_S(pvcc_exe, env, tmp_path):
    p = run([pvcc_exe, "-O2", "-S", PLAIN / "loops.c", "-o", tmp_path / "l.s"],
            dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0 and injected(p)


def test_injects_for_preprocessed_input(pvcc_exe, env, tmp_path, gcc):
    venv = dict(env, PVCC_VERBOSE="1")
    i = tmp_path / "pre.i"
    i.write_bytes(run([gcc, "-E", PLAIN / "loops.c"], env).stdout)
    p = run([pvcc_exe, "-O2", "-c", i, "-o", tmp_path / "pre.o"], venv)
    assert p.returncode == 0 and injected(p)


def test_plugin_args_from_env(pvcc_exe, env, tmp_path, plugin_so):
    p = run([pvcc_exe, "-c", PLAIN / "loops.c", "-o", tmp_path / "l.o"],
            dict(env, PVCC_VERBOSE="1", PVCC_PLUGIN_ARGS="disable  compat-bundles"))
    assert p.returncode == 0, p.stderr
    assert (f"pvcc: inject -fplugin={plugin_so} -fplugin-arg-pvcc-disable "
            "-fplugin-arg-pvcc-compat-bundles") in verbose_lines(p)


def test_caller_plugin_args_after_the_injected_plugin(pvcc_exe, env, tmp_path):
    """GCC rejects -fplugin-arg-pvcc-* before -fplugin=pvcc.so: the injected
    flag goes first, so the caller may pass plugin args of its own."""
    p = run([pvcc_exe, "-fplugin-arg-pvcc-compat-bundles", "-c", PLAIN / "loops.c",
             "-o", tmp_path / "l.o"], env)
    assert p.returncode == 0, p.stderr


def test_caller_supplied_plugin_is_not_doubled(pvcc_exe, env, tmp_path, plugin_so):
    p = run([pvcc_exe, f"-fplugin={plugin_so}", "-c", PLAIN / "loops.c", "-o",
             tmp_path / "l.o"], dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0, p.stderr
    assert not injected(p)


@pytest.mark.parametrize("args", [
    ["-E", "-x", "c", "/dev/null"],
    ["-E", "-x", "assembler-with-cpp", "{asm}"],
    ["-fsyntax-only", "{src}"],
    ["-c", "{asm}", "-o", "{tmp}/a.o"],
    ["-c", "-x", "assembler-with-cpp", "{asm}", "-o", "{tmp}/a.o"],
    ["-c", "-x", "c", "/dev/null", "-o", "{tmp}/n.o"],
    ["-S", "-x", "c", "/dev/null", "-o", "-"],
    ["{tmp}/obj.o", "-nostdlib", "-o", "{tmp}/prog"],  # link only
    ["-c", "-x", "c-header", "{hdr}", "-o", "{tmp}/h.gch"],
])
def test_no_injection(args, pvcc_exe, env, probe_files, gcc, tmp_path):
    files = dict(probe_files, hdr=str(PLAIN / "common.h"))
    subprocess.run([gcc, "-c", PLAIN / "loops.c", "-o", tmp_path / "obj.o"], check=True)
    argv = [a.format(**files) for a in args]
    v = run([pvcc_exe, *argv], dict(env, PVCC_VERBOSE="1"), cwd=tmp_path)
    assert not injected(v), verbose_lines(v)
    plain = run([gcc, *argv], env, cwd=tmp_path)
    wrapped = run([pvcc_exe, *argv], env, cwd=tmp_path)
    same(plain, wrapped)


# ---------------------------------------------------------------------------
# response files


def test_response_file_is_inspected_and_passed_on(gcc, pvcc_exe, env, tmp_path):
    spaced = tmp_path / "dir with space"
    spaced.mkdir()
    src = spaced / "src file.c"
    src.write_text('const char *msg = MSG;\nint f(int x) { return x * 2; }\n')
    inner = tmp_path / "inner.rsp"
    inner.write_text("-O2 -Wall\n")
    rsp = tmp_path / "args.rsp"
    rsp.write_text(f"-c @{inner} '-DMSG=\"a b\"' \"{src}\" -o out.o\n")
    results = {}
    for who, cc in (("plain", [gcc]), ("pvcc", [pvcc_exe])):
        d = tmp_path / who
        d.mkdir()
        results[who] = run([*cc, f"@{rsp}"], env, cwd=d)
    same(results["plain"], results["pvcc"])
    assert results["plain"].returncode == 0, results["plain"].stderr
    assert text_sections(tmp_path / "pvcc" / "out.o") == text_sections(tmp_path / "plain" / "out.o")
    v = run([pvcc_exe, f"@{rsp}"], dict(env, PVCC_VERBOSE="1"), cwd=tmp_path / "pvcc")
    assert injected(v)
    run_line = next(ln for ln in verbose_lines(v) if ln.startswith(("pvcc: run", "pvcc: exec")))
    assert run_line.endswith(f"@{rsp}")  # the original argument, not its contents


def test_response_file_with_a_probe_inside(gcc, pvcc_exe, env, tmp_path):
    rsp = tmp_path / "probe.rsp"
    rsp.write_text("-E -P -x c /dev/null\n")
    v = run([pvcc_exe, f"@{rsp}"], dict(env, PVCC_VERBOSE="1"))
    assert v.returncode == 0 and not injected(v)


def test_missing_response_file_is_the_compilers_business(gcc, pvcc_exe, env, tmp_path):
    plain = run([gcc, "@/no/such/file.rsp"], env)
    wrapped = run([pvcc_exe, "@/no/such/file.rsp"], env)
    same(plain, wrapped)


@pytest.mark.parametrize("text,expected", [
    ("a b\tc\n", ["a", "b", "c"]),
    ("'a b' \"c d\"", ["a b", "c d"]),
    ("a\\ b", ["a b"]),
    ("-DX='\"q\"'", ['-DX="q"']),
    ("'' x", ["", "x"]),
    ("", []),
])
def test_response_file_splitting(text, expected):
    from pvcc.driver import _parse_response

    assert _parse_response(text) == expected


# ---------------------------------------------------------------------------
# compiler discovery


def test_prefix_form_with_a_name_on_path(gcc, pvcc_exe, base_env, tmp_path, plugin_so):
    env = dict(base_env, PATH=os.path.dirname(gcc) + os.pathsep + base_env["PATH"])
    for args in (["--version"], ["-v"], ["-O2", "-c", str(PLAIN / "loops.c"), "-o", "x.o"]):
        d = tmp_path / args[0].strip("-")
        d.mkdir()
        plain = run([GCC_NAME, *args], env, cwd=d)
        wrapped = run([pvcc_exe, GCC_NAME, *args], env, cwd=d)
        same(plain, wrapped)
    v = run([pvcc_exe, GCC_NAME, "-c", PLAIN / "loops.c", "-o", tmp_path / "y.o"],
            dict(env, PVCC_VERBOSE="1"))
    assert injected(v)


def test_prefix_form_with_a_path(gcc, pvcc_exe, base_env, tmp_path):
    plain = run([gcc, "-dumpfullversion"], base_env)
    wrapped = run([pvcc_exe, gcc, "-dumpfullversion"], base_env)
    same(plain, wrapped)


def test_plain_pvcc_uses_find_compiler(gcc, pvcc_exe, env):
    v = run([pvcc_exe, "-dumpmachine"], dict(env, PVCC_VERBOSE="1"))
    assert v.stdout == b"ia64-linux-gnu\n"
    assert f"pvcc: exec {gcc} -dumpmachine" in verbose_lines(v)


def test_print_include_dir(pvcc_exe, base_env):
    from pvcc.pluginbuild import include_dir

    p = run([pvcc_exe, "--print-include-dir"], dict(base_env, PVCC_GCC="/nonexistent"))
    assert p.returncode == 0 and p.stderr == b""
    assert p.stdout.decode() == include_dir() + "\n"
    assert (Path(include_dir()) / "pvcc" / "paravirt.h").is_file()


@pytest.fixture
def masquerade(tmp_path, pvcc_exe):
    wrap = tmp_path / "wrap"
    wrap.mkdir()
    (wrap / GCC_NAME).symlink_to(pvcc_exe)
    return wrap


def test_argv0_symlink_dispatch(masquerade, gcc, base_env, tmp_path, plugin_so):
    env = dict(base_env, PVCC_VERBOSE="1",
               PATH=os.pathsep.join([str(masquerade), os.path.dirname(gcc), base_env["PATH"]]))
    # Looked up through PATH, as make does: the symlink comes first.
    v = subprocess.run([GCC_NAME, "-c", PLAIN / "loops.c", "-o", tmp_path / "x.o"], env=env,
                       capture_output=True, check=False)
    assert v.returncode == 0, v.stderr
    assert injected(v)
    run_line = next(ln for ln in verbose_lines(v) if ln.startswith(("pvcc: run", "pvcc: exec")))
    assert run_line.split()[2] == gcc
    quiet = dict(env)
    del quiet["PVCC_VERBOSE"]
    same(subprocess.run([gcc, "--version"], env=quiet, capture_output=True, check=False),
         subprocess.run([GCC_NAME, "--version"], env=quiet, capture_output=True, check=False))


def test_argv0_dispatch_refuses_itself(masquerade, pvcc_exe, base_env, tmp_path):
    """Only pvcc symlinks on PATH (and no compiler in the cache): an error,
    not an endless exec loop."""
    other = tmp_path / "other"
    other.mkdir()
    (other / GCC_NAME).symlink_to(pvcc_exe)
    env = dict(base_env, PATH=os.pathsep.join([str(masquerade), str(other), "/usr/bin", "/bin"]),
               PVCC_CACHE_DIR=str(tmp_path / "empty-cache"))
    env.pop("XDG_CACHE_HOME", None)
    p = subprocess.run([GCC_NAME, "--version"], env=env, capture_output=True, timeout=60,
                       check=False)
    assert p.returncode == 1
    assert p.stdout == b""
    err = p.stderr.decode()
    assert err.startswith("pvcc: error: ") and err.count("\n") == 1, err


def test_recursion_guard_trips_only_on_the_same_compiler(gcc, pvcc_exe, env):
    looped = dict(env, PVCC_RECURSION_GUARD=os.path.realpath(gcc))
    p = run([pvcc_exe, "--version"], looped)
    assert p.returncode == 1 and p.stdout == b""
    assert p.stderr.decode().startswith("pvcc: error: recursion")
    # A guard left by an unrelated outer pvcc does not trip.
    unrelated = dict(env, PVCC_RECURSION_GUARD="/usr/bin/some-other-gcc")
    assert run([pvcc_exe, "-dumpmachine"], unrelated).returncode == 0


def test_recursion_through_a_shim_stops(pvcc_exe, env, tmp_path):
    """A "compiler" that calls pvcc again (a misconfigured PVCC_GCC) stops
    after one round instead of looping.  The shim never compiles anything."""
    shim = tmp_path / "loop-shim-gcc"
    shim.write_text(f'#!/bin/sh\nexec "{pvcc_exe}" "$@"\n')
    shim.chmod(0o755)
    p = run([pvcc_exe, "--version"], dict(env, PVCC_GCC=str(shim)), timeout=60)
    assert p.returncode == 1
    assert "recursion" in p.stderr.decode()


def test_gcc_is_pvcc_itself(pvcc_exe, env):
    p = run([pvcc_exe, "--version"], dict(env, PVCC_GCC=pvcc_exe), timeout=60)
    assert p.returncode == 1 and "pvcc: error:" in p.stderr.decode()


# ---------------------------------------------------------------------------
# kill switch, own errors


def test_disable_is_a_pure_pass_through(gcc, pvcc_exe, env, tmp_path):
    v = run([pvcc_exe, "-c", PLAIN / "loops.c", "-o", tmp_path / "d.o"],
            dict(env, PVCC_DISABLE="1", PVCC_VERBOSE="1"))
    assert v.returncode == 0
    assert verbose_lines(v) == [f"pvcc: exec {gcc} -c {PLAIN / 'loops.c'} -o {tmp_path / 'd.o'}"]


def test_disable_skips_plugin_build_and_check(gcc, pvcc_exe, env, tmp_path):
    bad = tmp_path / "direct.c"
    bad.write_text("extern void paravirt_fc(unsigned long);\n"
                   "void f(unsigned long a) { paravirt_fc(a); }\n")
    p = run([pvcc_exe, "-O2", "-c", bad, "-o", tmp_path / "d.o"],
            dict(env, PVCC_DISABLE="1", PVCC_CACHE_DIR=str(tmp_path / "c"),
                 PVCC_HOSTCXX="false"))
    assert p.returncode == 0 and p.stderr == b""
    assert (tmp_path / "d.o").exists()


def test_no_compiler_is_one_line(pvcc_exe, base_env):
    p = run([pvcc_exe, "-c", "x.c"], dict(base_env, PVCC_GCC="/nonexistent/gcc"))
    assert p.returncode == 1 and p.stdout == b""
    err = p.stderr.decode()
    assert err.startswith("pvcc: error: ") and err.count("\n") == 1, err


def test_plugin_build_failure_is_reported(gcc, pvcc_exe, base_env, tmp_path):
    env = dict(base_env, PVCC_GCC=gcc, PVCC_CACHE_DIR=str(tmp_path / "cache"),
               PVCC_HOSTCXX="false")
    p = run([pvcc_exe, "-c", PLAIN / "loops.c", "-o", tmp_path / "x.o"], env)
    assert p.returncode == 1 and p.stdout == b""
    err = p.stderr.decode()
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("pvcc: error: building the plugin for ")
    assert not (tmp_path / "x.o").exists()
    # Probes do not need the plugin and still work.
    assert run([pvcc_exe, "-E", "-x", "c", "/dev/null"], env).returncode == 0


# ---------------------------------------------------------------------------
# the post-compile check


INTRINSIC_SRC = textwrap.dedent(
    """\
    #include <pvcc/paravirt.h>
    extern long helper(long a, long b);
    long mixed(long x, long y)
    {
    	long a = helper(x, y);
    	unsigned long rr = paravirt_get_rr(a);
    	return helper(a, (long)rr) + (long)rr;
    }
    """
)
DIRECT_CALL_SRC = ("extern void paravirt_fc(unsigned long);\n"
                   "void f(unsigned long a) { paravirt_fc(a); }\n")
BOGUS_RECORDS_SRC = ('__asm__(".section .pvcc_sites,\\"a\\"\\n\\t.byte 1, 2, 3\\n\\t.previous");\n'
                     "int f(int x) { return x; }\n")


def test_clean_intrinsic_object_is_checked_and_kept(pvcc_exe, env, tmp_path):
    from pvcc.pluginbuild import include_dir

    src = tmp_path / "site.c"
    src.write_text(INTRINSIC_SRC)
    obj = tmp_path / "site.o"
    p = run([pvcc_exe, "-std=gnu11", "-O2", *KERNEL_FLAGS, f"-I{include_dir()}", "-c", src,
             "-o", obj], dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0, p.stderr
    assert f"pvcc: check {obj}: ok" in verbose_lines(p)
    assert ".pvcc_sites" in section_names(obj)


def test_violation_deletes_the_object(gcc, pvcc_exe, env, tmp_path):
    src = tmp_path / "direct.c"
    src.write_text(DIRECT_CALL_SRC)
    obj = tmp_path / "direct.o"
    assert run([gcc, "-O2", "-c", src, "-o", obj], env).returncode == 0
    obj.unlink()
    p = run([pvcc_exe, "-O2", "-c", src, "-o", obj], env)
    assert p.returncode == 1 and p.stdout == b""
    lines = p.stderr.decode().splitlines()
    assert lines and all(ln.startswith(f"{obj}: ") for ln in lines), lines
    assert "paravirt_fc" in lines[0]
    assert not obj.exists()


def test_violation_in_a_derived_object_name(pvcc_exe, env, tmp_path):
    (tmp_path / "direct.c").write_text(DIRECT_CALL_SRC)
    p = run([pvcc_exe, "-O2", "-c", "direct.c"], env, cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr.decode().startswith("direct.o: ")
    assert not (tmp_path / "direct.o").exists()


def test_check_can_be_switched_off(pvcc_exe, env, tmp_path):
    src = tmp_path / "direct.c"
    src.write_text(DIRECT_CALL_SRC)
    p = run([pvcc_exe, "-O2", "-c", src, "-o", tmp_path / "d.o"],
            dict(env, PVCC_CHECK="0", PVCC_VERBOSE="1"))
    assert p.returncode == 0
    assert injected(p)
    assert any(ln.startswith("pvcc: exec ") for ln in verbose_lines(p))  # no child, no check
    assert (tmp_path / "d.o").exists()


def test_unreadable_records_are_one_error_and_delete(pvcc_exe, env, tmp_path):
    src = tmp_path / "bogus.c"
    src.write_text(BOGUS_RECORDS_SRC)
    obj = tmp_path / "bogus.o"
    p = run([pvcc_exe, "-c", src, "-o", obj], env)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "Traceback" not in err and str(obj) in err
    assert not obj.exists()


def test_dash_S_with_records_is_assembled_and_checked(pvcc_exe, env, tmp_path):
    from pvcc.pluginbuild import include_dir

    src = tmp_path / "site.c"
    src.write_text(INTRINSIC_SRC)
    out = tmp_path / "site.s"
    p = run([pvcc_exe, "-std=gnu11", "-O2", *KERNEL_FLAGS, f"-I{include_dir()}", "-S", src,
             "-o", out], dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0, p.stderr
    lines = verbose_lines(p)
    assert any(ln.startswith("pvcc: assemble ") for ln in lines), lines
    assert f"pvcc: check {out}: ok" in lines
    assert b".pvcc_sites" in out.read_bytes()


def test_dash_S_with_bad_records_is_deleted(pvcc_exe, env, tmp_path):
    src = tmp_path / "bogus.c"
    src.write_text(BOGUS_RECORDS_SRC)
    out = tmp_path / "bogus.s"
    p = run([pvcc_exe, "-S", src, "-o", out], env)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert str(out) in err and "pvcc-check-" not in err
    assert not out.exists()


def test_dash_S_to_stdout_is_not_checked(gcc, pvcc_exe, env, tmp_path):
    src = tmp_path / "bogus.c"
    src.write_text(BOGUS_RECORDS_SRC)
    plain = run([gcc, "-S", src, "-o", "-"], env)
    wrapped = run([pvcc_exe, "-S", src, "-o", "-"], env)
    same(plain, wrapped)


def test_output_to_dev_null_is_not_checked_or_deleted(pvcc_exe, env, tmp_path):
    src = tmp_path / "direct.c"
    src.write_text(DIRECT_CALL_SRC)
    p = run([pvcc_exe, "-O2", "-c", src, "-o", "/dev/null"], env)
    assert p.returncode == 0, p.stderr
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


# ---------------------------------------------------------------------------
# plumbing: exit status, signals, inherited fds.  FAKE COMPILER below: a shell
# script standing in for GCC only to exit / die / sleep on demand, which the
# real GCC cannot be made to do.  It never compiles anything.

FAKE_COMPILER = """\
#!/bin/sh
# FAKE COMPILER for pvcc's plumbing tests only (exit status, signals, fds).
case "$FAKE_MODE" in
    exit) exit "$FAKE_CODE" ;;
    signal) kill -"$FAKE_SIG" $$ ; sleep 5 ; exit 99 ;;
    sleep) echo $$ > "$FAKE_PIDFILE" ; exec sleep 60 ;;
    fds) ls /proc/$$/fd > "$FAKE_FDFILE" ; exit 0 ;;
esac
exit 98
"""

# -fplugin=... from the caller: pvcc injects nothing and builds nothing, but a
# -c of a .c file is still "a real compile", so the child-process path is used
# unless PVCC_CHECK=0 makes pvcc exec.
FAKE_ARGS = ["-fplugin=/nonexistent/pvcc.so", "-c", "fake.c", "-o", "fake.o"]
PATHS = {"exec": {"PVCC_CHECK": "0"}, "child": {}}


@pytest.fixture
def fake(tmp_path, base_env):
    cc = tmp_path / "fake-gcc"
    cc.write_text(FAKE_COMPILER)
    cc.chmod(0o755)
    return dict(base_env, PVCC_GCC=str(cc), PVCC_VERBOSE="1")


def _which_path(proc) -> str:
    lines = verbose_lines(proc)
    return "child" if any(ln.startswith("pvcc: run ") for ln in lines) else "exec"


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("code", [0, 1, 3, 77, 255])
def test_exit_status_is_preserved(code, path, fake, pvcc_exe, tmp_path):
    env = dict(fake, FAKE_MODE="exit", FAKE_CODE=str(code), **PATHS[path])
    p = run([pvcc_exe, *FAKE_ARGS], env, cwd=tmp_path)
    assert p.returncode == code
    assert _which_path(p) == path


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGTERM, signal.SIGKILL,
                                 signal.SIGINT, signal.SIGABRT])
def test_death_by_signal_is_reraised(sig, path, fake, pvcc_exe, tmp_path):
    env = dict(fake, FAKE_MODE="signal", FAKE_SIG=str(int(sig)), **PATHS[path])
    p = run([pvcc_exe, *FAKE_ARGS], env, cwd=tmp_path)
    assert p.returncode == -sig
    assert b"Traceback" not in p.stderr


def _wait_for(path: Path, timeout=30.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int, timeout=10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_to_pvcc_reaches_the_compiler(sig, path, fake, pvcc_exe, tmp_path):
    pidfile = tmp_path / "pid"
    env = dict(fake, FAKE_MODE="sleep", FAKE_PIDFILE=str(pidfile), **PATHS[path])
    # pvcc starts with the signal's default action, whatever this test runs
    # under (`nohup` makes SIGHUP ignored, and the compiler would inherit that).
    proc = subprocess.Popen([pvcc_exe, *FAKE_ARGS], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # one async-signal-safe call in the child: no lock to deadlock on
                            preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL))  # noqa: PLW1509
    try:
        child = int(_wait_for(pidfile))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -sig
    assert _gone(child), "the compiler outlived pvcc"
    assert b"Traceback" not in err and out == b""


@pytest.mark.parametrize("path", sorted(PATHS))
def test_inherited_fds_reach_the_compiler(path, fake, pvcc_exe, tmp_path):
    """make's jobserver (a pipe fd pair with make < 4.4) must stay open."""
    fdfile = tmp_path / "fds"
    r, w = os.pipe()
    try:
        env = dict(fake, FAKE_MODE="fds", FAKE_FDFILE=str(fdfile), **PATHS[path],
                   MAKEFLAGS=f" -j2 --jobserver-auth={r},{w}")
        p = subprocess.run([pvcc_exe, *FAKE_ARGS], env=env, cwd=tmp_path, pass_fds=(r, w),
                           capture_output=True, check=False)
    finally:
        os.close(r)
        os.close(w)
    assert p.returncode == 0, p.stderr
    fds = set(fdfile.read_text().split())
    assert {str(r), str(w)} <= fds


def test_interrupt_during_plugin_build_exits_130(gcc, pvcc_exe, base_env, tmp_path):
    """^C while pvcc itself works (here: a slow plugin build) is exit 130,
    without a traceback.  The slow host C++ compiler is a plumbing stand-in."""
    marker = tmp_path / "building"
    slow = tmp_path / "slow-g++"
    slow.write_text(f'#!/bin/sh\necho $$ > "{marker}"\nexec sleep 60\n')
    slow.chmod(0o755)
    env = dict(base_env, PVCC_GCC=gcc, PVCC_CACHE_DIR=str(tmp_path / "cache"),
               PVCC_HOSTCXX=str(slow))
    proc = subprocess.Popen([pvcc_exe, "-c", PLAIN / "loops.c", "-o", tmp_path / "x.o"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(marker, timeout=60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert b"Traceback" not in err and out == b""


def test_prefix_form_passes_over_a_masquerade_symlink(masquerade, gcc, pvcc_exe, base_env,
                                                      tmp_path):
    """`pvcc ia64-linux-gnu-gcc` while a pvcc symlink of that name comes first
    on PATH: the real compiler runs, once, with the plugin injected once."""
    env = dict(base_env, PVCC_VERBOSE="1",
               PATH=os.pathsep.join([str(masquerade), os.path.dirname(gcc), base_env["PATH"]]))
    p = run([pvcc_exe, GCC_NAME, "-c", PLAIN / "loops.c", "-o", tmp_path / "x.o"], env)
    assert p.returncode == 0, p.stderr
    lines = verbose_lines(p)
    assert sum(ln.startswith("pvcc: inject ") for ln in lines) == 1, lines
    run_lines = [ln for ln in lines if ln.startswith(("pvcc: run ", "pvcc: exec "))]
    assert len(run_lines) == 1 and run_lines[0].split()[2] == gcc


# ---------------------------------------------------------------------------
# the argv scan (pure; no compiler)


@pytest.mark.parametrize("argv,inject,outputs", [
    ("-c x.c", True, [("x.o", "c")]),
    ("-c dir/x.c -o out/y.o", True, [("out/y.o", "c")]),
    ("-c -ox.o x.c", True, [("x.o", "c")]),
    ("-S x.c", True, [("x.s", "S")]),
    ("-S x.c -o -", True, []),
    ("-c x.c -o /dev/null", True, []),
    ("-c a.c b.c", True, [("a.o", "c"), ("b.o", "c")]),
    ("-c a.c b.S", True, [("a.o", "c")]),
    ("-c -x c - -o y.o", True, [("y.o", "c")]),
    ("-c -x c -", True, [("-.o", "c")]),
    ("-c -xc noext", True, [("noext.o", "c")]),
    ("-c -x c x.S -x none y.S", True, [("x.o", "c")]),
    ("-c pre.i", True, [("pre.o", "c")]),
    ("-c -MF x.c.d -MT x.c y.S", False, []),  # option arguments are not inputs
    ("-c -MFx.d x.c", True, [("x.o", "c")]),
    ("-c -Wp,-MMD,x.d -include k.c y.S", False, []),
    ("-c -Xpreprocessor -foo x.S", False, []),
    ("-c -x assembler-with-cpp x.c", False, []),
    ("-c x.S", False, []),
    ("-c x.s", False, []),
    ("-c -x c /dev/null -o x.o", False, []),
    ("-E x.c", True, []),
    ("-E -c x.c", True, []),
    ("-M x.c", True, []),
    ("-MM -c x.c", True, []),
    ("-E x.S", False, []),
    ("-E -x c /dev/null", False, []),
    ("-MD -c x.c", True, [("x.o", "c")]),
    ("-fsyntax-only x.c", False, []),
    ("x.c -o prog", False, []),
    ("x.o y.o -o prog", False, []),
    ("-c x.cc", False, []),
    ("-c -x c-header x.h", False, []),
    ("--version -c x.c", False, []),
    ("-v -c x.c", False, []),
    ("-print-file-name=plugin", False, []),
    ("-c x.c -dumpbase foo.c", True, [("x.o", "c")]),
    ("-S -c x.c", True, [("x.s", "S")]),
])
def test_scan(argv, inject, outputs):
    # What _main does with the scan: exec the compiler untouched, or inject the
    # plugin and check the outputs.
    from pvcc.driver import _outputs, _scan, _wants_plugin

    s = _scan(argv.split())
    assert _wants_plugin(s) is inject
    assert (_outputs(s) if inject else []) == outputs


@pytest.mark.parametrize("name,expected", [
    ("ia64-linux-gnu-gcc", True), ("ia64-linux-gnu-gcc-12", True), ("gcc", True), ("cc", True),
    ("x86_64-linux-gnu-gcc-12.2.0", True), ("pvcc", False), ("pvcc-check", False),
    ("foo.c", False), ("ld", False), ("driver.py", False),
])
def test_compiler_names(name, expected):
    from pvcc.driver import _looks_like_compiler

    assert _looks_like_compiler(name) is expected


def test_site_markers_follow_the_checker():
    """The driver skips the checker for objects holding none of its markers;
    they must cover what pvcc.check looks for."""
    from pvcc import catalog, check
    from pvcc.driver import _SITE_MARKERS

    for name in (catalog.SECTION, catalog.COMPAT_SECTION, check.IMPL_PREFIX,
                 catalog.LIGHT_PREFIX):
        assert any(m in name.encode() for m in _SITE_MARKERS), name


# A call of an implementation, or a light branch, with no record: the checker
# rejects each, so the driver's marker scan must not let such an object pass.
_STRAY = """\
	.text
	.global f#
	.proc f#
f:
	{ .mib
	nop.m 0
	mov r2 = ip
	%s ;;
	}
	{ .mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	}
	.endp f#
"""


@needs_binutils
@pytest.mark.parametrize("transfer", [
    "br.call.sptk.many b0 = paravirt_get_cpuid#",
    "br.cond.sptk.many __pvcc_light_paravirt_ssm_i#",
    "br.cond.sptk.many __pvcc_light_my_cpuid#",      # an intrinsic named by its declaration
])
def test_site_markers_catch_what_the_checker_rejects(tmp_path, transfer):
    from pvcc.check import violations_of
    from pvcc.driver import _may_have_sites

    obj = assemble(tmp_path, _STRAY % transfer, "stray")
    assert violations_of(str(obj)), "the checker accepts it: not a stray transfer"
    assert _may_have_sites(str(obj))


def test_plain_object_skips_the_checker(pvcc_exe, env, tmp_path):
    p = run([pvcc_exe, "-O2", "-c", PLAIN / "loops.c", "-o", tmp_path / "l.o"],
            dict(env, PVCC_VERBOSE="1"))
    assert p.returncode == 0
    assert f"pvcc: check {tmp_path / 'l.o'}: ok (no pvcc section, no paravirt_ symbol)" \
        in verbose_lines(p)


def _imported(args: list[str], env: dict) -> set[str]:
    """The modules `pvcc ARGS` imports beyond a bare interpreter's (python -X importtime)."""
    def modules(code: str) -> set[str]:
        p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env,
                           capture_output=True, text=True, check=False)
        return {ln.rsplit("|", 1)[-1].strip() for ln in p.stderr.splitlines()
                if ln.startswith("import time:")}

    return modules("import sys; from pvcc.driver import main; sys.exit(main(['pvcc', "
                   + ", ".join(repr(a) for a in args) + "]))") - modules("pass")


def test_fast_path_imports_nothing_new(tmp_path):
    """The CC fast path -- a call that needs no plugin, then an exec -- imports the
    driver, its compiler lookup and its error reporting, nothing else; GCC's own
    -print-* queries (kbuild's) the same.  A lone --print-* argument also loads
    pvcc.cacheid (os and sys only), which names pvcc's --print-cache-identity."""
    env = dict(os.environ, PVCC_GCC="/bin/true", PVCC_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT / "wrapper"))
    fast = {"pvcc", "pvcc.driver", "pvcc.compilers", "pvcc.cli"}
    assert _imported(["-c", "x.s", "-o", str(tmp_path / "x.o")], env) == fast
    assert _imported(["-print-file-name=include"], env) == fast
    assert _imported(["--print-prog-name=cc1"], env) == fast | {"pvcc.cacheid"}
