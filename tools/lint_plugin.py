"""Compile the plugin (with its generated pvcc-catalog.h) with -Wall -Wextra -Werror
against every provisioned GCC."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pvcc import catalog_c, toolchain

PLUGIN = Path(__file__).resolve().parent.parent / "plugin"


def main() -> int:
    entries = toolchain.provisioned()
    if not entries:
        print("lint_plugin: no GCC provisioned; run pvcc-toolchain install", file=sys.stderr)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory(prefix="pvcc-lint-") as generated:
        catalog_c.write_plugin_header(generated)   # pvcc-catalog.h, as pluginbuild makes it
        for entry in entries:
            gcc = str(entry.gcc)
            headers = subprocess.run([gcc, "-print-file-name=plugin"], capture_output=True,
                                     text=True, check=True).stdout.strip()
            argv = ["g++", "-fsyntax-only", "-fPIC", "-fno-rtti", "-fno-exceptions", "-Wall",
                    "-Wextra", "-Werror", f"-I{headers}/include", f"-I{generated}",
                    f"-I{PLUGIN}", *map(str, sorted(PLUGIN.glob("*.cc")))]
            proc = subprocess.run(argv, check=False)
            ok = proc.returncode == 0
            print(f"lint_plugin: GCC {entry.version}: {'ok' if ok else 'FAILED'}")
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
