"""Proof by execution (pvcc.sim.lab.prove): A = B = C, and the proof catches mistakes.

A is the program built by plain GCC with the native table, B the same source
through pvcc with the C hypervisor layer (hostile returns), C is B patched
native.  The bounded sample here: the bundled demo and one woven csmith
program agree three ways; the campaign (tools/prove_campaign.py) runs the
rest.  The mutation tests change the plugin's output (its assembly) or the
patcher's bytes in a temporary copy and show that the proof no longer agrees.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pvcc.catalog import KERNEL_CFLAGS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gcc_env(gcc, monkeypatch):
    monkeypatch.setenv("PVCC_GCC", gcc)
    return gcc


def test_demo_three_ways_with_native_path_cost(gcc_env, tmp_path, capsys):
    from pvcc.sim.cli import main
    from pvcc.sim.lab import drivers, prove

    src = ROOT / "examples" / "paravirt_demo.c"
    drv = tmp_path / "driver.c"
    d = drivers.driver(src.read_text())
    assert d.called == ["flush_icache_range_timed", "cpu_family", "switch_mm_rr"]
    drv.write_text(d.text)
    p = prove.prove([str(src), str(drv)], ["-O2", "-std=gnu11", *KERNEL_CFLAGS], "c",
                    seeds=(1, 2))
    assert p.outcome == prove.AGREE, p.detail
    assert [r.way for r in p.runs] == ["A", "B", "B", "C"]
    a, c = p.run("A"), p.run("C")
    assert b"switch_mm_rr: words" in a.stdout
    assert [e for e, _ in a.effects].count("fc") == 12  # the flushed range
    assert a.state["rr4"] == 5 << 8 | 14 << 2  # switch_mm_rr's rr values, as the driver passes
    costs = {name: (na, ia, nc, ic) for name, na, ia, nc, ic in p.costs()}
    assert set(costs) == {"fc", "get_cpuid", "get_psr_i", "getreg", "intrin_local_irq_restore",
                          "rsm_i", "set_rr0_to_rr4", "setreg"}
    for name, (na, ia, nc, ic) in costs.items():
        assert na == nc > 0, name
        assert 0 < ic < ia, name  # a patched site runs fewer instructions than a call
    assert sum(c.calls.values()) == sum(a.calls.values())
    # The same through the command line, with the light convention.
    capsys.readouterr()
    assert main(["prove", "--conv", "light", "--seeds", "4", "--sites", "-O1", "-std=gnu11",
                 str(src), str(drv)]) == 0
    out = capsys.readouterr().out
    assert "A = B = C" in out and "C - A" in out and "B (pvcc, hypervisor layer, seed 4)" in out
    assert re.search(r"^  flush_icache_range_timed\+0x\w+ +fc +12 +", out, re.MULTILINE)
    assert re.search(r"^  switch_mm_rr\+0x\w+ +setreg\(cr\.tpr\) +1 +", out, re.MULTILINE)
    assert "4162" not in out      # pvcc-sim prove names the register
    # the per-site executions add up to the per-intrinsic ones
    assert sum(n for n, _ in c.sites.values()) == sum(c.calls.values())


def test_prove_command_line_errors(capsys):
    from pvcc.sim.cli import main

    assert main(["prove", "-O2"]) == 2
    assert capsys.readouterr().err == (
        "pvcc-sim: error: prove: no source file among the arguments\n")
    assert main(["prove", "--seeds", "x", "a.c"]) == 2
    assert "--seeds 'x'" in capsys.readouterr().err


def test_prove_build_error_is_one_line(gcc_env, tmp_path, capsys):
    from pvcc.sim.cli import main

    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return x; }\n")
    assert main(["prove", "-O2", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"pvcc-sim: error: prove: A: {bad}:1:25: error: 'x' undeclared "
                   "(first use in this function)\n")


def test_woven_csmith_program_three_ways_both_conventions(gcc_env, tmp_path):
    from pvcc.sim.lab import csmith, prove, weave

    try:
        inc = csmith.csmith_include()
        src = tmp_path / "csmith.c"
        csmith.generate(5, str(src))
    except csmith.HarnessError as e:
        pytest.skip(str(e))
    woven = weave.weave(src.read_text(), 5)
    assert woven.count("/* pvcc-woven */") >= 6
    assert 'transparent_crc(pv_acc, "pv_acc"' in woven
    (tmp_path / "woven.c").write_text(woven)
    for level, conv in (("-O1", "c"), ("-O3", "light")):
        p = prove.prove([str(tmp_path / "woven.c")], [level, "-w", f"-I{inc}", *KERNEL_CFLAGS],
                        conv, seeds=(3,))
        assert p.outcome == prove.AGREE, f"{level} {conv}: {p.detail}"
        assert sum(p.run("C").calls.values()) > 0
        assert p.run("A").stdout.startswith(b"checksum = ")


def test_weave_is_deterministic_and_keeps_the_program():
    from pvcc.sim.lab import weave

    text = textwrap.dedent("""\
        #include "csmith.h"
        static int32_t g_1 = 1L;
        static const int32_t g_2 = 2L;
        static uint64_t g_3[2] = {0UL, 1UL};
        static int32_t func_1(void)
        { /* block id: 0 */
            int l_1 = 3;
            if (l_1)
            { /* block id: 1 */
                g_1 = 5;
            }
            return g_1;
        }
        int main (void)
        {
            platform_main_begin();
            func_1();
            platform_main_end(crc32_context ^ 0xFFFFFFFFUL, print_hash_value);
        }
        """)
    a, b = weave.weave(text, 7), weave.weave(text, 7)
    assert a == b
    assert a.count("/* pvcc-woven */") == 2
    assert "g_2" not in a.split("#include <pvcc/paravirt.h>")[1].split("int main")[0].replace(
        "static const int32_t g_2 = 2L;", "")  # constants and arrays are never written
    assert "g_1 = 5;" in a and "return g_1;" in a
    with pytest.raises(weave.WeaveError):
        weave.weave("int main(void) { return 0; }", 1)


def test_driver_for_snippets():
    from pvcc.sim.lab import drivers

    src = textwrap.dedent("""\
        #include <pvcc/paravirt.h>
        extern void trace(unsigned long ip, void *p);
        extern void release(unsigned long *p);
        static int helper(int x) { return x; }
        unsigned long sum_rrs(int n, ...)
        {
            return n;
        }
        void regions(unsigned long a, unsigned long b, unsigned long c, unsigned long d,
                     unsigned long e)
        {
        }
        void flush_range(unsigned long start, unsigned long end) { }
        long walk(struct node *head, long (*f)(long)) { return 0; }
        void bulk(void **p, int n) { }
        """)
    d = drivers.driver(src)
    assert d.called == ["sum_rrs", "regions", "flush_range", "bulk"]
    assert d.skipped == ["walk"]
    assert "sum_rrs(3, 0x4000UL, 0x2000000000000000UL, 0x6000000000000000UL)" in d.text
    assert "regions(3, 2, 4, 1, 3)" in d.text
    assert "flush_range(0x40UL, 0x1c0UL)" in d.text
    assert "void trace(unsigned long ip, void * p)" in d.text  # stubs print no address,
    assert "(unsigned long)ip" not in d.text  # not even a return address passed as a word
    assert 'printf(" *%lx", *p);' in d.text
    assert "helper" not in d.text


def test_driver_defines_intrinsics_declared_under_own_names():
    from pvcc.sim.lab import drivers

    src = textwrap.dedent("""\
        #include <pvcc/paravirt.h>
        #define LIGHT 1
        #define MY_TYPE (PARAVIRT_PATCH_TYPE_GETREG | 3116)
        extern void irq_on(void) __attribute__((paravirt_intrinsic(9, LIGHT)));
        extern unsigned long cpuid_c(int i)
            __attribute__((paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_CPUID, PVCC_CONV_C)));
        extern unsigned long rd(int reg) __paravirt_intrinsic(0x10000000);
        extern unsigned long itc(int reg) __paravirt_intrinsic(MY_TYPE);
        extern void paravirt_fc(unsigned long addr) __paravirt_intrinsic(1);
        unsigned long f(int i) { irq_on(); return cpuid_c(i) + rd(3116) + itc(3116); }
        """)
    d = drivers.driver(src)
    assert d.intrinsics == {"irq_on": "ssm_i", "cpuid_c": "get_cpuid", "rd": "getreg",
                            "itc": "getreg(ar.itc)"}
    # a plain call or a C-convention site of the name runs the catalog's function
    assert '"cpuid_c:\\n"\n\t"\tbr.sptk.many paravirt_get_cpuid#\\n"' in d.text
    # pvcc's light sites: a thunk per name (per register for getreg) into it
    pvcc_part = d.text.split("#ifdef __PVCC__", 1)[1]
    assert "__pvcc_light_irq_on:" in pvcc_part and "__pvcc_light_itc_3116:" in pvcc_part
    assert "__pvcc_light_rd_3116:" in pvcc_part and "__pvcc_light_rd_4162:" in pvcc_part
    assert "__pvcc_light_itc_4162" not in pvcc_part
    assert "paravirt_fc:" not in d.text  # the runtime defines the catalog's own names
    assert "irq_on called" not in d.text  # not a stub
    with pytest.raises(drivers.DriverError, match=r"^odd: paravirt_intrinsic type "
                       r"'NOT_A_TYPE' is not a catalog type"):
        drivers.driver("extern void odd(void) __attribute__((paravirt_intrinsic(NOT_A_TYPE)));")


@pytest.mark.parametrize("case,level,conv", [("light_attribute", "-O2", "c"),
                                             ("long_names", "-O1", "light")])
def test_testcase_with_own_intrinsic_names_three_ways(gcc_env, tmp_path, case, level, conv):
    """Intrinsics declared under the snippet's own names (the attribute's per-declaration
    convention; a name longer than 300 characters) are programs A = B = C."""
    from pvcc.sim.lab import drivers, prove

    src = ROOT / "testcases" / case / "input.c"
    drv = tmp_path / "driver.c"
    drv.write_text(drivers.driver(src.read_text()).text)
    p = prove.prove([str(src), str(drv)], [level, "-std=gnu11", *KERNEL_CFLAGS], conv,
                    seeds=(2,))
    assert p.outcome == prove.AGREE, p.detail
    costs = {name: (na, nc) for name, na, _, nc, _ in p.costs()}
    want = {"light_attribute": {"get_cpuid": (2, 2), "rsm_i": (1, 1), "ssm_i": (2, 2)},
            "long_names": {"get_cpuid": (2, 2)}}[case]
    assert costs == want


# -- mutations: the proof catches mistakes -----------------------------------

MUTANT = textwrap.dedent("""\
    #include <stdio.h>
    #include <pvcc/paravirt.h>

    __attribute__((noinline)) unsigned long work(unsigned long x, unsigned long y)
    {
        unsigned long a = x * 3 + y, b = x ^ (y << 5);
        unsigned long r = paravirt_get_cpuid((int)(y & 3));

        paravirt_set_rr0_to_rr4(a << 8 | 14 << 2, b << 8 | 14 << 2, 0x200 | 14 << 2,
                                (a ^ b) << 8 | 14 << 2, 0x500 | 14 << 2);
        return a * 7 + b + r + paravirt_get_rr(3UL << 61) + paravirt_get_psr_i();
    }

    int main(void)
    {
        unsigned long s = 0, i;

        for (i = 0; i < 6; i++)
            s = s * 31 + work(i, i * 7 + 1);
        printf("%lx\\n", s);
        return (int)(s & 0x3f);
    }
    """)


@pytest.fixture(scope="module")
def mutant_build(gcc, tmp_path_factory):
    """A of MUTANT, and the plugin's assembly of it (built once for the module)."""
    from pvcc.pluginbuild import include_dir
    from pvcc.sim.lab.build import build, runtime_include_dir

    tmp = tmp_path_factory.mktemp("mutant")
    src = tmp / "mutant.c"
    src.write_text(MUTANT)
    asm = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PVCC_GCC", gcc)
        for conv in ("c", "light"):
            asm[conv] = tmp / f"mutant-{conv}.s"
            subprocess.run([str(Path(sys.executable).parent / "pvcc"), "-O2",
                            f"-fplugin-arg-pvcc-conv={conv}", "-isystem",
                            runtime_include_dir(), f"-I{include_dir()}", "-S", str(src),
                            "-o", str(asm[conv])], check=True)
        a = tmp / "a"
        assert build(["--no-plugin", "--impl", "native", "-O2", str(src), "-o", str(a)]) == 0
    return a, asm


