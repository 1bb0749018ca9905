"""Errors of the execution model and the exit statuses of ``pvcc-sim run``."""

from __future__ import annotations

# ``pvcc-sim run`` exits with the program's own status (0-255) when the program
# exits through a system call.  The model's own failures use statuses a
# program run by a shell would normally not produce for itself.
EXIT_MODEL_ERROR = 125  # the model stopped: bad instruction group, fault, unimplemented form
EXIT_USAGE = 2  # bad command line or a file that is not a loadable IA-64 program
EXIT_LIMIT = 124  # --max-insns exceeded (the same status timeout(1) uses)


class SimError(Exception):
    """The model cannot go on.  ``addr`` is the instruction's address, if any.

    ``str()`` is the message without location; ``cli`` adds FUNC+0xOFF (ADDR).
    """

    status = EXIT_MODEL_ERROR

    def __init__(self, msg: str, addr: int | None = None):
        super().__init__(msg)
        self.msg = msg
        self.addr = addr


class LoadError(SimError):
    """The file is not a static IA-64 executable the model can load."""

    status = EXIT_USAGE


class LimitError(SimError):
    """``max_insns`` instructions ran without the program exiting."""

    status = EXIT_LIMIT


class ProgramExit(Exception):
    """The program exited through a system call with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class ReturnToHost(Exception):
    """A function called by ``Machine.call`` returned ``value`` (its r8)."""

    def __init__(self, value: int):
        super().__init__(value)
        self.value = value
