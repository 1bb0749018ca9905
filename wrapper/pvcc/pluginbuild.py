"""Build the pvcc GCC plugin lazily, once per exact compiler.

A GCC plugin loads only into the GCC whose headers built it (the plugin
version check compares version, datestamp and configure arguments, and the
data structures follow the exact build), so pvcc ships the plugin as C++
source and builds ``pvcc.so`` the first time a compiler needs it:

    <cache>/plugins/<key>/pvcc.so

``<cache>`` is ``$PVCC_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/pvcc``.  ``<key>`` hashes
the compiler's identity (realpath and stat of the driver and of the ``cc1``
binaries beside it, its ``-dumpfullversion``, ``-dumpmachine`` and ``-v``
output, its ``plugin-version.h``), the plugin sources' contents, the headers
generated for the build (``pvcc-catalog.h``, from the intrinsic catalog
``pvcc.catalog`` by ``pvcc.catalog_c``) and the build recipe.  The build uses the host C++ compiler (``g++``, or ``$PVCC_HOSTCXX``,
which may hold several words such as ``ccache g++``)::

    g++ -shared -fPIC -fno-rtti -fno-exceptions -O2 -Wall -Wextra
        -I<$CC -print-file-name=plugin>/include -I<generated> -I<sources>
        -o pvcc.so *.cc

where ``<generated>`` is a directory inside the build's temporary directory
holding the generated ``pvcc-catalog.h``.
with no forced ``-std`` (GCC 11+ headers need C++11 and 15+ C++14; the host
compiler's default is newer than both).  The build runs in a temporary
directory inside the cache and is published with one ``os.rename`` while an
``flock`` is held, so the 2 x nproc compiles of a ``make -j`` build it once
and never see half a file.

The hot path (plugin already built) runs no subprocess and reads no source
file: a *stamp* made of stat data only (compiler realpath and stat, stat of
every plugin source file and of the catalog modules, the recipe) is looked up in
``<cache>/plugins/stamps/``; the stamp file names the key it was resolved to
and repeats the whole stamp, so a bucket collision is detected.  Any change
to the compiler, to a source file or to the catalog changes the stamp, which sends the next
call through the slow path that computes the real content key (and builds
only if that key is new).

Only ``os`` and ``sys`` are imported at module level: the driver imports
this module on every compile that needs the plugin.
"""

from __future__ import annotations

import os
import sys

__all__ = ["PluginBuildError", "cache_dir", "compiler_identity", "default_sources", "include_dir",
           "plugin_path"]

# Bump when the build command or the cache layout changes: it is part of
# every key, so old plugins are simply no longer found.
RECIPE = "pvcc-plugin-recipe-2"
CXXFLAGS = ("-shared", "-fPIC", "-fno-rtti", "-fno-exceptions", "-O2", "-Wall", "-Wextra")
PLUGIN_NAME = "pvcc.so"
_SOURCE_SUFFIXES = (".cc", ".h", ".def")


class PluginBuildError(Exception):
    """The plugin could not be built; ``str()`` is a one-line message.

    ``output`` holds the host compiler's diagnostics (may be empty).
    """

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def default_sources() -> str:
    """The shipped plugin source directory (package data ``pvcc/plugin``)."""
    return os.path.join(_package_dir(), "plugin")


def include_dir() -> str:
    """The directory holding ``pvcc/paravirt.h`` (for ``-I``/``-isystem``)."""
    return os.path.realpath(os.path.join(default_sources(), "include"))


def cache_dir() -> str:
    """The cache root, the toolchain's own: ``$PVCC_CACHE_DIR`` or
    ``${XDG_CACHE_HOME:-~/.cache}/pvcc`` (as a str: no pathlib on the hot path)."""
    from pvcc.compilers import cache_root

    return cache_root()


# --------------------------------------------------------------------------
# identity


def _resolve_compiler(compiler: str) -> str:
    from pvcc.compilers import ToolchainError, resolve_compiler

    try:
        return resolve_compiler(compiler)
    except ToolchainError as e:
        raise PluginBuildError(str(e)) from None


def compiler_identity(compiler: str) -> list[str]:
    """Stat data (NUL-separated fields) of ``compiler``'s real driver and of
    the ``cc1`` binaries beside it: what changes when it is rebuilt."""
    from pvcc.compilers import compiler_identity as identity

    return identity(_resolve_compiler(compiler))


