"""``pvcc-sim``: build programs for the model (``cc``) and run them (``run``).

  pvcc-sim run [--patch native] [--spec succeed|fail] [--max-insns N] [--trace]
               [--stats] [--nphys N] [--seed N] PROG [ARGS...]
  pvcc-sim bare [--max-insns N] [--trace] [--stats] [--ram MIB] [--chk-faults] PROG
  pvcc-sim boot [--initrd CPIO] [--append CMDLINE] [--mem MIB] [--max-insns N] [--stats]
                [--trace-interrupts] [--trace] [--stdin] [--hypervisor passthru] VMLINUX
  pvcc-sim cc ...   (see pvcc.sim.lab.build)
  pvcc-sim prove [--conv c|light] [--seeds 1,2] [--spec succeed|fail] [--max-insns N]
                 [--keep DIR] [--sites] GCC-ARGS... SOURCES...   (see pvcc.sim.lab.prove)

``run`` prints the program's output and exits with its status.  ``bare`` runs
an ELF image in system mode on a machine with only RAM (physical mode, cpl 0,
its own vector table; ``break 0x1F0000`` stops with status r8 & 0xFF; see
pvcc.sim.platform.bare).  A model
error prints one line ``pvcc-sim: error: FUNC+0xOFF (ADDR): MESSAGE`` and
exits with 125 (124 for --max-insns, 2 for a file that cannot be loaded).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from .errors import EXIT_USAGE, SimError


def _die(msg: str, status: int) -> int:
    sys.stdout.flush()
    print(f"pvcc-sim: error: {msg}", file=sys.stderr)
    return status


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pvcc-sim run",
                                description="Run a static IA-64 program in the model.")
    p.add_argument("--patch", choices=("native",),
                   help="patch every pvcc site to its native instruction first")
    p.add_argument("--spec", choices=("succeed", "fail"), default="succeed",
                   help="speculative loads succeed where legal, or always defer/miss")
    p.add_argument("--max-insns", type=int, default=None, metavar="N")
    p.add_argument("--trace", action="store_true", help="print every executed instruction")
    p.add_argument("--stats", action="store_true", help="print counters on stderr at the end")
    p.add_argument("--nphys", type=int, default=96,
                   help="physical stacked registers (default 96)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the clobber hypercalls' values (hostile returns)")
    p.add_argument("prog")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def run_main(argv: list[str]) -> int:
    from .lab import hostile
    from .platform.userland.program import run_program
    opts = _run_parser().parse_args(argv)
    if opts.nphys < 96:
        return _die("--nphys must be at least 96", EXIT_USAGE)
    prog = opts.prog
    tmpdir = None
    try:
        if opts.patch == "native":
            from ..objects import ObjectError
            from ..patch import PatchError, patch_native
            tmpdir = tempfile.TemporaryDirectory(prefix="pvcc-sim-")
            patched = os.path.join(tmpdir.name, os.path.basename(prog))
            try:
                patch_native(prog, patched)
            except (ObjectError, PatchError, OSError) as e:
                return _die(f"--patch native: {e}", EXIT_USAGE)
            prog = patched
        sys.stdout.flush()
        sites = None
        calls = []
        if opts.stats:
            from .lab.prove import table_sites
            from .platform.userland.program import site_types

            def sites(obj):
                found = site_types(obj)
                if not found:       # no sites: count the native table's functions
                    found = table_sites(obj)
                    calls.append(bool(found))
                return found
        from .platform.machine.passthru import PassThrough
        passthru = PassThrough()        # the machine's pass-through hypercalls too
        try:
            r = run_program(prog, opts.args, spec=opts.spec, max_insns=opts.max_insns,
                            trace=sys.stderr if opts.trace else None, nphys=opts.nphys,
                            stdout=sys.stdout.buffer, stderr=sys.stderr.buffer,
                            hypercalls={**hostile.hypercalls(opts.seed), **passthru.handlers()},
                            sites=sites)
        except SimError as e:
            return _die(e.msg, e.status)
        sys.stdout.flush()
        if opts.stats:
            table = any(calls)
            _print_stats(r, "native table calls" if table else "sites executed",
                         "inside the function" if table else "in site bundles")
            if passthru.counts:
                for line in passthru.stats_lines():
                    print(f"pvcc-sim: {line.strip()}", file=sys.stderr)
        if r.error is not None:
            loc = f"{r.where}: " if r.where else ""
            return _die(f"{loc}{r.error.msg}", r.error.status)
        return r.status
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()


def bare_main(argv: list[str]) -> int:
    from .platform.bare import run_bare

    p = argparse.ArgumentParser(prog="pvcc-sim bare",
                                description="Run an IA-64 image in system mode on bare RAM.")
    p.add_argument("--max-insns", type=int, default=None, metavar="N")
    p.add_argument("--trace", action="store_true", help="print every executed instruction")
    p.add_argument("--stats", action="store_true", help="print counters on stderr at the end")
    p.add_argument("--ram", type=int, default=64, metavar="MIB", help="RAM at 0 (64 MiB)")
    p.add_argument("--chk-faults", action="store_true",
                   help="failing chk.s/chk.a take the Speculation vector")
    p.add_argument("prog")
    opts = p.parse_args(argv)
    try:
        r = run_bare(opts.prog, max_insns=opts.max_insns, ram=opts.ram << 20,
                     trace=sys.stderr if opts.trace else None, chk_faults=opts.chk_faults)
    except SimError as e:
        return _die(e.msg, e.status)
    if opts.stats:
        for k, v in r.counters.items():
            print(f"pvcc-sim: {k}: {v}", file=sys.stderr)
    if r.error is not None:
        loc = f"{r.where}: " if r.where else ""
        return _die(f"{loc}{r.error.msg}", r.error.status)
    return r.status


def prove_main(argv: list[str]) -> int:
    """Build SOURCES three ways (A plain GCC + native table, B pvcc + hypervisor
    layer, C = B patched native), run them and print the verdict and each
    intrinsic's native-path cost.  Exit 0 when A = B = C, 1 when they differ or
    a way does not build, 125 on a model error."""
    from .lab import prove

    p = argparse.ArgumentParser(prog="pvcc-sim prove", description=prove_main.__doc__)
    p.add_argument("--conv", choices=tuple(prove.CONVENTIONS), default="c")
    p.add_argument("--seeds", default="1,2", help="seeds of B's hostile returns (1,2)")
    p.add_argument("--spec", choices=("succeed", "fail"), default="succeed")
    p.add_argument("--max-insns", type=int, default=None, metavar="N")
    p.add_argument("--keep", metavar="DIR", help="keep the three programs in DIR")
    p.add_argument("--sites", action="store_true", help="the native-path cost of every site")
    opts, rest = p.parse_known_args(argv)
    sources = [a for a in rest if a.endswith((".c", ".s", ".S", ".o", ".a"))]
    if not sources:
        return _die("prove: no source file among the arguments", EXIT_USAGE)
    try:
        seeds = tuple(int(s) for s in opts.seeds.split(","))
    except ValueError:
        return _die(f"prove: --seeds {opts.seeds!r} is not a list of numbers", EXIT_USAGE)
    gcc_args = [a for a in rest if a not in sources]
    proof = prove.prove(sources, gcc_args, opts.conv, seeds, opts.spec, opts.max_insns,
                        workdir=opts.keep)
    if proof.outcome == prove.BUILD_ERROR:
        return _die(f"prove: {proof.detail}", 1)
    print(prove.report(proof, sites=opts.sites))
    return {prove.AGREE: 0, prove.DISAGREE: 1}.get(proof.outcome, 125)


def _print_stats(r, what: str, where: str) -> None:
    err = sys.stderr
    for k, v in r.counters.items():
        print(f"pvcc-sim: {k}: {v}", file=err)
    for k in sorted(r.site_hits):
        print(f"pvcc-sim: {what}: {k}: {r.site_hits[k]} "
              f"({r.site_insns.get(k, 0)} instructions {where})", file=err)


def _main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else EXIT_USAGE
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        return run_main(rest)
    if cmd == "bare":
        return bare_main(rest)
    if cmd == "boot":
        from .platform.machine.run import boot_main
        return boot_main(rest)
    if cmd == "cc":
        from .lab.build import cc_main
        return cc_main(rest)
    if cmd == "prove":
        return prove_main(rest)
    return _die(f"unknown command {cmd!r} (run, bare, boot, cc or prove)", EXIT_USAGE)


def main(argv: list[str] | None = None) -> int:
    """A model bug is one line too (``internal error``), with PVCC_SIM_TRACEBACK=1 its traceback."""
    from ..cli import run

    argv = sys.argv[1:] if argv is None else argv
    return run("pvcc-sim", lambda: _main(argv), contains_bugs=True,
               traceback=bool(os.environ.get("PVCC_SIM_TRACEBACK")))


if __name__ == "__main__":
    sys.exit(main())
