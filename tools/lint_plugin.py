"""Compile the plugin with -Wall -Wextra -Werror against every provisioned GCC."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pvcc import toolchain

PLUGIN = Path(__file__).resolve().parent.parent / "plugin"


def main() -> int:
    entries = toolchain.provisioned()
    if not entries:
        print("lint_plugin: no GCC provisioned; run pvcc-toolchain install", file=sys.stderr)
        return 1
    failed = 0
    for entry in entries:
        gcc = str(entry.gcc)
        headers = subprocess.run([gcc, "-print-file-name=plugin"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        argv = ["g++", "-fsyntax-only", "-fPIC", "-fno-rtti", "-fno-exceptions", "-Wall",
                "-Wextra", "-Werror", f"-I{headers}/include", f"-I{PLUGIN}",
                *map(str, sorted(PLUGIN.glob("*.cc")))]
        proc = subprocess.run(argv, check=False)
        print(f"lint_plugin: GCC {entry.version}: {'ok' if proc.returncode == 0 else 'FAILED'}")
        failed |= proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
