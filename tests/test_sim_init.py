"""The sim kernels' /init (kernel/init/) in pvcc-sim's user-mode harness.

The program is compiled for real, with `pvcc-sim cc` and the cross GCC, the way
kernel/build.sh builds it for the initramfs, and run by the harness, which
serves its system calls (uname, getpid, clock_gettime, gettimeofday, open,
reboot): it prints the lines kernel/README.md gives for it and powers off
with status 0.
A second program checks each of those system calls' results and errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pvcc.sim import run_program

INIT_DIR = Path(__file__).resolve().parents[1] / "kernel" / "init"
CFLAGS = ("-O2", "-Wall", "-Wextra", "-Werror")     # kernel/build.sh's

INIT_OUTPUT = (
    "init: pvcc sim /init\n"
    "uname: Linux 6.1 ia64\n"
    "getpid: pid 1, 1000 calls, sum 1000\n"
    "timer: a busy loop until the tick clock moved 20 ms; both clocks advanced\n"
    "gettimeofday: ok\n"
    "open /nonexistent/init: errno 2 (ENOENT)\n"
    "init: all checks passed, powering off\n"
)

# Each system call of the harness, with its results and errors; init_syscall
# (kernel/init/syscall.S) returns -errno on failure.
PROBE = textwrap.dedent("""\
    #include <stdio.h>
    #include <string.h>
    long init_syscall(long a0, long a1, long a2, long a3, long a4, long a5, long nr);
    #define SYS(nr, a0, a1, a2) init_syscall((long)(a0), (long)(a1), (long)(a2), 0, 0, 0, nr)
    static char u[6][65];
    static long ts[2], tv[2];
    static int tz[2] = { -1, -1 };     /* struct timezone */
    static char longpath[5000];
    int main(void)
    {
        long r, t0, t1;
        r = SYS(1130, u, 0, 0);
        printf("uname %ld: %s|%s|%s|%s|%s|%s\\n", r, u[0], u[1], u[2], u[3], u[4], u[5]);
        printf("uname NULL %ld\\n", SYS(1130, 0, 0, 0));
        printf("uname unmapped %ld\\n", SYS(1130, 0x1000, 0, 0));
        r = SYS(1254, 1, ts, 0);
        t0 = ts[0] * 1000000000 + ts[1];
        SYS(1254, 6, ts, 0);
        t1 = ts[0] * 1000000000 + ts[1];
        printf("clock_gettime %ld: %ld then %ld ns\\n", r, t0, t1);
        printf("clock_gettime bad clock %ld, NULL %ld\\n", SYS(1254, 99, ts, 0),
               SYS(1254, 0, 0, 0));
        r = SYS(1087, tv, tz, 0);
        printf("gettimeofday %ld: %ld s %ld us, tz %d %d\\n", r, tv[0], tv[1], tz[0], tz[1]);
        printf("gettimeofday NULL %ld, bad %ld\\n", SYS(1087, 0, 0, 0), SYS(1087, 8, 0, 0));
        printf("getpid %ld\\n", SYS(1041, 0, 0, 0));
        printf("open missing %ld, empty %ld, NULL %ld\\n", SYS(1028, "/etc/passwd", 0, 0),
               SYS(1028, "", 0, 0), SYS(1028, 0, 0, 0));
        memset(longpath, 'a', sizeof(longpath) - 1);
        printf("open long %ld\\n", SYS(1028, longpath, 0, 0));
        printf("reboot bad magic %ld, restart %ld\\n",
               SYS(1096, 0xfee1deadL, 1, 0x4321fedcL),
               SYS(1096, 0xfee1deadL, 672274793L, 0x01234567L));
        fflush(stdout);
        r = SYS(1096, 0xfee1deadL, 85072278L, 0xcdef0123L);
        printf("after halt %ld\\n", r);
        return 3;
    }
    """)

PROBE_OUTPUT = (
    "uname 0: Linux|(none)|6.1.0-pvcc-sim|#1 pvcc-sim user-mode harness|ia64|(none)\n"
    "uname NULL -14\n"
    "uname unmapped -14\n"
    "clock_gettime 0: 1000000 then 0 ns\n"      # MONOTONIC at 1 ms, COARSE at 2 ms

    "clock_gettime bad clock -22, NULL -14\n"
    "gettimeofday 0: 0 s 3000 us, tz 0 0\n"
    "gettimeofday NULL 0, bad -14\n"
    "getpid 1\n"
    "open missing -2, empty -2, NULL -14\n"
    "open long -36\n"
    "reboot bad magic -22, restart -22\n"
)


def _cc(gcc: str, out: Path, *sources: Path) -> Path:
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.cli", "cc", *CFLAGS, *map(str, sources),
                        "-o", str(out)], capture_output=True, text=True, check=False,
                       env={**os.environ, "PVCC_GCC": gcc})
    assert p.returncode == 0, p.stdout + p.stderr
    return out


@pytest.fixture(scope="module")
def init(gcc, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sim-init")
    return _cc(gcc, d / "init", INIT_DIR / "init.c", INIT_DIR / "syscall.S")


def test_init_prints_its_lines_and_powers_off(init):
    r = run_program(str(init))
    assert r.error is None, (r.error, r.where)
    assert r.stdout.decode() == INIT_OUTPUT
    assert r.stderr == b""
    assert r.status == 0


def test_init_through_the_command_line(init):
    """`pvcc-sim run /init`: the same output, exit status 0 after the power-off."""
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.cli", "run", str(init)],
                       capture_output=True, text=True, check=False)
    assert p.stdout == INIT_OUTPUT, p.stderr
    assert p.returncode == 0, p.stderr


def test_init_is_deterministic(init):
    """Two runs, the same run: the harness clock counts reads, not time, and
    each run has its own."""
    a, b = run_program(str(init)), run_program(str(init))
    assert a.stdout == b.stdout == INIT_OUTPUT.encode()
    assert a.counters["instructions"] == b.counters["instructions"]


def test_each_system_call(gcc, tmp_path):
    src = tmp_path / "probe.c"
    src.write_text(PROBE)
    prog = _cc(gcc, tmp_path / "probe", src, INIT_DIR / "syscall.S")
    r = run_program(str(prog))
    assert r.error is None, (r.error, r.where)
    assert r.stdout.decode() == PROBE_OUTPUT
    assert r.status == 0        # the halt ended the run: nothing printed after it
