"""What a firmware call is, independently of the CPU that makes it.

A call is a Python function ``f(args, ctx) -> CallResult``: ``args`` are the
integer argument registers in the order its ``Convention`` names them,
``ctx`` gives the memory the caller's pointers refer to and the timer state,
and the result holds r8-r11 and, for a call that ends the run (PAL_HALT,
EFI ResetSystem), a ``MachineStop``.

The CPU side reads the registers a convention names, calls the function,
writes r8-r11 and returns the way the convention says:

- ``static`` (PAL procedures 0-255, entered with ``br.cond`` and the
  return address in b0; arch/ia64/kernel/pal.S ``ia64_pal_call_static`` and
  ``ia64_pal_call_phys_static``): index in r28, arguments r29-r31; return
  with ip = b0, no frame change, the caller's stacked registers untouched.
- ``stacked`` (PAL procedures 256-511, SAL, EFI: an ordinary ``br.call``;
  pal.S ``ia64_pal_call_stacked``, include/asm/sal.h ``SAL_CALL``,
  efi_stub.S ``efi_call_phys``): arguments in0-in3 (PAL), in0-in7 (SAL),
  in0-in4 (EFI), i.e. r32 up of the frame the call created, which always
  holds them (the callers allocate 4, 8 and 7 outputs); return as ``br.ret``
  does: ip = b0, CFM from ar.pfs.pfm, ar.ec from ar.pfs.pec.

Both return r8-r11 (r8 the status).  Nothing else is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .physmem import PhysicalMemory

MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Convention:
    name: str
    args: tuple[str, ...]            # the registers to read, in order
    results: tuple[str, ...] = ("r8", "r9", "r10", "r11")
    frame: str = "keep"              # "keep": ip = b0; "br.ret": CFM from ar.pfs, ip = b0

    @property
    def static(self) -> bool:
        return self.frame == "keep"


PAL_STATIC = Convention("PAL static", ("r28", "r29", "r30", "r31"), frame="keep")
PAL_STACKED = Convention("PAL stacked", ("in0", "in1", "in2", "in3"), frame="br.ret")
SAL_CALL = Convention("SAL", tuple(f"in{k}" for k in range(8)), frame="br.ret")
# efi_call_phys makes a 7-output frame; no runtime service takes more than 5.
EFI_CALL = Convention("EFI", tuple(f"in{k}" for k in range(5)), frame="br.ret")


class TimerState(Protocol):
    """The CPU's interval timer as PAL_HALT_LIGHT sees it (values, 64-bit)."""
    itc: int   # ar.itc: read and written
    itm: int   # cr.itm
    itv: int   # cr.itv (bit 16: masked)


@dataclass
class Timer:
    """A TimerState of its own (the machine's tests; a CPU may pass itself)."""
    itc: int = 0
    itm: int = 0
    itv: int = 1 << 16


@dataclass
class CallContext:
    """``mem`` reads and writes the caller's data addresses (the CPU side
    translates virtual ones: PAL stacked and SAL calls run in virtual mode);
    ``timer`` is the CPU's ITC/ITM/ITV."""
    mem: PhysicalMemory
    timer: TimerState


@dataclass(frozen=True)
class MachineStop:
    """The firmware ended the run: ``kind`` "halt" (PAL_HALT: the kernel's
    power-off and halt) or "reset" (EFI ResetSystem with ``reset_type``)."""
    kind: str
    status: int = 0                  # the EFI status given to ResetSystem
    reset_type: int | None = None

    @property
    def exit_status(self) -> int:
        """0 for a halt or a reset with EFI_SUCCESS, else 1."""
        return 0 if self.status == 0 else 1

    def describe(self) -> str:
        if self.kind == "halt":
            return "PAL_HALT: the machine halted"
        names = {0: "cold", 1: "warm", 2: "shutdown", 3: "platform specific"}
        return (f"EFI ResetSystem ({names.get(self.reset_type, self.reset_type)}, "
                f"status {self.status:#x})")


@dataclass
class CallResult:
    r8: int = 0
    r9: int = 0
    r10: int = 0
    r11: int = 0
    stop: MachineStop | None = None
    implemented: bool = True

    @property
    def regs(self) -> tuple[int, int, int, int]:
        return (self.r8 & MASK64, self.r9 & MASK64, self.r10 & MASK64, self.r11 & MASK64)


CallFn = Callable[[tuple[int, ...], CallContext], CallResult]
