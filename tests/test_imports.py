"""pvcc's modules import one another without a circle.

Every import statement of every module counts, the ones inside functions too
(a lazy import still makes the importer depend on the imported), except those
under ``if TYPE_CHECKING:``.  A circle means two modules that cannot be
understood, tested or moved one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

WRAPPER = Path(__file__).resolve().parent.parent / "wrapper"

def _modules() -> dict[str, Path]:
    out = {}
    for path in (WRAPPER / "pvcc").rglob("*.py"):
        parts = path.relative_to(WRAPPER).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text())
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", "") == "TYPE_CHECKING"
                       for stmt in node.body for n in ast.walk(stmt)}
        deps = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:
                    deps.add(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports():
    g = _graph()
    assert "pvcc.catalog" in g["pvcc.check"] and "pvcc.decoded" in g["pvcc.check"]
    assert "pvcc.check" in g["pvcc.check_cli"] and "pvcc.patch" in g["pvcc.check_cli"]
    assert "pvcc.cacheid" in g["pvcc.driver"]          # a lazy import counts


def test_no_import_circle():
    circles = _circles(_graph())
    assert circles == set(), sorted(map(sorted, circles))


def test_a_circle_is_seen():
    """The search is not vacuous: a circle of three modules is found as one."""
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(g) == {frozenset({"a", "b", "c"})}
