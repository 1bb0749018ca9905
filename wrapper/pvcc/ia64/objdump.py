"""Reading ``ia64-linux-gnu-objdump -d`` output in the spelling ``pvcc.ia64``'s ``Insn.text()``
uses: how the decoder is checked against binutils, by the IA-64 unit tests
(``tests/unit``) and ``tools/ia64_forms.py``.  Not imported by ``pvcc.ia64``
itself: nothing but those checks reads objdump's text."""

from __future__ import annotations

import re

_SECTION = re.compile(r"^Disassembly of section (\S+):")
# "   c:\t00 00 04 00       \t            nop.i 0x0;;"
_LINE = re.compile(r"^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} )+\s*\t(.*)$")
_TEMPLATE = re.compile(r"^\[(?:[A-Z]{3}|-.-)\]")
_TARGET = re.compile(r"([=\s,])([0-9a-f]+) <[^>]*>")
_PRED = re.compile(r"\(p0*(\d+)\)")


def normalize(text: str) -> str:
    """objdump text -> the spelling Insn.text() uses: "(p6)", branch targets as 0x..."""
    text = _TARGET.sub(lambda m: f"{m.group(1)}{int(m.group(2), 16):#x}", text)
    text = _PRED.sub(lambda m: f"(p{m.group(1)})", text)
    return " ".join(text.split())


def instructions(out: str) -> list[tuple[str | None, int, str]]:
    """(section, bundle address, normalized text) per instruction of OUT, in order;
    the section is None before objdump names one."""
    insns = []
    section = None
    for line in out.splitlines():
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        m = _LINE.match(line)
        if not m:
            continue
        text = _TEMPLATE.sub("", m.group(2)).strip()
        if text:  # the second line of an MLX long instruction has bytes only
            insns.append((section, int(m.group(1), 16) & ~15, normalize(text)))
    return insns
