"""pvcc-toolchain: provisioning, cache validation, locking, lookup, CLI.

Nothing here fakes the compiler build: the session fixture provisions the real
GCC (PVCC_TEST_GCC, default 12) with ``pvcc-toolchain install``, and the lock
and corruption tests re-run the real ``make``/``make install-strip-gcc`` on a
copy of the build tree in a temporary PVCC_CACHE_DIR (the shared cache is
never modified by them).  Only the lookup-order test uses stand-in files,
because it is about which path find_compiler picks, not about compilers.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pvcc import aptsource, compilers, toolchain

TOOL = [sys.executable, "-m", "pvcc.toolchain"]
OTHER_VERSIONS = (13, 14, 15, 16, 11)
BUNDLE = re.compile(r"\[(MII|MIB|MMI|MMB|MFI|MFB|MMF|MBB|BBB|MLX|M-I|MI-|M-B|-\.-)\]")
SNIPPET = r"""
long table[64];
long sum(long n) { long s = 0; for (long i = 0; i < n; i++) s += table[i] * 5; return s; }
int pick(int c, int a, int b) { return c ? a + 1 : b - 1; }
"""


def run_tool(*args, cache=None, env=None, timeout=1800):
    e = dict(os.environ)
    if cache is not None:
        e["PVCC_CACHE_DIR"] = str(cache)
    e.pop("PVCC_GCC", None)
    if env:
        e.update(env)
    return subprocess.run([*TOOL, *map(str, args)], check=False, env=e, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def _version() -> int:
    return int(os.environ.get("PVCC_TEST_GCC", "12"))


@pytest.fixture(scope="session")
def provisioned_gcc():
    """(version, compiler path) after ``pvcc-toolchain install --gcc N`` (N from
    PVCC_TEST_GCC, default 12).  On an empty cache this builds the compiler."""
    v = _version()
    tc, _ = toolchain.inspect_entry(v)
    if tc is None and os.environ.get("PVCC_TEST_NO_PROVISION") == "1":
        pytest.skip(f"GCC {v} not provisioned and PVCC_TEST_NO_PROVISION=1: "
                    f"run pvcc-toolchain install --gcc {v}")
    cmd = [*TOOL, "install", "--gcc", str(v)]
    if os.environ.get("CI"):
        cmd.append("--quiet")
    env = dict(os.environ)
    env.pop("PVCC_GCC", None)
    # Progress goes to the terminal: on a fresh machine this takes minutes.
    proc = subprocess.run(cmd, check=False, stdout=sys.stderr, stderr=sys.stderr, env=env)
    assert proc.returncode == 0, f"pvcc-toolchain install --gcc {v} failed ({proc.returncode})"
    tc, why = toolchain.inspect_entry(v)
    assert tc is not None, f"GCC {v} not valid after install: {why}"
    return v, str(tc.gcc)


def _copy_build_tree(version: int, dest_root: Path) -> Path:
    """A private build tree in dest_root: src symlinked (read-only use), obj copied."""
    real = toolchain.build_dir(version)
    if not (real / "src").is_dir() or not (real / "obj" / "Makefile").is_file():
        pytest.skip(f"GCC {version} build tree not in {real} "
                    "(removed with pvcc-toolchain clean?): nothing to resume from")
    bd = dest_root / "build" / f"gcc-{version}"
    bd.mkdir(parents=True)
    (bd / "src").symlink_to(real / "src")
    subprocess.run(["cp", "-a", str(real / "obj"), str(bd / "obj")], check=True)
    if (real / "source.json").exists():
        shutil.copy2(real / "source.json", bd / "source.json")
    return bd


def _copy_install(version: int, dest_root: Path) -> Path:
    dst = dest_root / f"gcc-{version}"
    subprocess.run(["cp", "-a", str(toolchain.gcc_dir(version)), str(dst)], check=True)
    return dst


def _ia64_checks(gcc: str, tmp_path: Path) -> None:
    src = tmp_path / "snippet.c"
    obj = tmp_path / "snippet.o"
    src.write_text(SNIPPET)
    subprocess.run([gcc, "-O2", "-c", str(src), "-o", str(obj)], check=True)
    hdr = subprocess.run(["ia64-linux-gnu-readelf", "-h", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    assert re.search(r"Class:\s+ELF64", hdr), hdr
    assert re.search(r"Machine:\s+Intel IA-64", hdr), hdr
    from elftools.elf.elffile import ELFFile
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        assert elf.elfclass == 64
        assert elf["e_machine"] == "EM_IA_64"
        assert elf["e_type"] == "ET_REL"
    dis = subprocess.run(["ia64-linux-gnu-objdump", "-d", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    bundles = BUNDLE.findall(dis)
    assert bundles, dis
    assert "<sum>:" in dis and "<pick>:" in dis
    plugin = subprocess.run([gcc, "-print-file-name=plugin"], check=True,
                            capture_output=True, text=True).stdout.strip()
    assert Path(plugin, "include", "gcc-plugin.h").is_file()
    assert Path(plugin, "include", "plugin-version.h").is_file()


# ---------------------------------------------------------------------------
# No compiler needed

@pytest.mark.parametrize("args", [("install", "--gcc", "9"), ("install", "--gcc", "99"),
                                  ("path", "--gcc", "99"), ("clean", "--gcc", "10")])
def test_unknown_version(args, tmp_path):
    p = run_tool(*args, cache=tmp_path)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("pvcc-toolchain: error: unsupported GCC version "), lines[0]
    assert args[-1] in lines[0]
    assert "supported: 11, 12, 13, 14, 15, 16" in lines[0]
    assert "Traceback" not in p.stderr
    assert not (tmp_path / f"gcc-{args[-1]}").exists()


def test_missing_host_package_prints_apt_line(tmp_path):
    # PVCC_TOOLCHAIN_APT=0: behave as a non-root user (never run apt-get), so the
    # exact command is printed and nothing is built.
    pkg = "pvcc-no-such-package-for-tests"
    p = run_tool("install", "--gcc", "12", cache=tmp_path,
                 env={"PVCC_TOOLCHAIN_EXTRA_PACKAGES": pkg, "PVCC_TOOLCHAIN_APT": "0"},
                 timeout=120)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert f"apt-get install -y --no-install-recommends {pkg}" in lines
    assert any("needs host packages that are not installed" in ln and pkg in ln for ln in lines)
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "gcc-12").exists()
    assert not (tmp_path / "build" / "gcc-12" / "obj").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (apt-get install path)")
def test_missing_host_package_as_root_tries_apt_then_reports(tmp_path):
    # As root the tool runs apt-get install, then apt-get update once and retries;
    # a package that does not exist is then reported with the exact command.
    pkg = "pvcc-no-such-package-for-tests"
    p = run_tool("install", "--gcc", "12", cache=tmp_path,
                 env={"PVCC_TOOLCHAIN_EXTRA_PACKAGES": pkg}, timeout=600)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert f"apt-get install -y --no-install-recommends {pkg}" in lines
    assert any("apt-get failed" in ln for ln in lines), p.stderr
    assert "Traceback" not in p.stderr
    log = (tmp_path / "build" / "gcc-12" / "build.log").read_text()
    assert "$ apt-get update" in log


def test_ctrl_c_while_waiting_for_lock(tmp_path):
    locks = tmp_path / "locks"
    locks.mkdir()
    fd = os.open(locks / "gcc-12.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        env = dict(os.environ, PVCC_CACHE_DIR=str(tmp_path))
        env.pop("PVCC_GCC", None)
        proc = subprocess.Popen([*TOOL, "install", "--gcc", "12"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        line = proc.stderr.readline()
        watchdog.cancel()
        assert "waiting for another pvcc-toolchain" in line, line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(fd)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["pvcc-toolchain: interrupted"]
    assert "Traceback" not in err


def test_path_not_provisioned_is_one_line(tmp_path):
    p = run_tool("path", "--gcc", "14", cache=tmp_path)
    assert p.returncode == 1
    assert p.stdout == ""
    expected = (f"pvcc-toolchain: error: GCC 14 is not provisioned in {tmp_path}: "
                "run pvcc-toolchain install --gcc 14")
    assert p.stderr.strip().splitlines() == [expected]
    p = run_tool("list", cache=tmp_path)
    assert p.returncode == 0 and "no IA-64 GCC provisioned" in p.stdout
    p = run_tool("list", "--json", cache=tmp_path)
    assert json.loads(p.stdout) == []


def test_cache_layout_env(monkeypatch, tmp_path):
    monkeypatch.delenv("PVCC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert toolchain.cache_dir() == tmp_path / "xdg" / "pvcc"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert toolchain.cache_dir() == tmp_path / "home" / ".cache" / "pvcc"
    monkeypatch.setenv("PVCC_CACHE_DIR", str(tmp_path / "c"))
    assert toolchain.cache_dir() == tmp_path / "c"
    assert toolchain.gcc_dir(13) == tmp_path / "c" / "gcc-13"
    assert toolchain.build_dir(13) == tmp_path / "c" / "build" / "gcc-13"


def _stand_in(root: Path, version: int, full: str) -> Path:
    """A cache entry's files for the lookup test (empty scripts, not a compiler)."""
    prefix = root / f"gcc-{version}"
    gcc = prefix / "bin" / toolchain.GCC_NAME
    gcc.parent.mkdir(parents=True)
    gcc.write_text("#!/bin/sh\nexit 1\n")
    gcc.chmod(0o755)
    cc1 = prefix / "libexec" / "gcc" / toolchain.TARGET / full / "cc1"
    cc1.parent.mkdir(parents=True)
    cc1.write_text("")
    inc = prefix / "lib" / "gcc" / toolchain.TARGET / full / "plugin" / "include"
    inc.mkdir(parents=True)
    (inc / "gcc-plugin.h").write_text("")
    (prefix / toolchain.STAMP_NAME).write_text(json.dumps(
        {"schema": 1, "version": version, "full_version": full}))
    return gcc