@pytest.fixture
def mutant(gcc_env, mutant_build, tmp_path):
    """B from the plugin's assembly of MUTANT (C or light convention), which a
    test may mutate, and C."""
    from pvcc.patch import patch_native
    from pvcc.sim.lab import prove
    from pvcc.sim.lab.build import build

    a, asm = mutant_build

    def ways(mutate_asm=None, mutate_c=None, conv="c") -> prove.Proof:
        text = asm[conv].read_text()
        if mutate_asm is not None:
            start = text.index("\nwork:")
            end = text.index(".endp work#", start)
            body = mutate_asm(text[start:end])
            assert body != text[start:end], "the mutation changed nothing"
            text = text[:start] + body + text[end:]
        mutated = tmp_path / "mutated.s"
        mutated.write_text(text)
        b, c = tmp_path / "b", tmp_path / "c"
        assert build(["--impl", "hv", "-O2", str(mutated), "-o", str(b)]) == 0
        patch_native(str(b), str(c))
        if mutate_c is not None:
            mutate_c(str(b), str(c))
        runs = [prove.run_way("A", str(a)), prove.run_way("B", str(b), seed=1),
                prove.run_way("B", str(b), seed=2), prove.run_way("C", str(c))]
        return prove.compare(runs)

    return ways


@pytest.mark.parametrize("conv", ["c", "light"])
def test_unmutated_agrees(mutant, conv):
    p = mutant(conv=conv)
    assert p.outcome == "agree", p.detail


