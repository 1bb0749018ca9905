"""The replacement-bundle table of the kernel's boot-time patcher, generated as C.

The kernel patches its own sites at boot (kernel/pvcc_patch.c).  So that it
and `pvcc-check --patch native` cannot drift, the kernel carries no encodings
of its own: this module asks pvcc's encoder (`native.native_bundles`, the
branch encoders of `ia64`) for every paravirt type and register choice, and
writes what it learns as a C header, `pvcc_patch_table.h`:

- per type (per register for getreg/setreg) the native code as *template*
  bundles with every register field cleared, and the *fields* to fill in:
  which operand (argument i, the result), which bundle, which bit, how wide;
- registers the native code cannot use (``refuse``: e.g. set_rr0_to_rr4's
  scratch registers r2/r3), refused by the patcher as `native_bundles`
  refuses them;
- *variants*: where the code for one particular register differs in more than
  that register's field (get_psr_i picks its scratch register by the result
  register), an entry guarded by that operand's value comes first;
- the transfers of a retargeted site, with the displacement's bit runs as
  fields: for a C-convention site `br.call b0` when the implementation is
  within reach of the 21-bit displacement, else MLX `brl.call b0`; for a
  light site (docs/light.md) its transfer bundle `mov r2 = ip; br.cond`,
  which has no long form (`mov r2 = ip` needs the I slot MLX lacks).

Nothing here is written by hand: fields are found by flipping one bit of an
operand at a time and looking at which bits of the encoding change, and
`generate` proves the resulting model against the encoder for every type,
every operand and every register 0..127 before it returns.  `Table.native`
applies the model the way the C patcher does; tests compare it with
`native.native_bundles`.

    python -m pvcc.patch_table OUT.h
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field

from . import catalog, cli, ia64, native
from .atomicfile import write_atomic

NOP_BUNDLE = native.NOP_BUNDLE
RESULT = 8        # operand number of the result register (0..7 are the arguments)
DISP = 9          # operand number of a branch displacement (in bundles)
NO_GUARD = 0xFF
# The table key of a site carrying FLAG_SRLZ_D: its type with this bit, which no
# type id sets (types are 1..255, or a getreg/setreg base plus an _IA64_REG_*
# number below 0x10000): the entry is the type's code ending in `;; srlz.d`.
SRLZ_KEY = 0x08000000
_BASE_REG = 0b1010101  # r85: flipping any one bit gives a register every body accepts
_MLX_S = 0x05          # M L X ;
_MIB_S = 0x11          # M I B ;
NEAR_BITS = 21         # B3 imm21 (s:imm20b), in bundles
FAR_BITS = 60          # X4 imm60 (i:imm39:imm20b), in bundles


class TableError(Exception):
    """The encoder's output does not fit the template-and-fields model."""


@dataclass(frozen=True)
class Field:
    operand: int   # 0..7 argument, RESULT, DISP
    bundle: int    # bundle index within the entry's code
    bit: int       # lowest bit within the 128-bit bundle
    width: int
    shift: int     # lowest bit of the operand value that goes there


@dataclass
class Entry:
    type_id: int
    name: str
    nargs: int
    returns: bool
    bundles: list[bytes]
    fields: list[Field]
    guard: int = NO_GUARD          # operand whose value selects this variant
    guard_reg: int = 0
    refuse: frozenset[int] = frozenset()
    operands: tuple[int, ...] = ()  # operands the code uses


