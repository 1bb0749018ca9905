"""pvcc-check, the command line: check sites, or patch, retarget-verify, check callees.

The front end of the checker and of the tools beside it; the rules are
`pvcc.check` (the site contract, docs/contract.md), `pvcc.patch` (``--patch
native``), `pvcc.retarget` (``--verify-retarget``) and `pvcc.callee`
(``--callee``) and `pvcc.native_table` (``--fill-native``).  Each input file is read and decoded once (`pvcc.decoded`), and
every step asked for reads that one model: ``--patch native`` checks the
sites and patches them from the same decoding.

Exit status: 0 all hold, 1 violations (or a failed patch), 2 unreadable input
or usage error (``--fill-native``: 2 when a file's table cannot be filled).
Every error is one ``pvcc-check: error: ...`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import catalog, cli
from .check import Report, check_decoded
from .decoded import decode_file
from .objects import ObjectError

PROG = "pvcc-check"


def _table(reports: list[Report]) -> str:
    rows = [("FILE", "TYPE", "SITES", "FUNCS", "VIOLATIONS", "SITES BY TYPE")]
    for r in reports:
        if r.error is not None:
            rows.append((r.file, "-", "-", "-", "-", "unreadable"))
            continue
        by = ", ".join(f"{k} {v}" for k, v in sorted(r.by_type.items())) or "-"
        rows.append((r.file, r.kind, str(len(r.records)), str(len(r.functions)),
                     str(len(r.violations)), by))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in (2, 3, 4)]
        out.append("  ".join(cells + [row[5]]).rstrip())
    return "\n".join(out)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Check pvcc paravirt call sites in IA-64 objects (.o, .ko, vmlinux).",
        epilog="Exit status: 0 all sites hold the contract, 1 violations (or a failed patch), "
               "2 unreadable input or usage error.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--require-sites", action="store_true",
                   help=f"a file without a {catalog.SECTION} section is an error")
    p.add_argument("--patch", choices=["native"],
                   help="write a copy with every site replaced by its native code (needs -o)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file for --patch")
    p.add_argument("--verify-retarget", metavar="TABLE",
                   help="prove that every site calls the implementation TABLE registers for "
                        "its type (lines 'TYPE SYMBOL-OR-ADDRESS'), or keeps its call")
    p.add_argument("--fill-native", action="store_true",
                   help=f"fill the {catalog.NATIVE_SECTION} section of each linked FILE "
                        "in place with its records' native code (exit 2 when a file has "
                        "no such section, a wrong-sized one, or no records)")
    p.add_argument("-q", "--quiet", action="store_true", help="no table, only diagnostics")
    p.add_argument("--callee", action="store_true",
                   help="instead of sites, prove that the light implementations "
                        f"({catalog.LIGHT_PREFIX}*) in FILE follow the light convention")
    return p


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.verify_retarget:
        from . import retarget

        if args.patch:
            p.error("--verify-retarget and --patch exclude each other")
        return cli.run(PROG, lambda: retarget.main_verify(
            args.verify_retarget, args.files, args.json, args.quiet, _err))
    if args.fill_native:
        if args.patch or args.callee or args.output or args.json:
            p.error("--fill-native excludes --patch, -o, --callee and --json")
        return cli.run(PROG, lambda: _main_fill(args))
    if args.callee:
        if args.patch:
            p.error("--callee and --patch exclude each other")
        return cli.run(PROG, lambda: _main_callee(args))
    return cli.run(PROG, lambda: _main_patch(p, args) if args.patch else _main_check(args))


def _err(msg: str) -> None:
    cli.error(PROG, msg)


def _main_fill(args) -> int:
    """--fill-native: each file's table filled in place, or left untouched with one error."""
    from . import native_table

    status = 0
    for path in args.files:
        try:
            done = native_table.fill_file(path)
        except (ObjectError, native_table.TableError) as e:
            _err(str(e))
            status = 2
            continue
        except OSError as e:
            _err(f"{path}: {cli.message_of(e)}")
            status = 2
            continue
        if not args.quiet:
            print(done.summary())
            for where, name, reason in done.left:
                print(f"  {where}: {name}: left zero: {reason}")
    return status


def _main_callee(args) -> int:
    from . import callee

    status = 0
    rows = []
    for path in args.files:
        try:
            model = decode_file(path)
        except ObjectError as e:
            _err(str(e))
            status = 2
            continue
        funcs, violations = callee.check(model)
        if not funcs:
            _err(f"{path}: no {catalog.LIGHT_PREFIX}* implementation to check")
            status = max(status, 1)
        for v in violations:
            print(v, file=sys.stderr)
        if violations:
            status = max(status, 1)
        rows.append({"file": path, "implementations": len(funcs),
                     "violations": [str(v) for v in violations]})
    if args.json:
        json.dump({"version": 1, "ok": status == 0, "callee": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.quiet:
        for r in rows:
            print(f"{r['file']}: {r['implementations']} light implementation(s), "
                  f"{len(r['violations'])} violation(s)")
    return status


def _main_check(args) -> int:
    reports: list[Report] = []
    status = 0
    for path in args.files:
        try:
            rep = check_decoded(decode_file(path, require_records=args.require_sites))
        except ObjectError as e:
            _err(str(e))
            reports.append(Report(path, error=str(e)))
            status = 2
            continue
        reports.append(rep)
        if rep.violations:
            status = max(status, 1)
            if not args.json:
                for v in rep.violations:
                    print(v, file=sys.stderr)
    if args.json:
        doc = {
            "version": 1,
            "ok": status == 0,
            "objects": [r.as_json() for r in reports],
            "summary": {
                "objects": len(reports),
                "sites": sum(len(r.records) for r in reports),
                "violations": sum(len(r.violations) for r in reports),
                "errors": sum(1 for r in reports if r.error is not None),
            },
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(_table(reports))
    return status


def _main_patch(p: argparse.ArgumentParser, args) -> int:
    from . import patch

    if not args.output:
        p.error("--patch needs -o OUT")
    if len(args.files) != 1:
        p.error("--patch takes exactly one FILE")
    path = args.files[0]
    if os.path.abspath(args.output) == os.path.abspath(path):
        p.error("-o OUT must not be the input file")
    try:
        model = decode_file(path, require_records=True)
    except ObjectError as e:
        _err(str(e))
        return 2
    rep = check_decoded(model)
    if rep.violations:
        for v in rep.violations:
            print(v, file=sys.stderr)
        _err(f"{path}: not patched: {len(rep.violations)} violation(s)")
        return 1
    try:
        done = patch.patch_decoded(model, args.output)
    except ObjectError as e:
        _err(str(e))
        return 2
    except patch.PatchError as e:
        _err(str(e))
        return 1
    if args.json:
        json.dump({"version": 1, "file": path, "output": args.output,
                   "patched": [s.as_json() for s in done]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(f"{args.output}: {len(done)} site(s) patched with native code")
        for s in done:
            print(f"  {s.where}: {s.name}: " + " ; ".join(s.text))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
