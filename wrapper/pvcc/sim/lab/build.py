"""``pvcc-sim cc``: build a static IA-64 program that pvcc-sim runs.

::

    pvcc-sim cc [--no-plugin] [--impl native|hv] GCC-ARGS... -o PROG

compiles every C source of GCC-ARGS separately (through ``pvcc`` and its
plugin, or with plain GCC under ``--no-plugin``) and links the objects with
pvcc-sim's freestanding runtime into a static ET_EXEC (``-nostdlib -static``,
ld's default IA-64 layout: text at 0x4000000000000000, data in region 3)::

    crt0.o  the program's objects  <impl>.a  libc.a

``--impl`` picks what the ``paravirt_*`` intrinsics resolve to: ``native``
(default) is kernel/pvcc_native.c, the kernel's own native table, whose
privileged instructions the model executes; ``hv`` is the C hypervisor layer
(``runtime/hv``: virtual privileged state in memory, the model's hypercalls
for what only the machine knows, and a hostile return that overwrites every
register the site's convention lets a callee change: ``pvcc.sim.lab.hostile``).
Light-convention sites branch to ``__pvcc_light_*`` entries:
``pvcc.light_table``'s native bodies, or ``pvcc.thunks``'s thunks into the
hypervisor layer, which end with the light convention's hostile return.

The runtime (``pvcc/sim/runtime``, shipped as package data) is C and
assembly: crt0, the write/exit system calls, stdio, string.h, stdlib.h,
assert and the integer division helpers GCC calls (the cross compiler has no
libgcc).  Its headers come first on the include path (``-isystem``).  It is
built once per compiler and *ABI flag set* and cached in::

    <cache>/simrt/<key>/{crt0.o,libc.a,native.a,hv.a,include/pvcc-sim/hypercalls.h}

where ``<cache>`` is pvcc's cache root (``$PVCC_CACHE_DIR`` or
``~/.cache/pvcc``) and ``<key>`` hashes the recipe, the ABI flags, the
compiler's identity (as the plugin cache does: real path and stat of the
driver and its cc1), the content of every runtime source, of pvcc's headers
and of what it generates from pvcc's tables: the light-convention entries and
``<pvcc-sim/hypercalls.h>`` (``pvcc.sim.hypercalls``: the hypercalls' numbers,
which the hypervisor layer and programs include).  The ABI flags
are those of GCC-ARGS that must agree between the program and the runtime:
``-mconstant-gp`` and ``-mauto-pic`` (ld refuses to link constant-gp objects
with others), ``-ffixed-*`` and ``-mfixed-range=``.  A build runs in a
temporary directory and is published with one ``rename`` under an ``flock``.

Errors of ``pvcc-sim cc`` itself are one line ``pvcc-sim: error: ...`` and
exit status 1; a compiler or linker failure shows the compiler's own
diagnostics and returns its status.  PROG is written to a temporary name and
renamed into place only when the link succeeded and produced an IA-64
ET_EXEC with an entry point; on any failure PROG does not exist afterwards.
"""

from __future__ import annotations

import os
import sys

__all__ = ["BuildError", "abi_flags", "build_logged", "cc_main", "runtime_dir", "runtime_include_dir"]

USAGE = "usage: pvcc-sim cc [--no-plugin] [--impl native|hv] GCC-ARGS... -o PROG"
RECIPE = "pvcc-sim-runtime-3"
# How the runtime's own sources are compiled (plus the program's ABI flags).
RUNTIME_CFLAGS = ("-O2", "-ffreestanding", "-fno-tree-loop-distribute-patterns",
                  "-mfixed-range=f2-f5,f16-f31",
                  "-Wall", "-Wextra", "-Werror")
# Runtime sources: crt0 stays an object of its own, the rest is libc.a.
CRT0 = "crt0.S"
LIBC_SOURCES = ("syscall.S", "start.c", "stdlib.c", "stdio.c", "string.c", "divide.c",
                "math.c")
