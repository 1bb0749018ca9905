"""pvcc.sim.hypercalls: the one table of the model's hypercalls, what it renders
for the runtime, and how a lab adds the hypercalls the platform does not serve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pvcc.sim import hypercalls as hc
from pvcc.sim.cpu.executor import Executor
from pvcc.sim.cpu.state import State
from pvcc.sim.lab import hostile
from pvcc.sim.platform.machine.passthru import PassThrough
from pvcc.sim.platform.userland import syscalls

ROOT = Path(__file__).resolve().parent.parent


def test_numbers_and_names_are_distinct_and_in_range():
    assert len({h.n for h in hc.HYPERCALLS}) == len({h.name for h in hc.HYPERCALLS}) == len(
        hc.HYPERCALLS)
    assert all(hc.BASE <= h.imm < hc.END for h in hc.HYPERCALLS)
    assert [hc.by_number(h.n) for h in hc.HYPERCALLS] == list(hc.HYPERCALLS)
    assert hc.by_number(len(hc.HYPERCALLS) + 100) is None


def test_the_header_defines_every_hypercall_and_effect():
    text = hc.header()
    defines = dict(re.findall(r"^#define (\w+)[ \t]+(\S+)", text, re.MULTILINE))
    for h in hc.HYPERCALLS:
        assert int(defines[f"HYPERCALL_{h.name.upper()}"], 0) == hc.BASE + h.n
    for n, effect in enumerate(hc.EFFECTS):
        assert int(defines["EFFECT_" + effect.upper().replace(".", "_")]) == n
    assert int(defines["HYPERCALL_BASE"], 0) == hc.BASE


def test_the_platform_serves_all_but_the_clobbers_which_the_lab_serves():
    """... and the pass-through ones, which the machine serves (passthru.py)."""
    passthru = set(PassThrough().handlers())
    assert set(syscalls.SERVED) | set(hostile.CLOBBERS) | passthru == {
        h.n for h in hc.HYPERCALLS}
    assert not set(syscalls.SERVED) & set(hostile.CLOBBERS)
    assert not (set(syscalls.SERVED) | set(hostile.CLOBBERS)) & passthru
    assert set(hostile.hypercalls(7)) == set(hostile.CLOBBERS)


def test_register_hypercall_takes_only_free_numbers_of_the_table():
    platform = syscalls.attach(Executor(State(96)))
    handlers = hostile.hypercalls()
    platform.register_hypercall(hc.CLOBBER_C, handlers[hc.CLOBBER_C])
    with pytest.raises(ValueError, match=r"hypercall 6 \(clobber_c\) is already served"):
        platform.register_hypercall(hc.CLOBBER_C, handlers[hc.CLOBBER_C])
    with pytest.raises(ValueError, match=r"hypercall 0 \(cpuid\) is already served"):
        platform.register_hypercall(hc.CPUID, handlers[hc.CLOBBER_C])
    with pytest.raises(ValueError, match="hypercall 99 is not in pvcc.sim.hypercalls' table"):
        platform.register_hypercall(99, handlers[hc.CLOBBER_C])


def test_the_platform_does_not_import_the_lab():
    """The lab plugs into the platform, never the reverse."""
    for path in sorted((ROOT / "wrapper" / "pvcc" / "sim" / "platform").rglob("*.py")):
        assert not re.search(r"^\s*from \.+lab\b|^\s*import pvcc\.sim\.lab|pvcc\.sim\.lab import",
                             path.read_text(), re.MULTILINE), path


def test_docs_sim_md_lists_the_table():
    text = (ROOT / "docs" / "sim.md").read_text().split("## System calls and hypercalls")[1]
    text = text.split("\n## ")[0]
    rows = re.findall(r"^\| (\d+) \| (\w+) \|", text, re.MULTILINE)
    assert [(int(n), name) for n, name in rows] == [(h.n, h.name) for h in hc.HYPERCALLS]
    log = re.search(r"^\| \d+ \| log \| .*effect r8 \(([^)]*)\)", text, re.MULTILINE)
    assert log
    effects = [e.split(" ", 1) for e in log.group(1).split(", ")]
    assert [(int(n), e.replace("mov cr.", "mov.to.")) for n, e in effects] == list(
        enumerate(hc.EFFECTS))
