"""The system-mode API a platform uses (pvcc.sim.system.core): firmware entry
points served in Python (System.trap), the timer as attributes
(System.timer_state, Timer.fast_forward), device interrupts (Intc.post), and
the Board wiring."""

from __future__ import annotations

from asmtools import needs_binutils
from pvcc.sim.platform.bare import load_bare
from systemasm import program

pytestmark = needs_binutils


def test_trap_serves_a_call_in_python(tmp_path):
    """A br.call to a trapped address runs the handler, which returns as br.ret."""
    prog = program(tmp_path, """
	movl r2 = firmware
	;;
	mov b6 = r2
	mov r8 = 1
	;;
	br.call.sptk b0 = b6
	;;
	adds r8 = 1, r8
	;;
""", extra="""
	.align 16
firmware:
	break 0x1
	;;
""")
    board = load_bare(str(prog))
    system = board.system
    calls = []

    def handler(s):
        calls.append(s.state.g[8])
        s.state.g[8] = 41
        return s.ex.ret(s.state.br[0])

    system.trap(board.images[0].symbols["firmware"], handler)
    status, error = board.run(board.state.ip)
    assert error is None and status == 42 and calls == [1]


def test_timer_state_and_fast_forward(tmp_path):
    prog = program(tmp_path, "\tmov r8 = 0\n\t;;")
    board = load_bare(str(prog))
    t = board.system.timer_state()
    t.itc = 100
    t.itv = 0xEF
    t.itm = 5000
    assert board.system.timer.fast_forward()
    assert t.itc == 5000 and t.itm == 5000 and t.itv == 0xEF
    board.state.priv.cr[66] = 0  # tpr: unmask (reset masks every vector)
    board.system.intc.post(0x40)
    assert board.system.intc.read_ivr() == 0x40
