"""Provision the compiler of a tox row before its tests (progress stays visible).

Reads PVCC_TEST_GCC (default 12). With PVCC_TEST_NO_PROVISION=1 it only says
loudly that the row's compiler tests will be reported as skipped.
"""

from __future__ import annotations

import os
import sys

from pvcc import toolchain


def main() -> int:
    version = int(os.environ.get("PVCC_TEST_GCC", "12"))
    try:
        path = toolchain.find_compiler(version)
        print(f"provision_row: GCC {version} is provisioned: {path}")
        return 0
    except toolchain.ToolchainError:
        pass
    if os.environ.get("PVCC_TEST_NO_PROVISION") == "1":
        print(f"provision_row: GCC {version} NOT PROVISIONED and PVCC_TEST_NO_PROVISION=1: "
              "this row's compiler tests will be SKIPPED", file=sys.stderr)
        return 0
    argv = ["install", "--gcc", str(version)]
    if os.environ.get("CI"):
        argv.append("--quiet")
    return toolchain.main(argv)


if __name__ == "__main__":
    sys.exit(main())
