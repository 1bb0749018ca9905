"""Loads, stores, atomics, speculation and ALAT, and moves between GRs and FRs (M unit).

Stores do not mention the ALAT: once a program makes its first ALAT entry the
executor replaces the store functions S1-S8 with ones that also remove the
entries a store overlaps (``Executor.alat_put``).
"""

from __future__ import annotations

import re

from .gen import Unimplemented, fd, gd, on_nat, propagate_nat
from .memory import MemoryFault
from .nat import NAT0

_LD = re.compile(r"^ld([1248])((?:\.[a-z]+)*)$")
_ST = re.compile(r"^st([1248])((?:\.[a-z]+)*)$")
_ATOMIC = re.compile(r"^(cmpxchg|xchg|fetchadd)([1248])((?:\.[a-z]+)*)$")


def _postinc(i) -> list[str]:
    """Base register update of the post-increment forms (imm or r2)."""
    fl = i.fields
    r3 = fl["r3"]
    if "imm" in fl:
        return [f"{gd(r3)} = (_a + {fl['imm'] & ((1 << 64) - 1):#x}) & M"]
    if i.op.startswith(("ld", "lfetch")) and "r2" in fl:
        return [f"{gd(r3)} = (_a + g[{fl['r2']}]) & M"]
    return []


def _load_nat(ins, st, nat_regs) -> bool:
    """A NaT address: a speculative load defers (its target becomes NaT, a
    post-increment leaves the base NaT); any other load consumes it."""
    if _LD.match(ins.op).group(2) not in (".s", ".sa"):
        return False
    fl = ins.fields
    st.g[fl["r1"] or 128] = NAT0
    if ("imm" in fl or "r2" in fl) and fl["r3"] in nat_regs:
        st.g[fl["r3"]] = NAT0
    return True


@on_nat(_load_nat)
def load(i, c):
    m = _LD.match(i.op)
    size = int(m.group(1))
    comp = m.group(2)
    fl = i.fields
    r1 = fl["r1"]
    d = gd(r1)
    L = f"L{size}"
    post = _postinc(i)
    if comp in ("", ".acq", ".bias") and not post:  # the common case in one line
        return [f"{d} = {L}(g[{fl['r3']}])"]
    out = [f"_a = g[{fl['r3']}]"]
    if comp in ("", ".acq", ".bias"):
        out.append(f"{d} = {L}(_a)")
    elif comp == ".fill":
        out += ["_v = L8(_a)",
                f"{d} = NaT(_v) if (ar[36] >> ((_a >> 3) & 63)) & 1 else _v"]
    elif comp in (".s", ".sa") and c.system:  # the MMU decides deferral (psr.ed, TLB.ed)
        out += [f"_v = LS{size}(_a, {c.addr:#x})", f"{d} = NAT0 if _v is None else _v"]
        if comp == ".sa":
            out += ["if _v is None:", f"    st.alat.pop({r1}, None)", "else:",
                    f"    X.alat_put({r1}, _a, {size})"]
    elif comp in (".s", ".sa"):
        adv = comp == ".sa"
        if c.spec == "fail":  # always defer (and always miss in the ALAT)
            out.append(f"{d} = NAT0")
            if adv:
                out.append(f"st.alat.pop({r1}, None)")
        else:
            mf = c.const(MemoryFault)
            out += ["try:", f"    {d} = {L}(_a)", f"except {mf}:", f"    {d} = NAT0"]
            if adv:
                out += [f"    st.alat.pop({r1}, None)", "else:", f"    X.alat_put({r1}, _a, {size})"]
    elif comp == ".a":
        out.append(f"{d} = {L}(_a)")
        if c.spec == "fail":
            out.append(f"st.alat.pop({r1}, None)")
        else:
            out.append(f"X.alat_put({r1}, _a, {size})")
    elif comp in (".c.clr", ".c.nc", ".c.clr.acq"):
        keep = comp == ".c.nc"
        out += [f"if st.alat.get({r1}) is None:", f"    {d} = {L}(_a)", "    X.reloads += 1"]
        if not keep:
            out.append(f"st.alat.pop({r1}, None)")
    else:
        raise Unimplemented(i.op)
    return out + post


def store(i, c):
    m = _ST.match(i.op)
    size = int(m.group(1))
    comp = m.group(2)
    fl = i.fields
    post = _postinc(i)
    if comp in ("", ".rel") and not post:  # the common case in one line
        return [f"S{size}(g[{fl['r3']}], g[{fl['r2']}])"]
    out = [f"_a = g[{fl['r3']}]"]
    if comp in ("", ".rel"):
        out.append(f"S{size}(_a, g[{fl['r2']}])")
    elif comp == ".spill":
        out += [f"_v = g[{fl['r2']}]", "_b = 1 << ((_a >> 3) & 63)",
                "if type(_v) is int:", "    S8(_a, _v)", "    ar[36] &= ~_b",
                "elif type(_v) is NaT:", "    S8(_a, _v.v)", "    ar[36] |= _b",
                "else:", "    S8(_a, 0)", "    ar[36] &= ~_b"]
    else:
        raise Unimplemented(i.op)
    return out + post


