"""Every public function and class of coverage15 documents itself with a runnable example.

The examples themselves run as doctests (``--doctest-modules`` over ``src/coverage15``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import coverage15


def _public_objects():
    for info in pkgutil.iter_modules(coverage15.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"coverage15.{info.name}")
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name, None)
            if getattr(obj, "__module__", None) != mod.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{info.name}.{name}", obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(value):
                        yield f"{info.name}.{name}.{attr}", value


def test_public_api_has_examples() -> None:
    missing = [name for name, obj in _public_objects() if ">>>" not in (inspect.getdoc(obj) or "")]
    assert missing == []


def test_public_api_is_documented_numpy_style() -> None:
    for name, obj in _public_objects():
        doc = inspect.getdoc(obj) or ""
        assert doc.strip(), name
        assert "Examples\n--------" in doc, name
