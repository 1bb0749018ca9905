"""Unwind information of light entries (docs/light.md, "Unwind information"): the
thunks of pvcc-thunks and the native light table carry it, pvcc-check's rule
**unwind** proves it on objects assembled by GNU as (and linked by GNU ld), refuses
each mutation of it, and pvcc.unwind reads the descriptors as readelf -u does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from asmtools import READELF, assemble, link, needs_binutils
from pvcc import catalog, light_table, thunks, unwind
from pvcc.check import violations_of
from pvcc.check_cli import main
from pvcc.objects import open_object

pytestmark = needs_binutils


def thunk_source() -> str:
    return thunks.source(thunks.catalog_specs())


@pytest.fixture(scope="module")
def thunks_o(tmp_path_factory) -> Path:
    return assemble(tmp_path_factory.mktemp("thunks"), thunk_source(), "thunks")


@pytest.fixture(scope="module")
def table_o(tmp_path_factory) -> Path:
    return assemble(tmp_path_factory.mktemp("table"), light_table.source(), "table")


def covered(path: Path) -> list[str]:
    """The light entries of path, each checked to have an unwind entry starting at it."""
    obj = open_object(str(path))
    starts = {s for s, _e, _i in obj.unwind_entries()}
    entries = unwind.light_entries(obj)
    assert entries and all(f.addr in starts for f in entries)
    return [f.name for f in entries]


def test_thunks_carry_unwind_information(thunks_o):
    assert violations_of(str(thunks_o)) == []
    assert len(covered(thunks_o)) == len(thunks.catalog_specs())


def test_native_table_carries_unwind_information(table_o):
    assert violations_of(str(table_o)) == []
    assert len(covered(table_o)) == len(light_table.specs())


def _readelf_regions(path: Path) -> dict[int, list[list]]:
    """readelf -u: per entry start, its regions as [prologue/body, rlen, rp's GR or
    None, ar.pfs's GR or None, spills of rp as (t, register)]."""
    text = subprocess.run([READELF, "-u", str(path)], check=True, capture_output=True,
                          text=True).stdout
    out: dict[int, list[list]] = {}
    cur: list[list] = []
    for line in text.splitlines():
        m = re.match(r"<[^>]*>: \[0x([0-9a-f]+)-", line)
        if m:
            cur = out.setdefault(int(m.group(1), 16), [])
        m = re.search(r"R\d:(prologue|body)(?:_gr)?\(.*?rlen=(\d+)", line)
        if m:
            cur.append([m.group(1), int(m.group(2)), None, None, []])
        m = re.search(r"R2:prologue_gr\(mask=\[([^]]*)\],grsave=r(\d+)", line)
        if m:       # rp, ar.pfs, psp, pr in that order from grsave on
            present = [n for n in ("rp", "ar.pfs", "psp", "pr") if n in m.group(1).split(",")]
            for k, n in enumerate(present):
                if n in ("rp", "ar.pfs"):
                    cur[-1][2 if n == "rp" else 3] = int(m.group(2)) + k
        m = re.search(r"P\d:(rp|pfs)_gr\(reg=r(\d+)\)", line)
        if m:
            cur[-1][2 if m.group(1) == "rp" else 3] = int(m.group(2))
        m = re.search(r"X2:spill_reg\(t=(\d+),reg=rp,treg=([rbf]\d+)\)", line)
        if m:
            cur[-1][4].append((int(m.group(1)), m.group(2)))
    return out


def _gr(saves: dict, reg: str) -> int | None:
    where = saves.get(reg, ("",))[0]
    return int(where[1:]) if where.startswith("r") else None


@pytest.fixture(scope="module")
def gcc_o(gcc, tmp_path_factory) -> Path:
    """GCC's own unwind information: frames, preserved registers, alloca, varargs."""
    d = tmp_path_factory.mktemp("gcc")
    src = d / "u.c"
    src.write_text("""\
#include <stdarg.h>
extern long g(long, ...);
extern void *use(void *);
long many(long a, long b) { long x = g(a), y = g(b), z = g(x, y); return x + y + z + g(z); }
double fp(double a, double b) { double c = a * b; g(1); return c + a / b; }
long va(int n, ...) { va_list ap; long s = 0; va_start(ap, n); while (n--) s += va_arg(ap, long);
                      va_end(ap); return s + g(s); }
long dyn(int n) { char *p = __builtin_alloca(n); use(p); return p[0] + g(n); }
long leaf(long a) { return a * 3; }
""")
    out = d / "u.o"
    subprocess.run([gcc, "-O2", "-c", str(src), "-o", str(out)], check=True,
                   capture_output=True)
    return out


@pytest.mark.skipif(READELF is None, reason="needs ia64-linux-gnu-readelf")
@pytest.mark.parametrize("which", ["thunks_o", "table_o", "gcc_o"])
def test_decoder_reads_descriptors_as_readelf_does(which, request):
    path = request.getfixturevalue(which)
    obj = open_object(str(path))
    theirs = _readelf_regions(path)
    base = min(s.addr for s in obj.code_sections)      # readelf: offsets in .text
    assert len(theirs) == len(obj.unwind_entries()) > 0
    for start, _end, info in obj.unwind_entries():
        words = int.from_bytes(obj.unwind_info(info, 8), "little") & 0xFFFFFFFF
        ours = [["body" if r.body else "prologue", r.length, _gr(r.saves, unwind.RP),
                 _gr(r.saves, unwind.PFS), [(t, w) for reg, w, t in r.spills
                                             if reg == unwind.RP]]
                for r in unwind.decode(obj.unwind_info(info, 8 + 8 * words))]
        assert ours == theirs[start - base], obj.where(start)


def test_locations_of_a_thunk(thunks_o):
    """The state the thunk's descriptors describe, slot by slot, for the unwinder."""
    obj = open_object(str(thunks_o))
    f = next(f for f in obj.functions if f.name == "__pvcc_light_paravirt_ssm_i")
    _start, _end, info = next(e for e in obj.unwind_entries() if e[0] == f.addr)
    words = int.from_bytes(obj.unwind_info(info, 8), "little") & 0xFFFFFFFF
    regions = unwind.decode(obj.unwind_info(info, 8 + 8 * words))
    # entry: the link and no frame; the C call: both saved in the inner frame's locals
    assert unwind.location(regions, unwind.RP, 0) == "r2"
    assert unwind.location(regions, unwind.PFS, 0) == "r0"
    inner = regions[2].start                  # the inner part's prologue
    assert unwind.location(regions, unwind.RP, inner) == "b6"
    end = regions[3].start + regions[3].length - 1
    assert unwind.location(regions, unwind.RP, end) == f"r{thunks.L_B6}"
    assert unwind.location(regions, unwind.PFS, end) == f"r{thunks.L_PFS}"


def test_linked_native_table_with_light_sites(gcc, plugin_so, include_dir, tmp_path):
    """GCC 12 light sites + the native table, linked: every entry keeps its unwind entry."""
    src = tmp_path / "s.c"
    src.write_text("#include <pvcc/paravirt.h>\nunsigned long f(unsigned long a)\n{\n"
                   "\tparavirt_ssm_i();\n\treturn paravirt_thash(a);\n}\n"
                   "void _start(void) { }\n")
    sites = tmp_path / "s.o"
    subprocess.run([gcc, f"-fplugin={plugin_so}", "-fplugin-arg-pvcc-conv=light", "-I",
                    include_dir, "-O2", "-mconstant-gp", "-c", str(src), "-o", str(sites)],
                   check=True, capture_output=True)
    table = assemble(tmp_path, light_table.source(), "table")
    exe = link(tmp_path, [sites, table], "prog")
    assert violations_of(str(exe)) == []
    assert len(covered(exe)) == len(light_table.specs())


# -- mutations: each is refused with a located one-line error ----------------------

THUNK_MUTATIONS = [
    (f"\t.save rp, r{catalog.LIGHT_LINK}\n", "puts the return pointer in b6 on entry, not in r2"),
    ("\t.save ar.pfs, r0\n", "puts ar.pfs in ar.pfs on entry, not r0"),
    (f"\t.save rp, r{thunks.L_B6}\n", "puts rp in b6 at its call"),
    ("\t.altrp b6\n", "moves rp from b6 to b0 at an instruction (br.cond.ind)"),
    ("\t.spillreg rp, b6\n", "moves rp from r2 to b6 at an instruction (br.cond.ind)"),
]


@pytest.mark.parametrize("line,expected", THUNK_MUTATIONS, ids=[m[0].strip() for m in
                                                                 THUNK_MUTATIONS])
def test_thunk_mutation_refused(tmp_path, line, expected):
    src = thunks.source([("paravirt_ssm_i", None)])
    assert line in src
    obj = assemble(tmp_path, src.replace(line, ""), "mutant")
    found = violations_of(str(obj))
    assert found and any(expected in v for v in found), found
    assert all(re.match(r"\S+: __pvcc_light_paravirt_ssm_i\+0x[0-9a-f]+: error: ", v)
               and "\n" not in v for v in found)


def test_thunk_without_unwind_directives_refused_by_the_cli(tmp_path, capsys):
    src = thunks.source([("paravirt_ssm_i", None)])
    kept = [ln for ln in src.splitlines(keepends=True)
            if not re.match(r"\t\.(prologue|save|altrp|body|spillreg|fframe|restore)\b", ln)]
    obj = assemble(tmp_path, "".join(kept), "bare")
    assert main([str(obj)]) == 1
    out = capsys.readouterr()
    lines = [ln for ln in (out.out + out.err).splitlines() if ": error: " in ln]
    assert lines == [(f"{obj}: __pvcc_light_paravirt_ssm_i+0x0: error: light entry "
                      "__pvcc_light_paravirt_ssm_i has no unwind entry (.IA_64.unwind): a "
                      "backtrace cannot pass through it")]
    assert "Traceback" not in out.err


def test_native_table_without_unwind_entries_refused(tmp_path):
    src = light_table.source()
    bare = re.sub(r"\t\.section \.IA_64\.unwind_info.*?\n\t\.text\n", "", src, flags=re.DOTALL)
    assert ".IA_64" not in bare
    obj = assemble(tmp_path, bare, "bare")
    found = violations_of(str(obj))
    assert len(found) == len(light_table.specs())
    assert all("has no unwind entry" in v for v in found)


def test_native_body_whose_rp_stays_in_r2_refused(tmp_path):
    """set_rr0_to_rr4's native code uses r2 as scratch: without the descriptor that
    moves rp to b6 the unwind information names a register the body overwrites."""
    specs = light_table.specs()
    n = next(i for i, (intr, _r) in enumerate(specs) if intr.name == "set_rr0_to_rr4")
    src = light_table.source()
    head, sep, tail = src.partition(f".Linfo{n}:\n")
    words, rest = tail.split("\t.section", 1)
    info = b"".join(int(w.split()[1], 16).to_bytes(8, "little") for w in words.splitlines())
    x2 = bytes([0xFA, 0xE3, 0x06, 0x02])
    assert x2 in info
    info = info.replace(x2, bytes(4))
    words = "".join(f"\tdata8 {int.from_bytes(info[i:i + 8], 'little'):#018x}\n"
                    for i in range(0, len(info), 8))
    obj = assemble(tmp_path, head + sep + words + "\t.section" + rest, "mutant")
    found = violations_of(str(obj))
    assert found and all("__pvcc_light_paravirt_set_rr0_to_rr4+0x" in v
                         and "puts rp in r2, which" in v for v in found), found


# -- reading arbitrary bytes -----------------------------------------------------------

@given(st.binary(max_size=64))
@example(bytes(6) + b"\xfa")   # an X2 cut short after its register byte (found by this test)
def test_decoder_reads_any_bytes_or_says_why(body):
    """Any descriptor bytes decode to regions or raise UnwindError (a located
    violation in the checker), never another exception."""
    info = ((1 << 48) | (len(body) + 7) // 8).to_bytes(8, "little") + body
    info += bytes(-len(body) % 8)
    try:
        regions = unwind.decode(info)
    except unwind.UnwindError:
        return
    for reg in (unwind.RP, unwind.PFS):
        for slot in range(4):
            assert isinstance(unwind.location(regions, reg, slot), str)


def test_light_entry_as_a_plain_label(tmp_path):
    """A light entry without a type or a size is a light entry too."""
    src = thunks.source([("paravirt_ssm_i", None)])
    label = "".join(ln for ln in src.splitlines(True)
                    if not ln.lstrip().startswith((".type", ".size")))
    good = assemble(tmp_path, label, "label")
    assert violations_of(str(good)) == []
    bare = assemble(tmp_path, label.replace("\t.save rp, r42\n", ""), "bare")
    found = violations_of(str(bare))
    assert found and all("__pvcc_light_paravirt_ssm_i" in v for v in found), found
    assert any("puts rp in b6 at its call" in v for v in found), found
