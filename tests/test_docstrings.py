"""Every public function and class of coverage15 documents itself with a runnable example.

The examples themselves run as doctests (``--doctest-modules`` over ``src/coverage15``).
Beyond the example, the public API follows numpydoc: every parameter is described in a
``Parameters`` section (for a class, in the class docstring: the constructor's parameters,
dataclass fields included), and what a function returns in a ``Returns`` (or ``Yields``)
section. ``numpydoc`` is not a dependency, so the sections are parsed by a small helper here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import coverage15


def _public_objects() -> Iterator[tuple[str, object]]:
    """Public functions, classes and methods of the public modules, then top-level exports
    defined elsewhere (the exceptions of ``coverage15._errors``)."""
    seen: set[int] = set()
    for info in pkgutil.iter_modules(coverage15.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"coverage15.{info.name}")
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name, None)
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            for item in _with_methods(f"{info.name}.{name}", obj):
                seen.add(id(item[1]))
                yield item
    for name in coverage15._API:
        obj = getattr(coverage15, name)
        if id(obj) not in seen:
            seen.add(id(obj))
            yield from _with_methods(f"{obj.__module__.removeprefix('coverage15.')}.{name}", obj)


def _with_methods(name: str, obj: object) -> Iterator[tuple[str, object]]:
    if inspect.isfunction(obj) or inspect.isclass(obj):
        yield name, obj
    if inspect.isclass(obj):
        for attr, value in vars(obj).items():
            if isinstance(value, classmethod | staticmethod):
                value = value.__func__
            if not attr.startswith("_") and inspect.isfunction(value):
                yield f"{name}.{attr}", value


def _exception_classes() -> list[tuple[str, type]]:
    """Exceptions and warnings a user meets: the top-level exports, every one defined in
    ``coverage15._errors`` (documented on the API page ``errors``) and those of public modules."""
    errors = importlib.import_module("coverage15._errors")
    found = {
        f"_errors.{n}": c
        for n, c in vars(errors).items()
        if inspect.isclass(c) and issubclass(c, BaseException) and c.__module__ == errors.__name__
    }
    found |= {
        n: c for n, c in _public_objects() if inspect.isclass(c) and issubclass(c, BaseException)
    }
    return sorted(found.items())


# -- a small numpydoc section parser ---------------------------------------------------------

_HEADING = re.compile(r"^(?P<title>[A-Z][A-Za-z ]*)\n(?P<rule>-{3,})$", re.M)


def _sections(doc: str) -> dict[str, str]:
    """Map numpydoc section titles ("Parameters", "Returns" ...) to their bodies."""
    heads = [m for m in _HEADING.finditer(doc) if len(m["rule"]) == len(m["title"])]
    return {
        m["title"]: doc[m.end() : heads[i + 1].start() if i + 1 < len(heads) else len(doc)]
        for i, m in enumerate(heads)
    }


def _documented_params(doc: str) -> set[str]:
    """Names in the Parameters / Other Parameters sections; ``x, y : float`` names both."""
    names: set[str] = set()
    for title in ("Parameters", "Other Parameters"):
        for line in _sections(doc).get(title, "").splitlines():
            if line.strip() and not line[0].isspace():
                head = line.split(" : ", 1)[0].rstrip(":")
                names |= {n.strip().lstrip("*") for n in head.split(",") if n.strip()}
    return names


def _function_node(func: Callable) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None
    node = ast.parse(source).body[0]
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body, not of functions, lambdas or classes nested in it."""
    for child in ast.iter_child_nodes(node):
        if not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        ):
            yield child
            yield from _own_nodes(child)


def _forwarded(func: Callable, name: str, star: str) -> bool:
    """Whether ``*name`` / ``**name`` is only handed on to another call."""
    node = _function_node(func)
    if node is None:
        return False
    uses = [n for n in _own_nodes(node) if isinstance(n, ast.Name) and n.id == name]
    passed = {
        id(n.value)
        for n in _own_nodes(node)
        if (star == "*" and isinstance(n, ast.Starred))
        or (star == "**" and isinstance(n, ast.keyword) and n.arg is None)
    }
    return bool(uses) and all(id(n) in passed for n in uses)


