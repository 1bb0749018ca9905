"""Run every benchmark in this directory (`tox -e bench`); each prints its own ratios."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = sys.argv[1:]
    failed = 0
    for bench in sorted(HERE.glob("bench_*.py")):
        if wanted and bench.stem.removeprefix("bench_") not in wanted:
            continue
        print(f"\n### {bench.stem}", flush=True)
        sys.argv = [str(bench)]
        try:
            runpy.run_path(str(bench), run_name="__main__")
        except SystemExit as stop:  # a benchmark's own sys.exit() ends only itself
            if stop.code not in (None, 0):
                failed += 1
                print(f"### {bench.stem} exited with {stop.code}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
