"""The plugin as a whole: transparency, options, header, catalog, warnings.

The per-site behaviour is in testcases/; this file covers what is not one
snippet: a corpus of plain C files, the plugin's own options and its header.
The catalog the plugin is built from is tested in tests/test_catalog.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pvcc import catalog
from pvcc.catalog import KERNEL_CFLAGS

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "data" / "plain").glob("*.c"))
KERNEL = list(KERNEL_CFLAGS)


def _compile(gcc, args, cwd=None):
    return subprocess.run([gcc, *args], capture_output=True, text=True, cwd=cwd, check=False,
                          env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})


def _text(obj: Path) -> bytes:
    out = obj.with_suffix(".text")
    subprocess.run(["ia64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", str(obj), str(out)],
                   check=True)
    return out.read_bytes()


def _sections(obj: Path) -> str:
    return subprocess.run(["ia64-linux-gnu-readelf", "-S", "-W", str(obj)], check=True,
                          capture_output=True, text=True).stdout


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 20, "the transparency corpus needs at least 20 C files"


@pytest.mark.parametrize("flags", [["-O2"], ["-O2", *KERNEL], ["-O0"], ["-Os", *KERNEL]],
                         ids=["O2", "O2-kernel", "O0", "Os-kernel"])
def test_text_identical_without_intrinsics(gcc, plugin_so, flags, tmp_path):
    """A file with no intrinsic: .text byte-identical with and without the plugin."""
    differ = []
    for src in CORPUS:
        plain, plugged = tmp_path / f"{src.stem}.o", tmp_path / f"{src.stem}.p.o"
        a = _compile(gcc, [*flags, "-std=gnu11", "-c", str(src), "-o", str(plain)])
        b = _compile(gcc, [f"-fplugin={plugin_so}", *flags, "-std=gnu11", "-c", str(src),
                           "-o", str(plugged)])
        assert (a.returncode, a.stderr) == (b.returncode, b.stderr), src.name
        if a.returncode:
            continue
        if _text(plain) != _text(plugged):
            differ.append(src.name)
        assert catalog.SECTION not in _sections(plugged), src.name
    assert differ == [], f".text differs with the plugin for {differ}"


def test_disable_switch_leaves_sites_alone(gcc, plugin_so, include_dir, tmp_path):
    src = tmp_path / "s.c"
    src.write_text("#include <pvcc/paravirt.h>\nvoid f(unsigned long a) { paravirt_fc(a); }\n")
    proc = _compile(gcc, [f"-fplugin={plugin_so}", "-fplugin-arg-pvcc-disable",
                          f"-I{include_dir}", "-O2", "-c", str(src), "-o", str(tmp_path / "s.o")])
    assert proc.returncode == 0, proc.stderr
    assert catalog.SECTION not in _sections(tmp_path / "s.o")


@pytest.mark.parametrize("arg, message", [
    ("-fplugin-arg-pvcc-bogus", "unknown option '-fplugin-arg-pvcc-bogus'"),
    ("-fplugin-arg-pvcc-disable=yes", "option '-fplugin-arg-pvcc-disable' takes no value"),
])
def test_bad_plugin_option(gcc, plugin_so, arg, message, tmp_path):
    src = tmp_path / "s.c"
    src.write_text("int x;\n")
    proc = _compile(gcc, [f"-fplugin={plugin_so}", arg, "-fdiagnostics-plain-output",
                          "-c", str(src), "-o", str(tmp_path / "s.o")])
    assert proc.returncode == 1
    assert f"error: {message}" in proc.stderr
    assert not (tmp_path / "s.o").exists()


def test_plugin_announces_itself(gcc, plugin_so):
    probe = "#ifdef __PVCC__\nrecord format __PVCC__\n#endif\n"
    with_plugin = subprocess.run([gcc, f"-fplugin={plugin_so}", "-E", "-P", "-x", "c", "-"],
                                 input=probe, capture_output=True, text=True, check=True)
    without = subprocess.run([gcc, "-E", "-P", "-x", "c", "-"], input=probe,
                             capture_output=True, text=True, check=True)
    assert with_plugin.stdout.strip() == "record format 1"
    assert without.stdout.strip() == ""
    # its version, as GCC lists loaded plugins, is the generated header's (one source:
    # pvcc.__version__ and catalog.RECORD_VERSION)
    verbose = subprocess.run([gcc, f"-fplugin={plugin_so}", "-v", "-S", "-o", "/dev/null",
                              "-x", "c", "-"], input="int x;\n", capture_output=True,
                             text=True, check=True)
    from pvcc import __version__, catalog
    assert (f" pvcc: pvcc {__version__} (record format {catalog.RECORD_VERSION})"
            in verbose.stderr.splitlines()), verbose.stderr


@pytest.mark.parametrize("compiler", ["host", "cross"])
def test_header_compiles_without_the_plugin(compiler, gcc, include_dir, tmp_path):
    """<pvcc/paravirt.h> is plain C for any compiler: the calls are extern calls."""
    cc = "gcc" if compiler == "host" else gcc
    src = tmp_path / "h.c"
    src.write_text("#include <pvcc/paravirt.h>\n"
                   "unsigned long f(void) { paravirt_fc(1); return paravirt_getreg(3116); }\n")
    proc = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror",
                           f"-I{include_dir}", "-c", str(src), "-o", str(tmp_path / "h.o")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_header_declares_the_linux_catalog(include_dir):
    header = (Path(include_dir) / "pvcc" / "paravirt.h").read_text()
    for intr in catalog.INTRINSICS:
        assert re.search(rf"\bparavirt_{intr.name}\(", header), intr.name


def test_plugin_builds_warning_free(gcc, tmp_path):
    from pvcc import catalog_c

    headers = subprocess.run([gcc, "-print-file-name=plugin"], capture_output=True, text=True,
                             check=True).stdout.strip()
    catalog_c.write_plugin_header(str(tmp_path))
    proc = subprocess.run(["g++", "-fsyntax-only", "-fPIC", "-fno-rtti", "-fno-exceptions",
                           "-Wall", "-Wextra", "-Werror", f"-I{headers}/include", f"-I{tmp_path}",
                           f"-I{ROOT / 'plugin'}", str(ROOT / "plugin" / "pvcc.cc")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
