"""Errors of the machine: one line each, never a traceback."""

from __future__ import annotations

# The status `pvcc-sim` gives a bad command line or an input file the
# machine cannot boot (the same number docs/sim.md gives a bad program).
EXIT_BAD_INPUT = 2


class MachineError(Exception):
    """A user error (bad vmlinux, initrd that does not fit, bad --mem): one line."""

    status = EXIT_BAD_INPUT

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


class DeviceError(Exception):
    """The kernel used a device or firmware area in a way the machine does not
    model (a wide access to a byte register, an access outside every device).
    The CPU side reports it as a model error at the instruction that made it."""

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg
