"""A driver ``main`` for C snippets that have none (pvcc's testcases, the demo).

``driver(source_text)`` returns a C file that calls every external function
the snippet defines, with fixed arguments chosen by parameter type, prints
each result and the arrays passed by pointer, and defines the external
functions the snippet only declares (stubs that print what they are given,
never an address: addresses differ between differently linked builds).

Parameter types handled: the integer types, pointers to ``unsigned long`` /
``long`` (an array of 16 words, rr-like values), ``void **`` (an array of
pointers to words, printed through), and a variadic tail (three words).  A
function with any other parameter (a structure, a function pointer) is not
called; ``Driver.skipped`` names it.
"""

from __future__ import annotations

import dataclasses
import re

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


@dataclasses.dataclass
class Driver:
    text: str
    called: list[str]
    skipped: list[str]


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
    for m in _DECL.finditer(source):
        ret, name, params = _norm(m.group(1)), m.group(2), _params(m.group(3))
        if name in defined or name.startswith("paravirt_") or params is None:
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
    return Driver("\n".join(lines), called, skipped)
