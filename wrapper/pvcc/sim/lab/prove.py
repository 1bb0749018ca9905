"""Proof by execution: a program built three ways behaves the same in the model.

* **A**: plain GCC without the plugin; the ``paravirt_*`` intrinsics are calls
  of the native table (``pvcc-sim cc --no-plugin --impl native``), whose
  privileged instructions the model executes.
* **B**: through pvcc (C-convention or light sites) with the C hypervisor layer
  (``--impl hv``): virtual privileged state in memory, a hostile return that
  overwrites every register the convention lets a callee change, with values
  that depend on the run's seed.
* **C**: B after pvcc's patcher replaced every site with its native
  instruction(s) (``pvcc.patch.patch_native``).

A, B and C must agree on stdout, the exit status, the effect log (cache
flushes, purges, serializations, interrupt-controller writes; an ``fc``'s
address only between B and C, the one link they share) and the privileged
state at exit: the machine's PSR, control, region and kernel registers for A
and C, the hypervisor layer's virtual ones for B.  B runs once per seed.

Each way also counts, per intrinsic, where its instructions go: in A the
instructions executed inside the native table's ``paravirt_NAME`` function
(per call), in C those executed inside the bundles of the sites' records (per
execution, after patching: the native path).  Their difference per intrinsic
is what a pvcc site costs on the native path against a plain call of the
native table.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import struct
import tempfile

from ... import catalog
from ...objects import ElfObject
from .csmith import AGREE, BUILD_ERROR, DISAGREE, MODEL_ERROR

WAYS = ("A", "B", "C")
CONVENTIONS = {"c": (), "light": ("-fplugin-arg-pvcc-conv=light",)}

# Outcomes of one proof.
OUTCOMES = (AGREE, DISAGREE, MODEL_ERROR, BUILD_ERROR)

# The privileged state compared at exit: the control registers pvcc's catalog
# knows that a program can write (not cr.ivr, cr.irr0-3, cr.eoi: the machine
# answers those, they hold no guest state).
_CR_EOI = 67
STATE_CRS = tuple(sorted(r.hw for r in catalog.REGISTERS.values()
                         if r.kind == "cr" and r.writable and r.hw != _CR_EOI))
PSR_I = 1 << 14
# The hypervisor layer's `struct vcpu` (runtime/hv/hv.c): int ready; psr; cr[128];
# rr[8]; kr[8].
_VCPU = struct.Struct("<i4xQ128Q8Q8Q")
AR_K0 = 0  # ar.k0-k7 are ar0-ar7
NL = b"\n"


class ProofError(Exception):
    """A way could not be built; one-line message."""


@dataclasses.dataclass
class WayRun:
    way: str
    seed: int
    status: int | None
    stdout: bytes
    error: str | None               # "FUNC+0xOFF (ADDR): MESSAGE" of a model error
    effects: list[tuple]             # (effect, operand or None)
    state: dict[str, int]            # privileged state at exit
    instructions: int = 0
    calls: dict[str, int] = dataclasses.field(default_factory=dict)   # intrinsic -> count
    insns: dict[str, int] = dataclasses.field(default_factory=dict)   # intrinsic -> insns
    # C only: each site ("FUNC+0xOFF TYPE") -> (executions, instructions in its bundles)
    sites: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Proof:
    outcome: str
    runs: list[WayRun]
    detail: str = ""                # the first difference, model error or build error

    def run(self, way: str) -> WayRun:
        return next(r for r in self.runs if r.way == way)

    def costs(self) -> list[tuple[str, int, float, int, float]]:
        """Per intrinsic: (name, calls in A, instructions per call in A,
        executions in C, instructions per execution in C)."""
        a, c = self.run("A"), self.run("C")
        out = []
        for name in sorted(set(a.calls) | set(c.calls)):
            na, nc = a.calls.get(name, 0), c.calls.get(name, 0)
            out.append((name, na, a.insns.get(name, 0) / na if na else 0.0,
                        nc, c.insns.get(name, 0) / nc if nc else 0.0))
        return out


def _intrinsic_of(type_name: str) -> str:
    """getreg(3116) -> getreg: the native table has one function per intrinsic."""
    return type_name.split("(", 1)[0]


def table_sites(obj: ElfObject) -> dict[int, tuple[str, bool]]:
    """Every bundle of the native table's ``paravirt_NAME`` functions in the
    executable ``obj`` -> (NAME, whether it is the function's entry)."""
    names = {intr.symbol: intr.name for intr in catalog.INTRINSICS}
    out = {}
    for f in obj.functions:
        name = names.get(f.name)
        if name is not None:
            for a in range(f.addr, f.end, 16):
                out[a] = (name, a == f.addr)
    return out


def each_site(obj: ElfObject) -> dict[int, tuple[str, bool]]:
    """Every bundle of every `.pvcc_sites` record of ``obj`` -> ("FUNC+0xOFF TYPE"
    of its record, whether it is the record's first bundle)."""
    out = {}
    for r in obj.records or []:
        key = f"{obj.where(r.start)} {catalog.type_name(r.type)}"
        for a in range(r.start, max(r.end, r.start + 16), 16):
            out[a] = (key, a == r.start)
    return out


def _machine_state(st) -> dict[str, int]:
    p = st.priv
    out = {"psr.i": p.psr & PSR_I}
    out.update({f"cr{n}": p.cr[n] for n in STATE_CRS})
    out.update({f"rr{n}": p.rr[n] for n in range(8)})
    out.update({f"kr{n}": st.ar[AR_K0 + n] for n in range(8)})
    return out


def _virtual_state(st, symbols: dict[str, int]) -> dict[str, int]:
    """The hypervisor layer's virtual state (the machine's while no intrinsic ran)."""
    addr = symbols.get("vcpu")
    if addr is None:    # no intrinsic is called: the layer is not linked
        return _machine_state(st)
    ready, psr, *rest = _VCPU.unpack(st.mem.read_bytes(addr, _VCPU.size))
    if not ready:
        return _machine_state(st)
    cr, rr, kr = rest[:128], rest[128:136], rest[136:144]
    out = {"psr.i": psr & PSR_I}
    out.update({f"cr{n}": cr[n] for n in STATE_CRS})
    out.update({f"rr{n}": rr[n] for n in range(8)})
    out.update({f"kr{n}": kr[n] for n in range(8)})
    return out


_EFFECTS = ("fc", "ptc.ga", "srlz.d", "mov.to.eoi", "mov.to.itm")


def _effects(effects: list[tuple]) -> list[tuple]:
    """(effect, first operand): the effects both a native instruction and the
    hypervisor layer produce (a native cr write is logged as mov.to.cr.NAME)."""
    out = []
    for e in effects:
        name = e[0].replace("mov.to.cr.", "mov.to.")
        if name in _EFFECTS:
            out.append((name, None if name == "srlz.d" else e[2]))
    return out


def run_way(way: str, path: str, seed: int = 1, spec: str = "succeed",
            max_insns: int | None = None) -> WayRun:
    from .. import run_program
    from . import hostile

    sites = table_sites if way == "A" else each_site if way == "C" else None
    r = run_program(path, spec=spec, max_insns=max_insns, hypercalls=hostile.hypercalls(seed),
                    sites=sites)
    if way == "C":      # per site, and per intrinsic below
        per_site = {k: (r.site_hits.get(k, 0), r.site_insns.get(k, 0))
                    for k in {key for key, _first in r.sites.values()}}
        hits, insns_by = {}, {}
        for k, (n, i) in per_site.items():
            t = k.split(" ", 1)[1]
            hits[t] = hits.get(t, 0) + n
            insns_by[t] = insns_by.get(t, 0) + i
        r.site_hits, r.site_insns = {k: v for k, v in hits.items() if v}, insns_by
    error = None
    if r.error is not None:
        error = f"{r.where}: {r.error.msg}" if r.where else r.error.msg
    state = _virtual_state(r.state, r.symbols) if way == "B" else _machine_state(r.state)
    calls: dict[str, int] = {}
    insns: dict[str, int] = {}
    for k, v in r.site_hits.items():
        calls[_intrinsic_of(k)] = calls.get(_intrinsic_of(k), 0) + v
    for k, v in r.site_insns.items():
        insns[_intrinsic_of(k)] = insns.get(_intrinsic_of(k), 0) + v
    return WayRun(way, seed, r.status, r.stdout, error, _effects(r.effects), state,
                  r.counters.get("instructions", 0), calls, insns,
                  per_site if way == "C" else {})


def _compile(args: list[str], log_to: str) -> str | None:
    """``pvcc-sim cc ARGS``: None, or the first error line."""
    from .build import build_logged

    with open(log_to, "w+b") as log:
        return build_logged(args, log)


def build_ways(sources: list[str], args: list[str], conv: str, workdir: str,
               stem: str = "prog") -> tuple[str, str, str]:
    """Build A, B and C of ``sources`` with GCC ``args`` in ``workdir``; raise
    ProofError (one line) when a way does not build."""
    from ...objects import ObjectError, open_object
    from ...patch import PatchError, patch_native

    if conv not in CONVENTIONS:
        raise ProofError(f"unknown convention {conv!r} (one of {', '.join(CONVENTIONS)})")
    os.makedirs(workdir, exist_ok=True)
    a, b, c = (os.path.join(workdir, f"{stem}.{w}") for w in WAYS)
    log = os.path.join(workdir, f"{stem}.log")
    plain = [x for x in args if not x.startswith("-fplugin-arg-pvcc-")]
    err = _compile(["--no-plugin", "--impl", "native", *plain, *sources, "-o", a], log)
    if err is None:
        err = _compile(["--impl", "hv", *args, *CONVENTIONS[conv], *sources, "-o", b], log)
        if err is not None:
            err = f"B: {err}"
    else:
        err = f"A: {err}"
    if err is not None:
        raise ProofError(err)
    try:
        if open_object(b).records:
            patch_native(b, c)
        else:           # no site: nothing to patch
            shutil.copyfile(b, c)
    except (ObjectError, PatchError, OSError) as e:
        raise ProofError(f"C: {e}") from None
    return a, b, c


def compare(runs: list[WayRun]) -> Proof:
    """The verdict on runs of A, B (one per seed) and C."""
    for r in runs:
        if r.error is not None:
            return Proof(MODEL_ERROR, runs, f"{_tag(r)}: {r.error}")
    ref = next(r for r in runs if r.way == "A")
    for r in runs:
        if r is ref:
            continue
        tag = _tag(r)
        if r.status != ref.status:
            return Proof(DISAGREE, runs, f"{tag}: exit status {r.status}, A {ref.status}")
        if r.stdout != ref.stdout:
            return Proof(DISAGREE, runs, f"{tag}: stdout differs from A's: "
                                         f"{_first_difference(r.stdout, ref.stdout)}")
        mine = [(e, None if e == "fc" else v) for e, v in r.effects]
        theirs = [(e, None if e == "fc" else v) for e, v in ref.effects]
        why = serializes_as(mine, theirs) if r.way == "B" else (
            None if mine == theirs else _first_list_difference(mine, theirs))
        if why:
            return Proof(DISAGREE, runs, f"{tag}: effect log differs from A's: {why}")
        diff = [k for k in ref.state if r.state.get(k) != ref.state[k]]
        if diff:
            k = diff[0]
            return Proof(DISAGREE, runs, f"{tag}: {k} = {r.state[k]:#x} at exit, "
                                         f"A {ref.state[k]:#x}")
    bs = [r for r in runs if r.way == "B"]
    c = next(r for r in runs if r.way == "C")
    for b in bs:
        why = serializes_as(b.effects, c.effects)
        if why:
            return Proof(DISAGREE, runs, f"C: effect log differs from B's (seed {b.seed}): "
                                         f"{why}")
    return Proof(AGREE, runs)


def serializes_as(mine: list[tuple], theirs: list[tuple]) -> str | None:
    """Why the hypervisor path's effects MINE are not THEIRS (A's, C's), or None.

    Every light implementation returns with data serialized (docs/light.md,
    "Serialization"), so B may serialize where A and C do not: a srlz.d
    changes nothing but ordering.  Everything else must be equal, and between
    two other effects (and before the first, after the last) B must serialize
    at least as often as the reference: each srlz.d of A is either still an
    instruction of B or was folded into a site whose implementation serializes.
    """
    def split(effects):
        others, gaps = [], [0]
        for e in effects:
            if e[0] == "srlz.d":
                gaps[-1] += 1
            else:
                others.append(e)
                gaps.append(0)
        return others, gaps

    (mo, mg), (to, tg) = split(mine), split(theirs)
    if mo != to:
        return _first_list_difference(mo, to) + " (serializations aside)"
    for i, (m, t) in enumerate(zip(mg, tg)):
        if m < t:
            where = f"before {to[i]}" if i < len(to) else "after the last effect"
            return f"{m} srlz.d {where}, the reference serializes {t} time(s)"
    return None


def _tag(r: WayRun) -> str:
    """B's runs differ by the seed of the hostile returns: name it."""
    return f"{r.way} (seed {r.seed})" if r.way == "B" else r.way


def _first_difference(a: bytes, b: bytes) -> str:
    la, lb = a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}: {x!r} vs {y!r}"
    return f"{len(la)} lines vs {len(lb)}"


