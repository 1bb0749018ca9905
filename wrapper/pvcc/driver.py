"""pvcc: a drop-in CC that compiles paravirtualized IA-64 C with the pvcc plugin.

Three ways to call it (a kernel build uses any of them as ``CC``)::

    pvcc ARGS...                       compiler from pvcc.compilers.find_compiler()
    pvcc ia64-linux-gnu-gcc ARGS...    prefix form (ccache style)
    ia64-linux-gnu-gcc ARGS...         a symlink to pvcc named like the compiler:
                                       the same name is looked up on PATH without
                                       the symlink's own directory (distcc style)

In the prefix form the first argument must not start with ``-``, must name an
executable (on PATH, or a path) and look like a compiler (``*gcc*`` or
``*cc``).

pvcc's own options, each alone: ``pvcc --print-include-dir`` prints the
directory holding ``pvcc/paravirt.h``; ``pvcc --print-cache-identity`` prints
what ccache must hash for ``CC="ccache pvcc"`` (``pvcc.cacheid``).  Both exit
0.  Everything else is the compiler's: argv order and bytes are passed on
unchanged, the environment too, and nothing is ever written to stdout.

What pvcc adds, only for a real compile of C (``-c`` or ``-S`` with a ``.c``
/ ``.i`` / ``-x c`` / ``-x cpp-output`` input other than ``/dev/null``) and for
preprocessing such an input (``-E``, ``-M``, ``-MM``):

* ``-fplugin=<pvcc.so built for this compiler>`` plus
  ``-fplugin-arg-pvcc-KEY[=VALUE]`` for each word of ``$PVCC_PLUGIN_ARGS``,
  inserted right after argv[0] (GCC wants ``-fplugin=`` before any
  ``-fplugin-arg-pvcc-*`` the caller passes, and nothing can swallow it
  there as the argument of a preceding option).  When preprocessing, the
  plugin only defines ``__PVCC__``, so ``<pvcc/paravirt.h>`` keeps the
  attribute in the ``.i``: compiled later through pvcc (here, or by distcc
  or icecream elsewhere), it gets exactly the sites of a direct compile.  On
  C that does not test ``__PVCC__`` the output is the compiler's, byte for
  byte (``-dM`` lists the macro, as a compile sees it);
* after the compiler succeeded, a check of every object it wrote
  (``pvcc.check.violations_of``) -- and of every ``-S`` file that contains
  ``.pvcc_sites``, assembled to a temporary object for that.  A violation
  prints one located line per problem on stderr, deletes the output and
  exits 1.  ``-o -`` and ``-o /dev/null`` are not checked.

A caller that passes ``-fplugin=.../pvcc.so`` itself gets nothing injected
(its outputs are still checked).

Nothing is injected for ``-fsyntax-only``, assembler input
(``.s``/``.S``/``-x assembler*``), link-only calls (no ``-c``/``-S``),
``/dev/null`` probes, or calls carrying ``--version``, ``-v``, ``--verbose``,
``-###``, ``-dump{machine,version,fullversion,specs}``, ``-print-*``,
``--help*`` or ``--target-help``.  Those are exec'd straight away.  ``@file``
response files are read only to look inside; the ``@file`` argument itself is
what the compiler gets.

Compiles of C can run through a launcher, ``PVCC_LAUNCHER=ccache`` (or
``icecc``, ``distcc``, several words allowed): pvcc then runs ``LAUNCHER
<compiler's absolute path> <plugin flags> ARGS`` and checks the object the
launcher produced, a cache hit included.  Under ``CC="ccache pvcc"`` (ccache
sets ``UNCACHED_ERR_FD`` for the compilers it runs) pvcc refuses to compile
unless ccache's ``compiler_check`` runs ``pvcc --print-cache-identity``:
otherwise ccache's key would miss the plugin and its arguments.

Whenever no check follows, pvcc replaces itself with the compiler
(``os.execv``): exit status, signals, stdin and inherited file descriptors
(make's jobserver) are the compiler's own.  When a check follows, the
compiler runs as a child that inherits every fd; SIGINT, SIGTERM, SIGHUP and
SIGQUIT are forwarded to it, its exit status is returned, and if it died of
a signal pvcc re-raises that signal on itself.

Environment (pvcc reads nothing else, and passes everything on):

    PVCC_GCC=...         the compiler for plain ``pvcc`` and the symlink form: a path,
                         a name on PATH, or the major version of a provisioned GCC
    PVCC_DISABLE=1       kill switch: exec the compiler with the arguments untouched
    PVCC_PLUGIN_ARGS=..  space-separated ``key[=value]`` words for the plugin
    PVCC_CHECK=0         skip the post-compile check (then pvcc always execs)
    PVCC_LAUNCHER=...    run compiles of C as ``LAUNCHER COMPILER ARGS`` (ccache, icecc)
    PVCC_VERBOSE=1       say on stderr what pvcc does
    PVCC_CACHE_DIR=DIR   cache of compilers and built plugins (${XDG_CACHE_HOME:-~/.cache}/pvcc)
    PVCC_HOSTCXX=CXX     host C++ compiler that builds the plugin (g++)
    UNCACHED_ERR_FD      set by ccache: pvcc runs under ccache (then also
                         CCACHE_COMPILERCHECK, or ``ccache -k compiler_check``)

pvcc sets ``PVCC_RECURSION_GUARD`` in the compiler's environment (the real
paths of compilers it exec'd in this chain); it refuses to exec a compiler
already listed there, which only happens when that "compiler" leads back to
pvcc.

Errors of pvcc's own are one line ``pvcc: error: ...`` on stderr and exit 1.

Only ``os`` and ``sys`` are imported up front: the fast path (anything that
needs no plugin) is one argv scan and an exec.
"""

