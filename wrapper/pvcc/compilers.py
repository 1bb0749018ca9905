"""Where the provisioned IA-64 compilers live, and which one pvcc uses.

This is the compiler lookup of the CC hot path: the driver imports it on every
compile, so it imports nothing but ``os`` and only stats files.  A compiler's
identity for the content-keyed caches (``pvcc.pluginbuild``'s plugins,
pvcc-sim's runtime) is here too: ``resolve_compiler``, ``compiler_identity``,
``stat_line`` -- stat data only, so the plugin's hot path needs nothing else.  Building
compilers is ``pvcc.toolchain``'s job; the cache layout both share is here:

    <root>                  $PVCC_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/pvcc
    <root>/gcc-N/           install prefix; bin/ia64-linux-gnu-gcc,
                            pvcc-toolchain.json (the stamp, written last)
    <root>/build/gcc-N/src  unpacked + patched source (made via src.tmp, renamed)
    <root>/build/gcc-N/obj  configure/make directory (re-running make resumes)
    <root>/apt/             private apt configuration (sources not in the host release)
    <root>/locks/           flock files, one per version (+ one for apt)
    <root>/plugins/         pvcc.so built per compiler (pvcc.pluginbuild)
"""

import os

SUPPORTED = (11, 12, 13, 14, 15, 16)
DEFAULT_VERSION = 12
TARGET = "ia64-linux-gnu"
GCC_NAME = TARGET + "-gcc"
STAMP_NAME = "pvcc-toolchain.json"


class ToolchainError(Exception):
    """A user-facing failure; ``str()`` is a one-line message."""


class UnsupportedVersion(ToolchainError):
    pass


def cache_root() -> str:
    """The cache root: ``$PVCC_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/pvcc``."""
    env = os.environ.get("PVCC_CACHE_DIR")
    if env:
        return os.path.abspath(os.path.expanduser(env))
    xdg = os.environ.get("XDG_CACHE_HOME")
    if not xdg or not os.path.isabs(xdg):
        xdg = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "pvcc")


class CacheLayout:
    """The paths of one cache root, computed once from the environment."""

    __slots__ = ("apt", "build", "locks", "plugins", "root")

    def __init__(self, root: str | None = None):
        self.root = root if root is not None else cache_root()
        self.build = os.path.join(self.root, "build")
        self.apt = os.path.join(self.root, "apt")
        self.locks = os.path.join(self.root, "locks")
        self.plugins = os.path.join(self.root, "plugins")

    def gcc_dir(self, version: int) -> str:
        """Install prefix of GCC ``version``: ``<root>/gcc-N``."""
        return os.path.join(self.root, f"gcc-{int(version)}")

    def build_dir(self, version: int) -> str:
        """Build tree of GCC ``version``: ``<root>/build/gcc-N`` (holds src/ and obj/)."""
        return os.path.join(self.build, f"gcc-{int(version)}")

    def compiler(self, version: int) -> str:
        return os.path.join(self.gcc_dir(version), "bin", GCC_NAME)

    def stamp(self, version: int) -> str:
        return os.path.join(self.gcc_dir(version), STAMP_NAME)

    def versions(self) -> list[int]:
        """Major versions that have a ``gcc-N`` directory in the root, oldest first."""
        return versions_in(self.root)

    def ready(self, version: int) -> str | None:
        """The compiler of a finished install (non-empty stamp, executable driver), else None.

        Stats two files; the full validation is ``pvcc.toolchain.inspect_entry``.
        """
        try:
            if os.stat(self.stamp(version)).st_size == 0:
                return None
        except OSError:
            return None
        gcc = self.compiler(version)
        return gcc if os.access(gcc, os.X_OK) else None

    def not_provisioned(self, version: int) -> str:
        return (f"GCC {version} is not provisioned in {self.root}: "
                f"run pvcc-toolchain install --gcc {version}")


def versions_in(directory: str) -> list[int]:
    """N of every ``gcc-N`` entry of directory, sorted (none if it cannot be listed)."""
    out = []
    try:
        with os.scandir(directory) as it:
            for e in it:
                if e.name.startswith("gcc-") and e.name[4:].isdigit():
                    out.append(int(e.name[4:]))
    except OSError:
        pass
    return sorted(out)


