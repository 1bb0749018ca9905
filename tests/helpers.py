"""Helpers shared by the tests that run the real compiler or the real `pvcc` script."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path


def compile_c(gcc: str, plugin_so: str, include_dir: str, tmp_path: Path, name: str,
              source: str | Path, *opts: str, out: Path | None = None) -> Path:
    """Compile C (text, or the path of a .c file) with the real GCC and the pvcc plugin.

    The object is tmp_path/NAME.o unless out says otherwise; a failed compile
    raises CalledProcessError with GCC's diagnostics in its stderr.
    """
    if isinstance(source, Path):
        src = source
    else:
        src = tmp_path / f"{name}.c"
        src.write_text(source)
    out = out or tmp_path / f"{name}.o"
    subprocess.run([gcc, f"-fplugin={plugin_so}", "-I", include_dir, *opts, "-c", str(src),
                    "-o", str(out)], check=True, capture_output=True, text=True)
    return out


def write_pvcc_script(path: Path, python: str = sys.executable,
                      package_dir: str | Path | None = None) -> Path:
    """An executable `pvcc` console script at path, as pip would generate it.

    python runs it; package_dir (the directory holding a `pvcc` package) is put
    first on its sys.path, to run a copy of pvcc instead of the installed one.
    """
    lines = [f"#!{python}", "import sys"]
    if package_dir is not None:
        lines.append(f"sys.path.insert(0, {str(package_dir)!r})")
    lines += ["from pvcc.driver import main", "sys.exit(main())", ""]
    path.write_text("\n".join(lines))
    path.chmod(0o755)
    return path


def pvcc_console_script(directory: str | Path) -> str:
    """The installed `pvcc` console script, or one written into directory when
    it is not a Python script (e.g. behind a pyenv shim)."""
    script = os.path.join(sysconfig.get_path("scripts"), "pvcc")
    try:
        with open(script, "rb") as f:
            if b"python" in f.readline():
                return script
    except OSError:
        pass
    return str(write_pvcc_script(Path(directory) / "pvcc"))
