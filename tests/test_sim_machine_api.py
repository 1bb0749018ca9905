"""pvcc.sim.platform.hostcall: calling functions of a loaded image from Python."""

from __future__ import annotations

import pytest

from asmtools import assemble, link, needs_binutils
from pvcc.sim.errors import SimError
from pvcc.sim.platform.hostcall import Machine

pytestmark = needs_binutils

SRC = """
	.text
	.global add3, store, deep, _start
	.proc add3
add3:
	add r8=r32,r33
	;;
	add r8=r8,r34
	br.ret.sptk.many b0
	.endp add3
	.proc store
store:
	st8 [r32]=r33
	mov r8=r0
	br.ret.sptk.many b0
	.endp store
	.proc deep
deep:
	alloc loc0=ar.pfs,1,2,1,0
	mov loc1=b0
	cmp.eq p6,p7=0,in0
	;;
(p6)	mov r8=gp
(p6)	br.cond.dpnt 1f
	;;
	adds out0=-1,in0
	br.call.sptk.many b0=deep
	;;
1:	mov ar.pfs=loc0
	mov b0=loc1
	;;
	br.ret.sptk.many b0
	.endp deep
	.proc _start
_start:
	br.ret.sptk.many b0
	.endp _start
	.data
	.align 16
cell:	.quad 0
"""


@pytest.fixture
def image(tmp_path):
    obj = assemble(tmp_path, SRC, name="lib", flags=())
    return link(tmp_path, [obj], "lib")


def test_call_with_arguments(image):
    m = Machine()
    m.load(str(image))
    assert m.call("add3", 1, 2, 3) == 6
    assert m.call("add3", -1, 0, 0) == (1 << 64) - 1


def test_call_writes_memory_and_a_deep_chain_returns_gp(image):
    m = Machine()
    img = m.load(str(image))
    cell = img.symbols["cell"]
    m.call("store", cell, 0x1234)
    assert m.read(cell, 8) == (0x1234).to_bytes(8, "little")
    assert m.call("deep", 200) == img.gp
    assert m.state.rse.spills > 0


def test_call_errors_are_located(image):
    m = Machine()
    m.load(str(image))
    with pytest.raises(SimError) as e:
        m.call("store", 16, 1)
    assert "unmapped" in e.value.msg
    assert m.symbolize(e.value.addr).startswith("store+0x")
