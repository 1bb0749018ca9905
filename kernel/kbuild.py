#!/usr/bin/env python3
"""Helpers of kernel/build.sh (Linux 6.1 arch/ia64 built plain and with CC=pvcc).

    kbuild.py timed JSON NAME OBJDIR CC FRESH -- CMD...
        run CMD, record its wall time and the children's user+sys CPU time
        (os.times) and the compiler invocations (counted from OBJDIR's .cmd
        files) under NAME in the JSON file; exit with CMD's status
    kbuild.py count OBJDIR CC
        compiler invocations recorded in OBJDIR's .cmd files, by kind
    kbuild.py compare DIR_A DIR_B [--cc-a CC --cc-b CC] [--json FILE]
        compare the executable sections (.text, .init.text, ...) of every
        *.o under the two build directories; print each difference with the
        file and the reason; exit 1 if any
    kbuild.py passthru VMLINUX
        the pass-through hypervisor's registrations in vmlinux are
        python -m pvcc.passthru_impls' (type, C function, light entry)
    kbuild.py leaf OBJ [PREFIX]
        prove that every PREFIX* function (default paravirt_: the native table) is a leaf
        without alloc and without a memory stack frame
    kbuild.py samples PATCH_JSON PARAVIRT_VMLINUX NATIVE_VMLINUX PLAIN_VMLINUX
        disassemble a few sites: the call in the paravirtualized vmlinux, the
        patched native code, and the same function in the plain kernel
    kbuild.py functions PLAIN_VMLINUX OTHER_VMLINUX [--json FILE] [--c-calls]
    kbuild.py functions PLAIN_DIR PARAVIRT_DIR [--json FILE] [--c-calls]
        compare two kernels function by function from ia64-linux-gnu-objdump's
        reading (independent of pvcc's decoder): functions present in both,
        how many changed (their instruction text differs, addresses of other
        symbols and data normalised away), bundles before/after, and every
        function that gains an alloc or a copy of b0 (mov rX=b0); exit 1 if any
        function gains one, unless --c-calls (the kernel's sites are C calls,
        PVCC_KERNEL_CONV=c: a leaf that holds one gains both by design, and
        they are listed, not failed).  Given two build directories, the comparison is
        object by object (every *.o both have; one with .pvcc_sites is first
        patched native with pvcc-check --patch native into a temporary copy),
        which works on partial builds too
    kbuild.py siteobjs PLAIN_DIR
        the objects of a plain build whose code holds a privileged instruction
        that the paravirt build routes through an intrinsic (ssm, rsm, psr,
        cr, ar.k0-7/ar.itc, thash, fc, ptc.ga, rr, cpuid, pmd): the only
        objects whose code a paravirt build can change
    kbuild.py impls ELF
        a hypervisor table for pvcc-check --verify-retarget and the patcher's
        retargeting run: the (type, convention) pairs of ELF's sites by count,
        every other C-call one registered at an address beyond the image
        (brl.call), the others at the implementation of another type in the
        same convention (within br.call's reach, not the site's own target),
        the last two not registered
    kbuild.py config FRAGMENT DOTCONFIG [--patch PATCH] [--off SYMBOL...]
        check a .config against the fragment it was made from: every
        CONFIG_X=value line of FRAGMENT holds in DOTCONFIG, every "# CONFIG_X
        is not set" symbol is off (not set or absent), and so is every --off
        SYMBOL; print each option with its result, exit 1 if any fails.  With
        --patch, the options of symbols PATCH declares ("+config X": the pvcc
        patch's) hold only in a paravirt build (CONFIG_PVCC_PARAVIRT=y); in any
        other .config they must be absent, as the unpatched tree has no such
        symbol
    kbuild.py patchopts FRAGMENT PATCH
        the scripts/config arguments (--enable X, --disable X, --set-val X V)
        that set FRAGMENT's options of the symbols PATCH declares: a paravirt
        build applies them once PVCC_PARAVIRT, which they depend on, is on
    kbuild.py initramfs CPIO INIT
        check the initramfs a build made (usr/initramfs_data.cpio, newc): it
        holds /init, a regular executable file with INIT's bytes, and
        /dev/console, the character device 5:1; print its entries
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

OBJDUMP = os.environ.get("OBJDUMP", "ia64-linux-gnu-objdump")
SHF_EXECINSTR = 0x4


# -- compiler invocations ---------------------------------------------------

def _cmd_lines(objdir: Path):
    """(target, command) of every Kbuild .cmd file under objdir."""
    for dirpath, _dirs, files in os.walk(objdir):
        for f in files:
            if not (f.startswith(".") and f.endswith(".cmd")):
                continue
            try:
                with open(os.path.join(dirpath, f), errors="replace") as fh:
                    first = fh.readline()
            except OSError:
                continue
            m = re.match(r"(?:saved)?cmd_(\S+) := (.*)", first)
            if m:
                yield m.group(1), m.group(2).strip()


def count_compiles(objdir: Path, cc: str) -> dict:
    """Compiler invocations that produced a file of the build, by output kind.

    Counts the .cmd files whose command starts with CC (compiles of .c and
    .S, the -S asm-offsets/bounds steps, CPP of linker scripts).  The
    configuration probes of Kbuild and Kconfig leave no .cmd file and are
    not counted.
    """
    kinds: dict[str, int] = {}
    cc_words = cc.split()
    for target, cmd in _cmd_lines(objdir):
        words = cmd.split()
        if words[:len(cc_words)] != cc_words:
            continue
        suffix = Path(target).suffix or Path(target).name
        kinds[suffix] = kinds.get(suffix, 0) + 1
    return {"total": sum(kinds.values()), "by_suffix": dict(sorted(kinds.items()))}


def cmd_count(args: list[str]) -> int:
    objdir, cc = Path(args[0]), args[1]
    print(json.dumps(count_compiles(objdir, cc), indent=2))
    return 0


# -- timing -----------------------------------------------------------------

def cmd_timed(args: list[str]) -> int:
    sep = args.index("--")
    json_path, name, objdir, cc, fresh = args[:sep]
    cmd = args[sep + 1:]
    t0, c0 = time.monotonic(), os.times()
    rc = subprocess.call(cmd)
    t1, c1 = time.monotonic(), os.times()
    user = c1.children_user - c0.children_user
    syst = c1.children_system - c0.children_system
    entry = {
        "wall_s": round(t1 - t0, 2),
        "user_s": round(user, 2),
        "sys_s": round(syst, 2),
        "cpu_s": round(user + syst, 2),
        "fresh": fresh == "1",
        "exit": rc,
        "cc": cc,
        "command": cmd,
        "compiles": count_compiles(Path(objdir), cc),
        "objects": sum(1 for _ in Path(objdir).rglob("*.o")),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadavg_after": list(os.getloadavg()),
    }
    path = Path(json_path)
    data = json.loads(path.read_text()) if path.exists() else {}
    runs = data.setdefault("runs", [])
    runs.append({"name": name, **entry})
    if entry["fresh"] and rc == 0:
        data.setdefault("fresh", {})[name] = entry
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"[{name}] exit {rc}, wall {entry['wall_s']:.0f} s, cpu {entry['cpu_s']:.0f} s "
          f"(user {user:.0f} + sys {syst:.0f}), {entry['compiles']['total']} compiler "
          f"invocations{' (fresh build)' if entry['fresh'] else ' (incremental)'}")
    return rc


# -- .text comparison -------------------------------------------------------

def _exec_sections(path: Path) -> dict[str, bytes] | None:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    try:
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            if elf["e_type"] != "ET_REL":
                return None
            out = {}
            for s in elf.iter_sections():
                if s["sh_flags"] & SHF_EXECINSTR and s["sh_type"] != "SHT_NOBITS":
                    out[s.name] = s.data()
            return out
    except (ELFError, OSError, ValueError):
        return None


def _cmds(objdir: Path) -> dict[str, str]:
    return dict(_cmd_lines(objdir))


def _function_at(path: Path, section: str, offset: int) -> str:
    """The function symbol covering offset in section (for the report)."""
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        idx = next((i for i, s in enumerate(elf.iter_sections()) if s.name == section), None)
        symtab = elf.get_section_by_name(".symtab")
        best = None
        for sym in symtab.iter_symbols() if symtab else ():
            if sym["st_shndx"] == idx and sym["st_info"]["type"] == "STT_FUNC":
                lo, size = sym["st_value"], sym["st_size"]
                if lo <= offset < lo + max(size, 1):
                    best = f"{sym.name}+{offset - lo:#x}"
        return best or f"{section}+{offset:#x}"


def _reason(rel: str, a: dict[str, bytes], b: dict[str, bytes], pa: Path, pb: Path,
            cmd_a: str | None, cmd_b: str | None, cc_a: str, cc_b: str) -> str:
    reasons = []
    if cmd_a is not None and cmd_b is not None:
        na = cmd_a.replace(cc_a, "$(CC)", 1).replace(str(pa.parents[0]), "")
        nb = cmd_b.replace(cc_b, "$(CC)", 1).replace(str(pb.parents[0]), "")
        if na.split() != nb.split():
            reasons.append("different compile command lines")
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if only_a:
        reasons.append(f"sections only in A: {', '.join(only_a)}")
    if only_b:
        reasons.append(f"sections only in B: {', '.join(only_b)}")
    for name in sorted(set(a) & set(b)):
        if a[name] == b[name]:
            continue
        if len(a[name]) != len(b[name]):
            reasons.append(f"{name}: size {len(a[name])} vs {len(b[name])}")
        first = next((i for i, (x, y) in enumerate(zip(a[name], b[name])) if x != y), None)
        if first is not None:
            where = _function_at(pa, name, first & ~15)
            reasons.append(f"{name}: first difference in the bundle at {where}")
    return "; ".join(reasons) or "unknown"


def cmd_compare(args: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="kbuild.py compare")
    ap.add_argument("dir_a", type=Path)
    ap.add_argument("dir_b", type=Path)
    ap.add_argument("--cc-a", default="")
    ap.add_argument("--cc-b", default="")
    ap.add_argument("--json", type=Path)
    ns = ap.parse_args(args)
    rels_a = {p.relative_to(ns.dir_a) for p in ns.dir_a.rglob("*.o")}
    rels_b = {p.relative_to(ns.dir_b) for p in ns.dir_b.rglob("*.o")}
    cmds_a, cmds_b = _cmds(ns.dir_a), _cmds(ns.dir_b)
    compared = skipped = identical = text_only_compared = 0
    sections = 0
    diffs = []
    for rel in sorted(rels_a & rels_b):
        pa, pb = ns.dir_a / rel, ns.dir_b / rel
        a, b = _exec_sections(pa), _exec_sections(pb)
        if a is None or b is None:
            skipped += 1
            continue
        compared += 1
        text_only_compared += ".text" in a
        sections += len(a)
        if a == b:
            identical += 1
            continue
        key = str(rel)
        diffs.append({"file": key, "reason": _reason(
            key, a, b, pa, pb, cmds_a.get(key), cmds_b.get(key), ns.cc_a, ns.cc_b)})
    missing_a = sorted(str(r) for r in rels_b - rels_a)
    missing_b = sorted(str(r) for r in rels_a - rels_b)
    report = {
        "dir_a": str(ns.dir_a), "dir_b": str(ns.dir_b),
        "objects_compared": compared, "objects_with_text": text_only_compared,
        "exec_sections_compared": sections, "identical": identical,
        "differences": diffs, "not_elf_objects": skipped,
        "only_in_a": missing_b, "only_in_b": missing_a,
    }
    print(f"compared {compared} objects ({text_only_compared} with .text, {sections} "
          f"executable sections: .text, .init.text, .text.unlikely, ...): "
          f"{identical} identical, {len(diffs)} different")
    for d in diffs:
        print(f"  DIFF {d['file']}: {d['reason']}")
    for r in missing_b:
        print(f"  only in {ns.dir_a}: {r}")
    for r in missing_a:
        print(f"  only in {ns.dir_b}: {r}")
    if ns.json:
        ns.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if diffs or missing_a or missing_b else 0


# -- the native table is call-safe ------------------------------------------

def cmd_leaf(args: list[str]) -> int:
    obj = args[0]
    prefix = args[1] if len(args) > 1 else "paravirt_"
    out = subprocess.run([OBJDUMP, "-d", obj], check=True, capture_output=True,
                         text=True).stdout
    funcs: dict[str, list[str]] = {}
    cur = None
    for line in out.splitlines():
        m = re.match(r"[0-9a-f]+ <(\S+)>:", line)
        if m:
            cur = m.group(1)
            funcs[cur] = []
        elif cur and "\t" in line:
            funcs[cur].append(line.split("\t")[-1].strip())
    bad = []
    for name, insns in sorted(funcs.items()):
        if not name.startswith(prefix):
            continue
        for i in insns:
            if re.search(r"\balloc\b|\br12\b|\bbr\.call\b|\bsp\b", i):
                bad.append(f"{name}: {i}")
    n = sum(1 for f in funcs if f.startswith(prefix))
    if bad:
        print(f"{obj}: {len(bad)} instruction(s) break the leaf rule:")
        for b in bad:
            print("  " + b)
        return 1
    if not n:
        print(f"{obj}: no {prefix}* function")
        return 1
    print(f"{obj}: {n} {prefix}* functions, none has alloc, a memory stack frame "
          "or a call (safe with psr.ic off)")
    return 0


# -- sample disassembly -----------------------------------------------------

def _nm(vmlinux: str) -> dict[str, int]:
    out = subprocess.run(["ia64-linux-gnu-nm", vmlinux], check=True, capture_output=True,
                         text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tT":
            syms.setdefault(parts[2], int(parts[0], 16))
    return syms


def _disasm(vmlinux: str, start: int, stop: int) -> list[str]:
    out = subprocess.run([OBJDUMP, "-d", f"--start-address={start:#x}",
                          f"--stop-address={stop:#x}", vmlinux],
                         check=True, capture_output=True, text=True).stdout
    lines = []
    for line in out.splitlines():
        if re.match(r"\s*[0-9a-f]+:\t", line):
            addr, rest = line.split(":", 1)
            insn = rest.split("\t")[-1].strip()
            lines.append(f"{int(addr, 16):#x}: {insn}")
    return lines


NATIVE_MNEMONIC = {
    "get_cpuid": r"cpuid\[", "thash": r"\bthash\b", "fc": r"\bfc\b",
    "ptcga": r"ptc\.ga", "get_rr": r"=rr\[", "set_rr": r"mov rr\[",
    "set_rr0_to_rr4": r"mov rr\[", "ssm_i": r"\bssm 0x4000", "rsm_i": r"\brsm 0x4000",
    "intrin_local_irq_restore": r"ssm 0x4000|rsm 0x4000",
    "intrin_local_irq_save": r"mov r\d+=psr|rsm 0x4000",
    "getreg": r"mov r\d+=(psr|cr|ar)", "setreg": r"mov (psr\.l|cr|ar)",
}


def cmd_samples(args: list[str]) -> int:
    check_json, paravirt, native, plain = args[:4]
    want = args[4:] or ["get_cpuid", "thash", "fc", "ptcga", "set_rr0_to_rr4", "ssm_i",
                        "intrin_local_irq_restore", "intrin_local_irq_save", "getreg",
                        "setreg"]
    sites = json.loads(Path(check_json).read_text())["patched"]
    plain_syms, pv_syms = _nm(plain), _nm(paravirt)
    shown = set()
    for s in sites:
        base = s["type"].split("(")[0]
        if base not in want or base in shown:
            continue
        func, _, off = s["where"].partition("+")
        if func not in plain_syms or func not in pv_syms:
            continue
        shown.add(base)
        start = pv_syms[func] + int(off or "0", 16)
        stop = start + 16 * s["bundles"]
        print(f"== {s['type']} at {s['where']} ({start:#x}) ==")
        print("  paravirtualized vmlinux (the site, a recorded call):")
        for line in _disasm(paravirt, start, stop):
            print("    " + line)
        print("  vmlinux.native (patched by pvcc-check --patch native):")
        for line in _disasm(native, start, stop):
            print("    " + line)
        pat = NATIVE_MNEMONIC.get(base)
        fstart = plain_syms[func]
        later = sorted(v for v in plain_syms.values() if v > fstart)
        fstop = later[0] if later else fstart + 0x400
        found = [ln for ln in _disasm(plain, fstart, fstop) if pat and re.search(pat, ln)]
        print(f"  plain vmlinux, {func} (the kernel's own native instruction):")
        for line in found[:4] or ["    (not found: the plain build inlined it elsewhere)"]:
            print("    " + line)
    return 0


def cmd_impls(args: list[str]) -> int:
    from collections import Counter

    from pvcc import catalog
    from pvcc.objects import open_object

    obj = open_object(args[0], require_records=True)
    counts = Counter((r.type, r.conv) for r in obj.records)
    targets = {(r.type, r.conv): r.target for r in obj.records}
    kinds = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    top = max(s.end for s in obj.code_sections)
    far = (top + (1 << 32)) & ~0xFFFF
    print(f"# hypervisor implementations for {args[0]} (kernel/kbuild.py impls)")
    for k, (t, conv) in enumerate(kinds[:-2] if len(kinds) > 2 else kinds):
        # another type's implementation in the same convention, within reach
        other = [targets[u] for u in kinds[k + 1:] + kinds[:k]
                 if u[1] == conv and targets[u] != targets[(t, conv)]]
        if (k % 2 == 0 and conv == catalog.CONV_C) or not other:
            if conv != catalog.CONV_C:
                continue            # a light transfer has no long form
            impl = f"{far + 0x100 * k:#x}"
        else:
            impl = f"{other[0]:#x}"
        print(f"{catalog.type_name(t):28} {impl:20} {catalog.CONV_NAMES[conv]}")
    return 0


def cmd_passthru(args: list[str]) -> int:
    """The registrations the kernel makes under pvcc's pass-through hypervisor
    (pvcc_passthru_impls[] in vmlinux) are python -m pvcc.passthru_impls' table:
    the type, the C function's entry (through its descriptor) and the light entry."""
    import struct

    from pvcc import catalog, passthru_impls
    from pvcc.objects import open_object

    vmlinux = args[0]
    out = subprocess.run(["ia64-linux-gnu-nm", vmlinux], check=True, capture_output=True,
                         text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.setdefault(parts[2], int(parts[0], 16))
    if passthru_impls.IMPLS not in syms:
        print(f"{vmlinux}: no {passthru_impls.IMPLS}")
        return 1
    obj = open_object(vmlinux)
    specs = passthru_impls.specs()
    raw = obj.read(syms[passthru_impls.IMPLS], 24 * len(specs))
    bad = []
    for k, (intr, reg) in enumerate(specs):
        t, _pad, desc, light = struct.unpack_from("<IIQQ", raw, 24 * k)
        entry = struct.unpack("<Q", obj.read(desc, 8))[0]
        want = (passthru_impls.type_id(intr, reg), syms.get(passthru_impls.c_function(intr)),
                syms.get(passthru_impls.light_entry(intr, reg)))
        if (t, entry, light) != want:
            bad.append(f"  [{k}] {catalog.type_name(t)}: type {t:#x}, C entry {entry:#x}, "
                       f"light {light:#x}; expected {want}")
    if bad:
        print(f"{vmlinux}: {len(bad)} registration(s) differ from pvcc.passthru_impls:")
        print("\n".join(bad))
        return 1
    print(f"{vmlinux}: {passthru_impls.IMPLS}[] holds {len(specs)} registrations, each "
          "the generated C function and light entry of its type")
    return 0


_OBJ_FUNC = re.compile(r"^([0-9a-f]{16}) <([^>]+)>:$")
_OBJ_BUNDLE = re.compile(r"^\s*[0-9a-f]+:\s+\[(\w+)\]\s+(.*)$")
_OBJ_SLOT = re.compile(r"^\s*[0-9a-f]+:\s+(\S.*)$")
_BIG_HEX = re.compile(r"\b(0x)?[0-9a-f]{9,16}\b")


def _functions(vmlinux: str) -> dict[str, list[str]]:
    """Function name -> its instructions as objdump prints them (one entry per slot,
    "[T]" before each bundle), for every executable section."""
    out: dict[str, list[str]] = {}
    cur: list[str] | None = None
    proc = subprocess.Popen([OBJDUMP, "-d", "--no-show-raw-insn", vmlinux],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        if m := _OBJ_FUNC.match(line):
            cur = out.setdefault(m.group(2), [])
            continue
        if cur is None:
            continue
        if m := _OBJ_BUNDLE.match(line):
            cur.append(f"[{m.group(1)}]")
            cur.append(m.group(2).strip())
        elif m := _OBJ_SLOT.match(line):
            cur.append(m.group(1).strip())
    proc.wait()
    return out


_TARGET = re.compile(r"\b(?:0x)?[0-9a-f]+ (<[^>]+>)")
_GPREL = re.compile(r"^(addl r\d+=)-?\d+(,r1)$")


def _normal(insn: str) -> str:
    # addresses of other code and data move between two kernels: a branch keeps
    # its <symbol+offset>, gp-relative offsets become GPREL, other large
    # constants ADDR
    return _BIG_HEX.sub("ADDR", _GPREL.sub(r"\1GPREL\2", _TARGET.sub(r"\1", insn)))


def _traits(insns: list[str]) -> tuple[int, bool, bool]:
    bundles = sum(1 for i in insns if i.startswith("["))
    alloc = any(i.startswith("alloc ") for i in insns)
    b0 = any(re.search(r"=b0\b", i) for i in insns)
    return bundles, alloc, b0


def _functions_of_dirs(plain_dir: Path, pv_dir: Path) -> tuple[dict, dict]:
    """(object, function) -> instructions, for every object both build dirs have;
    paravirt objects with sites patched native first."""
    import tempfile

    from pvcc import patch
    from pvcc.objects import ObjectError, open_object

    plain: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for obj in sorted(pv_dir.rglob("*.o")):
            rel = obj.relative_to(pv_dir)
            base = plain_dir / rel
            if not base.is_file() or rel.name.endswith(".mod.o") or rel.parts[0] == "scripts":
                continue
            target = obj
            try:
                if open_object(str(obj)).records:
                    target = Path(tmp) / "native.o"
                    patch.patch_native(str(obj), str(target))
            except (ObjectError, patch.PatchError) as e:
                print(f"{rel}: not compared: {e}", file=sys.stderr)
                continue
            for name, insns in _functions(str(base)).items():
                plain[f"{rel}:{name}"] = insns
            for name, insns in _functions(str(target)).items():
                other[f"{rel}:{name}"] = insns
    return plain, other


_PRIVILEGED = re.compile(r"\s(\(p\d+\) )?(ssm|rsm|thash|fc|ptc\.ga) |=psr\b|psr\.l=|=cr\.|"
                         r"\bcr\.\w+=|=ar\.(k\d|itc)\b|\bar\.(k\d|itc)=|rr\[|cpuid\[|pmd\[")


def cmd_siteobjs(args: list[str]) -> int:
    plain = Path(args[0])
    for o in sorted(plain.rglob("*.o")):
        rel = o.relative_to(plain)
        if rel.parts[0] == "scripts" or o.name.endswith(".mod.o"):
            continue
        text = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(o)],
                              capture_output=True, text=True,
                              check=True).stdout
        if _PRIVILEGED.search(text):
            print(rel)
    return 0


