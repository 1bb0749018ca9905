"""A driver ``main`` for C snippets that have none (pvcc's testcases, the demo).

``driver(source_text)`` returns a C file that calls every external function
the snippet defines, with fixed arguments chosen by parameter type, prints
each result and the arrays passed by pointer, and defines the external
functions the snippet only declares (stubs that print what they are given,
never an address: addresses differ between differently linked builds).

A function the snippet declares as an intrinsic under a name of its own
(``__attribute__((paravirt_intrinsic(TYPE[, CONV])))`` or the header's
``__paravirt_intrinsic(TYPE)``) becomes the catalog intrinsic of that type
under that name: the driver defines it as one branch to ``paravirt_NAME``
(the native table's function, or the hypervisor layer's under pvcc), so a
plain call of it, a C-convention site calling it and a direct call of
``paravirt_NAME`` run the same code with the same frame.  Under pvcc
(``__PVCC__``) it also defines the light entry ``__pvcc_light_<name>`` (for
getreg/setreg one per register), a ``pvcc.thunks`` thunk into that name, so
a light site of the name works whatever convention its declaration or the
unit picks (pvcc's check refuses a branch to a light entry outside a
site, so it cannot branch to the catalog's own).  A type the driver cannot
evaluate (numbers, the header's ``PARAVIRT_PATCH_TYPE_*`` and the snippet's
own ``#define``s, with ``+``, ``|``, ``<<``) raises :class:`DriverError`.

Parameter types handled: the integer types, pointers to ``unsigned long`` /
``long`` (an array of 16 words, rr-like values), ``void **`` (an array of
pointers to words, printed through), and a variadic tail (three words).  A
function with any other parameter (a structure, a function pointer) is not
called; ``Driver.skipped`` names it.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from ... import catalog

_DEF = re.compile(
    r"^(?!static\b|extern\b|typedef\b|struct\b|#)([A-Za-z_][\w \t\*]*?[\s\*])(\w+)\s*"
    r"\(([^;{}]*?)\)\s*(?:__attribute__\s*\(\(.*?\)\)\s*)*\{", re.MULTILINE | re.DOTALL)
_DECL = re.compile(r"^extern\s+([\w \t\*]*?[\s\*])(\w+)\s*\(([^;{}]*?)\)\s*;", re.MULTILINE | re.DOTALL)
_INTS = {"int", "long", "unsigned", "unsigned int", "unsigned long", "long int",
         "unsigned long int", "long long", "unsigned long long", "short", "unsigned short",
         "char", "unsigned char", "signed char", "_Bool"}
# Integer arguments by position: small ones (they may be CPUID or PMD indexes,
# or counts); a parameter named start or end gets the bounds of a short range.
INT_ARGS = ("3", "2", "4", "1")
NAMED_ARGS = {"start": "0x40UL", "end": "0x1c0UL"}
# Integer parameters of declared functions that hold a code address (a return
# address, as `__builtin_return_address` gives): the stubs do not print them.
CODE_ADDRESSES = frozenset({"ip", "pc", "caller", "ret_ip"})


# An intrinsic declared under its own name: prototype, then the attribute or
# the header's macro (its arguments: TYPE[, CONV]).
_INTRINSIC_DECL = re.compile(
    r"^(?:extern\s+)?[A-Za-z_][\w \t\*]*?[\s\*](\w+)\s*\([^;{}()]*\)\s*"
    r"(?:__attribute__\s*\(\(\s*paravirt_intrinsic\s*\(([^;{}]*?)\)\s*\)\)"
    r"|__paravirt_intrinsic(?:_conv)?\s*\(([^;{}]*?)\))\s*;", re.MULTILINE)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+([^\n]+?)[ \t]*$", re.MULTILINE)
_NUMBER = re.compile(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b")
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.BitOr: lambda a, b: a | b, ast.LShift: lambda a, b: a << min(b, 64)}


class DriverError(Exception):
    """The snippet cannot be made a program; one-line message."""


@dataclasses.dataclass
class Driver:
    text: str
    called: list[str]
    skipped: list[str]
    # name the snippet gives an intrinsic -> the catalog intrinsic it is
    intrinsics: dict[str, str] = dataclasses.field(default_factory=dict)


def _constant(expr: str, macros: dict[str, str], depth: int = 0) -> int | None:
    """The value of a C integer constant expression of numbers and macros, or None."""
    if depth > 16:
        return None
    text = _NUMBER.sub(r"\1", expr.strip())
    for name in sorted(set(re.findall(r"\b[A-Za-z_]\w*", text)), key=len, reverse=True):
        value = _constant(macros[name], macros, depth + 1) if name in macros else None
        if value is None:
            return None
        text = re.sub(rf"\b{name}\b", f"({value})", text)
    try:
        return _evaluate(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError):
        return None


def _evaluate(node: ast.AST) -> int:
    """An integer expression of numbers, + - | and <<; ValueError for anything else."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError(ast.dump(node))


