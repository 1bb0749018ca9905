"""Moves of special registers, the register stack instructions, system and
privileged instructions, break (system calls, hypercalls), nop and hint."""

from __future__ import annotations

from .gen import Unimplemented, gd

# application registers the executor computes or must see written
_AR_READ = {17: "X.rse.bsp", 18: "X.rse.bspstore", 44: "X.priv.read_itc()"}
_AR_WRITE_SPECIAL = {17, 18, 44}


def nop(i, c):
    return []


def brk(i, c):
    return [f"X.brk({i.fields['imm']:#x}, {c.addr | c.slot:#x})"]


def alloc(i, c):
    fl = i.fields
    return ["_p = ar[64]", f"X.alloc({fl['sof']}, {fl['sol']}, {fl['sor']})",
            f"{gd(fl['r1'])} = _p"]


def mov_to_ar(i, c):
    fl = i.fields
    n = fl["ar"]
    v = f"g[{fl['r2']}] & M" if "r2" in fl else f"{fl['imm'] & ((1 << 64) - 1):#x}"
    if n in _AR_WRITE_SPECIAL:
        return [f"X.write_ar({n}, {v})"]
    return [f"ar[{n}] = {v}"]


def mov_from_ar(i, c):
    fl = i.fields
    n = fl["ar"]
    return [f"{gd(fl['r1'])} = {_AR_READ.get(n, f'ar[{n}]')}"]


def mov_to_br(i, c):
    fl = i.fields
    return [f"br[{fl['b1']}] = g[{fl['r2']}] & M"]


def mov_from_br(i, c):
    fl = i.fields
    return [f"{gd(fl['r1'])} = br[{fl['b2']}]"]


def mov_from_pr(i, c):
    return [f"{gd(i.fields['r1'])} = st.pr_value()"]


def mov_to_pr(i, c):
    fl = i.fields
    return [f"st.set_pr(g[{fl['r2']}] & M, {fl['mask']:#x})"]


def mov_from_ip(i, c):
    return [f"{gd(i.fields['r1'])} = {c.addr:#x}"]


def rse_op(i, c):
    return [{"flushrs": "X.rse.flushrs()", "loadrs": "X.rse.loadrs()",
             "cover": "X.cover()"}[i.op]]


def effect(i, c):
    """Instructions whose only model-visible result is an entry in the effect log."""
    fl = i.fields
    regs = [f"g[{fl[k]}] & M" for k in ("r3", "r2") if k in fl]
    args = ", ".join([repr(i.op), f"{c.addr | c.slot:#x}", *regs])
    return [f"X.priv.log({args})"]


def flush(i, c):
    """fc/fc.i: logged, and code compiled from the flushed line is dropped."""
    return [*effect(i, c), f"X.flush_code(g[{i.fields['r3']}] & M)"]


def invala(i, c):
    return ["st.alat.clear()"]


def mov_psr(i, c):
    fl = i.fields
    op = i.op
    if op == "mov.from.psr":
        return [f"{gd(fl['r1'])} = X.priv.psr & 0xFFFFFFFFF"]
    if op == "mov.to.psr.l":
        return [f"X.priv.psr = (X.priv.psr & ~0xFFFFFFFF) | (g[{fl['r2']}] & 0xFFFFFFFF)",
                f"X.priv.log('mov.to.psr.l', {c.addr | c.slot:#x}, X.priv.psr)"]
    if op == "mov.from.psr.um":
        return [f"{gd(fl['r1'])} = X.priv.psr & 0x3E"]
    if op == "mov.to.psr.um":
        return [f"X.priv.psr = (X.priv.psr & ~0x3E) | (g[{fl['r2']}] & 0x3E)"]
    raise Unimplemented(op)


def psr_mask(i, c):
    imm = i.fields["imm"]
    if i.op in ("sum", "rum"):
        imm &= 0x3E
    if i.op in ("ssm", "sum"):
        return [f"X.priv.psr |= {imm:#x}", f"X.priv.log({i.op!r}, {c.addr | c.slot:#x}, {imm:#x})"]
    return [f"X.priv.psr &= ~{imm:#x}", f"X.priv.log({i.op!r}, {c.addr | c.slot:#x}, {imm:#x})"]


