"""Fixtures shared by tests/ and testcases/: the real IA-64 compiler and plugin.

The compiler is chosen by PVCC_TEST_GCC (a major version, default 12; the tox
rows set it). When it is not provisioned yet, the session provisions it with
`pvcc-toolchain install` (about 10 minutes on an idle 2-core machine, more
under load), unless PVCC_TEST_NO_PROVISION=1, in which case every test that
needs it is skipped with a message saying so. Nothing here fakes a compiler.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

DEFAULT_GCC = 12


def _requested_version() -> int:
    value = os.environ.get("PVCC_TEST_GCC", str(DEFAULT_GCC))
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f"PVCC_TEST_GCC must be a major version, not {value!r}")


def _find(version: int) -> str | None:
    from pvcc import compilers

    try:
        return compilers.find_compiler(version)
    except compilers.ToolchainError:
        return None


def pytest_report_header(config):
    version = _requested_version()
    found = _find(version)
    where = found or "not provisioned yet (the session provisions it on first use)"
    return [f"pvcc: GCC {version}: {where}"]


@pytest.fixture(scope="session")
def gcc_version() -> int:
    return _requested_version()


@pytest.fixture(scope="session")
def gcc(gcc_version, pytestconfig) -> str:
    """Path of the real ia64-linux-gnu-gcc of the requested version."""
    found = _find(gcc_version)
    if found:
        return found
    if os.environ.get("PVCC_TEST_NO_PROVISION") == "1":
        pytest.skip(f"GCC {gcc_version} not provisioned and PVCC_TEST_NO_PROVISION=1: "
                    f"run `pvcc-toolchain install --gcc {gcc_version}`")
    cmd = [sys.executable, "-c", "import sys; from pvcc.toolchain import main; sys.exit(main())",
           "install", "--gcc", str(gcc_version)]
    if os.environ.get("CI"):
        cmd.append("--quiet")
    # Progress goes straight to the terminal, past pytest's capture: minutes.
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0:
        pytest.fail(f"provisioning GCC {gcc_version} failed (exit {proc.returncode})")
    found = _find(gcc_version)
    assert found, f"GCC {gcc_version} still not found after provisioning"
    return found


@pytest.fixture(scope="session")
def plugin_so(gcc) -> str:
    """The pvcc plugin built for exactly this compiler."""
    from pvcc import pluginbuild

    return pluginbuild.plugin_path(gcc)


@pytest.fixture(scope="session")
def include_dir() -> str:
    from pvcc import pluginbuild

    return pluginbuild.include_dir()
