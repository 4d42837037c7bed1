"""The package imports only downwards and has no import cycle (docs/architecture.md, "Layers").

Every module under ``diffkit/`` is parsed with :mod:`ast` (nothing is imported); every ``import`` — at module level
or inside a function, except under ``if TYPE_CHECKING:`` — is an edge. A module may import its own layer or any
layer below it; an edge to a higher layer, or any cycle of edges, fails the test naming ``file:line → module``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "diffkit"

#: Bottom to top. A module belongs to the layer of its longest listed prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "diffkit._version",
            "diffkit.errors",
            "diffkit.config",
            "diffkit.device",
            "diffkit.io",
            "diffkit.audio",
            "diffkit.runtime",
        ),
    ),
    ("registry", ("diffkit.registry", "diffkit.builtins", "diffkit.provenance")),
    (
        "components",
        (
            "diffkit.condition_records",
            "diffkit.conditioners",
            "diffkit.schedules",
            "diffkit.networks",
            "diffkit.objectives",
            "diffkit.guidance",
            "diffkit.thresholding",
            "diffkit.samplers",
            "diffkit.inpainting",
            "diffkit.datasets",
        ),
    ),
    ("pipeline", ("diffkit.pipeline",)),
    ("measures", ("diffkit.embedders", "diffkit.metrics")),
    ("services", ("diffkit.training", "diffkit.evaluation", "diffkit.generation", "diffkit.report", "diffkit.testing")),
    ("recipes", ("diffkit.recipes",)),
    ("stages", ("diffkit.stages",)),
    ("interface", ("diffkit", "diffkit.__main__", "diffkit.cli", "diffkit.docgen")),
]


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``file:line``."""

    source: str
    target: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line} → {self.target}"


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under the package."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.split(".")
        keep = len(base) - node.level + (1 if path.name == "__init__.py" else 0)
        stem = ".".join(base[:keep] + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    yield stem
    yield from (f"{stem}.{alias.name}" for alias in node.names)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    return {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }


def edges(package: Path = PACKAGE) -> list[Edge]:
    """Every import of one package module by another."""
    known = modules(package)
    out = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skip:
                continue
            found = set()
            for target in _targets(module, path, node):
                while target not in known and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in known and target != module:
                    found.add(target)
            for target in sorted(found):
                out.append(Edge(module, target, str(path.relative_to(package.parent)), node.lineno))
    return out


def layer_of(module: str) -> int:
    """Index in LAYERS of the module's longest listed prefix; -1 when no layer lists it."""
    best, length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = index, len(prefix)
    return best


def cycles(found: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for edge in found:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(module for module in modules() if layer_of(module) < 0)
    assert not unplaced, f"modules in no layer (add them to LAYERS and docs/architecture.md): {unplaced}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{edge} ({LAYERS[layer_of(edge.source)][0]} imports {LAYERS[layer_of(edge.target)][0]})"
        for edge in edges()
        if layer_of(edge.target) > layer_of(edge.source)
    ]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _room(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _lists_its_own(edge: Edge) -> bool:
    """A sub-package's ``__init__`` importing one of its modules (a kind package lists its built-ins in
    ``components()``, whose modules import the protocol above them)."""
    return edge.file.endswith("__init__.py") and "." in edge.source and edge.target.startswith(edge.source + ".")


def import_cycles(found: list[Edge]) -> list[list[str]]:
    """Cycles across sub-packages, and cycles inside one that do not pass through its ``__init__``'s list."""
    across = [c for c in cycles(found) if len({_room(m) for m in c}) > 1]
    inside = [c for c in cycles([e for e in found if not _lists_its_own(e)]) if len({_room(m) for m in c}) == 1]
    return across + inside


def test_no_import_cycle() -> None:
    found = edges()
    problems = []
    for component in import_cycles(found):
        members = set(component)
        inside = [str(edge) for edge in found if edge.source in members and edge.target in members]
        problems.append(f"cycle of {len(component)} modules: " + "; ".join(inside))
    assert not problems, "\n".join(problems)


def test_the_checker_finds_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The checker itself: a toy package with a cycle and an upward import is caught, edges named by file:line."""
    toy = tmp_path / "diffkit"
    (toy / "pipeline").mkdir(parents=True)
    (toy / "__init__.py").write_text("")
    (toy / "errors.py").write_text("from diffkit.pipeline.core import thing\n")
    (toy / "pipeline" / "__init__.py").write_text("from diffkit.pipeline.core import thing\n")
    (toy / "pipeline" / "core.py").write_text("import os\n\n\ndef f():\n    from diffkit.errors import x\n")
    found = edges(toy)
    assert {(e.source, e.target, e.line) for e in found} == {
        ("diffkit.errors", "diffkit.pipeline.core", 1),
        ("diffkit.pipeline", "diffkit.pipeline.core", 1),
        ("diffkit.pipeline.core", "diffkit.errors", 5),
    }
    upward = [e for e in found if layer_of(e.target) > layer_of(e.source)]
    assert [str(e) for e in upward] == ["diffkit/errors.py:1 → diffkit.pipeline.core"]
    assert import_cycles(found) == [["diffkit.errors", "diffkit.pipeline.core"]]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("diffkit", "interface"),
        ("diffkit.registry.slots", "registry"),
        ("diffkit.pipeline.memory", "pipeline"),
        ("diffkit.stages.preflight", "stages"),
        ("diffkit.generation.generate", "services"),
    ],
)
def test_moved_modules_sit_in_the_layer_they_serve(module: str, layer: str) -> None:
    assert module in modules() and LAYERS[layer_of(module)][0] == layer
