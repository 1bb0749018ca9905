"""pvcc.pluginbuild: the lazy, per-compiler, atomically published plugin build.

Most tests build a tiny plugin of their own (a source dir in tmp_path) into a
private cache, against the real IA-64 cross compiler's plugin headers, and
load it into that compiler.  The tiny plugin fails its plugin_init when given
``-fplugin-arg-pvcc-fail``, which proves it was really loaded and run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pvcc import pluginbuild
from pvcc.pluginbuild import PluginBuildError, plugin_path

TINY_CC = textwrap.dedent(
    """\
    #include "gcc-plugin.h"
    #include "plugin-version.h"
    #include "tiny.h"

    int plugin_is_GPL_compatible;

    int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
    {
    	if (!plugin_default_version_check(version, &gcc_version))
    		return 1;
    	for (int i = 0; i < info->argc; i++)
    		if (!strcmp(info->argv[i].key, "fail"))
    			return TINY_FAIL;
    	return 0;
    }
    """
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("PVCC_CACHE_DIR", str(d))
    monkeypatch.delenv("PVCC_HOSTCXX", raising=False)
    return d


@pytest.fixture
def tiny(tmp_path):
    src = tmp_path / "tiny-plugin"
    src.mkdir()
    (src / "tiny.cc").write_text(TINY_CC)
    (src / "tiny.h").write_text("#define TINY_FAIL 1\n")
    return src


def _compile_with(gcc: str, so: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    c = tmp / "x.c"
    c.write_text("int f(int x) { return x + 1; }\n")
    return subprocess.run(
        [gcc, f"-fplugin={so}", *extra, "-O2", "-c", str(c), "-o", str(tmp / "x.o")],
        capture_output=True, text=True, check=False,
    )


def _plugin_dirs(cache: Path) -> list[Path]:
    plugins = cache / "plugins"
    return sorted(p for p in plugins.iterdir() if p.is_dir() and p.name not in ("stamps",)
                  and not p.name.startswith("."))


def test_builds_into_cache_and_loads(gcc, cache, tiny, tmp_path):
    so = plugin_path(gcc, tiny)
    assert Path(so).is_file()
    assert Path(so).name == "pvcc.so"
    assert Path(so).parent.parent == cache / "plugins"
    ok = _compile_with(gcc, so, tmp_path)
    assert ok.returncode == 0, ok.stderr
    # The plugin really ran: its plugin_init fails on request.
    failed = _compile_with(gcc, so, tmp_path, "-fplugin-arg-pvcc-fail")
    assert failed.returncode != 0
    assert "pvcc" in failed.stderr


def test_hot_path_runs_no_subprocess(gcc, cache, tiny, monkeypatch):
    first = plugin_path(gcc, tiny)

    def forbidden(*a, **k):
        raise AssertionError("hot path started a subprocess")

    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.setattr(os, "posix_spawn", forbidden, raising=False)
    assert plugin_path(gcc, tiny) == first
    assert plugin_path(gcc, str(tiny)) == first


def test_hot_path_reads_no_source_file(gcc, cache, tiny, monkeypatch):
    plugin_path(gcc, tiny)
    import builtins

    real_open = builtins.open

    def watched(file, *a, **k):
        assert not str(file).startswith(str(tiny)), f"hot path read {file}"
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", watched)
    plugin_path(gcc, tiny)


def test_same_compiler_through_a_symlink_shares_the_plugin(gcc, cache, tiny, tmp_path):
    link_dir = tmp_path / "bin"
    link_dir.mkdir()
    link = link_dir / os.path.basename(gcc)
    link.symlink_to(gcc)
    assert plugin_path(str(link), tiny) == plugin_path(gcc, tiny)
    assert len(_plugin_dirs(cache)) == 1


def test_source_change_builds_a_new_plugin(gcc, cache, tiny):
    first = plugin_path(gcc, tiny)
    (tiny / "tiny.h").write_text("#define TINY_FAIL 2\n")
    second = plugin_path(gcc, tiny)
    assert second != first
    assert Path(first).is_file() and Path(second).is_file()
    # Back to the old content: the old plugin is found again, nothing rebuilt.
    (tiny / "tiny.h").write_text("#define TINY_FAIL 1\n")
    assert plugin_path(gcc, tiny) == first
    assert len(_plugin_dirs(cache)) == 2


def test_new_source_file_changes_the_key(gcc, cache, tiny):
    first = plugin_path(gcc, tiny)
    (tiny / "extra.h").write_text("/* not included by anything */\n")
    assert plugin_path(gcc, tiny) != first


def test_rebuilds_when_the_cache_was_cleaned(gcc, cache, tiny):
    so = plugin_path(gcc, tiny)
    shutil.rmtree(Path(so).parent)
    again = plugin_path(gcc, tiny)
    assert again == so and Path(so).is_file()


def test_parallel_calls_build_once(gcc, cache, tiny, tmp_path):
    # A g++ wrapper that logs each build: the real host compiler does the work.
    log = tmp_path / "builds.log"
    hostcxx = tmp_path / "logging-g++"
    hostcxx.write_text(f'#!/bin/sh\necho build >> "{log}"\nexec g++ "$@"\n')
    hostcxx.chmod(0o755)
    code = (
        "import sys; from pvcc.pluginbuild import plugin_path; "
        "print(plugin_path(sys.argv[1], sys.argv[2]))"
    )
    env = dict(os.environ, PVCC_CACHE_DIR=str(cache), PVCC_HOSTCXX=str(hostcxx))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, gcc, str(tiny)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1] for r in results]
    paths = {r[0].strip() for r in results}
    assert len(paths) == 1
    assert log.read_text().count("build") == 1
    leftovers = [p.name for p in (cache / "plugins").iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []
    assert _compile_with(gcc, paths.pop(), tmp_path).returncode == 0


def test_build_failure_carries_the_compiler_output(gcc, cache, tiny):
    (tiny / "tiny.cc").write_text(TINY_CC + "\nthis is not C++;\n")
    with pytest.raises(PluginBuildError) as info:
        plugin_path(gcc, tiny)
    err = info.value
    assert "\n" not in str(err)
    assert gcc in str(err)
    assert "error" in err.output and "tiny.cc" in err.output
    plugins = cache / "plugins"
    assert _plugin_dirs(cache) == []
    assert [p for p in plugins.iterdir() if p.name.startswith(".tmp")] == []


def test_hostcxx_override_with_several_words(gcc, cache, tiny, monkeypatch):
    (tiny / "tiny.h").write_text(
        "#ifndef FROM_HOSTCXX\n#error PVCC_HOSTCXX was not used\n#endif\n#define TINY_FAIL 1\n"
    )
    monkeypatch.setenv("PVCC_HOSTCXX", "g++ -DFROM_HOSTCXX=1")
    assert Path(plugin_path(gcc, tiny)).is_file()


def test_build_flags_are_the_documented_ones(gcc, cache, tiny):
    so = plugin_path(gcc, tiny)
    info = (Path(so).parent / "build.txt").read_text()
    for flag in ("-shared", "-fPIC", "-fno-rtti", "-fno-exceptions", "-O2", "-Wall", "-Wextra"):
        assert repr(flag) in info
    assert "-std=" not in info
    plugin_dir = subprocess.run([gcc, "-print-file-name=plugin"], capture_output=True,
                                text=True, check=False).stdout.strip()
    assert repr(f"-I{plugin_dir}/include") in info
    assert repr(f"-I{tiny}") in info


def test_compiler_without_plugin_headers_is_one_line(cache, tiny, tmp_path):
    host = shutil.which("gcc")
    if host is None:
        pytest.skip("no host gcc to play a compiler without plugin headers")
    d = subprocess.run([host, "-print-file-name=plugin"], capture_output=True, text=True, check=False)
    if os.path.isfile(os.path.join(d.stdout.strip(), "include", "plugin-version.h")):
        pytest.skip("the host gcc has plugin headers installed (gcc-N-plugin-dev)")
    with pytest.raises(PluginBuildError) as info:
        plugin_path(host, tiny)
    msg = str(info.value)
    assert "\n" not in msg
    assert host in msg and "plugin headers" in msg


def test_missing_compiler(cache, tiny, tmp_path):
    with pytest.raises(PluginBuildError) as info:
        plugin_path(str(tmp_path / "no-such-gcc"), tiny)
    assert "no-such-gcc" in str(info.value)


def test_source_dir_without_cc_files(gcc, cache, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "only.h").write_text("\n")
    with pytest.raises(PluginBuildError) as info:
        plugin_path(gcc, empty)
    assert "no plugin sources" in str(info.value)


def test_unwritable_cache_is_a_plugin_build_error(gcc, tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("PVCC_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(PluginBuildError) as info:
        plugin_path(gcc, tiny)
    assert "\n" not in str(info.value)


def test_include_dir_holds_the_intrinsic_header():
    d = Path(pluginbuild.include_dir())
    assert d.is_dir() and d.is_absolute()
    assert (d / "pvcc" / "paravirt.h").is_file()


def test_real_plugin_builds_for_the_real_compiler(plugin_so, gcc, tmp_path):
    assert Path(plugin_so).is_file()
    assert plugin_path(gcc) == plugin_so
    ok = _compile_with(gcc, plugin_so, tmp_path)
    assert ok.returncode == 0, ok.stderr


def test_module_main_prints_the_path(gcc, cache, tiny):
    p = subprocess.run([sys.executable, "-m", "pvcc.pluginbuild", gcc, str(tiny)],
                       capture_output=True, text=True, env=dict(os.environ), check=False)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()).is_file()


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"PVCC_CACHE_DIR": "/some/where"},
        {"PVCC_CACHE_DIR": "~/rel"},
        {"XDG_CACHE_HOME": "/xdg"},
        {"XDG_CACHE_HOME": "relative-is-ignored"},
    ],
)
def test_cache_dir_follows_the_toolchain_rule(env, monkeypatch):
    from pvcc import toolchain

    monkeypatch.delenv("PVCC_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert pluginbuild.cache_dir() == str(toolchain.cache_dir())