def _only(pattern: str, repl: str):
    def mutate(body: str) -> str:
        assert len(re.findall(pattern, body)) == 1, pattern
        return re.sub(pattern, repl, body)
    return mutate


def test_too_few_outputs_is_caught(mutant):
    # The plugin reserves one output register where set_rr0_to_rr4 needs five.
    p = mutant(_only(r"(alloc r\d+ = ar\.pfs, \d+, \d+, )5(, 0)", r"\g<1>1\2"))
    assert p.outcome != "agree"
    assert p.detail.startswith("B")


def test_b0_not_saved_is_caught(mutant):
    p = mutant(_only(r"mov (r\d+) = b0", r"mov \1 = r0"))
    assert p.outcome == "model error" and p.detail.startswith("B (seed 1)")


def test_ar_pfs_not_restored_is_caught(mutant):
    p = mutant(_only(r"mov ar\.pfs = r\d+", "nop 0"))
    assert p.outcome != "agree" and p.detail.startswith("B (seed 1)")


def test_live_value_in_a_clobbered_register_is_caught(mutant):
    """cpuid's result, live across two calls, kept in r31 (scratch) instead of a
    stacked local: the hostile return overwrites it; native code would not."""
    def keep_in_r31(body: str) -> str:
        reg = re.search(r"mov (r\d+) = r8\n", body).group(1)
        assert int(reg[1:]) >= 32
        return re.sub(rf"\b{reg}\b", "r31", body)

    p = mutant(keep_in_r31)
    assert p.outcome == "disagree", p.detail
    assert p.detail.startswith("B (seed 1): ")
    assert p.run("C").stdout == p.run("A").stdout  # the patched program hides the mistake