import os
import sys

_GUARD = "PVCC_RECURSION_GUARD"

# Identity and help: straight through, nothing injected.
_IDENTITY = frozenset(
    (
        "--version", "-v", "--verbose", "-###", "-dumpmachine", "-dumpversion",
        "-dumpfullversion", "-dumpspecs", "--help", "-help", "--target-help",
    )
)
_IDENTITY_PREFIXES = ("-print-", "--print-", "--help=")

# Options whose value is the next argument when given alone.
_TAKES_ARG = frozenset(
    (
        "-o", "-x", "-I", "-D", "-U", "-A", "-B", "-L", "-l", "-T", "-u", "-z", "-e", "-G",
        "-include", "-imacros", "-isystem", "-idirafter", "-iprefix", "-iwithprefix",
        "-iwithprefixbefore", "-isysroot", "-iquote", "-imultilib", "-imultiarch",
        "-MF", "-MT", "-MQ", "-Xlinker", "-Xassembler", "-Xpreprocessor",
        "-aux-info", "-dumpbase", "-dumpdir", "-dumpbase-ext", "-wrapper", "--param",
        "-specs", "--sysroot", "-Tbss", "-Tdata", "-Ttext", "--output", "--entry",
        "--include", "--include-directory", "--define-macro", "--undefine-macro",
        "--language", "--imacros", "--assert", "--prefix", "--library-directory",
    )
)

# pvcc's own options are each alone and start with this; the module that answers
# one names it (pvcc.cacheid.OPTION), and is imported only for such a call.
_OWN_PREFIX = "--print-"
_INCLUDE_DIR_OPTION = "--print-include-dir"
# The variable ccache sets in the environment of every compiler it runs.
_CCACHE_CHILD = "UNCACHED_ERR_FD"

_C_LANGS = frozenset(("c", "cpp-output"))
_C_SUFFIXES = (".c", ".i")
_DEVNULL = "/dev/null"


def _err(msg):
    from pvcc import cli  # already loaded by main(); os and sys only

    return cli.error("pvcc", msg)


def _verbose(msg):
    if os.environ.get("PVCC_VERBOSE", "") not in ("", "0"):
        sys.stderr.write(f"pvcc: {msg}\n")
        sys.stderr.flush()


def _is_verbose():
    return os.environ.get("PVCC_VERBOSE", "") not in ("", "0")


# ---------------------------------------------------------------------------
# compiler discovery


def _looks_like_compiler(name):
    base = os.path.basename(name)
    if not base or base.startswith("pvcc"):
        return False
    return "gcc" in base or base.endswith("cc")