def cmd_functions(args: list[str]) -> int:
    c_calls = "--c-calls" in args
    args = [a for a in args if a != "--c-calls"]
    json_out = None
    if "--json" in args:
        k = args.index("--json")
        json_out = args[k + 1]
        args = args[:k] + args[k + 2:]
    if Path(args[0]).is_dir():
        plain, other = _functions_of_dirs(Path(args[0]), Path(args[1]))
    else:
        plain, other = _functions(args[0]), _functions(args[1])
    common = sorted(set(plain) & set(other))
    changed, gains = [], []
    before = after = 0
    for name in common:
        a, b = plain[name], other[name]
        ta, tb = _traits(a), _traits(b)
        if [_normal(i) for i in a] != [_normal(i) for i in b]:
            changed.append((name, ta[0], tb[0]))
            before += ta[0]
            after += tb[0]
        if (tb[1] and not ta[1]) or (tb[2] and not ta[2]):
            gains.append((name, ta, tb))
    only = sorted(set(other) - set(plain))
    print(f"functions in both kernels: {len(common)}; only in {args[1]}: {len(only)}")
    print(f"functions changed: {len(changed)}; their bundles: {before:,} -> {after:,} "
          f"({(after - before) / before * 100 if before else 0:+.1f}%)")
    print(f"functions that gain an alloc or a b0 save: {len(gains)}"
          + (" (C-call sites: expected, not a failure)" if c_calls and gains else ""))
    for name, ta, tb in gains[:50]:
        print(f"  {name}: {ta[0]} -> {tb[0]} bundles"
              + (", gains alloc" if tb[1] and not ta[1] else "")
              + (", gains b0 save" if tb[2] and not ta[2] else ""))
    grown = sorted(changed, key=lambda c: c[1] - c[2])[:10]
    if grown:
        print("largest growth (bundles plain -> other):")
        for name, x, y in grown:
            print(f"  {name}: {x} -> {y}")
    if json_out:
        Path(json_out).write_text(json.dumps({
            "common": len(common), "only_other": only, "changed": len(changed),
            "bundles_before": before, "bundles_after": after,
            "gains": [{"function": n, "plain": list(a), "other": list(b)}
                      for n, a, b in gains],
            "changed_functions": [{"function": n, "plain": x, "other": y}
                                  for n, x, y in changed]}, indent=1))
    return 1 if gains and not c_calls else 0


