"""A backtrace through a light site, in pvcc-sim's user mode (docs/light.md, "Unwind
information").

A program built with ``pvcc-sim cc`` (GCC 12 with the plugin) calls a light site
whose implementation is a C function behind a pvcc-thunks thunk; the C function
calls a probe.  When the model reaches the probe, the test walks the stack the way
an IA-64 unwinder does -- the caller's IP is the value of the return pointer, the
caller's frame marker the saved ar.pfs, the backing store pointer moves back by
that marker's ``sol``, and each procedure's saves are where its unwind
descriptors (read by ``pvcc.unwind``) put them -- reading the registers of the
running model.  The walk must pass from the C function through the thunk into the
site's caller and on to ``main``; without the thunk's unwind information it
cannot leave the thunk.
"""

from __future__ import annotations

import io

import pytest

from asmtools import needs_binutils
from pvcc import thunks, unwind
from pvcc.objects import open_object

pytestmark = needs_binutils

PROG = """\
#include <stdio.h>
#include <pvcc/paravirt.h>

extern unsigned long my_probe(int index)
	__attribute__((paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_CPUID, PVCC_CONV_LIGHT)));

__attribute__((noinline)) unsigned long site_caller(int x)
{
	unsigned long r = my_probe(x);
	printf("site_caller: %lu\\n", r);
	return r + 1;
}

int main(void)
{
	printf("main: %lu\\n", site_caller(20));
	return 0;
}
"""

IMPL = """\
void unwind_probe_point(void);

unsigned long my_probe(int index)
{
	unwind_probe_point();
	return 2UL * index;
}
"""

PROBE = """\
	.text
	.global unwind_probe_point#
	.type unwind_probe_point#, @function
	.proc unwind_probe_point#
unwind_probe_point:
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0
	;;
	.endp unwind_probe_point#
"""

AR_PFS = 64


class _Probe(io.StringIO):
    """The trace stream: walks the stack when the model is at the probe."""

    def __init__(self, obj, probe: int):
        super().__init__()
        self.obj, self.probe, self.ex = obj, probe, None
        self.walks: list[list[tuple[str, str]]] = []

    def write(self, text: str) -> int:
        # one line per instruction, before it runs: "FUNC+0xOFF text"
        if self.ex is not None and text.startswith("unwind_probe_point") and not self.walks:
            self.walks.append(walk(self.obj, self.ex.st, self.probe))
        return len(text)


def _stacked(st, bsp: int, n: int) -> int:
    """Stacked register rN of the frame whose r32 is at backing-store address bsp."""
    from pvcc.sim.cpu.nat import plain
    from pvcc.sim.cpu.rse import OUTSIDE, reg_addr, reg_index

    idx = reg_index(bsp) + n - 32
    rse = st.rse
    if rse.bof <= idx < rse.bof + rse.sof:          # the current frame
        return plain(st.g[32 + idx - rse.bof])
    i = idx - rse.off
    if 0 <= i < len(rse.stk) and rse.stk[i] is not OUTSIDE:
        return plain(rse.stk[i])
    return int.from_bytes(st.mem.read_bytes(reg_addr(idx), 8), "little")


def _skip(bsp: int, n: int) -> int:
    from pvcc.sim.cpu.rse import reg_addr, reg_index
    return reg_addr(reg_index(bsp) + n)


def _saved(st, bsp: int, where: str) -> int | None:
    """The value saved at ``where`` (pvcc.unwind.location) in the frame at bsp; None
    when it is still in its own register, which this walk cannot recover."""
    if where.startswith("r") and int(where[1:]) >= 32:
        return _stacked(st, bsp, int(where[1:]))
    if where == "r0":
        return 0
    return None


