"""pvcc-check --verify-retarget TABLE: every site calls its registered implementation.

Under a hypervisor the boot-time patcher (kernel/pvcc_patch.c) points each
C-convention site at the implementation the hypervisor registered for its
type, and leaves the sites of types without one calling their C
implementation.  `verify` proves that from the patched image alone, with
pvcc's decoder: the region's first bundle holds one unpredicated `br.call b0`
or `brl.call b0` and nothing but nops besides, the region's other bundles are
nop bundles, and the transfer goes to TABLE's implementation of the site's
type, or to the record's `target` when TABLE has none for it.

TABLE has one line per registered type, `TYPE IMPLEMENTATION`: TYPE as
pvcc-check prints it (`ssm_i`, `getreg(1019)`) or a number, IMPLEMENTATION a
function symbol of the image or an address; `#` starts a comment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import catalog, ia64
from .objects import ElfObject, ObjectError, open_object


class RetargetError(Exception):
    """TABLE is unreadable or names an unknown type or symbol (one located line)."""


def _type_ids() -> dict[str, int]:
    from .patch_table import native_types
    return {catalog.type_name(t): t for t in native_types()}


def read_impls(path: str, obj: ElfObject) -> dict[int, int]:
    """TABLE as {type id: address}; symbols resolved in OBJ."""
    names = _type_ids()
    funcs = {f.name: f.addr for f in obj.functions}
    out: dict[int, int] = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2:
            raise RetargetError(f"{path}:{n}: error: expected 'TYPE IMPLEMENTATION', got "
                                f"{line.strip()!r}")
        t, impl = words
        if t in names:
            tid = names[t]
        else:
            try:
                tid = int(t, 0)
            except ValueError:
                raise RetargetError(f"{path}:{n}: error: unknown paravirt type {t!r}") from None
            if catalog.intrinsic_for(tid) is None:
                raise RetargetError(f"{path}:{n}: error: unknown paravirt type {t!r}")
        if impl in funcs:
            addr = funcs[impl]
        else:
            try:
                addr = int(impl, 0)
            except ValueError:
                raise RetargetError(f"{path}:{n}: error: {impl!r} is neither a function of "
                                    f"{obj.path} nor an address") from None
        if addr <= 0 or addr % 16:
            raise RetargetError(f"{path}:{n}: error: implementation address {addr:#x} is not "
                                "a bundle address")
        if tid in out:
            raise RetargetError(f"{path}:{n}: error: {t} is registered twice")
        out[tid] = addr
    return out


@dataclass
class RetargetReport:
    path: str
    sites: int = 0
    retargeted: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)


def _transfer(b: ia64.Bundle) -> tuple[ia64.Insn | None, str | None]:
    """The bundle's one branch (None, None for a nop bundle), or why it is not a site."""
    branch = None
    for i in b.insns:
        if i.op.startswith("nop"):
            continue
        if i.op in ("br.call", "brl.call") and branch is None:
            branch = i
            continue
        return None, f"holds '{i.text()}'"
    return branch, None


def verify(obj: ElfObject, impls: dict[int, int]) -> RetargetReport:
    rep = RetargetReport(obj.path)
    for rec in obj.records or []:
        rep.sites += 1
        name = catalog.type_name(rec.type)
        where = f"{obj.path}: {obj.where(rec.start)}: site of {name}"
        want = impls.get(rec.type, rec.target)
        try:
            bundles = list(ia64.iter_bundles(obj.read(rec.start, rec.end - rec.start),
                                             rec.start))
        except (ia64.DecodeError, ObjectError) as e:
            rep.violations.append(f"{where}: region unreadable ({e})")
            continue
        first, problem = _transfer(bundles[0])
        if problem is None and first is None:
            problem = "has no br.call/brl.call in its first bundle"
        for b in bundles[1:]:
            extra, why = _transfer(b)
            if problem is None and (why or extra is not None):
                problem = f"bundle {b.addr:#x} is not a nop bundle ({why or extra.text()})"
        if problem is None and (first.qp or first.fields.get("b1") != 0):
            problem = f"the transfer is '{first.text()}', not an unpredicated call through b0"
        if problem is None:
            got = first.fields["target"]
            if got != want:
                what = "the registered implementation" if rec.type in impls else \
                    "its C implementation (no implementation registered)"
                problem = (f"transfers to {obj.where(got)} ({got:#x}), expected {what} "
                           f"{obj.where(want)}")
        if problem:
            rep.violations.append(f"{where}: {problem}")
        elif rec.type in impls:
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
            obj = open_object(path, require_records=True)
            rep = verify(obj, read_impls(table_path, obj))
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
