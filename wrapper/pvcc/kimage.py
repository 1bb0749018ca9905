"""Run the kernel's boot-time patcher (kernel/pvcc_patch.c) outside the kernel.

`build_image` lays out an object as the patcher sees it in memory, in the
format `kernel/pvcc_patch_run.c` reads: for a linked file (vmlinux) its
PT_LOAD segments at their virtual addresses and the record table where
`.pvcc_sites` lies in them; for a relocatable one (.o, .ko) its allocated
sections at the synthetic addresses `objects` gives them plus the records,
resolved, in a segment of their own.  `run` executes a compiled
pvcc_patch_run (on the build host, or under pvcc-sim) over the image and
returns the patched segments; `compare_native` proves them byte-identical to
what `pvcc-check --patch native` wrote, site by site, and unchanged
everywhere else; `write_patched` puts them back into a copy of the ELF file
(for `pvcc-check --verify-retarget`).

    python -m pvcc.kimage RUNNER ELF [--native NATIVE_ELF] [--impls FILE -o OUT]
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from . import catalog, cli
from .atomicfile import write_atomic
from .objects import ElfObject, ObjectError, open_object, pack_record

MAGIC = b"PVCCIMG1"


class ImageError(Exception):
    """The image cannot be built, the runner failed, or the result differs."""


@dataclass
class Segment:
    vaddr: int
    data: bytes
    file_offset: int | None   # where the bytes live in the ELF file, None: synthetic
    file_size: int = 0        # how many of them the file holds (the rest is .bss)


def _segments(obj: ElfObject) -> list[Segment]:
    if not obj.relocatable:
        return [Segment(s.vaddr, obj.data[s.offset:s.offset + s.filesz]
                        + bytes(s.memsz - s.filesz), s.offset, s.filesz)
                for s in obj.segments if s.memsz]
    return [Segment(s.addr, obj.data[s.offset:s.offset + s.size], s.offset, s.size)
            for s in obj.sections if s.allocated and s.size and not s.nobits]


def native_table(obj: ElfObject) -> int:
    """The address of OBJ's .pvcc_native (the sites' native code encoded at link
    time, an entry per record) when it has one of the records' size, else 0."""
    from .native_table import ENTRY, SECTION

    n = len(obj.records or [])
    for s in obj.sections:
        if s.name == SECTION and n and s.size == ENTRY.size * n and not s.nobits \
                and not obj.relocatable:
            return s.addr
    return 0


def build_image(obj: ElfObject, impls: dict[int, int] | None = None) -> tuple[bytes, list[Segment]]:
    """The image of OBJ for pvcc_patch_run; IMPLS (retarget.impl_key(type, conv) ->
    address): retarget mode."""
    recs = obj.records or []
    segs = _segments(obj)
    if obj.relocatable or obj.record_section is None:
        top = max((s.vaddr + len(s.data) for s in segs), default=0)
        table = (top + 0xFFFF) & ~0xFFFF
        segs.append(Segment(table, b"".join(pack_record(r) for r in recs), None))
    else:
        table = obj.record_section.addr
    return image_from(segs, table, len(recs), impls, native_table(obj)), segs


def image_from(segs: list[Segment], table: int, count: int,
               impls: dict[int, int] | None = None, native: int = 0) -> bytes:
    """SEGS with COUNT records at address TABLE, in pvcc_patch_run's format; NATIVE:
    the address of their .pvcc_native entries, 0 for none."""
    impls = impls or {}
    out = [MAGIC, struct.pack("<QQQQQQ", 1 if impls else 0, len(segs), len(impls), table,
                              count, native)]
    for s in segs:
        out.append(struct.pack("<QQ", s.vaddr, len(s.data)))
        out.append(s.data + bytes(-len(s.data) % 8))
    for t, a in sorted(impls.items()):
        out.append(struct.pack("<QQ", t, a))
    return b"".join(out)


def run_image(runner: list[str], image: bytes,
              timeout: float = 3600) -> tuple[list[tuple[int, bytes]], str]:
    """Run RUNNER (argv prefix: the host binary, or pvcc-sim and the IA-64 one) on IMAGE."""
    with tempfile.TemporaryDirectory(prefix="pvcc-kimage-") as d:
        src, dst = os.path.join(d, "image"), os.path.join(d, "out")
        with open(src, "wb") as f:
            f.write(image)
        p = subprocess.run([*runner, src, dst], capture_output=True, text=True, timeout=timeout,
                           check=False)
        if p.returncode != 0:
            raise ImageError(f"{' '.join(runner)} exited {p.returncode}: "
                             f"{(p.stderr or p.stdout).strip()[-2000:]}")
        with open(dst, "rb") as f:
            return read_image(f.read()), p.stdout


