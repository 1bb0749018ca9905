"""pvcc-sim's runtime compiled for IA-64 and run in the model, against the host.

The same C program -- printf with every format of the host-side test, with
more arguments than IA-64 passes in registers (so va_arg reads the memory
stack too), snprintf truncation, the string functions and the division
helpers on edge values -- is compiled for the x86-64 host with glibc and for
IA-64 with pvcc-sim cc; the model's output must be the host's, byte for byte,
at -O0 and -O2 and with the kernel flags.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap

import pytest

from pvcc.sim import run_program
from test_sim_runtime_host import FORMATS

HOST_CC = shutil.which("gcc")
KERNEL_FLAGS = ["-ffixed-r13", "-mfixed-range=f12-f15,f32-f127", "-mconstant-gp"]


def _program() -> str:
    calls = []
    for fmt, args in FORMATS:
        c_fmt = fmt.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        arglist = "".join(", " + a for a in args)
        calls.append(f'    n = printf("{c_fmt}|"{arglist});\n    printf("<%d>\\n", n);\n')
    return textwrap.dedent("""\
        #include <stdio.h>
        #include <string.h>
        #include <stdlib.h>
        #include <stdint.h>
        #include <limits.h>
        static volatile long vl[] = { 0, 1, -1, 7, -7, LONG_MAX, LONG_MIN, 1000000007L,
                                      -1000000007L, 0x123456789abcdefL };
        int main(void)
        {
            int n;
            unsigned i, j;
            char buf[64];
        """) + "".join(calls) + textwrap.dedent("""\
            /* 13 variadic arguments: the ones after the eighth slot are on the stack */
            printf("%d %ld %u %lx %c %s %lld %llu %hd %hhx %d %ld %s\\n", -1, -2L, 3u, 0xfful,
                   'q', "str", -5LL, 6ULL, (short)-7, (unsigned char)0x1ff, 9, 10L, "end");
            n = snprintf(buf, 8, "%s-%d", "truncated", 12345);
            printf("%d [%s]\\n", n, buf);
            n = snprintf(buf, sizeof buf, "%08.3lx|%-6d|%+d", 0xabcul, -5, 0);
            printf("%d [%s]\\n", n, buf);
            printf("%d %d %d\\n", strcmp("abc", "abd") < 0, strncmp("abc", "abd", 2),
                   memcmp("\\x80", "\\x01", 1) > 0);
            memset(buf, 'x', 10);
            buf[10] = 0;
            memmove(buf + 2, buf, 5);
            strcpy(buf + 7, "yz");
            printf("%s %d %s\\n", buf, (int)strlen(buf), strchr(buf, 'y'));
            for (i = 0; i < sizeof vl / sizeof vl[0]; i++)
                for (j = 0; j < sizeof vl / sizeof vl[0]; j++) {
                    long a = vl[i], b = vl[j];
                    unsigned long ua = (unsigned long)a, ub = (unsigned long)b;
                    int ia = (int)a, ib = (int)b;
                    if (!b || (a == LONG_MIN && b == -1))
                        continue;
                    printf("%ld %ld %lu %lu", a / b, a % b, ua / ub, ua % ub);
                    if (ib && !(ia == INT_MIN && ib == -1))
                        printf(" %d %d %u %u", ia / ib, ia % ib, (unsigned)ia / (unsigned)ib,
                               (unsigned)ia % (unsigned)ib);
                    printf("\\n");
                }
            puts("done");
            putchar('!');
            putchar('\\n');
            return abs(-3);
        }
        """)


@pytest.fixture(scope="module")
def host_output(tmp_path_factory):
    if HOST_CC is None:
        pytest.skip("needs the host's gcc")
    d = tmp_path_factory.mktemp("host")
    (d / "p.c").write_text(_program())
    subprocess.run([HOST_CC, "-O1", "-w", str(d / "p.c"), "-o", str(d / "p")], check=True)
    p = subprocess.run([str(d / "p")], capture_output=True, check=False, timeout=60)
    assert p.returncode == 3
    return p.stdout


@pytest.mark.parametrize("flags", [["-O0"], ["-O2"], ["-O2", *KERNEL_FLAGS]],
                         ids=["O0", "O2", "O2-kernel"])
def test_runtime_output_in_the_model_is_the_hosts(gcc, monkeypatch, tmp_path, host_output,
                                                   flags):
    from pvcc.sim.lab.build import build

    monkeypatch.setenv("PVCC_GCC", gcc)
    (tmp_path / "p.c").write_text(_program())
    assert build(["-w", *flags, str(tmp_path / "p.c"), "-o", str(tmp_path / "p")]) == 0
    r = run_program(str(tmp_path / "p"))
    assert r.error is None, f"{r.where}: {r.error.msg}"
    assert r.status == 3
    assert r.stdout.decode().splitlines() == host_output.decode().splitlines()