# -- the sim configuration --------------------------------------------------

_SET = re.compile(r"^(CONFIG_\w+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_\w+) is not set$")


def _config_lines(path: Path) -> tuple[dict[str, str], set[str]]:
    """The options a .config or fragment sets (name -> value) and those it
    says are not set."""
    on: dict[str, str] = {}
    off: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if m := _SET.match(line):
            on[m.group(1)] = m.group(2)
        elif m := _UNSET.match(line):
            off.add(m.group(1))
    return on, off


def _patch_symbols(patch: Path) -> set[str]:
    """The Kconfig symbols a patch declares ("+config X"), as CONFIG_X."""
    return {"CONFIG_" + m.group(1) for m in
            re.finditer(r"^\+(?:menu)?config\s+(\w+)", patch.read_text(), re.MULTILINE)}


def cmd_config(args: list[str]) -> int:
    usage = "kbuild.py config FRAGMENT DOTCONFIG [--patch PATCH] [--off SYMBOL...]"
    if len(args) < 2:
        print(usage, file=sys.stderr)
        return 2
    frag, dotconfig, rest = Path(args[0]), Path(args[1]), args[2:]
    patched: set[str] = set()
    if rest[:1] == ["--patch"]:
        if len(rest) < 2:
            print(usage, file=sys.stderr)
            return 2
        patched, rest = _patch_symbols(Path(rest[1])), rest[2:]
    extra_off = rest[1:] if rest[:1] == ["--off"] else []
    want_on, want_off = _config_lines(frag)
    want_off |= {s if s.startswith("CONFIG_") else "CONFIG_" + s for s in extra_off}
    have, _ = _config_lines(dotconfig)
    paravirt = have.get("CONFIG_PVCC_PARAVIRT") == "y"
    bad = 0
    for name, value in want_on.items():
        got = have.get(name)
        if name in patched and not paravirt:
            ok = got is None
            bad += not ok
            print(f"  {'n/a' if ok else 'BAD'} {name}={value} (the pvcc patch's: not a paravirt "
                  f"build" + (")" if ok else f", yet the .config has {name}={got})"))
            continue
        ok = got == value
        bad += not ok
        print(f"  {'ok ' if ok else 'BAD'} {name}={value}"
              + ("" if ok else f" (the .config has {name}={got})" if got is not None
                 else " (not set in the .config)"))
    for name in sorted(want_off):
        got = have.get(name)
        ok = got is None or got == "n"
        bad += not ok
        print(f"  {'ok ' if ok else 'BAD'} {name} off"
              + ("" if ok else f" (the .config has {name}={got})"))
    if bad:
        print(f"{dotconfig}: {bad} option(s) of {frag} do not hold", file=sys.stderr)
    return 1 if bad else 0


