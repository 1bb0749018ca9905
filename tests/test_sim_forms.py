"""Semantics of every instruction form pvcc-sim implements, on hand-assembled programs.

Each case sets inputs with movl, runs the form(s), and leaves the result in r8;
the expected value is written out by hand from the Itanium SDM's definition.
A case whose form the decoder does not know fails, naming the form: a decoder
regression cannot pass as a skip.
"""

from __future__ import annotations

import struct

import pytest

from asmtools import needs_binutils
from simasm import run

pytestmark = needs_binutils
M = (1 << 64) - 1
A = 0x8000000180000003  # a value with both sign bits set
B = 0x00000007FFFFFFF9


def _set(**regs) -> str:
    return "".join(f"\tmovl r{r[1:]}={v:#x}\n" for r, v in regs.items()) + "\t;;\n"


INT_CASES = {
    "add": (_set(r14=A, r15=B) + "\tadd r8=r14,r15\n", (A + B) & M),
    "add,1": (_set(r14=5, r15=6) + "\tadd r8=r14,r15,1\n", 12),
    "sub": (_set(r14=5, r15=6) + "\tsub r8=r14,r15\n", M),
    "sub,1": (_set(r14=9, r15=6) + "\tsub r8=r14,r15,1\n", 2),
    "sub imm8": (_set(r15=6) + "\tsub r8=-3,r15\n", (-9) & M),
    "and": (_set(r14=A, r15=B) + "\tand r8=r14,r15\n", A & B),
    "or imm8": (_set(r15=0x100) + "\tor r8=-128,r15\n", (-128) & M),
    "xor": (_set(r14=A, r15=B) + "\txor r8=r14,r15\n", A ^ B),
    "andcm": (_set(r14=A, r15=B) + "\tandcm r8=r14,r15\n", A & ~B & M),
    "andcm imm8": (_set(r15=1) + "\tandcm r8=7,r15\n", 6),
    "adds": (_set(r15=10) + "\tadds r8=-8192,r15\n", (10 - 8192) & M),
    "addl": ("\tmovl r1=100\n\t;;\n\taddl r8=-2097152,r1\n", (100 - 2097152) & M),
    "movl": ("\tmovl r8=0xfedcba9876543210\n", 0xFEDCBA9876543210),
    "addp4": (_set(r14=0x7FFFFFFF, r15=0xC0000001) + "\taddp4 r8=r14,r15\n",
              (3 << 61) | 0x40000000),
    "addp4 imm14": (_set(r15=0x80000010) + "\taddp4 r8=-16,r15\n", (2 << 61) | 0x80000000),
    "shladd": (_set(r14=3, r15=100) + "\tshladd r8=r14,3,r15\n", 124),
    "shladdp4": (_set(r14=1, r15=0x40000000) + "\tshladdp4 r8=r14,4,r15\n",
                 (1 << 61) | 0x40000010),
    "shl reg": (_set(r14=A, r15=4) + "\tshl r8=r14,r15\n", (A << 4) & M),
    "shl reg 64": (_set(r14=A, r15=64) + "\tshl r8=r14,r15\n", 0),
    "shr reg": (_set(r14=A, r15=4) + "\tshr r8=r14,r15\n", ((A - (1 << 64)) >> 4) & M),
    "shr reg 200": (_set(r14=A, r15=200) + "\tshr r8=r14,r15\n", M),
    "shr.u reg": (_set(r14=A, r15=4) + "\tshr.u r8=r14,r15\n", A >> 4),
    "shl imm": (_set(r14=A) + "\tshl r8=r14,12\n", (A << 12) & M),
    "shr imm": (_set(r14=A) + "\tshr r8=r14,12\n", ((A - (1 << 64)) >> 12) & M),
    "shr.u imm": (_set(r14=A) + "\tshr.u r8=r14,12\n", A >> 12),
    "extr": (_set(r14=0x00F0) + "\textr r8=r14,4,4\n", M),
    "extr past bit 63": (_set(r14=A) + "\textr r8=r14,60,8\n", (-8) & M),
    "extr.u past bit 63": (_set(r14=A) + "\textr.u r8=r14,60,8\n", 8),
    "extr.u": (_set(r14=0x12345678) + "\textr.u r8=r14,8,12\n", 0x456),
    "dep": (_set(r14=0xFF, r15=0x1111111111111111) + "\tdep r8=r14,r15,8,4\n",
            0x1111111111111F11),
    "dep imm": (_set(r15=0) + "\tdep r8=-1,r15,4,8\n", 0xFF0),
    "dep.z": (_set(r14=0x1FF) + "\tdep.z r8=r14,8,8\n", 0xFF00),
    "dep.z imm": ("\tdep.z r8=-3,60,4\n", 0xD << 60),
    "sxt1": (_set(r14=0x180) + "\tsxt1 r8=r14\n", (-128) & M),
    "sxt2": (_set(r14=0x18000) + "\tsxt2 r8=r14\n", (-32768) & M),
    "sxt4": (_set(r14=A) + "\tsxt4 r8=r14\n", 0xFFFFFFFF80000003),
    "zxt1": (_set(r14=A) + "\tzxt1 r8=r14\n", 3),
    "zxt2": (_set(r14=0x12345) + "\tzxt2 r8=r14\n", 0x2345),
    "zxt4": (_set(r14=A) + "\tzxt4 r8=r14\n", 0x80000003),
    "popcnt": (_set(r14=A) + "\tpopcnt r8=r14\n", 5),
    "shrp": (_set(r14=0x1234, r15=0xABCD0000) + "\tshrp r8=r14,r15,16\n",
             (0x1234 << 48) | 0xABCD),
    "mux1 @rev": (_set(r14=0x0102030405060708) + "\tmux1 r8=r14,@rev\n", 0x0807060504030201),
    "mux1 @brcst": (_set(r14=0x42) + "\tmux1 r8=r14,@brcst\n", 0x4242424242424242),
    "mux2": (_set(r14=0x4444333322221111) + "\tmux2 r8=r14,0x1b\n", 0x1111222233334444),
    "padd4": (_set(r14=0xFFFFFFFF00000001, r15=0x0000000200000003) + "\tpadd4 r8=r14,r15\n",
              0x0000000100000004),
    "psub4": (_set(r14=1, r15=2) + "\tpsub4 r8=r14,r15\n", 0x00000000FFFFFFFF),
    "pcmp4.eq": (_set(r14=0x0000000500000006, r15=0x0000000500000007)
                 + "\tpcmp4.eq r8=r14,r15\n", 0xFFFFFFFF00000000),
    "pcmp4.gt": (_set(r14=0x00000001FFFFFFFF, r15=0x0000000000000000)
                 + "\tpcmp4.gt r8=r14,r15\n", 0xFFFFFFFF00000000),
    "pshr4.u imm": (_set(r14=0x8000000080000000) + "\tpshr4.u r8=r14,4\n", 0x0800000008000000),
    "pshr4 imm": (_set(r14=0x8000000080000000) + "\tpshr4 r8=r14,4\n", 0xF8000000F8000000),
    "pshr4.u reg": (_set(r14=0x8000000080000000, r15=31) + "\tpshr4.u r8=r14,r15\n",
                    0x0000000100000001),
    "pshl4 imm": (_set(r14=0x0000000100000001) + "\tpshl4 r8=r14,31\n", 0x8000000080000000),
    "pmpy2.r": (_set(r14=0x0000FFFF00000003, r15=0x0000000200000004) + "\tpmpy2.r r8=r14,r15\n",
                0xFFFFFFFE0000000C),
    "pmpy2.l": (_set(r14=0x0003000000020000, r15=0x0005000000070000) + "\tpmpy2.l r8=r14,r15\n",
                0x0000000F0000000E),
    "mix4.l": (_set(r14=0x1111111122222222, r15=0x3333333344444444) + "\tmix4.l r8=r14,r15\n",
               0x1111111133333333),
    "mix4.r": (_set(r14=0x1111111122222222, r15=0x3333333344444444) + "\tmix4.r r8=r14,r15\n",
               0x2222222244444444),
    "unpack4.l": (_set(r14=0x1111111122222222, r15=0x3333333344444444)
                  + "\tunpack4.l r8=r14,r15\n", 0x2222222244444444),
    "unpack4.h": (_set(r14=0x1111111122222222, r15=0x3333333344444444)
                  + "\tunpack4.h r8=r14,r15\n", 0x1111111133333333),
}


