"""pvcc-sim: an execution model of the IA-64 architecture for what the cross GCC compiles.

Modules: ``state`` (registers), ``rse`` (register stack engine), ``memory``,
``machine`` (privileged state, CPUID, ITC, VHPT hash, effect log), ``nat``
(NaT values), ``sem_*`` (instruction semantics, one handler per form),
``deps`` (group dependency masks), ``compiler`` (bundles into Python
functions), ``executor`` (runs them; NaT slow path; services), ``sem_mm``
(multimedia), ``machine_api`` (a machine to drive from Python),
``syscalls`` (system calls and hypercalls), ``loader`` (ELF and user ABI),
``program`` (load + run in one call), ``cli`` (``pvcc-sim``).
"""

from .program import Run, run_program

__all__ = ["Run", "run_program"]