def _macros(source: str) -> dict[str, str]:
    """The header's type and convention macros, then the snippet's object-like #defines."""
    out = {intr.macro: str(intr.type_id) for intr in catalog.INTRINSICS}
    out.update({f"PVCC_CONV_{c.macro}": str(c.id) for c in catalog.CONVENTIONS})
    out.update({m.group(1): m.group(2) for m in _DEFINE.finditer(source)})
    return out


def own_intrinsics(source: str) -> dict[str, tuple[catalog.Intrinsic, int | None]]:
    """The intrinsics the snippet declares under names of its own: name ->
    (catalog intrinsic, register of a getreg/setreg type that names one)."""
    macros = _macros(source)
    symbols = {intr.symbol for intr in catalog.INTRINSICS}
    out = {}
    for m in _INTRINSIC_DECL.finditer(source):
        name, args = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        if name in symbols:
            continue        # the runtime defines the catalog's own names
        expr = args.split(",")[0]
        type_id = _constant(expr, macros)
        # getreg/setreg's base type takes the register from the call
        found = ((catalog.BY_ID[type_id], None) if type_id in catalog.BY_ID
                 else catalog.intrinsic_for(type_id) if type_id is not None else None)
        if found is None:
            raise DriverError(f"{name}: paravirt_intrinsic type '{expr.strip()}' is not a "
                              "catalog type the driver can evaluate")
        out[name] = found
    return out


def _branch(entry: str, target: str) -> list[str]:
    """Assembly (inside a top-level asm) of a global function ``entry`` that is one
    branch to ``target``: it keeps the caller's frame, b0 and every register."""
    return [f"\t.global {entry}#", f"\t.type {entry}#, @function", "\t.align 16",
            f"{entry}:", f"\tbr.sptk.many {target}#", "\t;;", f"\t.size {entry}#, .-{entry}"]


def _asm(lines: list[str]) -> list[str]:
    body = ["\t.pushsection .text, \"ax\", @progbits", *lines, "\t.popsection"]
    return ["__asm__("] + ['\t"' + line.replace('"', '\\"') + '\\n"' for line in body] + [");"]


def intrinsic_aliases(names: dict[str, tuple[catalog.Intrinsic, int | None]]) -> list[str]:
    """C text defining each of ``names`` as its catalog intrinsic (see the module doc)."""
    from ... import thunks

    if not names:
        return []
    calls, light = [], []
    for name, (intr, reg) in names.items():
        calls += _branch(name, intr.symbol)
        regs = [reg] if reg is not None or intr.access is None else [
            r for r, found in sorted(catalog.REGISTERS.items()) if found.allows(intr.access)]
        light += [thunks.thunk(name, r) for r in regs]
    return ["/* The intrinsics the snippet declares under names of its own: each is the",
            " * catalog intrinsic of its type under that name. */",
            *_asm(calls), "#ifdef __PVCC__",
            *_asm("".join(light).splitlines()), "#endif", ""]


def _norm(t: str) -> str:
    return " ".join(t.replace("const ", "").replace("volatile ", "").split())


def _params(text: str) -> list[tuple[str, str]] | None:
    """(normalized type, name) of each parameter; ("...", "") for a variadic
    tail; None when a parameter is of a kind the driver cannot pass."""
    text = " ".join(text.split())
    if text in ("", "void"):
        return []
    out = []
    for p in text.split(","):
        p = p.strip()
        if p == "...":
            out.append(("...", ""))
            continue
        m = re.fullmatch(r"(.*?[\s\*])(\w+)(\s*\[\s*\w*\s*\])?", p)
        if m is None or "(" in p:
            return None
        ctype = _norm(m.group(1)) + (" *" if m.group(3) else "")
        out.append((ctype.replace(" *", "*").replace("*", " *").strip(), m.group(2)))
    return out


