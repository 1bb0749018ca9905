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
"""

from __future__ import annotations

from dataclasses import dataclass, field

M64 = (1 << 64) - 1


class Unimplemented(Exception):
    """The executor has no semantics for this instruction form."""


@dataclass
class Ctx:
    addr: int  # bundle address
    slot: int
    spec: str  # "succeed" or "fail"
    consts: dict = field(default_factory=dict)

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
