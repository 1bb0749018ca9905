"""Interruption vectors and the exception that carries an interruption.

The vectors and their offsets from cr.iva are those of the Interruption Vector
Table (SDM volume 2, section 5.7, "IVA-based Interruption Vectors").  A fault,
trap or interrupt raised anywhere in the model (translation, the executor, a
semantics handler) is an ``Interruption``; the system architecture delivers it
(``system.interruptions``), the user-mode harness reports it as a model error.
"""

from __future__ import annotations

from ..errors import SimError

# name -> offset from cr.iva (SDM vol. 2, 5.7)
VECTORS = {
    "VHPT Translation": 0x0000,
    "Instruction TLB": 0x0400,
    "Data TLB": 0x0800,
    "Alternate Instruction TLB": 0x0C00,
    "Alternate Data TLB": 0x1000,
    "Data Nested TLB": 0x1400,
    "Instruction Key Miss": 0x1800,
    "Data Key Miss": 0x1C00,
    "Dirty-Bit": 0x2000,
    "Instruction Access-Bit": 0x2400,
    "Data Access-Bit": 0x2800,
    "Break Instruction": 0x2C00,
    "External Interrupt": 0x3000,
    "Page Not Present": 0x5000,
    "Key Permission": 0x5100,
    "Instruction Access Rights": 0x5200,
    "Data Access Rights": 0x5300,
    "General Exception": 0x5400,
    "Disabled FP-Register": 0x5500,
    "NaT Consumption": 0x5600,
    "Speculation": 0x5700,
    "Debug": 0x5900,
    "Unaligned Reference": 0x5A00,
    "Unsupported Data Reference": 0x5B00,
    "Floating-point Fault": 0x5C00,
    "Floating-point Trap": 0x5D00,
    "Lower-Privilege Transfer Trap": 0x5E00,
    "Taken Branch Trap": 0x5F00,
    "Single Step Trap": 0x6000,
}

# ISR fields (SDM vol. 2, 3.3.5.3, "Interruption Status Register")
ISR_CODE_MASK = 0xFFFF
ISR_VECTOR_SHIFT = 16
ISR_X, ISR_W, ISR_R, ISR_NA, ISR_SP, ISR_RS, ISR_IR, ISR_NI, ISR_SO = (
    1 << 32, 1 << 33, 1 << 34, 1 << 35, 1 << 36, 1 << 37, 1 << 38, 1 << 39, 1 << 40)
ISR_EI_SHIFT = 41  # 2 bits: the slot of the interrupted instruction
ISR_ED = 1 << 43

# General Exception codes (ISR.code bits 7:4; SDM vol. 2, 5.8 "General Exception")
GE_ILLEGAL_OPERATION = 0x00
GE_ILLEGAL_DEPENDENCY = 0x80
GE_PRIVILEGED_OPERATION = 0x10
GE_DISABLED_INSTRUCTION_SET = 0x40
GE_PRIVILEGED_REGISTER = 0x20
GE_RESERVED_REGISTER_FIELD = 0x30


class Interruption(SimError):
    """An interruption raised at ``addr`` (bundle address | slot).

    ``vector`` names an entry of VECTORS.  The interruption registers the SDM
    makes the vector write are given here (None: not written by this vector):
    ``isr`` (without ei, which delivery fills in from the slot), ``ifa``,
    ``itir``, ``iha``, ``iim``.  ``trap`` is True for traps (iip is the next
    instruction), False for faults (iip is the faulting one).
    """

    def __init__(self, vector: str, msg: str = "", addr: int | None = None, *,
                 isr: int = 0, ifa: int | None = None, itir: int | None = None,
                 iha: int | None = None, iim: int | None = None, trap: bool = False):
        if vector not in VECTORS:
            raise ValueError(f"unknown interruption vector {vector!r}")
        super().__init__(f"{vector} interruption" + (f": {msg}" if msg else ""), addr)
        self.vector = vector
        self.isr = isr
        self.ifa = ifa
        self.itir = itir
        self.iha = iha
        self.iim = iim
        self.trap = trap

    @property
    def offset(self) -> int:
        return VECTORS[self.vector]