def read_image(data: bytes) -> list[tuple[int, bytes]]:
    if data[:8] != MAGIC or len(data) < 56:
        raise ImageError("the patcher's output is not a pvcc patch image")
    nsegs = struct.unpack_from("<Q", data, 16)[0]
    pos, out = 56, []
    for _ in range(nsegs):
        vaddr, size = struct.unpack_from("<QQ", data, pos)
        pos += 16
        out.append((vaddr, data[pos:pos + size]))
        pos += size + (-size % 8)
    return out


def run(runner: list[str], obj: ElfObject, impls: dict[int, int] | None = None,
        timeout: float = 3600) -> tuple[list[tuple[int, bytes]], str]:
    """Run RUNNER over OBJ's image (see run_image)."""
    return run_image(runner, build_image(obj, impls)[0], timeout)


JOB_MAGIC = 0x31424F4A43435650   # "PVCCJOB1" (kernel/pvcc_patch_sim.c)
SIM_MAX_SEGS, SIM_MAX_IMPLS = 32, 512


def run_sim(prog: str, obj: ElfObject, impls: dict[int, int] | None = None,
            max_insns: int | None = None) -> tuple[list[tuple[int, bytes]], str]:
    """Run kernel/pvcc_patch_sim.c (built with `pvcc-sim cc` into PROG) in pvcc-sim
    over OBJ's segments mapped at their own addresses; patched in place there."""
    recs = obj.records or []
    _, segs = build_image(obj, impls)
    table = segs[-1].vaddr if (obj.relocatable or obj.record_section is None) else \
        obj.record_section.addr
    return run_sim_segments(prog, segs, table, len(recs), impls, max_insns, native_table(obj))


def run_sim_segments(prog: str, segs: list[Segment], table: int, count: int,
                     impls: dict[int, int] | None = None,
                     max_insns: int | None = None,
                     native: int = 0) -> tuple[list[tuple[int, bytes]], str]:
    """run_sim over SEGS with COUNT records at address TABLE (their .pvcc_native
    entries at NATIVE, 0: none)."""
    from .sim.board import Board
    from .sim.cpu.memory import PAGE_SIZE
    from .sim.errors import SimError
    from .sim.platform.userland import syscalls
    from .sim.platform.userland.loader import load

    impls = impls or {}
    if len(segs) > SIM_MAX_SEGS or len(impls) > SIM_MAX_IMPLS:
        raise ImageError("too many segments or implementations for the model")
    img = None
    out = io.BytesIO()
    try:
        board = Board(nphys=96, out=out, err=out)
        st = board.state
        img = load(st, prog, [prog])
        board.images.append(img)
        job_at = img.symbols.get("pvcc_sim_job")
        if job_at is None:
            raise ImageError(f"{prog}: no pvcc_sim_job (not built from pvcc_patch_sim.c)")
        spans: list[list[int]] = []
        for s in sorted(segs, key=lambda s: s.vaddr):
            lo = s.vaddr & ~(PAGE_SIZE - 1)
            hi = (s.vaddr + len(s.data) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if spans and lo <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], hi)
            else:
                spans.append([lo, hi])
        for lo, hi in spans:
            st.mem.map(lo, hi - lo, f"image {lo:#x}")
        for s in segs:
            st.mem.write_bytes(s.vaddr, s.data)
        words = [JOB_MAGIC, 1 if impls else 0, table, count, len(segs), len(impls)]
        seg_words = [w for s in segs for w in (s.vaddr, len(s.data))]
        seg_words += [0] * (2 * SIM_MAX_SEGS - len(seg_words))
        impl_words = [w for t, a in sorted(impls.items()) for w in (t, a)]
        st.mem.write_bytes(job_at, struct.pack(f"<{len(words) + len(seg_words)}Q",
                                               *words, *seg_words))
        if impl_words:
            st.mem.write_bytes(job_at + 8 * (len(words) + 2 * SIM_MAX_SEGS),
                               struct.pack(f"<{len(impl_words)}Q", *impl_words))
        st.mem.write_bytes(job_at + 8 * (len(words) + 2 * SIM_MAX_SEGS + 2 * SIM_MAX_IMPLS),
                           struct.pack("<Q", native))
        board.plug(syscalls.Syscalls(board.ex))
        status, error = board.run(st.ip, max_insns)
        if error is not None:
            raise error
        if status != 0:
            raise ImageError(f"{prog} in pvcc-sim exited {status}: "
                             f"{out.getvalue().decode(errors='replace').strip()[-2000:]}")
        patched = [(s.vaddr, st.mem.read_bytes(s.vaddr, len(s.data))) for s in segs]
    except SimError as e:
        addr = getattr(e, "addr", None)
        where = f"{img.symbolize(addr)}: " if img is not None and addr is not None else ""
        raise ImageError(f"{prog} in pvcc-sim: {where}{e.msg}") from None
    return patched, out.getvalue().decode(errors="replace")


