"""The shape of the house, read from the source: imports walk one way, TensorFlow stays in capture.

These read ``gradviz/`` as text (``ast``); nothing is imported, so they cost no TensorFlow start.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradviz"
MAX_LINES = 700
# The capture stage, which alone may import TensorFlow; and the example program users run.
TENSORFLOW_ALLOWED = ("gradviz.capture", "gradviz._capture.", "gradviz.examples.")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (at module level or in a function), skipping ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _gradviz_targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The gradviz modules an import statement loads (``from . import trace`` loads ``gradviz.trace``)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    submodules = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    return submodules or ({base} if base in MODULES else set())


def _tree(module: str) -> ast.AST:
    return ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))


def test_the_package_is_read() -> None:
    # the checks below are only as good as the module list they walk
    assert {"gradviz", "gradviz.capture", "gradviz.diagnose", "gradviz._capture.ops", "gradviz.document"} <= set(MODULES)


def test_no_import_cycle() -> None:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for node in _imports(_tree(module)):
            for target in _gradviz_targets(module, path, node) - {module}:
                graph.add_edge(module, target)
    assert graph.number_of_edges() > 20, "the import graph is suspiciously small: is the parser still right?"
    cycles = sorted(nx.simple_cycles(graph), key=len)
    assert not cycles, "import cycles inside gradviz/ (type-checking imports excepted):\n  " + "\n  ".join(
        " -> ".join([*c, c[0]]) for c in cycles[:10]
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_tensorflow_only_in_capture(module: str) -> None:
    if module.startswith(TENSORFLOW_ALLOWED):
        return
    for node in _imports(_tree(module)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        tf = [n for n in names if n.split(".")[0] in ("tensorflow", "keras")]
        assert not tf, f"{module} imports {tf} at line {node.lineno}; only the capture stage may"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_a_grab_bag(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (more than {MAX_LINES}): split it by concern"