def _is_exe(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _which(name, skip_real=None):
    """Absolute path of executable ``name`` (a path, or a PATH search),
    passing over anything whose real path is ``skip_real``."""
    if "/" in name:
        return os.path.abspath(name) if _is_exe(name) else None
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        cand = os.path.join(d or ".", name)
        if _is_exe(cand) and (skip_real is None or os.path.realpath(cand) != skip_real):
            return os.path.abspath(cand)
    return None


def _default_compiler():
    """The compiler for plain ``pvcc``: pvcc.compilers.find_compiler()."""
    from pvcc.compilers import ToolchainError, find_compiler

    try:
        return find_compiler()
    except ToolchainError as e:
        raise LookupError(str(e)) from None


def _masquerade_compiler(name, me):
    """argv[0] dispatch: ``name`` on PATH, without pvcc's own directory and
    without anything that resolves to pvcc itself."""
    if os.environ.get("PVCC_GCC"):
        return _default_compiler()
    self_real = os.path.realpath(me)
    own_dir = os.path.realpath(os.path.dirname(os.path.abspath(me)))
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        d = d or "."
        if os.path.realpath(d) == own_dir:
            continue
        cand = os.path.join(d, name)
        if _is_exe(cand) and os.path.realpath(cand) != self_real:
            return os.path.abspath(cand)
    try:
        cc = _default_compiler()
    except LookupError:
        cc = None
    if cc and os.path.basename(cc) == name and os.path.realpath(cc) != self_real:
        return cc
    raise LookupError(f"no {name!r} on PATH apart from pvcc itself ({me})")


def _resolve(argv):
    """-> (argv[0] for the child, executable path, compiler args)."""
    me = argv[0] if argv else "pvcc"
    name = os.path.basename(me)
    args = argv[1:]
    if _looks_like_compiler(name):
        path = _masquerade_compiler(name, me)
        # The child gets the absolute path as argv[0]: GCC finds its own
        # installation from argv[0], and a PATH search would find the symlink.
        return path, path, args
    if args and not args[0].startswith(("-", "@")) and _looks_like_compiler(args[0]):
        word = args[0]
        path = _which(word)
        if path is not None:
            self_real = os.path.realpath(me)
            if os.path.realpath(path) != self_real:
                # What the shell would have run for the plain compiler: same argv[0].
                return word, path, args[1:]
            # `pvcc ia64-linux-gnu-gcc` with a pvcc symlink of that name first on
            # PATH: take the next one, and name it by its absolute path.
            path = _which(word, skip_real=self_real)
            if path is not None:
                return path, path, args[1:]
            raise LookupError(f"no {word!r} on PATH apart from pvcc itself")
    path = _default_compiler()
    return path, path, args


# ---------------------------------------------------------------------------
# argv inspection


def _parse_response(text):
    """Split a response file the way libiberty's buildargv does."""
    out = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return out
        cur = []
        squote = dquote = bsquote = False
        while i < n:
            ch = text[i]
            if ch.isspace() and not (squote or dquote or bsquote):
                break
            if bsquote:
                bsquote = False
                cur.append(ch)
            elif ch == "\\":
                bsquote = True
            elif squote:
                if ch == "'":
                    squote = False
                else:
                    cur.append(ch)
            elif dquote:
                if ch == '"':
                    dquote = False
                else:
                    cur.append(ch)
            elif ch == "'":
                squote = True
            elif ch == '"':
                dquote = True
            else:
                cur.append(ch)
            i += 1
        out.append("".join(cur))


def _expand(args, depth=0):
    """The arguments with @file response files expanded (for inspection only)."""
    for a in args:
        if a.startswith("@") and len(a) > 1 and depth < 16:
            try:
                with open(a[1:], encoding="utf-8", errors="surrogateescape") as f:
                    text = f.read()
            except OSError:
                yield a  # GCC keeps an unreadable @file as a plain argument
                continue
            yield from _expand(_parse_response(text), depth + 1)
        else:
            yield a


class _Scan:
    """What one pass over the (expanded) arguments found out."""

    __slots__ = (
        "asm_flags",
        "c_inputs",
        "identity",
        "output",
        "own_plugin",
        "stage",
        "syntax_only",
    )

    def __init__(self):
        self.identity = False  # --version, -v, -print-*, ...
        self.stage = "link"  # "E", "S", "c" or "link"
        self.syntax_only = False
        self.c_inputs = []  # real C inputs (not /dev/null)
        self.output = None
        self.own_plugin = False  # the caller already passes -fplugin=.../pvcc.so
        self.asm_flags = []  # -m* and -Wa,* (to assemble a -S file for the check)


def _scan(args):
    s = _Scan()
    lang = None
    stages = set()
    it = _expand(args)
    for a in it:
        if a == "-" or not a.startswith("-"):
            if a == "-" or lang is not None:
                is_c = lang in _C_LANGS
            else:
                is_c = a.endswith(_C_SUFFIXES)
            if is_c and a != _DEVNULL:
                s.c_inputs.append(a)
            continue
        if a in _IDENTITY or a.startswith(_IDENTITY_PREFIXES):
            s.identity = True
            return s
        if a in ("-c", "-S", "-E"):
            stages.add(a[1])
        elif a in ("-M", "-MM"):
            stages.add("E")
        elif a == "-fsyntax-only":
            s.syntax_only = True
        elif a == "-x":
            lang = next(it, None)
            if lang == "none":
                lang = None
        elif a.startswith("-x"):
            lang = a[2:] if a[2:] != "none" else None
        elif a == "-o" or a == "--output":
            s.output = next(it, None)
        elif a.startswith("--output="):
            s.output = a[9:]
        elif a.startswith("-o"):
            s.output = a[2:]
        elif a.startswith("--language="):
            lang = a[11:] if a[11:] != "none" else None
        elif a == "--language":
            lang = next(it, None)
            if lang == "none":
                lang = None
        elif a in _TAKES_ARG:
            nxt = next(it, None)
            if a == "-Xassembler" and nxt is not None:
                s.asm_flags += (a, nxt)
        elif a.startswith("-fplugin="):
            if os.path.basename(a[9:]) == "pvcc.so":
                s.own_plugin = True
        elif a.startswith(("-m", "-Wa,")):
            s.asm_flags.append(a)
    for st in ("E", "S", "c"):  # GCC stops at the earliest stage asked for
        if st in stages:
            s.stage = st
            break
    return s


def _wants_plugin(s):
    """Whether the call compiles or preprocesses C: the plugin goes in (else pvcc execs)."""
    return not s.identity and s.stage in ("c", "S", "E") and not s.syntax_only \
        and bool(s.c_inputs)


def _outputs(s):
    """(path, kind) of each file the compile will write that needs a check."""
    if s.stage not in ("c", "S"):
        return []
    suffix = ".o" if s.stage == "c" else ".s"
    if s.output is not None:
        outs = [s.output] if s.c_inputs else []
    else:
        outs = []
        for src in s.c_inputs:
            base = os.path.basename(src)
            stem, dot, _ = base.rpartition(".")
            outs.append((stem if dot and stem else base) + suffix)
    return [(o, s.stage) for o in outs if o not in ("-", _DEVNULL)]


# ---------------------------------------------------------------------------
# running the compiler


def _restore_signals():
    """Undo Python's start-up SIG_IGN of SIGPIPE/SIGXFSZ, which exec would
    otherwise hand on to the compiler."""
    try:
        import _signal as sigmod
    except ImportError:  # pragma: no cover - not CPython
        import signal as sigmod
    for name in ("SIGPIPE", "SIGXFSZ"):
        num = getattr(sigmod, name, None)
        if num is not None:
            sigmod.signal(num, sigmod.SIG_DFL)


def _guard(path):
    """Refuse to exec a compiler this chain of pvcc calls already exec'd."""
    real = os.path.realpath(path)
    chain = os.environ.get(_GUARD, "")
    seen = chain.split(os.pathsep) if chain else []
    if real in seen:
        raise LookupError(
            f"recursion: {path} leads back to pvcc (set PVCC_GCC to the real compiler)"
        )
    os.environ[_GUARD] = os.pathsep.join(seen + [real])


def _exec(path, argv):
    if _is_verbose():
        _verbose("exec " + _quote([path] + argv[1:]))
    _restore_signals()
    try:
        os.execv(path, argv)
    except OSError as e:
        return _err(f"cannot run {path}: {e.strerror}")


def _quote(argv):
    import shlex

    return shlex.join(argv)


def _die_by_signal(sig):
    import signal

    sys.stdout.flush()
    sys.stderr.flush()
    try:  # SIGKILL and SIGSTOP can be neither caught nor blocked
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), sig)
    return 128 + sig  # only when the signal did not kill us


