"""Moves of special registers, the register stack instructions, system and
privileged instructions, break (system calls, hypercalls), nop and hint."""

from __future__ import annotations

from .gen import Unimplemented, gd, on_nat, propagate_nat
from .privileged import PSR_READ

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


_CPL = 3 << 32
_PSR_SI = 1 << 23


def _privileged_ar(c, write: bool, n: int) -> list[str]:
    """System mode: ar.k0-7 and ar.itc writes at cpl != 0, and ar.itc reads at
    cpl != 0 with psr.si, are Privileged Register faults (SDM vol. 2, ch. 8, General Exception)."""
    at = f"{c.addr | c.slot:#x}"
    if not c.system:
        return []
    if write and (n < 8 or n == 44):
        return [f"if X.priv.psr & {_CPL:#x}: X.privileged({at}, register=True)"]
    if not write and n == 44:
        return [(f"if X.priv.psr & {_CPL:#x} and X.priv.psr & {_PSR_SI:#x}: "
                f"X.privileged({at}, register=True)")]
    return []


def mov_to_ar(i, c):
    fl = i.fields
    n = fl["ar"]
    v = f"g[{fl['r2']}] & M" if "r2" in fl else f"{fl['imm'] & ((1 << 64) - 1):#x}"
    check = _privileged_ar(c, True, n)
    if n in _AR_WRITE_SPECIAL:
        return [*check, f"X.write_ar({n}, {v})"]
    return [*check, f"ar[{n}] = {v}"]


def mov_from_ar(i, c):
    fl = i.fields
    n = fl["ar"]
    return [*_privileged_ar(c, False, n), f"{gd(fl['r1'])} = {_AR_READ.get(n, f'ar[{n}]')}"]


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


@on_nat(propagate_nat)
def mov_to_pr_rot(i, c):
    """mov pr.rot = imm44: p16-p63 from the immediate's bits 63:16."""
    return [f"st.set_pr({i.fields['imm'] & ((1 << 64) - 1):#x}, 0xFFFFFFFFFFFF0000)"]


def clrrrb(i, c):
    return [f"X.rse.clrrrb({i.op == 'clrrrb.pr'})"]


@on_nat(propagate_nat)
def mov_from_ip(i, c):
    return [f"{gd(i.fields['r1'])} = {c.addr:#x}"]


def rse_op(i, c):
    return [{"flushrs": "X.rse.flushrs()", "loadrs": "X.rse.loadrs()",
             "cover": "X.cover()"}[i.op]]


def effect(i, c):
    """Instructions whose only model-visible result in user mode is an entry in the
    effect log; in system mode the TLB instructions and serializations act too
    (System.tlb_insn, System.serialize)."""
    fl = i.fields
    regs = [f"g[{fl[k]}] & M" for k in ("r3", "r2") if k in fl]
    args = ", ".join([repr(i.op), f"{c.addr | c.slot:#x}", *regs])
    out = [f"X.priv.log({args})"]
    if c.system:
        what = "X.serialize" if i.op in ("srlz.d", "srlz.i", "sync.i") else "X.tlb_insn"
        out.append(f"{what}({args})")
    return out


def flush(i, c):
    """fc/fc.i: logged, and code compiled from the flushed line is dropped."""
    if c.system:  # translated (non-access reference), then the line's code dropped
        return [effect(i, c)[0], f"X.fc(g[{i.fields['r3']}] & M, {c.addr | c.slot:#x})"]
    return [*effect(i, c), f"X.flush_code(g[{i.fields['r3']}] & M)"]


def invala(i, c):
    return ["st.alat.clear()"]


