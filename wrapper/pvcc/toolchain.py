"""Provision IA-64 cross compilers (``pvcc-toolchain``).

Debian ships ``binutils-ia64-linux-gnu`` but no IA-64 GCC; it does ship GCC
sources as ``gcc-N-source``.  ``pvcc-toolchain install --gcc N`` builds a
C-only ``ia64-linux-gnu`` GCC of major version N from them, with the plugin
headers, into the per-user cache whose layout ``pvcc.compilers`` describes.

This is the slow path: the CC wrapper finds compilers with
``pvcc.compilers.find_compiler`` and never imports this module.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import __version__, aptsource, cli, objects
from .compilers import (
    DEFAULT_VERSION,
    GCC_NAME,
    STAMP_NAME,
    SUPPORTED,
    TARGET,
    CacheLayout,
    ToolchainError,
    UnsupportedVersion,
    check_version,
    find_compiler,
    versions_in,
)

__all__ = [
    "DEFAULT_VERSION", "GCC_NAME", "STAMP_NAME", "SUPPORTED", "TARGET", "Installer",
    "MissingPackages", "Toolchain", "ToolchainError", "UnsupportedVersion", "build_dir",
    "cache_dir", "check_version", "ensure_host_packages", "find_compiler", "gcc_dir",
    "inspect_entry", "is_ia64_object", "main", "missing_packages", "provisioned",
    "verify_compiler",
]

PROG = "pvcc-toolchain"
STAMP_SCHEMA = 1

#: Debian packages the build needs on the host (besides the GCC source).
HOST_PACKAGES = ("binutils-ia64-linux-gnu", "libgmp-dev", "libmpfr-dev", "libmpc-dev",
                 "make", "g++", "patch", "xz-utils")
HOST_CFLAGS = "-O1 -g0"
BINUTILS_AS = "/usr/bin/ia64-linux-gnu-as"
BINUTILS_LD = "/usr/bin/ia64-linux-gnu-ld"
CONFIGURE_OPTIONS = (
    "--target=" + TARGET, "--enable-languages=c", "--disable-bootstrap", "--without-headers",
    "--with-newlib", "--disable-shared", "--disable-threads", "--disable-multilib",
    "--disable-nls", "--disable-lto", "--enable-plugin", "--enable-obsolete",
    "--disable-libssp", "--disable-libquadmath", "--disable-libgomp", "--disable-libatomic",
    "--disable-libstdcxx", "--disable-libsanitizer", "--disable-libvtv", "--disable-libitm",
    "--with-as=" + BINUTILS_AS, "--with-ld=" + BINUTILS_LD,
)
#: Objects (``*.o`` under obj/) a finished ``make all-gcc`` leaves, for the progress bar.
#: Measured; other versions use the nearest known value (the bar stops at 99 % until done).
EXPECTED_OBJECTS = {11: 863, 12: 880, 13: 894, 14: 946, 15: 987, 16: 1020}

PROBE_C = r"""
struct pvcc_probe { long a, b; };
long pvcc_probe_sum(const struct pvcc_probe *p, long n)
{
    long s = 0;
    for (long i = 0; i < n; i++)
        s += p[i].a * 3 + (p[i].b >> 2);
    return s;
}
"""


# ---------------------------------------------------------------------------
# Cache paths, as Path objects for the provisioning code

def cache_dir() -> Path:
    """The cache root: ``$PVCC_CACHE_DIR`` or ``${XDG_CACHE_HOME:-~/.cache}/pvcc``."""
    return Path(CacheLayout().root)


def gcc_dir(version: int) -> Path:
    """Install prefix of GCC ``version``: ``<cache>/gcc-N``."""
    return Path(CacheLayout().gcc_dir(version))


def build_dir(version: int) -> Path:
    """Build tree of GCC ``version``: ``<cache>/build/gcc-N`` (holds src/ and obj/)."""
    return Path(CacheLayout().build_dir(version))


# ---------------------------------------------------------------------------
# Records of provisioned compilers

class Toolchain:
    """One provisioned compiler (a valid cache entry)."""

    __slots__ = ("full_version", "gcc", "plugin_include", "prefix", "stamp", "version")

    def __init__(self, version, full_version, prefix, gcc, plugin_include, stamp):
        self.version = version                  # int, major
        self.full_version = full_version        # e.g. "12.2.0"
        self.prefix = prefix                    # Path, <cache>/gcc-N
        self.gcc = gcc                          # Path of ia64-linux-gnu-gcc
        self.plugin_include = plugin_include    # Path of the plugin headers
        self.stamp = stamp                      # dict, the JSON stamp

    @property
    def plugin_headers(self) -> bool:
        return (self.plugin_include / "gcc-plugin.h").is_file()

    def as_dict(self) -> dict:
        return {"version": self.version, "full_version": self.full_version,
                "prefix": str(self.prefix), "gcc": str(self.gcc),
                "plugin_include": str(self.plugin_include),
                "plugin_headers": self.plugin_headers,
                "version_string": self.stamp.get("version_string")}

    def __repr__(self):
        return f"Toolchain(version={self.version}, full_version={self.full_version!r}, gcc='{self.gcc}')"


def _layout(prefix, full_version: str):
    """(compiler, cc1, plugin include dir) of an install prefix."""
    prefix = Path(prefix)
    return (prefix / "bin" / GCC_NAME,
            prefix / "libexec" / "gcc" / TARGET / full_version / "cc1",
            prefix / "lib" / "gcc" / TARGET / full_version / "plugin" / "include")


def inspect_entry(version: int, cache: CacheLayout | None = None):
    """(Toolchain, None) for a valid cache entry, else (None, reason).

    Checks the stamp (present, valid JSON, this version), the driver, cc1 and
    the plugin headers; runs nothing.  :func:`verify_compiler` does the
    compile check.
    """
    prefix = Path((cache or CacheLayout()).gcc_dir(version))
    stamp_path = prefix / STAMP_NAME
    if not prefix.is_dir():
        return None, "not installed"
    try:
        stamp = json.loads(stamp_path.read_text())
    except FileNotFoundError:
        return None, "stamp missing"
    except (OSError, ValueError) as e:
        return None, f"stamp unreadable ({e.__class__.__name__})"
    if (not isinstance(stamp, dict) or stamp.get("schema") != STAMP_SCHEMA
            or stamp.get("version") != version or not isinstance(stamp.get("full_version"), str)):
        return None, "stamp invalid"
    gcc, cc1, plugin = _layout(prefix, stamp["full_version"])
    if not (gcc.is_file() and os.access(gcc, os.X_OK)):
        return None, f"{gcc.name} missing"
    if not cc1.is_file():
        return None, "cc1 missing"
    if not (plugin / "gcc-plugin.h").is_file():
        return None, "plugin headers missing"
    return Toolchain(version, stamp["full_version"], prefix, gcc, plugin, stamp), None


def provisioned(cache: CacheLayout | None = None) -> list:
    """Valid cache entries, as :class:`Toolchain` records, oldest version first."""
    cache = cache or CacheLayout()
    out = []
    for v in cache.versions():
        tc, _ = inspect_entry(v, cache)
        if tc is not None:
            out.append(tc)
    return out


def is_ia64_object(path) -> tuple[bool, str]:
    """(ok, description) of an ELF file: ELF64, little-endian, EM_IA_64."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
    except OSError as e:
        return False, f"cannot read object: {e.strerror}"
    problem = objects.identity_problem(header)
    if problem:
        return False, problem
    return True, "ELF64 LSB relocatable, IA-64"


