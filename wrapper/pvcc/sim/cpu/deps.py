"""Register dependency masks for the executor's instruction-group check.

The decoder's semantic layer (``pvcc.ia64.semantics``) says which registers an
instruction reads and writes and which in-group dependencies the architecture
allows; this module turns that into two bit masks per instruction so that the
compiled bundles check a group with a few integer operations:

* ``reads``: the registers whose earlier write in the group is a RAW violation
  (a branch's own qualifying predicate, the branch register of an indirect
  branch and the ar.pfs of a return are left out: they may be set in the
  group);
* ``writes``: the registers whose later read or write in the group is a
  violation (a branch writes only when taken, and a taken branch ends the
  group, so branches other than the loop branches write nothing here; an
  alloc's new frame and a check load's target may be used in the group);
* ``parallel``: the predicates are written by an and-/or-type compare, which
  may write a predicate another parallel compare wrote.

Bits: GR n -> n, PR n -> 128+n, BR n -> 192+n, FR n -> 200+n, every other
name (ar.*, cr.*, psr, cfm, rr, tlb, ...) gets the next free bit.
"""

from __future__ import annotations

from ...ia64 import semantics

GR, PR, BR, FR = 0, 128, 192, 200
_BITS: dict[str, int] = {}
_NAMES: dict[int, str] = {}
_NEXT = [FR + 128]
_PR_MASK = ((1 << 64) - 1) << PR
_ALWAYS_WRITES = frozenset(("br.cloop", "br.ctop", "br.cexit", "br.wtop", "br.wexit"))


def bit(name: str) -> int:
    b = _BITS.get(name)
    if b is not None:
        return b
    cls, num = name[0], name[1:]
    if cls in "rpbf" and num.isdigit():
        b = {"r": GR, "p": PR, "b": BR, "f": FR}[cls] + int(num)
    else:
        b = _NEXT[0]
        _NEXT[0] += 1
    _BITS[name] = b
    _NAMES[b] = name
    return b


def _mask(names) -> int:
    m = 0
    for n in names:
        if "{" not in n:  # ar.unat{x}: one bit chosen by the address, not tracked
            m |= 1 << bit(n)
    return m


_CACHE: dict = {}


def reads_writes(i) -> tuple[int, int, bool]:
    """(reads, writes, parallel) of a decoded instruction."""
    key = (i.unit, i.raw, i.raw_l)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) > 1 << 16:
            _CACHE.clear()
        hit = _CACHE[key] = _reads_writes(i)
    return hit


def _reads_writes(i) -> tuple[int, int, bool]:
    e = semantics.effects(i)
    reads = set(e.reads)
    writes = set(e.writes)
    if e.kind in semantics.TRANSFERS:
        reads.discard(f"p{i.qp}")
        if e.kind in semantics.INDIRECT:
            reads.discard(f"b{i.fields.get('b2')}")
        if e.kind == semantics.RETURN:
            reads.discard("ar.pfs")
        if i.op not in _ALWAYS_WRITES:
            writes = set()
    if e.kind == semantics.ALLOC:
        writes.discard("cfm")
    if e.check_load:
        writes.discard(f"r{i.fields.get('r1')}")
        writes.discard(f"f{i.fields.get('f1')}")
    if semantics.writes_fr(writes):
        # psr.mfl/mfh, written implicitly by every FR write: FR writers may share a
        # group, which one bit per resource cannot say (group_violations does)
        writes.difference_update(("psr.mfl", "psr.mfh"))
    parallel = any(t != "norm" for _, t in e.pr_types)
    return _mask(reads), _mask(writes), parallel


def waw_mask(writes: int, parallel: bool) -> int:
    """The writes checked for write-after-write (a parallel compare's predicates are not)."""
    return writes & ~_PR_MASK if parallel else writes


def names(mask: int) -> list[str]:
    """Register names of a mask (for messages)."""
    out = []
    n = 0
    while mask:
        if mask & 1:
            if n < PR:
                out.append(f"r{n}")
            elif n < BR:
                out.append(f"p{n - PR}")
            elif n < FR:
                out.append(f"b{n - BR}")
            elif n < FR + 128:
                out.append(f"f{n - FR}")
            else:
                out.append(_NAMES.get(n, f"resource{n}"))
        mask >>= 1
        n += 1
    return out
