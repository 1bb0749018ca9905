"""csmith programs as a differential test of pvcc-sim.

For one seed: generate a program with Debian's ``csmith``, compile it for the
x86-64 host (``gcc -w -O1``; LP64 and little-endian like IA-64) and run it
under a time bound to get the reference ``checksum = ...`` line, then build
it for IA-64 with ``pvcc-sim cc`` at each optimization level, with and
without the kernel flags, run each build in the model in each speculation
mode, and compare the checksum lines.  A program the host does not finish
within the bound is discarded (and counted): it has no reference.

Every cell of a program's result is one of the outcomes below;
``tools/sim_campaign.py`` runs many seeds in parallel and tabulates them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile

from ...catalog import KERNEL_CFLAGS

CSMITH_OPTIONS = ("--max-funcs", "4", "--max-block-depth", "3", "--no-argc",
                  "--no-packed-struct")
LEVELS = ("-O0", "-O1", "-O2", "-Os", "-O3")
KERNEL_FLAGS = KERNEL_CFLAGS
FLAG_SETS = {"plain": (), "kernel": KERNEL_FLAGS}
HOST_CFLAGS = ("-w", "-O1")
HOST_TIMEOUT = 2.0          # seconds the host gets (the model runs ~10,000x slower)
MODEL_TIMEOUT = 600.0       # wall-clock bound of a run as a subprocess (in_process=False)
MODEL_MAX_INSNS = 100_000_000  # the bound of every model run

# Outcomes of one (program, level, flags, speculation mode) cell.
AGREE = "agree"
DISAGREE = "disagree"
MODEL_ERROR = "model error"
BUILD_ERROR = "build error"
NO_MODEL = "no model"
# Outcomes of a whole program (no cells are run).
HOST_TIMEOUT_OUTCOME = "host timeout"
HOST_ERROR = "host error"
CELL_OUTCOMES = (AGREE, DISAGREE, MODEL_ERROR, BUILD_ERROR, NO_MODEL)
# Levels at which GCC's default IA-64 scheduling emits speculative loads
# (data speculation at -O2 and -Os, control speculation at -O3): the only
# ones where --spec fail runs other code than --spec succeed.
SPECULATING_LEVELS = ("-O2", "-Os", "-O3")


class HarnessError(Exception):
    """The harness cannot run at all (no csmith, no headers); one-line message."""


def csmith_exe() -> str:
    exe = os.environ.get("PVCC_CSMITH") or shutil.which("csmith")
    if not exe:
        raise HarnessError("csmith not found on PATH (Debian package csmith)")
    return exe


def csmith_include() -> str:
    """The directory holding csmith.h: $PVCC_CSMITH_INCLUDE or /usr/include/csmith."""
    d = os.environ.get("PVCC_CSMITH_INCLUDE") or "/usr/include/csmith"
    if not os.path.isfile(os.path.join(d, "csmith.h")):
        raise HarnessError(f"no csmith.h in {d} (Debian package libcsmith-dev, or set "
                           "PVCC_CSMITH_INCLUDE)")
    return d


def generate(seed: int, path: str) -> None:
    """Write csmith's program for ``seed`` to ``path``.  csmith runs in a
    temporary directory (it writes platform.info there) and names its output
    ``program.c`` there, so the program text depends on the seed only."""
    with tempfile.TemporaryDirectory(prefix="pvcc-csmith-") as cwd:
        p = subprocess.run([csmith_exe(), "--seed", str(seed), *CSMITH_OPTIONS,
                            "-o", "program.c"],
                           cwd=cwd, capture_output=True, text=True, check=False)
        made = os.path.join(cwd, "program.c")
        if p.returncode != 0 or not os.path.isfile(made):
            first = (p.stderr.strip().splitlines() or ["no output"])[0]
            raise HarnessError(f"csmith --seed {seed} failed (exit {p.returncode}): {first}")
        shutil.move(made, path)


def checksum_line(stdout: str) -> str | None:
    """The program's ``checksum = ...`` line, or None."""
    for line in stdout.splitlines():
        if line.startswith("checksum = "):
            return line.strip()
    return None


@dataclasses.dataclass
class HostRun:
    outcome: str | None     # None: finished; else HOST_TIMEOUT_OUTCOME / HOST_ERROR
    checksum: str | None
    detail: str = ""


