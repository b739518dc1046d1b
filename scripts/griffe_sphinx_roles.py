"""Griffe extension for the docs build: Sphinx roles in docstrings become links.

coverage15's docstrings use Sphinx cross-reference roles (``:func:`analyze```,
``:class:`~coverage15.access.WalkNetwork```), readable in ``help()``.
mkdocstrings does not know them, so this rewrites each role, at build time only,
into an autorefs link ``[`analyze`][coverage15.analysis.analyze]`` when the
target is rendered on an API page, and into plain code otherwise (third-party
objects, private helpers), so ``mkdocs build --strict`` never meets a link it
cannot resolve.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|data|attr|exc|obj|const):`([^`]+)`")


def _rendered(obj: Any) -> bool:
    """Whether mkdocstrings renders this object with an anchor of its own.

    Public functions, classes, methods and documented attributes of coverage15; not modules
    (each API page shows its module without a heading, so a module has no anchor).
    """
    parts = obj.path.split(".")
    if parts[0] != "coverage15" or obj.is_module:
        return False
    if any(p.startswith("_") and p != "_errors" for p in parts[1:]):
        return False
    return obj.docstring is not None and obj.is_public


class SphinxRoles(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != "coverage15":
            return
        index: dict[str, list[Any]] = {}
        objects = list(self._walk(pkg))
        for obj in objects:
            index.setdefault(obj.name, []).append(obj)
        self._index = index
        self._pkg = pkg
        for obj in objects:
            if obj.docstring is not None:
                doc = obj.docstring
                doc.value = ROLE.sub(lambda m, o=obj: self._link(m, o), doc.value)

    def _walk(self, obj: Any):
        yield obj
        for member in obj.members.values():
            if member.is_alias:
                continue
            yield from self._walk(member)

    def _find(self, target: str, context: Any) -> Any | None:
        name = target.lstrip(".")
        candidates = []
        if name.startswith("coverage15."):
            try:
                candidates.append(self._pkg[name.removeprefix("coverage15.")])
            except (KeyError, ValueError, griffe.AliasResolutionError):
                pass
            name = name.rsplit(".", 1)[-1] if not candidates else name
        scope = context
        while scope is not None and not candidates:
            try:
                candidates.append(scope[name])
            except (KeyError, ValueError, griffe.AliasResolutionError, AttributeError):
                pass
            scope = scope.parent
        if not candidates and "." not in name:
            found = self._index.get(name, [])
            if len(found) == 1:
                candidates.append(found[0])
        for obj in candidates:
            if obj.is_alias:
                try:
                    obj = obj.final_target
                except griffe.AliasResolutionError:
                    continue
            if _rendered(obj):
                return obj
        return None

    def _link(self, match: re.Match[str], context: Any) -> str:
        target = match.group(2).strip()
        short = target.startswith("~")
        target = target.lstrip("~!")
        if "<" in target:  # :func:`text <target>`
            text, target = target.split("<", 1)
            text, target = text.strip(), target.rstrip(">").strip()
        else:
            text = target.rsplit(".", 1)[-1] if short else target
        found = self._find(target, context)
        if found is None:
            return f"`{text}`"
        return f"[`{text}`][{found.path}]"