def mov_psr(i, c):
    fl = i.fields
    op = i.op
    if op == "mov.from.psr":
        return [f"{gd(fl['r1'])} = X.priv.psr & {PSR_READ:#x}"]  # PSR{36:0}
    if op == "mov.to.psr.l":
        return [f"X.priv.psr = (X.priv.psr & ~0xFFFFFFFF) | (g[{fl['r2']}] & 0xFFFFFFFF)",
                f"X.priv.log('mov.to.psr.l', {c.addr | c.slot:#x}, X.priv.psr)",
                *(["X.psr_changed()"] if c.system else [])]
    if op == "mov.from.psr.um":
        return [f"{gd(fl['r1'])} = X.priv.psr & 0x3E"]
    if op == "mov.to.psr.um":
        return [f"X.priv.psr = (X.priv.psr & ~0x3E) | (g[{fl['r2']}] & 0x3E)"]
    raise Unimplemented(op)


def psr_mask(i, c):
    imm = i.fields["imm"]
    if i.op in ("sum", "rum"):
        imm &= 0x3E
    sync = ["X.psr_changed()"] if c.system and i.op in ("ssm", "rsm") else []
    if i.op in ("ssm", "sum"):
        return [f"X.priv.psr |= {imm:#x}", f"X.priv.log({i.op!r}, {c.addr | c.slot:#x}, {imm:#x})",
                *sync]
    return [f"X.priv.psr &= ~{imm:#x}", f"X.priv.log({i.op!r}, {c.addr | c.slot:#x}, {imm:#x})",
            *sync]


def mov_cr(i, c):
    fl = i.fields
    n = fl["cr"]
    if i.op == "mov.from.cr":
        at = f", {c.addr | c.slot:#x}" if c.system else ""
        return [f"{gd(fl['r1'])} = X.read_cr({n}{at})"]
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
    if c.system and i.op in ("tpa", "tak"):  # through the data TLB (System.mmu)
        return [f"{d} = X.mmu.{i.op}(g[{fl['r3']}] & M)"]
    if i.op == "tpa":
        return [f"{d} = g[{fl['r3']}] & M"]
    if i.op == "tak":
        return [f"{d} = 0 & g[{fl['r3']}]"]
    raise Unimplemented(i.op)


def probe(i, c):
    fl = i.fields
    if c.system:  # probe.r/.w [.fault] at max(cpl, pl) through the data TLB
        kind = {"probe.r": 1 << 34, "probe.w": 1 << 33, "probe.r.fault": 1 << 34,
                "probe.w.fault": 1 << 33, "probe.rw.fault": 3 << 33}[i.op]
        pl = f"g[{fl['r2']}] & 3" if "r2" in fl else str(fl.get("imm2", 0) & 3)
        call = f"X.mmu.probe(g[{fl['r3']}] & M, {pl}, {kind:#x}, {i.op.endswith('.fault')})"
        return [f"{gd(fl['r1'])} = {call}" if "r1" in fl else call]
    if "r1" in fl:
        return [f"{gd(fl['r1'])} = 1 | (0 & g[{fl['r3']}])"]
    return []


def bsw(i, c):
    bit = 1 if i.op.endswith("1") else 0
    if c.system:  # r16-r31 change banks (System.bsw)
        return [f"X.bsw({bit})", f"X.priv.log({i.op!r}, {c.addr | c.slot:#x})"]
    return [f"X.priv.psr = (X.priv.psr & ~(1 << 44)) | ({bit} << 44)",
            f"X.priv.log({i.op!r}, {c.addr | c.slot:#x})"]


def epc(i, c):
    """System mode only: promotion per the code page's access rights (System.epc)."""
    if not c.system:
        raise Unimplemented(i.op)
    return [f"X.epc({c.addr | c.slot:#x})"]


HANDLERS = {
    "nop": nop, "hint": nop, "break": brk, "alloc": alloc,
    "mov.to.ar": mov_to_ar, "mov.from.ar": mov_from_ar,
    "mov.to.br": mov_to_br, "mov.from.br": mov_from_br,
    "mov.from.pr": mov_from_pr, "mov.to.pr": mov_to_pr, "mov.to.pr.rot": mov_to_pr_rot,
    "clrrrb": clrrrb, "clrrrb.pr": clrrrb, "mov.from.ip": mov_from_ip,
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
    "probe.w.fault": probe, "bsw.0": bsw, "bsw.1": bsw, "epc": epc,
}


def family(op: str):
    return None
