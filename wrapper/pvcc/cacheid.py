"""What a compiler cache must hash for ``CC="ccache pvcc"`` to be correct.

ccache keys a result on the compiler it runs, the command line and the
source.  Under ``CC="ccache pvcc"`` the compiler it sees is pvcc, and what
pvcc adds -- the plugin built for the real compiler, the
``-fplugin-arg-pvcc-*`` words of ``$PVCC_PLUGIN_ARGS``, whether the object is
checked -- is on no command line ccache sees.  ccache's ``compiler_check``
option closes that gap: a command whose output ccache hashes into every key.
``pvcc --print-cache-identity`` is that command::

    CCACHE_COMPILERCHECK='%compiler% --print-cache-identity'
    CCACHE_COMPILERTYPE=gcc     (else ccache takes pvcc for an unknown compiler
                                 and caches no kernel compile: -Wp,-MMD,...)

It prints the real compiler's identity (path and stat data of the driver and
of its ``cc1``), and unless ``$PVCC_DISABLE`` is set the plugin built for it
(path -- whose directory is the content key of the compiler and the plugin
sources -- size and mtime), every plugin argument, whether objects are
checked, and the stat data of pvcc's own modules.  Anything that changes what
pvcc would produce changes that output, so a hit can only return an object
made, and checked, by the same pvcc, plugin and arguments.

ccache without that setting would serve stale objects, so pvcc refuses to
compile under it: :func:`ccache_unkeyed` asks ccache for its effective
``compiler_check`` (``$CCACHE_COMPILERCHECK``, else ``ccache -k
compiler_check``, which also reads ccache's configuration files).

``CC=pvcc PVCC_LAUNCHER=ccache`` needs none of this: ccache then runs the
real compiler with pvcc's flags on its command line, and hashes them and the
plugin file itself.
"""

import os
import sys

# pvcc's option that prints the identity.  The driver imports this module (os and
# sys only, no __future__) to learn it when a lone --print-* argument may be it.
OPTION = "--print-cache-identity"

FORMAT = "pvcc-cache-identity 1"


def _stat(path: str) -> str:
    st = os.stat(path)
    return f"{path} {st.st_size} {st.st_mtime_ns}"


def identity(compiler: str) -> str:
    """The text ccache hashes for pvcc driving ``compiler`` (an absolute path)
    in the current environment.  Raises PluginBuildError."""
    from pvcc import pluginbuild

    lines = [FORMAT, f"compiler {compiler}"]
    lines += ["compiler-stat " + ln.replace("\0", " ")
              for ln in pluginbuild.compiler_identity(compiler)]
    if os.environ.get("PVCC_DISABLE", "") not in ("", "0"):
        lines.append("disabled")  # pvcc then runs the compiler untouched
        return "\n".join(lines) + "\n"
    lines.append("plugin " + _stat(pluginbuild.plugin_path(compiler)))
    lines.append("plugin-args " + " ".join(os.environ.get("PVCC_PLUGIN_ARGS", "").split()))
    lines.append("check " + ("0" if os.environ.get("PVCC_CHECK", "") == "0" else "1"))
    package = os.path.dirname(os.path.abspath(__file__))
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d != "plugin")
        lines += ["module " + _stat(os.path.join(root, f)) for f in sorted(files)
                  if f.endswith(".py")]
    return "\n".join(lines) + "\n"


def _print(text_of, compiler: str) -> int:
    """TEXT_OF(compiler) on stdout, exit 0; or one ``pvcc: error:`` line (after
    the plugin build's own output) and exit 1."""
    from pvcc.pluginbuild import PluginBuildError

    try:
        text = text_of(compiler)
    except PluginBuildError as e:
        if e.output:
            sys.stderr.write(e.output if e.output.endswith("\n") else e.output + "\n")
        sys.stderr.write(f"pvcc: error: {e}\n")
        return 1
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def print_identity(compiler: str) -> int:
    """``pvcc --print-cache-identity`` (on an error, ccache does not cache)."""
    return _print(identity, compiler)


PLUGIN_ID_OPTION = "--print-plugin-id"


def plugin_id(compiler: str) -> str:
    """What shapes the objects pvcc makes with ``compiler``, in one short line:
    the content key of the plugin built for it (pvcc.pluginbuild: the
    compiler's identity, the plugin's sources and the generated catalog)
    and PVCC_PLUGIN_ARGS; ``disabled`` under PVCC_DISABLE.  A kernel built
    with pvcc records it as a configuration value (kernel/linux-6.1-pvcc.patch)
    so that a new plugin rebuilds every object, as a new compiler does.
    Raises PluginBuildError."""
    from pvcc import pluginbuild

    if os.environ.get("PVCC_DISABLE", "") not in ("", "0"):
        return "disabled"
    key = os.path.basename(os.path.dirname(pluginbuild.plugin_path(compiler)))
    args = " ".join(os.environ.get("PVCC_PLUGIN_ARGS", "").split())
    return f"{key} {args}" if args else key


def print_plugin_id(compiler: str) -> int:
    """``pvcc --print-plugin-id``: the line on stdout."""
    return _print(lambda c: plugin_id(c) + "\n", compiler)


def _ccache_program() -> str | None:
    """The ccache that runs us: our parent when it is a ccache, else ``ccache``
    on PATH (when ccache runs pvcc through a prefix command such as distcc)."""
    try:
        parent = os.readlink(f"/proc/{os.getppid()}/exe")
        if "ccache" in os.path.basename(parent) and os.access(parent, os.X_OK):
            return parent
    except OSError:
        pass
    import shutil

    return shutil.which("ccache")


def compiler_check() -> str | None:
    """ccache's effective ``compiler_check`` setting, or None if unknown."""
    value = os.environ.get("CCACHE_COMPILERCHECK")
    if value is not None:
        return value
    program = _ccache_program()
    if program is None:
        return None
    import subprocess

    try:
        p = subprocess.run([program, "-k", "compiler_check"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def ccache_unkeyed(prefix_form: bool = False) -> str | None:
    """Called when ccache runs pvcc: None when ccache's key covers pvcc's
    identity, else the one-line reason to refuse the compile.

    ``prefix_form``: pvcc was called as ``pvcc COMPILER ARGS``; the identity
    command (``pvcc --print-cache-identity``) cannot know that compiler."""
    if prefix_form:
        return ("ccache runs pvcc with the compiler as its first argument, which ccache's "
                "key cannot identify: name the compiler with PVCC_GCC instead")
    check = compiler_check()
    if check is not None and OPTION in check:
        return None
    what = f"compiler_check is {check!r}" if check is not None else "its compiler_check is unknown"
    return (f"ccache runs pvcc, but {what}: its cache key would miss pvcc's plugin and "
            f"arguments; set CCACHE_COMPILERCHECK='%compiler% {OPTION}', or use "
            "CC=pvcc PVCC_LAUNCHER=ccache")
