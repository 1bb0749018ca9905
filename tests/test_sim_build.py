"""pvcc-sim cc and its runtime, built by the real IA-64 cross GCC.

The runtime is compiled and cached per compiler and ABI flag set; programs
are real static ET_EXEC files whose entry, symbols, gp model and pvcc site
records are read back from the ELF.  Bad command lines and failing compiles
give one line and leave no program behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from pvcc.catalog import KERNEL_CFLAGS
from pvcc.sim import hypercalls
from pvcc.sim.lab import build

KERNEL_FLAGS = list(KERNEL_CFLAGS)
EF_IA_64_CONS_GP = 0x40

HELLO = textwrap.dedent("""\
    #include <stdio.h>
    #include <string.h>
    #include <stdlib.h>
    #include <stdint.h>
    #include <limits.h>
    #include <float.h>
    #include <math.h>
    #include <assert.h>
    struct big { long v[9]; };
    static struct big copy(struct big b) { return b; }
    int main(int argc, char **argv)
    {
        volatile long n = 1000003, d = -7;
        struct big b = { { 1, 2, 3 } }, c = copy(b);
        char s[16];
        assert(argc >= 0);
        memset(s, 0, sizeof s);
        strcpy(s, argv[0] ? "x" : "y");
        printf("%ld %ld %lu %s %d\\n", n / d, n % d, (unsigned long)n / 3u, s,
               (int)c.v[2] + (int)INT8_MAX + abs(-1));
        return strlen(s) == 1 ? 0 : 1;
    }
    """)

PARAVIRT = textwrap.dedent("""\
    #include <stdio.h>
    #include <pvcc/paravirt.h>
    int main(void)
    {
        unsigned long c = paravirt_get_cpuid(3);
        paravirt_rsm_i();
        unsigned long i = paravirt_get_psr_i();
        paravirt_ssm_i();
        paravirt_setreg(3072 + 5, 77);
        printf("%lx %lu %lu\\n", c, i, paravirt_getreg(3072 + 5));
        return 0;
    }
    """)


@pytest.fixture
def cc(gcc, monkeypatch):
    """cc(*args) -> (status, stderr) of pvcc-sim cc with the session's compiler."""
    monkeypatch.setenv("PVCC_GCC", gcc)

    def run(*args: str) -> tuple[int, str]:
        p = subprocess.run([sys.executable, "-m", "pvcc.sim.lab.build", *args],
                           capture_output=True, text=True, check=False)
        assert "Traceback" not in p.stderr, p.stderr
        return p.returncode, p.stderr

    return run


def _symbols(path: Path) -> dict[str, int]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in symtab.iter_symbols()
                if s.name and s["st_shndx"] != "SHN_UNDEF"}


