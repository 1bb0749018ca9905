#!/usr/bin/env python3
"""Run csmith programs in pvcc-sim against the host and print the result table.

    python tools/sim_campaign.py -n 300 --seed 1 --spec succeed,fail -j 2

For each seed (SEED .. SEED+N-1): generate the program, get the host's
checksum line (programs the host does not finish in --host-timeout seconds
are discarded and counted), build it with ``pvcc-sim cc`` at each level
(-O0 -O1 -O2 -Os -O3) with and without the kernel flags, run every build in
the model in each speculation mode and compare.  Prints the table (level x
flags x mode: agree / disagree / model error / build error), then one line
per cell that did not agree.  ``--json FILE`` also writes every program's
result, one JSON object per line, as soon as it is known (an interrupted
campaign keeps what it did); ``--table FILE`` prints the table of such a file.
Exit status 0 when every compared cell agreed, 1 otherwise, 2 on bad usage.

Programs run in parallel (-j, default 2: the machine's cores); each gets a
directory under --keep DIR (kept) or a temporary one (removed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wrapper"))

from pvcc.sim.lab import csmith


def _one(seed: int, root: str, opts: dict) -> csmith.ProgramResult:
    return csmith.run_program(seed, os.path.join(root, f"seed-{seed}"), **opts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sim_campaign", description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--programs", type=int, default=10, help="number of seeds (10)")
    ap.add_argument("--seed", type=int, default=1, help="first seed (1)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="programs in parallel (2)")
    ap.add_argument("--levels", default=",".join(csmith.LEVELS),
                    help="comma-separated optimization levels")
    ap.add_argument("--flags", default=",".join(csmith.FLAG_SETS),
                    help="comma-separated flag sets: plain, kernel")
    ap.add_argument("--spec", default="succeed",
                    help="comma-separated speculation modes passed to pvcc-sim run --spec")
    ap.add_argument("--fail-everywhere", action="store_true",
                    help="run modes other than succeed at -O0/-O1 too (no speculation there)")
    ap.add_argument("--no-plugin", action="store_true", help="build with plain GCC")
    ap.add_argument("--host-timeout", type=float, default=csmith.HOST_TIMEOUT)
    ap.add_argument("--max-insns", type=int, default=csmith.MODEL_MAX_INSNS)
    ap.add_argument("--keep", metavar="DIR", help="keep every program and build under DIR")
    ap.add_argument("--json", metavar="FILE", help="append every result to FILE (JSON lines)")
    ap.add_argument("--table", metavar="FILE", help="only print the table of a --json FILE")
    args = ap.parse_args(argv)
    if args.table:
        try:
            with open(args.table, encoding="utf-8") as f:
                results = [csmith.result_from_dict(json.loads(ln)) for ln in f if ln.strip()]
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"sim_campaign: error: {args.table}: {e}", file=sys.stderr)
            return 2
        return _report(sorted(results, key=lambda r: r.seed))

    levels = tuple(x for x in args.levels.split(",") if x)
    flag_sets = tuple(x for x in args.flags.split(",") if x)
    unknown = [f for f in flag_sets if f not in csmith.FLAG_SETS]
    if unknown or not levels or args.programs < 1 or args.jobs < 1:
        print(f"sim_campaign: error: bad --flags {unknown}" if unknown else
              "sim_campaign: error: need at least one level, program and job", file=sys.stderr)
        return 2
    try:
        csmith.csmith_exe()
        csmith.csmith_include()
    except csmith.HarnessError as e:
        print(f"sim_campaign: error: {e}", file=sys.stderr)
        return 2
    if not csmith.model_available():
        print("sim_campaign: pvcc-sim's model is not installed: building only", file=sys.stderr)
    opts = {"levels": levels, "flag_sets": flag_sets,
            "specs": tuple(x for x in args.spec.split(",") if x),
            "plugin": not args.no_plugin, "fail_everywhere": args.fail_everywhere,
            "host_timeout": args.host_timeout, "max_insns": args.max_insns}

    t0 = time.monotonic()
    tmp = None
    root = args.keep
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="pvcc-sim-campaign-")
        root = tmp.name
    os.makedirs(root, exist_ok=True)
    seeds = range(args.seed, args.seed + args.programs)
    results = []
    log = open(args.json, "a", encoding="utf-8") if args.json else None  # noqa: SIM115
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(_one, s, root, opts): s for s in seeds}
            for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                seed = futures[fut]
                try:
                    r = fut.result()
                except csmith.HarnessError as e:
                    r = csmith.ProgramResult(seed, csmith.HOST_ERROR, None, [], str(e))
                results.append(r)
                if log:
                    log.write(json.dumps(dataclasses.asdict(r)) + "\n")
                    log.flush()
                bad = sum(c.outcome not in (csmith.AGREE, csmith.NO_MODEL) for c in r.cells)
                state = r.host or (f"{bad} not agreeing" if bad else "ok")
                print(f"[{done}/{len(futures)}] seed {seed}: {state}", file=sys.stderr,
                      flush=True)
    except KeyboardInterrupt:
        print("sim_campaign: interrupted", file=sys.stderr)
        return 130
    finally:
        if log:
            log.close()
        if tmp is not None:
            tmp.cleanup()
    status = _report(sorted(results, key=lambda r: r.seed))
    print(f"({time.monotonic() - t0:.0f}s, -j {args.jobs})")
    return status


def _report(results: list[csmith.ProgramResult]) -> int:
    print(csmith.table(results))
    fails = csmith.failures(results)
    for line in fails:
        print(line)
    return 1 if fails else 0


if __name__ == "__main__":
    from pvcc.cli import run

    sys.exit(run("sim_campaign", main))