def _run_child(path, argv):
    """Run the compiler as a child (fds inherited), forwarding signals.

    -> (returncode, signal received by pvcc or 0)
    """
    import signal
    import subprocess

    if _is_verbose():
        _verbose("run " + _quote([path] + argv[1:]))
    got = []

    def forward(signum, frame):
        got.append(signum)
        try:
            os.kill(proc.pid, signum)
        except (OSError, NameError):
            pass

    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
    old = {sig: signal.signal(sig, forward) for sig in forwarded}
    try:
        proc = subprocess.Popen(argv, executable=path, close_fds=False)
        if got:  # a signal arrived before proc existed
            os.kill(proc.pid, got[0])
        rc = proc.wait()
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
    return rc, (got[0] if got else 0)


# Byte strings without which pvcc.check cannot find anything in an object: a
# record section (.pvcc_sites, .paravirt_bundles), a symbol named paravirt_*
# (check.IMPL_PREFIX: the implementations every call of which must lie in a
# recorded site) or __pvcc_light_* (catalog.LIGHT_PREFIX: the light entry
# points, every branch to which must lie in a recorded site).  An object holding none of them -- most of a kernel -- is
# clean without importing the checker.  tests/test_driver.py keeps this in
# step with pvcc.check and pvcc.catalog.
_SITE_MARKERS = (b"pvcc_sites", b"paravirt_", b"__pvcc_light_")


