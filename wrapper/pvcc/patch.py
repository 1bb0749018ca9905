"""pvcc-check --patch native: rewrite every site with its native code (docs/contract.md).

`patch_decoded(model, out)` copies the object `pvcc.decoded` decoded (each
record's catalog entry looked up once, there), replaces each `.pvcc_sites`
region with its native code, bound once (`native.bind`) to the physical
argument registers and result and encoded to the region's size (`native.encode`)
(an argument `out k` of F is physically `r(32 + sol + k)`), turns the code
relocations inside each region (the call's R_IA64_PCREL21B in a .o) into
R_IA64_NONE so a later link cannot write into the native code, and then
re-reads the copy and proves with pvcc's own decoder that each region holds
exactly the intended bundles, that they decode, nops aside, to exactly the
catalog's native code of the type on the record's registers (e.g.
`mov r8=cpuid[r36]` for get_cpuid), hold no branch, and that the last bundle
ends with a stop.

The copy is written to a temporary file beside OUT, verified there, and
renamed over OUT only when everything holds: OUT is never half-written.
`patch_native(src, out)` reads and decodes SRC first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import catalog, ia64
from .atomicfile import write_atomic
from .decoded import DecodedObject, SiteInfo, decode_file
from .elf import RELA
from .objects import ElfObject, ObjectError, Record, load_object


class PatchError(Exception):
    """A site that cannot be patched, or a patched copy that does not verify."""


@dataclass(frozen=True)
class PatchedSite:
    index: int
    where: str
    name: str
    start: int
    args: tuple[int, ...]
    result: int
    code: bytes
    text: tuple[str, ...]
    bound: object = field(default=None, compare=False, repr=False)   # native.Bound

    def as_json(self) -> dict:
        return {"record": self.index, "where": self.where, "type": self.name,
                "args": [f"r{a}" for a in self.args],
                "result": f"r{self.result}" if self.result else None,
                "bundles": len(self.code) // 16, "code": self.code.hex(),
                "insns": list(self.text)}


def physical_args(rec: Record) -> list[int]:
    """General register numbers holding the record's arguments at the site."""
    out = []
    for i in range(rec.nargs):
        a = rec.args[i]
        if a & 0x80:
            k = a & 0x7F
            if k > 7:
                raise PatchError(f"argument {i} names out{k} (at most out7)")
            reg = 32 + rec.sol + k
            if reg >= 32 + rec.sof:
                raise PatchError(f"argument {i} is out{k}, outside the frame (sof {rec.sof})")
            out.append(reg)
        else:
            # rN: a static register, a light site's moved argument (any register,
            # r0 for a zero), or 0 for a light getreg/setreg's register number,
            # which is in the type id only (the native code does not read it)
            out.append(a)
    return out


def _native(site: SiteInfo):
    """The site's native code bound to its registers (native.Bound), and its bundles."""
    from . import native

    rec = site.rec
    args = physical_args(rec)
    try:
        bound = native.bind(rec.type, args, rec.result,
                            found=(site.intr, site.reg) if site.intr else None, name=site.name,
                            srlz=bool(rec.flags & catalog.FLAG_SRLZ_D))
        bundles = native.encode(bound, rec.nbundles)
    except ValueError as e:
        raise PatchError(str(e)) from None
    bundles = list(bundles)
    if len(bundles) != rec.nbundles or any(len(b) != 16 for b in bundles):
        raise PatchError(f"native code is {len(bundles)} piece(s) of "
                         f"{sorted({len(b) for b in bundles})} bytes, the region is "
                         f"{rec.nbundles} bundle(s)")
    return bound, bundles


def native_code(site: SiteInfo) -> list[bytes]:
    """The bundles `pvcc-check --patch native` writes into the site's whole region
    (native code, then nop bundles); raises PatchError when the site cannot be patched."""
    return _native(site)[1]


def patch_native(src: str, out: str) -> list[PatchedSite]:
    """Write OUT = SRC with every site replaced by native code; verify it; return the sites.

    Raises ObjectError if SRC cannot be read, PatchError if a site cannot be
    patched or the patched copy does not verify (OUT is then left untouched).
    """
    return patch_decoded(decode_file(src, require_records=True), out)


def patch_decoded(model: DecodedObject, out: str) -> list[PatchedSite]:
    """patch_native of an object already read and decoded (pvcc-check reads it once)."""
    obj = model.obj
    src = obj.path
    buf = bytearray(obj.data)
    done: list[PatchedSite] = []
    for site in model.sites:
        rec, name = site.rec, site.name
        where = obj.where(rec.start)
        try:
            bound, bundles = _native(site)
        except PatchError as e:
            raise PatchError(f"{src}: {where}: cannot patch site of {name}: {e}") from None
        code = b"".join(bundles)
        off = obj.file_offset(rec.start)
        buf[off:off + len(code)] = code
        for r in obj.code_relocs_in(rec.start, rec.end):
            _neutralize(obj, buf, r.rela_index, r.entry)
        text = tuple(i.text() for b in _bundles(code, rec.start) for i in b.insns)
        done.append(PatchedSite(rec.index, where, name, rec.start, tuple(physical_args(rec)),
                                rec.result, code, text, bound))

    try:
        mode = os.stat(src).st_mode & 0o7777
    except OSError:
        mode = None
    write_atomic(out, buf, mode=mode, fsync=True,
                 check=lambda tmp: verify(tmp, obj, done, label=out))
    return done