@dataclass
class Table:
    entries: list[Entry]
    near: Entry
    far: Entry
    light: Entry
    nop: bytes = NOP_BUNDLE
    stats: dict = field(default_factory=dict)

    def lookup(self, type_id: int, regs: dict[int, int]) -> Entry | None:
        for e in self.entries:
            if e.type_id == type_id and (e.guard == NO_GUARD or regs.get(e.guard) == e.guard_reg):
                return e
        return None

    def native(self, type_id: int, args: list[int], result: int, nbundles: int,
               srlz: bool = False) -> list[bytes]:
        """What the C patcher writes for this site; ValueError where it refuses."""
        regs = {i: a for i, a in enumerate(args)}
        regs[RESULT] = result
        e = self.lookup(type_id | (SRLZ_KEY if srlz else 0), regs)
        if e is None:
            raise ValueError(f"no native code for type {type_id:#x}")
        if len(args) < e.nargs:
            raise ValueError("too few arguments")
        for o in e.operands:
            lo = 1 if o == RESULT else 0
            if not lo <= regs[o] <= 127 or regs[o] in e.refuse:
                raise ValueError(f"operand {o} register {regs[o]} refused")
        if len(e.bundles) > nbundles:
            raise ValueError("region too small")
        return fill(e, regs) + [self.nop] * (nbundles - len(e.bundles))

    def retarget(self, site: int, impl: int, conv: int = catalog.CONV_C) -> bytes:
        """The transfer bundle a retargeted site gets at SITE (for a light site:
        the address of its last bundle); ValueError if IMPL is out of reach."""
        disp = (impl - site) >> 4
        near = -(1 << (NEAR_BITS - 1)) <= disp < 1 << (NEAR_BITS - 1)
        if conv == catalog.CONV_LIGHT:
            if not near:
                raise ValueError("a light transfer has no long form")
            return fill(self.light, {DISP: disp & ((1 << NEAR_BITS) - 1)})[0]
        e, bits = (self.near, NEAR_BITS) if near else (self.far, FAR_BITS)
        return fill(e, {DISP: disp & ((1 << bits) - 1)})[0]


def fill(e: Entry, regs: dict[int, int]) -> list[bytes]:
    vals = [int.from_bytes(b, "little") for b in e.bundles]
    for f in e.fields:
        v = (regs[f.operand] >> f.shift) & ((1 << f.width) - 1)
        vals[f.bundle] |= v << f.bit
    return [v.to_bytes(16, "little") for v in vals]


# ---------------------------------------------------------------------------
# Deriving the model from the encoder


def _as_int(code: list[bytes]) -> int:
    return int.from_bytes(b"".join(code), "little")