NATIVE_SOURCE = os.path.join("native", "pvcc_native.c")
HV_SOURCES = (os.path.join("hv", "hv.c"), os.path.join("hv", "hv_entry.S"))
# The hypervisor layer's C also serves light sites through thunks, which
# require C functions that leave f32-f127 alone (docs/light.md).
HV_CFLAGS = ("-mfixed-range=f32-f127",)
IMPLS = ("native", "hv")
# Options whose value is the next argument (GCC-ARGS parsing).
_TAKES_ARG = frozenset([
    "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote", "-idirafter",
    "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "-MF", "-MT", "-MQ",
    "-L", "-l", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-T", "-u", "-e", "--param",
    "-aux-info", "-x", "-z",
])
_LINK_ONLY_PREFIXES = ("-l", "-L", "-Wl,", "-T")
_LINK_ONLY = frozenset(["-Xlinker", "-static", "-nostdlib", "-nostartfiles",
                        "-nodefaultlibs", "-s"])
_STAGE_FLAGS = {"-c": "-c", "-S": "-S", "-E": "-E", "-shared": "-shared", "-r": "-r",
                "-M": "-M", "-MM": "-MM", "-fsyntax-only": "-fsyntax-only"}
_C_SUFFIXES = (".c", ".i")
_ASM_SUFFIXES = (".s", ".S", ".sx")
_OBJ_SUFFIXES = (".o", ".a")


class BuildError(Exception):
    """pvcc-sim cc cannot go on; ``str()`` is a one-line message.

    ``output`` holds a compiler's diagnostics (may be empty).
    """

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def _runtime_sources_dir() -> str:
    """``sim/runtime`` (this module lives in ``sim/lab``)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime")


def runtime_include_dir() -> str:
    """The runtime's C headers (stdio.h, string.h, ...)."""
    return os.path.join(_runtime_sources_dir(), "include")


def abi_flags(args: list[str]) -> tuple[str, ...]:
    """The flags of a GCC command line the runtime must be built with too."""
    out = []
    for a in args:
        abi = a in ("-mconstant-gp", "-mauto-pic", "-mno-pic") or a.startswith(
            ("-ffixed-", "-mfixed-range="))
        if abi and a not in out:
            out.append(a)
    return tuple(out)


# --------------------------------------------------------------------------
# the cached runtime


def _source_files() -> list[str]:
    """Every runtime file (relative paths, sorted) whose content is in the key."""
    root = _runtime_sources_dir()
    out = []
    for d, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(x for x in dirs if not x.startswith((".", "__")))
        for name in files:
            if name.endswith((".c", ".h", ".S")) and not name.startswith("."):
                out.append(os.path.relpath(os.path.join(d, name), root))
    return sorted(out)


def _tool(name: str) -> str:
    import shutil

    path = shutil.which(name)
    if path is None:
        raise BuildError(f"{name} not found on PATH (Debian package binutils-ia64-linux-gnu)")
    return path


# Where the runtime's generated headers are, inside its cache entry.
GENERATED_INCLUDE = "include"
HYPERCALLS_HEADER = os.path.join(GENERATED_INCLUDE, "pvcc-sim", "hypercalls.h")


def _generated() -> dict[str, str]:
    """Files generated from pvcc's own tables, by their path in the runtime's cache
    entry: the light convention's entry points, native (``pvcc.light_table``) for
    the native table, and for the hypervisor layer ``pvcc.thunks``'s thunks into
    its C entries with hostile returns (``pvcc.sim.lab.hostile``); and the
    hypercalls' header (``pvcc.sim.hypercalls``).  Their text is part of the
    runtime's key."""
    from pvcc import light_table

    from .. import hypercalls
    from . import hostile

    return {"light_native.s": light_table.source(),
            "light_thunks.s": hostile.light_thunks(),
            HYPERCALLS_HEADER: hypercalls.header()}


