"""The modules of ``med_u1`` import each other without a circle.

The graph is read from the source with ``ast``: an edge ``a -> b`` for every import in module
``a`` (also one deferred inside a function; not one under ``if TYPE_CHECKING:``), where ``b`` is a
``med_u1`` module or package. Importing ``x.y.z`` runs the packages ``x`` and ``x.y`` first,
so those count as imported too, except a module's own parent packages (already importing).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "med_u1"


def module_files() -> dict[str, Path]:
    """``{dotted module name: file}`` for every module and package of ``med_u1``."""
    files = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def import_statements(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at the top or inside a function (a deferred import still closes a
    circle), except those under ``if TYPE_CHECKING:`` (never run)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            pending += node.orelse
        else:
            pending += ast.iter_child_nodes(node)
    return found


def imported_names(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Dotted names a statement imports (``from a import b`` may import module ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        edges: set[str] = set()
        for node in import_statements(ast.parse(path.read_text(encoding="utf-8"))):
            for name in imported_names(module, is_package, node):
                parts = name.split(".")
                edges |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(files)
        graph[module] = edges - ancestors - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first repeated at the end), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert "med_u1.rewards.registry" in graph["med_u1.data.record"]
    assert "med_u1.registry" in graph["med_u1.training.recipes"]
    assert "med_u1.verl_ext.hf_rollout" in graph["med_u1.verl_ext.register"]  # imported inside a function
    assert "med_u1.training.recipes" not in graph["med_u1.training.hardware"]  # only for type checking


def test_find_cycle_reports_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_med_u1_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])
