#!/usr/bin/env python3
"""Proof by execution at scale: A = B = C for testcases, the demo and woven csmith programs.

    python tools/prove_campaign.py --testcases --demo --csmith 300 --cells 2 -j 2 \\
        --json build/prove.jsonl

Every program is built three ways and run in pvcc-sim (``pvcc.sim.lab.prove``):
A plain GCC + the native table, B pvcc + the C hypervisor layer (hostile
returns, seeded), C = B patched native.  A cell is one program at one level
(-O0 -O1 -O2 -Os -O3), flag set (plain, kernel) and convention (c, light);
its outcome is agree / disagree / model error / build error.

* ``--testcases``: every compile testcase under testcases/ with a generated
  driver ``main`` (``pvcc.sim.lab.drivers``), at every level and the flag sets its
  case.toml names (``--testcase-cells K``: K of them, drawn by the name); a
  case that fixes its convention runs only in it.
* ``--demo``: examples/paravirt_demo.c with its driver.
* ``--csmith N``: seeds SEED.. of csmith programs the host finishes (the
  unwoven program, within --host-timeout), woven with intrinsic calls
  (``pvcc.sim.lab.weave``).  ``--cells K`` runs K cells per program, drawn from
  the 20 by the seed (every cell when K is 0 or 20).

Prints the table (kind x level x flags x convention: programs, agree,
disagree, model error, build error), one line per cell that did not agree,
and the native-path cost per intrinsic summed over the agreeing cells.
``--json FILE`` appends each cell as a JSON line when it is known; ``--table
FILE`` prints the table of such a file.  Exit 0 when every cell agreed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import os
import random
import sys
import tempfile
import tomllib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "wrapper"))

from pvcc.sim.lab import prove
from pvcc.sim.lab.csmith import FLAG_SETS, LEVELS

CONVS = tuple(prove.CONVENTIONS)
OUTCOMES = prove.OUTCOMES
# Testcases that cannot be a three-way program, and why (none today).
EXCLUDED: dict[str, str] = {}


class TableError(Exception):
    """A --table file that is not what --json writes; one line."""


def _cells(levels, flag_sets, convs):
    return [(lv, fl, cv) for lv in levels for fl in flag_sets for cv in convs]


def _sample(every: list, k: int, key: str) -> list:
    """K cells of ``every`` drawn by ``key`` (all of them when K is 0 or too large)."""
    return every if k <= 0 or k >= len(every) else random.Random(key).sample(every, k)


def testcase_items(k: int = 0) -> list[dict]:
    items = []
    root = os.path.join(ROOT, "testcases")
    for name in sorted(os.listdir(root)):
        toml = os.path.join(root, name, "case.toml")
        if not os.path.isfile(toml) or name.startswith("err_") or name in EXCLUDED:
            continue
        with open(toml, "rb") as f:
            case = tomllib.load(f)
        if case.get("kind", "sites") == "diagnostics":
            continue
        pargs = case.get("plugin_args", [])
        convs = ("light",) if "conv=light" in pargs else CONVS
        args = [*case.get("options", []), *(f"-fplugin-arg-pvcc-{a}" for a in pargs
                                              if a != "conv=light")]
        # Every level: a case's `levels` only keeps its sites test short.  Its
        # flag sets and convention stay (-fPIC is not for the kernel's flags).
        cells = _sample(_cells(LEVELS, case.get("flag_sets", FLAG_SETS), convs), k, name)
        items.append({"kind": "testcase", "name": name, "args": args, "cells": cells,
                      "source": os.path.join(root, name, "input.c")})
    return items


def demo_item() -> dict:
    return {"kind": "demo", "name": "paravirt_demo", "args": ["-std=gnu11"],
            "cells": _cells(LEVELS, FLAG_SETS, CONVS),
            "source": os.path.join(ROOT, "examples", "paravirt_demo.c")}


def csmith_items(n: int, first: int, k: int) -> list[dict]:
    every = _cells(LEVELS, FLAG_SETS, CONVS)
    items = []
    for seed in range(first, first + n):
        cells = _sample(every, k, f"csmith-{seed}")
        items.append({"kind": "csmith", "name": f"csmith-{seed}", "seed": seed,
                      "args": ["-w"], "cells": cells})
    return items


def run_item(item: dict, root: str, opts: dict) -> list[dict]:
    """Every cell of one program (in a worker process)."""
    from pvcc.sim.lab import csmith, drivers, weave

    work = os.path.join(root, item["name"])
    os.makedirs(work, exist_ok=True)
    base = {"kind": item["kind"], "program": item["name"]}
    args = list(item["args"])
    if item["kind"] == "csmith":
        src = os.path.join(work, "csmith.c")
        try:
            csmith.generate(item["seed"], src)
            ref = csmith.host_reference(src, work, opts["host_timeout"])
            if ref.outcome is not None:
                return [{**base, "skipped": f"{ref.outcome}: {ref.detail}"}]
            woven = os.path.join(work, "woven.c")
            with open(src) as f:
                text = weave.weave(f.read(), item["seed"])
            with open(woven, "w") as f:
                f.write(text)
        except (csmith.HarnessError, weave.WeaveError) as e:
            return [{**base, "skipped": str(e)}]
        sources = [woven]
        args.append(f"-I{csmith.csmith_include()}")
    else:
        with open(item["source"]) as f:
            try:
                d = drivers.driver(f.read())
            except drivers.DriverError as e:
                return [{**base, "level": level, "flags": flags, "conv": conv,
                         "outcome": prove.BUILD_ERROR, "detail": f"driver: {e}"}
                        for level, flags, conv in item["cells"]]
        drv = os.path.join(work, "driver.c")
        with open(drv, "w") as f:
            f.write(d.text)
        sources = [item["source"], drv]
    out = []
    for level, flags, conv in item["cells"]:
        p = prove.prove(sources, [level, *FLAG_SETS[flags], *args], conv,
                        seeds=opts["seeds"], max_insns=opts["max_insns"],
                        workdir=os.path.join(work, f"{level}-{flags}-{conv}"))
        cell = {**base, "level": level, "flags": flags, "conv": conv,
                "outcome": p.outcome, "detail": p.detail}
        if p.outcome == prove.AGREE:
            a, c = p.run("A"), p.run("C")
            cell["costs"] = {n: [a.calls.get(n, 0), a.insns.get(n, 0), c.calls.get(n, 0),
                                 c.insns.get(n, 0)] for n in set(a.calls) | set(c.calls)}
            cell["insns"] = [a.instructions, c.instructions]
        out.append(cell)
    return out


def table(cells: list[dict]) -> str:
    rows: dict[tuple, dict] = {}
    # A cell run again (a resumed campaign appending to the same file): the last run counts.
    last = {(c["program"], c.get("level"), c.get("flags"), c.get("conv")): c for c in cells}
    cells = list(last.values())
    skipped = [c for c in cells if "skipped" in c]
    order = {x: i for i, x in enumerate(("testcase", "demo", "csmith", *LEVELS,
                                         *FLAG_SETS, *CONVS))}
    for c in cells:
        if "skipped" in c:
            continue
        key = (c["kind"], c["level"], c["flags"], c["conv"])
        r = rows.setdefault(key, {"programs": set(), **dict.fromkeys(OUTCOMES, 0)})
        r["programs"].add(c["program"])
        r[c["outcome"]] += 1
    head = ["kind", "level", "flags", "conv", "programs", *OUTCOMES]
    body = []
    total = dict.fromkeys(OUTCOMES, 0)
    for key in sorted(rows, key=lambda k: tuple(order.get(x, 99) for x in k)):
        r = rows[key]
        body.append([*key, str(len(r["programs"])), *(str(r[o]) for o in OUTCOMES)])
        for o in OUTCOMES:
            total[o] += r[o]
    programs = {c["program"] for c in cells if "skipped" not in c}
    body.append(["total", "", "", "", str(len(programs)), *(str(total[o]) for o in OUTCOMES)])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = [(f"prove: {len(programs)} programs, {sum(total.values())} cells, "
             f"{len(skipped)} csmith seeds skipped (host timeout or error)")]
    for row in [head, *body]:
        lines.append("  ".join(x.ljust(widths[i]) if i < 4 else x.rjust(widths[i])
                               for i, x in enumerate(row)).rstrip())
    lines += [f"{c['program']} {c['level']} {c['flags']} {c['conv']}: {c['outcome']}: "
              f"{c['detail']}" for c in cells if c.get("outcome", prove.AGREE) != prove.AGREE]
    lines.append(cost_table(cells))
    return "\n".join(lines)


def cost_table(cells: list[dict]) -> str:
    """Per intrinsic over the agreeing cells: A's instructions per call of the
    native table's function, C's per execution of a patched site."""
    sums: dict[str, list[int]] = {}
    for c in cells:
        for name, v in c.get("costs", {}).items():
            s = sums.setdefault(name, [0, 0, 0, 0])
            for i in range(4):
                s[i] += v[i]
    rows = [("intrinsic", "A calls", "A insns/call", "C sites run", "C insns/site", "C - A")]
    for name in sorted(sums):
        na, ia, nc, ic = sums[name]
        pa, pc = (ia / na if na else 0.0), (ic / nc if nc else 0.0)
        rows.append((name, str(na), f"{pa:.2f}", str(nc), f"{pc:.2f}",
                     f"{pc - pa:+.2f}" if na and nc else "-"))
    ta = sum(c["insns"][0] for c in cells if "insns" in c)
    tc = sum(c["insns"][1] for c in cells if "insns" in c)
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out = [("native-path cost per intrinsic, agreeing cells (A: inside the native table's "
           "function per call; C: inside the patched site's bundles per execution):")]
    out += ["  " + "  ".join(x.ljust(widths[0]) if i == 0 else x.rjust(widths[i])
                             for i, x in enumerate(r)) for r in rows]
    out.append(f"  all programs: A {ta:,} instructions, C {tc:,} ({tc - ta:+,})")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="prove_campaign", description=__doc__.split("\n\n")[0])
    ap.add_argument("--testcases", action="store_true")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--csmith", type=int, default=0, metavar="N")
    ap.add_argument("--seed", type=int, default=1, help="first csmith seed (1)")
    ap.add_argument("--cells", type=int, default=0, metavar="K",
                    help="cells per csmith program, drawn by its seed (0: all 20)")
    ap.add_argument("--testcase-cells", type=int, default=0, metavar="K",
                    help="cells per testcase, drawn by its name (0: all it names)")
    ap.add_argument("--only", metavar="NAME", action="append",
                    help="run only the testcases NAME (repeatable)")
    ap.add_argument("--seeds", default="1", help="seeds of B's hostile returns (1)")
    ap.add_argument("--max-insns", type=int, default=50_000_000)
    ap.add_argument("--host-timeout", type=float, default=2.0)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", metavar="DIR")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--table", metavar="FILE", action="append",
                    help="only print the table of --json FILEs (repeatable; a cell "
                         "run again counts by its last run)")
    a = ap.parse_args(argv)
    if a.table:
        cells = []
        for name in a.table:
            with open(name) as f:
                for n, line in enumerate(f, 1):
                    try:
                        cells += [json.loads(line)] if line.strip() else []
                    except json.JSONDecodeError as e:
                        raise TableError(f"{name}:{n}: not a cell of --json: {e}") from None
        print(table(cells))
        return 0 if all(c.get("outcome", prove.AGREE) == prove.AGREE for c in cells) else 1
    # Interleaved, so that an interrupted campaign has results of every kind.
    kinds = [[it for it in testcase_items(a.testcase_cells) if not a.only or it["name"] in a.only]
             if a.testcases else [],
             [demo_item()] if a.demo else [], csmith_items(a.csmith, a.seed, a.cells)]
    items = [it for group in itertools.zip_longest(*kinds) for it in group if it]
    if not items:
        ap.error("nothing to run: --testcases, --demo and/or --csmith N")
    opts = {"seeds": tuple(int(s) for s in a.seeds.split(",")), "max_insns": a.max_insns,
            "host_timeout": a.host_timeout}
    for name, why in EXCLUDED.items():
        if a.testcases:
            print(f"testcase {name} excluded: {why}", flush=True)
    tmp = None if a.keep else tempfile.TemporaryDirectory(prefix="pvcc-prove-campaign-")
    root = a.keep or tmp.name
    cells: list[dict] = []
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    log = open(a.json, "a") if a.json else None  # noqa: SIM115 - closed in finally
    try:
        with concurrent.futures.ProcessPoolExecutor(a.jobs) as pool:
            futures = [pool.submit(run_item, it, root, opts) for it in items]
            for fut in concurrent.futures.as_completed(futures):
                got = fut.result()
                cells += got
                for c in got:
                    if log:
                        log.write(json.dumps(c) + "\n")
                        log.flush()
                    if c.get("outcome", prove.AGREE) != prove.AGREE:
                        print(f"{c['program']} {c['level']} {c['flags']} {c['conv']}: "
                              f"{c['outcome']}: {c['detail']}", flush=True)
    except KeyboardInterrupt:
        print("prove_campaign: interrupted; the table covers what finished", file=sys.stderr)
    finally:
        if log:
            log.close()
        if tmp:
            tmp.cleanup()
    print(table(cells))
    return 0 if all(c.get("outcome", prove.AGREE) == prove.AGREE for c in cells) else 1


if __name__ == "__main__":
    from pvcc.cli import run

    sys.exit(run("prove_campaign", main, errors=((OSError, 2), (TableError, 2))))