def _key(compiler: str, flags: tuple[str, ...], files: list[str], ar: str,
         generated: dict[str, str]) -> str:
    from pvcc.buildcache import framed_hash
    from pvcc.compilers import compiler_identity, stat_line
    from pvcc.pluginbuild import include_dir as pvcc_include_dir

    h, add = framed_hash()

    add("recipe", "\0".join((RECIPE, *RUNTIME_CFLAGS)))
    add("flags", "\0".join(flags))
    add("compiler", os.path.realpath(compiler))
    for line in compiler_identity(compiler):
        add("stat", line)
    add("ar", stat_line(os.path.realpath(ar)))
    for name, text in sorted(generated.items()):
        add("generated:" + name, text)
    # <pvcc/paravirt.h> & co., which the native table and the hypervisor layer include
    inc = os.path.join(pvcc_include_dir(), "pvcc")
    try:
        for name in sorted(os.listdir(inc)):
            with open(os.path.join(inc, name), "rb") as f:
                add("pvcc-include:" + name, f.read())
    except OSError as e:
        raise BuildError(f"pvcc's headers {inc}: {e.strerror}") from None
    root = _runtime_sources_dir()
    for rel in files:
        try:
            with open(os.path.join(root, rel), "rb") as f:
                add("source:" + rel, f.read())
        except OSError as e:
            raise BuildError(f"runtime source {rel}: {e.strerror}") from None
    return h.hexdigest()[:32]


def _run(argv: list[str]) -> tuple[int, str]:
    import subprocess

    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, check=False)
    except OSError as e:
        raise BuildError(f"cannot run {argv[0]}: {e.strerror}") from None
    return p.returncode, p.stdout.decode("utf-8", "replace")


def _build_runtime(compiler: str, flags: tuple[str, ...], ar: str, tmp: str,
                   generated: dict[str, str]) -> None:
    from pvcc.pluginbuild import include_dir as pvcc_include_dir

    root = _runtime_sources_dir()
    for rel, text in generated.items():
        os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
        with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
            f.write(text)
    base = [compiler, *RUNTIME_CFLAGS, *flags, "-isystem", runtime_include_dir(),
            "-isystem", os.path.join(tmp, GENERATED_INCLUDE), f"-I{root}"]

    def compile_(rel: str, obj: str, extra: tuple[str, ...] = ()) -> str:
        out = os.path.join(tmp, obj)
        argv = [*base[:1], *extra, *base[1:], "-c", os.path.join(root, rel), "-o", out]
        if rel in generated:
            argv = [compiler, *flags, "-c", os.path.join(tmp, rel), "-o", out]
        rc, text = _run(argv)
        if rc != 0:
            raise BuildError(f"building pvcc-sim's runtime failed: {rel} (exit {rc})", text)
        return out

    def archive(name: str, objs: list[str]) -> None:
        rc, text = _run([ar, "rcs", os.path.join(tmp, name), *objs])
        if rc != 0:
            raise BuildError(f"building pvcc-sim's runtime failed: ar {name} (exit {rc})", text)

    compile_(CRT0, "crt0.o")
    archive("libc.a", [compile_(src, os.path.splitext(src)[0] + ".o") for src in LIBC_SOURCES])
    pvcc_inc = "-I" + pvcc_include_dir()
    native = os.path.join(root, NATIVE_SOURCE)
    if os.path.isfile(native):
        inc = ("-I" + os.path.join(root, "native", "include"), pvcc_inc)
        archive("native.a", [compile_(NATIVE_SOURCE, "pvcc_native.o", inc),
                             compile_("light_native.s", "light_native.o")])
    archive("hv.a", [*(compile_(src, os.path.basename(src).replace(".", "_") + ".o",
                                (pvcc_inc, *HV_CFLAGS)) for src in HV_SOURCES),
                     compile_("light_thunks.s", "light_thunks.o")])
    with open(os.path.join(tmp, "build.txt"), "w", encoding="utf-8") as f:
        f.write(f"compiler: {compiler}\nflags: {' '.join(flags)}\nrecipe: {RECIPE}\n")


