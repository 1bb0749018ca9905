"""Per-invocation overhead of the pvcc CC wrapper against the plain compiler.

    python benchmarks/bench_driver.py [--runs N] [--compile-runs M] [--gcc PATH]

Times, as the median of N wall-clock runs each, in one run of this script:

* probes: ``--version`` and ``-E -P -x c /dev/null`` (the fast path: argv scan
  and exec, no plugin, no check);
* a typical compile of a mid-size C file (generated: ~1,150 lines of kernel-ish
  C, ``-O2`` plus the IA-64 kernel flags): pvcc with plugin and post-check,
  with ``PVCC_CHECK=0`` (plugin only, exec), and with ``PVCC_DISABLE=1``.

Each pair is run alternately (plain, pvcc, plain, ...) so load changes hit
both.  pvcc's bytecode is cached in a temporary PYTHONPYCACHEPREFIX (as an
installed pvcc would have it) unless ``--as-is``.  Prints absolute medians
and the ratio pvcc / plain.  No assertions: the
numbers depend on the machine (and here on a Python start-up that pays for
whatever site-packages' ``.pth`` files import).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import pvcc_console_script  # tests/helpers.py


def mid_size_source(path: str, functions: int = 60) -> None:
    parts = [
        "#include <stddef.h>\n#include <stdarg.h>\n",
        "typedef unsigned long u64;\nstruct item { u64 key, val; struct item *next; int flags; };\n",
        "extern void sink(u64);\nextern struct item *lookup(u64);\n",
    ]
    for i in range(functions):
        parts.append(f"""
static inline u64 mix_{i}(u64 a, u64 b) {{ return (a ^ (b << {i % 13 + 1})) * 0x9e3779b97f4a7c15UL; }}

u64 walk_{i}(struct item *head, u64 seed)
{{
	u64 acc = seed;
	for (struct item *p = head; p; p = p->next) {{
		switch (p->flags & 7) {{
		case 0: acc += mix_{i}(p->key, acc); break;
		case 1: acc ^= p->val >> {i % 7}; break;
		case 2: acc = acc * 3 + p->key; break;
		case 3: if (p->val & 1) acc -= p->val; break;
		default: sink(acc); acc = mix_{i}(acc, {i});
		}}
	}}
	if (acc > {i * 1000}UL)
		sink(acc);
	return acc;
}}
""")
    with open(path, "w") as f:
        f.write("".join(parts))


def _once(argv: list[str], env: dict, cwd: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one run; cpu is user+sys of the whole process tree."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"benchmark command failed ({p.returncode}): {argv}\n"
                         f"{p.stderr.decode(errors='replace')}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def paired_medians(a: tuple, b: tuple, runs: int, cwd: str):
    """Medians of (wall, cpu) for commands a and b ((argv, env) each), run
    alternately so that a load change on the machine hits both alike."""
    _once(*a, cwd)  # warm-up: page cache, bytecode cache
    _once(*b, cwd)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(_once(*a, cwd))
        tb.append(_once(*b, cwd))

    def med(ts):
        return statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)

    return med(ta), med(tb)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21, help="runs per probe measurement")
    ap.add_argument("--compile-runs", type=int, default=9, help="runs per compile measurement")
    ap.add_argument("--gcc", help="the compiler (default: pvcc.toolchain.find_compiler())")
    ap.add_argument("--as-is", action="store_true",
                    help="keep PYTHONDONTWRITEBYTECODE & co. as they are in the environment")
    args = ap.parse_args()

    if args.gcc:
        gcc = args.gcc
    else:
        from pvcc.toolchain import find_compiler

        gcc = find_compiler()
    from pvcc.pluginbuild import plugin_path

    plugin = plugin_path(gcc)  # build once, outside the measurements

    with tempfile.TemporaryDirectory(prefix="pvcc-bench-") as tmp:
        pvcc = pvcc_console_script(tmp)
        src = os.path.join(tmp, "mid.c")
        mid_size_source(src)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PVCC_")
               or k == "PVCC_CACHE_DIR"}
        env["LC_ALL"] = "C"
        env["PVCC_GCC"] = gcc
        if not args.as_is:
            # An installed pvcc has its bytecode cached; PYTHONDONTWRITEBYTECODE
            # (set in some sandboxes) would make every run recompile it.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        from pvcc.catalog import KERNEL_CFLAGS

        kflags = ["-std=gnu11", "-O2", *KERNEL_CFLAGS, "-Wall"]
        compile_args = [*kflags, "-Wp,-MMD,mid.d", "-c", "-o", "mid.o", src]
        with open(src) as f:
            lines = sum(1 for _ in f)

        (startup, startup_cpu), _ = paired_medians(
            ([sys.executable, "-c", "pass"], env), ([sys.executable, "-S", "-c", "pass"], env),
            args.runs, tmp)
        print(f"compiler: {gcc}")
        print(f"pvcc:     {pvcc}")
        print(f"plugin:   {plugin}")
        print(f"python:   {sys.executable}; bare start-up (python -c pass) "
              f"{startup * 1e3:.1f} ms wall, {startup_cpu * 1e3:.1f} ms cpu"
              + ("" if not args.as_is else "; environment as is"))
        print(f"load:     {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cpus")
        print()
        header = (f"{'measurement':46} {'plain':>9} {'pvcc':>9} {'ratio':>6} {'delta':>9}"
                  f"  | {'cpu plain':>9} {'cpu pvcc':>9} {'ratio':>6}")
        print(header)
        print("-" * len(header))

        def row(label: str, cc_args: list[str], runs: int, extra_env: dict | None = None):
            (plain, plain_cpu), (wrapped, wrapped_cpu) = paired_medians(
                ([gcc, *cc_args], env), ([pvcc, *cc_args], dict(env, **(extra_env or {}))),
                runs, tmp)
            print(f"{label:46} {plain * 1e3:7.1f}ms {wrapped * 1e3:7.1f}ms "
                  f"{wrapped / plain:5.2f}x {(wrapped - plain) * 1e3:+7.1f}ms"
                  f"  | {plain_cpu * 1e3:7.1f}ms {wrapped_cpu * 1e3:7.1f}ms "
                  f"{wrapped_cpu / plain_cpu if plain_cpu else float('nan'):5.2f}x")

        row(f"probe --version (n={args.runs})", ["--version"], args.runs)
        row(f"probe -E -P -x c /dev/null (n={args.runs})",
            ["-E", "-P", "-x", "c", "/dev/null"], args.runs)
        row(f"cc-option -Werror -c -x c /dev/null (n={args.runs})",
            ["-Werror", "-c", "-x", "c", "/dev/null", "-o", os.path.join(tmp, "n.o")],
            args.runs)
        n = args.compile_runs
        row(f"compile mid.c ({lines} lines), plugin+check (n={n})", compile_args, n)
        row(f"compile mid.c, plugin, PVCC_CHECK=0 (n={n})", compile_args, n,
            {"PVCC_CHECK": "0"})
        row(f"compile mid.c, PVCC_DISABLE=1 (n={n})", compile_args, n, {"PVCC_DISABLE": "1"})
        print()
        print("delta = pvcc - plain; the probes' delta is mostly the Python start-up above.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
