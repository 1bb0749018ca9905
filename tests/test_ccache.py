"""pvcc under ccache, with the real ccache, pvcc, plugin and IA-64 GCC.

Two documented orders (docs/distributed.md):

* ``CC=pvcc PVCC_LAUNCHER=ccache``: ccache runs the real compiler with
  pvcc's ``-fplugin=`` and ``-fplugin-arg-pvcc-*`` on its command line, so
  its key covers them and the plugin file; pvcc checks what ccache returns.
* ``CC="ccache pvcc"`` with ``CCACHE_COMPILERCHECK='%compiler%
  --print-cache-identity'``; without that setting pvcc refuses to compile.

Each order: a hit on a repeat, a miss on a changed plugin argument, a miss
after the plugin was really rebuilt.  Every test has its own CCACHE_DIR and
configuration file.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import write_pvcc_script

pytestmark = pytest.mark.skipif(shutil.which("ccache") is None,
                                reason="ccache is not installed (apt-get install ccache)")

IDENTITY_CHECK = "%compiler% --print-cache-identity"
SOURCE = """\
#include <pvcc/paravirt.h>

unsigned long f(unsigned long idx, unsigned long val)
{
	paravirt_set_rr(idx, val);
	return paravirt_get_cpuid(3) + paravirt_get_psr_i();
}
"""


def _run(argv, env, cwd):
    return subprocess.run([str(a) for a in argv], env=env, cwd=cwd, capture_output=True,
                          check=False, timeout=300)


@pytest.fixture
def work(tmp_path, env, pvcc_exe):
    """A source with sites, a private ccache (directory and empty configuration)."""
    (tmp_path / "t.c").write_text(SOURCE)
    conf = tmp_path / "ccache.conf"
    conf.write_text("")
    cenv = {k: v for k, v in env.items() if not k.startswith("CCACHE_")}
    cenv.update(CCACHE_DIR=str(tmp_path / "ccache"), CCACHE_CONFIGPATH=str(conf))
    inc = _run([pvcc_exe, "--print-include-dir"], env, tmp_path).stdout.decode().strip()
    return tmp_path, cenv, inc


def stats(env) -> dict[str, int]:
    out = subprocess.run(["ccache", "--print-stats"], env=env, capture_output=True, text=True,
                         check=True).stdout
    counters = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    return {"hit": int(counters["direct_cache_hit"]) + int(counters["preprocessed_cache_hit"]),
            "miss": int(counters["cache_miss"])}


def has_bundles(obj: Path) -> bool:
    from pvcc.objects import open_object

    return bool(open_object(str(obj)).compat)


def compile_(cc, d, env, inc, out="t.o", **extra):
    p = _run([*cc, f"-I{inc}", "-O2", "-c", "t.c", "-o", out], dict(env, **extra), d)
    assert p.returncode == 0, p.stderr.decode()
    return p


def expect(env, hit, miss):
    assert stats(env) == {"hit": hit, "miss": miss}


# -- CC=pvcc PVCC_LAUNCHER=ccache ----------------------------------------------


def test_launcher_hit_miss_on_plugin_args(work, pvcc_exe):
    d, env, inc = work
    env = dict(env, PVCC_LAUNCHER="ccache")
    cc = [pvcc_exe]
    compile_(cc, d, env, inc)
    expect(env, 0, 1)
    first = (d / "t.o").read_bytes()
    p = compile_(cc, d, env, inc, PVCC_VERBOSE="1")
    expect(env, 1, 1)
    assert (d / "t.o").read_bytes() == first
    assert "pvcc: check t.o: ok" in p.stderr.decode()  # a hit is checked too
    compile_(cc, d, env, inc, PVCC_PLUGIN_ARGS="compat-bundles")
    expect(env, 1, 2)
    assert has_bundles(d / "t.o")
    compile_(cc, d, env, inc)
    expect(env, 2, 2)
    assert not has_bundles(d / "t.o") and (d / "t.o").read_bytes() == first


def test_launcher_not_found_is_one_line(work, pvcc_exe):
    d, env, inc = work
    p = _run([pvcc_exe, f"-I{inc}", "-c", "t.c"], dict(env, PVCC_LAUNCHER="no-such-ccache"), d)
    assert p.returncode == 1
    assert p.stderr.decode() == "pvcc: error: PVCC_LAUNCHER: 'no-such-ccache' not found on PATH\n"
    assert not (d / "t.o").exists()


# -- CC="ccache pvcc" ------------------------------------------------------------


def test_ccache_pvcc_without_identity_check_refuses(work, pvcc_exe):
    d, env, inc = work
    p = _run(["ccache", pvcc_exe, f"-I{inc}", "-O2", "-c", "t.c", "-o", "t.o"], env, d)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert err.startswith("pvcc: error: ccache runs pvcc, but compiler_check is 'mtime'")
    assert IDENTITY_CHECK in err and len(err.splitlines()) == 1
    assert not (d / "t.o").exists()
    expect(env, 0, 0)  # nothing stored: a later run cannot hit a stale object


@pytest.mark.parametrize("where", ["environment", "config-file"])
def test_ccache_pvcc_with_identity_check(work, pvcc_exe, where):
    d, env, inc = work
    if where == "environment":
        env = dict(env, CCACHE_COMPILERCHECK=IDENTITY_CHECK)
    else:  # pvcc asks ccache itself (ccache -k compiler_check)
        Path(env["CCACHE_CONFIGPATH"]).write_text(f"compiler_check = {IDENTITY_CHECK}\n")
    cc = ["ccache", pvcc_exe]
    compile_(cc, d, env, inc)
    expect(env, 0, 1)
    first = (d / "t.o").read_bytes()
    compile_(cc, d, env, inc)
    expect(env, 1, 1)
    assert (d / "t.o").read_bytes() == first
    compile_(cc, d, env, inc, PVCC_PLUGIN_ARGS="compat-bundles")
    expect(env, 1, 2)
    assert has_bundles(d / "t.o")
    compile_(cc, d, env, inc, PVCC_CHECK="0")  # an unchecked object is another entry
    expect(env, 1, 3)
    compile_(cc, d, env, inc)
    expect(env, 2, 3)
    assert (d / "t.o").read_bytes() == first


@pytest.mark.parametrize("order", ["launcher", "ccache-pvcc"])
def test_kernel_style_dependency_file_is_cached(work, pvcc_exe, order):
    """Kbuild's -Wp,-MMD,dir/.x.o.d: cached (ccache must take pvcc for GCC),
    and a hit writes the same dependency file."""
    d, env, inc = work
    if order == "launcher":
        cc, env = [pvcc_exe], dict(env, PVCC_LAUNCHER="ccache")
    else:
        cc, env = ["ccache", pvcc_exe], dict(env, CCACHE_COMPILERCHECK=IDENTITY_CHECK,
                                              CCACHE_COMPILERTYPE="gcc")
    dep = d / ".t.o.d"
    compile_([*cc, "-Wp,-MMD,.t.o.d"], d, env, inc)
    first = dep.read_bytes()
    assert b"paravirt.h" in first
    dep.unlink()
    compile_([*cc, "-Wp,-MMD,.t.o.d"], d, env, inc)
    expect(env, 1, 1)
    assert dep.read_bytes() == first


def test_ccache_pvcc_prefix_form_is_never_cached(work, pvcc_exe, gcc):
    d, env, inc = work
    env = dict(env, CCACHE_COMPILERCHECK=IDENTITY_CHECK)
    for _ in range(2):  # ccache takes the compiler for a second input: no caching
        compile_(["ccache", pvcc_exe, gcc], d, env, inc)
    expect(env, 0, 0)
    from pvcc.check import violations_of

    assert violations_of(str(d / "t.o")) == []


@pytest.mark.parametrize("order", ["launcher", "ccache-pvcc"])
def test_ccache_compiling_its_preprocessed_output(work, pvcc_exe, order):
    """run_second_cpp=false: ccache compiles the .i it preprocessed (through
    pvcc -E, or the compiler with the plugin loaded) -- the same object."""
    d, env, inc = work
    compile_([pvcc_exe], d, env, inc, out="direct.o")
    env = dict(env, CCACHE_NOCPP2="1")
    if order == "launcher":
        cc, env = [pvcc_exe], dict(env, PVCC_LAUNCHER="ccache")
    else:
        cc, env = ["ccache", pvcc_exe], dict(env, CCACHE_COMPILERCHECK=IDENTITY_CHECK)
    compile_(cc, d, env, inc)
    expect(env, 0, 1)
    assert (d / "t.o").read_bytes() == (d / "direct.o").read_bytes()


def test_identity_names_plugin_arguments_and_check(pvcc_exe, env):
    base = _run([pvcc_exe, "--print-cache-identity"], env, None)
    assert base.returncode == 0, base.stderr
    lines = base.stdout.decode().splitlines()
    assert lines[0] == "pvcc-cache-identity 1"
    assert any(ln.startswith("plugin /") and "/pvcc.so " in ln for ln in lines)
    assert "plugin-args " in lines and "check 1" in lines
    args = _run([pvcc_exe, "--print-cache-identity"], dict(env, PVCC_PLUGIN_ARGS="compat-bundles"),
                None).stdout.decode().splitlines()
    assert "plugin-args compat-bundles" in args
    off = _run([pvcc_exe, "--print-cache-identity"], dict(env, PVCC_DISABLE="1"),
               None).stdout.decode().splitlines()
    assert "disabled" in off and not any(ln.startswith("plugin") for ln in off)


# -- a rebuilt plugin -------------------------------------------------------------


@pytest.fixture
def pvcc_copy(tmp_path, env):
    """A copy of the pvcc package with a cache of its own, so its plugin can be
    changed and really rebuilt; -> (pvcc script, plugin source to edit, env)."""
    import pvcc

    root = tmp_path / "pkg"
    shutil.copytree(Path(pvcc.__file__).parent, root / "pvcc", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "bin").mkdir()
    script = write_pvcc_script(tmp_path / "bin" / "pvcc", package_dir=root)
    return script, root / "pvcc" / "plugin" / "pvcc.cc", dict(env,
                                                              PVCC_CACHE_DIR=str(tmp_path / "pc"))


def _plugin_of(script, env) -> str:
    out = _run([script, "--print-cache-identity"], env, None).stdout.decode()
    return next(ln.split()[1] for ln in out.splitlines() if ln.startswith("plugin "))


@pytest.mark.parametrize("order", ["launcher", "ccache-pvcc"])
def test_rebuilt_plugin_misses(work, pvcc_copy, order):
    d, env, inc = work
    script, source, cenv = pvcc_copy
    env = dict(env, PVCC_CACHE_DIR=cenv["PVCC_CACHE_DIR"])
    if order == "launcher":
        cc, env = [script], dict(env, PVCC_LAUNCHER="ccache")
    else:
        cc, env = ["ccache", script], dict(env, CCACHE_COMPILERCHECK=IDENTITY_CHECK)
    old = _plugin_of(script, env)
    compile_(cc, d, env, inc)
    compile_(cc, d, env, inc)
    expect(env, 1, 1)
    source.write_text(source.read_text() + "\n/* rebuilt by tests/test_ccache.py */\n")
    compile_(cc, d, env, inc)
    new = _plugin_of(script, env)
    assert new != old and Path(new).is_file()  # a new plugin, really built
    expect(env, 1, 2)
    compile_(cc, d, env, inc)
    expect(env, 2, 2)


def test_plugin_id_follows_the_plugin_and_its_arguments(pvcc_copy):
    """``pvcc --print-plugin-id``: one line naming what shapes the objects (the
    plugin's content key, PVCC_PLUGIN_ARGS), stable while nothing changes, new
    when the plugin is rebuilt -- the value a kernel's Kconfig records
    (kernel/linux-6.1-pvcc.patch) so that a new plugin rebuilds every object."""
    script, source, env = pvcc_copy

    def plugin_id(**more) -> str:
        p = _run([script, "--print-plugin-id"], dict(env, **more), None)
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        lines = p.stdout.decode().splitlines()
        assert len(lines) == 1
        return lines[0]

    old = plugin_id()
    assert Path(_plugin_of(script, env)).parent.name == old
    assert plugin_id() == old
    assert plugin_id(PVCC_PLUGIN_ARGS=" conv=c ") == f"{old} conv=c"
    assert plugin_id(PVCC_DISABLE="1") == "disabled"
    source.write_text(source.read_text() + "\n/* rebuilt by tests/test_ccache.py */\n")
    new = plugin_id()
    assert new != old and Path(_plugin_of(script, env)).parent.name == new


def test_the_kernel_records_the_plugin_id():
    """The pvcc patch wires the id the way Linux wires CC_VERSION_TEXT: the arch
    Makefile exports it before Kconfig runs, a Kconfig string takes it from the
    environment (so include/config/auto.conf.cmd re-runs Kconfig when it
    changes), and include/linux/compiler-version.h, which every compile
    includes, names the option (so fixdep makes every object depend on it)."""
    patch = (Path(__file__).resolve().parent.parent / "kernel" / "linux-6.1-pvcc.patch").read_text()
    assert "+PVCC_PLUGIN_ID := $(shell $(CC) --print-plugin-id 2>/dev/null)\n" \
           "+export PVCC_PLUGIN_ID\n" in patch
    assert "+config PVCC_PLUGIN_ID\n+\tstring\n+\tdepends on PVCC_PARAVIRT\n" \
           "+\tdefault \"$(PVCC_PLUGIN_ID)\"\n" in patch
    header = patch.split("+++ b/include/linux/compiler-version.h\n")[1].split("diff -ruN")[0]
    assert '+ * pvcc: likewise "CONFIG_PVCC_PLUGIN_ID"' in header
