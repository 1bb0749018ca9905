"""An independent reading of a compiled object, from binutils' own text output.

The testcases judge the plugin with `ia64-linux-gnu-objdump` and
`ia64-linux-gnu-readelf`, not with pvcc's decoder and ELF reader, so a bug in
those cannot hide a bug in the plugin (pvcc-check is run as well, separately).
Only `.text` is handled: the testcases do not use -ffunction-sections.
"""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass, field

from pvcc import catalog

OBJDUMP = "ia64-linux-gnu-objdump"
READELF = "ia64-linux-gnu-readelf"


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


@dataclass
class Bundle:
    addr: int
    template: str  # e.g. "MIB"
    slots: list[str] = field(default_factory=list)  # instruction text, ";;" stripped
    stops: list[bool] = field(default_factory=list)  # a stop after each slot

    @property
    def ends_group(self) -> bool:
        return bool(self.stops) and self.stops[-1]

    def text(self) -> str:
        body = " ; ".join(s + (" ;;" if st else "") for s, st in zip(self.slots, self.stops))
        return f"{self.addr:#06x} [{self.template}] {body}"


@dataclass
class Function:
    name: str
    start: int
    bundles: list[Bundle] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.bundles[-1].addr + 16 if self.bundles else self.start

    def insns(self):
        for b in self.bundles:
            for slot in b.slots:
                yield b.addr, slot


_FUNC = re.compile(r"^([0-9a-f]+) <(.+)>:$")
_BUNDLE = re.compile(r"^\s*([0-9a-f]+):\s+\[(\w+)\]\s+(.*)$")
_SLOT = re.compile(r"^\s*[0-9a-f]+:\s+(\S.*)$")


def disassemble(obj: str) -> list[Function]:
    functions: list[Function] = []
    for line in _run(OBJDUMP, "-d", "--no-show-raw-insn", obj).splitlines():
        if m := _FUNC.match(line):
            functions.append(Function(m.group(2), int(m.group(1), 16)))
            continue
        m = _BUNDLE.match(line)
        if m and functions:
            functions[-1].bundles.append(Bundle(int(m.group(1), 16), m.group(2)))
            _add_slot(functions[-1].bundles[-1], m.group(3))
            continue
        m = _SLOT.match(line)
        if m and functions and functions[-1].bundles:
            _add_slot(functions[-1].bundles[-1], m.group(1))
    return functions


def _add_slot(bundle: Bundle, text: str) -> None:
    text = text.strip()
    stop = text.endswith(";;")
    bundle.slots.append(text[:-2].strip() if stop else text)
    bundle.stops.append(stop)


@dataclass
class Reloc:
    offset: int
    type: str
    symbol: str
    value: int  # symbol value + addend


def relocations(obj: str, section: str) -> list[Reloc]:
    out = _run(READELF, "-r", "-W", obj)
    relocs, current = [], None
    for line in out.splitlines():
        if line.startswith("Relocation section"):
            current = line.split("'")[1]
            continue
        if current != ".rela" + section:
            continue
        parts = line.split()
        if len(parts) >= 7 and re.fullmatch(r"[0-9a-f]{16}", parts[0]):
            value = int(parts[3], 16) + int(parts[-1], 16) * (-1 if parts[-2] == "-" else 1)
            relocs.append(Reloc(int(parts[0], 16), parts[2], parts[4], value))
    return relocs


def section_bytes(obj: str, section: str) -> bytes | None:
    try:
        out = _run(OBJDUMP, "-s", "-j", section, obj)
    except subprocess.CalledProcessError:
        return None
    if f"Contents of section {section}:" not in out:
        return None
    data = bytearray()
    for line in out.splitlines():
        m = re.match(r"^ [0-9a-f]{4,} ((?:[0-9a-f]{2,8} ?){1,4})", line)
        if m:
            data += bytes.fromhex(m.group(1).replace(" ", ""))
    return bytes(data)


@dataclass
class Record:
    start: int
    end: int
    func_addr: int  # entry of the function F holding the site
    target: str  # symbol the site calls
    type: int
    version: int
    conv: int
    nargs: int
    result: int
    sol: int
    sof: int
    flags: int
    args: bytes

    @property
    def type_name(self) -> str:
        """The type, and "+srlz.d" when the record's flag bit 1 says the site
        carries the srlz.d that followed it (docs/records.md)."""
        return catalog.type_name(self.type) + ("+srlz.d" if self.flags & 0x2 else "")


