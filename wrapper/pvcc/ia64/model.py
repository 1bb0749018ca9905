"""The instruction model: templates, register names, ``Insn``, ``Bundle``, ``DecodeError``."""

from __future__ import annotations

from dataclasses import dataclass, field

from .regnames import AR_NAMES, CR_NAMES, ar_name, cr_name  # noqa: F401 (re-exported)

# template -> (units, slots followed by a stop; 2 = the end of the bundle).
TEMPLATES: dict[int, tuple[str, tuple[int, ...]]] = {
    0x00: ("MII", ()), 0x01: ("MII", (2,)), 0x02: ("MII", (1,)), 0x03: ("MII", (1, 2)),
    0x04: ("MLX", ()), 0x05: ("MLX", (2,)),
    0x08: ("MMI", ()), 0x09: ("MMI", (2,)), 0x0A: ("MMI", (0,)), 0x0B: ("MMI", (0, 2)),
    0x0C: ("MFI", ()), 0x0D: ("MFI", (2,)),
    0x0E: ("MMF", ()), 0x0F: ("MMF", (2,)),
    0x10: ("MIB", ()), 0x11: ("MIB", (2,)),
    0x12: ("MBB", ()), 0x13: ("MBB", (2,)),
    0x16: ("BBB", ()), 0x17: ("BBB", (2,)),
    0x18: ("MMB", ()), 0x19: ("MMB", (2,)),
    0x1C: ("MFB", ()), 0x1D: ("MFB", (2,)),
}

def ar_units(ar: int) -> str:
    """Units that may execute a move to/from application register ``ar``.

    SDM vol. 1 table 3-3: ar0-47 are M-unit only (M29/M31), ar64-111 I-unit
    only (I26/I28), ar48-63 and ar112-127 may use either ("M" is preferred,
    as gas does).
    """
    if not isinstance(ar, int) or isinstance(ar, bool) or not 0 <= ar <= 127:
        raise ValueError(f"application register number {ar!r} is out of range 0..127")
    if ar < 48:
        return "M"
    if 64 <= ar < 112:
        return "I"
    return "MI"


class DecodeError(ValueError):
    """Bytes that are not a decodable bundle (wrong length, reserved template)."""


@dataclass(frozen=True)
class Insn:
    unit: str  # 'M', 'I', 'F', 'B', 'L' (MLX long pair) or '?' (reserved template)
    slot: int
    raw: int  # 41-bit slot; for 'L' the X slot (slot 2)
    qp: int
    op: str
    fields: dict = field(default_factory=dict, hash=False)
    raw_l: int | None = None  # the L slot (slot 1) of an MLX long instruction
    form: str = ""  # op + operand shape, e.g. "ld8 r=[r],imm" (see the package docstring)

    def text(self) -> str:
        """objdump-like text (predicate written "(p6)", branch targets as 0x...)."""
        from .text import insn_text

        return insn_text(self)


@dataclass(frozen=True)
class Bundle:
    addr: int
    template: int
    units: str | None  # e.g. "MII"; None for a reserved template
    stops: tuple[int, ...]  # slots followed by a stop (2 = end of bundle)
    insns: tuple[Insn, ...]  # 3 insns, or 2 for MLX (M, L)

    @property
    def ends_group(self) -> bool:
        """True if a stop follows slot 2 (the next bundle starts a new group)."""
        return 2 in self.stops

    @property
    def slots(self) -> tuple[int, int, int]:
        """The three raw 41-bit slots (for MLX: M, L, X)."""
        ins = self.insns
        if len(ins) == 2:
            return (ins[0].raw, ins[1].raw_l, ins[1].raw)
        return (ins[0].raw, ins[1].raw, ins[2].raw)

    def insn_at(self, slot: int) -> Insn:
        """The instruction occupying ``slot`` (slots 1 and 2 of MLX both give L)."""
        if len(self.insns) == 2 and slot == 2:
            return self.insns[1]
        return self.insns[slot]

    def text(self) -> str:
        """One line per instruction, ``;;`` where stops are, like objdump."""
        lines = []
        for ins in self.insns:
            last = 2 if ins.unit == "L" else ins.slot
            lines.append(ins.text() + (";;" if last in self.stops else ""))
        return "\n".join(lines)
