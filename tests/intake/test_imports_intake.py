"""The intake modules import each other in one direction only: the pure draft helpers at the
bottom, then the selectors, then the services, then the pages and the API. Every import counts,
also one inside a function (that is how the old selectors ↔ services cycle was hidden)."""

from __future__ import annotations

import ast
from pathlib import Path

import duban.intake

ROOT = Path(duban.intake.__file__).parent
PACKAGE = "duban.intake"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


def intake_modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The intake modules ``name`` imports, wherever the import statement is."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # "from duban.intake import selectors" imports the submodule, not the package
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith(PACKAGE + "."):
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = intake_modules()
    known = set(modules)
    return {name: imports_of(path, name, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_no_intake_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "duban.intake.services.upload" in graph and graph["duban.intake.services.upload"], "graph is empty"
    assert cycles(graph) == []


def test_the_draft_helpers_and_the_selectors_never_import_the_services():
    graph = import_graph()
    assert graph["duban.intake.draft"] == set()
    assert not {m for m in graph["duban.intake.selectors"] if m.startswith("duban.intake.services")}
    assert "duban.intake.draft" in graph["duban.intake.selectors"]


def test_the_cycle_finder_sees_an_import_hidden_inside_a_function(tmp_path):
    (tmp_path / "a.py").write_text("import duban.intake.b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def f():\n    from duban.intake import a\n", encoding="utf-8")
    known = {"duban.intake.a", "duban.intake.b"}
    graph = {name: imports_of(tmp_path / f"{name[-1]}.py", name, known) for name in known}
    assert graph == {"duban.intake.a": {"duban.intake.b"}, "duban.intake.b": {"duban.intake.a"}}
    assert cycles(graph) == [["duban.intake.a", "duban.intake.b", "duban.intake.a"]]


def test_no_intake_module_is_over_800_lines():
    long = {name: n for name, path in intake_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 800}
    assert long == {}