def _cmp(pred_setup: str, insn: str) -> str:
    """r8 = p6 + 2 * p7 after ``insn`` (p6/p7 preset by ``pred_setup``)."""
    return (pred_setup + f"\t{insn}\n\t;;\n\tmov r8=0\n\t;;\n"
            "(p6)\tadds r8=1,r8\n\t;;\n(p7)\tadds r8=2,r8\n")


_BOTH0 = "\tcmp.ne p6,p7=r0,r0\n\tcmp.ne p8,p0=r0,r0\n\t;;\n\tcmp.ne p7,p0=r0,r0\n\t;;\n"
_BOTH1 = "\tcmp.eq p6,p7=r0,r0\n\t;;\n\tcmp.eq p7,p0=r0,r0\n\t;;\n"
_NEG = _set(r14=M, r15=1)  # r14 = -1
CMP_CASES = {
    "cmp.eq": (_NEG + _cmp("", "cmp.eq p6,p7=r14,r14"), 1),
    "cmp.ne": (_NEG + _cmp("", "cmp.ne p6,p7=r14,r14"), 2),
    "cmp.lt signed": (_NEG + _cmp("", "cmp.lt p6,p7=r14,r15"), 1),
    "cmp.ltu": (_NEG + _cmp("", "cmp.ltu p6,p7=r14,r15"), 2),
    "cmp.le": (_NEG + _cmp("", "cmp.le p6,p7=r15,r15"), 1),
    "cmp.gt": (_NEG + _cmp("", "cmp.gt p6,p7=r14,r15"), 2),
    "cmp.ge": (_NEG + _cmp("", "cmp.ge p6,p7=r15,r14"), 1),
    "cmp.geu": (_NEG + _cmp("", "cmp.geu p6,p7=r15,r14"), 2),
    "cmp.gtu": (_NEG + _cmp("", "cmp.gtu p6,p7=r14,r15"), 1),
    "cmp.leu": (_NEG + _cmp("", "cmp.leu p6,p7=r14,r15"), 2),
    "cmp.lt imm8": (_NEG + _cmp("", "cmp.lt p6,p7=-2,r14"), 1),
    "cmp.ltu imm8": (_NEG + _cmp("", "cmp.ltu p6,p7=-2,r14"), 1),
    "cmp4.lt": (_set(r14=0x80000000, r15=1) + _cmp("", "cmp4.lt p6,p7=r14,r15"), 1),
    "cmp4.eq upper bits ignored": (_set(r14=0x500000005, r15=5)
                                   + _cmp("", "cmp4.eq p6,p7=r14,r15"), 1),
    "cmp4.ltu": (_set(r14=0x80000000, r15=1) + _cmp("", "cmp4.ltu p6,p7=r14,r15"), 2),
    "cmp.eq.unc": (_NEG + _cmp("", "cmp.eq.unc p6,p7=r14,r15"), 2),
    "cmp.eq.and true": (_NEG + _BOTH1 + _cmp("", "cmp.eq.and p6,p7=r14,r14"), 3),
    "cmp.eq.and false": (_NEG + _BOTH1 + _cmp("", "cmp.eq.and p6,p7=r14,r15"), 0),
    "cmp.eq.or true": (_NEG + _BOTH0 + _cmp("", "cmp.eq.or p6,p7=r14,r14"), 3),
    "cmp.eq.or false": (_NEG + _BOTH0 + _cmp("", "cmp.eq.or p6,p7=r14,r15"), 0),
    "cmp.ne.or.andcm": (_NEG + _BOTH0 + _cmp("", "cmp.ne.or.andcm p6,p7=r14,r15"), 1),
    "cmp4.ne.or.andcm false": (_NEG + _BOTH1 + _cmp("", "cmp4.ne.or.andcm p6,p7=r14,r14"), 3),
    "cmp.ge.or.andcm r0": (_NEG + _BOTH0 + _cmp("", "cmp.ge.or.andcm p6,p7=r0,r15"), 0),
    "cmp.gt.and r0": (_NEG + _BOTH1 + _cmp("", "cmp.gt.and p6,p7=r0,r14"), 3),
    "tbit.z": (_set(r14=0x10) + _cmp("", "tbit.z p6,p7=r14,4"), 2),
    "tbit.nz": (_set(r14=0x10) + _cmp("", "tbit.nz p6,p7=r14,4"), 1),
    "tbit.z.unc": (_set(r14=0x10) + _cmp("", "tbit.z.unc p6,p7=r14,3"), 1),
    "tbit.nz.or.andcm": (_BOTH0 + _set(r14=0x10) + _cmp("", "tbit.nz.or.andcm p6,p7=r14,4"), 1),
    "tnat.z": (_set(r14=0) + _cmp("", "tnat.z p6,p7=r14"), 1),
}