def _undefined(path: Path) -> list[str]:
    with open(path, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return [s.name for s in symtab.iter_symbols()
                if s.name and s["st_shndx"] == "SHN_UNDEF" and s["st_info"]["bind"] != "STB_WEAK"]


def _header(path: Path) -> dict:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return {"type": elf["e_type"], "machine": elf["e_machine"], "entry": elf["e_entry"],
                "flags": elf["e_flags"],
                "sections": [s.name for s in elf.iter_sections()]}


@pytest.mark.parametrize("flags", [(), tuple(KERNEL_FLAGS)], ids=["plain", "kernel"])
def test_runtime_is_built_once_per_abi_flag_set(gcc, flags):
    d = Path(build.runtime_dir(gcc, flags))
    assert build.runtime_dir(gcc, flags) == str(d)  # cached
    for name in ("crt0.o", "libc.a", "native.a", "hv.a"):
        assert (d / name).is_file(), name
    assert (d / build.HYPERCALLS_HEADER).read_text() == hypercalls.header()
    with open(d / "crt0.o", "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_IA_64" and elf["e_type"] == "ET_REL"
        assert bool(elf["e_flags"] & EF_IA_64_CONS_GP) == ("-mconstant-gp" in flags)
    nm = subprocess.run(["ia64-linux-gnu-nm", "--defined-only", str(d / "libc.a")],
                        capture_output=True, text=True, check=True).stdout
    defined = {line.split()[-1] for line in nm.splitlines() if line.count(" ") >= 2}
    for sym in ("printf", "puts", "putchar", "vsnprintf", "memcpy", "memset", "memcmp",
                "memmove", "strcmp", "strlen", "strcpy", "strncmp", "exit", "abort", "abs",
                "__assert_fail", "__pvcc_start", "__pvcc_syscall", "__divdi3", "__moddi3",
                "__udivdi3", "__umoddi3", "__divsi3", "__udivsi3", "__divti3", "__umodti3"):
        assert sym in defined, sym
    other = build.runtime_dir(gcc, () if flags else tuple(KERNEL_FLAGS))
    assert other != str(d)


def test_abi_flags_pick_the_runtime_variant():
    assert build.abi_flags(["-O2", "-g", "-Ifoo"]) == ()
    assert build.abi_flags(["-O2", *KERNEL_FLAGS, "-mconstant-gp"]) == tuple(KERNEL_FLAGS)


@pytest.mark.parametrize("level", ["-O0", "-O2"])
@pytest.mark.parametrize("kernel", [False, True], ids=["plain", "kernel"])
def test_cc_links_a_static_program(cc, tmp_path, level, kernel):
    src = tmp_path / "hello.c"
    src.write_text(HELLO)
    prog = tmp_path / "hello"
    flags = KERNEL_FLAGS if kernel else []
    rc, err = cc("--no-plugin", level, "-Wall", "-Werror", *flags, str(src), "-o", str(prog))
    assert rc == 0, err
    h = _header(prog)
    assert h["machine"] == "EM_IA_64" and h["type"] == "ET_EXEC"
    syms = _symbols(prog)
    assert h["entry"] == syms["_start"]
    for s in ("main", "printf", "memset", "strcpy", "__pvcc_syscall", "__gp"):
        assert s in syms, s
    if level == "-O0":
        assert "__divdi3" in syms and "__moddi3" in syms
    assert _undefined(prog) == []
    assert bool(h["flags"] & EF_IA_64_CONS_GP) == kernel
    assert os.access(prog, os.X_OK)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hello", "hello.c"]


def test_cc_through_the_plugin_records_sites_and_links_the_native_table(cc, tmp_path):
    src = tmp_path / "pv.c"
    src.write_text(PARAVIRT)
    prog = tmp_path / "pv"
    rc, err = cc("-O2", str(src), "-o", str(prog))
    assert rc == 0, err
    h = _header(prog)
    assert ".pvcc_sites" in h["sections"]
    syms = _symbols(prog)
    for name in ("paravirt_get_cpuid", "paravirt_rsm_i", "paravirt_ssm_i", "paravirt_get_psr_i",
                 "paravirt_getreg", "paravirt_setreg"):
        assert name in syms, name
    # pvcc-check proves the sites of the linked program.
    check = "import sys; from pvcc.check_cli import main; sys.exit(main())"
    p = subprocess.run([sys.executable, "-c", check, str(prog)], capture_output=True, text=True,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 6 " in p.stdout.splitlines()[1]

    plain = tmp_path / "pv-plain"
    rc, err = cc("--no-plugin", "-O2", str(src), "-o", str(plain))
    assert rc == 0, err
    assert ".pvcc_sites" not in _header(plain)["sections"]


def test_native_table_holds_the_privileged_instructions(gcc):
    d = Path(build.runtime_dir(gcc, ()))
    dis = subprocess.run(["ia64-linux-gnu-objdump", "-d", str(d / "native.a")],
                         capture_output=True, text=True, check=True).stdout
    for insn in ("mov r8=cpuid[", "thash r8=", "fc ", "ptc.ga ", "ssm 0x4000", "rsm 0x4000",
                 "mov r8=psr", "mov rr[", "mov r8=rr[", "mov.m r8=ar.k5", "mov.m ar.k5=",
                 "mov cr.tpr=", "mov r8=cr.ivr", "mov r8=pmd["):
        assert insn in dis, insn


def test_hv_layer_entries_call_c_and_clobber_on_return(gcc):
    from pvcc.catalog import INTRINSICS, LIGHT_PREFIX, expanded

    d = Path(build.runtime_dir(gcc, ()))
    dis = subprocess.run(["ia64-linux-gnu-objdump", "-dr", str(d / "hv.a")],
                         capture_output=True, text=True, check=True).stdout
    bodies = {}
    raw = {}
    for chunk in dis.split("\n\n"):
        head, _, rest = chunk.partition(">:\n")
        if rest:
            name = head.rpartition("<")[2]
            raw[name] = rest
            # the instruction text of each slot, without address and bytes
            bodies[name] = [ln.split("\t")[-1].split("]")[-1].strip()
                            for ln in rest.splitlines() if ":\t" in ln]
    # paravirt_NAME serves C sites (hostile to the C convention, f32-f127 included),
    # __pvcc_hv_thunked_NAME the light thunks (f32-f127 left alone, as a thunk requires)
    from pvcc.sim import hypercalls as hc
    from pvcc.sim.lab import hostile

    for prefix, n in (("paravirt_", hc.CLOBBER_C), (hostile.THUNKED_PREFIX, hc.CLOBBER_THUNKED)):
        clobber = f"{hc.BASE + n:#x}"
        for intr in INTRINSICS:
            body = bodies[f"{prefix}{intr.name}"]
            assert any(t.startswith("br.call.sptk.many b0=") for t in body), body
            assert f"PCREL21B\t__pvcc_hv_{intr.name}\n" in raw[f"{prefix}{intr.name}"]
            assert f"break.m {clobber};;" in body, intr.name
            assert any(t.startswith("br.ret.sptk.many b0") for t in body), intr.name
    # The light entries call the thunked C entries and return with the light clobber,
    # keeping b6 (the link) and r8 when there is a result.
    for intr, reg in expanded():
        name = LIGHT_PREFIX + intr.symbol + ("" if reg is None else f"_{reg}")
        assert f"PCREL21B\t__pvcc_hv_thunked_{intr.name}\n" in raw[name], name
        keep = 1 << 38 | (1 << 8 if intr.returns else 0)
        light = f"break.m {hc.BASE + hc.CLOBBER_LIGHT:#x};;"
        assert f"movl r9={keep:#x};;" in bodies[name] and light in bodies[name], name
    # The C layer executes no privileged instruction.
    insns = [t for body in bodies.values() for t in body]
    for bad in ("cpuid[", "thash ", "ssm ", "rsm ", "mov rr[", "mov cr.", "=psr", "fc ",
                "ptc.ga", "mov.m ar.k", "mov ar.k"):
        assert not [t for t in insns if t.startswith(bad) or f" {bad}" in t], bad


def test_cc_impl_hv_links_the_hypervisor_layer(cc, tmp_path):
    src = tmp_path / "pv.c"
    src.write_text(PARAVIRT)
    prog = tmp_path / "pv-hv"
    rc, err = cc("--impl", "hv", "-O2", *KERNEL_FLAGS, str(src), "-o", str(prog))
    assert rc == 0, err
    syms = _symbols(prog)
    for name in ("paravirt_getreg", "__pvcc_hv_getreg", "__pvcc_hv_get_cpuid"):
        assert name in syms, name
    assert "__pvcc_hv_thash" not in syms or "paravirt_thash" in syms
    assert _undefined(prog) == []


def _assert_one_error_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pvcc-sim: error: "), err
    for w in words:
        assert w in lines[0], err


def test_cc_errors_are_one_line(cc, tmp_path):
    src = tmp_path / "hello.c"
    src.write_text(HELLO)
    rc, err = cc(str(src))
    assert rc == 1
    _assert_one_error_line(err, "-o PROG")
    rc, err = cc("-c", str(src), "-o", str(tmp_path / "x.o"))
    assert rc == 1
    _assert_one_error_line(err, "-c")
    rc, err = cc(str(tmp_path / "missing.c"), "-o", str(tmp_path / "p"))
    assert rc == 1
    _assert_one_error_line(err, "missing.c")
    rc, err = cc("--impl", "xen", str(src), "-o", str(tmp_path / "p"))
    assert rc == 1
    _assert_one_error_line(err, "xen")
    rc, err = cc(str(tmp_path), "-o", str(tmp_path / "p"))
    assert rc == 1
    _assert_one_error_line(err)
    rc, err = cc(str(src), "-o", str(tmp_path / "no" / "p"))
    assert rc == 1
    _assert_one_error_line(err, "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hello.c"]


def test_cc_failures_leave_no_program(cc, tmp_path):
    prog = tmp_path / "prog"
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return undeclared; }\n")
    prog.write_text("stale")
    rc, err = cc("--no-plugin", str(bad), "-o", str(prog))
    assert rc != 0
    assert "bad.c:1:" in err and "error" in err
    assert not prog.exists()

    unresolved = tmp_path / "unresolved.c"
    unresolved.write_text("int nowhere(void);\nint main(void) { return nowhere(); }\n")
    rc, err = cc("--no-plugin", str(unresolved), "-o", str(prog))
    assert rc != 0
    assert "nowhere" in err
    assert not prog.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.c", "unresolved.c"]


def test_cc_rejects_a_plugin_error_with_the_located_diagnostic(cc, tmp_path):
    src = tmp_path / "misuse.c"
    src.write_text("#include <pvcc/paravirt.h>\n"
                   "void *f(void) { return (void *)paravirt_ssm_i; }\n"
                   "int main(void) { return f() != 0; }\n")
    prog = tmp_path / "misuse"
    rc, err = cc(str(src), "-o", str(prog))
    assert rc != 0
    assert "misuse.c:2:" in err
    assert not prog.exists()


def test_cc_links_several_sources_assembly_and_objects(cc, gcc, tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "twice.h").write_text("long twice(long);\nlong add3(long);\n")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "twice.h"\n'
        "long from_object(void);\n"
        'int main(void) { printf("%ld\\n", twice(SEED) + add3(1) + from_object()); return 0; }\n')
    (tmp_path / "twice.c").write_text('#include "twice.h"\nlong twice(long x) { return 2 * x; }\n')
    (tmp_path / "add3.s").write_text(
        "\t.text\n\t.global add3\n\t.proc add3\nadd3:\n\tadds r8 = 3, r32\n"
        "\tbr.ret.sptk.many b0\n\t.endp add3\n")
    obj = tmp_path / "obj.o"
    subprocess.run([gcc, "-O2", "-c", "-x", "c", "-", "-o", str(obj)],
                   input="long from_object(void) { return 100; }\n", text=True, check=True)
    prog = tmp_path / "out" / "prog"
    prog.parent.mkdir()
    rc, err = cc("-O1", f"-I{tmp_path / 'inc'}", "-DSEED=20", str(tmp_path / "main.c"),
                 str(tmp_path / "twice.c"), str(tmp_path / "add3.s"), str(obj), "-o", str(prog))
    assert rc == 0, err
    syms = _symbols(prog)
    for s in ("main", "twice", "add3", "from_object"):
        assert s in syms, s
    assert sorted(p.name for p in prog.parent.iterdir()) == ["prog"]
    from pvcc.sim import run_program

    r = run_program(str(prog))
    assert (r.error, r.status, r.stdout) == (None, 0, b"144\n")


def test_cc_program_runs_in_the_model_with_argv_and_exit_status(cc, tmp_path):
    from pvcc.sim import run_program

    src = tmp_path / "hello.c"
    src.write_text(HELLO)
    prog = tmp_path / "hello"
    rc, err = cc("-O0", str(src), "-o", str(prog))
    assert rc == 0, err
    r = run_program(str(prog), ["one", "two"])
    assert r.error is None, r.error
    assert r.stdout == b"-142857 4 333334 x 131\n"
    assert r.status == 0


def test_programs_and_the_runtime_take_hypercall_numbers_from_the_table(cc, tmp_path):
    """<pvcc-sim/hypercalls.h> is generated from pvcc.sim.hypercalls; the runtime's
    sources spell no hypercall number of their own."""
    from pvcc.sim import run_program
    from pvcc.sim.cpu.privileged import CPUID

    root = Path(build.runtime_include_dir()).parent
    for path in sorted(root.rglob("*")):
        if path.suffix in (".c", ".h", ".S"):
            text = path.read_text().lower()
            assert f"{hypercalls.BASE:#x}" not in text and "#define effect_" not in text, path
    src = tmp_path / "hc.c"
    src.write_text(textwrap.dedent("""\
        #include <stdio.h>
        #include <pvcc-sim/hypercalls.h>
        int main(void)
        {
            register unsigned long r8 asm("r8") = 0;
            asm volatile ("break %1" : "+r"(r8) : "i"(HYPERCALL_CPUID) : "memory");
            printf("%lx %d\\n", r8, EFFECT_MOV_TO_ITM);
            return 0;
        }
        """))
    prog = tmp_path / "hc"
    rc, err = cc("-O2", str(src), "-o", str(prog))
    assert rc == 0, err
    r = run_program(str(prog))
    assert (r.error, r.status) == (None, 0)
    assert r.stdout.decode() == f"{CPUID[0]:x} {hypercalls.EFFECTS.index('mov.to.itm')}\n"


def test_cc_splits_compile_and_link_options(tmp_path):
    (tmp_path / "a.c").write_text("")
    (tmp_path / "b.o").write_text("")
    a = build._parse(["-O2", "-undef", "-I", "inc", "-DX=1", "-u", "sym", "-lfoo", "-Wl,-M",
                      "-Tscript.ld", "-e", "start", "--impl=hv", "--no-plugin",
                      str(tmp_path / "a.c"), str(tmp_path / "b.o"), "-oprog"])
    assert a.compile_opts == ["-O2", "-undef", "-I", "inc", "-DX=1"]
    assert a.link_opts == ["-u", "sym", "-lfoo", "-Wl,-M", "-Tscript.ld", "-e", "start"]
    assert (a.impl, a.plugin, a.output) == ("hv", False, "prog")
    assert a.sources == [str(tmp_path / "a.c")] and a.objects == [str(tmp_path / "b.o")]


def test_a_failing_runtime_build_is_reported_and_publishes_nothing(gcc, tmp_path, monkeypatch):
    monkeypatch.setenv("PVCC_GCC", gcc)
    monkeypatch.setenv("PVCC_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "hello.c"
    src.write_text(HELLO)
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.lab.build", "--no-plugin",
                        "-mfixed-range=f99-f2", str(src), "-o", str(tmp_path / "p")],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert "empty range" in p.stderr  # the compiler's own diagnostic, then pvcc-sim's line
    assert p.stderr.strip().splitlines()[-1].startswith(
        "pvcc-sim: error: building pvcc-sim's runtime failed: ")
    assert not (tmp_path / "p").exists()
    top = tmp_path / "cache" / "simrt"
    assert [q.name for q in top.iterdir() if not q.name.startswith(".lock-")] == []