def check_version(version) -> int:
    """``version`` as a supported GCC major version, else UnsupportedVersion."""
    try:
        v = int(version)
    except (TypeError, ValueError):
        raise UnsupportedVersion(f"not a GCC major version: {version!r}") from None
    if v not in SUPPORTED:
        raise UnsupportedVersion(
            f"unsupported GCC version {v} (supported: {', '.join(map(str, SUPPORTED))})")
    return v


def which(name: str) -> str | None:
    """The first executable file called name on $PATH (shutil.which, without shutil)."""
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(d or os.curdir, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def find_compiler(version: int | None = None) -> str:
    """Path of the IA-64 GCC to use.

    Order: ``version`` if given (from the cache), else ``$PVCC_GCC`` (a path or
    name of a gcc binary, or a major version number looked up in the cache), else
    the cache (GCC 12 if provisioned, else the newest provisioned), else
    ``ia64-linux-gnu-gcc`` on PATH.  Raises :class:`ToolchainError` if none.
    """
    cache = CacheLayout()
    if version is not None:
        v = check_version(version)
        found = cache.ready(v)
        if found:
            return found
        raise ToolchainError(cache.not_provisioned(v))
    env = os.environ.get("PVCC_GCC", "").strip()
    if env:
        if env.isdigit():
            found = cache.ready(int(env))
            if found:
                return found
            raise ToolchainError(f"PVCC_GCC={env}: " + cache.not_provisioned(int(env)))
        if os.sep in env:
            path = os.path.abspath(os.path.expanduser(env))
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            raise ToolchainError(f"PVCC_GCC={env}: not an executable file")
        path = which(env)
        if path:
            return path
        raise ToolchainError(f"PVCC_GCC={env}: not found on PATH")
    for v in (DEFAULT_VERSION, *reversed(cache.versions())):
        found = cache.ready(v)
        if found:
            return found
    path = which(GCC_NAME)
    if path:
        return path
    raise ToolchainError(
        f"no IA-64 GCC found (none provisioned in {cache.root}, no {GCC_NAME} on PATH): "
        f"run pvcc-toolchain install --gcc {DEFAULT_VERSION}")


# --------------------------------------------------------------------------
# identity: what changes when a compiler is rebuilt (stat data only)


def stat_line(path: str, with_ctime: bool = False) -> str:
    """NUL-separated path, size, mtime, inode and device (and ctime) of ``path``."""
    st = os.stat(path)
    line = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_dev}"
    if with_ctime:
        line += f"\0{st.st_ctime_ns}"
    return line


def _cc1_candidates(driver_real: str) -> list[str]:
    """cc1 binaries of the installation the driver belongs to, found by a
    couple of directory listings (no subprocess)."""
    prefix = os.path.dirname(os.path.dirname(driver_real))
    found = []
    for sub in ("libexec/gcc", "lib/gcc"):
        base = os.path.join(prefix, sub)
        try:
            machines = sorted(os.listdir(base))
        except OSError:
            continue
        for machine in machines:
            try:
                versions = sorted(os.listdir(os.path.join(base, machine)))
            except OSError:
                continue
            for version in versions:
                cc1 = os.path.join(base, machine, version, "cc1")
                if os.path.isfile(cc1):
                    found.append(cc1)
    return found


def resolve_compiler(compiler: str) -> str:
    """Absolute path of the compiler (searching PATH for a bare name); ToolchainError
    when there is none."""
    if os.sep in compiler:
        path = compiler
    else:
        path = which(compiler)
        if path is None:
            raise ToolchainError(f"compiler {compiler!r} not found on PATH")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ToolchainError(f"compiler {compiler!r} is not an executable file")
    return os.path.abspath(path)


def compiler_identity(compiler_abs: str) -> list[str]:
    """Stat lines (``stat_line``) of the compiler's real driver and of the ``cc1``
    binaries beside it: what changes when it is rebuilt."""
    real = os.path.realpath(compiler_abs)
    lines = [stat_line(real)]
    lines.extend(stat_line(p) for p in _cc1_candidates(real))
    return lines