def mov_cr(i, c):
    fl = i.fields
    n = fl["cr"]
    if i.op == "mov.from.cr":
        return [f"{gd(fl['r1'])} = X.read_cr({n})"]
    return [f"X.write_cr({n}, g[{fl['r2']}] & M, {c.addr | c.slot:#x})"]


def mov_indirect(i, c):
    """mov rr[r3]=r2 and friends (pkr, dbr, ibr, pmc, pmd, msr), and the reads."""
    fl = i.fields
    kind = i.op.rsplit(".", 1)[1]
    if i.op.startswith("mov.to."):
        return [(f"X.write_ind({kind!r}, g[{fl['r3']}] & M, g[{fl['r2']}] & M, "
                f"{c.addr | c.slot:#x})")]
    return [f"{gd(fl['r1'])} = X.read_ind({kind!r}, g[{fl['r3']}] & M)"]


def cpuid(i, c):
    fl = i.fields
    return [f"{gd(fl['r1'])} = X.cpuid(g[{fl['r3']}] & M)"]


def translate(i, c):
    fl = i.fields
    fn = {"thash": "X.priv.thash", "ttag": "X.priv.ttag"}.get(i.op)
    d = gd(fl["r1"])
    if fn:
        return [f"{d} = {fn}(g[{fl['r3']}] & M)"]
    if i.op == "tpa":
        return [f"{d} = g[{fl['r3']}] & M"]
    if i.op == "tak":
        return [f"{d} = 0 & g[{fl['r3']}]"]
    raise Unimplemented(i.op)


def probe(i, c):
    fl = i.fields
    if "r1" in fl:
        return [f"{gd(fl['r1'])} = 1 | (0 & g[{fl['r3']}])"]
    return []


def bsw(i, c):
    bit = 1 if i.op.endswith("1") else 0
    return [f"X.priv.psr = (X.priv.psr & ~(1 << 44)) | ({bit} << 44)",
            f"X.priv.log({i.op!r}, {c.addr | c.slot:#x})"]


HANDLERS = {
    "nop": nop, "hint": nop, "break": brk, "alloc": alloc,
    "mov.to.ar": mov_to_ar, "mov.from.ar": mov_from_ar,
    "mov.to.br": mov_to_br, "mov.from.br": mov_from_br,
    "mov.from.pr": mov_from_pr, "mov.to.pr": mov_to_pr, "mov.from.ip": mov_from_ip,
    "flushrs": rse_op, "loadrs": rse_op, "cover": rse_op,
    "mf": nop, "mf.a": nop, "fwb": nop, "invala": invala,
    "fc": flush, "fc.i": flush,
    **{op: effect for op in ("srlz.d", "srlz.i", "sync.i", "ptc.l", "ptc.g",
                             "ptc.ga", "ptc.e", "ptr.d", "ptr.i", "itc.d", "itc.i", "itr.d",
                             "itr.i")},
    "mov.from.psr": mov_psr, "mov.to.psr.l": mov_psr, "mov.from.psr.um": mov_psr,
    "mov.to.psr.um": mov_psr,
    "ssm": psr_mask, "rsm": psr_mask, "sum": psr_mask, "rum": psr_mask,
    "mov.from.cr": mov_cr, "mov.to.cr": mov_cr,
    **{f"mov.{d}.{k}": mov_indirect for d in ("to", "from")
       for k in ("rr", "dbr", "ibr", "pkr", "pmc", "pmd", "msr")},
    "mov.from.cpuid": cpuid,
    "thash": translate, "ttag": translate, "tpa": translate, "tak": translate,
    "probe.r": probe, "probe.w": probe, "probe.rw.fault": probe, "probe.r.fault": probe,
    "probe.w.fault": probe, "bsw.0": bsw, "bsw.1": bsw,
}


def family(op: str):
    return None
