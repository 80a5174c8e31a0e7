"""The gateway's layout holds (README, "The gateway's packages"): no import cycle between modules, no module
importing a layer below its own, and the product never importing what only the tests use."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import ROOT

# From the bottom up: a module may import its own layer and those before it.
LAYERS = [
    ["bot.errors", "bot.shared"],
    ["bot.settings"],
    ["bot.storage"],
    ["bot.web", "bot.appkeys", "bot.runtime"],
    ["bot.channels.base", "bot.channels.text", "bot.messaging"],
    ["bot.channels"],
    ["bot.desk", "bot.news", "bot.initiatives"],
    ["bot.retrain"],
    ["bot.staff"],
    ["bot.reports"],
    ["bot.app"],
    ["bot.cli", "bot.__main__"],
]


def modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "bot").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules `path` imports, wherever in the module (a function's lazy import counts), but under
    `if TYPE_CHECKING:`, which only the type checker runs."""
    names: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            for alias in node.names:
                if node.module:
                    submodule = f"{node.module}.{alias.name}"
                    names.add(submodule if submodule in known else node.module)

        def visit_Import(self, node: ast.Import) -> None:
            names.update(alias.name for alias in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return names


def layer(module: str) -> int:
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add its package to LAYERS and to the README's table"
    return max(matches)[1]


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {i for i in imports(path, known) if i in known and i != name} for name, path in known.items() if name != "bot"}


def test_no_module_imports_a_layer_below_its_own() -> None:
    upward = [(m, d) for m, deps in graph().items() for d in deps if d != "bot" and layer(d) > layer(m)]
    assert upward == []


def test_no_import_cycle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " → ".join(path[path.index(module):] + [module]))
        if module in done:
            return
        for dependency in sorted(edges.get(module, ())):
            visit(dependency, path + [module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


def test_the_product_never_imports_the_tests_support() -> None:
    known = modules()
    offenders = [name for name, path in known.items() if any(i.startswith("tests") for i in imports(path, known))]
    assert offenders == []
