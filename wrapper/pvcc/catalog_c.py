"""The intrinsic catalog (``pvcc.catalog``) rendered as C.

* ``plugin_header()``: ``pvcc-catalog.h``, the plugin's view of the catalog.
  ``pvcc.pluginbuild`` writes it into the plugin's temporary build directory
  every time it builds the plugin, so it is never checked in; anyone compiling
  ``plugin/pvcc.cc`` by hand writes it first::

      python -m pvcc.catalog_c --plugin-header DIR     # then g++ ... -IDIR

* ``paravirt_header()``: ``<pvcc/paravirt.h>``, the prototypes C code calls.
  A C compiler reads it at every compile (also without pvcc), so it is checked
  in at ``plugin/include/pvcc/paravirt.h``; ``python -m pvcc.catalog_c
  --write`` refreshes it and tests/test_catalog.py fails while it is stale.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, catalog, cli, ia64

PARAVIRT_HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin", "include",
                               "pvcc", "paravirt.h")
PLUGIN_HEADER_NAME = "pvcc-catalog.h"


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plugin_version() -> str:
    """What GCC lists for the plugin (``-v``): pvcc's version and its record format."""
    return f"pvcc {__version__} (record format {catalog.RECORD_VERSION})"


def plugin_header() -> str:
    """The text of pvcc-catalog.h."""
    out = [
        "/*",
        " * pvcc-catalog.h - the paravirt intrinsic catalog as the plugin sees it.",
        " *",
        " * Generated from wrapper/pvcc/catalog.py by pvcc.catalog_c when the plugin",
        " * is built: edit the catalog, never this file.  The record layout is",
        " * docs/records.md; what each field promises is docs/contract.md.",
        " */",
        "#ifndef PVCC_CATALOG_H",
        "#define PVCC_CATALOG_H",
        "",
        f"#define PVCC_RECORD_VERSION {catalog.RECORD_VERSION}",
        "/* The plugin's version as GCC's -fplugin reports it. */",
        f"#define PVCC_PLUGIN_VERSION {_c_string(_plugin_version())}",
        f"#define PVCC_SECTION {_c_string(catalog.SECTION)}",
        f"#define PVCC_COMPAT_SECTION {_c_string(catalog.COMPAT_SECTION)}",
        f"#define PVCC_MAX_ARGS {catalog.MAX_ARGS}",
        "",
        "/* Calling conventions: the record's conv byte, the result register. */",
    ]
    for conv in catalog.CONVENTIONS:
        out.append(f"#define PVCC_CONV_{conv.macro} {conv.id}")
        out.append(f"#define PVCC_CONV_{conv.macro}_RESULT {conv.result}")
    clobbers = ([f"r{r}" for r in sorted(catalog.LIGHT_CLOBBER_GRS)]
                + [f"b{b}" for b in sorted(catalog.LIGHT_CLOBBER_BRS)]
                + [f"p{p}" for p in sorted(catalog.LIGHT_CLOBBER_PRS)]
                + [ia64.ar_name(a) for a in sorted(catalog.LIGHT_CLOBBER_ARS)])
    out += [
        "",
        "/* The light convention (docs/light.md): argument i in pvcc_light_args[i],",
        (f" * the result in r{catalog.LIGHT_RESULT}, the link (address of the site's "
         f"transfer bundle) in r{catalog.LIGHT_LINK};"),
        " * the implementation may write exactly the registers of pvcc_light_clobbers",
        " * (and memory). */",
        ("static const int pvcc_light_args[] = { "
         + ", ".join(str(r) for r in catalog.LIGHT_ARGS) + " };"),
        f"#define PVCC_LIGHT_RESULT {catalog.LIGHT_RESULT}",
        f"#define PVCC_LIGHT_LINK {catalog.LIGHT_LINK}",
        f"#define PVCC_LIGHT_PREFIX {_c_string(catalog.LIGHT_PREFIX)}",
        "static const char *const pvcc_light_clobbers[] = {",
        *_wrapped([_c_string(c) for c in clobbers]),
        "};",
        "",
        "/* getreg/setreg: the type id is the base plus an _IA64_REG_* number. */",
        f"#define PVCC_GETREG_BASE {catalog.GETREG_BASE:#x}u",
        f"#define PVCC_SETREG_BASE {catalog.SETREG_BASE:#x}u",
        f"#define PVCC_REG_IP {catalog.REG_IP}",
        "",
        "struct pvcc_intrinsic {",
        "\tconst char *name;",
        "\tunsigned int type;\t/* base id; getreg/setreg add the register */",
        "\tint nargs;",
        "\tbool returns;",
        "\tint bundles;\t\t/* size of the patchable region */",
        "\tint asm_weight;\t/* a light placeholder's weight for the inliner */",
        "\tint moved_arg;\t/* light: the argument the transfer bundle moves, or -1 */",
        "};",
        "",
        "static const struct pvcc_intrinsic pvcc_catalog[] = {",
    ]
    bases = {catalog.GETREG_BASE: "PVCC_GETREG_BASE", catalog.SETREG_BASE: "PVCC_SETREG_BASE"}
    for i in catalog.INTRINSICS:
        tid = bases.get(i.type_id, str(i.type_id))
        moved = catalog.light_moved_arg(i)
        out.append(f"\t{{ {_c_string(i.name)}, {tid}, {i.nargs}, "
                   f"{'true' if i.returns else 'false'}, {i.bundles}, {i.asm_weight}, "
                   f"{-1 if moved is None else moved} }},")
    out += [
        "};",
        "",
        "/* The registers getreg may take; setreg only those marked writable. */",
        "struct pvcc_register {",
        "\tint number;\t\t/* _IA64_REG_* */",
        "\tbool writable;",
        "};",
        "",
        "static const struct pvcc_register pvcc_registers[] = {",
    ]
    for reg in catalog.REGISTERS.values():
        out.append(f"\t{{ {reg.number}, {'true' if reg.writable else 'false'} }},"
                   f"\t/* {reg.label} */")
    serializable = sorted(i.type_id + (r or 0) for i, r in catalog.expanded()
                          if catalog.serializable(i, r))
    out += ["};", "",
            "/* Record flags (docs/records.md). */",
            f"#define PVCC_FLAG_INLINED {catalog.FLAG_INLINED:#x}",
            f"#define PVCC_FLAG_SRLZ_D {catalog.FLAG_SRLZ_D:#x}",
            "",
            "/* The types whose native code has room for the srlz.d that Linux",
            " * writes after a site (PVCC_FLAG_SRLZ_D), sorted. */",
            "static const unsigned int pvcc_serializable_types[] = {"]
    out += _wrapped([f"{t:#x}" for t in serializable])
    out += ["};", "",
            "/* Registers ia64regs.h names that getreg/setreg do not take: not",
            " * privileged (the caller's own instruction is the correct code). */",
            "static const int pvcc_unprivileged_registers[] = {"]
    out += _wrapped([str(n) for n in sorted(catalog.UNPRIVILEGED)])
    out += ["};", "", "/* Why getreg/setreg cannot take a register. */"]
    for key, text in catalog.REG_PROBLEMS.items():
        macro = "PVCC_REG_PROBLEM_" + key.upper().replace("-", "_")
        out.append(f"#define {macro} {_c_string(text)}")
    out += ["", "#endif /* PVCC_CATALOG_H */", ""]
    return "\n".join(out)