def verify_compiler(gcc) -> tuple[bool, str]:
    """Compile and assemble a C snippet with ``gcc -c``; check the object is IA-64."""
    with tempfile.TemporaryDirectory(prefix="pvcc-probe-") as tmp:
        src = os.path.join(tmp, "probe.c")
        obj = os.path.join(tmp, "probe.o")
        with open(src, "w") as f:
            f.write(PROBE_C)
        try:
            p = subprocess.run([str(gcc), "-O2", "-c", src, "-o", obj], check=False, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=120)
        except OSError as e:
            return False, f"cannot run {gcc}: {e.strerror}"
        except subprocess.TimeoutExpired:
            return False, "snippet compile timed out"
        if p.returncode != 0:
            last = (p.stdout.strip().splitlines() or ["(no output)"])[-1]
            return False, f"snippet compile failed: {last}"
        return is_ia64_object(obj)


# ---------------------------------------------------------------------------
# Progress

def _fmt_secs(s: float) -> str:
    s = int(s + 0.5)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Progress:
    """Step lines on stderr: live on a terminal, periodic lines in logs, none with --quiet."""

    STEPS = 6

    def __init__(self, version: int, quiet: bool = False, stream=None):
        self.version = version
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.lock = threading.Lock()
        self.step_no = 0
        self.title = ""
        self.start = 0.0
        self.counter = None        # callable -> (done, expected) during the compile
        self.last_line = 0.0
        self._stop = None
        self._thread = None

    def note(self, msg: str) -> None:
        if not self.quiet:
            with self.lock:
                self._clear()
                print(f"pvcc-toolchain: {msg}", file=self.stream, flush=True)

    def _clear(self):
        if self.tty and self.title:
            self.stream.write("\r\x1b[K")

    def _status(self) -> str:
        el = _fmt_secs(time.monotonic() - self.start)
        head = f"  [{self.step_no}/{self.STEPS}] {self.title}"
        if self.counter:
            done, exp = self.counter()
            frac = min(done / exp, 0.99) if exp else 0.0
            width = 24
            fill = int(frac * width)
            bar = "#" * fill + "." * (width - fill)
            return f"{head}  {done}/{exp} objects [{bar}] {int(frac * 100):2d}%  {el}"
        return f"{head} ... {el}"

    def _tick(self):
        while not self._stop.wait(1.0 if self.tty else 5.0):
            with self.lock:
                if self.tty:
                    self.stream.write("\r" + self._status() + "\x1b[K")
                    self.stream.flush()
                elif time.monotonic() - self.last_line >= 60:
                    self.last_line = time.monotonic()
                    print(self._status(), file=self.stream, flush=True)

    def begin(self, title: str, counter=None) -> None:
        self.step_no += 1
        self.title = title
        self.counter = counter
        self.start = self.last_line = time.monotonic()
        if self.quiet:
            return
        with self.lock:
            if self.tty:
                self.stream.write(self._status())
            else:
                self.stream.write(f"  [{self.step_no}/{self.STEPS}] {title} ...\n")
            self.stream.flush()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)
        self._thread.start()

    def end(self, result: str = "done") -> float:
        took = time.monotonic() - self.start
        if self._thread:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if not self.quiet:
            with self.lock:
                extra = ""
                if self.counter:
                    done, _ = self.counter()
                    extra = f", {done} objects"
                line = f"  [{self.step_no}/{self.STEPS}] {self.title}: {result} ({_fmt_secs(took)}{extra})"
                if self.tty:
                    self.stream.write("\r" + line + "\x1b[K\n")
                else:
                    self.stream.write(line + "\n")
                self.stream.flush()
        self.title = ""
        self.counter = None
        return took

    def skip(self, title: str, why: str) -> None:
        self.step_no += 1
        if not self.quiet:
            with self.lock:
                print(f"  [{self.step_no}/{self.STEPS}] {title}: {why}", file=self.stream, flush=True)

    def abort(self) -> None:
        if self._thread:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if not self.quiet and self.tty and self.title:
            self.stream.write("\n")
            self.stream.flush()
        self.title = ""