def walk(obj, st, ip: int) -> list[tuple[str, str]]:
    """(function, how the step left it) per frame, from the probe at ip outwards."""
    from pvcc.sim.cpu.nat import plain

    bsp = st.rse.bsp
    rp, pfs = plain(st.br[0]), plain(st.ar[AR_PFS])     # the probe: a leaf, no saves
    frames = []
    for _ in range(8):
        f = obj.function_at(ip)
        frames.append((f.name if f else hex(ip), ""))
        # step to the caller
        ip, cfm = rp, pfs & ((1 << 38) - 1)
        bsp = _skip(bsp, -((cfm >> 7) & 0x7F))
        entry = next((e for e in obj.unwind_entries() if e[0] <= ip < e[1]), None)
        if entry is None:
            frames[-1] = (frames[-1][0], "caller has no unwind entry")
            f = obj.function_at(ip)
            frames.append((f.name if f else hex(ip), "end"))
            return frames
        start, _end, info = entry
        words = int.from_bytes(obj.unwind_info(info, 8), "little") & 0xFFFFFFFF
        regions = unwind.decode(obj.unwind_info(info, 8 + 8 * words))
        slot = 3 * ((ip & ~0xF) - start) // 16 + (ip & 0xF)

        rp, pfs = (_saved(st, bsp, unwind.location(regions, reg, slot))
                   for reg in (unwind.RP, unwind.PFS))
        if rp is None or pfs is None:
            f = obj.function_at(ip)
            frames.append((f.name if f else hex(ip), "end: rp or ar.pfs not saved"))
            return frames
    return frames


def _build(cc, tmp_path, thunk_text: str):
    (tmp_path / "prog.c").write_text(PROG)
    (tmp_path / "impl.c").write_text(IMPL)
    (tmp_path / "probe.s").write_text(PROBE)
    (tmp_path / "thunk.s").write_text(thunk_text)
    exe = tmp_path / "prog"
    cc("-O2", "-mfixed-range=f32-f127", "-fplugin-arg-pvcc-conv=light",
       str(tmp_path / "prog.c"), str(tmp_path / "impl.c"), str(tmp_path / "probe.s"),
       str(tmp_path / "thunk.s"), "-o", str(exe))
    return exe


def _run(exe):
    from pvcc.sim.board import Board
    from pvcc.sim.platform.userland import syscalls
    from pvcc.sim.platform.userland.loader import load, read_program

    obj = open_object(str(exe))
    probe = next(f.addr for f in obj.functions if f.name == "unwind_probe_point")
    trace = _Probe(obj, probe)
    out = io.BytesIO()
    board = Board(trace=trace, sites={}, out=out, err=io.BytesIO())
    board.images.append(load(board.state, str(exe), [str(exe)], read_program(str(exe))))
    board.plug(syscalls.Syscalls(board.ex))
    trace.ex = board.ex
    status, error = board.run(board.state.ip, 2_000_000)
    assert (status, error) == (0, None)
    assert out.getvalue() == b"site_caller: 40\nmain: 41\n"
    assert trace.walks, "the probe was never reached"
    return trace.walks[0]


@pytest.fixture
def cc(gcc, monkeypatch):
    from pvcc.sim.lab.build import build

    monkeypatch.setenv("PVCC_GCC", gcc)

    def run(*args: str) -> None:
        assert build(list(args)) == 0

    return run


def test_backtrace_passes_through_the_thunk(cc, tmp_path):
    exe = _build(cc, tmp_path, thunks.source([("my_probe", None)]))
    names = [name for name, _how in _run(exe)]
    assert names[:5] == ["unwind_probe_point", "my_probe", "__pvcc_light_my_probe",
                         "site_caller", "main"], names


def test_backtrace_stops_in_a_thunk_without_unwind_information(cc, tmp_path):
    text = "".join(ln for ln in thunks.source([("my_probe", None)]).splitlines(True)
                   if not ln.lstrip().startswith((".prologue", ".save", ".altrp", ".body",
                                                  ".spillreg", ".fframe", ".restore")))
    exe = _build(cc, tmp_path, text)
    frames = _run(exe)
    assert [n for n, _h in frames][:3] == ["unwind_probe_point", "my_probe",
                                           "__pvcc_light_my_probe"], frames
    assert "site_caller" not in [n for n, _h in frames]
