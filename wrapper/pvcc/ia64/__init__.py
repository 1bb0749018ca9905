"""pvcc's own IA-64 (Itanium) bundle decoder and encoder.

The package is the only code in pvcc that knows instruction encodings:

* ``model``     -- templates, register names, ``Insn``, ``Bundle``, ``DecodeError``;
* ``decode``    -- bytes -> ``Bundle`` (dispatch on unit and major opcode, caches);
* ``units_m``, ``units_i``, ``units_a``, ``units_b``, ``units_f``, ``units_x`` --
  the slot decoders of each execution unit (A = the integer ALU forms an M or
  I slot may hold; X = the MLX long instructions);
* ``forms``     -- form names (op + operand shape), from each form's operand template;
* ``text``      -- objdump spelling of a decoded instruction;
* ``encode``    -- operands -> slots and bundles (used by the native patcher
  and by tests);
* ``semantics`` -- what an instruction does in a neutral register model: its
  kind (call, branch, return, ...), registers read and written, target, and
  the instruction-group (RAW/WAW) rules;
* ``scan``      -- a fast search of code for the bundles holding calls or branches.

Pure Python, no dependencies.  A bundle is 128 bits, little-endian: template in
bits 4:0, slot 0 in bits 45:5, slot 1 in bits 86:46, slot 2 in bits 127:87
(41 bits each).  Format names below ("M34", "I21", "B3", ...) are those of the
Intel Itanium Architecture Software Developer's Manual, vol. 3; every form
decoded or encoded here is checked against GNU as/objdump (binutils 2.40) by
tests/unit/test_ia64.py.

Conventions:

* ``Bundle.insns`` has three ``Insn`` for ordinary templates and two for MLX:
  the M instruction (slot 0) and one long instruction with ``unit == 'L'``,
  ``slot == 1`` (the slot number gas uses for relocations and slot labels),
  ``raw`` = the X slot (slot 2) and ``raw_l`` = the L slot (slot 1).
* Reserved templates (0x06, 0x07, 0x14, 0x15, 0x1A, 0x1B, 0x1E, 0x1F) make
  ``decode_bundle`` raise ``DecodeError``; ``iter_bundles`` yields them instead
  with ``units is None``, ``stops == ()`` and three ``Insn(unit='?', op='reserved')``.
* Branch targets are absolute: bundle address + displacement (modulo 2**64).
* The decoder does not insist that ignored/reserved bits of a recognised form
  are zero; an instruction whose opcode bits match no form here has
  ``op == 'unknown'`` (its ``text()`` is ``unknown.<unit> <raw>``).
* ``Insn.fields`` is shared between equal decoded instructions (a cache makes
  decoding fast): treat it as read-only.
* Forms without a qualifying predicate (alloc, loadrs, flushrs, cover, rfi,
  bsw, epc, clrrrb, vmsw, br.cloop/cexit/ctop) have ``qp == 0`` whatever bits
  5:0 hold, as objdump prints them.
* ``text()`` follows objdump's spelling (e.g. ``cmp.ne p6,p7=r8,r0`` reads
  back as ``cmp.eq p7,p6=r8,r0``, ``adds r8=0,r1`` as ``mov r8=r1``, an
  unpredicated ``br.cond.sptk`` as ``br``), except: predicates are written
  ``(p6)`` not ``(p06)``, branch targets as ``0x...`` without ``<symbol>``,
  and hint.m immediates >= 16, which binutils 2.40 encodes/prints against
  the SDM's M48 format (the decoder follows the SDM: same field as nop.m).

Naming (stable: executors and the semantic layer key on it):

* ``Insn.op`` is the mnemonic with its *semantic* completers, in objdump's
  spelling of the real instruction: ``ld8.c.clr``, ``st4.rel``, ``cmp4.lt.unc``,
  ``cmp.ne.or.andcm``, ``tbit.z.and``, ``fetchadd4.acq``, ``xma.hu``,
  ``fcvt.fx.trunc``, ``chk.s.i``.  Hints are fields, not part of ``op``: load,
  store and lfetch hints in ``hint`` (0 none, 1 nt1, 2 nt2, 3 nta), branch hints
  in ``wh``/``p``/``d``, the FP status field in ``sf``.  Pseudo-ops that objdump
  prints are named by the instruction they encode: ``mov r8=r1`` is ``adds``,
  ``shl r8=r9,5`` is ``dep.z``, ``shr.u r8=r9,5`` is ``extr.u``, ``fnorm`` is
  ``fma``, ``xmpy.l`` is ``xma.l``, ``mov f6=f7`` is ``fmerge.s``, ``cmp.gt``
  is ``cmp.lt`` with the registers swapped.  Exceptions, because one objdump
  mnemonic covers instructions that do different things: the moves are
  ``mov.to.<x>``/``mov.from.<x>`` (x = ar, br, pr, pr.rot, cr, psr, psr.l,
  psr.um, ip, cpuid, rr, pmc, pmd, pkr, dbr, ibr, msr), the indirect branches
  ``br.cond.ind`` and ``br.call.ind``, and nop/hint/break, which are ``nop``,
  ``hint``, ``break`` on every unit.
* Operands are fields with the SDM's names: ``r1 r2 r3`` (general registers),
  ``f1 f2 f3 f4``, ``p1 p2``, ``b1 b2``, ``ar``, ``cr``, ``imm`` (an immediate,
  and the post-increment of a load/store), ``count``, ``pos``, ``len``,
  ``mask``, ``inc`` (fetchadd), ``target`` (absolute), ``sof/sol/sor``.
  Compares also carry ``rel`` (lt ltu eq ne gt le ge), ``size`` (4 or 8),
  ``unc`` and ``ctype`` ("", "unc", "and", "or", "or.andcm"); tbit/tnat/tf
  ``rel`` (z, nz) and ``ctype``.
* ``Insn.form`` is ``op`` and the shape of the operands, objdump's operand text
  with each register number replaced by its class and every other operand by
  its field name: ``"ld8.acq r=[r],imm"``, ``"ld8 r=[r],r"``, ``"st8 [r]=r"``,
  ``"cmp.eq p,p=imm,r"``, ``"cmp.gt.and p,p=r0,r"``, ``"mov.to.ar ar=imm"``,
  ``"br.call b=target"``, ``"nop imm"``, ``"loadrs"``.  Immediate and
  post-increment variants are distinct forms; the unit is not part of the form
  (``Insn.unit`` tells it).

Decoded: every A-unit instruction (ALU, shladd(p4), addp4, A3 immediates,
multimedia padd/psub/pavg/pcmp/pshladd, cmp/cmp4 in all relations and types);
I unit: zxt/sxt/czx, extr/extr.u, dep/dep.z (I12-I15), shrp, shl/shr/shr.u by
register, tbit/tnat/tf, the multimedia forms (pmpy2, pmpyshr2, mix, pack,
unpack, pmin/pmax, psad1, mux1/mux2, pshr/pshl by register and immediate,
mpy4, mpyshl4), popcnt, clz, chk.s.i, moves of ar/br/pr/pr.rot/ip; M unit:
ld1-8 with every completer (.s .a .sa .bias .acq .c.clr .c.nc .c.clr.acq,
ld8.fill) and post-increment by register or immediate, st1-8 (.rel,
st8.spill, post-increment), cmpxchg/xchg/fetchadd, getf/setf (.sig .exp .s
.d), ldfs/ldfd/ldf8/ldfe (same completers) and ldf.fill, the pairs
ldfp8/ldfps/ldfpd, stf (stf.spill), lfetch, chk.s.m, chk.s (f), chk.a.nc/.clr
(r and f), invala(.e), mf(.a), srlz, sync.i, fwb, loadrs, flushrs, alloc,
all system/management forms (mov to/from rr/dbr/ibr/pkr/pmc/pmd/msr/cpuid/
psr/psr.l/psr.um/ar/cr, fc(.i),
thash, ttag, tpa, tak, ptc.*, ptr.*, itr.*, itc.*, probe.*, ssm/rsm/sum/rum);
B unit: br.cond/wexit/wtop/cloop/cexit/ctop, br.call (IP-relative and
indirect), br.cond/br.ia/br.ret indirect, brp (a hint: no operands kept), cover, clrrrb, rfi, bsw, epc, vmsw;
F unit: fma/fms/fnma (.s .d) and fpma/fpms/fpnma, xma.l/.h/.hu, fselect,
fcmp, frcpa, frsqrta, fmerge, fmin/fmax/famin/famax, fand/fandcm/for/fxor,
fpack, fswap, fmix, fsxt, fcvt.fx/fxu(.trunc), fcvt.xf; MLX: movl, brl.call,
brl.cond; nop/hint/break on every unit.  Anything else is 'unknown' (e.g.
ld16, fclass, fsetc, the parallel FP compares).
"""