def test_find_compiler_lookup_order(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PVCC_CACHE_DIR", str(cache))
    monkeypatch.delenv("PVCC_GCC", raising=False)
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(compilers.ToolchainError, match="install --gcc 12"):
        compilers.find_compiler()
    on_path = bindir / toolchain.GCC_NAME
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert compilers.find_compiler() == str(on_path)            # PATH, last resort
    g14 = _stand_in(cache, 14, "14.2.0")
    g13 = _stand_in(cache, 13, "13.3.0")
    assert compilers.find_compiler() == str(g14)                # newest, 12 missing
    g12 = _stand_in(cache, 12, "12.2.0")
    assert compilers.find_compiler() == str(g12)                # default 12
    assert [t.version for t in toolchain.provisioned()] == [12, 13, 14]
    monkeypatch.setenv("PVCC_GCC", "13")
    assert compilers.find_compiler() == str(g13)                # env: a version
    assert compilers.find_compiler(14) == str(g14)              # argument beats env
    monkeypatch.setenv("PVCC_GCC", str(on_path))
    assert compilers.find_compiler() == str(on_path)            # env: a path
    monkeypatch.setenv("PVCC_GCC", toolchain.GCC_NAME)
    assert compilers.find_compiler() == str(on_path)            # env: a name on PATH
    monkeypatch.setenv("PVCC_GCC", "15")
    with pytest.raises(compilers.ToolchainError, match="install --gcc 15"):
        compilers.find_compiler()
    monkeypatch.setenv("PVCC_GCC", str(tmp_path / "nope" / "gcc"))
    with pytest.raises(compilers.ToolchainError, match="not an executable"):
        compilers.find_compiler()
    monkeypatch.delenv("PVCC_GCC")
    (cache / "gcc-12" / toolchain.STAMP_NAME).unlink()          # no stamp: not trusted
    assert compilers.find_compiler() == str(g14)
    with pytest.raises(compilers.ToolchainError):
        compilers.find_compiler(16)
    with pytest.raises(compilers.ToolchainError, match="unsupported"):
        compilers.find_compiler(9)


def test_find_compiler_imports_nothing_but_os(tmp_path):
    code = ("import sys\n"
            "base = set(sys.modules)\n"
            "import pvcc.compilers as c\n"
            "try:\n    c.find_compiler()\nexcept c.ToolchainError:\n    pass\n"
            "print(' '.join(sorted(set(sys.modules) - base)))\n")
    env = dict(os.environ, PVCC_CACHE_DIR=str(tmp_path), PATH=str(tmp_path))
    env.pop("PVCC_GCC", None)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                       text=True, check=True)
    assert p.stdout.split() == ["pvcc", "pvcc.compilers"]


