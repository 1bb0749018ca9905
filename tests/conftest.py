"""Fixtures shared by the tests: the real `pvcc` as a process, the boot patcher built outside the kernel."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests (hypothesis): under CI (CI set, as CI runners and tox's pass_env
# do) every run draws the same examples -- a red CI run is red again on a
# developer's machine with CI=1 -- and uses no example database.  Elsewhere the
# examples are new on every run; a failure prints its falsifying example and
# the @reproduce_failure(...) line that replays it.
settings.register_profile("ci", settings.get_profile("default"), derandomize=True,
                          database=None, print_blob=True)
settings.register_profile("dev", settings.get_profile("default"), print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_configure(config):
    """A suite started in the background by a script (`cmd &`) inherits SIGINT
    ignored, and so would every program a test starts: the tests of ^C need
    it to have its normal action.  A Python handler (unlike SIG_IGN) is reset
    to the default in the programs the tests exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def pvcc_exe(tmp_path_factory) -> str:
    """The `pvcc` console script (a generated equivalent if it is not installed
    as a Python script, e.g. behind a pyenv shim)."""
    from helpers import pvcc_console_script

    return pvcc_console_script(tmp_path_factory.mktemp("pvcc-bin"))


@pytest.fixture(scope="session")
def base_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PVCC_") or k == "PVCC_CACHE_DIR"}
    env["LC_ALL"] = "C"
    return env


@pytest.fixture(scope="session")
def env(base_env, gcc, plugin_so) -> dict:
    """Environment for `pvcc` with the compiler named explicitly (the plugin is
    built once up front by the plugin_so fixture)."""
    return dict(base_env, PVCC_GCC=gcc)


# -- the kernel's boot-time patcher (kernel/pvcc_patch.c) built outside the kernel

KERNEL = Path(__file__).resolve().parent.parent / "kernel"


@pytest.fixture(scope="session")
def table_dir(tmp_path_factory) -> Path:
    """A directory with the generated pvcc_patch_table.h."""
    from pvcc import patch_table

    d = tmp_path_factory.mktemp("table")
    assert patch_table.main([str(d / "pvcc_patch_table.h")]) == 0
    return d


@pytest.fixture(scope="session")
def runner(table_dir) -> list[str]:
    """pvcc_patch_run built for the host (pvcc.kimage's RUNNER)."""
    host_cc = shutil.which("cc") or shutil.which("gcc")
    if host_cc is None:
        pytest.skip("no host C compiler")
    exe = table_dir / "pvcc_patch_run"
    subprocess.run([host_cc, "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(KERNEL),
                    "-I", str(table_dir), str(KERNEL / "pvcc_patch.c"),
                    str(KERNEL / "pvcc_patch_run.c"), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    return [str(exe)]


@pytest.fixture(scope="session")
def sim_prog(gcc, table_dir) -> str:
    """pvcc_patch_sim built with `pvcc-sim cc`: the patcher as an IA-64 program."""
    prog = table_dir / "pvcc_patch_sim"
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.lab.build", "-O2", "-I", str(KERNEL),
                        "-I", str(table_dir), str(KERNEL / "pvcc_patch.c"),
                        str(KERNEL / "pvcc_patch_sim.c"), "-o", str(prog)],
                       capture_output=True, text=True, check=False,
                       env={**os.environ, "PVCC_GCC": gcc})
    assert p.returncode == 0, p.stderr
    return str(prog)
