"""The IA-64 CPU: architectural state, NaT values, the register stack engine,
memory, the decode-to-Python bundle compiler, the executor and the per-form
semantics.

Modules: ``state`` (registers), ``nat`` (NaT values), ``rse`` (register stack
engine), ``memory`` (sparse physical memory), ``privileged`` (PSR, control and
region registers, CPUID, ITC), ``gen`` (code generation helpers), ``deps``
(instruction-group dependency masks), ``compiler`` (bundles into Python
functions), ``executor`` (runs them; the NaT slow path; the services compiled
code calls), ``sem_*`` (one handler per instruction form), ``fparith``.

The CPU never imports a platform or the lab: a platform plugs into the
executor (``Executor.platform``), never the reverse.
"""