def _neutralize(obj: ElfObject, buf: bytearray, rela_index: int, entry: int) -> None:
    sec = obj.section(rela_index)
    if sec is None:  # pragma: no cover - objects keeps every section of an ET_REL
        raise PatchError(f"{obj.path}: relocation section {rela_index} not found")
    at = sec.offset + RELA.size * entry
    r_offset = RELA.unpack_from(buf, at).r_offset
    buf[at:at + RELA.size] = RELA.pack(r_offset=r_offset, r_info=0, r_addend=0)  # R_IA64_NONE


def _bundles(code: bytes, addr: int) -> list[ia64.Bundle]:
    return [ia64.decode_bundle(code[i:i + 16], addr + i) for i in range(0, len(code), 16)]


def verify(path: str, orig: ElfObject, sites: list[PatchedSite], label: str | None = None) -> None:
    """Re-read a patched copy and prove each region holds its intended native code."""
    label = label or path
    with open(path, "rb") as f:
        data = f.read()
    try:
        new = load_object(label, data, require_records=True)
    except ObjectError as e:
        raise PatchError(f"patched copy does not read back: {e}") from None
    recs = new.records or []
    if [(r.start, r.end, r.type) for r in recs] != [
            (r.start, r.end, r.type) for r in orig.records or []]:
        raise PatchError(f"{label}: records changed while patching")
    by_index = {s.index: s for s in sites}
    for rec in recs:
        site = by_index[rec.index]
        problem = _verify_site(new, rec, site)
        if problem:
            raise PatchError(f"{label}: {site.where}: patched site of {site.name} "
                             f"does not verify: {problem}")


def _verify_site(new: ElfObject, rec: Record, site: PatchedSite) -> str | None:
    got = new.read(rec.start, rec.end - rec.start)
    if got != site.code:
        return "the bytes read back differ from the native code written"
    left = [r for r in new.code_relocs_in(rec.start, rec.end) if r.type != 0]
    if left:
        return f"relocation {left[0].type_name} still applies inside the region"
    try:
        bundles = _bundles(got, rec.start)
    except ia64.DecodeError as e:
        return f"does not decode ({e})"
    insns = [i for b in bundles for i in b.insns]
    for i in insns:
        if i.op in ("unknown", "reserved"):
            return f"holds an undecodable instruction '{i.text()}'"
        e = ia64.effects(i)
        if e.kind in ia64.semantics.TRANSFERS or "b0" in e.writes:
            return f"holds a branch '{i.text()}'"
    if not bundles[-1].ends_group:
        return "the last bundle does not end with a stop"
    return _expect(site, insns)


def _expect(site: PatchedSite, insns: list[ia64.Insn]) -> str | None:
    """The region decodes, nops aside, to the catalog's native code of the record's
    type, on the record's registers (bound once, when the site was patched)."""
    return _mismatch(site.bound, insns)


def code_mismatch(type_id: int, args: list[int], result: int,
                  insns: list[ia64.Insn], srlz: bool = False) -> str | None:
    """Why decoded ``insns`` are not, nops aside, exactly the catalog's native code of
    ``type_id`` with its operands bound to ``args``/``result``; None when they are."""
    from . import native

    try:
        bound = native.bind(type_id, args, result, srlz=srlz)
    except ValueError as e:
        return str(e)
    return _mismatch(bound, insns)


def _mismatch(bound, insns: list[ia64.Insn]) -> str | None:
    code, operands = bound.code, bound.operands
    work = [i for i in insns if ia64.effects(i).kind != ia64.semantics.NOP]
    want = [i for b in code for i in b.insns]
    region = "; ".join(i.text() for i in insns)
    if len(work) != len(want):
        return (f"{len(work)} instruction(s) besides nops, the native code has {len(want)}: "
                f"{region}")
    for got, spec in zip(work, want):
        fields = spec.bind(operands)
        if got.op != spec.op or got.qp != spec.qp or any(
                got.fields.get(k) != v for k, v in fields.items()):
            spelled = ", ".join(f"{k}={v}" for k, v in fields.items())
            pred = f"(p{spec.qp}) " if spec.qp else ""
            return f"'{got.text()}' where the native code has {pred}{spec.op}({spelled}): {region}"
    return None
