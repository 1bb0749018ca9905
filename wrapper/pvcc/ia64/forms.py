"""Form names: an instruction's ``op`` and the shape of its operands, from its template.

A decoder describes each form by an operand template in objdump's order, a
``str.format`` pattern over the instruction's fields, e.g. ``"r{r1}=[r{r3}],{imm}"``.
The form is the op followed by the template with every register number replaced by
its class letter and every other placeholder by the field's name:
``"ld8.acq r=[r],imm"``.  Forms are what an executor dispatches on; they never
change once published.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"([rpbf])\{\w+\}|\{(\w+)[^}]*\}")
_FORMS: dict[tuple[str, str], str] = {}
TEMPLATE: dict[str, str] = {}  # form -> its operand template


def shape(template: str) -> str:
    """``"r{r1}=[r{r3}],{imm}"`` -> ``"r=[r],imm"``."""
    return _PLACEHOLDER.sub(lambda m: m.group(1) or m.group(2), template)


def form_of(op: str, template: str) -> str:
    """The form name of ``op`` with operand ``template`` (registered for ``text``)."""
    key = (op, template)
    form = _FORMS.get(key)
    if form is None:
        form = f"{op} {shape(template)}" if template else op
        _FORMS[key] = form
        TEMPLATE.setdefault(form, template)
    return form
