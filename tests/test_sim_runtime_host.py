"""pvcc-sim's runtime C, checked against the host's C library.

The runtime's printf family and division helpers are plain C.  Compiled for
the x86-64 host (LP64 and little-endian like IA-64) with every symbol
prefixed ``rt_`` (objcopy), they are compared with glibc's snprintf and with
the host compiler's own ``/`` and ``%``.  That proves the formatting and the
shift-subtract arithmetic before any IA-64 model runs them; the IA-64 build
of the same files is tested in test_sim_build.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[1] / "wrapper" / "pvcc" / "sim" / "runtime"
HOST_CC = shutil.which("gcc") or shutil.which("cc")

pytestmark = pytest.mark.skipif(HOST_CC is None or shutil.which("objcopy") is None,
                                reason="needs the host's gcc and objcopy")


def _host_object(tmp_path: Path, source: str) -> Path:
    """source compiled for the host against the runtime's own headers, symbols prefixed rt_."""
    obj = tmp_path / (Path(source).stem + ".o")
    subprocess.run([HOST_CC, "-O2", "-fno-builtin", "-nostdinc", "-isystem",
                    str(RUNTIME / "include"), f"-I{RUNTIME}", "-fno-stack-protector",
                    "-Wall", "-Wextra", "-Werror", "-c", str(RUNTIME / source), "-o", str(obj)],
                   check=True)
    subprocess.run(["objcopy", "--prefix-symbols=rt_", str(obj)], check=True)
    return obj