def runtime_dir(compiler: str, flags: tuple[str, ...] = ()) -> str:
    """The directory holding crt0.o, libc.a, native.a, hv.a and the generated
    headers (``include/``) built by ``compiler`` with ABI ``flags``, building it
    first if the cache has none.  Raises :class:`BuildError`."""
    from pvcc.buildcache import build_cache_entry
    from pvcc.compilers import ToolchainError, cache_root, resolve_compiler

    try:
        compiler = resolve_compiler(compiler)
    except ToolchainError as e:
        raise BuildError(str(e)) from None
    ar = _tool("ia64-linux-gnu-ar")
    generated = _generated()
    key = _key(compiler, flags, _source_files(), ar, generated)
    top = os.path.join(cache_root(), "simrt")
    final = os.path.join(top, key)
    if os.path.isfile(os.path.join(final, "build.txt")):
        return final
    try:
        os.makedirs(top, exist_ok=True)
        build_cache_entry(final, "build.txt",
                          lambda tmp: _build_runtime(compiler, flags, ar, tmp, generated))
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        raise BuildError(f"runtime cache{where}: {e.strerror}") from None
    return final


# --------------------------------------------------------------------------
# pvcc-sim cc


class _Args:
    def __init__(self):
        self.plugin = True
        self.impl = "native"
        self.output: str | None = None
        self.compile_opts: list[str] = []   # for every compile
        self.link_opts: list[str] = []      # for the link only
        self.sources: list[str] = []        # .c/.i/.s/.S, compiled one by one
        self.objects: list[str] = []        # .o/.a, linked as given


def _parse(argv: list[str]) -> _Args:
    a = _Args()
    i = 0
    while i < len(argv):
        w = argv[i]
        i += 1
        if w == "--no-plugin":
            a.plugin = False
        elif w == "--impl" or w.startswith("--impl="):
            if w == "--impl":
                if i >= len(argv):
                    raise BuildError("--impl needs a value: native or hv")
                value = argv[i]
                i += 1
            else:
                value = w.partition("=")[2]
            if value not in IMPLS:
                raise BuildError(f"--impl {value!r}: expected native or hv")
            a.impl = value
        elif w == "-o":
            if i >= len(argv):
                raise BuildError("-o needs a file name")
            a.output = argv[i]
            i += 1
        elif w.startswith("-o") and len(w) > 2:
            a.output = w[2:]
        elif w in _STAGE_FLAGS:
            raise BuildError(f"{w}: pvcc-sim cc builds a whole program (use the compiler itself "
                             "for objects)")
        elif w in _TAKES_ARG:
            if i >= len(argv):
                raise BuildError(f"{w} needs an argument")
            pair = [w, argv[i]]
            i += 1
            if w == "-x":
                raise BuildError("-x: name sources by their suffix (.c .i .s .S .o .a)")
            link = w.startswith(_LINK_ONLY_PREFIXES) or w in ("-Xlinker", "-u", "-e", "-z")
            (a.link_opts if link else a.compile_opts).extend(pair)
        elif w.startswith("-") and w != "-":
            if w in _LINK_ONLY or w.startswith(_LINK_ONLY_PREFIXES):
                a.link_opts.append(w)
            else:
                a.compile_opts.append(w)
        elif w.endswith(_C_SUFFIXES + _ASM_SUFFIXES):
            a.sources.append(w)
        elif w.endswith(_OBJ_SUFFIXES):
            a.objects.append(w)
        else:
            raise BuildError(f"{w}: not a source (.c .i .s .S) or object (.o .a) file")
    if a.output is None:
        raise BuildError("no output: pass -o PROG")
    outdir = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(outdir):
        raise BuildError(f"{a.output}: directory {outdir} does not exist")
    if not a.sources and not a.objects:
        raise BuildError("no input files")
    for f in a.sources + a.objects:
        if not os.path.isfile(f):
            raise BuildError(f"{f}: no such file")
    return a


