"""pvcc-sim on real programs compiled by the cross GCC (pvcc-sim cc + runtime).

A C program's output in the model equals the known answer at every level and
in both speculation modes; a program with paravirt intrinsics prints the same
thing built three ways: (A) plain GCC with the native table, (B) through pvcc
with the C hypervisor layer, (C) B patched to native by pvcc's patcher.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from pvcc.catalog import KERNEL_CFLAGS
from pvcc.sim import run_program
from pvcc.sim.lab import hostile

FIB = textwrap.dedent("""\
    #include <stdio.h>
    #include <string.h>
    static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    static unsigned long h(const char *s) { unsigned long v = 5381; while (*s) v = v * 33 ^ *s++; return v; }
    int main(int argc, char **argv)
    {
        char buf[32];
        long x = 0;
        for (int i = 0; i < 12; i++) x += fib(i) * (i ^ 3) - (x >> 3) / (i + 1);
        strcpy(buf, "pvcc-sim");
        printf("x=%ld h=%lx %s %d %u %X %c\\n", x, h(buf), buf, argc, 7u, 0xbeefu, 'z');
        return (int)(x & 0x7f);
    }
    """)

PARAVIRT = textwrap.dedent("""\
    #include <stdio.h>
    #include <pvcc/paravirt.h>
    static unsigned long mix(unsigned long a, unsigned long b) { return a * 31 + (b ^ (a >> 7)); }
    int main(void)
    {
        unsigned long acc = 1, live1 = 0x1111, live2 = 0x2222;
        acc = mix(acc, paravirt_get_cpuid(3));
        unsigned long flags = paravirt_get_psr_i();
        paravirt_rsm_i();
        acc = mix(acc, paravirt_get_psr_i());
        paravirt_ssm_i();
        acc = mix(acc, paravirt_get_psr_i());
        paravirt_intrin_local_irq_restore(flags);
        acc = mix(acc, paravirt_getreg(3116) - paravirt_getreg(3116));
        paravirt_set_rr(0x2000000000000000UL, 0x55 << 8 | 16 << 2);
        acc = mix(acc, paravirt_get_rr(0x2000000000000000UL));
        acc = mix(acc, paravirt_thash(0x2000000000123456UL));
        paravirt_setreg(4162, 0x30);
        acc = mix(acc, paravirt_getreg(4162));
        paravirt_fc((unsigned long)&acc);
        acc = mix(acc, live1 + live2);
        printf("acc = %lx\\n", acc);
        return 0;
    }
    """)


# Kernel-style code: atomics (cmpxchg/xchg with ar.ccv, mf), popcnt, fnorm +
# getf.exp (clz), indirect calls through function descriptors, a switch table
# through b6, flushrs and ar.bsp.  The expected line is what the same program
# (without the asm line) prints on an x86-64 host.
KERNEL_STYLE = textwrap.dedent("""\
    #include <stdio.h>
    static volatile long counter;
    static long lock;
    typedef long (*op_t)(long, long);
    static long op_add(long a, long b) { return a + b; }
    static long op_mul(long a, long b) { return a * b; }
    static long op_div(long a, long b) { return b ? a / b : 0; }
    static op_t ops[3] = { op_add, op_mul, op_div };
    static int classify(int x)
    {
        switch (x & 15) {
        case 0: return 11; case 1: return 23; case 2: return 5; case 3: return 91;
        case 4: return 17; case 5: return 2; case 6: return 44; case 7: return 8;
        case 8: return 13; default: return -1;
        }
    }
    int main(void)
    {
        long acc = 0, old;
        unsigned long bsp;
        for (int i = 0; i < 40; i++) {
            acc += ops[i % 3](acc + i, i + 1);
            acc ^= classify(i) * (long)__builtin_popcountl(acc);
            acc += __builtin_clzl((unsigned long)acc | 1);
            __sync_fetch_and_add(&counter, i);
            old = __sync_val_compare_and_swap(&lock, 0, i);
            acc += old;
            __sync_lock_test_and_set(&lock, 0);
            __sync_synchronize();
        }
        asm volatile (";; flushrs ;; mov %0=ar.bsp ;;" : "=r"(bsp) :: "memory");
        printf("acc=%lx counter=%ld lock=%ld bsp8=%lu\\n", acc, counter, lock, bsp & 7);
        return 0;
    }
    """)
KERNEL_FLAGS = ("-ffixed-r13", "-mfixed-range=f12-f15,f32-f127", "-mconstant-gp")


@pytest.fixture(scope="module")
def cc(gcc, tmp_path_factory):
    """cc(source, *args, name=...) -> path of the program built by pvcc-sim cc (built once)."""
    d = tmp_path_factory.mktemp("sim-programs")
    built: dict = {}
    env = {**os.environ, "PVCC_GCC": gcc}

    def build(source: str, *args: str, name: str = "prog"):
        key = (source, args)
        if key not in built:
            src = d / f"{name}.c"
            src.write_text(source)
            out = d / name
            p = subprocess.run([sys.executable, "-m", "pvcc.sim.cli", "cc", *args, str(src),
                                "-o", str(out)], capture_output=True, text=True, check=False,
                               env=env)
            assert p.returncode == 0, p.stderr
            built[key] = out
        return built[key]

    return build


def _fib_expected() -> str:
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    x = 0
    for i in range(12):
        q = (x >> 3)
        q = abs(q) // (i + 1) * (1 if q >= 0 else -1)
        x += fib(i) * (i ^ 3) - q
    v = 5381
    for ch in b"pvcc-sim":
        v = ((v * 33) ^ ch) & ((1 << 64) - 1)
    return f"x={x} h={v:x} pvcc-sim 1 7 BEEF z\n"


@pytest.mark.parametrize("level", ["-O0", "-O2", "-O3"])
@pytest.mark.parametrize("spec", ["succeed", "fail"])
def test_c_program_runs(cc, level, spec):
    prog = cc(FIB, level, name=f"fib{level}")
    r = run_program(str(prog), spec=spec)
    assert r.error is None, f"{r.where}: {r.error.msg}"
    expected = _fib_expected()
    assert r.stdout.decode() == expected
    assert r.status == int(expected.split()[0][2:]) & 0x7F


def test_kernel_flags(cc):
    prog = cc(FIB, "-O2", *KERNEL_CFLAGS)
    r = run_program(str(prog))
    assert r.error is None, f"{r.where}: {r.error.msg}"
    assert r.stdout.decode() == _fib_expected()


def test_three_ways_agree(cc, tmp_path):
    a = cc(PARAVIRT, "-O2", "--no-plugin", name="a")
    b = cc(PARAVIRT, "-O2", "--impl", "hv", name="b")
    ra, rb = run_program(str(a)), run_program(str(b), hypercalls=hostile.hypercalls())
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.cli", "run", "--patch", "native",
                        "--stats", str(b)], capture_output=True, text=True, check=False)
    for r in (ra, rb):
        assert r.error is None, f"{r.where}: {r.error.msg}"
    assert p.returncode == 0, p.stderr
    assert ra.stdout == rb.stdout
    assert p.stdout.encode() == ra.stdout
    assert ra.status == rb.status == 0
    # every site ran through the hypervisor layer in B and natively in C
    assert rb.site_hits["get_psr_i"] == 3 and rb.site_hits["thash"] == 1
    assert "pvcc-sim: sites executed: get_psr_i: 3 (" in p.stderr
    # --stats names a getreg/setreg site's register, never its number
    assert "pvcc-sim: sites executed: setreg(cr.tpr): 1 (" in p.stderr
    assert "pvcc-sim: sites executed: getreg(ar.itc): 2 (" in p.stderr
    assert not re.search(r"sites executed: (get|set)reg\(\d", p.stderr), p.stderr
    assert rb.site_insns["get_psr_i"] >= 3 * 3  # the call bundle(s) of each of the 3 sites
    native = int(next(ln.split()[-1] for ln in p.stderr.splitlines()
                      if ln.startswith("pvcc-sim: instructions:")))
    assert native < rb.counters["instructions"]


@pytest.mark.parametrize("level", ["-O0", "-O2"])
def test_kernel_style_code(cc, level):
    prog = cc(KERNEL_STYLE, level, *KERNEL_FLAGS, name=f"kernel{level}")
    for spec in ("succeed", "fail"):
        r = run_program(str(prog), spec=spec)
        assert r.error is None, f"{r.where}: {r.error.msg}"
        assert r.stdout == b"acc=da6b688a6376ec41 counter=780 lock=0 bsp8=0\n"


def test_a_patched_site_without_its_stop_is_caught(cc, tmp_path):
    # pvcc's patcher ends every native site with a stop; drop them and the
    # model reports the instruction that now reads a result in the same group.
    from pvcc.objects import open_object
    from pvcc.patch import patch_native

    b = cc(PARAVIRT, "-O2", "--impl", "hv", name="b")
    c = tmp_path / "c"
    patch_native(str(b), str(c))
    assert run_program(str(c)).stdout == run_program(
        str(b), hypercalls=hostile.hypercalls()).stdout
    obj = open_object(str(c))
    data = bytearray(c.read_bytes())
    for rec in obj.records:
        off = obj.file_offset(rec.end - 16)
        data[off] &= ~1  # templates with a stop after slot 2 are odd: make it even
    bad = tmp_path / "c-nostop"
    bad.write_bytes(bytes(data))
    r = run_program(str(bad))
    assert r.error is not None and "missing stop" in r.error.msg, r.error
    assert r.where.startswith("main+0x")


# IEEE arithmetic through the FP unit: fma/fms/fnma in single and double
# precision, divisions through frcpa and its Newton-Raphson sequence, fcmp,
# conversions.  The expected value is what an x86-64 host prints for it.
FLOATS = textwrap.dedent("""\
    #include <stdio.h>
    #include <string.h>
    static unsigned long bits(double d) { unsigned long u; memcpy(&u, &d, 8); return u; }
    static unsigned int fbits(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
    volatile double vd[6] = { 1.5, -2.25, 3.0e10, 1e-300, 7.0, 0.1 };
    volatile float vf[4] = { 1.5f, -0.3f, 123456.7f, 3.0f };
    int main(void)
    {
        unsigned long acc = 0;
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) {
                double a = vd[i], b = vd[j];
                acc = acc * 31 + bits(a * b) + 3 * bits(a + b) + 5 * bits(a - b) + 7 * bits(a / b);
                acc += (a < b) + 2 * (a == b) + 4 * (long)(a * 1000.0);
            }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                float a = vf[i], b = vf[j];
                acc = acc * 37 + fbits(a * b) + 3 * fbits(a / b) + fbits(a + b)
                      + (unsigned)(int)(a * 10.0f);
                acc += (unsigned long)(double)a;
            }
        printf("acc=%lx\\n", acc);
        return 0;
    }
    """)


@pytest.mark.parametrize("level", ["-O0", "-O2"])
def test_floating_point(cc, level):
    prog = cc(FLOATS, level, name=f"floats{level}")
    r = run_program(str(prog))
    assert r.error is None, f"{r.where}: {r.error.msg}"
    assert r.stdout == b"acc=5151ab4b603a2a26\n"
