"""Classification and colours shared by maps, the web map and GIS styles.

One place for the class breaks (:func:`classify`), the no-data and status
colours and the per-category colour and marker (:func:`category_styles`), so a
category or a class looks the same in a PNG map, ``map.html`` and a QGIS style.

Examples
--------
>>> classify([0.1, 0.5, 0.9], column="share__pharmacy").labels[-1]  # fixed share breaks
'100%'
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverage15.labels import is_share as _labels_is_share
from coverage15.labels import text

__all__ = [
    "AREA_COLUMNS",
    "CATEGORY_MARKERS",
    "MIN_QUANTILE_N",
    "MISSING_COLORS",
    "NEAR_FACTOR",
    "NO_DATA_COLOR",
    "REACH_CLASSES",
    "REACH_COLORS",
    "REACH_MARKERS",
    "SCHEMES",
    "SHARE_BREAKS",
    "SITING_COLORS",
    "STREET_COLOR",
    "Classes",
    "auto_scheme",
    "category_styles",
    "classify",
]

SCHEMES = (
    "auto",
    "quantiles",
    "natural_breaks",
    "fisher_jenks",
    "equal_interval",
    "pretty",
    "shares",
    "standard",
)
# quantile or natural breaks on fewer values than this say more about the sample than about
# the district ("31.1 – 32" on ten communities): the automatic scheme uses fixed breaks then
MIN_QUANTILE_N = 20
# fixed share breaks (right-open; the last class is exactly 100 %): the coverage targets of
# the shipped profiles are 50 %, 80 %, 90 % and 100 %, so every target is a class edge
SHARE_BREAKS = (0.2, 0.5, 0.8, 0.9, 1.0)
# the same for shares where higher is worse (underserved, off network; right-closed):
# 0 % exactly, then (0, 10 %], (10, 25 %], (25, 50 %], (50, 75 %], > 75 %
SHARE_BREAKS_WORSE = (0.0, 0.1, 0.25, 0.5, 0.75)
NO_DATA_COLOR = "#d9d9d9"
BOUNDARY_COLOR = "#4d4d4d"
STREET_COLOR = "#a6a6a6"
BACKGROUND = "#f7f7f4"
# walking classes against a category's own standard (ColorBrewer RdBu / PuOr hues, told
# apart by lightness as well as hue, so they survive deuteranopia and protanopia: the
# test simulates both and requires CIEDE2000 ≥ 15 between every pair)
NEAR_FACTOR = 1.5  # "up to 1.5× the standard"
REACH_CLASSES = ("within", "near", "beyond", "no_path", "off_network")
REACH_COLORS = {
    "within": "#2166ac",  # within the standard
    "near": "#fdb863",  # beyond it, up to 1.5×
    "beyond": "#b35806",  # beyond 1.5× (or beyond the search bound)
    "no_path": "#4d4d4d",  # no facility of the category in the home's network piece
    "off_network": "#bdbdbd",  # the home could not be placed on the network
}
REACH_MARKERS = {"within": "o", "near": "o", "beyond": "o", "no_path": "X", "off_network": "s"}
# required categories a home lacks: none (blue), then four ordered oranges to browns
MISSING_COLORS = ("#2166ac", "#fee0b6", "#fdb863", "#e66101", "#7f3b08")
# siting map: homes covered before, still not covered, newly covered
SITING_COLORS = {"before": "#d9d9d9", "still": "#e66101", "new": "#2166ac", "site": "#1a1a1a"}
# kept for old imports: the first walking class and the unreachable grey
TIME_COLORS = (REACH_COLORS["within"], REACH_COLORS["near"], REACH_COLORS["beyond"])
UNREACHABLE_COLOR = REACH_COLORS["no_path"]
CATEGORY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "p", "h", "*", "<", ">")
# Okabe & Ito (2008), the qualitative palette designed for colour-vision deficiencies;
# beyond eight categories colours repeat and the marker (cycled separately) tells them apart
CATEGORY_COLORS = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
)
# columns where a higher value is worse: oranges/browns
WORSE_HIGHER = (
    "hh_underserved",
    "hh_off_network",
    "share_underserved",
    "share_off_network",
    "n_missing",
    "dist_m__",
    "time_min__",
)
AREA_COLUMNS = ("area_per_100hh", "accessible_area_per_100hh")
# shares the maps derive (not result columns, so not in coverage15.labels)
MAP_SHARES = ("share_underserved", "share_off_network")


def is_share(column: str) -> bool:
    """True for 0–1 columns shown in per cent (result columns and the maps' derived shares).

    Parameters
    ----------
    column
        A column name.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_share("share__pharmacy"), is_share("share_underserved"), is_share("households")
    (True, True, False)
    """
    return column in MAP_SHARES or _labels_is_share(column)


# --------------------------------------------------------------------------- classes


@dataclass(frozen=True)
class Classes:
    """A classification of values into coloured classes.

    :func:`classify` builds it; the parameters are kept as attributes of the same names.

    Parameters
    ----------
    scheme
        The scheme used, as given to :func:`classify` (``"quantiles"``,
        ``"natural_breaks"`` or its alias ``"fisher_jenks"``, ``"equal_interval"``
        or ``"standard"``).
    edges
        Class boundaries, ``len(colors) + 1`` numbers; the outer ones may be
        ``-inf`` / ``inf`` (open classes).
    colors
        Hex colour per class.
    labels
        Legend text per class.
    yb
        Class of each value (``-1`` for missing values).
    centre
        The standard a diverging scheme is centred on (else None, the default).
    shown
        Classes listed in the legend (a diverging scheme hides classes of
        impossible negative values); empty (the default) lists them all.

    Examples
    --------
    >>> c = classify(np.array([5.0, 10, 20, 40, 80]), scheme="standard", standard=30)
    >>> c.labels
    ('< 10', '10 – 20', '20 – 30', '30 – 40', '40 – 50', '≥ 50')
    >>> c.yb.tolist()
    [0, 1, 2, 4, 5]
    """

    scheme: str
    edges: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]
    yb: np.ndarray
    centre: float | None = None
    shown: tuple[int, ...] = ()

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.colors)

    def color_of(self) -> list[str]:
        """Colour per value (no-data grey for missing values).

        Returns
        -------
        list of str
            One hex colour per value of :attr:`yb`, in order: its class's colour,
            or ``NO_DATA_COLOR`` (grey) for a missing value.

        Examples
        --------
        >>> classify(np.array([5.0, 35.0, np.nan]), scheme="standard", standard=30).color_of()
        ['#8a0b25', '#c5dfec', '#d9d9d9']
        """
        return [self.colors[i] if i >= 0 else NO_DATA_COLOR for i in self.yb]


def _nice(x: float) -> float:
    """The smallest round number (1, 2, 2.5, 5 × 10ⁿ) ≥ x."""
    if not x > 0 or not math.isfinite(x):
        return 1.0
    base = 10 ** math.floor(math.log10(x))
    return next(s * base for s in (1, 2, 2.5, 5, 10) if s * base >= x * (1 - 1e-12))


def _formatter(column: str | None, values: np.ndarray) -> Any:
    if column is not None and is_share(column):
        return lambda v: f"{v * 100:.0f}%"
    finite = values[np.isfinite(values)]
    integral = len(finite) and np.allclose(finite, np.round(finite))
    if integral:
        return lambda v: f"{v:,.0f}"
    return lambda v: f"{v:,.1f}".removesuffix(".0")


def sample_colors(cmap: str, n: int, lo: float = 0.15, hi: float = 0.9) -> list[str]:
    """``n`` evenly spaced colours of a matplotlib colour map, between ``lo`` and ``hi``.

    Parameters
    ----------
    cmap
        A matplotlib colour-map name (e.g. ``"Greens"``).
    n
        How many colours.
    lo, hi
        The part of the colour map used (0–1), avoiding its palest and darkest ends.

    Returns
    -------
    list of str
        ``n`` hex colours, from ``lo`` to ``hi``.

    Examples
    --------
    >>> len(sample_colors("Greens", 3))
    3
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    if n == 1:
        return [to_hex(cm((lo + hi) / 2))]
    return [to_hex(cm(x)) for x in np.linspace(lo, hi, n)]


def _at(cmap: str, shares: np.ndarray, lo: float = 0.15, hi: float = 0.9) -> list[str]:
    """Colours of 0–1 values on a fixed scale (0 % light … 100 % dark)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    return [to_hex(cm(lo + (hi - lo) * float(np.clip(v, 0.0, 1.0)))) for v in shares]


def _worse_higher(column: str | None) -> bool:
    return bool(column) and any(str(column).startswith(p) for p in WORSE_HIGHER)


def _default_cmap(column: str | None) -> str:
    return "YlOrBr" if _worse_higher(column) else "YlGnBu"


def auto_scheme(
    values: Sequence[float] | pd.Series | np.ndarray,
    *,
    column: str | None = None,
    standard: float | None = None,
    share: bool | None = None,
) -> str:
    """The classification a map uses when the caller names none.

    ``"standard"`` when a standard is given; ``"shares"`` (fixed breaks at the
    profiles' targets) for shares; ``"quantiles"`` only with at least
    :data:`MIN_QUANTILE_N` (20) values, else ``"pretty"`` (round equal steps from 0).

    Parameters
    ----------
    values
        The values to classify (NaN = no data, not counted).
    column
        The column they come from (shares are recognised by its unit).
    standard
        The standard of the column, if any.
    share
        Force (True) or refuse (False) the share breaks; default: by ``column``.

    Returns
    -------
    str
        A scheme name of :data:`SCHEMES`.

    Examples
    --------
    >>> auto_scheme([0.2, 0.9], column="share__pharmacy")
    'shares'
    >>> auto_scheme(range(10), column="hh_underserved"), auto_scheme(range(30))
    ('pretty', 'quantiles')
    >>> auto_scheme([12.0, 40.0], column="area_per_100hh", standard=30)
    'standard'
    """
    if standard is not None and math.isfinite(standard):
        return "standard"
    if share if share is not None else (column is not None and is_share(column)):
        return "shares"
    y = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    return "quantiles" if int(np.isfinite(y).sum()) >= MIN_QUANTILE_N else "pretty"


def _share_classes(y: np.ndarray, ok: np.ndarray, worse: bool, cmap: str | None) -> Classes:
    """Fixed share classes: right-open intervals at :data:`SHARE_BREAKS` (100 % its own)."""
    yb = np.full(len(y), -1, dtype=np.int64)
    pct = lambda v: f"{v * 100:g}%"  # noqa: E731
    if worse:  # 0 % | (0, 10 %] | (10, 25 %] | (25, 50 %] | (50, 75 %] | > 75 %
        b = SHARE_BREAKS_WORSE
        labels = ["0%", f"> 0 – {pct(b[1])}"]
        labels += [f"{pct(lo)} – {pct(hi)}" for lo, hi in itertools.pairwise(b[1:])]
        labels.append(f"> {pct(b[-1])}")
        cls = np.where(y[ok] <= 1e-12, 0, np.searchsorted(np.asarray(b[1:]), y[ok], "left") + 1)
        colors = sample_colors(cmap or "YlOrBr", len(labels), 0.05, 0.95)
        edges_t: tuple[float, ...] = (0.0, *b, 1.0)
    else:  # < 20 % | 20 – 50 % | 50 – 80 % | 80 – 90 % | 90 – < 100 % | 100 %
        b = SHARE_BREAKS
        labels = [f"< {pct(b[0])}"]
        labels += [f"{pct(lo)} – < {pct(hi)}" for lo, hi in itertools.pairwise(b)]
        labels.append(pct(b[-1]))
        full = y[ok] >= b[-1] - 1e-9
        cls = np.where(full, len(b), np.searchsorted(np.asarray(b), y[ok], "right"))
        # viridis: six ordered classes that stay apart under deuteranopia/protanopia
        colors = sample_colors(cmap or "viridis_r", len(labels), 0.1, 1.0)
        edges_t = (0.0, *b, 1.0)
    yb[ok] = np.clip(cls, 0, len(labels) - 1)
    n = len(labels)
    return Classes("shares", edges_t, tuple(colors), tuple(labels), yb, None, tuple(range(n)))


def _pretty_classes(y: np.ndarray, ok: np.ndarray, k: int, cmap: str, fmt: Any) -> Classes:
    """Round equal steps from 0 (or below the minimum) up to the maximum: (lo, hi]."""
    yb = np.full(len(y), -1, dtype=np.int64)
    lo_v, hi_v = float(y[ok].min()), float(y[ok].max())
    start = 0.0 if lo_v >= 0 else -_nice(-lo_v)
    step = _nice((hi_v - start) / k)
    start = math.floor(start / step) * step
    n = max(1, math.ceil((hi_v - start) / step - 1e-9))
    edges = tuple(start + step * i for i in range(n + 1))
    cls = np.ceil((y[ok] - start) / step - 1e-9).astype(np.int64) - 1
    yb[ok] = np.clip(cls, 0, n - 1)
    labels = tuple(f"{fmt(edges[i])} – {fmt(edges[i + 1])}" for i in range(n))
    colors = tuple(sample_colors(cmap, n, 0.1, 0.95))
    return Classes("pretty", edges, colors, labels, yb, None, tuple(range(n)))


def classify(
    values: Sequence[float] | pd.Series | np.ndarray,
    *,
    scheme: str = "auto",
    k: int | None = None,
    standard: float | None = None,
    cmap: str | None = None,
    column: str | None = None,
) -> Classes:
    """Class breaks and colours for a map.

    Parameters
    ----------
    values
        The values (NaN = no data).
    scheme
        ``"auto"`` (default, :func:`auto_scheme`: the standard, fixed share
        breaks, quantiles from 20 values on, else round steps);
        ``"quantiles"``, ``"natural_breaks"`` (Fisher–Jenks, deterministic),
        ``"equal_interval"`` (all with :mod:`mapclassify`); ``"pretty"``: round
        equal steps from 0; ``"shares"``: fixed breaks at 20, 50, 80, 90 and 100 %
        (for shares where higher is worse: 0, 10, 25, 50, 75 %); or ``"standard"``:
        a diverging scheme centred on ``standard`` with equal round steps on both
        sides, red below and blue at or above the standard.
    k
        Number of classes (default 5; for ``"standard"`` 6, three on each side).
        Fewer when there are fewer distinct values.
    standard
        The centre of the ``"standard"`` scheme, e.g. 30 m² per 100 households.
    cmap
        A matplotlib colormap name (default: by column; ``RdBu`` for
        ``"standard"``).
    column
        The column the values come from: sets the number format (per cent for
        shares) and the default colours (reds where higher is worse).

    Returns
    -------
    Classes

    Examples
    --------
    >>> c = classify([5.0, 12.0, 30.0, 47.0, 80.0], scheme="standard", standard=30)
    >>> c.edges
    (-inf, 10.0, 20.0, 30.0, 40.0, 50.0, inf)
    >>> c.yb.tolist()  # 30 itself meets the standard: the first class above
    [0, 1, 3, 4, 5]
    >>> [c.labels[i] for i in c.shown]
    ['< 10', '10 – 20', '20 – 30', '30 – 40', '40 – 50', '≥ 50']
    >>> classify([0.1, 0.5, 0.9, float("nan")], k=2, column="share__pharmacy",
    ...          scheme="quantiles").labels
    ('10% – 50%', '50% – 90%')
    >>> c = classify([0.1, 0.5, 0.9, 1.0], column="share__pharmacy")  # auto: shares
    >>> c.labels
    ('< 20%', '20% – < 50%', '50% – < 80%', '80% – < 90%', '90% – < 100%', '100%')
    >>> c.yb.tolist()
    [0, 2, 4, 5]
    >>> classify([0, 120, 300, 640], column="hh_underserved").labels  # auto: pretty
    ('0 – 200', '200 – 400', '400 – 600', '600 – 800')
    """
    y = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    ok = np.isfinite(y)
    fmt = _formatter(column, y)
    yb = np.full(len(y), -1, dtype=np.int64)
    if scheme == "auto":
        scheme = auto_scheme(y, column=column, standard=standard)
    if scheme == "shares":
        return _share_classes(y, ok, _worse_higher(column), cmap)
    if scheme == "pretty" and ok.any() and float(y[ok].max()) > float(y[ok].min()):
        return _pretty_classes(y, ok, k or 4, cmap or _default_cmap(column), fmt)
    if scheme == "pretty":
        scheme = "equal_interval"  # one distinct value: the one-class path below
    if scheme == "standard":
        if standard is None or not math.isfinite(standard):
            raise ValueError("scheme='standard' needs the standard to centre on (standard=…)")
        side = max(1, (k or 6) // 2)
        below = float(standard - y[ok].min()) if ok.any() else 0.0
        above = float(y[ok].max() - standard) if ok.any() else 0.0
        # half-width: all values below the standard, those above up to twice the
        # standard (higher ones share the open top class)
        half = max(below, min(above, abs(standard)), 0.0)
        step = _nice(half / side if half > 0 else max(abs(standard), 1.0) / side)
        inner = [standard + step * i for i in range(-(side - 1), side)]
        edges = (-math.inf, *inner, math.inf)
        cls = np.floor((y[ok] - standard) / step).astype(np.int64)
        yb[ok] = np.clip(cls, -side, side - 1) + side
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        cm = colormaps[cmap or "RdBu"]
        colors_below = [to_hex(cm(x)) for x in np.linspace(0.05, 0.38, side)]
        colors_above = [to_hex(cm(x)) for x in np.linspace(0.62, 0.95, side)]
        colors = (*colors_below, *colors_above)
        labels = []
        for i in range(2 * side):
            lo, hi = edges[i], edges[i + 1]
            if not math.isfinite(lo) or (lo < 0 and (not ok.any() or y[ok].min() >= 0)):
                labels.append(f"< {fmt(hi)}")
            elif not math.isfinite(hi):
                labels.append(f"≥ {fmt(lo)}")
            else:
                labels.append(f"{fmt(lo)} – {fmt(hi)}")
        nonneg = not ok.any() or y[ok].min() >= 0
        shown = tuple(i for i in range(2 * side) if not (nonneg and edges[i + 1] <= 0))
        return Classes(
            scheme, tuple(float(e) for e in edges), colors, tuple(labels), yb, standard, shown
        )
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    import mapclassify

    data = y[ok]
    n_unique = len(np.unique(data))
    kk = max(1, min(k or 5, n_unique))
    if n_unique <= 1:
        edges_t: tuple[float, ...] = (float(data[0]), float(data[0])) if n_unique else (0.0, 0.0)
        yb[ok] = 0
        colors = tuple(sample_colors(cmap or _default_cmap(column), 1))
        if n_unique and column is not None and is_share(column):
            colors = tuple(_at(cmap or _default_cmap(column), data[:1]))
        lab = (fmt(edges_t[1]),) if n_unique else (text("no_data", "en"),)
        return Classes(scheme, edges_t, colors, lab, yb, None, (0,))
    if n_unique <= (k or 5):
        # no more distinct values than classes: one class per value
        bins = np.unique(data)
        yb[ok] = np.searchsorted(bins, data)
        colors = tuple(sample_colors(cmap or _default_cmap(column), len(bins)))
        if column is not None and is_share(column):  # on the fixed 0–100 % scale
            colors = tuple(_at(cmap or _default_cmap(column), bins))
        edges_t = (float(bins[0]), *(float(b) for b in bins))
        labels_t = tuple(fmt(b) for b in bins)
        return Classes(scheme, edges_t, colors, labels_t, yb, None, tuple(range(len(bins))))
    with warnings.catch_warnings():
        # "Not enough unique values…", "Numba not installed…": handled / harmless
        warnings.simplefilter("ignore")
        if scheme == "quantiles":
            mc = mapclassify.Quantiles(data, k=kk)
        elif scheme in ("natural_breaks", "fisher_jenks"):
            mc = mapclassify.FisherJenks(data, k=kk)
        else:
            mc = mapclassify.EqualInterval(data, k=kk)
    bins = np.unique(np.asarray(mc.bins, dtype="float64"))
    lower = float(data.min())
    edges_t = (lower, *(float(b) for b in bins))
    yb[ok] = np.searchsorted(bins, data, side="left")
    yb[ok] = np.minimum(yb[ok], len(bins) - 1)
    colors = tuple(sample_colors(cmap or _default_cmap(column), len(bins)))
    labels_t = tuple(
        fmt(edges_t[i + 1])
        if fmt(edges_t[i]) == fmt(edges_t[i + 1])
        else f"{fmt(edges_t[i])} – {fmt(edges_t[i + 1])}"
        for i in range(len(bins))
    )
    return Classes(scheme, edges_t, colors, labels_t, yb, None, tuple(range(len(bins))))


def category_styles(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Stable colour and marker per category (by catalogue order).

    Parameters
    ----------
    keys
        Category keys (repeats are ignored).

    Returns
    -------
    dict
        ``{key: (hex colour, matplotlib marker)}``; the same key gets the same
        style in every map, table style and web map of a run.

    Examples
    --------
    >>> styles = category_styles(["pharmacy", "kindergarten", "pharmacy"])
    >>> sorted(styles) == ["kindergarten", "pharmacy"]
    True
    >>> styles["pharmacy"] != styles["kindergarten"]
    True
    """
    from coverage15.standards import category_catalogue

    order = list(category_catalogue())
    keys = sorted(set(keys), key=lambda k: (order.index(k) if k in order else len(order), k))
    n = len(CATEGORY_COLORS)
    return {
        k: (CATEGORY_COLORS[i % n], CATEGORY_MARKERS[i % len(CATEGORY_MARKERS)])
        for i, k in enumerate(keys)
    }