def _may_have_sites(path):
    import mmap

    with open(path, "rb") as f:
        try:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty: let the checker say what is wrong with it
            return True
        with m:
            return any(m.find(marker) != -1 for marker in _SITE_MARKERS)


def _check_outputs(path, outs, s):
    """Check each output; -> exit status (0 when everything is clean)."""
    status = 0
    for out, kind in outs:
        if not os.path.isfile(out):
            continue  # a device, a fifo, or nothing written: nothing to check
        if kind == "c" and not _may_have_sites(out):
            _verbose(f"check {out}: ok (no pvcc section, no paravirt_ symbol)")
            continue
        from pvcc.check import violations_of
        from pvcc.objects import ObjectError

        tmpdir = None
        target = out
        try:
            if kind == "S":
                with open(out, "rb") as f:
                    if b".pvcc_sites" not in f.read():
                        _verbose(f"check {out}: no .pvcc_sites, nothing to check")
                        continue
                import tempfile

                tmpdir = tempfile.mkdtemp(prefix="pvcc-check-")
                target = os.path.join(tmpdir, os.path.basename(out) + ".o")
                cmd = [path, *s.asm_flags, "-c", "-x", "assembler", out, "-o", target]
                if _is_verbose():
                    _verbose("assemble " + _quote(cmd))
                import subprocess

                rc = subprocess.run(cmd, stdout=2, close_fds=False, check=False).returncode
                if rc != 0:
                    problems = [f"pvcc: error: {out}: cannot assemble it to check it"]
                else:
                    problems = [p.replace(target, out) for p in violations_of(target)]
            else:
                problems = violations_of(out)
        except ObjectError as e:  # its message is one line naming the file
            problems = [f"pvcc: error: {e}".replace(target, out)]
        finally:
            if tmpdir is not None:
                import shutil

                shutil.rmtree(tmpdir, ignore_errors=True)
        if problems:
            for p in problems:
                sys.stderr.write(p.rstrip("\n") + "\n")
            try:
                os.unlink(out)
            except OSError:
                pass
            _verbose(f"check {out}: {len(problems)} problem(s), deleted")
            status = 1
        else:
            _verbose(f"check {out}: ok")
    sys.stderr.flush()
    return status