def _elf_problem(path: str) -> str | None:
    """Why ``path`` is not a static IA-64 ET_EXEC with an entry point, or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as e:
        return e.strerror
    from pvcc.objects import identity_problem

    problem = identity_problem(head)
    if problem:
        return problem
    e_type = int.from_bytes(head[16:18], "little")
    e_entry = int.from_bytes(head[24:32], "little")
    if e_type != 2:
        return f"e_type {e_type}, not ET_EXEC"
    if e_entry == 0:
        return "no entry point"
    return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def build(argv: list[str], stderr=None) -> int:
    """Run ``pvcc-sim cc`` on ``argv``; raises :class:`BuildError`; returns the exit
    status of a failing compiler or linker (its diagnostics already printed on
    ``stderr``: a file object or descriptor for the compilers, default inherited),
    or 0."""
    import shutil
    import subprocess
    import tempfile

    from pvcc.toolchain import ToolchainError, find_compiler

    a = _parse(argv)
    try:
        compiler = find_compiler()
    except ToolchainError as e:
        raise BuildError(str(e)) from None
    flags = abi_flags(a.compile_opts)
    rt = runtime_dir(compiler, flags)
    impl_lib = os.path.join(rt, f"{a.impl}.a")
    if not os.path.isfile(impl_lib):
        raise BuildError(f"--impl {a.impl}: {NATIVE_SOURCE} is missing from the runtime "
                         "sources (it links to the repository's kernel/pvcc_native.c)")

    out = os.path.abspath(a.output)
    _remove(out)
    from pvcc.pluginbuild import include_dir as pvcc_include_dir

    inc = ["-isystem", runtime_include_dir(), "-isystem", pvcc_include_dir(),
           "-isystem", os.path.join(rt, GENERATED_INCLUDE)]
    front = [sys.executable, "-m", "pvcc.driver", compiler] if a.plugin else [compiler]
    tmpdir = tempfile.mkdtemp(prefix="pvcc-sim-cc-")
    try:
        objs = []
        for n, src in enumerate(a.sources):
            obj = os.path.join(tmpdir, f"{n}-{os.path.basename(src)}.o")
            is_c = src.endswith(_C_SUFFIXES)
            cmd = (front if is_c else [compiler]) + a.compile_opts + inc + ["-c", src, "-o", obj]
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=stderr,
                                check=False).returncode
            if rc != 0:
                return rc if rc > 0 else 1
            objs.append(obj)
        tmp_out = f"{out}.tmp{os.getpid()}"
        cmd = [compiler, "-nostdlib", "-static", *a.compile_opts, *a.link_opts,
               os.path.join(rt, "crt0.o"), *objs, *a.objects, impl_lib,
               os.path.join(rt, "libc.a"), "-o", tmp_out]
        try:
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=stderr,
                                check=False).returncode
            if rc != 0:
                return rc if rc > 0 else 1
            problem = _elf_problem(tmp_out)
            if problem:
                raise BuildError(f"{a.output}: the link produced no program: {problem}")
            os.replace(tmp_out, out)
        finally:
            _remove(tmp_out)
    except OSError as e:
        raise BuildError(f"{e.filename or a.output}: {e.strerror}") from None
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


def build_logged(args: list[str], log) -> str | None:
    """``pvcc-sim cc ARGS`` in this process, its diagnostics into LOG (a binary file
    open for reading and writing): None when the program was written, else the
    first error line (of the compiler, the linker or pvcc-sim cc)."""
    try:
        rc = build(args, stderr=log)
    except BuildError as e:
        return f"pvcc-sim: error: {e}"
    log.seek(0)
    text = log.read().decode("utf-8", "replace")
    if rc == 0 and os.path.isfile(args[args.index("-o") + 1]):
        return None
    lines = [ln for ln in text.splitlines() if ": error:" in ln] or text.splitlines()
    return (lines or [f"exit {rc}"])[0]


def cc_main(argv: list[str]) -> int:
    """``pvcc-sim cc ARGS``: ``argv`` is what follows ``cc``.  Returns the exit status."""
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        return build(argv)
    except BuildError as e:
        if e.output:
            sys.stderr.write(e.output if e.output.endswith("\n") else e.output + "\n")
        print(f"pvcc-sim: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(cc_main(sys.argv[1:]))
