"""pvcc-check --verify-retarget TABLE: every site calls its registered implementation.

Under a hypervisor the boot-time patcher (kernel/pvcc_patch.c) points each
site at the implementation the hypervisor registered for its type and
calling convention, and leaves the sites without one calling their own.  `verify` proves that from the patched image alone, with
pvcc's decoder: the region's transfer bundle (a C site's first: one
unpredicated `br.call b0` or `brl.call b0` and nops; a light site's last:
`mov r2 = ip`, one unpredicated `br.cond` and nops), the region's other bundles
nop bundles, and the transfer going to TABLE's implementation of the site's
type and convention, or to the record's `target` when TABLE has none for it.  In a
relocatable file (.o, .ko) a branch relocation on the transfer decides where a
kept call goes, and one left on a retargeted transfer is a violation (a link
or module load would undo it).

TABLE has one line per registered type and convention, `TYPE IMPLEMENTATION
[CONVENTION]`: TYPE as pvcc-check prints it (`ssm_i`, `getreg(psr)`,
`setreg(cr.tpr)`; the register of getreg/setreg also by number, `getreg(1019)`)
or a number, IMPLEMENTATION a function symbol of the image or an address,
CONVENTION `c-call` (the default) or `light`; `#` starts a comment.  A light
site's transfer is its last bundle, `mov r2 = ip; br.cond` (docs/light.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import catalog, ia64
from .decoded import DecodedObject, decode_file, is_light_move, light_move
from .objects import BRANCH_RELOCS, ElfObject, ObjectError


class RetargetError(Exception):
    """TABLE is unreadable or names an unknown type or symbol (one located line)."""


def _type_id(word: str, native: set[int]) -> int | None:
    """A TYPE of TABLE: a type with native code by name (registers by name or
    number), or any type of the catalog by number."""
    try:
        tid = int(word, 0)
    except ValueError:
        tid = catalog.type_id_of(word)
        return tid if tid in native else None
    return tid if catalog.intrinsic_for(tid) is not None else None


def read_impls(path: str, obj: ElfObject) -> dict[int, int]:
    """TABLE as {impl_key(type, convention): address}; symbols resolved in OBJ."""
    from .patch_table import native_types

    native = set(native_types())
    funcs = {f.name: f.addr for f in obj.functions}
    out: dict[int, int] = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) not in (2, 3):
            raise RetargetError(f"{path}:{n}: expected 'TYPE IMPLEMENTATION "
                                f"[CONVENTION]', got {line.strip()!r}")
        t, impl = words[:2]
        conv = catalog.CONV_C
        if len(words) == 3:
            convs = {v: k for k, v in catalog.CONV_NAMES.items()}
            if words[2] not in convs:
                raise RetargetError(f"{path}:{n}: unknown calling convention "
                                    f"{words[2]!r} (one of {', '.join(sorted(convs))})")
            conv = convs[words[2]]
        tid = _type_id(t, native)
        if tid is None:
            raise RetargetError(f"{path}:{n}: unknown paravirt type {t!r}")
        if impl in funcs:
            addr = funcs[impl]
        else:
            try:
                addr = int(impl, 0)
            except ValueError:
                raise RetargetError(f"{path}:{n}: {impl!r} is neither a function of "
                                    f"{obj.path} nor an address") from None
        if addr <= 0 or addr % 16:
            raise RetargetError(f"{path}:{n}: implementation address {addr:#x} is not "
                                "a bundle address")
        if impl_key(tid, conv) in out:
            raise RetargetError(f"{path}:{n}: {t} is registered twice")
        out[impl_key(tid, conv)] = addr
    return out


@dataclass
class RetargetReport:
    path: str
    sites: int = 0
    retargeted: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)


def impl_key(type_id: int, conv: int) -> int:
    """The key of a (type, convention) in an implementation table (and in the
    images kernel/pvcc_patch_run.c and pvcc_patch_sim.c read)."""
    return conv << 32 | type_id


# The transfer of each convention (docs/records.md): where it sits in the region,
# the branch it is, and what else its bundle may hold.
_SHAPES = {
    catalog.CONV_C: ("first", ("br.call", "brl.call"), ()),
    catalog.CONV_LIGHT: ("last", ("br.cond",), ("mov.from.ip",)),
}


def _transfer(b: ia64.Bundle, branches: tuple[str, ...],
              extra: tuple[str, ...]) -> tuple[ia64.Insn | None, str | None]:
    """The bundle's one branch (None, None for a nop bundle), or why it is not a site."""
    branch = None
    seen: set[str] = set()
    for i in b.insns:
        if i.op.startswith("nop"):
            continue
        if "mov.from.ip" in extra and is_light_move(i):
            continue        # a light site's moved argument (_light_move_problem)
        if i.op in branches and branch is None:
            branch = i
            continue
        if i.op in extra and i.op not in seen:
            if i.op == "mov.from.ip" and i.fields.get("r1") != catalog.LIGHT_LINK:
                return None, f"links through '{i.text()}', not r{catalog.LIGHT_LINK}"
            seen.add(i.op)
            continue
        return None, f"holds '{i.text()}'"
    if branch is not None and len(seen) != len(extra):
        return None, f"lacks {', '.join(sorted(set(extra) - seen))} next to its branch"
    if branch is None and seen:
        return None, f"holds '{next(iter(seen))}' without a branch"
    return branch, None