def test_light_live_value_in_a_clobbered_register_is_caught(mutant):
    """Light sites: cpuid's result, live across two more sites, kept in r17 (in
    the light clobber set) instead of a preserved register."""
    def keep_in_r17(body: str) -> str:
        reg = re.search(r"mov (r\d+) = r8\n", body).group(1)
        assert not re.search(r"\br17\b", body)
        return re.sub(rf"\b{reg}\b", "r17", body)

    p = mutant(keep_in_r17, conv="light")
    assert p.outcome == "disagree", p.detail
    assert p.detail.startswith("B (seed 1): ")
    assert p.run("C").stdout == p.run("A").stdout


def _bundle(insn: str, unit: str = "m") -> str:
    """``insn`` alone in a bundle (in its M or I slot), followed by a stop."""
    slots = [insn, "nop.i 0", "nop.i 0"] if unit == "m" else ["nop.m 0", insn, "nop.i 0"]
    return "{ .mii\n\t" + "\n\t".join(slots) + " ;;\n}\n"


def _around_site(intrinsic: str, before: str, after: str):
    """Insert ``before`` just before the site of ``intrinsic`` (C or light) and
    ``after`` just after its region and record."""
    def mutate(body: str) -> str:
        at = body.index(f"paravirt_{intrinsic}#")  # the br.call or the light br.cond
        start = body.rindex("#APP\n", 0, at)
        tail = "#NO_APP\n\t;;\n"
        end = body.index(tail, body.index(".popsection", at)) + len(tail)
        return body[:start] + before + body[start:end] + after + body[end:]
    return mutate