def atomic(i, c):
    m = _ATOMIC.match(i.op)
    kind, size = m.group(1), int(m.group(2))
    fl = i.fields
    L, S = f"LM{size}" if c.system else f"L{size}", f"S{size}"  # LM: the semaphore read
    out = [f"_a = g[{fl['r3']}]", f"_o = {L}(_a)"]
    if kind == "cmpxchg":
        out += [f"if _o == ar[32] & {(1 << (8 * size)) - 1:#x}:", f"    {S}(_a, g[{fl['r2']}])"]
    elif kind == "xchg":
        out.append(f"{S}(_a, g[{fl['r2']}])")
    else:
        inc = fl.get("imm", fl.get("inc"))
        out.append(f"{S}(_a, _o + {inc & ((1 << 64) - 1):#x})")
    out.append(f"{gd(fl['r1'])} = _o")
    return out


def _ldf_body(op: str, d: int) -> list[str]:
    if op in ("ldf.fill",):
        return ["_s = L8(_a)", "_e = L8(_a + 8) & 0x3FFFF", f"fs[{d}] = _s", f"fe[{d}] = _e"]
    if op == "ldf8":
        return [f"fs[{d}] = L8(_a)", f"fe[{d}] = 0x1003E"]
    if op == "ldfe":
        return ["_s = L8(_a)", "_e = L2(_a + 8)", f"fs[{d}] = _s",
                f"fe[{d}] = X.ext_to_reg(_e, _s)"]
    raise Unimplemented(op)


def fload(i, c):
    """ldf8, ldfe, ldf.fill and the advanced and check forms of ldf8/ldfe (the ALAT
    key of f1 is ("f", 1), as chk.a has it)."""
    fl = i.fields
    d = fd(fl["f1"])
    base = i.op.split(".")[0] if i.op != "ldf.fill" else "ldf.fill"
    comp = i.op[len(base):]
    key = ("f", fl["f1"])
    out = [f"_a = g[{fl['r3']}]"]
    if i.op == "ldf.fill":
        out.append("X.check_align(_a, 16)")
    size = 8 if base == "ldf8" else 16
    if comp == ".a":
        out += _ldf_body(base, d)
        out.append(f"st.alat.pop({key!r}, None)" if c.spec == "fail"
                   else f"X.alat_put({key!r}, _a, {size})")
    elif comp in (".c.clr", ".c.nc"):
        out += [f"if st.alat.get({key!r}) is None:",
                *(f"    {ln}" for ln in _ldf_body(base, d)), "    X.reloads += 1"]
        if comp == ".c.clr":
            out.append(f"st.alat.pop({key!r}, None)")
    elif comp:
        raise Unimplemented(i.op)
    else:
        out += _ldf_body(base, d)
    return out + _postinc(i)


def fstore(i, c):
    fl = i.fields
    f2 = fl["f2"]
    out = [f"_a = g[{fl['r3']}]"]
    if i.op == "stf.spill":
        out += ["X.check_align(_a, 16)", f"_s = fs[{f2}]",
                "if type(_s) is NaT:", "    S8(_a, 0)", "    S8(_a + 8, 0x1FFFE)",
                "else:", "    S8(_a, _s)", f"    S8(_a + 8, fe[{f2}])"]
    elif i.op == "stf8":
        out.append(f"S8(_a, fs[{f2}])")
    elif i.op == "stfe":
        out += [f"S8(_a, fs[{f2}])", f"S2(_a + 8, X.reg_to_ext(fe[{f2}]))"]
    else:
        raise Unimplemented(i.op)
    return out + _postinc(i)


@on_nat(propagate_nat)
def setf(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    if i.op == "setf.sig":
        return [f"fs[{d}] = g[{fl['r2']}]", f"fe[{d}] = 0x1003E"]
    if i.op == "setf.exp":
        return [f"_v = g[{fl['r2']}]", f"fe[{d}] = _v & 0x3FFFF", f"fs[{d}] = 1 << 63"]
    raise Unimplemented(i.op)


@on_nat(propagate_nat)
def getf(i, c):
    fl = i.fields
    d = gd(fl["r1"])
    f2 = fl["f2"]
    if i.op == "getf.sig":
        return [f"{d} = fs[{f2}]"]
    if i.op == "getf.exp":
        return [f"{d} = NAT0 if type(fs[{f2}]) is NaT else fe[{f2}]"]
    raise Unimplemented(i.op)


def lfetch(i, c):
    """A prefetch: no architectural effect but the base register update."""
    if "imm" not in i.fields and "r2" not in i.fields:
        return []
    return [f"_a = g[{i.fields['r3']}]", *_postinc(i)]


HANDLERS = {
    **{op: lfetch for op in ("lfetch", "lfetch.excl", "lfetch.fault", "lfetch.fault.excl")},
    "ldf.fill": fload, "ldf8": fload, "ldfe": fload,
    **{f"{op}{comp}": fload for op in ("ldf8", "ldfe") for comp in (".a", ".c.clr", ".c.nc")},
    "stf.spill": fstore, "stf8": fstore, "stfe": fstore,
    "setf.sig": setf, "setf.exp": setf, "getf.sig": getf, "getf.exp": getf,
}


def family(op: str):
    if _LD.match(op):
        return load
    if _ST.match(op):
        return store
    if _ATOMIC.match(op):
        return atomic
    return None