def cmd_patchopts(args: list[str]) -> int:
    if len(args) != 2:
        print("kbuild.py patchopts FRAGMENT PATCH", file=sys.stderr)
        return 2
    patched = _patch_symbols(Path(args[1]))
    on, off = _config_lines(Path(args[0]))
    out = []
    for name, value in on.items():
        if name in patched:
            sym = name[len("CONFIG_"):]
            out += (["--enable", sym] if value == "y" else ["--disable", sym] if value == "n"
                    else ["--set-val", sym, value])
    out += [a for name in sorted(off & patched) for a in ("--disable", name[len("CONFIG_"):])]
    print(" ".join(out))
    return 0


def _newc(data: bytes):
    """The entries (name, mode, rdevmajor, rdevminor, body) of a newc cpio."""
    off = 0
    while off + 110 <= len(data):
        hdr = data[off:off + 110]
        if hdr[:6] not in (b"070701", b"070702"):
            raise ValueError(f"no newc header at offset {off}")
        f = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, filesize, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        body = data[off:off + filesize]
        off = (off + filesize + 3) & ~3
        if name == "TRAILER!!!":
            return
        yield name, mode, rmaj, rmin, body


def cmd_initramfs(args: list[str]) -> int:
    cpio, init = Path(args[0]), Path(args[1])
    try:
        entries = {n.lstrip("/"): (mode, ma, mi, body)
                   for n, mode, ma, mi, body in _newc(cpio.read_bytes())}
    except (OSError, ValueError) as e:
        print(f"{cpio}: {e}", file=sys.stderr)
        return 1
    for name, (mode, ma, mi, body) in sorted(entries.items()):
        kind = {0o040000: "dir", 0o100000: "file", 0o020000: "char"}.get(mode & 0o170000, oct(mode))
        extra = f" {ma}:{mi}" if kind == "char" else f" {len(body)} bytes" if kind == "file" else ""
        print(f"  /{name} {kind} {mode & 0o7777:04o}{extra}")
    problems = []
    mode, _, _, body = entries.get("init", (0, 0, 0, b""))
    if mode & 0o170000 != 0o100000 or not mode & 0o111:
        problems.append("no executable regular file /init")
    elif body != init.read_bytes():
        problems.append(f"/init is not {init}")
    mode, ma, mi, _ = entries.get("dev/console", (0, 0, 0, b""))
    if mode & 0o170000 != 0o020000 or (ma, mi) != (5, 1):
        problems.append("no character device /dev/console 5:1")
    for p in problems:
        print(f"{cpio}: {p}", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    table = {"timed": cmd_timed, "count": cmd_count, "compare": cmd_compare,
             "leaf": cmd_leaf, "samples": cmd_samples, "impls": cmd_impls,
             "passthru": cmd_passthru,
             "functions": cmd_functions, "siteobjs": cmd_siteobjs,
             "config": cmd_config, "patchopts": cmd_patchopts,
             "initramfs": cmd_initramfs}
    if cmd not in table:
        print(__doc__)
        return 2
    return table[cmd](args)


if __name__ == "__main__":
    sys.exit(main())