def _kind(ctype: str) -> str | None:
    if ctype in _INTS:
        return "int" if "long" not in ctype else "long"
    if ctype in ("unsigned long *", "long *", "unsigned long int *"):
        return "words"
    if ctype == "void * *" or ctype == "void **":
        return "ptrs"
    if ctype == "...":
        return "vararg"
    return None


def driver(source: str) -> Driver:
    lines = ["#include <stdio.h>", "",
             "static unsigned long words[16], word_targets[4];",
             "static void *ptrs[4];", "",
             "static void reset(void)", "{", "\tunsigned int i;",
             "\tfor (i = 0; i < 16; i++)",
             "\t\twords[i] = (unsigned long)(i + 1) << 8 | 14 << 2;",
             "\tfor (i = 0; i < 4; i++) {",
             "\t\tword_targets[i] = 0x100 * (i + 1);", "\t\tptrs[i] = &word_targets[i];",
             "\t}", "}", "",
             "static void show(const char *what)", "{", "\tunsigned int i;",
             "\tprintf(\"%s: words\", what);",
             "\tfor (i = 0; i < 16; i++)", "\t\tprintf(\" %lx\", words[i]);",
             "\tfor (i = 0; i < 4; i++)", "\t\tprintf(\" %lx\", word_targets[i]);",
             "\tprintf(\"\\n\");", "}", ""]
    if "cleanup(" in source:
        # -fexceptions code refers to the unwinder, which the runtime does not
        # have; the driver throws nothing, so they are never called.
        lines += ["void _Unwind_Resume(void *e) { (void)e; __builtin_trap(); }",
                  "int __gcc_personality_v0(void) { return 0; }", ""]
    defined = {m.group(2) for m in _DEF.finditer(source)}
    own = own_intrinsics(source)
    lines += intrinsic_aliases(own)
    for m in _DECL.finditer(source):
        ret, name, params = _norm(m.group(1)), m.group(2), _params(m.group(3))
        if name in defined or name in own or name.startswith("paravirt_") or params is None:
            continue
        body = [f'\tprintf("{name} called");']
        for ctype, pname in params:
            k = _kind(ctype)
            if pname in CODE_ADDRESSES:
                continue
            if k in ("int", "long"):
                body.append(f'\tprintf(" %lx", (unsigned long){pname});')
            elif k == "words":
                body.append(f'\tprintf(" *%lx", *{pname});')
        body.append('\tprintf("\\n");')
        if ret != "void":
            body.append("\treturn 0;")
        sig = ", ".join(f"{t} {n}" if t != "..." else "..." for t, n in params) or "void"
        lines += [f"{ret} {name}({sig})", "{", *body, "}", ""]
    protos, calls, called, skipped = [], [], [], []
    for m in _DEF.finditer(source):
        ret, name, params = _norm(m.group(1)), m.group(2), _params(m.group(3))
        if name == "main":
            continue
        kinds = [_kind(t) for t, _ in params] if params is not None else [None]
        if None in kinds:
            skipped.append(name)
            continue
        args, ints = [], 0
        for k, (_, pname) in zip(kinds, params):
            if k in ("int", "long"):
                args.append(NAMED_ARGS.get(pname, INT_ARGS[ints % len(INT_ARGS)]))
                ints += 1
            elif k == "words":
                args.append("words")
            elif k == "ptrs":
                args.append("ptrs")
            else:
                args += ["0x4000UL", "0x2000000000000000UL", "0x6000000000000000UL"]
        sig = ", ".join(t if t != "..." else "..." for t, _ in params) or "void"
        protos.append(f"{ret} {name}({sig});")
        call = f"{name}({', '.join(args)})"
        calls.append("\treset();")
        if ret == "void":
            calls.append(f"\t{call};")
        else:
            calls.append(f'\tprintf("{name} = %lx\\n", (unsigned long){call});')
        calls.append(f'\tshow("{name}");')
        called.append(name)
    lines += protos + ["", "int main(void)", "{", *calls, "\treturn 0;", "}", ""]
    return Driver("\n".join(lines), called, skipped,
                  {name: intr.name if reg is None else catalog.type_name(intr.type_id + reg)
                   for name, (intr, reg) in own.items()})