def test_driver_never_imports_the_provisioning_module(tmp_path):
    # The CC fast path up to the compiler lookup (here: none found, a one-line error).
    code = "import sys; from pvcc.driver import main; sys.exit(main(['pvcc', '-c', 'x.c']))"
    env = dict(os.environ, PVCC_CACHE_DIR=str(tmp_path), PATH=str(tmp_path))
    env.pop("PVCC_GCC", None)
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env,
                       capture_output=True, text=True, check=False)
    assert p.returncode == 1
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in p.stderr.splitlines()
                if ln.startswith("import time:")}
    assert "pvcc.compilers" in imported
    assert not imported & {"pvcc.toolchain", "pvcc.aptsource", "subprocess", "argparse",
                           "json", "pathlib", "threading", "shutil"}, sorted(imported)
    errors = [ln for ln in p.stderr.splitlines() if not ln.startswith("import time:")]
    assert errors == [(f"pvcc: error: no IA-64 GCC found (none provisioned in {tmp_path}, "
                       f"no ia64-linux-gnu-gcc on PATH): run pvcc-toolchain install --gcc 12")]


def test_apt_sources_parsing(tmp_path):
    one = tmp_path / "sources.list"
    one.write_text("# comment\n"
                   "deb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian bookworm main\n"
                   "deb http://mirror.invalid/debian-security bookworm-security main\n")
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "d.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://mirror.invalid/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Enabled: no\nTypes: deb\nURIs: http://other.invalid/x\nSuites: sid\nComponents: main\n")
    (parts / "x.list.disabled").write_text("deb http://other.invalid/y sid main\n")
    entries = aptsource.system_entries(str(one), str(parts))
    uris = [u for e in entries for u in e.uris]
    assert "http://other.invalid/x" not in uris and "http://other.invalid/y" not in uris
    assert entries[0].signed_by == "/k.gpg" and entries[0].suites == ["bookworm"]
    uri, _ = aptsource.system_mirror(entries)
    assert uri == "http://mirror.invalid/debian"


