"""pvcc-sim: an execution model of the IA-64 architecture.

Rooms: ``cpu`` (state, NaT, RSE, memory, bundle compiler, executor, per-form
semantics), ``system`` (interruptions, translation, interrupt controller and
timer), ``platform`` (the user-mode Linux harness, calls from Python, the
machine Linux boots on), ``lab`` (build, prove, csmith, weave, drivers,
hostile returns).  ``errors`` and ``cli`` (``pvcc-sim``) serve them all.
"""

from .platform.userland.program import Run, run_program

__all__ = ["Run", "run_program"]
