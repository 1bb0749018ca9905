"""Run every benchmark in this directory (`tox -e bench`); each prints its own ratios."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = sys.argv[1:]
    for bench in sorted(HERE.glob("bench_*.py")):
        if wanted and bench.stem.removeprefix("bench_") not in wanted:
            continue
        print(f"\n### {bench.stem}", flush=True)
        sys.argv = [str(bench)]
        runpy.run_path(str(bench), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
