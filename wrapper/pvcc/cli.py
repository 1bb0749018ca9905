"""The one entry shape of pvcc's programs (pvcc, pvcc-check, pvcc-toolchain, pvcc.pluginbuild).

``run(PROG, body, errors=...)`` calls ``body()`` and turns what escapes it into
an exit status, the same way for every program:

* an exception of a type listed in ``errors`` (pairs of type and exit status,
  first match wins) is the user's problem: ``PROG: error: MESSAGE`` on stderr,
  MESSAGE being ``str(e)`` (an OSError's strerror and file name);
* KeyboardInterrupt exits 130, SIGTERM (when ``on_sigterm`` asks for it) 143,
  each optionally announced as ``PROG: interrupted`` / ``PROG: terminated``;
* a closed stdout (``pvcc-check --json x.o | head -1``) exits 1 without the
  interpreter's "Exception ignored" noise;
* anything else is a bug in pvcc and keeps its traceback, unless the program
  ``contains_bugs`` (the CC wrapper must never drop a traceback into a kernel
  build log): then it is ``PROG: error: internal error: TYPE: MESSAGE``, with
  the traceback only when ``traceback`` is true.

Only ``os`` and ``sys`` are imported: the CC wrapper goes through here on every
compile.
"""

import os
import sys

EXIT_INTERRUPTED = 130      # 128 + SIGINT
EXIT_TERMINATED = 143       # 128 + SIGTERM
EXIT_BROKEN_PIPE = 1


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM once ``run(..., on_sigterm=True)`` set it up."""


def error(prog: str, message: str) -> int:
    """Print ``PROG: error: MESSAGE`` on stderr; returns 1 (the usual status)."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.stderr.flush()
    return 1


def message_of(e: BaseException) -> str:
    """The user-facing text of an exception (an OSError as strerror and file name)."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror + (f": {e.filename}" if e.filename else "")
    return str(e)


def _on_sigterm(signum, frame):
    raise Terminated()


def _silence_stdout() -> None:
    """After EPIPE: point fd 1 at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def run(prog: str, body, *, errors: tuple = (), say_interrupted: bool = False,
        on_sigterm: bool = False, contains_bugs: bool = False, traceback: bool = False) -> int:
    """Run ``body()`` (which returns the exit status) as the program PROG."""
    if on_sigterm:
        import signal

        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return body()
    except Terminated:
        if say_interrupted:
            sys.stderr.write(f"{prog}: terminated\n")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        if say_interrupted:
            sys.stderr.write(f"{prog}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as e:  # sorted below: user errors, then bugs
        for kind, status in errors:
            if isinstance(e, kind):
                error(prog, message_of(e))
                return status
        if not contains_bugs:
            raise
        if traceback:
            import traceback as tb

            tb.print_exc()
        return error(prog, f"internal error: {type(e).__name__}: {e}")
