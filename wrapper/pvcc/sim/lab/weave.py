"""Weave paravirt intrinsic calls into a csmith program.

``weave(text, seed)`` returns the program with an intrinsic statement at the
start of every function (csmith's ``{ /* block id: 0 */``) and of up to
``sites`` other blocks (``{ /* block id: N */``), chosen and filled in from
``seed``:

* results feed ``pv_acc``, a 64-bit accumulator that main adds to the checksum;
* some statements pass one of the program's integer globals through an
  intrinsic and back (a kernel register written with ``g ^ pv_acc`` and read
  back), so the program's own values cross the sites;
* every value the program had before the statement is live across it (the
  statement sits inside the program's functions and loops).

The woven statements never change the program's control flow: a correct
build computes the csmith program's own values plus ``pv_acc``.  The
privileged state they write (kernel registers, region registers, psr.i and
the whole psr.l, cr.tpr, cr.pta, cr.itm, cr.eoi, cr.dcr, cr.iva, cr.lid,
cr.itv) is the kind every build must leave the same.
"""

from __future__ import annotations

import random
import re

_GLOBAL = re.compile(r"^static (?:volatile )?(u?int(?:8|16|32|64)_t) (g_\d+) = [^;{,]*;",
                     re.MULTILINE)
_BLOCK = re.compile(r"^\s*\{ /\* block id: \d+ \*/\s*$")
PRELUDE = ("#include <pvcc/paravirt.h>\n"
           "static uint64_t pv_acc = 0x9e3779b97f4a7c15UL;\n")
CHECKSUM = '    transparent_crc(pv_acc, "pv_acc", print_hash_value);\n'

# One woven statement per entry: {g} a global, {t} its type, {i} 0-3, {k} 0-7,
# {c} a control register of _PLAIN_CRS.
STATEMENTS = (
    "pv_acc = pv_acc * 33 + paravirt_get_psr_i();",
    ("paravirt_setreg(3072 + {k}, (uint64_t){g} ^ pv_acc); "
    "{g} = ({t})(paravirt_getreg(3072 + {k}) ^ pv_acc);"),
    "pv_acc ^= paravirt_get_cpuid({i});",
    "pv_acc += paravirt_get_rr((uint64_t){k} << 61);",
    "pv_acc = pv_acc * 7 + paravirt_thash(0x2000000000000000UL | (uint64_t){g} << 14);",
    ("{{ uint64_t pv_f = paravirt_get_psr_i(); paravirt_rsm_i(); "
    "pv_acc += paravirt_get_psr_i() + (uint64_t){g}; "
    "paravirt_intrin_local_irq_restore(pv_f); }}"),
    "pv_acc += paravirt_getreg(3116);",
    "paravirt_setreg(4162, ((uint64_t){g} & 0xf) << 4); pv_acc += paravirt_getreg(4162);",
    "paravirt_fc((uint64_t)&{g});",
    "pv_acc += paravirt_get_pmd({i});",
    ("paravirt_set_rr(0xa000000000000000UL, ((uint64_t){g} & 0xffff) << 8 | 14 << 2); "
    "pv_acc += paravirt_get_rr(0xa000000000000000UL);"),
    "paravirt_ptcga(0x2000000000000000UL | ((uint64_t){g} & 0xfff) << 14, 14 << 2);",
    "pv_acc ^= paravirt_getreg(1019);",
    "paravirt_ssm_i(); pv_acc += paravirt_get_psr_i(); paravirt_rsm_i();",
    ("paravirt_set_rr0_to_rr4(0x100 << 8 | 14 << 2, 0x101 << 8 | 14 << 2, "
    "((uint64_t){g} & 0xff) << 8 | 14 << 2, 0x103 << 8 | 14 << 2, 0x104 << 8 | 14 << 2); "
    "pv_acc += paravirt_get_rr(2UL << 61);"),
    # cr.pta moves the hash table thash computes from (short format)
    ("paravirt_setreg(4104, 0x1000000000UL | ((uint64_t){g} & 0xff) << 20 | 15 << 2); "
    "pv_acc = pv_acc * 5 + paravirt_thash((uint64_t){k} << 61 | (uint64_t)pv_acc << 3 >> 4);"),
    # the whole psr.l written back with psr.i cleared, then restored
    ("{{ uint64_t pv_p = paravirt_getreg(1019); paravirt_setreg(1019, pv_p & ~0x4000UL); "
    "pv_acc += paravirt_get_psr_i() + ((uint64_t){g} & 3); paravirt_setreg(1019, pv_p); }}"),
    # interrupt timer match and end of interrupt: effects in the log
    ("paravirt_setreg(4097, (uint64_t){g} ^ pv_acc); paravirt_setreg(4163, 0); "
    "pv_acc += paravirt_getreg(4097) + paravirt_getreg(4161);"),
    # plain control registers (dcr, iva, lid, itv) written and read back
    ("paravirt_setreg(4096 + {c}, ((uint64_t){g} ^ pv_acc) & 0xffff00UL); "
    "pv_acc = pv_acc * 3 + paravirt_getreg(4096 + {c});"),
    # Linux's local_irq_save as one site: the whole PSR before, psr.i off after
    ("{{ uint64_t pv_f = paravirt_intrin_local_irq_save(); "
    "pv_acc = pv_acc * 3 + pv_f + paravirt_get_psr_i() + (uint64_t){g}; "
    "paravirt_intrin_local_irq_restore(pv_f & 0x4000); }}"),
    # Linux's serialization after a privileged write, which a light site folds
    # into its region (docs/light.md, "Serialization"): the effect log has it
    ('paravirt_setreg(4162, ((uint64_t){g} & 0xf) << 4); '
     '__asm__ __volatile__(";; srlz.d" ::: "memory"); '
     'pv_acc = pv_acc * 9 + paravirt_getreg(4162); paravirt_rsm_i(); '
     '__asm__ __volatile__(";; srlz.d" ::: "memory");'),
)
# Control registers the plain-control-register statement writes: dcr, iva, lid, itv.
_PLAIN_CRS = (0, 2, 64, 72)


class WeaveError(Exception):
    """The text is not a csmith program the weaver knows; one line."""


def weave(text: str, seed: int, sites: int = 6) -> str:
    rng = random.Random(seed)
    globals_ = _GLOBAL.findall(text)
    if not globals_:
        raise WeaveError("no scalar integer global to weave with")
    lines = text.splitlines(keepends=True)
    blocks = [n for n, line in enumerate(lines) if _BLOCK.match(line)]
    include = next((n for n, line in enumerate(lines) if line.startswith('#include "csmith.h"')),
                   None)
    end = next((n for n, line in enumerate(lines) if "platform_main_end(" in line), None)
    if include is None or end is None:
        raise WeaveError("no csmith.h include or no platform_main_end call")
    entries = {n for n in blocks if "block id: 0 " in lines[n]}
    inner = [n for n in blocks if n not in entries]
    chosen = entries | set(rng.sample(inner, min(sites, len(inner))))
    out = []
    for n, line in enumerate(lines):
        if n == end:
            out.append(CHECKSUM)
        out.append(line)
        if n == include:
            out.append(PRELUDE)
        if n in chosen:
            t, g = rng.choice(globals_)
            stmt = rng.choice(STATEMENTS).format(g=g, t=t, i=rng.randrange(4),
                                                 k=rng.randrange(8), c=rng.choice(_PLAIN_CRS))
            out.append(f"    {stmt} /* pvcc-woven */\n")
    return "".join(out)
