"""System mode: code that stores into itself.  A store into a bundle the model
has already compiled (and run) takes effect when it runs next; the SDM asks
for fc, sync.i and srlz.i in between (vol. 3: fc, sync.i, srlz.i), and the model counts patched bundles run again without an fc."""

from __future__ import annotations

import pytest

from asmtools import needs_binutils
from systemasm import run_system

pytestmark = needs_binutils


def patch_loop(sync: str) -> str:
    """Run ``patchme`` (r9 += 1), copy ``template`` (r9 += 100) over it, ``sync``,
    and run it again."""
    return f"""
	mov r9 = 0
	mov r10 = 0
	;;
patchme:
	{{ .mii
	  nop.m 0
	  adds r9 = 1, r9
	  nop.i 0
	;; }}
	cmp.eq p6, p7 = 1, r10
	adds r10 = 1, r10
	(p6) br.cond.sptk done
	;;
	movl r2 = template
	movl r3 = patchme
	;;
	ld8 r4 = [r2], 8
	;;
	ld8 r5 = [r2]
	;;
	st8 [r3] = r4, 8
	;;
	st8 [r3] = r5
	movl r3 = patchme
	;;
{sync}
	br.cond.sptk patchme
	;;
done:
	mov r8 = r9
	;;
"""


TEMPLATE = """
	.align 16
template:
	{ .mii
	  nop.m 0
	  adds r9 = 100, r9
	  nop.i 0
	;; }
"""


@pytest.mark.parametrize("sync,unsynced", [
    ("\tfc r3\n\t;;\n\tsync.i\n\t;;\n\tsrlz.i\n\t;;", 0),
    ("", 1),
])
def test_store_into_executed_code_takes_effect(tmp_path, sync, unsynced):
    r = run_system(tmp_path, patch_loop(sync), extra=TEMPLATE)
    assert r.error is None, r.error
    assert r.state.g[9] == 101
    assert len(r.system.code.unsynced) == unsynced
    assert r.counters["patched bundles run without fc"] == unsynced