def test_private_apt_never_touches_system_config(tmp_path):
    before = {p: p.read_bytes() for p in Path("/etc/apt").rglob("*.list*") if p.is_file()}
    before.update({p: p.read_bytes() for p in Path("/etc/apt").rglob("*.sources") if p.is_file()})
    apt = aptsource.PrivateApt(tmp_path / "apt")
    apt.setup()
    opts = apt.options()
    dirs = [o.split("=", 1)[1] for o in opts if o.startswith("Dir::")]
    assert dirs and all(d.startswith(str(tmp_path)) for d in dirs)
    text = (tmp_path / "apt" / "sources.list").read_text()
    uri, _ = aptsource.system_mirror()
    for suite in aptsource.PRIVATE_SUITES:
        assert f"{uri} {suite} main" in text
    after = {p: p.read_bytes() for p in Path("/etc/apt").rglob("*.list*") if p.is_file()}
    after.update({p: p.read_bytes() for p in Path("/etc/apt").rglob("*.sources") if p.is_file()})
    assert before == after


def test_inspect_detects_corruption_without_running_anything(monkeypatch, tmp_path):
    monkeypatch.setenv("PVCC_CACHE_DIR", str(tmp_path))
    _stand_in(tmp_path, 13, "13.3.0")
    assert toolchain.inspect_entry(13)[0] is not None
    stamp = tmp_path / "gcc-13" / toolchain.STAMP_NAME
    good = stamp.read_text()
    stamp.write_text("{ truncated")
    assert toolchain.inspect_entry(13) == (None, "stamp unreadable (JSONDecodeError)")
    stamp.write_text(json.dumps({"schema": 1, "version": 14, "full_version": "14.2.0"}))
    assert toolchain.inspect_entry(13) == (None, "stamp invalid")
    stamp.write_text(good)
    cc1 = next((tmp_path / "gcc-13" / "libexec").rglob("cc1"))
    cc1.unlink()
    assert toolchain.inspect_entry(13) == (None, "cc1 missing")
    cc1.write_text("")
    next((tmp_path / "gcc-13" / "lib").rglob("gcc-plugin.h")).unlink()
    assert toolchain.inspect_entry(13) == (None, "plugin headers missing")
    stamp.unlink()
    assert toolchain.inspect_entry(13) == (None, "stamp missing")
    assert toolchain.provisioned() == []