def _plugin_flags(path):
    from pvcc.pluginbuild import plugin_path

    flags = ["-fplugin=" + plugin_path(path)]
    for kv in os.environ.get("PVCC_PLUGIN_ARGS", "").split():
        flags.append("-fplugin-arg-pvcc-" + kv)
    return flags


def _launcher():
    """PVCC_LAUNCHER's words, the first resolved on PATH; [] when unset.
    Raises LookupError when the launcher cannot be found."""
    words = os.environ.get("PVCC_LAUNCHER", "").split()
    if not words:
        return []
    found = _which(words[0])
    if found is None:
        raise LookupError(f"PVCC_LAUNCHER: {words[0]!r} not found on PATH")
    return [found] + words[1:]


def _own_option(argv):
    """The exit status of pvcc's own option argv[1] (alone), or None when argv[1] is
    the compiler's (``-print-*`` and ``--print-*`` of GCC itself)."""
    if argv[1] == _INCLUDE_DIR_OPTION and not _looks_like_compiler(argv[0]):
        from pvcc.pluginbuild import include_dir

        sys.stdout.write(include_dir() + "\n")
        sys.stdout.flush()
        return 0
    from pvcc import cacheid

    if argv[1] in (cacheid.OPTION, cacheid.PLUGIN_ID_OPTION):
        try:
            _, path, _ = _resolve(argv[:1])
        except LookupError as e:
            return _err(str(e))
        if argv[1] == cacheid.PLUGIN_ID_OPTION:
            return cacheid.print_plugin_id(path)
        return cacheid.print_identity(path)
    return None


def _main(argv):
    if len(argv) == 2 and argv[1].startswith(_OWN_PREFIX):
        status = _own_option(argv)
        if status is not None:
            return status
    try:
        child0, path, args = _resolve(argv)
        _guard(path)
    except LookupError as e:
        return _err(str(e))
    if os.environ.get("PVCC_DISABLE", "") not in ("", "0"):
        return _exec(path, [child0] + args)

    s = _scan(args)
    if not _wants_plugin(s):
        return _exec(path, [child0] + args)

    if s.own_plugin:
        inject = []
    else:
        from pvcc.pluginbuild import PluginBuildError

        try:
            inject = _plugin_flags(path)
        except PluginBuildError as e:
            if e.output:  # the host compiler's diagnostics, then pvcc's one line
                sys.stderr.write(e.output if e.output.endswith("\n") else e.output + "\n")
            return _err(str(e))
    if _is_verbose():
        _verbose("inject " + _quote(inject) if inject else "plugin already on the command line")
    if s.stage == "E":  # the plugin defines __PVCC__: the output keeps the intrinsics
        return _exec(path, [child0] + inject + args)

    if _CCACHE_CHILD in os.environ:  # run by ccache (CC="ccache pvcc")
        from pvcc.cacheid import ccache_unkeyed

        problem = ccache_unkeyed(prefix_form=len(args) == len(argv) - 2)
        if problem:
            return _err(problem)
    try:
        launcher = _launcher()
    except LookupError as e:
        return _err(str(e))
    if launcher:
        # The launcher gets the compiler by its absolute path, and sees every
        # flag pvcc adds: ccache hashes them, icecc ships the plugin.
        run_path, child_argv = launcher[0], launcher + [path] + inject + args
    else:
        run_path, child_argv = path, [child0] + inject + args

    outs = _outputs(s) if os.environ.get("PVCC_CHECK", "") != "0" else []
    if not outs:
        return _exec(run_path, child_argv)

    rc, got = _run_child(run_path, child_argv)
    if rc < 0:
        return _die_by_signal(-rc)
    if got:
        return _die_by_signal(got)
    if rc != 0:
        return rc
    return _check_outputs(path, outs, s)


def main(argv=None):
    """Console entry point; returns the exit status (or never returns: exec).

    No traceback reaches a build log: a bug is one ``pvcc: error: internal
    error`` line (PVCC_VERBOSE=1 adds the traceback)."""
    from pvcc import cli

    return cli.run("pvcc", lambda: _main(list(sys.argv if argv is None else argv)),
                   contains_bugs=True, traceback=_is_verbose())


if __name__ == "__main__":
    sys.exit(main())
