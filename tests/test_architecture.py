"""The layout (docs/architecture.md): rooms named for what they hold, imports one way, no cycle.

`make lint` runs import-linter's contracts (pyproject.toml); these tests keep what it cannot
say: no two modules import each other (directly or round a loop), every adapter lives in a
subpackage named for what it adapts, and every room says in its docstring what it may import.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import grimp
import pytest

import slaengine

PACKAGE = Path(slaengine.__file__).parent
ROOMS = [
    "slaengine.domain.contract",
    "slaengine.domain.evaluation",
    "slaengine.domain.money",
    "slaengine.domain.procurement",
    "slaengine.domain.reports",
    "slaengine.adapters.storage",
    "slaengine.adapters.columnar",
    "slaengine.adapters.compute",
    "slaengine.adapters.feeds",
    "slaengine.adapters.yaml",
    "slaengine.adapters.pdf",
    "slaengine.adapters.csv",
    "slaengine.adapters.delivery",
    "slaengine.adapters.scheduling",
]


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
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
                    imported = sorted(graph.find_modules_directly_imported_by(child))
                    work.append((child, iter(imported)))
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
                    cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.d", imported="pkg.a")
    assert module_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_no_two_modules_import_each_other_even_round_a_loop() -> None:
    graph = grimp.build_graph("slaengine")
    assert module_cycles(graph) == []


def test_the_domain_and_the_adapters_have_no_loose_modules() -> None:
    for floor in ("domain", "adapters"):
        loose = [
            path.name for path in (PACKAGE / floor).glob("*.py") if path.name != "__init__.py"
        ]
        assert loose == [], f"{floor}/ holds modules outside a room: {loose}"


def test_every_room_exists_and_says_what_it_holds_and_may_import() -> None:
    found = {
        f"slaengine.{floor}.{info.name}"
        for floor in ("domain", "adapters")
        for info in pkgutil.iter_modules([str(PACKAGE / floor)])
        if info.ispkg
    }
    assert found == set(ROOMS)
    for name in ROOMS:
        doc = importlib.import_module(name).__doc__ or ""
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        assert first, f"{name} has no docstring"
        assert "import" in doc, f"{name}'s docstring does not say what it may import"


@pytest.mark.parametrize("floor", ["domain"])
def test_the_domain_imports_no_outside_thing(floor: str) -> None:
    graph = grimp.build_graph("slaengine", include_external_packages=True)
    outside = {"sqlalchemy", "sqlmodel", "polars", "pandera", "httpx", "reportlab", "apscheduler"}
    for module in graph.find_children(f"slaengine.{floor}") | {f"slaengine.{floor}"}:
        for inner in graph.find_descendants(module) | {module}:
            assert not graph.find_modules_directly_imported_by(inner) & outside, inner


def test_the_picture_in_docs_is_the_one_the_code_draws() -> None:
    drawing = importlib.import_module("docs.architecture_graph")
    text = drawing.DOC.read_text(encoding="utf-8")
    assert drawing.with_picture(text, drawing.mermaid()) == text, "run `make architecture`"