# ---------------------------------------------------------------------------
# With the provisioned compiler

def test_install_is_idempotent(provisioned_gcc):
    v, _ = provisioned_gcc
    stamp = toolchain.gcc_dir(v) / toolchain.STAMP_NAME
    before = stamp.stat().st_mtime_ns
    t0 = time.monotonic()
    p = run_tool("install", "--gcc", v, timeout=60)
    took = time.monotonic() - t0
    print(f"second install --gcc {v}: {took:.2f}s wall")
    assert p.returncode == 0, p.stderr
    assert "already provisioned" in p.stdout and "nothing to do" in p.stdout
    assert "[4/6]" not in p.stderr and "rebuilding" not in p.stderr
    assert stamp.stat().st_mtime_ns == before


def test_stamp_records_the_build(provisioned_gcc):
    v, _ = provisioned_gcc
    stamp = json.loads((toolchain.gcc_dir(v) / toolchain.STAMP_NAME).read_text())
    assert stamp["version"] == v
    assert stamp["full_version"].startswith(f"{v}.")
    assert stamp["full_version"] in stamp["version_string"]
    assert "--target=ia64-linux-gnu" in stamp["configure"]
    assert "--enable-plugin" in stamp["configure"]
    assert stamp["seconds"] >= 0 and stamp["compile_seconds"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp["date"])
    assert stamp["source"]["package"] == f"gcc-{v}-source"


def test_list_and_path(provisioned_gcc):
    v, gcc = provisioned_gcc
    p = run_tool("list")
    assert p.returncode == 0
    row = [ln for ln in p.stdout.splitlines() if ln.split()[:1] == [str(v)]]
    assert row, p.stdout
    full = toolchain.inspect_entry(v)[0].full_version
    assert row[0].split() == [str(v), full, "yes", gcc]
    p = run_tool("list", "--json")
    recs = {r["version"]: r for r in json.loads(p.stdout)}
    assert recs[v]["gcc"] == gcc and recs[v]["plugin_headers"] is True
    p = run_tool("path", "--gcc", v)
    assert p.returncode == 0 and p.stdout == gcc + "\n"
    assert toolchain.find_compiler(v) == gcc
    assert v in [t.version for t in toolchain.provisioned()]