def host_reference(src: str, workdir: str, timeout: float = HOST_TIMEOUT) -> HostRun:
    """Build ``src`` for the host and run it within ``timeout`` seconds."""
    exe = os.path.join(workdir, "host.exe")
    cc = os.environ.get("PVCC_HOST_CC", "gcc")
    p = subprocess.run([cc, *HOST_CFLAGS, f"-I{csmith_include()}", src, "-o", exe],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0:
        first = (p.stderr.strip().splitlines() or ["no output"])[0]
        return HostRun(HOST_ERROR, None, f"host build: {first}")
    try:
        r = subprocess.run([exe], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return HostRun(HOST_TIMEOUT_OUTCOME, None, f"over {timeout:g}s")
    line = checksum_line(r.stdout)
    if r.returncode != 0 or line is None:
        return HostRun(HOST_ERROR, None, f"host exit {r.returncode}, checksum line {line!r}")
    return HostRun(None, line)


@dataclasses.dataclass
class Cell:
    level: str
    flags: str              # a FLAG_SETS key
    spec: str
    outcome: str
    detail: str = ""        # first line of the error, or the differing checksum
    seconds: float = 0.0    # the model's CPU time
    insns: int = 0          # instructions the model executed


def build_ia64(src: str, prog: str, level: str, flags: str, plugin: bool = True) -> str | None:
    """``pvcc-sim cc`` the program (in this process); None on success, else the
    first error line of the compiler or of pvcc-sim cc."""
    from pvcc.sim.lab.build import build_logged

    args = [] if plugin else ["--no-plugin"]
    args += [level, "-w", *FLAG_SETS[flags], f"-I{csmith_include()}", src, "-o", prog]
    with tempfile.TemporaryFile() as log:
        return build_logged(args, log)


def model_available() -> bool:
    """Whether pvcc-sim's model (``pvcc.sim.cli``) is installed."""
    import importlib.util

    try:
        return importlib.util.find_spec("pvcc.sim.cli") is not None
    except ImportError:
        return False


@dataclasses.dataclass
class ModelRun:
    status: int | None      # the program's exit status; None if it did not finish
    stdout: str
    error: str              # the model's error line (or the program's stderr)
    insns: int = 0          # instructions executed (in-process runs)
    seconds: float = 0.0    # CPU seconds (in-process) or wall seconds (subprocess)


def run_model(prog: str, spec: str, max_insns: int = MODEL_MAX_INSNS,
              timeout: float = MODEL_TIMEOUT, in_process: bool = True) -> ModelRun:
    """Run ``prog`` in the model: in-process through ``pvcc.sim.run_program``
    (bounded by ``max_insns``), or as ``pvcc-sim run --spec SPEC --max-insns N
    PROG`` with a wall-clock bound too."""
    import time

    if in_process:
        from pvcc.sim import run_program

        t0 = time.process_time()
        try:
            r = run_program(prog, [], spec=spec, max_insns=max_insns)
        except Exception as e:  # noqa: BLE001 - a loader error or a bug in the model: a cell
            return ModelRun(None, "", f"pvcc-sim: error: {type(e).__name__}: {e}",
                            seconds=time.process_time() - t0)
        secs = time.process_time() - t0
        out = r.stdout.decode("utf-8", "replace")
        insns = r.counters.get("instructions", 0)
        if r.error is not None:
            loc = f"{r.where}: " if r.where else ""
            return ModelRun(None, out, f"pvcc-sim: error: {loc}{r.error.msg}", insns, secs)
        return ModelRun(r.status, out, r.stderr.decode("utf-8", "replace"), insns, secs)
    argv = [sys.executable, "-c", "import sys; from pvcc.sim.cli import main; sys.exit(main())",
            "run", "--spec", spec, "--max-insns", str(max_insns), prog]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ModelRun(None, "", f"no result within {timeout:g}s", seconds=timeout)
    return ModelRun(p.returncode, p.stdout, p.stderr, seconds=time.monotonic() - t0)


@dataclasses.dataclass
class ProgramResult:
    seed: int
    host: str | None        # None, HOST_TIMEOUT_OUTCOME or HOST_ERROR
    checksum: str | None
    cells: list[Cell]
    detail: str = ""


def run_program(seed: int, workdir: str, levels=LEVELS, flag_sets=tuple(FLAG_SETS),
                specs: tuple[str, ...] = ("succeed",), plugin: bool = True, model: bool = True,
                reuse: bool = False, fail_everywhere: bool = False,
                host_timeout: float = HOST_TIMEOUT,
                max_insns: int = MODEL_MAX_INSNS) -> ProgramResult:
    """Everything for one seed, in ``workdir`` (created if needed).  With
    ``model`` false (or no model installed) the builds are made but not run:
    their cells say "no model".  With ``reuse``, builds already in ``workdir``
    are run as they are.  Speculation modes other than "succeed" run only at
    SPECULATING_LEVELS (elsewhere the code has no speculative load, so the
    run would repeat the "succeed" one) unless ``fail_everywhere``."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, f"csmith-{seed}.c")
    generate(seed, src)
    ref = host_reference(src, workdir, host_timeout)
    if ref.outcome is not None:
        return ProgramResult(seed, ref.outcome, None, [], ref.detail)
    have_model = model and model_available()
    cells = []
    for level in levels:
        for flags in flag_sets:
            prog = os.path.join(workdir, f"csmith-{seed}{level}-{flags}")
            err = None
            if not (reuse and os.path.isfile(prog)):
                err = build_ia64(src, prog, level, flags, plugin)
            for spec in specs:
                if spec != "succeed" and level not in SPECULATING_LEVELS and \
                        not fail_everywhere:
                    continue
                if err is not None:
                    cells.append(Cell(level, flags, spec, BUILD_ERROR, err))
                    continue
                if not have_model:
                    cells.append(Cell(level, flags, spec, NO_MODEL))
                    continue
                m = run_model(prog, spec, max_insns)
                line = checksum_line(m.stdout)
                if m.status == 0 and line == ref.checksum:
                    outcome, detail = AGREE, ""
                elif m.status == 0 and line is not None:
                    outcome, detail = DISAGREE, f"model {line!r}, host {ref.checksum!r}"
                else:
                    lines = m.error.strip().splitlines()
                    errs = [ln for ln in lines if "error" in ln]
                    first = (errs or lines or ["no checksum line"])[0]
                    outcome, detail = MODEL_ERROR, f"exit {m.status}: {first}"
                cells.append(Cell(level, flags, spec, outcome, detail, m.seconds, m.insns))
    return ProgramResult(seed, None, ref.checksum, cells)


def table(results: list[ProgramResult]) -> str:
    """The campaign's result table: one row per (level, flags, speculation
    mode) with the count of each cell outcome, a total row, and the programs
    discarded because the host gave no reference."""
    rows: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in results:
        for c in r.cells:
            counts = rows.setdefault((c.level, c.flags, c.spec), dict.fromkeys(CELL_OUTCOMES, 0))
            counts[c.outcome] += 1
    timeouts = sum(r.host == HOST_TIMEOUT_OUTCOME for r in results)
    host_errors = sum(r.host == HOST_ERROR for r in results)
    used = len(results) - timeouts - host_errors
    shown = [o for o in CELL_OUTCOMES if o != NO_MODEL or any(v[NO_MODEL] for v in rows.values())]
    head = ["level", "flags", "spec", *shown]
    body = []
    order = {x: i for i, x in enumerate(LEVELS + tuple(FLAG_SETS))}
    for (level, flags, spec), counts in sorted(
            rows.items(), key=lambda kv: (order.get(kv[0][0], 99), order.get(kv[0][1], 99),
                                          kv[0][2] != "succeed", kv[0][2])):
        body.append([level, flags, spec, *(str(counts[o]) for o in shown)])
    total = [sum(counts[o] for counts in rows.values()) for o in shown]
    body.append(["total", "", "", *(str(t) for t in total)])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    summary = (f"csmith: {len(results)} programs, {used} compared, {timeouts} discarded "
               f"(host timeout), {host_errors} host errors")
    lines = [summary]
    insns = sum(c.insns for r in results for c in r.cells)
    secs = sum(c.seconds for r in results for c in r.cells if c.insns)
    if insns and secs:
        lines.append(f"model: {insns:,} instructions in {secs:,.0f} CPU seconds "
                     f"({insns / secs:,.0f} per second)")
    for row in [head, *body]:
        cells = [row[i].ljust(widths[i]) if i < 3 else row[i].rjust(widths[i])
                 for i in range(len(row))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def failures(results: list[ProgramResult]) -> list[str]:
    """One line per cell that did not agree (and per program the host could not build)."""
    out = []
    for r in results:
        if r.host == HOST_ERROR:
            out.append(f"seed {r.seed}: {r.host}: {r.detail}")
        for c in r.cells:
            if c.outcome not in (AGREE, NO_MODEL):
                out.append(f"seed {r.seed} {c.level} {c.flags} {c.spec}: {c.outcome}: {c.detail}")
    return out


def result_from_dict(d: dict) -> ProgramResult:
    """A ProgramResult back from its JSON form (``dataclasses.asdict``)."""
    cells = [Cell(**c) for c in d.get("cells", [])]
    return ProgramResult(d["seed"], d["host"], d["checksum"], cells, d.get("detail", ""))
