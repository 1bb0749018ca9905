"""CONFIG_PVCC_UNWIND_TEST (kernel/pvcc_unwind_test.c, docs/boot.md "A backtrace
through a site"): the pieces that must agree without a kernel build, and the sim
configuration's fragment check that now holds an option of the pvcc patch's own.

The boot itself (dump_stack() through the thunk) is kernel/simboot.py's way unwind,
opt-in (``tox -e boot``); its Call Trace parser is tested on a real console in
tests/test_sim_boot.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from asmtools import assemble, needs_binutils
from pvcc import catalog, thunks, unwind
from pvcc.check import violations_of
from pvcc.objects import open_object

KERNEL = Path(__file__).resolve().parent.parent / "kernel"
TEST_C = (KERNEL / "pvcc_unwind_test.c").read_text()
PATCH = KERNEL / "linux-6.1-pvcc.patch"
FRAGMENT = KERNEL / "sim.config"
IMPL = "pvcc_unwind_test_get_cpuid"


def kbuild(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(KERNEL / "kbuild.py"), *map(str, args)],
                          capture_output=True, text=True, check=False)


def test_the_registration_names_the_generated_thunk_and_get_cpuid():
    """The C file registers get_cpuid's type with the C function and the entry
    pvcc-thunks writes for it, the one build.sh generates and the Makefile links."""
    entry = thunks.entry_name(IMPL)
    assert entry == "__pvcc_light_pvcc_unwind_test_get_cpuid"
    assert re.search(rf"\{{ PARAVIRT_PATCH_TYPE_GET_CPUID, \(void \(\*\)\(void\)\){IMPL},\s*"
                     rf"{entry} \}}", TEST_C)
    assert re.search(rf"^unsigned long {IMPL}\(int index\)$", TEST_C, re.MULTILINE)
    assert catalog.BY_NAME["get_cpuid"].symbol == "paravirt_get_cpuid"
    build = (KERNEL / "build.sh").read_text()
    assert re.search(rf"-m pvcc\.thunks -o \"\$tmp/arch/ia64/kernel/pvcc_unwind_test_light\.S\""
                     rf" \\\n\s+{IMPL} ", build)
    assert ("+obj-$(CONFIG_PVCC_UNWIND_TEST)\t+= pvcc_unwind_test.o pvcc_unwind_test_light.o"
            in PATCH.read_text())
    # inert without its parameter: registered only when the command line asked
    assert 'early_param("pvcc_unwind_test", pvcc_unwind_test_setup);' in TEST_C


@needs_binutils
def test_the_thunk_carries_unwind_information(tmp_path):
    """The entry build.sh generates passes pvcc-check's rule unwind on its own."""
    obj = assemble(tmp_path, thunks.source([(IMPL, None)]), "thunk")
    assert violations_of(str(obj)) == []
    starts = {s for s, _e, _i in open_object(str(obj)).unwind_entries()}
    entries = unwind.light_entries(open_object(str(obj)))
    assert [f.name for f in entries] == [thunks.entry_name(IMPL)]
    assert entries[0].addr in starts


def test_patchopts_sets_the_fragments_pvcc_options():
    """A paravirt build sets the fragment's options of the patch's symbols once
    PVCC_PARAVIRT is on (allnoconfig could not: their dependency was off)."""
    p = kbuild("patchopts", FRAGMENT, PATCH)
    assert p.returncode == 0 and p.stdout.split() == ["--enable", "PVCC_UNWIND_TEST"]


def test_fragment_check_of_a_pvcc_option(tmp_path):
    """The plain and pvcc builds' unpatched tree has no PVCC_UNWIND_TEST: "n/a" there;
    a paravirt .config must have it, and no unpatched one may."""
    on, _off = _lines(FRAGMENT)
    base = "\n".join(f"{k}={v}" for k, v in on.items() if "PVCC" not in k) + "\n"
    cases = {
        "plain": (base, 0, "n/a CONFIG_PVCC_UNWIND_TEST=y"),
        "paravirt": (base + "CONFIG_PVCC_PARAVIRT=y\nCONFIG_PVCC_UNWIND_TEST=y\n", 0,
                     "ok  CONFIG_PVCC_UNWIND_TEST=y"),
        "paravirt-without": (base + "CONFIG_PVCC_PARAVIRT=y\n", 1,
                             "BAD CONFIG_PVCC_UNWIND_TEST=y (not set in the .config)"),
        "odd": (base + "CONFIG_PVCC_UNWIND_TEST=y\n", 1,
                "BAD CONFIG_PVCC_UNWIND_TEST=y (the pvcc patch's: not a paravirt build, yet"),
    }
    for name, (text, status, line) in cases.items():
        dotconfig = tmp_path / f"{name}.config"
        dotconfig.write_text(text)
        p = kbuild("config", FRAGMENT, dotconfig, "--patch", PATCH, "--off", "SMP")
        assert p.returncode == status, (name, p.stdout, p.stderr)
        assert line in p.stdout, (name, p.stdout)
    # without --patch every option of the fragment must hold, as before
    p = kbuild("config", FRAGMENT, tmp_path / "plain.config")
    assert p.returncode == 1 and "BAD CONFIG_PVCC_UNWIND_TEST=y (not set in the .config)" in p.stdout


def _lines(path: Path) -> tuple[dict[str, str], set[str]]:
    on: dict[str, str] = {}
    off: set[str] = set()
    for ln in path.read_text().splitlines():
        if m := re.match(r"^(CONFIG_\w+)=(.*)$", ln):
            on[m.group(1)] = m.group(2)
        elif m := re.match(r"^# (CONFIG_\w+) is not set$", ln):
            off.add(m.group(1))
    return on, off