def test_compiler_emits_ia64_bundles(provisioned_gcc, tmp_path):
    _, gcc = provisioned_gcc
    _ia64_checks(gcc, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["stamp-garbage", "cc1-deleted", "driver-fails"])
def test_corrupted_entry_is_rebuilt(provisioned_gcc, tmp_path, damage):
    v, _ = provisioned_gcc
    cache = tmp_path / "cache"
    _copy_build_tree(v, cache)
    prefix = _copy_install(v, cache)
    full = json.loads((prefix / toolchain.STAMP_NAME).read_text())["full_version"]
    gcc = prefix / "bin" / toolchain.GCC_NAME
    if damage == "stamp-garbage":
        (prefix / toolchain.STAMP_NAME).write_text('{"schema": 1, "vers')
        expect = "stamp unreadable"
    elif damage == "cc1-deleted":
        (prefix / "libexec" / "gcc" / toolchain.TARGET / full / "cc1").unlink()
        expect = "cc1 missing"
    else:
        gcc.unlink()
        gcc.write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
        gcc.chmod(0o755)
        expect = "snippet compile failed"
    p = run_tool("install", "--gcc", v, cache=cache, timeout=900)
    assert p.returncode == 0, p.stderr
    assert "not usable" in p.stderr and expect in p.stderr, p.stderr
    assert f"provisioned in {prefix}" in p.stdout
    env = dict(os.environ, PVCC_CACHE_DIR=str(cache))
    code = ("import pvcc.toolchain as t, sys; tc, why = t.inspect_entry(int(sys.argv[1])); "
            "print(why or t.verify_compiler(tc.gcc))")
    check = subprocess.run([sys.executable, "-c", code, str(v)], env=env,
                           capture_output=True, text=True, check=True)
    assert check.stdout.strip() == "(True, 'ELF64 LSB relocatable, IA-64')"
    _ia64_checks(str(gcc), tmp_path)
    p = run_tool("install", "--gcc", v, cache=cache, timeout=60)
    assert "already provisioned" in p.stdout


@pytest.mark.slow
def test_concurrent_installs_lock(provisioned_gcc, tmp_path):
    """Install dir removed, build tree intact: one process reinstalls, the other waits and reuses."""
    v, _ = provisioned_gcc
    cache = tmp_path / "cache"
    _copy_build_tree(v, cache)
    env = dict(os.environ, PVCC_CACHE_DIR=str(cache))
    env.pop("PVCC_GCC", None)
    t0 = time.monotonic()
    procs = [subprocess.Popen([*TOOL, "install", "--gcc", str(v)], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    print(f"two concurrent installs: {time.monotonic() - t0:.1f}s")
    assert [rc for rc, _, _ in results] == [0, 0], results
    built = [r for r in results if "[5/6] installing" in r[2]]
    waited = [r for r in results if "waiting for another pvcc-toolchain" in r[2]]
    assert len(built) == 1 and len(waited) == 1, results
    assert built[0] is not waited[0]
    assert "by another process; reusing it" in waited[0][1]
    assert "[4/6]" not in waited[0][2]
    assert toolchain.STAMP_NAME in os.listdir(cache / f"gcc-{v}")
    assert not list(cache.glob(".gcc-*"))          # no staging left behind


@pytest.mark.slow
@pytest.mark.parametrize("version", OTHER_VERSIONS)
def test_other_version(version, tmp_path):
    tc, why = toolchain.inspect_entry(version)
    if tc is None:
        pytest.skip(f"GCC {version} not provisioned ({why}): "
                    f"run pvcc-toolchain install --gcc {version}")
    assert tc.full_version.startswith(f"{version}.")
    assert tc.plugin_headers
    _ia64_checks(str(tc.gcc), tmp_path)
    p = run_tool("install", "--gcc", version, timeout=60)
    assert p.returncode == 0 and "already provisioned" in p.stdout