def _cpuid_result_across_set_rr(save: str, restore: str, unit: str = "m"):
    """get_cpuid's result (live across the set_rr0_to_rr4 site) moved out of its
    register by ``save`` before that site and back by ``restore`` after it
    ({v}: the register)."""
    def mutate(body: str) -> str:
        v = re.search(r"mov (r\d+) = r8\n", body).group(1)
        return _around_site("set_rr0_to_rr4", _bundle(save.format(v=v), unit),
                            _bundle(restore.format(v=v), unit))(body)
    return mutate


@pytest.mark.parametrize("fr", ["f10", "f40"])
def test_fp_value_live_across_a_c_site_is_caught(mutant, fr):
    """C sites: a value kept in a scratch FR across the call (f6-f15 and f32-f127
    are the callee's) comes back overwritten by the hostile return."""
    p = mutant(_cpuid_result_across_set_rr(f"setf.sig {fr} = {{v}}", f"getf.sig {{v}} = {fr}"))
    assert p.outcome == "disagree", p.detail
    assert p.detail.startswith("B (seed 1): ")
    assert p.run("C").stdout == p.run("A").stdout


@pytest.mark.parametrize("fr", ["f10", "f40"])
def test_fp_value_live_across_a_light_site_survives(mutant, fr):
    """Light sites preserve every FR, also through the thunks into the C layer."""
    p = mutant(_cpuid_result_across_set_rr(f"setf.sig {fr} = {{v}}", f"getf.sig {{v}} = {fr}"),
               conv="light")
    assert p.outcome == "agree", p.detail


@pytest.mark.parametrize("save, restore, unit", [
    ("mov r16 = {v}", "mov {v} = r16", "m"),
    ("mov b7 = {v}", "mov {v} = b7", "i"),
])
def test_light_value_in_a_thunk_register_is_caught(mutant, save, restore, unit):
    """Light sites: a value kept across the site in r16 or b7, light clobber
    registers the thunk itself writes."""
    p = mutant(_cpuid_result_across_set_rr(save, restore, unit), conv="light")
    assert p.outcome == "disagree", p.detail
    assert p.detail.startswith("B (seed 1): ")
    assert p.run("C").stdout == p.run("A").stdout