# ---------------------------------------------------------------------------
# Provisioning (slow path; imports are local to it)

class Installer:
    def __init__(self, version: int, quiet: bool = False, jobs: int | None = None,
                 force: bool = False, out=None):
        self.version = version
        self.quiet = quiet
        self.jobs = jobs or int(os.environ.get("PVCC_TOOLCHAIN_JOBS") or 0) or os.cpu_count() or 1
        self.force = force
        self.out = out or sys.stdout
        self.cache = CacheLayout()
        self.root = Path(self.cache.root)
        self.prefix = Path(self.cache.gcc_dir(version))
        self.bdir = Path(self.cache.build_dir(version))
        self.src = self.bdir / "src"
        self.obj = self.bdir / "obj"
        self.log_path = self.bdir / "build.log"
        self.progress = Progress(version, quiet)
        self._log = None

    # -- logging -----------------------------------------------------------
    def log(self, text: str) -> None:
        if self._log is None:
            self.bdir.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "a", buffering=1)  # noqa: SIM115 (kept for the run)
        self._log.write(text if text.endswith("\n") else text + "\n")

    def _tail(self, n: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 16384))
                lines = f.read().decode(errors="replace").splitlines()[-n:]
        except OSError:
            return ""
        return "\n".join("    " + ln for ln in lines)

    def run(self, cmd, cwd=None, env=None, what=None) -> None:
        """Run ``cmd`` with output to the build log; kill its process group on interrupt."""
        self.log(f"$ {shlex.join(map(str, cmd))}" + (f"   (in {cwd})" if cwd else ""))
        self._log.flush()
        full_env = dict(os.environ, LC_ALL="C")
        if env:
            full_env.update(env)
        try:
            p = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=full_env,
                                 stdin=subprocess.DEVNULL, stdout=self._log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            raise ToolchainError(f"cannot run {cmd[0]}: {e.strerror}") from None
        try:
            rc = p.wait()
        except BaseException:
            # Interrupted: stop the whole job (make and its children) before leaving.
            for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            raise
        if rc != 0:
            self.progress.abort()
            what = what or shlex.join(map(str, cmd[:3]))
            tail = self._tail()
            raise ToolchainError(
                f"GCC {self.version}: {what} failed (exit {rc}); full log: {self.log_path}"
                + ("\n" + tail if tail and not self.quiet else ""))

    # -- main entry ----------------------------------------------------------
    def install(self) -> int:
        t0 = time.monotonic()
        v = self.version
        if not self.force:
            tc, reason = self._check()
            if tc is not None:
                print(f"pvcc-toolchain: GCC {v} ({tc.full_version}) already provisioned in "
                      f"{tc.prefix}; nothing to do ({time.monotonic() - t0:.2f}s)", file=self.out)
                return 0
        else:
            reason = "--force"
        with self._locked(f"gcc-{v}", f"GCC {v}"):
            if not self.force:
                tc, reason2 = self._check()
                if tc is not None:
                    print(f"pvcc-toolchain: GCC {v} ({tc.full_version}) was provisioned in "
                          f"{tc.prefix} by another process; reusing it", file=self.out)
                    return 0
                reason = reason2
            if self.force:
                self.progress.note(f"GCC {v}: reinstalling (--force)")
            elif reason != "not installed":
                self.progress.note(f"GCC {v} cache entry in {self.prefix} not usable "
                                   f"({reason}): rebuilding")
            try:
                return self._provision(t0)
            except BaseException:
                self.progress.abort()
                raise

    def _check(self):
        tc, reason = inspect_entry(self.version, self.cache)
        if tc is None:
            return None, reason
        ok, why = verify_compiler(tc.gcc)
        if not ok:
            return None, why
        return tc, None

    def _locked(self, name: str, what: str):

        @contextlib.contextmanager
        def cm():
            lockdir = Path(self.cache.locks)
            lockdir.mkdir(parents=True, exist_ok=True)
            fd = os.open(lockdir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    self.progress.note(f"waiting for another pvcc-toolchain (pid {holder}) "
                                       f"working on {what} ...")
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                yield
            finally:
                os.close(fd)        # releases the lock
        return cm()

    def _provision(self, t0: float) -> int:
        v = self.version
        self.log(f"\n===== pvcc-toolchain install --gcc {v}: {time.strftime('%Y-%m-%d %H:%M:%S')} =====")
        self._check_disk()
        src_info = self._read_source_info()
        resumed = self.obj.joinpath("Makefile").exists()
        if resumed:
            self.progress.note(f"GCC {v}: resuming the build in {self.obj}")

        # 1. host packages (and the source package, when the host release has it)
        p = self.progress
        p.begin("host packages")
        source = None if self.src.is_dir() else self._locate_source()
        needed = list(HOST_PACKAGES) + _extra_packages()
        if source and source[0] == "host-package":
            needed.append(f"gcc-{v}-source")
        installed = ensure_host_packages(needed, self, what=f"GCC {v}")
        p.end(f"installed {' '.join(installed)}" if installed else "all present")

        # 2. sources
        if self.src.is_dir():
            p.skip("sources", f"already unpacked in {self.src}")
        else:
            p.begin("fetching and unpacking sources")
            src_info = self._fetch_and_unpack(source)
            p.end()

        # 3. configure
        if self._configured():
            p.skip("configure", "already configured")
        else:
            p.begin("configure")
            self._configure()
            p.end()

        # 4. compile
        counter = self._object_counter()
        p.begin(f"compiling (make -j{self.jobs} all-gcc)", counter)
        self.run(["make", f"-j{self.jobs}", "all-gcc"], cwd=self.obj, what="make all-gcc")
        compile_secs = p.end()
        objects = counter()[0]

        # 5. install into a staging dir, then move into place
        p.begin("installing (make install-strip-gcc)")
        staged = self._install_staged()
        p.end()

        # 6. verify, publish, stamp
        p.begin("checking the compiler")
        stamp = self._verify_and_publish(staged, src_info, t0, compile_secs, objects, resumed)
        p.end(f"ok, {stamp['version_string']}")
        took = time.monotonic() - t0
        print(f"pvcc-toolchain: GCC {v} ({stamp['full_version']}) provisioned in {self.prefix} "
              f"in {_fmt_secs(took)}; compiler: {self.prefix / 'bin' / GCC_NAME}", file=self.out)
        return 0

    # -- steps -------------------------------------------------------------
    def _check_disk(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.root).free
        if free < 3 * 2**30 and not self.src.is_dir():
            self.progress.note(f"warning: only {free / 2**30:.1f} GiB free in {self.root}; "
                               "a build needs about 2 GiB")

    def _read_source_info(self) -> dict:
        try:
            return json.loads((self.bdir / "source.json").read_text())
        except (OSError, ValueError):
            pass
        # A tree unpacked by hand from the host's package.
        if glob_first(f"/usr/src/gcc-{self.version}/gcc-*.tar.*"):
            return {"package": f"gcc-{self.version}-source",
                    "version": _dpkg_version(f"gcc-{self.version}-source"), "from": "host"}
        return {"package": f"gcc-{self.version}-source", "version": None, "from": None}

    def _locate_source(self):
        """("host", tarball) | ("host-package", None) | ("private", None)."""
        v = self.version
        tarball = glob_first(f"/usr/src/gcc-{v}/gcc-{v}*.tar.*") or \
            glob_first(f"/usr/src/gcc-{v}/gcc-*.tar.*")
        if tarball:
            return ("host", tarball)
        if aptsource.host_candidate(f"gcc-{v}-source"):
            return ("host-package", None)
        return ("private", None)

    def _fetch_and_unpack(self, source) -> dict:
        v = self.version
        kind, tarball = source
        pkgroot = None
        if kind == "host-package":
            tarball = glob_first(f"/usr/src/gcc-{v}/gcc-{v}*.tar.*") or \
                glob_first(f"/usr/src/gcc-{v}/gcc-*.tar.*")
            if not tarball:
                raise ToolchainError(f"gcc-{v}-source is installed but /usr/src/gcc-{v} "
                                     "holds no gcc tarball")
            kind = "host"
        if kind == "host":
            info = {"package": f"gcc-{v}-source", "version": _dpkg_version(f"gcc-{v}-source"),
                    "from": "host"}
            srcpkg = os.path.dirname(tarball)
        else:
            apt = aptsource.PrivateApt(Path(self.cache.apt), log=self.log)
            try:
                with self._locked("apt", "the private apt configuration"):
                    deb = apt.download(f"gcc-{v}-source")
                pkgroot = self.bdir / "deb"
                if pkgroot.exists():
                    shutil.rmtree(pkgroot)
                aptsource.extract(deb, pkgroot)
            except aptsource.AptError as e:
                raise ToolchainError(f"GCC {v}: {e}") from None
            info = {"package": f"gcc-{v}-source", "version": aptsource.deb_version(deb),
                    "from": "private apt", "deb": deb.name}
            srcpkg = str(pkgroot / "usr" / "src" / f"gcc-{v}")
            tarball = glob_first(f"{srcpkg}/gcc-{v}*.tar.*") or glob_first(f"{srcpkg}/gcc-*.tar.*")
            if not tarball:
                raise ToolchainError(f"GCC {v}: {deb.name} holds no gcc tarball in /usr/src/gcc-{v}")
        self.log(f"source: {tarball} ({info})")
        tmp = self.bdir / "src.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        self.run(["tar", "-xf", tarball, "-C", tmp, "--strip-components=1"], what="unpacking")
        patch = os.path.join(srcpkg, "patches", "gcc-gfdl-build.diff")
        if os.path.isfile(patch):
            self.run(["patch", "-p2", "--batch", "--forward", "-i", patch], cwd=tmp,
                     what="patch -p2 < gcc-gfdl-build.diff")
            info["patches"] = ["gcc-gfdl-build.diff"]
        else:
            self.progress.note(f"warning: {patch} not found; building unpatched")
        # A fresh source invalidates any object dir built from another one.
        if self.obj.exists():
            shutil.rmtree(self.obj)
        (tmp / ".pvcc-source.json").write_text(json.dumps(info))
        os.rename(tmp, self.src)
        (self.bdir / "source.json").write_text(json.dumps(info, indent=1) + "\n")
        if pkgroot is not None:
            shutil.rmtree(pkgroot, ignore_errors=True)     # the .deb stays in <cache>/apt/debs
        return info

    def configure_args(self) -> list[str]:
        return [f"--prefix={self.prefix}", *CONFIGURE_OPTIONS]

    def configure_line(self) -> str:
        return (f"CFLAGS={shlex.quote(HOST_CFLAGS)} CXXFLAGS={shlex.quote(HOST_CFLAGS)} "
                + shlex.join(["../src/configure", *self.configure_args()]))

    def _configured(self) -> bool:
        """obj/ holds a finished top-level configure with our options (any prefix)."""
        if not (self.obj / "config.status").is_file() or not (self.obj / "Makefile").is_file():
            if self.obj.exists():
                shutil.rmtree(self.obj)     # an interrupted configure: start it again
            return False
        p = subprocess.run(["sh", "./config.status", "--config"], check=False, cwd=self.obj,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            have = shlex.split(p.stdout)
        except ValueError:
            have = []

        def norm(args):
            return {a for a in args
                    if not a.startswith(("--prefix=", "target_alias=", "CFLAGS=", "CXXFLAGS="))}
        want = norm(self.configure_args()) | {"--enable-languages=c"}
        if p.returncode == 0 and norm(have) == want \
                and f"CFLAGS={HOST_CFLAGS}" in have and f"CXXFLAGS={HOST_CFLAGS}" in have:
            return True
        self.progress.note(f"GCC {self.version}: {self.obj} was configured differently; "
                           "reconfiguring from scratch")
        self.log(f"config.status --config: {p.stdout.strip()}")
        shutil.rmtree(self.obj)
        return False

    def _configure(self) -> None:
        self.obj.mkdir(parents=True, exist_ok=True)
        self.log(f"configure: {self.configure_line()}")
        self.run(["../src/configure", *self.configure_args()], cwd=self.obj,
                 env={"CFLAGS": HOST_CFLAGS, "CXXFLAGS": HOST_CFLAGS}, what="configure")

    def _object_counter(self):
        obj = str(self.obj)
        known = sorted(EXPECTED_OBJECTS, key=lambda k: abs(k - self.version))
        expected = EXPECTED_OBJECTS[known[0]] if known else 900
        cache = {"t": 0.0, "n": 0}

        def count():
            now = time.monotonic()
            if now - cache["t"] >= 1.5:
                n = 0
                for _dir, _subdirs, files in os.walk(obj):
                    n += sum(1 for f in files if f.endswith(".o"))
                cache["t"], cache["n"] = now, n
            n = cache["n"]
            return n, max(expected, n)
        return count

    def _install_staged(self):
        staging = self.root / f".gcc-{self.version}.staging"
        if staging.exists():
            shutil.rmtree(staging)
        self.run(["make", "install-strip-gcc", f"DESTDIR={staging}"], cwd=self.obj,
                 what="make install-strip-gcc")
        # The tree lands under DESTDIR + the configured prefix (which may be another
        # cache root if obj/ was copied): find it by its driver.
        for dirpath, dirnames, files in os.walk(staging):
            if os.path.basename(dirpath) == "bin" and GCC_NAME in files:
                return staging, Path(dirpath).parent
            dirnames[:] = [d for d in dirnames if d not in ("share", "include", "libexec")]
        raise ToolchainError(f"GCC {self.version}: make install-strip-gcc produced no {GCC_NAME}")

    def _verify_and_publish(self, staged, src_info, t0, compile_secs, objects, resumed) -> dict:
        staging, tree = staged
        gcc = tree / "bin" / GCC_NAME
        ok, why = verify_compiler(gcc)
        if not ok:
            raise ToolchainError(f"GCC {self.version}: the built compiler fails the check: {why}")
        full = subprocess.run([str(gcc), "-dumpfullversion"], check=False, stdout=subprocess.PIPE,
                              text=True).stdout.strip()
        vs = subprocess.run([str(gcc), "--version"], check=False, stdout=subprocess.PIPE,
                            text=True).stdout.splitlines()
        _, cc1, plugin = _layout(tree, full)
        if not cc1.is_file():
            raise ToolchainError(f"GCC {self.version}: installed tree has no cc1 for {full}")
        if not (plugin / "gcc-plugin.h").is_file():
            raise ToolchainError(f"GCC {self.version}: plugin headers missing in {plugin}; "
                                 "was GCC configured with --enable-plugin?")
        if not full.startswith(f"{self.version}."):
            raise ToolchainError(f"GCC {self.version}: built compiler reports version {full}")
        # Publish: replace whatever was there (an invalid entry) by the new tree.
        old = self.root / f".gcc-{self.version}.old"
        if old.exists():
            shutil.rmtree(old)
        if self.prefix.exists() or self.prefix.is_symlink():
            os.rename(self.prefix, old)
        os.rename(tree, self.prefix)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        stamp = {
            "schema": STAMP_SCHEMA,
            "version": self.version,
            "full_version": full,
            "version_string": vs[0] if vs else "",
            "target": TARGET,
            "compiler": f"bin/{GCC_NAME}",
            "plugin_include": str(plugin.relative_to(tree)),
            "source": src_info,
            "configure": self.configure_line(),
            "jobs": self.jobs,
            "objects": objects,
            "resumed": resumed,
            "compile_seconds": round(compile_secs, 1),
            "seconds": round(time.monotonic() - t0, 1),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "pvcc": __version__,
        }
        tmp = self.prefix / (STAMP_NAME + ".tmp")
        with open(tmp, "w") as f:
            json.dump(stamp, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.prefix / STAMP_NAME)
        self.log(f"stamp: {json.dumps(stamp)}")
        return stamp


def glob_first(pattern: str) -> str | None:
    found = sorted(glob.glob(pattern))
    return found[0] if found else None


def _dpkg_version(package: str) -> str | None:
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], check=False,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    return p.stdout.strip() or None


def _extra_packages() -> list[str]:
    """``PVCC_TOOLCHAIN_EXTRA_PACKAGES``: more host packages to require (space/comma separated)."""
    return os.environ.get("PVCC_TOOLCHAIN_EXTRA_PACKAGES", "").replace(",", " ").split()


def missing_packages(packages) -> list[str]:
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\n", *packages], check=False,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        raise ToolchainError("pvcc-toolchain needs a Debian-based host (dpkg-query not found)") from None
    ok = set()
    for line in p.stdout.splitlines():
        name, _, status = line.partition("\t")
        if status.startswith("ii"):
            ok.add(name)
    return [pkg for pkg in packages if pkg.split(":")[0] not in ok]


class MissingPackages(ToolchainError):
    def __init__(self, what: str, packages, command: str, detail: str = ""):
        self.command = command
        msg = f"{what} needs host packages that are not installed: {' '.join(packages)}"
        if detail:
            msg += f" ({detail})"
        super().__init__(f"{msg}\n{command}")


def ensure_host_packages(packages, installer=None, what: str = "the build") -> list[str]:
    """Install missing Debian packages as root (apt-get), else report the exact command.

    Returns the packages it installed.
    """
    missing = missing_packages(packages)
    if not missing:
        return []
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    line = " ".join(cmd)
    auto = os.environ.get("PVCC_TOOLCHAIN_APT", "1") not in ("0", "no", "false")
    if os.geteuid() != 0 or not auto:
        raise MissingPackages(what, missing, line)
    log = installer.log if installer else (lambda s: None)
    if installer:
        installer.progress.note(f"installing host packages: {line}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    opts = ["-o", "DPkg::Lock::Timeout=600"]

    def attempt():
        p = subprocess.run([cmd[0], *opts, *cmd[1:]], check=False, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log(f"$ {line}\n{p.stdout}")
        return p
    p = attempt()
    if p.returncode != 0:
        # Probably stale or absent package lists: refresh once and retry.
        u = subprocess.run(["apt-get", *opts, "update"], check=False, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log(f"$ apt-get update\n{u.stdout}")
        p = attempt()
    if p.returncode != 0:
        errs = [ln for ln in p.stdout.splitlines() if ln.startswith("E:")]
        raise MissingPackages(what, missing, line,
                              "apt-get failed: " + (errs[-1][3:].strip() if errs else
                                                    f"exit {p.returncode}"))
    still = missing_packages(missing)
    if still:
        raise MissingPackages(what, still, "apt-get install -y --no-install-recommends "
                              + " ".join(still), "apt-get did not install them")
    return missing


# ---------------------------------------------------------------------------
# CLI

def _cmd_list(args) -> int:
    cache = CacheLayout()
    tcs = provisioned(cache)
    if args.json:
        print(json.dumps([t.as_dict() for t in tcs], indent=1))
        return 0
    if not tcs:
        print(f"no IA-64 GCC provisioned in {cache.root}; "
              f"run: pvcc-toolchain install --gcc {DEFAULT_VERSION}")
        return 0
    print(f"{'GCC':<4} {'version':<9} {'plugin headers':<15} path")
    for t in tcs:
        print(f"{t.version:<4} {t.full_version:<9} {'yes' if t.plugin_headers else 'no':<15} {t.gcc}")
    return 0


def _cmd_path(args) -> int:
    print(find_compiler(args.gcc))
    return 0


def _cmd_install(args) -> int:
    return Installer(args.gcc, quiet=args.quiet, jobs=args.jobs, force=args.force).install()


def _cmd_clean(args) -> int:
    versions = [args.gcc] if args.gcc is not None else versions_in(CacheLayout().build)
    if not versions:
        print("nothing to clean")
    for v in versions:
        inst = Installer(v, quiet=True)
        with inst._locked(f"gcc-{v}", f"GCC {v}"):
            if inst.bdir.exists():
                shutil.rmtree(inst.bdir)
                print(f"removed build tree {inst.bdir}")
            else:
                print(f"no build tree for GCC {v}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Provision IA-64 cross GCCs (with plugin headers) from Debian's gcc-N-source.",
        epilog=f"Cache: {CacheLayout().root} (PVCC_CACHE_DIR overrides).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    vhelp = f"GCC major version ({', '.join(map(str, SUPPORTED))}; default {DEFAULT_VERSION})"
    p = sub.add_parser("install", help="build and install an IA-64 GCC into the cache")
    p.add_argument("--gcc", type=int, default=DEFAULT_VERSION, metavar="N", help=vhelp)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only the result")
    p.add_argument("-j", "--jobs", type=int, default=None,
                   help="parallel make jobs (default: number of CPUs)")
    p.add_argument("--force", action="store_true",
                   help="reinstall even if the cache entry is valid (reuses the build tree)")
    p.set_defaults(func=_cmd_install)
    p = sub.add_parser("list", help="show the provisioned compilers")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("path", help="print the compiler path (for scripts)")
    p.add_argument("--gcc", type=int, default=None, metavar="N",
                   help="GCC major version (default: PVCC_GCC, then the cache's default)")
    p.set_defaults(func=_cmd_path)
    p = sub.add_parser("clean", help="remove build trees (sources and objects), keep installs")
    p.add_argument("--gcc", type=int, default=None, metavar="N", help="only this version")
    p.set_defaults(func=_cmd_clean)
    return parser


def _main(argv) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "gcc", None) is not None:
        check_version(args.gcc)
    return args.func(args)


def main(argv=None) -> int:
    return cli.run(PROG, lambda: _main(argv), on_sigterm=True, say_interrupted=True,
                   errors=((UnsupportedVersion, 2), (ToolchainError, 1), (OSError, 1)))


if __name__ == "__main__":
    sys.exit(main())
