"""pvcc's own IA-64 (Itanium) bundle decoder and encoder.

The package is the only code in pvcc that knows instruction encodings:

* ``model``     -- templates, register names, ``Insn``, ``Bundle``, ``DecodeError``;
* ``decode``    -- bytes -> ``Bundle`` (dispatch on unit and major opcode, caches);
* ``units_m``, ``units_i``, ``units_a``, ``units_b``, ``units_f``, ``units_x`` --
  the slot decoders of each execution unit (A = the integer ALU forms an M or
  I slot may hold; X = the MLX long instructions);
* ``text``      -- objdump spelling of a decoded instruction;
* ``encode``    -- operands -> slots and bundles (used by the native patcher
  and by tests).


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

Decoded forms: M: alloc, mov to/from rr/dbr/ibr/pkr/pmc/pmd/msr, cpuid, psr,
psr.l, psr.um, ar (M29/M30/M31), cr, fc, fc.i, thash, ttag, tpa, tak, ptc.*,
ptr.*, itr.*, itc.*, probe.*, ssm/rsm/sum/rum, srlz.*, sync.i, mf, mf.a,
invala, fwb, loadrs, flushrs, nop/hint/break, ld1-8/st1-8 (plain, no
post-increment); I: mov to/from ar (I26/I27/I28), mov to/from br, mov from
ip/pr, mov to pr, dep.z (I12/I13), nop/hint/break; A (M or I slot): add, sub,
and, andcm, or, xor, adds, addl, cmp/cmp4 (eq, lt, ltu, .unc; register and
imm8 forms); B: br.cond/wexit/wtop/cloop/cexit/ctop (B1), br.call (B3),
br.cond/br.ia/br.ret indirect (B4), br.call indirect (B5), cover, clrrrb,
rfi, bsw, epc, vmsw, nop/hint/break; F: nop/hint/break; MLX: movl, brl.call,
brl.cond, nop.x/hint.x/break.x.  Anything else is 'unknown'.
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

__all__ = [
    "AR_NAMES",
    "CR_NAMES",
    "MASK41",
    "MASK64",
    "TEMPLATES",
    "Bundle",
    "DecodeError",
    "Insn",
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
    "encode_bundle",
    "fc",
    "iter_bundles",
    "ld8",
    "mov_from_ar",
    "mov_from_br",
    "mov_from_cpuid",
    "mov_from_cr",
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