@pytest.mark.parametrize("save, restore", [
    ("mov r16 = ar.pfs", "mov ar.pfs = r16"),
    ("mov r17 = r12", "mov r12 = r17"),
])
def test_light_lucky_value_is_caught(mutant, save, restore):
    """Light sites: a leaf keeping its ar.pfs in r16, or its sp in r17, across a
    site.  The thunk happens to hand back exactly those values there (its copy
    of the caller's ar.pfs, its spill pointer back at the caller's sp); the
    hostile return does not."""
    p = mutant(_around_site("set_rr0_to_rr4", _bundle(save, "i"), _bundle(restore, "i")),
               conv="light")
    assert p.outcome != "agree", p.detail
    assert p.detail.startswith("B (seed 1)")


def _rewrite_site(c: str, type_name: str, recode) -> None:
    """Replace the bytes of every ``type_name`` site of C with ``recode(rec, args)``."""
    from pvcc import catalog
    from pvcc.objects import open_object
    from pvcc.patch import physical_args

    obj = open_object(c)
    data = bytearray(Path(c).read_bytes())
    n = 0
    for rec in obj.records:
        if catalog.type_name(rec.type) == type_name:
            code = recode(rec, physical_args(rec))
            off = obj.file_offset(rec.start)
            data[off:off + len(code)] = code
            n += 1
    assert n
    Path(c).write_bytes(bytes(data))


def test_patcher_encoding_the_wrong_register_is_caught(mutant):
    from pvcc import native

    def wrong_index(rec, args):  # cpuid[r(n+1)] instead of cpuid[rn]
        return b"".join(native.native_bundles(rec.type, [args[0] + 1], rec.result,
                                              rec.nbundles))

    p = mutant(mutate_c=lambda b, c: _rewrite_site(c, "get_cpuid", wrong_index))
    assert p.outcome != "agree" and p.detail.startswith("C")


def test_patcher_dropping_a_stop_is_caught(mutant):
    """get_psr_i's `and` reads the `mov =psr` result: without the stop between
    them the group has a RAW dependency, which the model refuses."""
    from pvcc import catalog, native

    def no_stop(rec, args):
        code, operands = native.bound_code(rec.type, args, rec.result)
        (b,) = code
        assert b.template == "MI;I;"
        return native.encode_bundle(catalog.NativeBundle("MII;", b.insns), operands)

    p = mutant(mutate_c=lambda b, c: _rewrite_site(c, "get_psr_i", no_stop))
    assert p.outcome == "model error" and p.detail.startswith("C: ")
    assert "group" in p.detail or "dependency" in p.detail


def test_stats_count_the_native_table_calls_of_a_plain_program(mutant_build, capsys):
    """`pvcc-sim run --stats` of A (no sites) counts each intrinsic's calls of the
    native table and the instructions inside it: A's side of the native-path cost."""
    from pvcc.sim.cli import main

    a, _ = mutant_build
    main(["run", "--stats", str(a)])
    err = capsys.readouterr().err
    for name in ("get_cpuid", "set_rr0_to_rr4", "get_rr", "get_psr_i"):
        assert re.search(rf"^pvcc-sim: native table calls: {name}: 6 \(\d+ instructions "
                         r"inside the function\)$", err, re.MULTILINE), name
    assert "sites executed" not in err