def _derive(encode, operands: dict[int, int], widths: dict[int, int]) -> tuple[int, list[Field]]:
    """Template (all fields cleared, as one integer over all bundles) and fields."""
    base = _as_int(encode(dict(operands)))
    owner: dict[int, tuple[int, int]] = {}   # global bit -> (operand, value bit)
    for o, v in operands.items():
        for j in range(widths[o]):
            probe = dict(operands)
            probe[o] = v ^ (1 << j)
            diff = base ^ _as_int(encode(probe))
            while diff:
                low = diff & -diff
                pos = low.bit_length() - 1
                if pos in owner:
                    raise TableError(f"bit {pos} follows two operand bits")
                owner[pos] = (o, j)
                if (base >> pos & 1) != (v >> j & 1):
                    raise TableError(f"bit {pos} is not operand {o} bit {j} itself")
                diff ^= low
    template = base
    for pos in owner:
        template &= ~(1 << pos)
    fields: list[Field] = []
    for pos in sorted(owner):
        o, j = owner[pos]
        last = fields[-1] if fields else None
        if (last and last.operand == o and last.bundle == pos // 128
                and last.bit + last.width == pos % 128 and last.shift + last.width == j):
            fields[-1] = Field(o, last.bundle, last.bit, last.width + 1, last.shift)
        else:
            fields.append(Field(o, pos // 128, pos % 128, 1, j))
    return template, fields


def _split(template: int, n: int) -> list[bytes]:
    return [((template >> (128 * i)) & ((1 << 128) - 1)).to_bytes(16, "little")
            for i in range(n)]


def _body_len(type_id: int, args: list[int], res: int, srlz: bool) -> int:
    for n in range(1, 9):
        try:
            native.native_bundles(type_id, args, res, n, srlz)
            return n
        except ValueError:
            continue
    raise TableError(f"{catalog.type_name(type_id)}: no native code in up to 8 bundles")


def _native_entry(key: int) -> list[Entry]:
    """The entries (variants first) of one table key (a type, with SRLZ_KEY for its
    serialized code), proven against native_bundles."""
    type_id, srlz = key & ~SRLZ_KEY, bool(key & SRLZ_KEY)
    intr, _reg = catalog.intrinsic_for(type_id)
    name = catalog.type_name(type_id) + (" ;; srlz.d" if srlz else "")
    nargs = intr.nargs
    base_args = [_BASE_REG] * nargs
    n = _body_len(type_id, base_args, _BASE_REG, srlz)

    def regs_of(ops: dict[int, int]) -> tuple[list[int], int]:
        args = list(base_args)
        for o, v in ops.items():
            if o != RESULT:
                args[o] = v
        return args, ops.get(RESULT, _BASE_REG if intr.returns else 0)

    def encode(ops: dict[int, int]) -> list[bytes]:
        args, res = regs_of(ops)
        return native.native_bundles(type_id, args, res, n, srlz)

    # Which operands does the code use?  Those whose value changes the encoding.
    candidates = list(range(nargs)) + ([RESULT] if intr.returns else [])
    start = {o: _BASE_REG for o in candidates}
    ref = encode(start)
    used = tuple(o for o in candidates if encode({**start, o: _BASE_REG ^ 1}) != ref)
    ops = {o: _BASE_REG for o in used}

    def model(guard_ops: dict[int, int]) -> Entry:
        free = {o: v for o, v in ops.items() if o not in guard_ops}
        fixed = dict(guard_ops)

        def enc(free_vals):
            return encode({**fixed, **free_vals})

        template, fields = _derive(enc, free, {o: 7 for o in free})
        return Entry(key, name, nargs, intr.returns, _split(template, n), fields,
                     operands=used)

    main = model({})
    variants: list[Entry] = []
    refuse: set[int] | None = None
    for o in used:
        bad = set()
        for v in range(128):
            try:
                want = encode({**ops, o: v})
            except ValueError:
                if not (o == RESULT and v == 0):
                    bad.add(v)
                continue
            if o == RESULT and v == 0:
                raise TableError(f"{name}: native code accepts r0 as its result")
            if fill(main, {**ops, o: v}) != want:
                var = model({o: v})
                var.guard, var.guard_reg = o, v
                if fill(var, {**ops, o: v}) != want:  # pragma: no cover - model is exact
                    raise TableError(f"{name}: variant for operand {o} = r{v} does not fit")
                variants.append(var)
        if refuse is None:
            refuse = bad
        elif bad != refuse:
            raise TableError(f"{name}: operands refuse different registers")
    for e in [*variants, main]:
        e.refuse = frozenset(refuse or ())
        e.operands = used
    return [*variants, main]


def _branch_entry(name: str, bits: int, encode) -> Entry:
    def enc(ops):
        return [encode(ops[DISP])]

    template, fields = _derive(enc, {DISP: 0}, {DISP: bits})
    return Entry(0, name, 0, False, _split(template, 1), fields, operands=(DISP,))


def _near(imm: int) -> bytes:
    disp = (imm - (1 << NEAR_BITS) if imm >> (NEAR_BITS - 1) else imm) * 16
    return ia64.encode_bundle(_MIB_S, (ia64.nop_m(), ia64.nop_i(), ia64.br_call(0, disp)))


def _light(imm: int) -> bytes:
    disp = (imm - (1 << NEAR_BITS) if imm >> (NEAR_BITS - 1) else imm) * 16
    return ia64.encode_bundle(_MIB_S, (ia64.nop_m(), ia64.mov_from_ip(catalog.LIGHT_LINK),
                                       ia64.br_cond(disp, p="many")))


def _far(imm: int) -> bytes:
    disp = (imm - (1 << FAR_BITS) if imm >> (FAR_BITS - 1) else imm) * 16
    slot_l, x = ia64.brl_call(0, disp)
    return ia64.encode_bundle(_MLX_S, (ia64.nop_m(), slot_l, x))


def native_types() -> list[int]:
    """Every type id with native code: the catalog's types, and getreg/setreg
    of every register `catalog.reg_problem` accepts and `native` can encode."""
    return sorted(intr.type_id + (reg or 0) for intr, reg in catalog.expanded())


def native_keys() -> list[int]:
    """The table's keys: every type of `native_types`, and with SRLZ_KEY every
    type whose code can end in `;; srlz.d` (`catalog.serializable`)."""
    return sorted([*native_types(),
                   *(intr.type_id + (reg or 0) | SRLZ_KEY for intr, reg in catalog.expanded()
                     if catalog.serializable(intr, reg))])


def generate(check_samples: int = 200) -> Table:
    """Build the table and prove it against the encoder (see the module doc)."""
    entries: list[Entry] = []
    for t in native_keys():
        try:
            entries.extend(_native_entry(t))
        except ValueError as e:  # the encoder has no native code for it (e.g. getreg(ip))
            raise TableError(f"{catalog.type_name(t & ~SRLZ_KEY)}: {e}") from None
    near = _branch_entry("br.call", NEAR_BITS, _near)
    far = _branch_entry("brl.call", FAR_BITS, _far)
    light = _branch_entry("mov r2=ip; br.cond", NEAR_BITS, _light)
    table = Table(entries, near, far, light)
    _prove(table, check_samples)
    return table


def _prove(table: Table, samples: int) -> None:
    rng = random.Random(13)
    for e in table.entries:
        if e.guard != NO_GUARD:
            continue
        n = len(e.bundles)
        type_id, srlz = e.type_id & ~SRLZ_KEY, bool(e.type_id & SRLZ_KEY)
        for _ in range(samples):
            args = [rng.randrange(128) for _ in range(e.nargs)]
            res = rng.randrange(1, 128) if e.returns else 0
            try:
                want = native.native_bundles(type_id, args, res, n + 1, srlz)
            except ValueError:
                want = None
            try:
                got = table.native(type_id, args, res, n + 1, srlz)
            except ValueError:
                got = None
            if got != want:
                raise TableError(f"{e.name}: table and encoder differ for args {args} r{res}")
    for disp in (0, 1, -1, 2**20 - 1, -2**20, 2**20, -2**20 - 1, 2**59 - 1, -2**59,
                 *(rng.randrange(-2**59, 2**59) for _ in range(samples))):
        near = -2**20 <= disp < 2**20
        want = _near(disp & (2**21 - 1)) if near else _far(disp & (2**60 - 1))
        if table.retarget(0, disp * 16) != want:
            raise TableError(f"retarget: table and encoder differ for displacement {disp}")
        if near and table.retarget(0, disp * 16, catalog.CONV_LIGHT) != _light(disp & (2**21 - 1)):
            raise TableError(f"light retarget: table and encoder differ for displacement {disp}")


# ---------------------------------------------------------------------------
# C output


def _c_bundle(b: bytes) -> str:
    v = int.from_bytes(b, "little")
    return f"{{ 0x{v & (2**64 - 1):016x}ULL, 0x{v >> 64:016x}ULL }}"


def _c_name(conv_name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in conv_name.upper())


def render_c(table: Table) -> str:
    bundles: list[str] = []
    fields: list[str] = []
    rows: list[str] = []

    def add(e: Entry, comment: str) -> str:
        first_b, first_f = len(bundles), len(fields)
        bundles.extend(f"\t{_c_bundle(b)},\t/* {comment} [{i}] */"
                       for i, b in enumerate(e.bundles))
        fields.extend(f"\t{{ {f.operand}, {f.bundle}, {f.bit}, {f.width}, {f.shift} }},"
                      for f in e.fields)
        refuse = sum(1 << r for r in e.refuse)
        ops = sum(1 << o for o in e.operands)
        return (f"{{ 0x{e.type_id:08x}, {e.nargs}, {int(e.returns)}, {len(e.bundles)}, "
                f"{e.guard}, {e.guard_reg}, {len(e.fields)}, 0x{ops:x}, {first_b}, {first_f}, "
                f"{{ 0x{refuse & (2**64 - 1):x}ULL, 0x{refuse >> 64:x}ULL }} }}")

    for e in table.entries:
        g = "" if e.guard == NO_GUARD else f" when operand {e.guard} is r{e.guard_reg}"
        rows.append(f"\t{add(e, e.name)},\t/* {e.name}{g} */")
    near = add(table.near, "br.call b0")
    far = add(table.far, "brl.call b0")
    light = add(table.light, "mov r2=ip; br.cond")
    types = sorted({e.type_id for e in table.entries})
    out = [
        "/* SPDX-License-Identifier: GPL-2.0 */",
        "/*",
        " * pvcc_patch_table.h - native code and transfers for the boot-time patcher",
        " * (pvcc_patch.c), generated by `python -m pvcc.patch_table` from pvcc's",
        " * own encoder, the one `pvcc-check --patch native` uses.  Do not edit.",
        " *",
        " * Each entry is template bundles (register fields zero) plus fields:",
        " * { operand (0-7 argument, 8 result, 9 displacement), bundle, bit, width,",
        " *   shift (lowest operand bit placed) }.  Entries are sorted by type; a",
        " * variant guarded by one operand's register comes before the general entry.",
        " */",
        f"#define PVCC_RECORD_VERSION {catalog.RECORD_VERSION}",
        *(f"#define PVCC_CONV_{_c_name(n)} {c}" for c, n in sorted(catalog.CONV_NAMES.items())),
        f"#define PVCC_KNOWN_CONVS 0x{sum(1 << c for c in catalog.CONV_NAMES):x}ULL",
        f"#define PVCC_LIGHT_LINK {catalog.LIGHT_LINK}",
        f"#define PVCC_GETREG_BASE 0x{catalog.GETREG_BASE:08x}",
        f"#define PVCC_SETREG_BASE 0x{catalog.SETREG_BASE:08x}",
        "/* A record flag and the table key of its code: the type | PVCC_SRLZ_KEY. */",
        f"#define PVCC_FLAG_SRLZ_D 0x{catalog.FLAG_SRLZ_D:x}",
        f"#define PVCC_SRLZ_KEY 0x{SRLZ_KEY:08x}",
        f"#define PVCC_TABLE_TYPES {len(types)}",
        f"#define PVCC_TABLE_ENTRIES {len(table.entries)}",
        f"#define PVCC_TABLE_MAX_BUNDLES {max(len(e.bundles) for e in table.entries)}",
        f"#define PVCC_RESULT_OPERAND {RESULT}",
        f"#define PVCC_DISP_OPERAND {DISP}",
        f"#define PVCC_NO_GUARD {NO_GUARD}",
        f"#define PVCC_NEAR_BITS {NEAR_BITS}",
        f"#define PVCC_FAR_BITS {FAR_BITS}",
        "",
        "static const struct pvcc_bundle pvcc_table_bundles[] = {",
        *bundles,
        "};",
        "",
        "static const struct pvcc_field pvcc_table_fields[] = {",
        *fields,
        "};",
        "",
        "static const struct pvcc_code pvcc_table_native[PVCC_TABLE_ENTRIES] = {",
        *rows,
        "};",
        "",
        f"static const struct pvcc_code pvcc_table_near = {near};",
        f"static const struct pvcc_code pvcc_table_far = {far};",
        f"static const struct pvcc_code pvcc_table_light = {light};",
        f"static const struct pvcc_bundle pvcc_table_nop = {_c_bundle(table.nop)};",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pvcc.patch_table", description=__doc__.split(
        "\n\n")[0])
    p.add_argument("output", help="the C header to write (pvcc_patch_table.h)")
    a = p.parse_args(argv)

    def body() -> int:
        write_atomic(a.output, render_c(generate()))
        return 0

    return cli.run("pvcc.patch_table", body, errors=((TableError, 1), (OSError, 1)))


if __name__ == "__main__":
    sys.exit(main())