MEM = "\tmovl r20=buf\n\t;;\n"
MEM_CASES = {
    "st1 ld1": (MEM + _set(r14=0x1FF) + "\tst1 [r20]=r14\n\t;;\n\tld1 r8=[r20]\n", 0xFF),
    "st2 ld2": (MEM + _set(r14=0x1FFFF) + "\tst2 [r20]=r14\n\t;;\n\tld2 r8=[r20]\n", 0xFFFF),
    "st4 ld4": (MEM + _set(r14=A) + "\tst4 [r20]=r14\n\t;;\n\tld4 r8=[r20]\n", 0x80000003),
    "st8 ld8": (MEM + _set(r14=A) + "\tst8 [r20]=r14\n\t;;\n\tld8 r8=[r20]\n", A),
    "little-endian": (MEM + _set(r14=0x0102030405060708) + "\tst8 [r20]=r14\n\t;;\n"
                      "\tld1 r8=[r20]\n", 8),
    "ld8 post-increment imm": (MEM + "\tld8 r9=[r20],16\n\t;;\n\tld8 r8=[r20]\n", 0x2222),
    "ld8 post-increment reg": (MEM + "\tmov r21=8\n\t;;\n\tld8 r9=[r20],r21\n\t;;\n"
                               "\tld8 r8=[r20]\n", 0x1111),
    "st8 post-increment": (MEM + "\tmov r14=5\n\t;;\n\tst8 [r20]=r14,8\n\t;;\n"
                           "\tld8 r8=[r20]\n", 0x1111),
    "ld8.acq st8.rel": (MEM + _set(r14=A) + "\tst8.rel [r20]=r14\n\t;;\n"
                        "\tld8.acq r8=[r20]\n", A),
    "ld4.bias": (MEM + "\tld4.bias r8=[r20]\n", 0),
    "cmpxchg8.acq success": (MEM + "\tmov r14=0\n\tmov r15=99\n\t;;\n\tmov ar.ccv=r14\n\t;;\n"
                             "\tcmpxchg8.acq r9=[r20],r15,ar.ccv\n\t;;\n\tld8 r8=[r20]\n", 99),
    "cmpxchg4.rel failure": (MEM + "\tmov r14=1\n\tmov r15=99\n\t;;\n\tmov ar.ccv=r14\n\t;;\n"
                             "\tcmpxchg4.rel r9=[r20],r15,ar.ccv\n\t;;\n\tld8 r8=[r20]\n", 0),
    "xchg8": (MEM + "\tmov r15=7\n\t;;\n\txchg8 r9=[r20],r15\n\t;;\n\tld8 r8=[r20]\n\t;;\n"
              "\tadd r8=r8,r9\n", 7),
    "fetchadd4.acq": (MEM + "\tfetchadd4.acq r9=[r20],-1\n\t;;\n\tld4 r8=[r20]\n", 0xFFFFFFFF),
    "fetchadd8.rel": (MEM + "\tfetchadd8.rel r9=[r20],16\n\t;;\n\tfetchadd8.rel r9=[r20],16\n"
                      "\t;;\n\tld8 r8=[r20]\n\t;;\n\tadd r8=r8,r9\n", 48),
}

