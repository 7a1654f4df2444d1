"""The code's shape as the project's rules ask (notes/PREAMBLE.md, spec/STYLE.md): no module of
src/policyengine over 450 lines (the generated holiday table aside), and no import cycle among
the package's own modules at module level. Imports under ``if TYPE_CHECKING:`` and inside
functions run later (or never) and are counted apart: they may close a loop, module-level ones
may not.

An import of a module's own ancestor package (``from . import __version__``) is left out of the
graph, as in tests/monitor/test_shape.py: Python runs a package's ``__init__`` before any of its
modules, so such an import reads what the package has already defined.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "policyengine"
LINE_LIMIT = 450
EXEMPT = {"_bank_holidays.py"}  # a data table, generated


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import statement with where it runs: 'module', 'type_checking' or 'function'."""

    def walk(body: list[ast.stmt], where: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                yield stmt, where
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(stmt.body, "function" if where == "module" else where)
            elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                yield from walk(stmt.body, "type_checking" if where == "module" else where)
                yield from walk(stmt.orelse, where)
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    inner = getattr(stmt, field, None)
                    if isinstance(inner, list):
                        nested = [s for s in inner if isinstance(s, ast.stmt)]
                        nested += [s for h in inner
                                   if isinstance(h, ast.ExceptHandler | ast.match_case)
                                   for s in h.body]
                        yield from walk(nested, where)

    yield from walk(tree.body, "module")


def targets(stmt: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> set[str]:
    """The modules an import statement in module ``name`` may load."""
    if isinstance(stmt, ast.Import):
        return {a.name for a in stmt.names}
    package = name if is_package else name.rsplit(".", 1)[0]
    if stmt.level:
        base = package.split(".")[: len(package.split(".")) - stmt.level + 1]
        target = ".".join(base + ([stmt.module] if stmt.module else []))
    else:
        target = stmt.module or ""
    # `from . import compiler` loads a module; `from .x import name` loads x
    return {target} | {f"{target}.{alias.name}" for alias in stmt.names}


def import_graph(src: Path, top: str) -> dict[str, dict[str, set[str]]]:
    """For each module of package ``top`` under ``src``: the package's modules it imports, by
    where the import runs."""
    paths = {module_name(p, src): p for p in (src / top).rglob("*.py")}
    graph: dict[str, dict[str, set[str]]] = {}
    for name, path in paths.items():
        edges: dict[str, set[str]] = {"module": set(), "type_checking": set(), "function": set()}
        for stmt, where in imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in targets(stmt, name, path.name == "__init__.py"):
                if target in paths and target != name and not name.startswith(target + "."):
                    edges[where].add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles a depth-first walk of ``graph`` finds (none when it has none)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_module_is_longer_than_the_limit() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py") if p.name not in EXEMPT}
    assert len(sizes) > 50  # the walk found the package
    assert {k: v for k, v in sizes.items() if v > LINE_LIMIT} == {}


def test_module_level_imports_form_no_cycle() -> None:
    graph = import_graph(SRC, "policyengine")
    module_level = {m: e["module"] for m, e in graph.items()}
    assert "policyengine.expressions.codegen" in module_level["policyengine.expressions"]
    assert cycles(module_level) == []


def test_the_expression_stages_read_one_way() -> None:
    """The tree knows no stage; the code generator reads the tree, never the parser."""
    graph = {m: e["module"] | e["type_checking"] | e["function"]
             for m, e in import_graph(SRC, "policyengine").items()}
    stage = "policyengine.expressions."
    assert not {t for t in graph[stage + "nodes"] if t.startswith(stage)}
    for generator in ("codegen", "codegen_facts"):
        assert not {t for t in graph[stage + generator] if t.startswith(stage + "parse_")}


def test_the_graph_sees_a_cycle_and_tells_where_imports_run(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("VERSION = 1\nfrom .a import A\n", encoding="utf-8")
    (pkg / "a.py").write_text("from . import VERSION\nfrom .b import B\nA = 1\n",
                              encoding="utf-8")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\n"
        "def f() -> None:\n    from .sub.c import C\n"
        "try:\n    from .sub import c\nexcept ImportError:\n    pass\nB = 1\n",
        encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "c.py").write_text("from ..b import B\nC = 1\n", encoding="utf-8")
    graph = import_graph(tmp_path, "toy")
    assert graph["toy.b"]["type_checking"] == {"toy.a"}
    assert graph["toy.b"]["function"] == {"toy.sub.c"}
    assert graph["toy.b"]["module"] == {"toy.sub", "toy.sub.c"}
    assert graph["toy.a"]["module"] == {"toy.b"}  # the package itself left out
    module_level = {m: e["module"] for m, e in graph.items()}
    assert cycles(module_level) == [["toy.b", "toy.sub.c", "toy.b"]]
    everything = {m: e["module"] | e["type_checking"] for m, e in graph.items()}
    assert ["toy.a", "toy.b", "toy.a"] in cycles(everything)