def _region(segs: list[tuple[int, bytes]], addr: int, n: int) -> bytes | None:
    for vaddr, body in segs:
        if vaddr <= addr and addr + n <= vaddr + len(body):
            return body[addr - vaddr:addr - vaddr + n]
    return None


def compare_native(obj: ElfObject, patched: list[tuple[int, bytes]], native: ElfObject) -> dict:
    """Site by site: the patcher's bytes against NATIVE (pvcc-check --patch native's
    output); outside the sites: the patcher's bytes against OBJ itself."""
    differ: list[str] = []
    recs = obj.records or []
    for rec in recs:
        n = rec.end - rec.start
        got = _region(patched, rec.start, n)
        want = native.read(rec.start, n)
        if got != want:
            differ.append(f"{obj.where(rec.start)} ({catalog.type_name(rec.type)}): "
                          f"patcher {got.hex() if got else None} != native {want.hex()}")
    outside = 0
    sites = sorted((r.start, r.end) for r in recs)
    orig = _segments(obj)
    for (vaddr, body), seg in zip(patched, orig):
        if len(body) != len(seg.data):
            raise ImageError(f"segment {vaddr:#x} changed size")
        masked_a, masked_b = bytearray(body), bytearray(seg.data)
        for s, e in sites:
            if vaddr <= s and e <= vaddr + len(body):
                masked_a[s - vaddr:e - vaddr] = masked_b[s - vaddr:e - vaddr] = bytes(e - s)
        if masked_a != masked_b:
            outside += sum(1 for x, y in zip(masked_a, masked_b) if x != y)
    return {"sites": len(recs), "identical": len(recs) - len(differ), "differ": differ,
            "bytes_changed_outside_sites": outside}


def write_patched(obj: ElfObject, patched: list[tuple[int, bytes]], out: str) -> None:
    """A copy of OBJ's file with the patched segments in place (never half-written)."""
    buf = bytearray(obj.data)
    for (vaddr, body), seg in zip(patched, _segments(obj)):
        if seg.file_offset is None:
            continue
        if body[seg.file_size:] != seg.data[seg.file_size:]:
            raise ImageError(f"the patcher wrote into the .bss of segment {vaddr:#x}")
        buf[seg.file_offset:seg.file_offset + seg.file_size] = body[:seg.file_size]
    write_atomic(out, buf, mode=0o755 if obj.data[16] == 2 else 0o644)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pvcc.kimage",
                                description="run the kernel's patcher over an ELF file")
    p.add_argument("runner", help="the patcher: pvcc_patch_run built for the host, or with "
                   "--sim pvcc_patch_sim built by `pvcc-sim cc`")
    p.add_argument("--sim", action="store_true", help="run RUNNER in pvcc-sim, in place")
    p.add_argument("elf")
    p.add_argument("--native", metavar="NATIVE_ELF",
                   help="pvcc-check --patch native's output: compare site by site")
    p.add_argument("--impls", metavar="FILE",
                   help="retarget: lines 'TYPE ADDRESS' (see pvcc-check --verify-retarget)")
    p.add_argument("-o", "--output", help="write the patched ELF file here")
    a = p.parse_args(argv)
    return cli.run("pvcc.kimage", lambda: _main(a),
                   errors=((ObjectError, 1), (ImageError, 1), (OSError, 1), (ValueError, 1)))


def _main(a: argparse.Namespace) -> int:
    obj = open_object(a.elf, require_records=True)
    impls = None
    if a.impls:
        from .retarget import read_impls
        impls = read_impls(a.impls, obj)
    if a.sim:
        segs, report = run_sim(a.runner, obj, impls)
    else:
        segs, report = run(a.runner.split(), obj, impls)
    sys.stdout.write(report)
    status = 0
    if a.native:
        r = compare_native(obj, segs, open_object(a.native, require_records=True))
        for line in r["differ"][:20]:
            print(f"differs: {line}")
        print(f"{r['identical']} of {r['sites']} sites byte-identical to {a.native}; "
              f"{r['bytes_changed_outside_sites']} bytes changed outside the sites")
        if r["differ"] or r["bytes_changed_outside_sites"]:
            status = 1
    if a.output:
        write_patched(obj, segs, a.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