def test_compare_names_the_first_difference():
    """The verdict's detail for each kind of difference (runs as run_way returns them)."""
    from pvcc.sim.lab.prove import WayRun, compare

    def way(w, seed=1, **kw):
        base = {"status": 0, "stdout": b"x = 1\n", "error": None,
                "effects": [("fc", 0x6000000000001000), ("srlz.d", None)],
                "state": {"psr.i": 0, "kr3": 5}}
        base.update(kw)
        return WayRun(w, seed, **base)

    def verdict(changes=None):
        runs = [way("A"), way("B", 1), way("B", 2), way("C")]
        for (w, seed), kw in (changes or {}).items():
            i = next(i for i, r in enumerate(runs) if r.way == w and r.seed == seed)
            runs[i] = way(w, seed, **kw)
        p = compare(runs)
        return p.outcome, p.detail

    assert verdict() == ("agree", "")
    # fc's address may differ between A and B/C (other links), not between B and C
    moved = [("fc", 0x6000000000002000), ("srlz.d", None)]
    assert verdict({("B", 1): {"effects": moved}, ("B", 2): {"effects": moved},
                      ("C", 1): {"effects": moved}}) == ("agree", "")
    assert verdict({("B", 2): {"effects": moved}})[1].startswith(
        "C: effect log differs from B's (seed 2)")
    assert verdict({("B", 2): {"stdout": b"x = 2\n"}}) == (
        "disagree", "B (seed 2): stdout differs from A's: line 1: 'x = 2' vs 'x = 1'")
    assert verdict({("C", 1): {"status": 3}}) == ("disagree", "C: exit status 3, A 0")
    assert verdict({("B", 1): {"state": {"psr.i": 0x4000, "kr3": 5}}}) == (
        "disagree", "B (seed 1): psr.i = 0x4000 at exit, A 0x0")
    assert verdict({("B", 1): {"effects": [("fc", 1)]}})[1] == (
        "B (seed 1): effect log differs from A's: 0 srlz.d after the last effect, the "
        "reference serializes 1 time(s)")
    assert verdict({("B", 1): {"effects": [("srlz.d", None)]}})[1] == (
        "B (seed 1): effect log differs from A's: 0 entries vs 1 (serializations aside)")
    # B's implementations serialize on every return: more srlz.d than A and C is fine
    more = [("srlz.d", None), ("fc", 0x6000000000001000), ("srlz.d", None), ("srlz.d", None)]
    assert verdict({("B", 1): {"effects": more}, ("B", 2): {"effects": more}}) == ("agree", "")
    # ... not for C, which is A's code
    assert verdict({("C", 1): {"effects": more}})[1].startswith(
        "C: effect log differs from A's: entry 1")
    assert verdict({("C", 1): {"error": "f+0x10 (0x4000000000000010): boom"}}) == (
        "model error", "C: f+0x10 (0x4000000000000010): boom")


# A caller that keeps a live value in r8 across a call of an intrinsic without
# a result (r8 is scratch in the C convention).
KEEPS_R8 = """\
	.text
	.global keeps_r8
	.proc keeps_r8
keeps_r8:
	alloc r34 = ar.pfs, 0, 3, 1, 0
	mov r33 = b0
	movl r8 = 0x1234567887654321
	;;
	br.call.sptk.many b0 = paravirt_ssm_i
	;;
	mov b0 = r33
	mov ar.pfs = r34
	;;
	br.ret.sptk.many b0
	.endp keeps_r8
"""


def test_hostile_return_overwrites_r8_of_an_intrinsic_without_result(gcc_env, tmp_path):
    from pvcc.sim import run_program
    from pvcc.sim.lab import hostile
    from pvcc.sim.lab.build import build

    (tmp_path / "caller.s").write_text(KEEPS_R8)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nunsigned long keeps_r8(void);\n'
        'int main(void) { printf("%lx\\n", keeps_r8()); return 0; }\n')
    srcs = [str(tmp_path / "main.c"), str(tmp_path / "caller.s")]
    native, hv = tmp_path / "native", tmp_path / "hv"
    assert build(["--no-plugin", "--impl", "native", "-O2", *srcs, "-o", str(native)]) == 0
    assert build(["--no-plugin", "--impl", "hv", "-O2", *srcs, "-o", str(hv)]) == 0
    assert run_program(str(native)).stdout == b"1234567887654321\n"  # unseen natively
    outs = {run_program(str(hv), hypercalls=hostile.hypercalls(s)).stdout for s in (1, 2)}
    assert len(outs) == 2 and b"1234567887654321\n" not in outs
