"""Branch semantics (B unit, MLX long branches) and the speculation checks."""

from __future__ import annotations

from .gen import Unimplemented

_ALIGN = 0xFFFFFFFFFFFFFFF0


def br_rel(i, c):
    return [f"return {i.fields['target']:#x}"]


def br_ind(i, c):
    return [f"return br[{i.fields['b2']}] & {_ALIGN:#x}"]


def br_call(i, c):
    fl = i.fields
    return [f"return X.call({fl['b1']}, {c.nxt:#x}, {fl['target']:#x})"]


def br_call_ind(i, c):
    fl = i.fields
    return [f"return X.call({fl['b1']}, {c.nxt:#x}, br[{fl['b2']}] & {_ALIGN:#x})"]


def br_ret(i, c):
    return [f"return X.ret(br[{i.fields['b2']}] & {_ALIGN:#x})"]


def br_cloop(i, c):
    return ["if ar[65]:", "    ar[65] -= 1", f"    return {i.fields['target']:#x}"]


def _recover(c, target) -> list[str]:
    if c.system:  # the system may take the Speculation vector instead (System.chk_faults)
        return [f"    return X.chk_branch({target:#x}, {c.addr | c.slot:#x})"]
    return ["    X.recoveries += 1", f"    return {target:#x}"]


def chk_s(i, c):
    fl = i.fields
    reg = f"g[{fl['r2']}]" if "r2" in fl else f"fs[{fl['f2']}]"
    return [f"if type({reg}) is NaT:", *_recover(c, fl["target"])]


def chk_a(i, c):
    fl = i.fields
    r = fl.get("r1", fl.get("f1"))
    if r is None:
        raise Unimplemented(i.op)
    key = r if "r1" in fl else ("f", r)
    out = [f"if st.alat.get({key!r}) is None:", *_recover(c, fl["target"])]
    if i.op.endswith(".clr"):
        out.append(f"st.alat.pop({key!r}, None)")
    return out


def br_loop(i, c):
    """The modulo-scheduled loop branches (Executor.loop); wtop/wexit read their
    qualifying predicate as an input (sem_int.owns_predicate)."""
    kind = i.op.split(".")[1]
    qp = f"pr[{i.qp}]" if kind in ("wtop", "wexit") else "True"
    return [f"if X.loop({kind!r}, {qp}):", f"    return {i.fields['target']:#x}"]


def rfi(i, c):
    """System mode only (System.rfi: psr, ip and slot, frame, banks)."""
    if not c.system:
        raise Unimplemented(i.op)
    return ["return X.rfi()"]


HANDLERS = {
    "rfi": rfi,
    **{f"br.{k}": br_loop for k in ("ctop", "cexit", "wtop", "wexit")},
    "br.cond": br_rel, "brl.cond": br_rel, "br.cond.ind": br_ind,
    "br.call": br_call, "brl.call": br_call, "br.call.ind": br_call_ind,
    "br.ret": br_ret, "br.cloop": br_cloop,
    "chk.s": chk_s, "chk.s.i": chk_s, "chk.s.m": chk_s,
    "chk.a.clr": chk_a, "chk.a.nc": chk_a,
}


def family(op: str):
    return None
