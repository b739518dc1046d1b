"""The documentation site: every page in the nav, every public module documented, and a strict
build (broken links, anchors and cross-references fail) that needs no network."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import coverage15

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# pages kept out of the nav on purpose (none at the moment): {"path/in/docs.md": "why"}
NOT_IN_NAV: dict[str, str] = {}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _config() -> dict:
    # mkdocs.yml may use mkdocs' own YAML tags (!ENV, !relative); keep them as plain text
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def _nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        elif not re.match(r"https?://", value):
            pages.append(value)
    return pages


def _public_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(coverage15.__path__)]
    return [*sorted(n for n in names if not n.startswith("_")), "_errors"]


def test_every_page_is_in_the_nav_once() -> None:
    nav = _nav_pages(_config()["nav"])
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert sorted(p for p in nav if nav.count(p) > 1) == [], "pages listed twice in the nav"
    assert pages - set(nav) - set(NOT_IN_NAV) == set(), "pages missing from mkdocs.yml nav"
    assert set(nav) - pages == set(), "nav entries without a page"


def test_every_public_module_has_an_api_page() -> None:
    missing = []
    for name in _public_modules():
        page = DOCS / "api" / f"{name.lstrip('_')}.md"
        if not page.is_file() or f"::: coverage15.{name}" not in page.read_text(encoding="utf-8"):
            missing.append(name)
    assert missing == []


def test_api_overview_lists_the_top_level_names() -> None:
    text = (DOCS / "api" / "index.md").read_text(encoding="utf-8")
    missing = [n for n, mod in coverage15._API.items() if f"[{mod}.{n}]" not in text]
    assert missing == [], "add them to docs/api/index.md"


def test_user_guide_pages_carry_chinese_terms() -> None:
    key = "User guide 用户指南"
    guide = next(item[key] for item in _config()["nav"] if isinstance(item, dict) and key in item)
    for page in [*_nav_pages(guide), "index.md", "getting-started.md", "glossary.md"]:
        assert CJK.search((DOCS / page).read_text(encoding="utf-8")), page


def test_config_fetches_nothing() -> None:
    """No remote inventories, themes or plugins: the build runs offline."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = _config()
    assert config["theme"]["name"] in {"mkdocs", "readthedocs"}
    assert not re.search(r"^\s*inventories\s*:", text, re.M)
    assert config["theme"].get("highlightjs") is False  # highlight.js would come from a CDN
    plugins = {next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]}
    assert plugins <= {"search", "mkdocstrings"}


@pytest.mark.slow
def test_docs_build_strict(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WARNING" not in r.stderr, r.stderr[-3000:]
    # docstrings rendered, with their examples and numpydoc sections
    api = (tmp_path / "api" / "analysis" / "index.html").read_text(encoding="utf-8")
    assert 'id="coverage15.analysis.analyze"' in api
    assert "Examples" in api and "&gt;&gt;&gt;" in api and "Parameters" in api
    index = (tmp_path / "api" / "index.html").read_text(encoding="utf-8")
    assert 'href="analysis/#coverage15.analysis.analyze"' in index  # cross-references resolve
    # the site works offline too: no scripts or stylesheets from elsewhere
    remote = re.compile(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', re.I)
    pages = list(tmp_path.rglob("*.html"))
    # Sphinx roles in docstrings become links (scripts/griffe_sphinx_roles.py), never raw text
    raw_roles = re.compile(r":(func|class|mod|meth|attr|data):`")
    assert [p.name for p in pages if raw_roles.search(p.read_text(encoding="utf-8"))] == []
    assert len(pages) > 30
    assert [p.relative_to(tmp_path).as_posix() for p in pages if remote.search(p.read_text())] == []