def _signature_params(obj: Callable) -> list[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    func = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    params = []
    for p in sig.parameters.values():
        if p.name in {"self", "cls"}:
            continue
        if p.kind is p.VAR_POSITIONAL and _forwarded(func, p.name, "*"):
            continue
        if p.kind is p.VAR_KEYWORD and _forwarded(func, p.name, "**"):
            continue
        params.append(p.name)
    return params


def _own_constructor(cls: type) -> bool:
    """Whether coverage15 defines the class's constructor (dataclasses' generated one too)."""
    for klass in cls.__mro__:
        if "__init__" in vars(klass) or "__new__" in vars(klass):
            return klass.__module__.startswith("coverage15")
    return False


_NOTHING = re.compile(
    r"(None|NoReturn|Never"
    r"|(Iterator|Generator|AsyncIterator|AsyncGenerator|ContextManager|AbstractContextManager)"
    r"\[None\b.*)"
)


def _returns_something(func: Callable) -> bool:
    """By the return annotation when it says something (not ``Any``), else by the body:
    a ``return`` or ``yield`` with a value (a bare ``yield`` of a context manager is none)."""
    node = _function_node(func)
    if node is None:
        return False
    if node.returns is not None:
        annotation = re.sub(
            r"\b(typing|collections\.abc|contextlib)\.", "", ast.unparse(node.returns)
        )
        annotation = annotation.strip("'\"")
        if annotation != "Any":
            return not _NOTHING.fullmatch(annotation)
    return any(
        (
            isinstance(n, ast.Return | ast.Yield)
            and n.value is not None
            and ast.unparse(n.value) != "None"
        )
        or isinstance(n, ast.YieldFrom)
        for n in _own_nodes(node)
    )


def _numpydoc_problems(name: str, obj: object) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    sections = _sections(doc)
    problems = []
    if inspect.isclass(obj) and not _own_constructor(obj):
        params: list[str] = []
    else:
        params = _signature_params(obj)  # type: ignore[arg-type]
    if params:
        if "Parameters" not in sections:
            problems.append(f"{name}: no Parameters section")
        else:
            missing = [p for p in params if p not in _documented_params(doc)]
            if missing:
                problems.append(f"{name}: parameters not documented: {', '.join(missing)}")
    if inspect.isfunction(obj) and _returns_something(obj):
        if not {"Returns", "Yields"} & set(sections):
            problems.append(f"{name}: no Returns section")
    return problems


# -- the tests -------------------------------------------------------------------------------


def test_public_api_has_examples() -> None:
    missing = [name for name, obj in _public_objects() if ">>>" not in (inspect.getdoc(obj) or "")]
    assert missing == []


def test_public_api_is_documented_numpy_style() -> None:
    for name, obj in _public_objects():
        doc = inspect.getdoc(obj) or ""
        assert doc.strip(), name
        assert "Examples\n--------" in doc, name


def test_public_api_documents_parameters_and_returns() -> None:
    problems = [p for name, obj in _public_objects() for p in _numpydoc_problems(name, obj)]
    assert problems == [], "\n".join(problems)


def test_exceptions_and_warnings_have_examples() -> None:
    classes = _exception_classes()
    assert {"_errors.InputError", "_errors.OffsetWarning"} <= {n for n, _ in classes}
    missing = []
    for name, cls in classes:
        own = inspect.cleandoc(vars(cls).get("__doc__") or "")  # not one inherited
        if "Examples\n--------" not in own or ">>>" not in own:
            missing.append(name)
    assert missing == []


def test_section_parser() -> None:
    def f(x, y, z=1, *args, **kwargs):
        """Add.

        Parameters
        ----------
        x, y : float
            Numbers.
        *args
            More.

        Returns
        -------
        float
        """
        print(kwargs)
        return g(*args)

    def g(*args, **kwargs):
        return h(*args, **kwargs)

    def h() -> None:
        """Nothing."""

    def cm() -> Iterator[None]:
        yield

    def cm_any() -> Any:
        yield

    def gen() -> Any:
        yield 1

    assert set(_sections(inspect.getdoc(f) or "")) == {"Parameters", "Returns"}
    assert _documented_params(inspect.getdoc(f) or "") == {"x", "y", "args"}
    assert _signature_params(f) == ["x", "y", "z", "kwargs"]  # *args forwarded, **kwargs read
    assert _signature_params(g) == []
    assert _returns_something(f) and _returns_something(g) and _returns_something(gen)
    assert not any(_returns_something(x) for x in (h, cm, cm_any))
    assert _numpydoc_problems("f", f) == ["f: parameters not documented: z, kwargs"]
