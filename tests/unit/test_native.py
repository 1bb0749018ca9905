"""pvcc.native: the native code of every paravirt type, checked three ways:
objdump prints exactly the expected instructions, pvcc.ia64 reads them back
as the expected ops on the expected registers, and GNU as re-assembles the
text into the same bytes without a dependency-violation warning (so each
instruction group is legal: no RAW/WAW inside a group).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvcc import catalog, ia64
from pvcc.native import NOP_BUNDLE, native_bundles

G, S = catalog.GETREG_BASE, catalog.SETREG_BASE
AR, CR = catalog.AR_BASE, catalog.CR_BASE
ITC = AR + 44
ITM, IVR, TPR, EOI = CR + 1, CR + 65, CR + 66, CR + 67
NOPS = ["nop.i 0x0", "nop.i 0x0;;"]


def _one(main: str, unit: str = "M") -> list[str]:
    return [main, *NOPS] if unit == "M" else ["nop.m 0x0", main, "nop.i 0x0;;"]


# (id, type, args, result, objdump text of the region, [(op, fields)] of the work)
CASES = [
    ("fc", 1, [35], 0, _one("fc r35"), [("fc", {"r3": 35})]),
    ("thash", 2, [40], 35, _one("thash r35=r40"), [("thash", {"r1": 35, "r3": 40})]),
    ("get_cpuid", 3, [40], 8, _one("mov r8=cpuid[r40]"),
     [("mov.from.cpuid", {"r1": 8, "r3": 40})]),
    ("get_pmd", 4, [40], 36, _one("mov r36=pmd[r40]"), [("mov.from.pmd", {"r1": 36, "r3": 40})]),
    ("ptcga", 5, [40, 41], 0, ["ptc.ga r40,r41;;", "nop.m 0x0", "nop.i 0x0;;"],
     [("ptc.ga", {"r3": 40, "r2": 41})]),
    ("get_rr", 6, [35], 8, _one("mov r8=rr[r35]"), [("mov.from.rr", {"r1": 8, "r3": 35})]),
    ("set_rr", 7, [35, 40], 0, _one("mov rr[r35]=r40"), [("mov.to.rr", {"r3": 35, "r2": 40})]),
    ("set_rr0_to_rr4", 8, [35, 40, 9, 127, 36], 0,
     ["mov rr[r0]=r35", "dep.z r2=1,61,3", "dep.z r3=2,61,3;;",
      "mov rr[r2]=r40;;", "mov rr[r3]=r9", "dep.z r2=3,61,3;;",
      "mov rr[r2]=r127", "dep.z r3=4,61,3", "nop.i 0x0;;",
      "mov rr[r3]=r36", *NOPS],
     [("mov.to.rr", {"r3": 0, "r2": 35}), ("dep.z", {"r1": 2, "imm": 1, "pos": 61, "len": 3}),
      ("dep.z", {"r1": 3, "imm": 2}), ("mov.to.rr", {"r3": 2, "r2": 40}),
      ("mov.to.rr", {"r3": 3, "r2": 9}), ("dep.z", {"r1": 2, "imm": 3}),
      ("mov.to.rr", {"r3": 2, "r2": 127}), ("dep.z", {"r1": 3, "imm": 4}),
      ("mov.to.rr", {"r3": 3, "r2": 36})]),
    ("ssm_i", 9, [], 0, _one("ssm 0x4000"), [("ssm", {"imm": 1 << 14})]),
    ("rsm_i", 10, [], 0, _one("rsm 0x4000"), [("rsm", {"imm": 1 << 14})]),
    ("get_psr_i", 11, [], 8, ["mov r8=psr", "mov r2=16384;;", "and r8=r2,r8;;"],
     [("mov.from.psr", {"r1": 8}), ("addl", {"r1": 2, "imm": 0x4000, "r3": 0}),
      ("and", {"r1": 8, "r2": 2, "r3": 8})]),
    ("get_psr_i-in-r2", 11, [], 2, ["mov r2=psr", "mov r3=16384;;", "and r2=r3,r2;;"],
     [("mov.from.psr", {"r1": 2}), ("addl", {"r1": 3}), ("and", {"r1": 2, "r2": 3, "r3": 2})]),
    ("intrin_local_irq_restore", 12, [40], 0,
     ["cmp.eq p7,p6=r40,r0;;", "(p6) ssm 0x4000", "nop.i 0x0",
      "(p7) rsm 0x4000;;", "(p6) srlz.d", "nop.i 0x0;;"],
     [("cmp.eq", {"rel": "eq", "p1": 7, "p2": 6, "r2": 40, "r3": 0}),
      ("ssm", {"imm": 1 << 14}), ("rsm", {"imm": 1 << 14}), ("srlz.d", {})]),
    # Linux's arch_local_irq_save() bundle: read the PSR, then (after the stop) clear psr.i
    ("intrin_local_irq_save", 13, [], 8, ["mov r8=psr;;", "rsm 0x4000", "nop.i 0x0;;"],
     [("mov.from.psr", {"r1": 8}), ("rsm", {"imm": 1 << 14})]),
    ("intrin_local_irq_save-in-r35", 13, [], 35, ["mov r35=psr;;", "rsm 0x4000", "nop.i 0x0;;"],
     [("mov.from.psr", {"r1": 35}), ("rsm", {"imm": 1 << 14})]),
    # getreg: register from the type, args[0] unused
    ("getreg-itc", G + ITC, [0], 35, _one("mov.m r35=ar.itc"),
     [("mov.from.ar", {"r1": 35, "ar": 44})]),
    *[(f"getreg-kr{k}", G + AR + k, [0], 8, _one(f"mov.m r8=ar.k{k}"),
       [("mov.from.ar", {"r1": 8, "ar": k})]) for k in range(8)],
    ("getreg-tpr", G + TPR, [0], 8, _one("mov r8=cr.tpr"), [("mov.from.cr", {"r1": 8, "cr": 66})]),
    ("getreg-eoi", G + EOI, [0], 8, _one("mov r8=cr.eoi"), [("mov.from.cr", {"cr": 67})]),
    ("getreg-itm", G + ITM, [0], 40, _one("mov r40=cr.itm"), [("mov.from.cr", {"r1": 40, "cr": 1})]),
    ("getreg-ivr", G + IVR, [0], 8, _one("mov r8=cr.ivr"), [("mov.from.cr", {"cr": 65})]),
    ("getreg-psr", G + catalog.REG_PSR, [0], 8, _one("mov r8=psr"), [("mov.from.psr", {"r1": 8})]),
    # setreg: value in args[1]
    ("setreg-itc", S + ITC, [35, 40], 0, _one("mov.m ar.itc=r40"),
     [("mov.to.ar", {"ar": 44, "r2": 40})]),
    *[(f"setreg-kr{k}", S + AR + k, [35, 40], 0, _one(f"mov.m ar.k{k}=r40"),
       [("mov.to.ar", {"ar": k, "r2": 40})]) for k in range(8)],
    ("setreg-tpr", S + TPR, [35, 40], 0, _one("mov cr.tpr=r40"),
     [("mov.to.cr", {"cr": 66, "r2": 40})]),
    ("setreg-eoi", S + EOI, [35, 40], 0, _one("mov cr.eoi=r40"), [("mov.to.cr", {"cr": 67})]),
    ("setreg-itm", S + ITM, [35, 40], 0, _one("mov cr.itm=r40"), [("mov.to.cr", {"cr": 1})]),
    ("setreg-psr_l", S + catalog.REG_PSR, [35, 40], 0, ["mov psr.l=r40;;", "srlz.d", "nop.i 0x0;;"],
     [("mov.to.psr.l", {"r2": 40}), ("srlz.d", {})]),
]


def _region_size(type_id: int) -> int:
    return catalog.intrinsic_for(type_id)[0].bundles


def _build(cases):
    """Bundles of every case at consecutive addresses: {id: (addr, [bytes])}."""
    out, addr = {}, 0
    for cid, type_id, args, result, *_ in cases:
        bundles = native_bundles(type_id, args, result, _region_size(type_id))
        out[cid] = (addr, bundles)
        addr += 16 * len(bundles)
    return out


@pytest.fixture(scope="module")
def built(module_binutils):
    regions = _build(CASES)
    data = b"".join(b"".join(bundles) for _, bundles in regions.values())
    by_addr: dict[int, list[str]] = {}
    for a, text in module_binutils.disassemble(data):
        by_addr.setdefault(a, []).append(text)
    return regions, by_addr


def test_every_intrinsic_has_a_case():
    names = {catalog.intrinsic_for(c[1])[0].name for c in CASES}
    assert names == {i.name for i in catalog.INTRINSICS}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_native_code(built, case):
    regions, by_addr = built
    cid, type_id, _, _, expected_text, expected_ops = case
    addr, bundles = regions[cid]
    assert len(bundles) == _region_size(type_id)
    assert all(len(b) == 16 for b in bundles)
    # objdump
    got = [t for n in range(len(bundles)) for t in by_addr[addr + 16 * n]]
    assert got == expected_text
    # pvcc.ia64
    decoded = [ia64.decode_bundle(b, addr + 16 * n) for n, b in enumerate(bundles)]
    assert [t for b in decoded for t in b.text().splitlines()] == expected_text
    assert decoded[-1].ends_group
    work = [i for b in decoded for i in b.insns if i.op != "nop"]
    assert len(work) == len(expected_ops), [i.text() for i in work]
    for insn, (op, fields) in zip(work, expected_ops):
        assert insn.op == op, insn.text()
        for k, v in fields.items():
            assert insn.fields[k] == v, (insn.text(), k)


_DIRECTIVE = {"MII": ".mii", "MMI": ".mmi"}


def _source(bundles: list[ia64.Bundle]) -> str:
    lines = []
    for b in bundles:
        lines.append(f"{{ {_DIRECTIVE[b.units]}")
        lines += [f"  {line}" for line in b.text().splitlines()]
        lines.append("}")
    return "\n".join(lines)


def _all_register_cases():
    """getreg/setreg of every register the catalog accepts (psr, ar.k0-k7, ar.itc, every CR)."""
    out = []
    assert len(catalog.REGISTERS) == 1 + len(catalog.PARAVIRT_ARS) + len(catalog.CR_NUMBERS)
    for reg in sorted(catalog.REGISTERS):
        out.append((f"getreg-{reg}", G + reg, [0], 8))
        if catalog.REGISTERS[reg].writable:
            out.append((f"setreg-{reg}", S + reg, [0, 40], 0))
    return out


def test_gas_reassembles_without_dependency_violations(binutils):
    """Assemble the text of every body (explicit bundles, -x, one file per region so
    that only the region's own groups are checked): gas must give the same bytes and
    no warning or error - it checks the dependency rules inside instruction groups,
    serialization needs and placement rules (e.g. ptc.ga last in its group)."""
    cases = [c[:4] for c in CASES] + _all_register_cases()
    for cid, (addr, bundles) in _build(cases).items():
        decoded = [ia64.decode_bundle(b, addr + 16 * n) for n, b in enumerate(bundles)]
        obj = binutils.assemble(f"# {cid}\n.text\n{_source(decoded)}\n", strict=True)
        assert binutils.section(obj) == b"".join(bundles), cid


def test_every_register_fits_and_reads_back():
    for cid, type_id, args, result in _all_register_cases():
        (bundle,) = native_bundles(type_id, args, result, 1)
        b = ia64.decode_bundle(bundle)
        work = [i for i in b.insns if i.op != "nop"]
        assert b.ends_group and work, cid
        assert all(i.op != "unknown" for i in b.insns), cid


def test_padding_to_a_larger_region():
    bundles = native_bundles(1, [35], 0, 3)
    assert len(bundles) == 3
    assert bundles[1:] == [NOP_BUNDLE, NOP_BUNDLE]
    nop = ia64.decode_bundle(NOP_BUNDLE)
    assert nop.ends_group and {i.op for i in nop.insns} == {"nop"}


@pytest.mark.parametrize("type_id,args,result,nbundles,message", [
    (0, [], 0, 1, "unknown paravirt type"),
    (14, [], 0, 1, "unknown paravirt type"),
    (0x30000000, [], 0, 1, "unknown paravirt type"),
    ("fc", [35], 0, 1, "unknown paravirt type"),
    (G + catalog.REG_IP, [0], 8, 1, "ip"),
    (G + AR + 8, [0], 8, 1, "not a readable register"),      # ar8 does not exist
    (G + AR + 45, [0], 8, 1, "not a readable register"),     # ar.ruc: not in ia64regs.h
    (G + CR + 3, [0], 8, 1, "not a readable register"),
    (G + 5000, [0], 8, 1, "not a readable register"),
    (S + IVR, [0, 40], 0, 1, "not a writable register"),
    (S + CR + 68, [0, 40], 0, 1, "not a writable register"),  # irr0
    (S + AR + 17, [0, 40], 0, 1, "not a writable register"),  # ar.bsp
    # not privileged: the caller's own instruction, never a site
    *[(G + reg, [0], 8, 1, "not a readable register") for reg in sorted(catalog.UNPRIVILEGED)],
    *[(S + reg, [0, 40], 0, 1, "not a writable register") for reg in sorted(catalog.UNPRIVILEGED)],
    (S + catalog.REG_IP, [0, 40], 0, 1, "not a writable register"),
    (2, [35], 0, 1, "result register"),
    (3, [35], 128, 1, "result register"),
    (13, [], 0, 1, "result register"),
    (1, [128], 0, 1, "argument 0"),
    (1, [-1], 0, 1, "argument 0"),
    (5, [35], 0, 1, "takes 2 argument"),
    (S + ITC, [0], 0, 1, "takes 2 argument"),
    (S + ITC, [0, None], 0, 1, "argument 1"),
    (8, [35, 36, 37, 38, 39], 0, 3, "needs 4 bundle"),
    (12, [35], 0, 1, "needs 2 bundle"),
    (1, [35], 0, 0, "positive bundle count"),
    (8, [35, 2, 37, 38, 39], 0, 4, "argument register r2 is the scratch"),
    (8, [35, 36, 37, 38, 3], 0, 4, "argument register r3 is the scratch"),
])
def test_errors(type_id, args, result, nbundles, message):
    with pytest.raises(ValueError, match=message):
        native_bundles(type_id, args, result, nbundles)


_TYPES = [i.type_id for i in catalog.INTRINSICS if i.type_id not in (G, S)]
_REGS = [r for r in range(5200)]


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.sampled_from(_TYPES), st.integers(G, G + 5200), st.integers(S, S + 5200),
                 st.integers(-5, 1 << 32)),
       st.lists(st.integers(-2, 130), min_size=0, max_size=6), st.integers(-2, 130),
       st.integers(-1, 6))
def test_random_requests_give_bundles_or_value_error(type_id, args, result, nbundles):
    try:
        bundles = native_bundles(type_id, args, result, nbundles)
    except ValueError:
        return
    assert len(bundles) == nbundles
    decoded = [ia64.decode_bundle(b) for b in bundles]
    assert decoded[-1].ends_group
    assert all(b.ends_group for b in decoded if b.insns[0].op == "nop")  # padding
    assert all(i.op not in ("unknown", "reserved") for b in decoded for i in b.insns)


def test_strict_assembly_catches_a_dependency_violation(binutils):
    """The re-assembly check above is meaningful: a WAW inside a group is reported."""
    bad = ia64.encode_bundle(0x01, (ia64.mov_from_psr(8), ia64.mov_gr(8, 9), ia64.nop_i()))
    with pytest.raises(AssertionError, match="WAW"):
        binutils.assemble(".text\n" + _source([ia64.decode_bundle(bad)]) + "\n", strict=True)
