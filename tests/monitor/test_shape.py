"""The shape the project asks for: no import cycle through the compiler, the lifecycles or the
monitor (counting imports inside functions and under TYPE_CHECKING), the monitor and lifecycle
modules small, and the optional parts (durable_rules, psycopg) imported only when used."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest_paths import SRC

PACKAGE = SRC / "policyengine"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("policyengine"):
                found.add(target)
                for alias in node.names:  # `from . import compiler` imports a module
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("policyengine"))
    return found


def test_no_import_cycle_runs_through_the_compiler_lifecycles_or_monitor() -> None:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: {t for t in imports_of(p) if t in modules and t != m} for m, p in modules.items()}
    # a module also depends on its package's __init__ (Python runs it first); leave that out
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if m.startswith(t + "."):
                continue
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t):], t] if t in stack else [m, t])
            elif t not in state:
                visit(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    ours = ("policyengine.lifecycle", "policyengine.monitor", "policyengine.compiler")
    assert [c for c in cycles if any(m.startswith(ours) for m in c)] == []
    assert "policyengine.lifecycle" not in {t.rsplit(".", 1)[0] if t.count(".") > 1 else t
                                            for t in graph["policyengine.compiler"]}


def test_the_monitor_and_lifecycle_modules_are_small() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for folder in ("monitor", "lifecycle") for p in (PACKAGE / folder).rglob("*.py")}
    assert max(sizes.values()) <= 420, sizes


def test_importing_the_monitor_imports_neither_optional_part_and_starts_no_thread() -> None:
    code = (
        "import sys, threading\n"
        "n = threading.active_count()\n"
        "from policyengine.monitor import Monitor\n"
        "import policyengine.cli; policyengine.cli.build_parser()\n"
        "from policyengine import load_policies\n"
        "with Monitor(load_policies(), store=':memory:') as m:\n"
        "    pass\n"
        "print(threading.active_count() - n, 'durable' in sys.modules, 'psycopg' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(SRC)}).stdout.split()
    assert out == ["0", "False", "False"]