from .bits import MASK41, MASK64
from .decode import decode_bundle, iter_bundles
from .encode import (
    addl,
    adds,
    alloc,
    and_,
    br_call,
    br_call_ind,
    br_cond,
    br_cond_ind,
    br_ret,
    brl_call,
    brl_cond,
    cmp_eq,
    cmp_ne,
    dep_z,
    encode_bundle,
    fc,
    ld8,
    mov_from_ar,
    mov_from_br,
    mov_from_cpuid,
    mov_from_cr,
    mov_from_ip,
    mov_from_pmd,
    mov_from_psr,
    mov_from_rr,
    mov_gr,
    mov_to_ar,
    mov_to_br,
    mov_to_cr,
    mov_to_psr_l,
    mov_to_rr,
    movl,
    nop_b,
    nop_f,
    nop_i,
    nop_m,
    nop_x,
    ptc_ga,
    rsm,
    srlz_d,
    srlz_i,
    ssm,
    st8,
    thash,
)
from .model import (
    AR_NAMES,
    CR_NAMES,
    TEMPLATES,
    Bundle,
    DecodeError,
    Insn,
    ar_name,
    ar_units,
    cr_name,
)
from .scan import iter_transfer_bundles
from .semantics import Effects, Violation, effects, group_violations

__all__ = [
    "AR_NAMES",
    "CR_NAMES",
    "MASK41",
    "MASK64",
    "TEMPLATES",
    "Bundle",
    "DecodeError",
    "Effects",
    "Insn",
    "Violation",
    "addl",
    "adds",
    "alloc",
    "and_",
    "ar_name",
    "ar_units",
    "br_call",
    "br_call_ind",
    "br_cond",
    "br_cond_ind",
    "br_ret",
    "brl_call",
    "brl_cond",
    "cmp_eq",
    "cmp_ne",
    "cr_name",
    "decode_bundle",
    "dep_z",
    "effects",
    "encode_bundle",
    "fc",
    "group_violations",
    "iter_bundles",
    "iter_transfer_bundles",
    "ld8",
    "mov_from_ar",
    "mov_from_br",
    "mov_from_cpuid",
    "mov_from_cr",
    "mov_from_ip",
    "mov_from_pmd",
    "mov_from_psr",
    "mov_from_rr",
    "mov_gr",
    "mov_to_ar",
    "mov_to_br",
    "mov_to_cr",
    "mov_to_psr_l",
    "mov_to_rr",
    "movl",
    "nop_b",
    "nop_f",
    "nop_i",
    "nop_m",
    "nop_x",
    "ptc_ga",
    "rsm",
    "srlz_d",
    "srlz_i",
    "ssm",
    "st8",
    "thash",
]