def _source_files(sources: str) -> list[str]:
    """Plugin source files, relative to ``sources``, sorted."""
    out = []
    for root, dirs, files in os.walk(sources, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in files:
            if name.endswith(_SOURCE_SUFFIXES) and not name.startswith("."):
                out.append(os.path.relpath(os.path.join(root, name), sources))
    out.sort()
    return out


def _catalog_files() -> list[str]:
    """The Python files the generated pvcc-catalog.h comes from."""
    return [os.path.join(_package_dir(), name) for name in ("catalog.py", "catalog_c.py")]


def _stamp(compiler_abs: str, sources: str, files: list[str]) -> str:
    from pvcc.compilers import compiler_identity, stat_line

    lines = [RECIPE, compiler_abs, sources]
    lines.extend(compiler_identity(compiler_abs))
    lines.extend(stat_line(os.path.join(sources, f), with_ctime=True) for f in files)
    lines.extend(stat_line(f, with_ctime=True) for f in _catalog_files())
    return "\n".join(lines)


def _stamp_path(plugins: str, stamp: str) -> str:
    import zlib

    data = stamp.encode("utf-8", "surrogateescape")
    bucket = f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
    return os.path.join(plugins, "stamps", bucket)


def _read_stamp(path: str, stamp: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return None
    key, _, rest = text.partition("\n")
    if rest != stamp or not key:
        return None
    return key


def _write_atomic(path: str, text: str) -> None:
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# slow path


def _run(argv: list[str]) -> tuple[int, str, str]:
    import subprocess

    env = dict(os.environ, LC_ALL="C")
    try:
        p = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, check=False
        )
    except OSError as e:
        raise PluginBuildError(f"cannot run {argv[0]}: {e.strerror}") from None
    return (
        p.returncode,
        p.stdout.decode("utf-8", "replace"),
        p.stderr.decode("utf-8", "replace"),
    )


def _probe(compiler: str, *args: str) -> str:
    rc, out, err = _run([compiler, *args])
    if rc != 0:
        first = (err.strip().splitlines() or ["no output"])[0]
        raise PluginBuildError(f"{compiler} {' '.join(args)} failed (exit {rc}): {first}")
    return out if out.strip() else err


def _plugin_headers(compiler: str) -> str:
    d = _probe(compiler, "-print-file-name=plugin").strip()
    inc = os.path.join(d, "include")
    if not os.path.isabs(d) or not os.path.isfile(os.path.join(inc, "plugin-version.h")):
        raise PluginBuildError(
            f"{compiler} has no GCC plugin headers (-print-file-name=plugin gave {d!r}); "
            "use a GCC configured with --enable-plugin and installed with its plugin headers"
        )
    return inc


def _content_key(compiler: str, compiler_abs: str, sources: str, files: list[str],
                 plugin_inc: str, generated: dict[str, str]) -> str:
    from pvcc.buildcache import framed_hash
    from pvcc.compilers import compiler_identity

    h, add = framed_hash()

    add("recipe", RECIPE + "\0" + "\0".join(CXXFLAGS))
    add("realpath", os.path.realpath(compiler_abs))
    for line in compiler_identity(compiler_abs):
        add("stat", line)
    add("dumpfullversion", _probe(compiler, "-dumpfullversion"))
    add("dumpmachine", _probe(compiler, "-dumpmachine"))
    _, _, verbose = _run([compiler, "-v"])
    # COLLECT_GCC & co. name the path the driver was invoked by, not what it is.
    add("v", "\n".join(ln for ln in verbose.splitlines() if not ln.startswith("COLLECT_")))
    with open(os.path.join(plugin_inc, "plugin-version.h"), "rb") as f:
        add("plugin-version.h", f.read())
    for rel in files:
        with open(os.path.join(sources, rel), "rb") as f:
            add("source:" + rel, f.read())
    for name, text in sorted(generated.items()):
        add("generated:" + name, text)
    return h.hexdigest()[:32]


def _generated() -> dict[str, str]:
    """Headers generated for the build: pvcc-catalog.h from the intrinsic catalog."""
    from pvcc import catalog_c

    return {catalog_c.PLUGIN_HEADER_NAME: catalog_c.plugin_header()}


def _hostcxx() -> list[str]:
    import shlex

    words = shlex.split(os.environ.get("PVCC_HOSTCXX") or "g++")
    if not words:
        raise PluginBuildError("PVCC_HOSTCXX is empty")
    return words


def _build(compiler: str, sources: str, files: list[str], plugin_inc: str, final: str,
           generated: dict[str, str]) -> None:
    def build(tmp: str) -> None:
        gen = os.path.join(tmp, "generated")
        os.mkdir(gen)
        for name, text in generated.items():
            with open(os.path.join(gen, name), "w", encoding="utf-8") as f:
                f.write(text)
        ccs = [os.path.join(sources, f) for f in files if f.endswith(".cc")
               and os.sep not in f]
        argv = [*_hostcxx(), *CXXFLAGS, f"-I{plugin_inc}", f"-I{gen}", f"-I{sources}",
                "-o", os.path.join(tmp, PLUGIN_NAME), *ccs]
        rc, out, err = _run(argv)
        if rc != 0:
            raise PluginBuildError(
                f"building the plugin for {compiler} failed ({argv[0]} exit {rc})",
                output=(out + err),
            )
        with open(os.path.join(tmp, "build.txt"), "w", encoding="utf-8") as f:
            f.write(f"compiler: {compiler}\ncommand: {argv!r}\n{out}{err}")

    from pvcc.buildcache import build_cache_entry

    build_cache_entry(final, PLUGIN_NAME, build)


def plugin_path(compiler: str, sources: str | os.PathLike[str] | None = None) -> str:
    """Path of ``pvcc.so`` built for ``compiler``, building it if needed.

    ``sources`` is the plugin source directory (default: the shipped one).
    Raises :class:`PluginBuildError`.
    """
    sources = os.path.abspath(os.fspath(sources) if sources is not None else default_sources())
    compiler_abs = _resolve_compiler(compiler)
    try:
        files = _source_files(sources)
    except OSError as e:
        raise PluginBuildError(f"cannot read plugin sources in {sources}: {e.strerror}") from None
    if not any(f.endswith(".cc") and os.sep not in f for f in files):
        raise PluginBuildError(f"no plugin sources (*.cc) in {sources}")
    from pvcc.compilers import CacheLayout

    plugins = CacheLayout().plugins

    # Hot path: stat data only.
    try:
        stamp = _stamp(compiler_abs, sources, files)
    except OSError as e:
        raise PluginBuildError(f"cannot stat {e.filename}: {e.strerror}") from None
    spath = _stamp_path(plugins, stamp)
    key = _read_stamp(spath, stamp)
    if key is not None:
        so = os.path.join(plugins, key, PLUGIN_NAME)
        if os.path.isfile(so):
            return so

    # Slow path: ask the compiler who it is, hash the sources, build if new.
    plugin_inc = _plugin_headers(compiler)
    try:
        generated = _generated()
        key = _content_key(compiler, compiler_abs, sources, files, plugin_inc, generated)
        final = os.path.join(plugins, key)
        so = os.path.join(final, PLUGIN_NAME)
        if not os.path.isfile(so):
            os.makedirs(plugins, exist_ok=True)
            _build(compiler, sources, files, plugin_inc, final, generated)
        _write_atomic(spath, key + "\n" + stamp)
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        raise PluginBuildError(f"plugin cache{where}: {e.strerror}") from None
    return so


PROG = "pvcc.pluginbuild"


def _main(args: list[str]) -> int:
    from pvcc.compilers import find_compiler

    compiler = args[0] if args else find_compiler()
    try:
        print(plugin_path(compiler, args[1] if len(args) > 1 else None))
    except PluginBuildError as e:
        if e.output:  # the host compiler's diagnostics, then the one line
            sys.stderr.write(e.output if e.output.endswith("\n") else e.output + "\n")
        raise
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m pvcc.pluginbuild [COMPILER [SOURCES]]``: build and print the path."""
    from pvcc import cli
    from pvcc.compilers import ToolchainError

    args = sys.argv[1:] if argv is None else argv
    return cli.run(PROG, lambda: _main(args),
                   errors=((PluginBuildError, 1), (ToolchainError, 1)))


if __name__ == "__main__":
    sys.exit(main())
