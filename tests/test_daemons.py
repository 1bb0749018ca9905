"""pvcc builds through distcc and icecream, with daemons started here.

Opt-in (``tox -e daemons``, or ``PVCC_TEST_DAEMONS=1 pytest -m daemons``):
each test starts its own daemons on 127.0.0.1 on free ports, with private
state directories, builds a set of files with sites through them, proves from
the daemon's log that every compile ran there, compares every object byte for
byte with a local ``pvcc`` compile, checks it with ``pvcc.check``, and stops
the daemons (process groups) and frees their ports, also when it fails.

* distcc (``CC="distcc pvcc"``): distcc runs ``pvcc -E`` locally and
  ``pvcc -c x.i`` on the server, so the server is a *node* with a pvcc and a
  compiler of its own: a copy of the compiler, of pvcc and of pyelftools in a
  private directory, a plugin cache of its own (the node builds its plugin),
  run by an unprivileged user when the tests run as root (distccd will not
  run compilers as root).
* icecream (``CC=pvcc PVCC_LAUNCHER=icecc``): pvcc hands the whole compile to
  icecc, whose environment tarball (``icecc-create-env --addfile <pvcc.so>``)
  carries the compiler and the plugin: the node has no pvcc at all.  Two
  iceccd (the client's, ``--no-remote``, and the node) and a scheduler; the
  node compiles in a chroot of the tarball, so iceccd needs root.  The
  client reaches its daemon through ``ICECC_TEST_SOCKET`` (a socket in the
  private directory instead of /var/run/icecc) and ``ICECC_TEST_REMOTEBUILD``
  (a job scheduled to a node on 127.0.0.1 goes over TCP like any remote job,
  instead of being compiled by the client itself): icecream's own hooks for
  exactly this kind of test.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from helpers import write_pvcc_script
from pvcc.catalog import KERNEL_CFLAGS

pytestmark = [
    pytest.mark.daemons,
    pytest.mark.skipif(os.environ.get("PVCC_TEST_DAEMONS") != "1",
                       reason="starts distcc/icecream daemons: opt-in with tox -e daemons "
                              "(PVCC_TEST_DAEMONS=1)"),
]

REPO = Path(__file__).resolve().parent.parent
# A set of files: testcases with sites of every kind, and C without any.
SOURCES = {
    "several": REPO / "testcases" / "several" / "input.c",
    "all_types": REPO / "testcases" / "all_types" / "input.c",
    "getreg_setreg": REPO / "testcases" / "getreg_setreg" / "input.c",
    "inline_wrapper": REPO / "testcases" / "inline_wrapper" / "input.c",
    "loop": REPO / "testcases" / "loop" / "input.c",
    "no_intrinsic": REPO / "testcases" / "no_intrinsic" / "input.c",
}
WITH_SITES = set(SOURCES) - {"no_intrinsic"}
FLAGS = ["-std=gnu11", "-O2", *KERNEL_CFLAGS]


# -- processes, ports, users --------------------------------------------------


def free_port(pair=False) -> int:
    """A TCP port free on 127.0.0.1 now (and the next one too if ``pair``)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not pair or port_free(port + 1):
            return port
    raise RuntimeError("no free port pair")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(what, predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def log_has(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False


class Daemons:
    """The daemons one test started: each in its own process group, stopped
    (SIGTERM, then SIGKILL) when the test ends, whatever happened."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def start(self, argv, env, ports=(), cwd=None) -> subprocess.Popen:
        p = subprocess.Popen([str(a) for a in argv], env=env, cwd=cwd, start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        self.ports += ports
        return p

    def stop(self):
        for p in reversed(self.procs):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(timeout=10)
                    # children of the group (forked job runners) may linger briefly
                    os.killpg(p.pid, 0)
                    time.sleep(0.5)
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break


@pytest.fixture
def daemons():
    d = Daemons()
    try:
        yield d
    finally:
        d.stop()
    busy = [port for port in d.ports if not port_free(port)]
    assert not busy, f"ports still in use after the daemons stopped: {busy}"


def daemon_user(*names: str) -> tuple[str | None, int, int]:
    """Who the daemons run as: ourselves, or when we are root the first of
    ``names`` that exists."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    for name in names:
        try:
            pw = pwd.getpwnam(name)
            return name, pw.pw_uid, pw.pw_gid
        except KeyError:
            continue
    pytest.skip("running as root, but there is no unprivileged user for the daemons")


def give(path: Path, uid: int, gid: int):
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for f in files:
            os.chown(os.path.join(root, f), uid, gid)


@pytest.fixture
def shared_tmp():
    """A private directory the daemons' user may enter (pytest's is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="pvcc-daemons-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def need(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {' '.join(missing)} (apt-get install distcc icecc)")


# -- building --------------------------------------------------------------------


@pytest.fixture
def sources(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    for name, src in SOURCES.items():
        shutil.copy(src, d / f"{name}.c")
    return d


def build(cc: list[str], src: Path, out: Path, env: dict, inc: str) -> None:
    out.mkdir(exist_ok=True)
    for name in SOURCES:
        p = subprocess.run([*cc, f"-I{inc}", *FLAGS, "-c", f"{name}.c", "-o", out / f"{name}.o"],
                           cwd=src, env=env, capture_output=True, text=True, timeout=600,
                           check=False)
        assert p.returncode == 0, f"{' '.join(cc)} {name}.c: {p.stderr}"


def assert_same_and_checked(remote: Path, local: Path):
    from pvcc.check import violations_of
    from pvcc.objects import open_object

    for name in SOURCES:
        r, lo = remote / f"{name}.o", local / f"{name}.o"
        assert r.read_bytes() == lo.read_bytes(), f"{name}.o differs from the local pvcc object"
        assert violations_of(str(r)) == [], name
        assert bool(open_object(str(r)).records) == (name in WITH_SITES), name


@pytest.fixture
def local_build(pvcc_exe, env, sources, tmp_path):
    inc = subprocess.run([pvcc_exe, "--print-include-dir"], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    out = tmp_path / "local"
    build([pvcc_exe], sources, out, env, inc)
    return out, inc


# -- distcc --------------------------------------------------------------------------


def make_node(root: Path, gcc: str, uid: int, gid: int) -> dict:
    """A compile node with a pvcc of its own: copies of the compiler, pvcc and
    pyelftools, a plugin cache, and the environment its daemon runs with."""
    import elftools

    import pvcc

    prefix = Path(os.path.realpath(gcc)).parent.parent
    shutil.copytree(prefix, root / "gcc", symlinks=True)
    node_gcc = root / "gcc" / Path(os.path.realpath(gcc)).relative_to(prefix)
    py = root / "py"
    shutil.copytree(Path(pvcc.__file__).parent, py / "pvcc",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(elftools.__file__).parent, py / "elftools",
                    ignore=shutil.ignore_patterns("__pycache__"))
    python = "/usr/bin/python3" if os.geteuid() == 0 else sys.executable
    if subprocess.run([python, "-c", "import sys; sys.exit(sys.version_info < (3, 11))"],
                      check=False).returncode != 0:
        pytest.skip(f"{python} is not Python 3.11+ (the node's pvcc needs it)")
    (root / "bin").mkdir()
    write_pvcc_script(root / "bin" / "pvcc", python=python, package_dir=py)
    for d in ("cache", "log", "home"):
        (root / d).mkdir()
        give(root / d, uid, gid)
    return {"PATH": f"{root / 'bin'}:/usr/bin:/bin", "PVCC_GCC": str(node_gcc),
            "PVCC_CACHE_DIR": str(root / "cache"), "HOME": str(root / "home"), "LC_ALL": "C"}


def test_distcc(daemons, shared_tmp, gcc, pvcc_exe, env, sources, local_build, tmp_path):
    need("distcc", "distccd")
    local, inc = local_build
    user, uid, gid = daemon_user("distcc", "nobody")
    node_env = make_node(shared_tmp / "node", gcc, uid, gid)
    log = shared_tmp / "node" / "log" / "distccd.log"
    port = free_port()
    argv = ["distccd", "--daemon", "--no-detach", "--listen", "127.0.0.1", "--port", port,
            "--allow", "127.0.0.1/32", "--enable-tcp-insecure", "--jobs", "2",
            "--log-file", log, "--log-level", "info"]
    if user:
        argv += ["--user", user]
    daemons.start(argv, node_env, ports=[port], cwd=shared_tmp)
    wait_for("distccd to listen", lambda: not port_free(port))

    state = tmp_path / "distcc-state"
    state.mkdir()
    cenv = dict(env, PATH=f"{Path(pvcc_exe).parent}:{env['PATH']}",
                DISTCC_HOSTS=f"127.0.0.1:{port}/2", DISTCC_DIR=str(state),
                DISTCC_FALLBACK="0", DISTCC_SKIP_LOCAL_RETRY="1")
    out = tmp_path / "distcc"
    build(["distcc", "pvcc"], sources, out, cenv, inc)

    text = log.read_text()
    for name in SOURCES:  # every compile ran on the node, through the node's pvcc
        assert "COMPILE_OK exit:0 sig:0 core:0 ret:0" in text and f"pvcc {name}.c" in text, name
    ok = [ln for ln in text.splitlines() if "COMPILE_OK" in ln]
    assert len(ok) == len(SOURCES), ok
    assert list((shared_tmp / "node" / "cache" / "plugins").glob("*/pvcc.so"))
    assert_same_and_checked(out, local)


# -- icecream ------------------------------------------------------------------------


def test_icecream(daemons, shared_tmp, gcc, plugin_so, env, pvcc_exe, sources, local_build,
                  tmp_path):
    need("icecc", "iceccd", "icecc-scheduler", "icecc-create-env")
    if os.geteuid() != 0:
        pytest.skip("iceccd accepts remote jobs only with chroot rights (root)")
    local, inc = local_build
    user, uid, gid = daemon_user("icecc", "nobody")

    # The environment the node compiles in: the compiler and pvcc's plugin.
    # This cross GCC has no g++: it is named for both.
    envdir = shared_tmp / "env"
    envdir.mkdir()
    p = subprocess.run(["icecc-create-env", "--gcc", gcc, gcc, "--addfile", plugin_so],
                       cwd=envdir, capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    (tarball,) = envdir.glob("*.tar.gz")
    listing = subprocess.run(["tar", "tzf", tarball], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert plugin_so.lstrip("/") in listing and "usr/bin/cc1" in listing

    run = shared_tmp / "ice"
    for d in ("sched", "local", "node"):
        (run / d).mkdir(parents=True)
    give(run, uid, gid)
    netname = f"pvcc{os.getpid()}"
    sport, nport = free_port(pair=True), free_port()
    denv = dict(env, ICECC_TESTS="1")
    daemons.start(["icecc-scheduler", "-p", sport, "-i", "lo", "-n", netname, "-u", user,
                   "-l", run / "sched" / "log", "-vv"], denv, ports=[sport, sport + 1])
    wait_for("the scheduler", lambda: not port_free(sport))
    common = ["-n", netname, "-m", "2", "-s", f"127.0.0.1:{sport}", "-u", user, "-vvv"]
    daemons.start(["iceccd", "--no-remote", "-i", "lo", "-N", "local", "-b", run / "local" / "envs",
                   "-l", run / "local" / "log", *common],
                  dict(denv, ICECC_TEST_SOCKET=str(run / "local" / "socket")))
    # iceccd -i binds the loopback twice when given lo (1.4): the node listens on
    # its free port without -i.
    daemons.start(["iceccd", "-p", nport, "-N", "node", "-b", run / "node" / "envs",
                   "-l", run / "node" / "log", *common],
                  dict(denv, ICECC_TEST_SOCKET=str(run / "node" / "socket")), ports=[nport])
    for d in ("local", "node"):
        wait_for(f"iceccd {d} to reach the scheduler",
                 lambda d=d: log_has(run / d / "log", "Connected to scheduler"))

    cenv = dict(env, PVCC_LAUNCHER="icecc", ICECC_VERSION=str(tarball),
                ICECC_TEST_SOCKET=str(run / "local" / "socket"), ICECC_TEST_REMOTEBUILD="1",
                ICECC_PREFERRED_HOST="node", ICECC_DEBUG="debug",
                ICECC_LOGFILE=str(tmp_path / "icecc-client.log"))
    out = tmp_path / "icecc"
    build([pvcc_exe], sources, out, cenv, inc)

    node_log = (run / "node" / "log").read_text(errors="replace")
    for name in SOURCES:  # every compile ran on the node, with pvcc's plugin
        assert f"remote compile for file {name}.c" in node_log, name
    assert f"remote compile arguments: -fplugin={plugin_so}" in node_log
    assert_same_and_checked(out, local)
