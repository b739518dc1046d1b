"""The package's import structure: one direction between modules, no private reach-ins.

Read from the source with ``ast`` (nothing is imported), so function-level
imports count as much as module-level ones. Imports under ``if TYPE_CHECKING:``
never run and do not make a cycle, but they may not take private names either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "coverage15"
SRC = Path(__file__).parents[1] / "src" / PACKAGE


@dataclass(frozen=True)
class Import:
    """One imported module (and name, for ``from m import name``) at a line of a module."""

    importer: str
    line: int
    module: str
    name: str | None
    type_checking: bool


def module_files(root: Path = SRC) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, guarded: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node below ``node``, with whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                yield sub, True
                yield from _walk(sub, True)
            for sub in child.orelse:
                yield sub, guarded
                yield from _walk(sub, guarded)
            continue
        yield child, guarded
        yield from _walk(child, guarded)


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The package-internal imports of one module, function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    here = module if is_pkg else module.rpartition(".")[0]
    found = []
    for node, guarded in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    found.append(Import(module, node.lineno, alias.name, None, guarded))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target != PACKAGE and not target.startswith(PACKAGE + "."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:  # "from pkg import module": the module itself
                    found.append(Import(module, node.lineno, sub, None, guarded))
                else:
                    found.append(Import(module, node.lineno, target, alias.name, guarded))
    return found


def all_imports() -> list[Import]:
    modules = module_files()
    return [imp for mod, path in modules.items() for imp in imports_of(mod, path, modules)]


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of modules (size > 1, or a module importing itself).

    Imports of the package itself (its lazy ``__init__``) and those under
    ``TYPE_CHECKING`` are left out.
    """
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.type_checking or imp.module == PACKAGE:
            continue
        graph.setdefault(imp.importer, set()).add(imp.module)
        graph.setdefault(imp.module, set())
    # Tarjan's algorithm, iteratively
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1 or node in graph[node]:
                        groups.append(sorted(group))
    return sorted(groups)


def private_imports(imports: list[Import]) -> list[Import]:
    """``from coverage15.x import _name`` in a module other than ``x``.

    Public names of private modules (``from coverage15._errors import
    InputError``) and private modules themselves are fine.
    """
    return [
        imp
        for imp in imports
        if imp.name is not None
        and imp.name.startswith("_")
        and not imp.name.startswith("__")
        and imp.module != imp.importer
    ]


def private_attributes(root: Path = SRC) -> list[str]:
    """``module._name`` where ``module`` is another package module bound by an import.

    Catches ``from coverage15 import maps`` then ``maps._draw(...)``.
    """
    modules = module_files(root)
    found = []
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node, _ in _walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in modules and a.asname:
                        aliases[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for a in node.names:
                    if f"{node.module}.{a.name}" in modules:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node, _ in _walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and aliases[node.value.id] != mod
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                used = f"{aliases[node.value.id]}.{node.attr}"
                found.append(f"{mod} (line {node.lineno}) uses {used}")
    return sorted(found)


def _describe(imp: Import) -> str:
    what = f"{imp.module}.{imp.name}" if imp.name else imp.module
    return f"{imp.importer} (line {imp.line}) imports {what}"


# -- the checker, on small made-up packages --------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    modules = module_files(root)
    return [imp for mod, path in modules.items() for imp in imports_of(mod, path, modules)]


def test_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    imports = _package(
        tmp_path,
        {
            "a.py": "from coverage15.b import f\n",
            "b.py": "def f():\n    from coverage15 import a\n    return a\n",
            "c.py": "import coverage15.a\n",
        },
    )
    assert import_cycles(imports) == [["coverage15.a", "coverage15.b"]]


def test_checker_ignores_type_checking_imports_and_the_lazy_package(tmp_path):
    imports = _package(
        tmp_path,
        {
            "a.py": "from coverage15.b import f\n",
            "b.py": (
                "from typing import TYPE_CHECKING\nimport coverage15\n"
                "if TYPE_CHECKING:\n    from coverage15.a import A\n"
            ),
        },
    )
    assert import_cycles(imports) == []


def test_checker_resolves_relative_imports(tmp_path):
    imports = _package(tmp_path, {"a.py": "from .b import g\n", "b.py": "from . import a\n"})
    assert import_cycles(imports) == [["coverage15.a", "coverage15.b"]]


def test_checker_flags_private_names_only(tmp_path):
    imports = _package(
        tmp_path,
        {
            "_util.py": "def helper():\n    pass\n",
            "a.py": (
                "from coverage15._util import helper\nfrom coverage15 import _util\n"
                "def f():\n    from coverage15.b import _secret\n"
            ),
            "b.py": "_secret = 1\n",
        },
    )
    assert [(i.importer, i.module, i.name) for i in private_imports(imports)] == [
        ("coverage15.a", "coverage15.b", "_secret")
    ]


def test_checker_flags_private_attributes_of_imported_modules(tmp_path):
    _package(
        tmp_path,
        {
            "a.py": "from coverage15 import b\nimport coverage15.b as bb\nb._x; bb._y; b.ok\n",
            "b.py": "_x = _y = ok = 1\nimport coverage15.b as me\nme._x\n",
        },
    )
    assert private_attributes(tmp_path / PACKAGE) == [
        "coverage15.a (line 3) uses coverage15.b._x",
        "coverage15.a (line 3) uses coverage15.b._y",
    ]


# -- the package itself ------------------------------------------------------------------------


def test_the_package_is_read():
    imports = all_imports()
    importers = {i.importer for i in imports}
    assert {"coverage15.access", "coverage15.snap", "coverage15.maps"} <= importers
    assert any(i.importer == "coverage15.access" and i.module == "coverage15.snap" for i in imports)


def test_no_import_cycles():
    cycles = import_cycles(all_imports())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_private_names_imported_across_modules():
    found = [_describe(i) for i in private_imports(all_imports())] + private_attributes()
    assert not found, "private names imported:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("coverage15._arrays", "coverage15.snap"),
        ("coverage15.snap", "coverage15.access"),
        ("coverage15.access", "coverage15.maps"),
    ],
)
def test_engine_layers_point_one_way(low, high):
    """The engine's layers: _arrays <- snap <- access <- maps, never back."""
    back = [i for i in all_imports() if i.importer == low and i.module == high]
    assert not back, "\n".join(_describe(i) for i in back)
