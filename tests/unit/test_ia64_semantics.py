"""pvcc.ia64.semantics on bytes assembled by GNU as for ia64.

Effects (kind, registers read and written, target, memory) are checked on a
table of instructions; the instruction-group rules against gas's own
dependency-violation checker (``as -x`` warns about RAW/WAW dependencies
inside an instruction group): for every group below, gas warns exactly when
``group_violations`` reports something.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvcc.ia64 import decode_bundle, iter_bundles, semantics
from pvcc.ia64.semantics import (
    ALLOC,
    BRANCH,
    BRANCH_IND,
    BREAK,
    CALL,
    CALL_IND,
    CHECK,
    NOP,
    OTHER,
    RETURN,
    effects,
    group_violations,
)

RSE_CALL_R = {"ar.bsp", "ar.ec", "cfm"}
PSR_ALL = semantics.psr_fields((1 << 64) - 1)
PSR_L = semantics.psr_fields((1 << 32) - 1)
RSE_CALL_W = {"ar.pfs", "ar.bsp", "cfm"}

# (source, kind, reads, writes, memory "r"/"w"/"rw"/"", target label or None)
EFFECTS = [
    ("add r8=r9,r10", OTHER, {"r9", "r10"}, {"r8"}, "", None),
    ("(p6) adds r8=-5,r35", OTHER, {"p6", "r35"}, {"r8"}, "", None),
    ("mov r8=r0", OTHER, set(), {"r8"}, "", None),
    ("addl r2=0x4000,r1", OTHER, {"r1"}, {"r2"}, "", None),
    ("shladd r8=r9,3,r10", OTHER, {"r9", "r10"}, {"r8"}, "", None),
    ("cmp.ne p6,p7=r35,r0", OTHER, {"r35"}, {"p6", "p7"}, "", None),
    ("cmp.eq p0,p7=5,r3", OTHER, {"r3"}, {"p7"}, "", None),
    ("cmp.gt.and p6,p7=r0,r9", OTHER, {"r9"}, {"p6", "p7"}, "", None),
    ("tbit.z p6,p7=r8,5", OTHER, {"r8"}, {"p6", "p7"}, "", None),
    ("extr.u r8=r9,3,10", OTHER, {"r9"}, {"r8"}, "", None),
    ("dep r8=r9,r10,3,10", OTHER, {"r9", "r10"}, {"r8"}, "", None),
    ("dep.z r2=1,61,3", OTHER, set(), {"r2"}, "", None),
    ("shr.u r8=r9,r10", OTHER, {"r9", "r10"}, {"r8"}, "", None),
    ("sxt4 r8=r9", OTHER, {"r9"}, {"r8"}, "", None),
    ("popcnt r8=r9", OTHER, {"r9"}, {"r8"}, "", None),
    ("movl r2=0x123456789abcdef0", OTHER, set(), {"r2"}, "", None),
    ("ld8 r8=[r35]", OTHER, {"r35"}, {"r8"}, "r", None),
    ("ld8.acq r8=[r9],16", OTHER, {"r9"}, {"r8", "r9"}, "r", None),
    ("ld2 r8=[r9],r10", OTHER, {"r9", "r10"}, {"r8", "r9"}, "r", None),
    ("ld8.fill r8=[r9]", OTHER, {"r9", "ar.unat{x}"}, {"r8"}, "r", None),
    ("st8 [r35]=r40", OTHER, {"r35", "r40"}, set(), "w", None),
    ("st4.rel [r9]=r8,255", OTHER, {"r9", "r8"}, {"r9"}, "w", None),
    ("st8.spill [r12]=r8,-8", OTHER, {"r12", "r8"}, {"r12", "ar.unat{x}"}, "w", None),
    ("ldfd f6=[r9],r10", OTHER, {"r9", "r10"}, {"f6", "r9", "psr.mfl"}, "r", None),
    ("ldfps f33,f34=[r12],8", OTHER, {"r12"}, {"f33", "f34", "r12", "psr.mfh"}, "r", None),
    ("stf.spill [r12]=f2,-16", OTHER, {"r12", "f2"}, {"r12"}, "w", None),
    ("lfetch [r9],16", OTHER, {"r9"}, {"r9"}, "", None),
    ("cmpxchg8.acq r8=[r9],r10,ar.ccv", OTHER, {"r9", "r10", "ar.ccv"}, {"r8"}, "rw", None),
    ("xchg8 r8=[r9],r10", OTHER, {"r9", "r10"}, {"r8"}, "rw", None),
    ("fetchadd4.acq r8=[r9],-16", OTHER, {"r9"}, {"r8"}, "rw", None),
    ("setf.sig f6=r8", OTHER, {"r8"}, {"f6", "psr.mfl"}, "", None),
    ("getf.exp r8=f6", OTHER, {"f6"}, {"r8"}, "", None),
    ("xmpy.l f6=f7,f8", OTHER, {"f7", "f8"}, {"f6", "psr.mfl"}, "", None),
    ("fnorm.s1 f6=f7", OTHER, {"f7", "ar.fpsr"}, {"f6", "psr.mfl"}, "", None),
    ("fcmp.lt.unc p6,p7=f8,f9", OTHER, {"f8", "f9", "ar.fpsr"}, {"p6", "p7"}, "", None),
    ("mov f6=f7", OTHER, {"f7"}, {"f6", "psr.mfl"}, "", None),
    ("mov r8=b0", OTHER, {"b0"}, {"r8"}, "", None),
    ("mov b6=r8", OTHER, {"r8"}, {"b6"}, "", None),
    ("mov r8=pr", OTHER, {f"p{n}" for n in range(1, 64)}, {"r8"}, "", None),
    ("mov pr=r8,0x3e", OTHER, {"r8"}, {"p1", "p2", "p3", "p4", "p5"}, "", None),
    ("mov pr.rot=0x10000", OTHER, set(), {f"p{n}" for n in range(16, 64)}, "", None),
    ("mov.i ar.lc=r35", OTHER, {"r35"}, {"ar.lc"}, "", None),
    ("mov.i ar.pfs=r35", OTHER, {"r35"}, {"ar.pfs"}, "", None),
    ("mov.m r9=ar.bsp", OTHER, {"ar.bsp"}, {"r9"}, "", None),
    ("mov.m ar.ccv=r9", OTHER, {"r9"}, {"ar.ccv"}, "", None),
    ("mov r8=cr.ivr", OTHER, {"cr.ivr"}, {"r8"}, "", None),
    ("mov cr.tpr=r35", OTHER, {"r35"}, {"cr.tpr"}, "", None),
    ("mov r8=psr", OTHER, set(PSR_ALL), {"r8"}, "", None),
    ("mov psr.l=r35", OTHER, {"r35"}, set(PSR_L), "", None),
    ("rsm psr.i", OTHER, set(), {"psr.i"}, "", None),
    ("ssm 0x6030", OTHER, set(), {"psr.i", "psr.ic", "psr.mfl", "psr.mfh"}, "", None),
    ("mov r8=cpuid[r35]", OTHER, {"r35", "cpuid"}, {"r8"}, "", None),
    ("mov rr[r35]=r40", OTHER, {"r35", "r40"}, {"rr"}, "", None),
    ("mov r8=rr[r35]", OTHER, {"r35", "rr"}, {"r8"}, "", None),
    ("thash r8=r35", OTHER, {"r35", "cr.pta", "rr"}, {"r8"}, "", None),
    ("fc r35", OTHER, {"r35"}, set(), "", None),
    ("ptc.ga r35,r40", OTHER, {"r35", "r40"}, {"dtlb", "itlb"}, "", None),
    ("itc.d r40", OTHER, {"r40", "cr.ifa", "cr.itir", "dtlb"}, {"dtlb"}, "", None),
    ("alloc r35=ar.pfs,2,3,4,0", ALLOC,
     {"ar.pfs", "ar.bsp", "ar.bspstore", "ar.rnat", "ar.rsc", "cfm"},
     {"r35", "ar.bspstore", "ar.rnat", "cfm"}, "", None),
    ("flushrs", OTHER, {"ar.bsp", "ar.bspstore", "ar.rnat", "ar.rsc"}, {"ar.bspstore", "ar.rnat"},
     "w", None),
    ("mf", OTHER, set(), set(), "", None),
    ("nop.m 0", NOP, set(), set(), "", None),
    ("nop.b 0x1234", NOP, set(), set(), "", None),
    ("break.i 0x100000", BREAK, set(), set(), "", None),
    ("br.call.sptk.many b0=T", CALL, RSE_CALL_R, RSE_CALL_W | {"b0"}, "", "T"),
    ("(p6) br.call.dptk.few b6=T", CALL, RSE_CALL_R | {"p6"}, RSE_CALL_W | {"b6"}, "", "T"),
    ("br.call.sptk.many b0=b6", CALL_IND, RSE_CALL_R | {"b6"}, RSE_CALL_W | {"b0"}, "", None),
    ("br.ret.sptk.many b0", RETURN, {"b0", "ar.pfs", "ar.bsp", "cfm"},
     {"ar.bsp", "ar.ec", "cfm", "psr.cpl"}, "", None),
    ("(p6) br.cond.spnt.few T", BRANCH, {"p6"}, set(), "", "T"),
    ("br.few T", BRANCH, set(), set(), "", "T"),
    ("br.cloop.sptk.few T", BRANCH, {"ar.lc"}, {"ar.lc"}, "", "T"),
    ("br.cond.sptk.many b6", BRANCH_IND, {"b6"}, set(), "", None),
    ("chk.s.i r8,T", CHECK, {"r8"}, set(), "", "T"),
    ("chk.a.clr r8,T", CHECK, set(), set(), "", "T"),
    ("brl.call.sptk.many b0=T", CALL, RSE_CALL_R, RSE_CALL_W | {"b0"}, "", "T"),
    ("brl.cond.sptk.many T", BRANCH, set(), set(), "", "T"),
]


@pytest.fixture(scope="module")
def effects_corpus(module_binutils):
    lines = [".text"]
    for n, (src, *_rest) in enumerate(EFFECTS):
        lines.append(f"B{n}: [S{n}:] {src} ;;")
    lines.append("T: nop 0 ;;")
    obj = module_binutils.assemble("\n".join(lines) + "\n")
    return module_binutils.section(obj), module_binutils.symbols(obj)


@pytest.mark.parametrize("n", range(len(EFFECTS)), ids=[e[0] for e in EFFECTS])
def test_effects(effects_corpus, n):
    text, syms = effects_corpus
    src, kind, reads, writes, mem, target = EFFECTS[n]
    tag = syms[f"S{n}"]
    insn = decode_bundle(text[tag & ~15:(tag & ~15) + 16], tag & ~15).insn_at(tag & 3)
    e = effects(insn)
    assert (e.kind, set(e.reads), set(e.writes)) == (kind, reads, writes), src
    assert (("r" if e.mem_read else "") + ("w" if e.mem_write else "")) == mem, src
    assert e.target == (syms[target] if target else None), src


# Instruction groups (one per line, instructions separated by ";"), each either
# accepted by gas -x or warned about as a dependency violation.
GROUPS = [
    "add r8=r9,r10; add r11=r8,r1",                       # RAW on r8
    "add r8=r9,r10; add r8=r11,r1",                       # WAW on r8
    "add r8=r9,r10; add r9=r11,r1",                       # WAR: allowed
    "ld8 r8=[r9],8; add r10=r9,r1",                       # post-increment writes r9
    "ld8.c.clr r8=[r9]; add r10=r8,r1",                   # check load: allowed
    "ld8.a r8=[r9]; add r10=r8,r1",                       # an advanced load is not
    "ldfd.c.nc f6=[r9]; fma f7=f6,f8,f9",                 # check load (FP): allowed
    "cmp.eq p6,p7=r8,r9; (p6) br.cond.sptk.few T",        # compare then branch: allowed
    "tbit.z p6,p7=r8,3; (p7) br.call.sptk.many b0=T",
    "fcmp.eq p6,p7=f8,f9; (p6) br.cond.sptk.few T",       # FP compare then branch: not
    "cmp.eq p6,p7=r8,r9; (p6) add r10=r11,r1",            # compare then predicated ALU: not
    "mov pr=r8,0x3e; (p6) add r8=r9,r10",                 # p6 not in the mask
    "mov pr=r8,0x7e; (p6) add r10=r9,r11",                # p6 in the mask
    "mov pr=r8,0x7e; (p6) br.cond.sptk.few T",            # mov pr then branch: allowed
    "cmp.eq.and p6,p7=r8,r9; cmp.ne.and p6,p7=r10,r11",   # and + and: allowed
    "cmp.eq.or p6,p7=r8,r9; cmp.ne.or p6,p7=r10,r11",     # or + or: allowed
    "cmp.eq.or p6,p7=r8,r9; cmp.ne.and p6,p7=r10,r11",    # or + and: not
    "cmp.ne.or.andcm p6,p7=r8,r9; cmp.eq.or.andcm p6,p7=r10,r11",
    "cmp.ne.or p6,p0=4,r18; (p7) cmp.eq.or.andcm p6,p7=r17,r0",  # or + or.andcm: not
    "fcvt.fxu.trunc.s1 f6=f6; (p15) ssm 0x4000",          # psr.i is not PSR.mfl
    "mov psr.l=r9; rsm 0x10",                             # both write PSR.mfl
    "(p6) ssm 0x4000; ssm 0x20000",                       # other PSR fields: allowed
    "cmp.ne.or.andcm p14,p15=0,r35; cmp4.eq.or.andcm p15,p14=0,r0",  # roles swapped: not
    "(p18) st8 [r22]=r34,16; lfetch.fault.excl.nt1 [r22]",  # lfetch: allowed
    "cmp.eq p6,p7=r8,r9; cmp.eq p6,p8=r10,r11",           # two normal compares: not
    "cmp.eq p0,p7=r8,r9; cmp.eq p0,p8=r10,r11",           # p0: allowed
    "mov b6=r8; br.cond.sptk.many b6",                    # mov b then indirect branch: allowed
    "mov b6=r8; br.call.sptk.many b0=b6",
    "mov b0=r8; br.ret.sptk.many b0",
    "mov b6=r8; mov r9=b6",                               # mov b then mov from b: not
    "mov.i ar.pfs=r8; br.ret.sptk.many b0",               # allowed
    "mov.i ar.pfs=r8; mov.i r9=ar.pfs",                   # not
    "alloc r34=ar.pfs,2,1,0,0; mov r33=r32",              # registers of a new frame: allowed
    "mov.i ar.lc=r8; br.cloop.sptk.few T",                # not
    "mov.m ar.ccv=r8; cmpxchg8.acq r9=[r10],r11,ar.ccv",  # not
    "ssm psr.i; mov r8=psr",                              # not
    "mov cr.ifa=r8; itc.d r9",                            # not
    "mov r8=cr.ifa; mov cr.ifa=r9",                       # WAR: allowed
    "st8 [r8]=r9; ld8 r10=[r8]",                          # memory: allowed
    "(p6) mov r8=1; (p7) mov r8=2",                       # static check: both may execute
    "movl r8=0x1234; add r9=r8,r1",
    "br.call.sptk.many b0=T; br.call.sptk.many b0=T",     # two calls: allowed
    "(p6) br.call.sptk.many b0=T; mov r8=b0",             # a branch writes only when taken
    "(p6) br.ret.sptk.many b0; mov.i r8=ar.pfs",
    "br.ctop.sptk.few T; (p63) add r8=r9,r10",            # ...except the modulo-scheduled ones
    "br.wtop.sptk.few T; mov.i r8=ar.ec",
    "setf.sig f6=r8; xmpy.l f7=f6,f6",                    # not
    "getf.sig r8=f6; add r9=r8,r1",                       # not
    "mov r8=ip; add r9=r8,r1",                            # not
    "fetchadd4.acq r8=[r9],1; add r10=r8,r1",             # not
    "ld8.fill r8=[r9]; mov.m r10=ar.unat",                # r8: allowed; UNAT: see note
    "ldf.fill f11=[r2]; setf.sig f12=r9",                 # FP writes may share a group
    "mov psr.l=r15; xmpy.l f10=f7,f8",                    # both write PSR.mfl: not
    "mov psr.l=r15; setf.sig f40=r34",                    # PSR.mfh: not
    "fma f6=f7,f8,f9; fma f33=f7,f8,f9",                  # FP writes, mfl and mfh: allowed
    "setf.sig f8=r34; mov r9=psr",                        # PSR.mfl written, then read
    "ptc.l r16,r20; ptr.i r16,r18",                       # purges may share a group
    "ptc.l r16,r20; itc.d r19",                           # a purge, then an insert: not
    "ptr.d r16,r32; itr.i itr[r19]=r23",
]
# Only the group rules ("implied"/"impliedf": a stop separates writer and reader); "data"
# and "instr" dependencies need a serialization, which is not a property of one group.
_VIOLATION = re.compile(r":(\d+): Warning: Use of .* (?:may )?violates? (?:RAW|WAW) dependency"
                        r" .*\(impliedf?\)")


@pytest.fixture(scope="module")
def groups_corpus(module_binutils):
    lines = [".text", "T: nop 0 ;;"]
    first_line: list[int] = []  # source line of each group's first instruction
    for g in GROUPS:
        first_line.append(len(lines) + 1)
        lines += [i.strip() for i in g.split(";")]
        lines[-1] += " ;;"
    obj, stderr = module_binutils.assemble_with_warnings("\n".join(lines) + "\n")
    bounds = [*first_line, len(lines) + 1]
    warned = {n for w in _VIOLATION.finditer(stderr) for n in range(len(GROUPS))
              if bounds[n] <= int(w.group(1)) < bounds[n + 1]}
    return module_binutils.section(obj), warned


def _groups(text: bytes):
    """Instruction groups of assembled code: lists of Insn, in order."""
    group, out = [], []
    for b in iter_bundles(text):
        for ins in b.insns:
            if ins.op != "nop":
                group.append(ins)
            if (2 if ins.unit == "L" else ins.slot) in b.stops:
                out.append(group)
                group = []
    return out


def test_group_rules_agree_with_gas(groups_corpus):
    text, warned = groups_corpus
    groups = _groups(text)[1:]  # the first one is T
    assert len(groups) == len(GROUPS)
    for n, (g, insns) in enumerate(zip(GROUPS, groups)):
        ours = group_violations(insns)
        assert bool(ours) == (n in warned), (g, ours)
    assert 10 < len(warned) < len(GROUPS) - 10  # both outcomes are exercised


def test_violation_names_the_register_and_instructions(groups_corpus):
    text, _ = groups_corpus
    groups = _groups(text)[1:]
    (v,) = group_violations(groups[GROUPS.index("add r8=r9,r10; add r11=r8,r1")])
    assert (v.first, v.second, v.register, v.what) == (0, 1, "r8", "RAW")
    (v,) = group_violations(groups[GROUPS.index("(p6) mov r8=1; (p7) mov r8=2")])
    assert (v.register, v.what) == ("r8", "WAW")


def test_unat_bits_are_left_to_the_caller(module_binutils):
    """st8.spill writes the UNAT bit of its address: two spills may share a group."""
    obj = module_binutils.assemble(".text\nst8.spill [r8]=r9\nst8.spill [r10]=r11 ;;\n")
    (insns,) = _groups(module_binutils.section(obj))
    assert all("ar.unat{x}" in effects(i).writes for i in insns)
    assert group_violations(insns) == []


def test_unc_compares_write_unconditionally(module_binutils):
    obj = module_binutils.assemble(".text\n(p5) cmp.eq.unc p6,p7=r8,r9\n"
                                   "(p5) cmp.eq.and p6,p7=r8,r9 ;;\n")
    (unc, par) = _groups(module_binutils.section(obj))[0]
    assert effects(unc).unconditional and effects(unc).pr_types == (("p6", "norm"),
                                                                     ("p7", "norm"))
    assert not effects(par).unconditional and effects(par).pr_types == (("p6", "and"),
                                                                        ("p7", "and"))


_NAME = re.compile(r"[rfpb]\d+|ar[.\w]+|ar\.unat\{x\}|cr[.\w]+|psr\.\w+|cfm|rr|pkr|dbr|ibr|pmc|pmd|msr|"
                   r"cpuid|[di]tlb|ip")


@settings(max_examples=2000, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.integers(0, (1 << 60) - 1))
def test_every_decoded_instruction_has_effects(data, addr):
    (b,) = iter_bundles(data, addr * 16)
    for ins in b.insns:
        e = effects(ins)
        assert e.kind in (CALL, CALL_IND, BRANCH, BRANCH_IND, RETURN, CHECK, NOP, ALLOC,
                          BREAK, OTHER)
        names = e.reads | e.writes
        assert not names & {"r0", "f0", "f1", "p0"}
        assert all(_NAME.fullmatch(n) for n in names), names
        assert (e.target is not None) == (e.kind in semantics.TRANSFERS and "target" in ins.fields)


# --------------------------------------------------------------------------
# scan: the fast pre-filter finds every bundle with an IP-relative call/branch


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=16, max_size=16), min_size=1, max_size=40))
def test_scan_finds_every_ip_relative_transfer(chunks):
    from pvcc.ia64 import iter_transfer_bundles

    data = b"".join(chunks)
    base = 0xA000000000010000
    for kind in (semantics.CALL, semantics.BRANCH):
        want = [b.addr for b in iter_bundles(data, base) if b.units and any(
            effects(i).kind == kind and effects(i).target is not None for i in b.insns)]
        got = [b.addr for b in iter_transfer_bundles(data, base, kind)
               if any(effects(i).kind == kind and effects(i).target is not None
                      for i in b.insns)]
        assert got == want


def test_scan_on_assembled_code(module_binutils):
    from pvcc.ia64 import iter_transfer_bundles

    src = """.text
    nop.m 0 ;;
    { .mib
      nop.m 0
      nop.i 0
      br.call.sptk.many b0=T ;; }
    { .mlx
      nop.m 0
      brl.call.sptk.many b0=T ;; }
    { .mib
      nop.m 0
      nop.i 0
      (p6) br.cond.dptk.few T ;; }
    { .mlx
      nop.m 0
      brl.cond.sptk.few T ;; }
    T: br.ret.sptk.many b0 ;;
    """
    data = module_binutils.section(module_binutils.assemble(src))
    calls = [b.addr for b in iter_transfer_bundles(data, 0)]
    branches = [b.addr for b in iter_transfer_bundles(data, 0, semantics.BRANCH)]
    assert calls == [0x10, 0x20] and branches == [0x30, 0x40]