def _run_driver(tmp_path: Path, objects: list[Path], driver: str) -> str:
    src = tmp_path / "driver.c"
    src.write_text(driver)
    exe = tmp_path / "driver"
    subprocess.run([HOST_CC, "-O1", "-w", str(src), *map(str, objects), "-o", str(exe)],
                   check=True)
    p = subprocess.run([str(exe)], capture_output=True, text=True, check=False, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


# Formats csmith's programs and headers print with, and the flag/width/precision
# combinations around them.  Each entry is (format, C argument expressions).
FORMATS = [
    ("checksum = %X\n", ["0xDEADBEEFu"]),
    ("checksum = %X\n", ["0u"]),
    ("...checksum after hashing %s : %lX\n", ['"g_1.f0"', "0xFFFFFFFFFFFFFFFFul"]),
    ("%d %i", ["-2147483647 - 1", "2147483647"]),
    ("%u %u", ["0u", "4294967295u"]),
    ("%x %X %#x %#X %#o %o", ["255u", "255u", "255u", "0u", "8u", "0u"]),
    ("%ld %lu %lx %lX", ["-9223372036854775807L - 1", "18446744073709551615ul",
                          "0x123456789abcdeful", "0xfedcba9876543210ul"]),
    ("%lld %llu %llx", ["-1LL", "18446744073709551615ull", "0xabcull"]),
    ("%hd %hu %hhd %hhu %hx", ["70000", "70000", "300", "300", "-1"]),
    ("%zu %zd %jd %td", ["(unsigned long)12345", "(long)-3", "(long)-42", "(long)7"]),
    ("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d]", ["42", "42", "-42", "42", "42", "-7",
                                                         "7"]),
    ("[%.3d] [%8.3d] [%-8.3x] [%.0d] [%.0x] [%08.3d] [%#.0o]", ["7", "-7", "10u", "0", "0u",
                                                                 "5", "0u"]),
    ("[%*d] [%-*d] [%.*d] [%*.*d]", ["6", "1", "6", "1", "4", "3", "7", "3", "-5"]),
    ("[%c] [%3c] [%-3c]", ["'a'", "'b'", "'c'"]),
    ("[%s] [%8s] [%-8s] [%.2s] [%8.3s]", ['"abc"', '"abc"', '"abc"', '"abc"', '"abcdef"']),
    ("[%s]", ["(char *)0"]),
    ("[%p] [%p] [%20p] [%-20p]", ["(void *)0x1234", "(void *)0", "(void *)0xff",
                                  "(void *)0xff"]),
    ("100%% %d%%", ["5"]),
    ("%#lx %#8x %#-8x|", ["0x10ul", "0x1fu", "0x1fu"]),
    ("%-08d|%+.2d|% .3d", ["3", "4", "5"]),
    ("no conversions at all\n", []),
]


def test_snprintf_matches_glibc(tmp_path):
    obj = _host_object(tmp_path, "stdio.c")
    cases = []
    for n, (fmt, args) in enumerate(FORMATS):
        c_fmt = fmt.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        arglist = "".join(", " + a for a in args)
        cases.append(f"""
    want = snprintf(a, sizeof a, "{c_fmt}"{arglist});
    got = rt_snprintf(b, sizeof b, "{c_fmt}"{arglist});
    if (want != got || strcmp(a, b)) {{
        printf("case {n}: glibc %d [%s] runtime %d [%s]\\n", want, a, got, b);
        bad++;
    }}
    /* truncation: the return value is the full length, the buffer holds size-1 */
    got = rt_snprintf(b, 4, "{c_fmt}"{arglist});
    if (got != want || strncmp(a, b, 3) || (want >= 3 && strlen(b) != 3)) {{
        printf("case {n} truncated: [%s]\\n", b);
        bad++;
    }}""")
    driver = f"""
#include <stdio.h>
#include <string.h>
#include <stddef.h>
int rt_snprintf(char *, size_t, const char *, ...);
void *rt_memcpy(void *d, const void *s, size_t n) {{ return memcpy(d, s, n); }}
size_t rt_strlen(const char *s) {{ return strlen(s); }}
long rt___pvcc_syscall(long a0, long a1, long a2, long nr) {{
    (void)a0; (void)a1; (void)nr; return a2;
}}
int main(void)
{{
    char a[256], b[256];
    int want, got, bad = 0;
{''.join(cases)}
    printf("bad=%d\\n", bad);
    return 0;
}}
"""
    assert _run_driver(tmp_path, [obj], driver).splitlines()[-1] == "bad=0"


def test_printf_buffers_stdout_and_writes_it_through_the_write_syscall(tmp_path):
    obj = _host_object(tmp_path, "stdio.c")
    driver = r"""
#include <stdio.h>
#include <string.h>
#include <stddef.h>
int rt_printf(const char *, ...);
int rt_puts(const char *);
int rt_putchar(int);
int rt_fflush(void *);
void rt___pvcc_flush_stdout(void);
void *rt_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
size_t rt_strlen(const char *s) { return strlen(s); }
static char written[20000];
static size_t nwritten;
static int calls;
long rt___pvcc_syscall(long fd, long buf, long len, long nr)
{
    if (nr != 1027 || fd != 1) { printf("syscall %ld fd %ld\n", nr, fd); return -1; }
    calls++;
    /* a short write: the runtime must write the rest */
    if (len > 7) len = 7;
    memcpy(written + nwritten, (const char *)buf, (size_t)len);
    nwritten += (size_t)len;
    return len;
}
int main(void)
{
    char want[20000];
    size_t n = 0;
    int i;
    for (i = 0; i < 1000; i++) {
        rt_printf("line %d: %X\n", i, i * 7919u);
        n += (size_t)sprintf(want + n, "line %d: %X\n", i, i * 7919u);
    }
    rt_puts("end");
    rt_putchar('!');
    n += (size_t)sprintf(want + n, "end\n!");
    if (calls == 0) { printf("nothing written before the buffer filled\n"); }
    rt___pvcc_flush_stdout();
    if (nwritten != n || memcmp(written, want, n)) {
        printf("mismatch %zu %zu\n", nwritten, n);
        return 0;
    }
    printf("ok %d\n", calls);
    return 0;
}
"""
    out = _run_driver(tmp_path, [obj], driver).split()
    assert out[0] == "ok", out
    assert int(out[1]) > 1000  # short writes of 7 bytes: many calls


def test_division_helpers_match_the_host(tmp_path):
    obj = _host_object(tmp_path, "divide.c")
    driver = r"""
#include <stdio.h>
typedef unsigned __int128 u128;
typedef __int128 s128;
unsigned long rt___udivdi3(unsigned long, unsigned long);
unsigned long rt___umoddi3(unsigned long, unsigned long);
long rt___divdi3(long, long);
long rt___moddi3(long, long);
unsigned rt___udivsi3(unsigned, unsigned);
unsigned rt___umodsi3(unsigned, unsigned);
int rt___divsi3(int, int);
int rt___modsi3(int, int);
u128 rt___udivti3(u128, u128);
u128 rt___umodti3(u128, u128);
s128 rt___divti3(s128, s128);
s128 rt___modti3(s128, s128);
static unsigned long long state = 88172645463325252ull;
static unsigned long next(void)
{
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return state;
}
static unsigned long shape(unsigned long v, unsigned long how)
{
    switch (how % 6) {
    case 0: return v;
    case 1: return v >> (how % 64);
    case 2: return v & 0xff;
    case 3: return (unsigned long)-(long)(v & 0xffff);
    case 4: return 1ul << (v % 64);
    default: return (v & 1) ? 0x8000000000000000ul : 0x7ffffffffffffffful;
    }
}
int main(void)
{
    int bad = 0, i;
    for (i = 0; i < 200000; i++) {
        unsigned long a = shape(next(), next()), b = shape(next(), next());
        long sa = (long)a, sb = (long)b;
        u128 wa = ((u128)shape(next(), next()) << 64) | a, wb = (i & 1) ? b : ((u128)b << (i % 70));
        s128 swa = (s128)wa, swb = (s128)wb;
        if (b == 0) continue;
        if (rt___udivdi3(a, b) != a / b || rt___umoddi3(a, b) != a % b) bad++;
        if (!(sa == (long)0x8000000000000000ul && sb == -1))
            if (rt___divdi3(sa, sb) != sa / sb || rt___moddi3(sa, sb) != sa % sb) bad++;
        unsigned ua = (unsigned)a, ub = (unsigned)b;
        if (ub && (rt___udivsi3(ua, ub) != ua / ub || rt___umodsi3(ua, ub) != ua % ub)) bad++;
        if ((int)b && !((int)a == -2147483647 - 1 && (int)b == -1) &&
            (rt___divsi3((int)a, (int)b) != (int)a / (int)b ||
             rt___modsi3((int)a, (int)b) != (int)a % (int)b)) bad++;
        if (wb && (rt___udivti3(wa, wb) != wa / wb || rt___umodti3(wa, wb) != wa % wb)) bad++;
        if (swb && !(swb == -1) &&
            (rt___divti3(swa, swb) != swa / swb || rt___modti3(swa, swb) != swa % swb)) bad++;
    }
    printf("bad=%d\n", bad);
    return 0;
}
"""
    assert _run_driver(tmp_path, [obj], driver).strip() == "bad=0"