def _first_list_difference(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"entry {i + 1}: {x} vs {y}"
    return f"{len(a)} entries vs {len(b)}"


def prove(sources: list[str], args: list[str], conv: str = "c", seeds: tuple[int, ...] = (1, 2),
          spec: str = "succeed", max_insns: int | None = None,
          workdir: str | None = None) -> Proof:
    """Build and run A, B (once per seed) and C; the verdict."""
    with tempfile.TemporaryDirectory(prefix="pvcc-prove-") as tmp:
        try:
            a, b, c = build_ways(sources, args, conv, workdir or tmp)
        except ProofError as e:
            return Proof(BUILD_ERROR, [], str(e))
        runs = [run_way("A", a, spec=spec, max_insns=max_insns)]
        runs += [run_way("B", b, seed=s, spec=spec, max_insns=max_insns) for s in seeds]
        runs.append(run_way("C", c, spec=spec, max_insns=max_insns))
    return compare(runs)


def report(p: Proof, sites: bool = False) -> str:
    """What the proof found, and each intrinsic's native-path cost (and each
    site's, with ``sites``)."""
    lines = []
    if p.outcome == BUILD_ERROR:
        return f"prove: build error: {p.detail}"
    for r in p.runs:
        what = {"A": "plain GCC, native table", "B": f"pvcc, hypervisor layer, seed {r.seed}",
                "C": "pvcc, patched native"}[r.way]
        end = f"model error: {r.error}" if r.error else f"exit {r.status}"
        lines.append(f"{r.way} ({what}): {end}, {r.stdout.count(NL)} lines of output, "
                     f"{len(r.effects)} effects, {r.instructions:,} instructions")
    verdict = {AGREE: "A = B = C: stdout, exit status, effect log, privileged state",
               DISAGREE: f"DISAGREE: {p.detail}", MODEL_ERROR: f"MODEL ERROR: {p.detail}"}
    lines.append(verdict[p.outcome])
    if p.outcome == AGREE:
        lines.append(cost_table(p))
        if sites:
            lines.append(site_table(p))
    return "\n".join(lines)


def cost_table(p: Proof) -> str:
    """Per intrinsic: A's calls of the native table and C's patched sites."""
    rows = [("intrinsic", "A calls", "A insns/call", "C sites run", "C insns/site", "C - A")]
    for name, na, ia, nc, ic in p.costs():
        rows.append((name, str(na), f"{ia:.1f}", str(nc), f"{ic:.1f}",
                     f"{ic - ia:+.1f}" if na and nc else "-"))
    a, c = p.run("A"), p.run("C")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [("native-path cost per intrinsic (A: inside the native table's function; "
            "C: inside the patched site's bundles):")]
    for r in rows:
        out.append("  " + "  ".join(x.ljust(widths[0]) if i == 0 else x.rjust(widths[i])
                                    for i, x in enumerate(r)))
    out.append(f"  whole program: A {a.instructions:,} instructions, C {c.instructions:,} "
               f"({c.instructions - a.instructions:+,})")
    return "\n".join(out)


def site_table(p: Proof) -> str:
    """Each site of C: its executions and the instructions per execution on the
    native path, against A's instructions per call of the native table."""
    a, c = p.run("A"), p.run("C")
    rows = [("site", "type", "runs", "C insns/run", "A insns/call", "C - A")]
    for key in sorted(c.sites):
        where, t = key.split(" ", 1)
        n, i = c.sites[key]
        name = _intrinsic_of(t)
        na = a.calls.get(name, 0)
        pa = a.insns.get(name, 0) / na if na else 0.0
        pc = i / n if n else 0.0
        rows.append((where, t, str(n), f"{pc:.1f}" if n else "-", f"{pa:.1f}" if na else "-",
                     f"{pc - pa:+.1f}" if n and na else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [("native-path cost per site (C: instructions executed in the patched site's "
           "bundles; A: inside the native table's function):")]
    for r in rows:
        out.append("  " + "  ".join(x.ljust(widths[i]) if i < 2 else x.rjust(widths[i])
                                    for i, x in enumerate(r)))
    return "\n".join(out)
