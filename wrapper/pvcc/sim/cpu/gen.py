"""Shared vocabulary of the code generators (sem_*.py) and the executor.

A semantic handler takes a decoded ``Insn`` and a ``Ctx`` and returns Python
source lines (a list of str) that perform the instruction on the names the
executor binds in every compiled bundle:

  g pr br ar fs fe   registers (state.py), indexed by register number
  L1 L2 L4 L8        aligned loads  (address) -> value
  S1 S2 S4 S8        aligned stores (address, value)
  st                 the State; X the Executor (calls, returns, faults, logs)
  NaT NAT0 M         nat.NaT, a NaT with value 0, 2**64-1

A taken branch is ``return <target>``; falling through needs no code.  The
qualifying predicate is applied by the executor (``if pr[qp]:``) except for
the forms ``sem_int.owns_predicate`` names (they act when it is false too).

A handler owns its instruction's NaT behaviour too: ``on_nat(policy)`` marks
it with what the architecture does when a source register is NaT (the
executor's slow path calls ``policy(ins, state, nat_regs)``, which performs
it and returns True, or returns False: the instruction consumes the NaT); an
unmarked handler's instruction consumes the NaT (NaT Consumption).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .nat import NAT0

M64 = (1 << 64) - 1


class Unimplemented(Exception):
    """The executor has no semantics for this instruction form."""


@dataclass
class Ctx:
    addr: int  # bundle address
    slot: int
    spec: str  # "succeed" or "fail"
    consts: dict = field(default_factory=dict)
    system: bool = False  # system mode: privilege, FP-disable and fault checks compiled in

    @property
    def nxt(self) -> int:
        return self.addr + 16

    def const(self, value) -> str:
        """A name bound to ``value`` in the compiled bundle."""
        for k, v in self.consts.items():
            if v is value:
                return k
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name


def gd(r: int) -> str:
    """Destination general register (writes to r0 go to the sink)."""
    return f"g[{r if r else 128}]"


def pd(p: int) -> str:
    return f"pr[{p if p else 64}]"


def fd(f: int) -> int:
    """Destination FR index (f0 and f1 are read-only: sink)."""
    return f if f > 1 else 128


def sext(expr: str, bits: int) -> str:
    """Python expression: the low ``bits`` of ``expr`` sign-extended, as a 64-bit value."""
    sign = 1 << (bits - 1)
    low = (1 << bits) - 1
    return f"((((({expr}) & {low:#x}) ^ {sign:#x}) - {sign:#x}) & M)"


def signed(expr: str) -> str:
    """Python expression: the 64-bit value ``expr`` as a signed integer."""
    return f"((({expr}) ^ 0x8000000000000000) - 0x8000000000000000)"


def f(i, name: str, default=None):
    return i.fields.get(name, default)


def on_nat(policy: Callable):
    """Decorator: the handler's instructions answer a NaT source with ``policy``."""
    def mark(handler):
        handler.on_nat = policy
        return handler
    return mark


def propagate_nat(ins, st, nat_regs) -> bool:
    """The NaT propagates: the target general register becomes NaT, the target
    floating-point register NaTVal."""
    fl = ins.fields
    if "r1" in fl:
        st.g[fl["r1"] or 128] = NAT0
    if "f1" in fl and fl["f1"] > 1:
        st.fs[fl["f1"]] = NAT0
        st.fe[fl["f1"]] = 0x1FFFE
    return True


@dataclass(eq=False)
class SlotRecord:
    """One instruction of a compiled bundle.

    ``lines``: its semantics (Python source); ``handler``: the semantics handler
    (None: unimplemented); ``name``: the handler's name ("nop" for nop/hint,
    "unimpl" without a handler); ``reads``/``writes``/``parallel``: its group
    masks (deps.py); ``stop``: a stop follows it; ``skipped``: instructions,
    nops and stops a taken branch here skips; ``fn``: the function running it
    alone (made on first use by the slow path and --trace).
    """

    slot: int
    ins: Any
    lines: list
    handler: Any
    name: str
    reads: int
    writes: int
    parallel: bool
    index: int = 0
    stop: bool = False
    skipped: tuple = (0, 0, 0)
    fn: Any = None