def _wrapped(items: list[str]) -> list[str]:
    """Initializer items, comma-separated, one tab in, lines within 80 columns."""
    lines, line = [], "\t"
    for item in items:
        piece = item + ","
        if line != "\t" and len((line + " " + piece).expandtabs(8)) > 80:
            lines.append(line)
            line = "\t"
        line += piece if line == "\t" else " " + piece
    lines.append(line)
    return lines


def _tab_to(text: str, column: int) -> str:
    """text followed by tabs up to column (a multiple of 8), at least one tab."""
    tabs = max(1, -(-(column - len(text)) // 8))
    return text + "\t" * tabs


def _prototype(intr: catalog.Intrinsic) -> list[str]:
    """``extern RESULT paravirt_NAME(PARAMS)``, wrapped at 80 columns like the kernel."""
    head = f"extern {intr.result or 'void'} {intr.symbol}("
    params = [f"{p.ctype} {p.name}" for p in intr.params] or ["void"]
    indent = "\t" * (len(head) // 8) + " " * (len(head) % 8)
    lines, line = [], head
    for n, p in enumerate(params):
        piece = p + (", " if n < len(params) - 1 else ")")
        width = len(line.expandtabs(8)) + len(piece.rstrip())
        if line not in (head, indent) and width > 80:
            lines.append(line.rstrip())
            line = indent
        line += piece
    lines.append(line)
    return lines


def paravirt_header() -> str:
    """The text of <pvcc/paravirt.h>."""
    out = [
        "/*",
        " * <pvcc/paravirt.h> - the paravirt intrinsic catalog for C code.",
        " *",
        " * Each intrinsic is an ordinary prototype.  Compiled with the pvcc plugin",
        " * (which predefines __PVCC__ to its record format version), every call",
        " * becomes an isolated, recorded, boot-patchable call site; compiled by any",
        " * other compiler the attribute disappears and the calls are plain extern",
        " * calls.  Type ids are Linux's historical PARAVIRT_PATCH_TYPE_* values.",
        " *",
        " * Find this header with `pvcc --print-include-dir` (usable with -nostdinc).",
        " *",
        " * Generated from pvcc's catalog (wrapper/pvcc/catalog.py) by",
        " * `python -m pvcc.catalog_c --write`: edit the catalog, not this file.",
        " */",
        "#ifndef _PVCC_PARAVIRT_H",
        "#define _PVCC_PARAVIRT_H",
        "",
    ]
    column = (max(len(f"#define {i.macro}") for i in catalog.INTRINSICS) // 8 + 1) * 8
    for i in catalog.INTRINSICS:
        value = f"{i.type_id:#x}" if i.access else str(i.type_id)
        out.append(_tab_to(f"#define {i.macro}", column) + value)
    out += [
        "",
        "/* Calling conventions: the optional second argument of the attribute",
        " * (docs/light.md).  Without it, the unit's default applies",
        " * (-fplugin-arg-pvcc-conv=c|light, C call unless told). */",
    ]
    for conv in catalog.CONVENTIONS:
        out.append(_tab_to(f"#define PVCC_CONV_{conv.macro}", 32) + str(conv.id))
    out += [
        "",
        "/* A file may give every declaration below one convention by defining",
        " * PVCC_DEFAULT_CONV (0 or 1) before including this header. */",
        "#if defined(__PVCC__) && defined(PVCC_DEFAULT_CONV)",
        "#define __paravirt_intrinsic(type) \\",
        "\t__attribute__((paravirt_intrinsic(type, PVCC_DEFAULT_CONV)))",
        "#define __paravirt_intrinsic_conv(type, conv) \\",
        "\t__attribute__((paravirt_intrinsic(type, conv)))",
        "#elif defined(__PVCC__)",
        "#define __paravirt_intrinsic(type) __attribute__((paravirt_intrinsic(type)))",
        "#define __paravirt_intrinsic_conv(type, conv) \\",
        "\t__attribute__((paravirt_intrinsic(type, conv)))",
        "#else",
        "#define __paravirt_intrinsic(type)",
        "#define __paravirt_intrinsic_conv(type, conv)",
        "#endif",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
    ]
    for i in catalog.INTRINSICS:
        if i.note:
            out.append(f"/* {i.note} */")
        out += _prototype(i)
        out.append(f"\t__paravirt_intrinsic({i.macro});")
    out += [
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        "#endif /* _PVCC_PARAVIRT_H */",
        "",
    ]
    return "\n".join(out)


def write_plugin_header(directory: str) -> str:
    """Write pvcc-catalog.h into directory; return its path."""
    path = os.path.join(directory, PLUGIN_HEADER_NAME)
    with open(path, "w", encoding="utf-8") as f:
        f.write(plugin_header())
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pvcc.catalog_c",
                                 description="Render pvcc's intrinsic catalog as C.")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", action="store_true",
                      help=f"refresh the checked-in {PARAVIRT_HEADER}")
    what.add_argument("--plugin-header", metavar="DIR",
                      help=f"write {PLUGIN_HEADER_NAME} into DIR (for compiling the plugin)")
    what.add_argument("--print", choices=("plugin", "paravirt"),
                      help="print one header on stdout")
    args = ap.parse_args(argv)

    def body() -> int:
        if args.write:
            with open(PARAVIRT_HEADER, "w", encoding="utf-8") as f:
                f.write(paravirt_header())
            print(PARAVIRT_HEADER)
        elif args.plugin_header:
            print(write_plugin_header(args.plugin_header))
        else:
            sys.stdout.write(plugin_header() if args.print == "plugin" else paravirt_header())
        return 0

    return cli.run(ap.prog, body, errors=((OSError, 1),))


if __name__ == "__main__":
    sys.exit(main())
