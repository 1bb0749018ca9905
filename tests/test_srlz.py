"""A light site that carries the srlz.d Linux wrote after it (record flag srlz.d).

Linux serializes after most privileged writes (`ia64_setreg(_IA64_REG_CR_TPR, v);
ia64_srlz_d();`, `arch_local_irq_enable`: `ssm psr.i; srlz.d`); the plain
kernel's assembler packs the two asms into one M;MI bundle.  The plugin folds the
srlz.d into the light site (docs/light.md, "Serialization"): the native code ends
with `;; srlz.d` in the region's own bundle, and every light implementation
returns serialized.  testcases/light_srlz holds the shapes; here: the records,
the native code, the checker's rules, the implementations, and pvcc-sim running
the folded sites three ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import compile_c
from pvcc import catalog, ia64, light_table, native, thunks
from pvcc.check import violations_of
from pvcc.objects import open_object
from pvcc.patch import patch_native
from test_check import Editor

TESTCASES = Path(__file__).resolve().parent.parent / "testcases"


@pytest.fixture
def gcc_env(gcc, monkeypatch):
    """pvcc-sim's builds use the compiler under test."""
    monkeypatch.setenv("PVCC_GCC", gcc)
    return gcc


@pytest.fixture(scope="module")
def srlz_o(gcc, plugin_so, include_dir, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("srlz")
    return compile_c(gcc, plugin_so, include_dir, tmp, "light_srlz",
                     TESTCASES / "light_srlz" / "input.c", "-fplugin-arg-pvcc-conv=light",
                     "-O2", "-std=gnu11", *catalog.KERNEL_CFLAGS)


def _srlz_count(path: Path, func: str) -> int:
    o = open_object(str(path))
    f = next(f for f in o.functions if f.name == func)
    n = 0
    for at in range(f.addr, f.addr + f.size, 16):
        n += sum(i.op == "srlz.d" for i in ia64.decode_bundle(o.read(at, 16), at).insns)
    return n


def test_serialized_code_of_every_type_with_room():
    """The type's code with srlz.d after a stop, in as many bundles (SDM vol. 2,
    3.2: a srlz.d serializes what earlier instruction groups did)."""
    for intr, reg in catalog.expanded():
        t = intr.type_id + (reg or 0)
        args = [0 if i == 0 and intr.access else 40 + i for i in range(intr.nargs)]
        if not catalog.serializable(intr, reg):
            with pytest.raises(ValueError, match="no room for the srlz.d"):
                native.native_bundles(t, args, 8, intr.bundles, srlz=True)
            continue
        plain = native.native_bundles(t, args, 8, intr.bundles)
        serial = native.native_bundles(t, args, 8, intr.bundles, srlz=True)
        assert len(serial) == len(plain) == intr.bundles
        last = ia64.decode_bundle(serial[-1])
        work = [i for i in last.insns if i.op != "nop"]
        assert [i.op for i in work][-1] == "srlz.d" and last.ends_group
        srlz = next(i for i in last.insns if i.op == "srlz.d")
        assert srlz.slot - 1 in last.stops       # a stop right before it
        assert [i.text() for i in ia64.decode_bundle(plain[-1]).insns if i.op != "nop"] == \
            [i.text() for i in work[:-1]]
    assert {catalog.type_name(i.type_id + (r or 0)) for i, r in catalog.expanded()
            if not catalog.serializable(i, r)} == {"get_psr_i", "intrin_local_irq_restore",
                                                   "intrin_local_irq_save", "setreg(psr.l)"}


def test_records_and_code(srlz_o, tmp_path):
    o = open_object(str(srlz_o), require_records=True)
    assert violations_of(str(srlz_o)) == []
    by_func: dict[str, list] = {}
    for r in sorted(o.records, key=lambda r: r.start):
        by_func.setdefault(o.function_at(r.start).name, []).append(
            (catalog.type_name(r.type), bool(r.flags & catalog.FLAG_SRLZ_D)))
    assert by_func["irq_on"] == [("ssm_i", True)]
    assert by_func["store_between"] == [("ssm_i", False)]
    assert by_func["psr_i"] == [("get_psr_i", False)]
    assert by_func["c_call"] == [("setreg(cr.tpr)", False)]
    assert ("setreg(cr.eoi)", True) in by_func["dispatch"]
    # the folded asms are gone, the others stay
    assert _srlz_count(srlz_o, "irq_on") == 0
    assert _srlz_count(srlz_o, "dispatch") == 1      # the second of two in a row
    for f in ("store_between", "psr_i", "c_call"):
        assert _srlz_count(srlz_o, f) == 1, f
    # patched native, each folded site's region serializes, in its one bundle
    nat = tmp_path / "n.o"
    done = patch_native(str(srlz_o), str(nat))
    assert len(done) == len(o.records)
    assert _srlz_count(nat, "irq_on") == 1
    folded = sum(bool(r.flags & catalog.FLAG_SRLZ_D) for r in o.records)
    assert _srlz_count(nat, "dispatch") == 1 + sum(
        bool(r.flags & catalog.FLAG_SRLZ_D) for r in o.records
        if o.function_at(r.start).name == "dispatch")
    assert folded >= 5


def test_flag_on_a_type_without_room(tmp_path, srlz_o):
    o = open_object(str(srlz_o), require_records=True)
    n = next(i for i, r in enumerate(o.records) if catalog.type_name(r.type) == "get_psr_i")
    bad = Editor(srlz_o).record(n, 42, b"\x02").write(tmp_path / "x.o")
    v = violations_of(str(bad))
    assert any("site of get_psr_i: flag srlz.d, but its native code has no room for the "
               "srlz.d" in x for x in v), v


def test_every_light_implementation_returns_serialized():
    """The native table's bodies and the thunks serialize before they return."""
    ret = ia64.decode_bundle(light_table.RETURN)
    assert [i.op for i in ret.insns][:1] == ["srlz.d"] and ret.insns[-1].op == "br.cond.ind"
    lines = [ln.strip() for ln in thunks.source([("paravirt_ssm_i", None)]).splitlines()]
    ret = next(i for i, ln in enumerate(lines) if ln.startswith("br.cond.sptk.many b6"))
    assert "srlz.d" in lines[ret - 3:ret]


def test_folded_sites_three_ways(gcc_env, tmp_path):
    """pvcc-sim: A (plain, native table) = B (light sites on the hypervisor layer,
    hostile returns) = C (patched native) on stdout, exit status, privileged state
    and the effect log, serializations included: C serializes exactly where A does,
    B at least as often (its implementations serialize on every return; without
    the thunk's srlz.d, B loses the folded ones and the proof disagrees)."""
    from pvcc.sim.lab import drivers, prove

    src = TESTCASES / "light_srlz" / "input.c"
    drv = tmp_path / "driver.c"
    drv.write_text(drivers.driver(src.read_text()).text)
    p = prove.prove([str(src), str(drv)], ["-O2", "-std=gnu11", *catalog.KERNEL_CFLAGS],
                    "light", seeds=(2,))
    assert p.outcome == prove.AGREE, p.detail
    a, b, c = (next(r for r in p.runs if r.way == w) for w in "ABC")
    assert a.effects == c.effects and a.effects.count(("srlz.d", None)) >= 9
    assert b.effects.count(("srlz.d", None)) > a.effects.count(("srlz.d", None))


def test_the_proof_wants_the_serializations():
    from pvcc.sim.lab.prove import serializes_as

    s, eoi = ("srlz.d", None), ("mov.to.eoi", 0)
    assert serializes_as([s, s, eoi, s], [s, eoi, s]) is None
    assert serializes_as([s, eoi, s], [s, s, eoi, s]) == \
        "1 srlz.d before ('mov.to.eoi', 0), the reference serializes 2 time(s)"
    assert serializes_as([s, eoi], [eoi, s]) == \
        "0 srlz.d after the last effect, the reference serializes 1 time(s)"
    assert "serializations aside" in serializes_as([s], [eoi])
