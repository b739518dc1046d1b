"""Find a font with Chinese glyphs for matplotlib, or fall back to English once.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: Chinese labels
come out as empty boxes. :func:`find_cjk_font` looks for a CJK font among the
fonts matplotlib knows and, because matplotlib's font cache may predate a font
installed later (``apt-get install fonts-noto-cjk``), among the system's font
files too. :func:`resolve_lang` turns ``lang="zh"`` into ``"en"`` with one
:class:`CJKFontMissingWarning` per process when there is none.

Examples
--------
>>> resolve_lang("en")
'en'
>>> font_families("en")[0]
'DejaVu Sans'
"""

from __future__ import annotations

import re
import warnings
from functools import cache

# preferred family names, best first (simplified Chinese faces before others)
PREFERRED = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
# file names of CJK fonts, to register fonts matplotlib's cache does not know yet
_FILE_PATTERN = re.compile(
    r"(cjk|wqy|wenquanyi|sourcehan|notosanssc|notoserifsc|msyh|simhei|simsun|pingfang"
    r"|hiragino|stheiti|droidsansfallback|uming|ukai)",
    re.IGNORECASE,
)
_SAMPLE = "社区服务覆盖率"  # glyphs every candidate must have


class CJKFontMissingWarning(UserWarning):
    """No font with Chinese glyphs was found; maps are labelled in English.

    Install one, e.g. ``apt-get install fonts-noto-cjk`` (Debian/Ubuntu),
    ``dnf install google-noto-sans-cjk-fonts`` (Fedora); Windows and macOS ship
    Microsoft YaHei / PingFang already.
    """


_warned = False


def _has_glyphs(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in _SAMPLE)
    except Exception:  # pragma: no cover - unreadable font file
        return False


@cache
def find_cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, or None.

    Looks at the fonts matplotlib knows first, then registers CJK font files
    found on the system (matplotlib's cache may be older than the font).

    Returns
    -------
    str or None
        A family name usable in ``rcParams["font.family"]``.
    """
    from matplotlib import font_manager as fm

    def known() -> str | None:
        names = {f.name: f.fname for f in fm.fontManager.ttflist}
        for family in PREFERRED:
            if family in names and _has_glyphs(names[family]):
                return family
        return None

    hit = known()
    if hit:
        return hit
    try:
        files = fm.findSystemFonts()
    except Exception:  # pragma: no cover - broken fontconfig
        files = []
    added = False
    for path in sorted(files):
        if _FILE_PATTERN.search(path.replace("-", "").replace("_", "")):
            try:
                fm.fontManager.addfont(path)
                added = True
            except Exception:  # pragma: no cover - unreadable font file
                continue
    return known() if added else None


def resolve_lang(lang: str) -> str:
    """``lang`` if its labels can be drawn; ``"zh"`` without a CJK font becomes ``"en"``.

    Warns with :class:`CJKFontMissingWarning` the first time only.

    Examples
    --------
    >>> resolve_lang("en")
    'en'
    """
    global _warned
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if lang == "en" or find_cjk_font() is not None:
        return lang
    if not _warned:
        _warned = True
        warnings.warn(
            "no font with Chinese glyphs found (looked for Noto Sans CJK, Source Han Sans, "
            "WenQuanYi, Microsoft YaHei, SimHei, PingFang …): map labels are in English. "
            "Install one, e.g. `apt-get install fonts-noto-cjk`.",
            CJKFontMissingWarning,
            stacklevel=3,
        )
    return "en"


def font_families(lang: str) -> list[str]:
    """Font family list for text in ``lang``.

    Chinese: the CJK font first, DejaVu Sans for any glyph it lacks. English:
    DejaVu Sans first, the CJK font (when there is one) for Chinese place names.

    Examples
    --------
    >>> font_families("en")[0]
    'DejaVu Sans'
    """
    cjk = find_cjk_font()
    if lang == "zh" and cjk:
        return [cjk, "DejaVu Sans"]
    return ["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"]


def has_cjk(value: object) -> bool:
    """True when a string contains CJK characters (which need a CJK font).

    Examples
    --------
    >>> has_cjk("嘉州社区"), has_cjk("Jiazhou")
    (True, False)
    """
    return isinstance(value, str) and any(
        "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"
        for ch in value
    )
