"""pvcc.cli: the entry shape every pvcc program shares (error line, exit codes, interrupts).

The programs themselves run as real processes; the helper's own cases run in
a subprocess too, where an interrupt or a closed pipe is real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from pvcc import cli


def _python(code: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, check=False, timeout=60)


class _UserProblem(Exception):
    pass


def test_listed_error_is_one_line_with_its_status(capsys):
    def body():
        raise _UserProblem("the input is wrong")

    assert cli.run("prog", body, errors=((KeyError, 3), (_UserProblem, 2))) == 2
    assert capsys.readouterr().err == "prog: error: the input is wrong\n"


def test_os_error_says_strerror_and_file(capsys, tmp_path):
    missing = tmp_path / "nope"
    assert cli.run("prog", missing.read_text, errors=((OSError, 1),)) == 1
    assert capsys.readouterr().err == f"prog: error: No such file or directory: {missing}\n"


def test_a_bug_keeps_its_traceback():
    def body():
        raise TypeError("a bug")

    with pytest.raises(TypeError, match="a bug"):
        cli.run("prog", body, errors=((ValueError, 2),))


def test_a_contained_bug_is_one_internal_error_line(capsys):
    def body():
        return {}["missing"]

    assert cli.run("prog", body, contains_bugs=True) == 1
    assert capsys.readouterr().err == "prog: error: internal error: KeyError: 'missing'\n"


def test_body_status_passes_through():
    assert cli.run("prog", lambda: 7) == 7


def test_keyboard_interrupt_is_130():
    p = _python("""
        import os, signal, sys
        from pvcc import cli
        def body():
            os.kill(os.getpid(), signal.SIGINT)
            return 0
        sys.exit(cli.run("prog", body, say_interrupted=True))
    """)
    assert (p.returncode, p.stderr) == (130, "prog: interrupted\n")


def test_sigterm_is_143_when_asked():
    p = _python("""
        import os, signal, sys
        from pvcc import cli
        def body():
            os.kill(os.getpid(), signal.SIGTERM)
            return 0
        sys.exit(cli.run("prog", body, on_sigterm=True, say_interrupted=True))
    """)
    assert (p.returncode, p.stderr) == (143, "prog: terminated\n")


def test_closed_stdout_is_quiet():
    r, w = os.pipe()
    os.close(r)
    try:
        p = _python("""
            import sys
            from pvcc import cli
            def body():
                for _ in range(100000):
                    print("line")
                return 0
            sys.exit(cli.run("prog", body))
        """, stdout=w)
    finally:
        os.close(w)
    assert p.returncode == cli.EXIT_BROKEN_PIPE
    assert p.stderr == ""


@pytest.mark.parametrize("argv,prog,status", [
    (["-m", "pvcc.check_cli", "/nonexistent/x.o"], "pvcc-check", 2),
    (["-m", "pvcc.toolchain", "path", "--gcc", "99"], "pvcc-toolchain", 2),
    (["-m", "pvcc.pluginbuild", "/nonexistent/gcc"], "pvcc.pluginbuild", 1),
    (["-m", "pvcc.driver", "-c", "x.c"], "pvcc", 1),
])
def test_every_program_reports_as_itself(argv, prog, status, tmp_path):
    env = dict(os.environ, PVCC_CACHE_DIR=str(tmp_path), PATH=str(tmp_path))
    env.pop("PVCC_GCC", None)
    p = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                       check=False, timeout=60)
    lines = p.stderr.splitlines()
    assert p.returncode == status, p.stderr
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), p.stderr