def records(obj: str) -> list[Record]:
    data = section_bytes(obj, catalog.SECTION)
    if data is None:
        return []
    relocs = {r.offset: r for r in relocations(obj, catalog.SECTION)}
    assert len(data) % catalog.RECORD_SIZE == 0, f"{catalog.SECTION} is {len(data)} bytes"
    result = []
    for off in range(0, len(data), catalog.RECORD_SIZE):
        raw = data[off:off + catalog.RECORD_SIZE]
        (type_, version, conv, nargs, res, sol, sof, flags) = struct.unpack_from(
            "<IBBBBBBH", raw, 32)
        result.append(Record(
            start=relocs[off].value, end=relocs[off + 8].value,
            func_addr=relocs[off + 16].value, target=relocs[off + 24].symbol,
            type=type_, version=version, conv=conv, nargs=nargs, result=res,
            sol=sol, sof=sof, flags=flags, args=raw[48:56]))
    return result


def compat_records(obj: str) -> list[tuple[int, int, int]]:
    data = section_bytes(obj, catalog.COMPAT_SECTION)
    if data is None:
        return []
    relocs = {r.offset: r for r in relocations(obj, catalog.COMPAT_SECTION)}
    return [(relocs[off].value, relocs[off + 8].value,
             struct.unpack_from("<Q", data, off + 16)[0])
            for off in range(0, len(data), catalog.COMPAT_RECORD_SIZE)]


_NOP = re.compile(r"^nop(\.[mifbx])? 0x0$")
_ALLOC = re.compile(r"^alloc r(\d+)=ar\.pfs,(\d+),(\d+),(\d+)$")


def function_at(functions: list[Function], addr: int) -> Function | None:
    return next((f for f in functions if f.start <= addr < f.end), None)


def site_problems(obj: str, functions: list[Function], rec: Record) -> list[str]:
    """Everything wrong with one site, read from objdump/readelf text."""
    problems = []
    intr, _reg = catalog.intrinsic_for(rec.type) or (None, None)
    if intr is None:
        return [f"unknown type {rec.type:#x}"]
    fn = function_at(functions, rec.start)
    if fn is None:
        return [f"region {rec.start:#x} is in no function"]
    if fn.start != rec.func_addr:
        problems.append(f"record names function at {rec.func_addr:#x}, region is in {fn.name}")
    if rec.start % 16 or rec.end % 16 or rec.end - rec.start != 16 * intr.bundles:
        problems.append(f"region {rec.start:#x}..{rec.end:#x} is not {intr.bundles} bundle(s)")
        return problems
    if rec.conv == catalog.CONV_LIGHT:
        return problems + _light_site_problems(obj, fn, rec, intr, _reg)
    if (rec.version, rec.conv, rec.nargs) != (1, catalog.CONV_C, intr.nargs):
        problems.append(f"version/conv/nargs {rec.version}/{rec.conv}/{rec.nargs}")
    if rec.result != (8 if intr.returns else 0):
        problems.append(f"result register r{rec.result}")
    if rec.args != bytes([0x80 | i for i in range(intr.nargs)] + [0] * (8 - intr.nargs)):
        problems.append(f"argument registers {rec.args.hex()}")

    region = [b for b in fn.bundles if rec.start <= b.addr < rec.end]
    before = [b for b in fn.bundles if b.addr < rec.start]
    # Only nops may stand between the last stop and the region (gas pads a
    # loop head aligned by GCC with a nop bundle that has no stop).
    for b in reversed(before):
        if b.ends_group:
            break
        if not all(_NOP.match(s) for s in b.slots):
            problems.append("no stop before the region: " + b.text())
            break
    if not region[-1].ends_group:
        problems.append("no stop after the region: " + region[-1].text())
    calls = [(b, s) for b in region for s in b.slots if not _NOP.match(s)]
    if len(calls) != 1 or not calls[0][1].startswith("br.call.sptk.many b0="):
        problems.append("region holds more than the call: "
                        + " | ".join(b.text() for b in region))
    elif calls[0][0] is not region[0]:
        problems.append("the call is not in the first bundle of the region")
    branch = [r for r in relocations(obj, ".text")
              if r.type == "R_IA64_PCREL21B" and rec.start <= r.offset < rec.start + 16]
    if [r.symbol for r in branch] != [rec.target]:
        problems.append(f"call relocation {branch} does not name {rec.target}")

    allocs = [m for _, s in fn.insns() if (m := _ALLOC.match(s))]
    if len(allocs) != 1:
        return problems + [f"{len(allocs)} allocs in {fn.name}"]
    pfs, sof, sol, _sor = (int(x) for x in allocs[0].groups())
    if sof - sol < intr.nargs:
        problems.append(f"alloc has {sof - sol} outputs, {intr.name} needs {intr.nargs}")
    if (rec.sol, rec.sof) != (sol, sof):
        problems.append(f"record frame sol={rec.sol} sof={rec.sof}, alloc sol={sol} sof={sof}")
    if not 32 <= pfs < 32 + sol:
        problems.append(f"ar.pfs saved in r{pfs}, not in a local")
    problems += _return_problems(fn, pfs)
    return problems


def _stop_before(fn: Function, start: int) -> bool:
    for b in reversed([b for b in fn.bundles if b.addr < start]):
        if b.ends_group:
            return True
        if not all(_NOP.match(s) for s in b.slots):
            return False
    return True