def _light_move_problem(site, b: ia64.Bundle) -> str | None:
    """Why the light transfer bundle B does not move the site's moved argument
    (decoded.light_move) from the record's register into its static one."""
    move = light_move(site.rec, site.intr)
    moves = [i for i in b.insns if is_light_move(i)]
    if move is None:
        return f"holds '{moves[0].text()}'" if moves else None
    m, static, src = move
    if not moves:
        return None if src == static else f"lost the move of argument {m} into r{static}"
    i = moves[0]
    if (i.qp, i.fields.get("r1"), i.fields.get("r3")) != (0, static, src):
        return f"holds '{i.text()}', not 'mov r{static}=r{src}'"
    return None


def verify(model: DecodedObject, impls: dict[int, int]) -> RetargetReport:
    """IMPLS maps impl_key(type, conv) to the implementation's address."""
    obj = model.obj
    rep = RetargetReport(obj.path)
    for site in model.sites:
        rec, name = site.rec, site.name
        rep.sites += 1
        where = f"{obj.path}: {obj.where(rec.start)}: site of {name}"
        key = impl_key(rec.type, rec.conv)
        want = impls.get(key, rec.target)
        if rec.conv not in _SHAPES:
            rep.violations.append(f"{where}: unknown calling convention {rec.conv}")
            continue
        place, branches, extra = _SHAPES[rec.conv]
        try:
            bundles = model.region(rec)
        except (ia64.DecodeError, ObjectError) as e:
            rep.violations.append(f"{where}: region unreadable ({e})")
            continue
        at = bundles[0] if place == "first" else bundles[-1]
        first, problem = _transfer(at, branches, extra)
        if problem is None and first is None:
            problem = f"has no {'/'.join(branches)} in its {place} bundle"
        elif problem is not None:
            problem = f"the {place} bundle {problem}"
        for b in bundles:
            if b is at:
                continue
            more, why = _transfer(b, (), ())
            if problem is None and (why or more is not None):
                problem = f"bundle {b.addr:#x} is not a nop bundle ({why})"
        if problem is None and (first.qp or (rec.conv == catalog.CONV_C
                                             and first.fields.get("b1") != 0)):
            problem = f"the transfer '{first.text()}' is predicated or does not link through b0"
        if problem is None and rec.conv == catalog.CONV_LIGHT:
            why = _light_move_problem(site, at)
            problem = f"the {place} bundle {why}" if why else None
        reloc = obj.code_reloc(at.addr + first.slot) if problem is None else None
        if reloc is not None and reloc.type not in BRANCH_RELOCS:
            problem = f"relocation {reloc.type_name} applies to the transfer"
        elif reloc is not None and key in impls:
            problem = f"relocation {reloc.type_name} against {reloc.value} still applies to " \
                "the transfer: a link would undo the retargeting"
        if problem is None:
            got = reloc.value if reloc is not None else first.fields["target"]
            if got != want:
                what = "the registered implementation" if key in impls else \
                    "its own implementation (none registered)"
                shown = f"{obj.where(got)} ({got:#x})" if isinstance(got, int) else str(got)
                problem = f"transfers to {shown}, expected {what} {obj.where(want)}"
        if problem:
            rep.violations.append(f"{where}: {problem}")
        elif key in impls:
            rep.retargeted[name] += 1
        else:
            rep.kept[name] += 1
    return rep


def table(rep: RetargetReport) -> str:
    head = (f"{rep.path}: {rep.sites} site(s): {sum(rep.retargeted.values())} call their "
            f"registered implementation, {sum(rep.kept.values())} keep their call, "
            f"{len(rep.violations)} violation(s)")
    rows = [head]
    for name, n in sorted(rep.retargeted.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(f"  {name:32} {n:6} retargeted")
    for name, n in sorted(rep.kept.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(f"  {name:32} {n:6} kept")
    return "\n".join(rows)


def main_verify(table_path: str, files: list[str], as_json: bool, quiet: bool,
                error) -> int:
    """pvcc-check --verify-retarget TABLE FILE...: 0 all hold, 1 violations, 2 bad input."""
    import json
    import sys

    status, docs = 0, []
    for path in files:
        try:
            model = decode_file(path, require_records=True)
            rep = verify(model, read_impls(table_path, model.obj))
        except (ObjectError, RetargetError, OSError) as e:
            error(str(e) if not isinstance(e, OSError) else f"{e.strerror}: {e.filename}")
            status = 2
            continue
        for v in rep.violations:
            print(v, file=sys.stderr)
        if rep.violations:
            status = max(status, 1)
        docs.append({"file": path, "sites": rep.sites, "retargeted": dict(rep.retargeted),
                     "kept": dict(rep.kept), "violations": rep.violations})
        if not as_json and not quiet:
            print(table(rep))
    if as_json:
        json.dump({"version": 1, "ok": status == 0, "objects": docs}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return status