FP = "\tmovl r20=buf\n\t;;\n"
FP_CASES = {
    "setf.sig getf.sig": (_set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n\tgetf.sig r8=f6\n", A),
    "xmpy.l": (_set(r14=A, r15=B) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n\t;;\n"
               "\txmpy.l f8=f6,f7\n\t;;\n\tgetf.sig r8=f8\n", (A * B) & M),
    "xmpy.hu": (_set(r14=A, r15=B) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n\t;;\n"
                "\txmpy.hu f8=f6,f7\n\t;;\n\tgetf.sig r8=f8\n", (A * B) >> 64),
    "xmpy.h": (_set(r14=A, r15=B) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n\t;;\n"
               "\txmpy.h f8=f6,f7\n\t;;\n\tgetf.sig r8=f8\n", (((A - (1 << 64)) * B) >> 64) & M),
    "xma.l": (_set(r14=A, r15=B, r16=5) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n"
              "\tsetf.sig f9=r16\n\t;;\n\txma.l f8=f6,f7,f9\n\t;;\n\tgetf.sig r8=f8\n",
              (A * B + 5) & M),
    "xma.hu": (_set(r14=A, r15=B, r16=M) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n"
               "\tsetf.sig f9=r16\n\t;;\n\txma.hu f8=f6,f7,f9\n\t;;\n\tgetf.sig r8=f8\n",
               ((A * B + M) >> 64) & M),
    "fnorm getf.exp": (_set(r14=0x100) + "\tsetf.sig f6=r14\n\t;;\n\tfnorm.s1 f7=f6\n\t;;\n"
                       "\tgetf.exp r8=f7\n", 0xFFFF + 8),
    "fnorm getf.sig": (_set(r14=0x100) + "\tsetf.sig f6=r14\n\t;;\n\tfnorm.s1 f7=f6\n\t;;\n"
                       "\tgetf.sig r8=f7\n", 1 << 63),
    "mov f=f": (_set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n\tmov f7=f6\n\t;;\n\tgetf.sig r8=f7\n",
                A),
    "fsxt.r": (_set(r14=0x80000000, r15=0x12345678) + "\tsetf.sig f6=r14\n\tsetf.sig f7=r15\n"
               "\t;;\n\tfsxt.r f8=f6,f7\n\t;;\n\tgetf.sig r8=f8\n", 0xFFFFFFFF12345678),
    "fcvt.xf getf.exp": (_set(r14=M) + "\tsetf.sig f6=r14\n\t;;\n\tfcvt.xf f7=f6\n\t;;\n"
                         "\tgetf.exp r8=f7\n", (1 << 17) | 0xFFFF),
    "stf.spill ldf.fill": (FP + _set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n"
                           "\tstf.spill [r20]=f6\n\t;;\n\tldf.fill f7=[r20]\n\t;;\n"
                           "\tgetf.sig r8=f7\n", A),
    "stf.spill exponent": (FP + _set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n"
                           "\tstf.spill [r20]=f6\n\t;;\n\tadds r21=8,r20\n\t;;\n"
                           "\tld8 r8=[r21]\n", 0x1003E),
    "stf8 ldf8": (FP + _set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n\tstf8 [r20]=f6\n\t;;\n"
                  "\tldf8 f7=[r20]\n\t;;\n\tgetf.sig r8=f7\n", A),
    "stfe ldfe": (FP + _set(r14=A) + "\tsetf.sig f6=r14\n\t;;\n\tfnorm.s1 f6=f6\n\t;;\n"
                  "\tstfe [r20]=f6\n\t;;\n\tldfe f7=[r20]\n\t;;\n\tgetf.exp r8=f7\n", 0x1003E),
}

BR_CASES = {
    "mov b, br.cond b": (("\tmovl r14=.Lt\n\t;;\n\tmov b6=r14\n\tmov r8=1\n\t;;\n"
                         "\tbr.cond.sptk.few b6\n\t;;\n\tmov r8=2\n\t;;\n.Lt:\n"), 1),
    "mov r=b": ("\tmovl r14=0x1230\n\t;;\n\tmov b3=r14\n\t;;\n\tmov r8=b3\n", 0x1230),
    "mov pr=r,mask and mov r=pr": (("\tmovl r14=0xffffffffffffffff\n\t;;\n"
                                   "\tmov pr=r14,0x1c0\n\t;;\n\tmov r9=pr\n\t;;\n"
                                   "\tmovl r10=0x1c1\n\t;;\n\tand r8=r10,r9\n"), 0x1C1),
    "mov r=ip": (".Lhere:\n\tmov r9=ip\n\tmovl r10=.Lhere\n\t;;\n\tsub r8=r9,r10\n", 0),
    "br.call.ind through a descriptor": (
        ("\talloc r32=ar.pfs,0,2,1,0\n\tmovl r14=desc\n\t;;\n\tld8 r15=[r14],8\n\t;;\n"
        "\tld8 r1=[r14]\n\tmov b6=r15\n\tmov out0=20\n\t;;\n\tbr.call.sptk.many b0=b6\n"
        "\t;;\n"), 21),
}
BR_EXTRA = """
	.proc incr
incr:
	adds r8=1,r32
	br.ret.sptk.many b0
	.endp incr
"""

def _mm(insn: str, a: int, b: int = 0) -> str:
    return _set(r14=a, r15=b) + f"\t{insn}\n"


_BA = 0x1716151413121110
_BB = 0x2726252423222120
MM_CASES = {
    "padd1": (_mm("padd1 r8=r14,r15", 0x7F80FF0102030405, 0x0101010101010101),
              0x8081000203040506),
    "padd1.sss": (_mm("padd1.sss r8=r14,r15", 0x7F80FF0102030405, 0x0101010101010101),
                  0x7F81000203040506),
    "padd1.uuu": (_mm("padd1.uuu r8=r14,r15", 0x7F80FF0102030405, 0x0101010101010101),
                  0x8081FF0203040506),
    "psub2.uuu": (_mm("psub2.uuu r8=r14,r15", 0x00010005FFFF0000, 0x0002000300010001),
                  0x00000002FFFE0000),
    "pcmp1.eq": (_mm("pcmp1.eq r8=r14,r15", 0x1122334455667788, 0x1100330055007700),
                 0xFF00FF00FF00FF00),
    "pcmp2.gt": (_mm("pcmp2.gt r8=r14,r15", 0x800000017FFF0000, 0x0000000000000001),
                 0x0000FFFFFFFF0000),
    "pmin1.u": (_mm("pmin1.u r8=r14,r15", 0x0102030405060708, 0x0807060504030201),
                0x0102030404030201),
    "pmax1.u": (_mm("pmax1.u r8=r14,r15", 0x0102030405060708, 0x0807060504030201),
                0x0807060505060708),
    "pmax2": (_mm("pmax2 r8=r14,r15", 0xFFFF000180007FFF, 0x0000000200000000),
              0x0000000200007FFF),
    "psad1": (_mm("psad1 r8=r14,r15", 0x0102030405060708, 0x0807060504030201), 32),
    "pshl2": (_mm("pshl2 r8=r14,1", 0x800140000001FFFF), 0x000280000002FFFE),
    "pshr2": (_mm("pshr2 r8=r14,4", 0x80007FFF0010FFFF), 0xF80007FF0001FFFF),
    "pshr2.u": (_mm("pshr2.u r8=r14,4", 0x80007FFF0010FFFF), 0x080007FF00010FFF),
    "mix1.l": (_mm("mix1.l r8=r14,r15", _BA, _BB), 0x1727152513231121),
    "mix1.r": (_mm("mix1.r r8=r14,r15", _BA, _BB), 0x1626142412221020),
    "mix2.l": (_mm("mix2.l r8=r14,r15", 0x0004000300020001, 0x0008000700060005),
               0x0004000800020006),
    "unpack1.l": (_mm("unpack1.l r8=r14,r15", _BA, _BB), 0x1323122211211020),
    "unpack1.h": (_mm("unpack1.h r8=r14,r15", _BA, _BB), 0x1727162615251424),
    "unpack2.h": (_mm("unpack2.h r8=r14,r15", 0x0004000300020001, 0x0008000700060005),
                  0x0004000800030007),
    "czx1.l": (_mm("czx1.l r8=r14", 0x1100223344556677), 1),
    "czx1.r": (_mm("czx1.r r8=r14", 0x1100223344556677), 6),
    "czx1.r none": (_mm("czx1.r r8=r14", 0x0101010101010101), 8),
    "czx2.r": (_mm("czx2.r r8=r14", 0x0000111100002222), 1),
    "czx2.l": (_mm("czx2.l r8=r14", 0x0000111100002222), 0),
    "pmpyshr2": (_mm("pmpyshr2 r8=r14,r15,7", 0x0002FFFF01000003, 0x0003000201000004),
                 0x0000FFFF02000000),
    "pmpyshr2.u": (_mm("pmpyshr2.u r8=r14,r15,7", 0x0002FFFF01000003, 0x0003000201000004),
                   0x000003FF02000000),
    "pshladd2": (_mm("pshladd2 r8=r14,1,r15", 0x400000010000FFFF, 0x0000000100010001),
                 0x7FFF00030001FFFF),
}


def _d(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _fd(insn: str, a: float, b: float = 0.0, c: float = 0.0) -> str:
    """f6, f7, f8 = a, b, c (setf.d); run ``insn``; r8 = getf.d f9."""
    return (_set(r14=_d(a), r15=_d(b), r16=_d(c)) + "\tsetf.d f6=r14\n\tsetf.d f7=r15\n"
            "\tsetf.d f8=r16\n\t;;\n" + f"\t{insn}\n\t;;\n\tgetf.d r8=f9\n\t;;\n")


FP_ARITH_CASES = {
    "setf.d getf.d": (_fd("mov f9=f6", 2.5), _d(2.5)),
    "fma.d": (_fd("fma.d f9=f6,f7,f8", 1.5, 2.25, 0.1), _d(1.5 * 2.25 + 0.1)),
    "fms.d": (_fd("fms.d f9=f6,f7,f8", 1.5, 2.25, 0.1), _d(1.5 * 2.25 - 0.1)),
    "fnma.d": (_fd("fnma.d f9=f6,f7,f8", 1.5, 2.25, 0.1), _d(0.1 - 1.5 * 2.25)),
    "fmpy.d": (_fd("fmpy.d f9=f6,f7", 0.1, 3.0), _d(0.1 * 3.0)),
    "fadd.d": (_fd("fadd.d f9=f6,f7", 0.1, 0.2), _d(0.1 + 0.2)),
    "fma.s": (_fd("fma.s f9=f6,f7,f8", 0.1, 3.0, 0.0),
              _d(struct.unpack("<f", struct.pack("<f", 0.1 * 3.0))[0])),
    "fcmp.lt": (_fd("fcmp.lt p6,p7=f6,f7", 1.0, 2.0) + "\tmov r8=0\n\t;;\n"
                "(p6)\tadds r8=1,r8\n(p7)\tadds r8=2,r8\n", 1),
    "fcmp.unord": (_set(r14=0x7FF8000000000000) + "\tsetf.d f6=r14\n\t;;\n"
                   "\tfcmp.unord p6,p7=f6,f6\n\t;;\n\tmov r8=0\n\t;;\n"
                   "(p6)\tadds r8=1,r8\n(p7)\tadds r8=2,r8\n", 1),
    "fcvt.fx.trunc": (_fd("fcvt.fx.trunc f9=f6", -7.9) + "\tgetf.sig r8=f9\n", (-7) & M),
    "fcvt.fxu.trunc": (_fd("fcvt.fxu.trunc f9=f6", 7.9) + "\tgetf.sig r8=f9\n", 7),
    "frcpa": (_fd("frcpa.s0 f9,p6=f6,f7", 1.0, 4.0) + "\tmov r9=0\n\t;;\n(p6)\tmov r9=1\n"
              "\t;;\n\tadd r8=r8,r9\n", _d(0.25) + 1),
    "frcpa zero divisor": (_fd("frcpa.s0 f9,p6=f6,f7", 1.0, 0.0), _d(float("inf"))),
    "stfd ldfd": (FP + _set(r14=_d(-3.75)) + "\tsetf.d f6=r14\n\t;;\n\tstfd [r20]=f6\n\t;;\n"
                  "\tldfd f7=[r20]\n\t;;\n\tgetf.d r8=f7\n", _d(-3.75)),
    "stfs ldfs": (FP + _set(r14=_d(0.1)) + "\tsetf.d f6=r14\n\t;;\n\tstfs [r20]=f6\n\t;;\n"
                  "\tld4 r8=[r20]\n", struct.unpack("<I", struct.pack("<f", 0.1))[0]),
    "fselect": (_set(r14=0xF0F0, r15=0x1234, r16=0xFFFF) + "\tsetf.sig f6=r14\n"
                "\tsetf.sig f7=r15\n\tsetf.sig f8=r16\n\t;;\n\tfselect f9=f7,f8,f6\n"
                "\t;;\n\tgetf.sig r8=f9\n", (0x1234 & 0xF0F0) | (0xFFFF & ~0xF0F0)),
}


CASES = {**FP_ARITH_CASES, **MM_CASES, **INT_CASES, **CMP_CASES, **MEM_CASES, **FP_CASES, **BR_CASES}
DATA = "buf: .quad 0, 0x1111, 0x2222, 0\ndesc: data8 incr, 0\n"


def _run_case(tmp_path, body, spec="succeed"):
    r = run(tmp_path, body, data=DATA, extra=BR_EXTRA, spec=spec)
    assert r.error is None, f"{r.where}: {r.error.msg}"
    return r


@pytest.mark.parametrize("name", list(CASES))
def test_form(tmp_path, name):
    body, expect = CASES[name]
    r = _run_case(tmp_path, body)
    assert r.state.g[8] == expect, f"{name}: r8 = {r.state.g[8]:#x}, expected {expect:#x}"