def _light_site_problems(obj: str, fn: Function, rec: Record, intr, _reg) -> list[str]:
    """A light site: nop bundles, then [MIB] nop.m or mov rS=rX; mov r2=ip; br.cond target
    ;; (the moved argument, catalog.light_moved_arg: from the register the record
    names into its static one) and the caller's frame exactly as it is (the
    record's sol/sof are its alloc's, or 0)."""
    problems = []
    if (rec.version, rec.nargs) != (1, intr.nargs):
        problems.append(f"version/nargs {rec.version}/{rec.nargs}")
    if rec.result != (catalog.LIGHT_RESULT if intr.returns else 0):
        problems.append(f"result register r{rec.result}")
    want = bytearray(bytes(catalog.light_arg_registers(intr)) + bytes(8 - intr.nargs))
    moved = catalog.light_moved_arg(intr)
    move = _NOP
    if moved is not None:
        a = rec.args[moved]         # any register: r0..r127, or 0x80|k for out k
        src = 32 + rec.sol + (a & 0x7F) if a & 0x80 else a
        if src != catalog.LIGHT_ARGS[moved]:    # else it is there already: a nop
            move = re.compile(rf"^mov r{catalog.LIGHT_ARGS[moved]}=r{src}$")
        want[moved] = a
    if rec.args != bytes(want):
        problems.append(f"argument registers {rec.args.hex()}, expected {bytes(want).hex()}")
    if not rec.target.startswith(catalog.LIGHT_PREFIX):
        problems.append(f"target {rec.target} is not a light implementation")
    elif _reg is not None and not rec.target.endswith(f"_{_reg}"):
        problems.append(f"target {rec.target} does not name register {_reg}")
    region = [b for b in fn.bundles if rec.start <= b.addr < rec.end]
    if not _stop_before(fn, rec.start):
        problems.append("no stop before the region")
    for b in region[:-1]:
        if not all(_NOP.match(s) for s in b.slots) or not b.ends_group:
            problems.append("a reserved bundle is not nops with a stop: " + b.text())
    last = region[-1]
    # objdump spells br.cond.sptk.many as br.many
    if (last.template != "MIB" or not move.match(last.slots[0])
            or last.slots[1] != f"mov r{catalog.LIGHT_LINK}=ip"
            or not re.match(r"^br\.(cond\.sptk\.)?many ", last.slots[2]) or not last.ends_group):
        problems.append(f"the transfer bundle is not [MIB] {move.pattern}; mov r2=ip; "
                        f"br.cond ;; : " + last.text())
    branch = [r for r in relocations(obj, ".text")
              if r.type == "R_IA64_PCREL21B" and last.addr <= r.offset < last.addr + 16]
    if [r.symbol for r in branch] != [rec.target]:
        problems.append(f"branch relocation {branch} does not name {rec.target}")
    allocs = [m for _, s in fn.insns() if (m := _ALLOC.match(s))]
    sol, sof = (0, 0)
    if allocs:
        _pfs, sof, sol, _sor = (int(x) for x in allocs[0].groups())
    if (rec.sol, rec.sof) != (sol, sof):
        problems.append(f"record frame sol={rec.sol} sof={rec.sof}, function has "
                        f"sol={sol} sof={sof}")
    return problems


def leaf_problems(fn: Function) -> list[str]:
    """Why fn is not a leaf that kept its caller's frame: an alloc, a call, b0 touched."""
    problems = []
    for addr, s in fn.insns():
        # b0 the register, not a branch target at address 0xb0 ("br.many b0 <f+0x20>")
        touches_b0 = re.search(r"\bb0\b(?! <)", s) and not s.startswith("br.ret")
        if _ALLOC.match(s) or s.startswith(("br.call", "brl.call")) or touches_b0:
            problems.append(f"{addr:#x}: {s}")
    return problems


def _return_problems(fn: Function, pfs: int) -> list[str]:
    """b0 copied into a register; b0 (from a copy) and ar.pfs restored before each br.ret.

    A function that also reads __builtin_return_address(0) copies b0 twice.
    """
    homes = {m.group(1) for _, s in fn.insns() if (m := re.match(r"^mov r(\d+)=b0$", s))}
    if not homes:
        return [f"b0 is never saved in {fn.name}"]
    problems = []
    seen_b0 = seen_pfs = False
    for addr, s in fn.insns():
        seen_b0 |= bool((m := re.match(r"^mov b0=r(\d+)$", s)) and m.group(1) in homes)
        seen_pfs |= bool(re.match(rf"^mov(\.i)? ar\.pfs=r{pfs}$", s))
        if s.startswith("br.ret") and not (seen_b0 and seen_pfs):
            problems.append(f"br.ret at {addr:#x} without restoring b0 and ar.pfs")
    return problems


def text_bytes(obj: str) -> bytes:
    return section_bytes(obj, ".text") or b""
