"""Static maps a planner can hand to the bureau: PNG, SVG or PDF with matplotlib.

* :func:`plot_communities` — a choropleth of any community indicator with
  title, legend with units, scale bar, north arrow, optional facility points by
  category and the OpenStreetMap attribution.
* :func:`plot_walk_times` — homes (or streets) coloured by walking minutes to a
  facility category, over its 5/10/15-minute walking service areas.
* :func:`service_areas` — those service areas as polygons, built from network
  distances (not convex hulls; see its notes).
* :func:`classify` — the class breaks used by the maps (quantiles, natural
  breaks, equal intervals, or a diverging scheme centred on a standard).
* :func:`write_maps` / :func:`write_map_pdf` — the standard set of district
  maps as image files or one PDF.

Chinese labels need a font with Chinese glyphs (see :mod:`coverage15._fonts`);
without one the maps are labelled in English and a
:class:`~coverage15._fonts.CJKFontMissingWarning` is issued once.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd, shapely
>>> gdf = gpd.GeoDataFrame(
...     {"community_id": ["A", "B"], "name": ["A", "B"], "households": [100, 300],
...      "area_per_100hh": [12.0, 41.0], "area_target_per_100hh": [30.0, 30.0]},
...     geometry=[shapely.box(0, 0, 900, 900), shapely.box(900, 0, 1800, 900)],
...     crs="EPSG:32648")
>>> out = pathlib.Path(tempfile.mkdtemp()) / "area.png"
>>> ax = plot_communities(gdf, "area_per_100hh", lang="en", path=out)
>>> out.exists()
True
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from coverage15._errors import InputError
from coverage15._fonts import font_families, has_cjk, resolve_lang
from coverage15.labels import ATTRIBUTION, category_label, label, text, unit
from coverage15.styles import (
    AREA_COLUMNS,
    BOUNDARY_COLOR,
    MISSING_COLORS,
    NEAR_FACTOR,
    NO_DATA_COLOR,
    REACH_CLASSES,
    REACH_COLORS,
    REACH_MARKERS,
    STREET_COLOR,
    Classes,
    category_styles,
    classify,
    is_share,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from coverage15._types import AnalysisLike

__all__ = [
    "MAP_CAPTIONS",
    "Classes",
    "add_north_arrow",
    "add_scale_bar",
    "classify",
    "data_sources",
    "figure_png",
    "gates_and_cuts",
    "map_caption",
    "map_footer",
    "missing_counts",
    "nice_scale_length",
    "offscreen",
    "plot_communities",
    "plot_coverage_by_category",
    "plot_missing_categories",
    "plot_walk_times",
    "reach_classes",
    "reach_labels",
    "save_figure",
    "service_areas",
    "uses_osm",
    "worst_category",
    "write_map_pdf",
    "write_maps",
]


# --------------------------------------------------------------------------- map furniture


def nice_scale_length(extent_m: float, *, fraction: float = 0.2) -> float:
    """A round scale-bar length (1, 2, 5 × 10ⁿ m) near ``fraction`` of the map width.

    The round length closest to the target (on a log scale) that is at most
    30 % of the width.

    Parameters
    ----------
    extent_m
        The map width in metres.
    fraction
        The target share of the width (default 0.2, a fifth).

    Returns
    -------
    float
        The bar length in metres (1.0 when ``extent_m`` is not positive).

    Examples
    --------
    >>> nice_scale_length(4300), nice_scale_length(12_000), nice_scale_length(2100)
    (1000.0, 2000.0, 500.0)
    """
    target = extent_m * fraction
    if not target > 0:
        return 1.0
    e = math.floor(math.log10(target))
    candidates = [s * 10.0**p for p in (e - 1, e, e + 1) for s in (1, 2, 5)]
    fits = [c for c in candidates if c <= 0.3 * extent_m] or [min(candidates)]
    return float(min(fits, key=lambda c: abs(math.log(c / target))))


def _length_text(m: float, lang: str) -> str:
    if m >= 1000:
        km = m / 1000
        return f"{km:g} {'公里' if lang == 'zh' else 'km'}"
    return f"{m:g} {'米' if lang == 'zh' else 'm'}"


def add_scale_bar(ax: Axes, *, lang: str = "en", loc: str = "lower right") -> float:
    """Draw a two-segment scale bar in map units (metres); returns its length.

    The bar is about a fifth of the map width, rounded to 1, 2 or 5 × 10ⁿ m,
    and sits in the bottom margin the maps leave free. The map must be in a
    projected CRS in metres (the maps here always are).

    Parameters
    ----------
    ax
        The map axes; its current x/y limits (metres) set the bar's length and
        place, and are kept.
    lang
        ``"zh"`` labels the length in 米/公里; anything else, by default ``"en"``,
        in m/km.
    loc
        ``"lower right"`` (default); any other value puts the bar in the lower
        left corner.

    Returns
    -------
    float
        The bar's length in metres.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> _ = ax.set_xlim(0, 3000), ax.set_ylim(0, 2000)
    >>> add_scale_bar(ax)
    500.0
    >>> [t.get_text() for t in ax.texts]
    ['0', '500 m']
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    length = nice_scale_length(w)
    bar_h = h * 0.011
    left = x1 - w * 0.03 - length if loc == "lower right" else x0 + w * 0.03
    bottom = y0 + h * 0.025
    half = length / 2
    for i, fc in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (left + i * half, bottom),
                half,
                bar_h,
                facecolor=fc,
                edgecolor="black",
                linewidth=0.8,
                zorder=21,
            )
        )
    for x, t in ((left, "0"), (left + length, _length_text(length, lang))):
        ax.text(x, bottom + bar_h * 1.5, t, ha="center", va="bottom", fontsize=7.5, zorder=22)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return length


def add_north_arrow(ax: Axes, *, lang: str = "en", x: float = 0.96) -> None:
    """Draw a north arrow in the top right corner (grid north of the projected map).

    The maps leave the top margin free for it.

    Parameters
    ----------
    ax
        The map axes.
    lang
        ``"zh"`` or ``"en"`` (default): language of the letter above the arrow (北 / N).
    x
        Horizontal position of the arrow as a fraction of the axes width
        (default 0.96, near the right edge).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> add_north_arrow(ax, lang="en")
    >>> ax.texts[-1].get_text()
    'N'
    """
    ax.annotate(
        "",
        xy=(x, 0.945),
        xytext=(x, 0.885),
        xycoords="axes fraction",
        arrowprops={
            "facecolor": "black",
            "edgecolor": "black",
            "width": 2.5,
            "headwidth": 9,
            "headlength": 9,
        },
        zorder=22,
    )
    ax.text(
        x,
        0.995,
        text("north", lang),
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=9,
        fontweight="bold",
        zorder=22,
    )


def _add_attribution(ax: Axes, note: str | None, osm: bool) -> None:
    """Old single-line footnote inside the axes (kept for maps drawn into a caller's axes)."""
    parts = [p for p in (note, ATTRIBUTION if osm else None) if p]
    if parts:
        _axes_note(ax, "  ·  ".join(parts))


def _axes_note(ax: Axes, s: str) -> None:
    ax.text(
        0.005,
        0.005,
        s,
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=6,
        color="#333333",
        zorder=22,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1.5},
    )


def _file_name(source: Any) -> str | None:
    """A source as a planner may read it: a file's name, never a machine path."""
    if source is None:
        return None
    s = str(source)
    if "/" in s or "\\" in s:
        return Path(s.replace("\\", "/")).name or None
    return s or None


def data_sources(analysis: AnalysisLike) -> list[str]:
    """The input files and the walking network of an analysis, by file name only.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`: its ``inputs`` (files read) and
        ``network_record["source"]`` (the network's source: a file or a place
        name) are used when present.

    Returns
    -------
    list of str
        File names (no folders), inputs first, without repeats.

    Examples
    --------
    >>> import types
    >>> a = types.SimpleNamespace(inputs=["/home/me/data/社区.shp"],
    ...                           network_record={"source": "/srv/osm/district.osm.pbf"})
    >>> data_sources(a)
    ['社区.shp', 'district.osm.pbf']
    """
    names: list[str] = []
    record = getattr(analysis, "network_record", None) or {}
    for src in [*(getattr(analysis, "inputs", None) or []), record.get("source")]:
        name = _file_name(src)
        if name and name not in names:
            names.append(name)
    return names


def _crs_text(crs: Any) -> str:
    if crs is None:
        return "?"
    import pyproj

    c = pyproj.CRS.from_user_input(crs)
    epsg = c.to_epsg()
    return f"EPSG:{epsg} {c.name}" if epsg else c.name


def map_footer(
    analysis: AnalysisLike | None,
    *,
    lang: str = "zh",
    crs: Any = None,
    osm: bool = False,
    note: str | None = None,
    date: str | None = None,
) -> list[str]:
    """The footer every map carries: date, data sources, CRS, profile, attribution.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` (its profile, inputs and
        network source are named), or None for a plain table (date and CRS only).
    lang
        ``"zh"`` (default) or ``"en"``.
    crs
        The map's CRS (default: that of ``analysis.homes``).
    osm
        Add "© OpenStreetMap contributors (ODbL)".
    note
        An extra remark (e.g. how service areas were approximated).
    date
        The map date (default: today, ISO 8601).

    Returns
    -------
    list of str
        Footer lines (two, or three with a note).

    Examples
    --------
    >>> import types
    >>> from coverage15.standards import load_profile
    >>> a = types.SimpleNamespace(profile=load_profile("leshan_2018"), group="general",
    ...     inputs=["/data/communities.geojson"], network_record={"source": "/d/walk.osm"})
    >>> lines = map_footer(a, lang="en", crs="EPSG:32648", osm=True, date="2026-01-05")
    >>> lines[0]
    'Map date 2026-01-05  ·  Data: communities.geojson, walk.osm'
    >>> lines[1].startswith("CRS: EPSG:32648 WGS 84 / UTM zone 48N  ·  Standard: ")
    True
    >>> lines[1].endswith("© OpenStreetMap contributors (ODbL)")
    True
    """
    import datetime

    zh = lang == "zh"
    date = date or datetime.date.today().isoformat()
    first = [("制图日期 " if zh else "Map date ") + date]
    sources = data_sources(analysis) if analysis is not None else []
    if sources:
        first.append(("数据：" if zh else "Data: ") + ("、" if zh else ", ").join(sources))
    if crs is None and analysis is not None and getattr(analysis, "homes", None) is not None:
        crs = analysis.homes.crs
    second = [("坐标系：" if zh else "CRS: ") + _crs_text(crs)]
    profile = getattr(analysis, "profile", None) if analysis is not None else None
    pn = _profile_note(profile, lang)
    if pn:
        group = getattr(analysis, "group", "general")
        if group != "general":
            pn += "（老人与儿童步速）" if zh else " (speed of the elderly and children)"
        second.append(pn)
    if osm:
        second.append(ATTRIBUTION)
    lines = ["  ·  ".join(first), "  ·  ".join(second)]
    if note:
        lines.append(note)
    return lines


def _text_width_pt(s: str, size: float) -> float:
    """Rough width of ``s`` in points: CJK glyphs are square, Latin ones about 0.56 em."""
    return sum(size if has_cjk(ch) else 0.56 * size for ch in s)


def _pack(parts: Sequence[str], width_pt: float, size: float, sep: str = "  ·  ") -> list[str]:
    """Greedy lines of whole ``parts`` joined by ``sep`` within ``width_pt``."""
    lines: list[str] = []
    for part in parts:
        if lines and _text_width_pt(lines[-1] + sep + part, size) <= width_pt:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


def _draw_footer(fig: Figure, ax: Axes, lines: Sequence[str], own: bool) -> None:
    if not lines:
        return
    if not own:
        _axes_note(ax, "\n".join(lines))
        return
    size = 6.5
    width_pt = fig.get_figwidth() * 72 * 0.96
    out: list[str] = []
    for line in lines:
        out.extend(_pack(line.split("  ·  "), width_pt, size))
    fig.text(0.012, 0.008, "\n".join(out), fontsize=size, color="#333333", ha="left", va="bottom")


def draw_streets(
    ax: Axes, network: Any, crs: Any, *, zorder: float = 2.5, linewidth: float = 0.45
) -> bool:
    """The walking network under a map, thin grey; False when there is none."""
    streets = street_lines(network) if network is not None else None
    if streets is None or not len(streets):
        return False
    if streets.crs is not None and crs is not None and streets.crs != crs:
        streets = streets.to_crs(crs)
    streets.plot(ax=ax, color=STREET_COLOR, linewidth=linewidth, zorder=zorder)
    return True


def _point_layer(obj: Any) -> gpd.GeoSeries | None:
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if isinstance(obj, gpd.GeoSeries) and len(obj):
        return obj[obj.notna() & ~obj.is_empty].representative_point()
    return None


def gates_and_cuts(
    analysis: AnalysisLike, gates: Any = None, cuts: Any = None
) -> tuple[gpd.GeoSeries | None, gpd.GeoSeries | None]:
    """The compound gates and the cut crossings to draw on a map.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`; when ``gates``/``cuts`` are
        not given, its ``network_record["gates"]`` and ``network_record["cuts"]``
        are read (point GeoDataFrames or GeoSeries, as the network stage records
        them for gated compounds), then attributes ``gates``/``cuts`` of
        ``analysis.network``.
    gates, cuts
        Point layers (GeoDataFrame or GeoSeries) that take precedence.

    Returns
    -------
    tuple
        ``(gates, cuts)``: point GeoSeries, or None where there are none.

    Examples
    --------
    >>> import types, geopandas as gpd, shapely
    >>> g = gpd.GeoSeries([shapely.Point(0, 0)], crs="EPSG:32648")
    >>> a = types.SimpleNamespace(network_record={"gates": g}, network=None)
    >>> [None if x is None else len(x) for x in gates_and_cuts(a)]
    [1, None]
    """
    record = getattr(analysis, "network_record", None) or {}
    network = getattr(analysis, "network", None)
    out = []
    for given, key in ((gates, "gates"), (cuts, "cuts")):
        layer = given
        if layer is None and isinstance(record, dict):
            layer = record.get(key)
        if layer is None:
            layer = getattr(network, key, None)
        out.append(_point_layer(layer))
    return out[0], out[1]


def _draw_gates_cuts(
    ax: Axes, analysis: AnalysisLike, crs: Any, gates: Any, cuts: Any, lang: str
) -> list[Any]:
    from matplotlib.lines import Line2D

    g, c = gates_and_cuts(analysis, gates, cuts)
    handles: list[Any] = []
    zh = lang == "zh"
    if g is not None:
        g = g.to_crs(crs) if g.crs is not None and crs is not None and g.crs != crs else g
        ax.scatter(
            g.x, g.y, s=22, marker="D", c="white", edgecolors="#1a1a1a", linewidths=0.9, zorder=13
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markersize=5,
                markerfacecolor="white",
                markeredgecolor="#1a1a1a",
                label="小区出入口" if zh else "Compound gate",
            )
        )
    if c is not None:
        c = c.to_crs(crs) if c.crs is not None and crs is not None and c.crs != crs else c
        ax.scatter(c.x, c.y, s=26, marker="x", c="#1a1a1a", linewidths=1.2, zorder=13)
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="x",
                markersize=6,
                color="#1a1a1a",
                label="围墙截断的路口" if zh else "Crossing cut by a wall",
            )
        )
    return handles


# --------------------------------------------------------------------------- inputs


def uses_osm(analysis: AnalysisLike) -> bool:
    """Whether results of ``analysis`` must carry the OpenStreetMap attribution.

    An explicit boolean ``osm`` attribute on the analysis or on its network
    decides; otherwise True (a walking network normally comes from
    OpenStreetMap, and a superfluous attribution is harmless where a missing
    one breaks the ODbL).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` (its ``osm`` property reads the
        network's build record) or any object with an ``osm`` or ``network``
        attribute.

    Returns
    -------
    bool
        True when the attribution (© OpenStreetMap contributors, ODbL) is needed.

    Examples
    --------
    >>> import types
    >>> uses_osm(types.SimpleNamespace(network=None)), uses_osm(types.SimpleNamespace(osm=False))
    (True, False)
    """
    for obj in (analysis, getattr(analysis, "network", None)):
        flag = getattr(obj, "osm", None)
        if isinstance(flag, bool):
            return flag
    return True


def _is_analysis(obj: Any) -> bool:
    return hasattr(obj, "communities") and hasattr(obj, "profile") and hasattr(obj, "homes")


def _metric(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise InputError("has no CRS; set one (gdf.set_crs(...)) before mapping", source=what)
    if gdf.crs.is_geographic:
        return gdf.to_crs(gdf.estimate_utm_crs())
    return gdf


@overload
def _same_crs(gdf: None, crs: Any) -> None: ...
@overload
def _same_crs(gdf: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame: ...
def _same_crs(gdf: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame | None:
    if gdf is None or gdf.crs is None or crs is None:
        return gdf
    return gdf if gdf.crs == crs else gdf.to_crs(crs)


# margins around the data, as fractions of its width / height: left-right, bottom, top
# (the bottom one holds the scale bar and attribution, the top one the north arrow)
_PAD_X, _PAD_BOTTOM, _PAD_TOP = 0.04, 0.10, 0.14
_LEGEND_IN = 3.7  # width of the legend column, inches
# True while maps are drawn for files or embedding only: plain Figures, no pyplot
# (pyplot keeps global state and is not thread-safe, e.g. in Dask workers)
_OFFSCREEN: contextvars.ContextVar[bool] = contextvars.ContextVar("offscreen", default=False)


@contextlib.contextmanager
def offscreen() -> Any:
    """Draw maps without pyplot inside this block (figures are not shown or registered).

    Use it where pyplot's global state is unwelcome: worker threads and
    processes, servers, tests. It applies to the current thread or task only (a
    context variable), and the previous state is restored on leaving the block.

    Examples
    --------
    >>> with offscreen():
    ...     fig, ax, own = _new_axes(None, None, None, np.array([0, 0, 10, 10]))
    >>> import matplotlib.pyplot as plt
    >>> fig in map(plt.figure, plt.get_fignums())
    False
    """
    token = _OFFSCREEN.set(True)
    try:
        yield
    finally:
        _OFFSCREEN.reset(token)


def _new_axes(
    ax: Axes | None,
    path: Any,
    figsize: tuple[float, float] | None,
    bounds: np.ndarray,
) -> tuple[Figure, Axes, bool]:
    """The map axes: the caller's, or a new figure sized to the district's shape.

    A new figure has the title on top, the map on the left and a legend column
    on the right.
    """
    if ax is not None:
        return ax.figure, ax, False  # type: ignore[return-value]
    x0, y0, x1, y1 = (float(b) for b in bounds)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    aspect = (w * (1 + 2 * _PAD_X)) / (h * (1 + _PAD_BOTTOM + _PAD_TOP))
    if figsize is None:
        height = 8.0
        map_w = min(max(height * 0.82 * aspect, 4.5), 12.0)
        figsize = (0.25 + map_w + _LEGEND_IN, height)
    fig_w = figsize[0]
    map_w = max(fig_w - 0.25 - _LEGEND_IN, 1.0)
    if path is not None or _OFFSCREEN.get():
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)  # not registered with pyplot: nothing to close
    else:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize)
    ax = fig.add_axes((0.25 / fig_w, 0.065, map_w / fig_w, 0.795))
    return fig, ax, True


def _finish(
    fig: Figure,
    ax: Axes,
    *,
    lang: str,
    title: str | None,
    subtitle: str | None,
    own: bool,
    path: str | os.PathLike | None,
    dpi: int,
    footer: Sequence[str] = (),
) -> None:
    from matplotlib.text import Text

    _draw_footer(fig, ax, footer, own)
    ax.set_axis_off()
    ax.set_aspect("equal")
    if title:
        if own:
            fig.text(0.02, 0.965, title, fontsize=14, fontweight="bold", ha="left", va="top")
            if subtitle:
                fig.text(0.02, 0.925, subtitle, fontsize=9, color="#444444", ha="left", va="top")
        else:
            ax.set_title(title + (f"\n{subtitle}" if subtitle else ""), fontsize=11)
    families = font_families(lang)
    for t in fig.findobj(Text):
        t.set_fontfamily(families)
    if path is not None:
        save_figure(fig, path, dpi=dpi)


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 200) -> Path:
    """Save a figure as PNG, SVG or PDF (by suffix), atomically.

    The file is written under a temporary name in the same folder and renamed,
    so an interrupted run never leaves a half-written map.

    Parameters
    ----------
    fig
        The matplotlib figure (saved on a white background).
    path
        The file to write; its suffix, ``.png``, ``.svg`` or ``.pdf`` (any
        case), sets the format. The folder is created if needed.
    dpi
        Resolution in dots per inch of a PNG (and of raster parts of SVG/PDF);
        default 200.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Another suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> p = save_figure(Figure(), pathlib.Path(tempfile.mkdtemp()) / "empty.svg")
    >>> p.read_text()[:5]
    '<?xml'
    """
    from coverage15._files import atomic_path

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"map files must end in .png, .svg or .pdf, got {path.name!r}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=_metadata(fmt))
    return path


def _metadata(fmt: str) -> dict[str, str]:
    if fmt == "png":
        return {"Software": "coverage15", "Copyright": ATTRIBUTION}
    if fmt == "pdf":
        return {"Creator": "coverage15"}
    return {"Creator": "coverage15"}


# --------------------------------------------------------------------------- choropleth


def class_centre(
    gdf: pd.DataFrame, column: str, standard: float | None, profile: Any
) -> float | None:
    """The value a diverging classification centres on: the standard, else the area target."""
    if standard is not None:
        return float(standard)
    if column in AREA_COLUMNS:
        if "area_target_per_100hh" in gdf.columns:
            t = pd.to_numeric(gdf["area_target_per_100hh"], errors="coerce").dropna()
            if len(t):
                return float(t.iloc[0])
        if profile is not None:
            target = profile.target("area_per_100_households_m2")
            if target is not None:
                return float(target.value)
    return None


def _plot_facilities(
    ax: Axes,
    facilities: gpd.GeoDataFrame,
    categories: Sequence[str] | None,
    lang: str,
) -> list[Any]:
    from matplotlib.lines import Line2D

    fac = facilities
    if "category" not in fac.columns:
        raise InputError("facilities need a 'category' column", source="facilities")
    if categories is not None:
        fac = fac[fac["category"].isin(list(categories))]
    fac = fac[fac.geometry.notna() & ~fac.geometry.is_empty]
    styles = category_styles(fac["category"].dropna().astype(str))
    handles = []
    for key, (color, marker) in styles.items():
        pts = fac[fac["category"] == key].geometry.representative_point()
        # a white halo under a dark-edged symbol reads on any fill colour
        ax.scatter(pts.x, pts.y, s=95, c="white", marker=marker, linewidths=0, zorder=11)
        ax.scatter(
            pts.x,
            pts.y,
            s=38,
            c=color,
            marker=marker,
            edgecolors="#1a1a1a",
            linewidths=0.6,
            zorder=12,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=7,
                markerfacecolor=color,
                markeredgecolor="#1a1a1a",
                markeredgewidth=0.6,
                label=category_label(key, lang),
            )
        )
    return handles


def plot_communities(
    data: Any,
    column: str = "share_covered_all",
    *,
    scheme: str | None = None,
    k: int | None = None,
    standard: float | None = None,
    cmap: str | None = None,
    lang: str = "zh",
    facilities: gpd.GeoDataFrame | bool | None = None,
    categories: Sequence[str] | None = None,
    names: bool | None = None,
    dots: str | None = None,
    streets: bool = True,
    gates: Any = None,
    cuts: Any = None,
    osm: bool | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = 200,
) -> Axes:
    """Choropleth of one community indicator, ready to print.

    Parameters
    ----------
    data
        An :class:`~coverage15.analysis.Analysis` or a communities
        GeoDataFrame with ``column``.
    column
        The indicator, e.g. ``"share_covered_all"``, ``"hh_underserved"``,
        ``"share__kindergarten"``, ``"area_per_100hh"``; also
        ``"share_underserved"`` (``hh_underserved / households``, derived here).
    scheme
        A scheme of :func:`classify`. Default (``"auto"``): ``"standard"`` for
        the per-100-household area columns (diverging around
        ``area_target_per_100hh``, e.g. 30 m²: red below, blue at or above);
        fixed share breaks (50, 80, 90, 100 %) for shares; quantiles only with
        at least 20 communities, else round equal steps.
    k
        Number of classes (see :func:`classify`).
    standard
        Centre of the ``"standard"`` scheme (default: the profile's target).
    cmap
        Matplotlib colormap name.
    lang
        ``"zh"`` (Chinese labels; English with one warning if no CJK font is
        installed) or ``"en"``.
    facilities
        Facility points to draw by category: a GeoDataFrame, or True for the
        analysis's facilities.
    categories
        Only these facility category keys.
    names
        Label communities with their names (default: when there are at most 60).
    dots
        ``"underserved"``: draw the underserved homes (``Analysis.homes`` with
        ``status == "underserved"``) as dots sized by households.
    streets
        Draw the walking network (of an Analysis) over the fill (default True).
    gates, cuts
        Compound gates and cut crossings (default: :func:`gates_and_cuts`).
    osm
        Print "© OpenStreetMap contributors (ODbL)". Default: for an Analysis,
        :func:`uses_osm` (True unless the analysis or its network says
        ``osm = False``); False for a plain table — set it yourself when
        facilities or boundaries come from OSM.
    ax
        Draw into this matplotlib Axes (its figure keeps its own layout).
    path
        Save to this ``.png``, ``.svg`` or ``.pdf`` file.
    title
        Map title (default: the column's label).
    figsize, dpi
        Figure size in inches (default: 8 inches high, as wide as the district's
        shape needs plus a legend column) and raster resolution.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame(
    ...     {"community_id": ["A", "B", "C", "D"], "name": ["A", "B", "C", "D"],
    ...      "hh_underserved": [0, 120, 300, 640]},
    ...     geometry=[shapely.box(i * 500, 0, i * 500 + 500, 600) for i in range(4)],
    ...     crs="EPSG:32648")
    >>> ax = plot_communities(gdf, "hh_underserved", lang="en")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['0 – 200', '200 – 400', '400 – 600', '600 – 800']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    lang = resolve_lang(lang)
    analysis = data if _is_analysis(data) else None
    gdf = analysis.communities if analysis is not None else data
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError("expected an Analysis or a GeoDataFrame of communities", source="map")
    if column == "share_underserved" and column not in gdf.columns:
        if not {"hh_underserved", "households"} <= set(gdf.columns):
            raise InputError(
                "share_underserved needs hh_underserved and households", source="communities"
            )
        gdf = gdf.copy()
        hh = pd.to_numeric(gdf["households"], errors="coerce")
        gdf[column] = pd.to_numeric(gdf["hh_underserved"], errors="coerce") / hh.where(hh > 0)
    if column not in gdf.columns:
        raise InputError(
            f"no column {column!r}; map one of {sorted(c for c in gdf.columns if c != 'geometry')}",
            source="communities",
        )
    gdf = _metric(gdf, "communities")
    profile = analysis.profile if analysis is not None else None
    centre = class_centre(gdf, column, standard, profile)
    if centre is not None and column not in AREA_COLUMNS and standard is None:
        centre = None
    if scheme is None or scheme == "auto":
        scheme = "standard" if centre is not None else "auto"
    if scheme == "standard" and centre is None:
        raise ValueError(
            f"scheme='standard' needs standard=… for column {column!r} (no target known)"
        )
    values = pd.to_numeric(gdf[column], errors="coerce")
    classes = classify(values, scheme=scheme, k=k, standard=centre, cmap=cmap, column=column)
    fig, ax, own = _new_axes(ax, path, figsize, gdf.total_bounds)
    colors = classes.color_of()
    gdf.plot(ax=ax, color=colors, edgecolor=BOUNDARY_COLOR, linewidth=0.6, zorder=2)
    missing = values.isna().to_numpy()
    if missing.any():
        gdf[missing].plot(
            ax=ax, facecolor="none", edgecolor="#8c8c8c", hatch="///", linewidth=0, zorder=3
        )
    network = getattr(analysis, "network", None) if analysis is not None else None
    if streets and network is not None:
        draw_streets(ax, network, gdf.crs, zorder=2.6, linewidth=0.35)
    extra: list[Any] = []
    if dots == "underserved" and analysis is not None:
        extra.extend(_underserved_dots(ax, analysis, gdf.crs, lang))
    elif dots is not None:
        raise ValueError(f"dots must be None or 'underserved', got {dots!r}")
    if analysis is not None:
        extra.extend(_draw_gates_cuts(ax, analysis, gdf.crs, gates, cuts, lang))
    _pad_extent(ax, gdf.total_bounds)
    from matplotlib.patches import Patch

    handles = [
        Patch(
            facecolor=classes.colors[i],
            edgecolor=BOUNDARY_COLOR,
            linewidth=0.5,
            label=classes.labels[i],
        )
        for i in (classes.shown or range(classes.k))
    ]
    if missing.any():
        handles.append(
            Patch(
                facecolor=NO_DATA_COLOR,
                edgecolor="#8c8c8c",
                hatch="///",
                label=text("no_data", lang),
            )
        )
    handles.extend(extra)
    u = "%" if is_share(column) else unit(column, lang)
    name = column_label(column, lang)
    legend_title = name + (f" ({u})" if u and u.lower() not in name.lower() else "")
    if classes.centre is not None:
        legend_title += "\n" + (
            f"{text('standard', lang)} {classes.centre:g} {u}{'：' if lang == 'zh' else ': '}"
            + ("红色低于，蓝色达到" if lang == "zh" else "red below, blue meets it")
        )
    leg = ax.legend(
        handles=handles,
        title=_wrap(legend_title, 26 if lang == "zh" else 40),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        alignment="left",
    )
    if facilities is not None and facilities is not False:
        fac = analysis.facilities if facilities is True and analysis is not None else facilities
        if fac is True:
            raise InputError("facilities=True needs an Analysis", source="map")
        fac = _same_crs(fac, gdf.crs)
        fhandles = _plot_facilities(ax, fac, categories, lang)
        if fhandles:
            ax.add_artist(leg)
            ax.legend(
                handles=fhandles,
                title=text("facilities", lang),
                loc="lower left",
                bbox_to_anchor=(1.02, 0.0),
                frameon=False,
                fontsize=8,
                title_fontsize=9,
                alignment="left",
            )
    if names is None:
        names = len(gdf) <= 60
    if names:
        _label_communities(ax, gdf, lang)
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)
    if osm is None:
        osm = analysis is not None and uses_osm(analysis)
    footer = map_footer(analysis, lang=lang, crs=gdf.crs, osm=osm)
    subtitle = None
    if profile is not None:
        subtitle = profile.name_zh if lang == "zh" else profile.name_en
    _finish(
        fig,
        ax,
        lang=lang,
        title=title or name,
        subtitle=subtitle,
        own=own,
        path=path,
        dpi=dpi,
        footer=footer,
    )
    return ax


_COLUMN_LABELS = {
    "share_underserved": ("服务不足户数比例", "Share of households underserved"),
    "share_off_network": ("未接入路网户数比例", "Share of households off the network"),
}


def column_label(column: str, lang: str) -> str:
    """The map title of an indicator column in ``lang`` (map-specific wording first)."""
    if column in _COLUMN_LABELS:
        return _COLUMN_LABELS[column][0 if lang == "zh" else 1]
    return label(column, lang)


def _underserved_dots(ax: Axes, analysis: AnalysisLike, crs: Any, lang: str) -> list[Any]:
    """Underserved homes as black dots sized by households; their legend entry."""
    from matplotlib.lines import Line2D

    homes = _same_crs(getattr(analysis, "homes", None), crs)
    if homes is None or "status" not in homes.columns:
        return []
    sel = homes[homes["status"] == "underserved"]
    if not len(sel):
        return []
    hh = _hh(sel)
    ax.scatter(
        sel.geometry.x,
        sel.geometry.y,
        s=np.clip(2 + 1.5 * np.sqrt(hh), 2, 30),
        c="white",
        edgecolors="#1a1a1a",
        linewidths=0.5,
        zorder=8,
    )
    lab = (
        f"服务不足住户点（点大小示户数，共 {_hh_text(hh.sum(), lang)}）"
        if lang == "zh"
        else f"Underserved homes (size: households; {_hh_text(hh.sum(), lang)})"
    )
    return [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            markeredgecolor="#1a1a1a",
            label=lab,
        )
    ]


def _profile_note(profile: Any, lang: str) -> str | None:
    if profile is None:
        return None
    return ("标准：" if lang == "zh" else "Standard: ") + (
        profile.name_zh if lang == "zh" else profile.name_en
    )


def _wrap(s: str, width: int) -> str:
    import textwrap

    out: list[str] = []
    for line in s.split("\n"):
        if has_cjk(line):
            out.extend(line[i : i + width] for i in range(0, len(line), width))
        else:
            out.extend(textwrap.wrap(line, width) or [""])
    return "\n".join(out)


def _pad_extent(ax: Axes, bounds: np.ndarray) -> None:
    x0, y0, x1, y1 = (float(b) for b in bounds)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    ax.set_xlim(x0 - w * _PAD_X, x1 + w * _PAD_X)
    ax.set_ylim(y0 - h * _PAD_BOTTOM, y1 + h * _PAD_TOP)


def _label_communities(ax: Axes, gdf: gpd.GeoDataFrame, lang: str, above: bool = False) -> None:
    from matplotlib import patheffects

    use_names = "name" in gdf.columns
    if use_names and lang == "en":
        from coverage15._fonts import find_cjk_font

        if find_cjk_font() is None and gdf["name"].map(has_cjk).any():
            use_names = False  # Chinese names cannot be drawn without a CJK font
    col = "name" if use_names else ("community_id" if "community_id" in gdf.columns else None)
    if col is None:
        return
    pts = gdf.geometry.representative_point()
    size = 8 if len(gdf) <= 25 else 6
    for p, name in zip(pts, gdf[col], strict=True):
        if p is None or p.is_empty or name is None or (isinstance(name, float) and np.isnan(name)):
            continue
        ax.annotate(
            str(name),
            (p.x, p.y),
            xytext=(0, 6 if above else 0),
            textcoords="offset points",
            ha="center",
            va="bottom" if above else "center",
            fontsize=size,
            color="#1a1a1a",
            zorder=15,
            path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
        )


# --------------------------------------------------------------------------- walking network


@dataclass
class _Edges:
    """A walking network prepared by the routing engine, with its edge arrays at hand."""

    network: Any  # a coverage15.access.WalkNetwork
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    geometry: np.ndarray
    crs: Any


def _edges_from(network: Any) -> _Edges | None:
    """The routing engine's network for a WalkNetwork or a networkx graph (else None).

    Every distance a map shows comes from :class:`~coverage15.access.WalkNetwork`
    (its snapping, one-way streets and islands): a networkx graph is prepared
    with :meth:`~coverage15.access.WalkNetwork.from_graph` first.
    """
    import networkx as nx

    from coverage15.access import WalkNetwork

    if network is None:
        return None
    if not isinstance(network, WalkNetwork):
        graph = network if isinstance(network, nx.Graph) else getattr(network, "graph", None)
        if not isinstance(graph, nx.Graph):
            return None
        network = WalkNetwork.from_graph(graph)
    return _Edges(
        network,
        network.node_x,
        network.node_y,
        network.edge_u,
        network.edge_v,
        network.edge_length,
        network.edge_geometry,
        network.crs,
    )


def street_lines(network: Any) -> gpd.GeoSeries | None:
    """One line per street (both directions of a two-way street drawn once), or None."""
    e = _edges_from(network)
    if e is None:
        return None
    return gpd.GeoSeries(e.network.street_geometries, crs=e.crs)


def _as_points(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Representative points of non-empty geometries (index kept)."""
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    return gpd.GeoSeries(
        shapely.points(shapely.get_coordinates(geoms.representative_point())),
        index=geoms.index,
        crs=geoms.crs,
    )


def _street_midpoint_distances(e: _Edges, facilities: gpd.GeoDataFrame) -> np.ndarray:
    """Per directed edge: walking metres from its street's midpoint to the nearest facility.

    From the engine (:meth:`~coverage15.access.WalkNetwork.service_area_pieces`,
    unbounded): the shorter of the street's usable directions; inf when none
    reaches a facility.
    """
    net = e.network
    if not len(facilities):
        return np.full(len(e.u), np.inf)
    fac = _same_crs(facilities, e.crs)
    assert fac is not None  # facilities is not None
    pts = _as_points(fac.geometry)
    pieces = net.service_area_pieces(pts, max_distance_m=np.inf, max_leg_m=None)
    d = pieces.distance_at(np.arange(len(e.u)), e.length / 2)
    street = net.streets.street_of_edge
    best = np.full(int(street.max()) + 1 if len(street) else 0, np.inf)
    np.minimum.at(best, street, d)
    return best[street]


def service_areas(
    network: Any,
    facilities: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    minutes: Sequence[float] = (5, 10, 15),
    speed_m_per_min: float = 80.0,
    buffer_m: float = 50.0,
    fill_holes_m2: float = 50_000.0,
    homes: gpd.GeoDataFrame | None = None,
    distance_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Walking service areas of facilities for given minutes, from network distances.

    Method: the routing engine
    (:meth:`~coverage15.access.WalkNetwork.service_area_pieces`) finds, on every
    street, the part from which a facility can be walked to within the limit,
    exactly as :meth:`~coverage15.access.WalkNetwork.nearest_facilities`
    measures a home's walk: facilities snapped to their street (the
    perpendicular leg counts as walking, islands avoided), walking *towards*
    the facility with one-way streets honoured, each street cut at the limit.
    The reachable street pieces are buffered by ``buffer_m`` (homes stand
    beside the street, not on its centre line) and merged; holes smaller than
    ``fill_holes_m2`` (blocks enclosed by reachable streets) are filled. With
    ``homes`` and their walking distances (from the analysis), every home
    within the limit is added too, joined to its street by its leg, so each
    home that reaches a facility in time lies inside the area. This follows
    the streets, unlike a convex hull or a crow-fly circle, so a river without
    a bridge or a walled compound shows as a gap.

    Parameters
    ----------
    network
        A :class:`~coverage15.access.WalkNetwork`, a projected osmnx graph
        (nodes with ``x``/``y``, edges with ``length``), or an Analysis (its
        ``network``).
    facilities
        Facility points (in the network's CRS or convertible to it).
    minutes
        Walking times.
    speed_m_per_min
        Walking speed; distance limit = minutes × speed.
    buffer_m
        Half-width of the band around reachable streets.
    fill_holes_m2
        Fill holes smaller than this (m²); 0 keeps all holes.
    homes, distance_column
        Optional home points and their column of walking metres to the
        nearest facility (e.g. ``"dist_m__kindergarten"`` of
        ``Analysis.homes``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per time, largest first: ``minutes``, ``distance_m``, polygon
        ``geometry`` (empty when no street is reachable).

    Examples
    --------
    A one-way street 0 → 1000 m with a facility at 100 m; 5 minutes at
    80 m/min = 400 m: one can walk to it only from the 100 m before it (and
    from its own 0 m leg), never back against the one-way street:

    >>> import networkx as nx, shapely, geopandas as gpd
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(0, {"x": 0.0, "y": 0.0}), (1, {"x": 1000.0, "y": 0.0})])
    >>> _ = G.add_edge(0, 1, length=1000.0)
    >>> fac = gpd.GeoSeries([shapely.Point(100, 0)], crs="EPSG:32648")
    >>> sa = service_areas(G, fac, minutes=[5], buffer_m=10)
    >>> [round(b) for b in sa.total_bounds]
    [-10, -10, 110, 10]
    """
    if _is_analysis(network):
        network = network.network
    e = _edges_from(network)
    if e is None:
        raise InputError(
            "service areas need the walking network's nodes and edges (a WalkNetwork or an "
            "osmnx graph)",
            source="network",
        )
    geoms = facilities.geometry if isinstance(facilities, gpd.GeoDataFrame) else facilities
    if e.crs is not None and geoms.crs is not None and geoms.crs != e.crs:
        geoms = geoms.to_crs(e.crs)
    pts = _as_points(geoms)
    if pts.crs is None:
        pts = pts.set_crs(e.crs, allow_override=True)
    limits = sorted((float(m) * speed_m_per_min for m in minutes), reverse=True)
    rows = []
    if len(pts) == 0 or len(e.u) == 0:
        for lim in limits:
            rows.append(
                {"minutes": lim / speed_m_per_min, "distance_m": lim, "geometry": shapely.Polygon()}
            )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=e.crs)
    pieces = e.network.service_area_pieces(pts, max_distance_m=limits[0], max_leg_m=None)
    src = pieces.sources
    src_ok = src["snapped"].to_numpy()
    src_legs = shapely.linestrings(
        np.stack(
            [
                shapely.get_coordinates(pts.to_numpy())[src_ok],
                src[["x", "y"]].to_numpy(dtype="float64")[src_ok],
            ],
            axis=1,
        )
    )
    src_leg_m = src["leg_m"].to_numpy(dtype="float64")[src_ok]
    home_legs = home_dist = None
    if homes is not None and distance_column is not None and len(homes):
        h = homes if e.crs is None or homes.crs == e.crs else homes.to_crs(e.crs)
        hp = _as_points(h.geometry)
        has = (h.geometry.notna() & ~h.geometry.is_empty).to_numpy()
        home_dist = pd.to_numeric(h[distance_column], errors="coerce").to_numpy("float64")[has]
        on = e.network.snap(hp.set_crs(e.crs, allow_override=True), max_leg_m=None)
        home_legs = shapely.linestrings(
            np.stack(
                [shapely.get_coordinates(hp.to_numpy()), on[["x", "y"]].to_numpy("float64")],
                axis=1,
            )
        )
    glen = shapely.length(e.geometry)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_m = np.where(e.length > 0, glen / e.length, 1.0)  # geometry metres per cost metre
    for lim in limits:
        iv = pieces.intervals(lim)
        edge = iv["edge"].to_numpy()
        a = iv["start_m"].to_numpy() * per_m[edge]
        b = np.minimum(iv["end_m"].to_numpy() * per_m[edge], glen[edge])
        whole = (a <= 0.0) & (b >= glen[edge])
        pieces_geo = list(e.geometry[edge[whole]])
        for k in np.flatnonzero(~whole & (b > a)):
            pieces_geo.append(substring(e.geometry[edge[k]], float(a[k]), float(b[k])))
        pieces_geo.extend(src_legs[src_leg_m <= lim])
        if home_legs is not None and home_dist is not None:
            pieces_geo.extend(home_legs[np.nan_to_num(home_dist, nan=np.inf) <= lim])
        arr = np.asarray(pieces_geo, dtype=object)
        if len(arr):
            arr = arr[~shapely.is_missing(arr)]
            arr = arr[shapely.get_type_id(arr) == shapely.GeometryType.LINESTRING]
        if len(arr):
            # a two-way street is two directed edges: drop duplicates, then buffer each
            # piece and merge (far faster than buffering one big MultiLineString)
            arr = shapely.from_wkb(np.unique(shapely.to_wkb(shapely.normalize(arr))))
            area = shapely.union_all(shapely.buffer(arr, buffer_m, quad_segs=4))
            area = _fill_holes(area, fill_holes_m2)
        else:
            area = shapely.Polygon()
        rows.append({"minutes": lim / speed_m_per_min, "distance_m": lim, "geometry": area})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=e.crs)


def _fill_holes(geom: shapely.Geometry, max_area: float) -> shapely.Geometry:
    if max_area <= 0 or geom.is_empty:
        return geom
    polys = shapely.get_parts(geom)
    out = []
    for p in polys:
        if p.geom_type != "Polygon":
            continue
        keep = [r for r in p.interiors if shapely.Polygon(r).area >= max_area]
        out.append(shapely.Polygon(p.exterior, keep))
    return shapely.union_all(out) if out else geom


def _homes_service_areas(
    homes: gpd.GeoDataFrame, dist_col: str, limits_m: Sequence[float], buffer_m: float
) -> gpd.GeoDataFrame:
    """Fallback without a network: merged buffers of the homes within each limit."""
    rows = []
    for lim in sorted(limits_m, reverse=True):
        sel = homes[pd.to_numeric(homes[dist_col], errors="coerce") <= lim]
        area = (
            shapely.union_all(shapely.buffer(sel.geometry.to_numpy(), buffer_m * 2))
            if len(sel)
            else shapely.Polygon()
        )
        rows.append({"distance_m": lim, "geometry": area})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=homes.crs)


_STATUSES = ("reached", "beyond_bound", "no_path", "off_network")


def reach_classes(
    homes: pd.DataFrame,
    category: str,
    *,
    threshold_m: float,
    facilities: pd.DataFrame | None = None,
    near_factor: float = NEAR_FACTOR,
) -> pd.Series:
    """Class of each home's walk to ``category`` against that category's own standard.

    Classes (:data:`coverage15.styles.REACH_CLASSES`): ``"within"`` the
    standard (distance ≤ ``threshold_m``); ``"near"``: beyond it but within
    ``near_factor`` × (1.5×); ``"beyond"`` 1.5×; ``"no_path"``: no facility of
    the category in the home's network piece (or none at all); ``"off_network"``:
    the home is not on the network.

    The engine's status column ``reach__<category>`` (``reached``,
    ``beyond_bound``, ``no_path``, ``off_network``) decides the last three
    when present. Without it the classes are derived from ``dist_m__<category>``
    alone: a missing distance is ``"off_network"`` for a home not snapped
    (``snapped`` False or ``status == "off_network"``), ``"no_path"`` when
    ``facilities`` has none of the category, else ``"beyond"`` (beyond the
    engine's search bound, or no path: the distance alone cannot tell; the
    result's ``attrs["statuses"]`` is then False so legends can say so).

    Parameters
    ----------
    homes
        ``Analysis.homes`` (``dist_m__<category>``; ``reach__<category>``,
        ``snapped`` or ``status`` when present).
    category
        The category key.
    threshold_m
        The category's standard, walking metres.
    facilities
        The facilities (a ``category`` column), used without statuses only.
    near_factor
        Upper end of the "near" class as a multiple of the standard (1.5).

    Returns
    -------
    pandas.Series
        Categorical class per home (same index); ``attrs["statuses"]`` says
        whether the engine's statuses were used.

    Raises
    ------
    InputError
        No ``dist_m__<category>`` column, or an unknown status value.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"dist_m__pharmacy": [120.0, 300.0, 360.0, 450.0, 451.0,
    ...                                        float("nan"), float("nan")],
    ...                   "reach__pharmacy": ["reached"] * 5 + ["no_path", "off_network"]})
    >>> reach_classes(h, "pharmacy", threshold_m=300).tolist()
    ['within', 'within', 'near', 'near', 'beyond', 'no_path', 'off_network']
    """
    dcol, rcol = f"dist_m__{category}", f"reach__{category}"
    if dcol not in homes.columns:
        raise InputError(f"no column {dcol!r}", source="homes", column=dcol)
    d = pd.to_numeric(homes[dcol], errors="coerce").to_numpy(dtype="float64")
    out = np.full(len(d), "beyond", dtype=object)
    fin = np.isfinite(d)
    out[fin & (d <= threshold_m)] = "within"
    out[fin & (d > threshold_m) & (d <= near_factor * threshold_m)] = "near"
    statuses = rcol in homes.columns
    if statuses:
        r = homes[rcol].astype("string").fillna("").to_numpy(dtype=object)
        bad = sorted(set(r) - set(_STATUSES))
        if bad:
            rows = homes.index[np.isin(r, bad)].tolist()[:10]
            raise InputError(
                f"unknown reach status(es) {bad}; expected one of {list(_STATUSES)}",
                source="homes",
                rows=rows,
                column=rcol,
            )
        out[~fin & (r == "no_path")] = "no_path"
        out[r == "off_network"] = "off_network"
    else:
        off = np.zeros(len(d), dtype=bool)
        if "snapped" in homes.columns:
            off = ~homes["snapped"].fillna(False).astype(bool).to_numpy()
        elif "status" in homes.columns:
            off = (homes["status"] == "off_network").to_numpy()
        if facilities is not None and "category" in facilities.columns:
            if not (facilities["category"] == category).any():
                out[~fin] = "no_path"
        out[off & ~fin] = "off_network"
    res = pd.Series(
        pd.Categorical(out, categories=list(REACH_CLASSES)), index=homes.index, name=category
    )
    res.attrs["statuses"] = statuses
    return res


def _fmt_m(m: float, lang: str) -> str:
    return f"{m:,.0f} 米" if lang == "zh" else f"{m:,.0f} m"


def reach_labels(threshold_m: float, lang: str = "zh", *, statuses: bool = True) -> dict[str, str]:
    """Legend text of each walking class for a standard of ``threshold_m`` metres.

    Parameters
    ----------
    threshold_m
        The category's standard, walking metres.
    lang
        ``"zh"`` (default) or ``"en"``.
    statuses
        Whether the classes came from the engine's statuses (else "beyond"
        also holds homes with no path, and says so).

    Returns
    -------
    dict
        ``{class: label}`` for :data:`coverage15.styles.REACH_CLASSES`.

    Examples
    --------
    >>> reach_labels(300, "en")["near"]
    'Beyond it, up to 1.5× (300–450 m)'
    >>> reach_labels(300, "zh")["within"]
    '标准内（≤ 300 米）'
    """
    t, n = threshold_m, NEAR_FACTOR * threshold_m
    if lang == "zh":
        beyond = f"超出 1.5 倍（> {_fmt_m(n, lang)}）"
        if not statuses:
            beyond = f"超出 1.5 倍或无路径（> {_fmt_m(n, lang)}）"
        return {
            "within": f"标准内（≤ {_fmt_m(t, lang)}）",
            "near": f"超出标准，1.5 倍内（{t:,.0f}–{_fmt_m(n, lang)}）",
            "beyond": beyond,
            "no_path": "无路径（所在路网片区无该设施）",
            "off_network": "未接入路网",
        }
    beyond = f"Beyond 1.5× (> {_fmt_m(n, lang)})"
    if not statuses:
        beyond = f"Beyond 1.5× or no path (> {_fmt_m(n, lang)})"
    return {
        "within": f"Within the standard (≤ {_fmt_m(t, lang)})",
        "near": f"Beyond it, up to 1.5× ({t:,.0f}–{_fmt_m(n, lang)})",
        "beyond": beyond,
        "no_path": "No path (no facility in the home's network piece)",
        "off_network": "Off the network",
    }


def _hh(homes: pd.DataFrame) -> np.ndarray:
    return (
        pd.to_numeric(homes.get("households", pd.Series(1, index=homes.index)), errors="coerce")
        .fillna(1)
        .to_numpy(dtype="float64")
    )


def _hh_text(n: float, lang: str) -> str:
    return f"{n:,.0f} 户" if lang == "zh" else f"{n:,.0f} hh"


def category_threshold(profile: Any, category: str, group: str, given: float | None) -> float:
    """Metres a category must be within: ``given``, else the profile's threshold."""
    if given is not None:
        return float(given)
    if profile is not None and category in getattr(profile, "requirements", {}):
        return float(profile.threshold_m(category, group))
    raise InputError(
        f"no walking standard for {category!r} in the profile; pass threshold_m=…",
        source="profile",
    )


def plot_walk_times(
    analysis: AnalysisLike,
    category: str,
    *,
    show: str = "homes",
    areas: bool = True,
    threshold_m: float | None = None,
    lang: str = "zh",
    osm: bool | None = None,
    buffer_m: float = 50.0,
    gates: Any = None,
    cuts: Any = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = 200,
) -> Axes:
    """Map walking distance to the nearest facility of ``category`` against its own standard.

    Homes (or streets) fall in the classes of :func:`reach_classes`: within the
    category's standard, up to 1.5× it, beyond, no path, off the network; the
    legend states the standard (e.g. "标准：步行 300 米内") and the households in
    each class. Colours are colour-blind safe (blue within, oranges beyond,
    greys for no path / off network, with their own markers).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    category
        A category key of the analysis's profile, e.g. ``"kindergarten"``.
    show
        ``"homes"``: home points classed by their walking distance (from the
        analysis, the engine's distances). ``"streets"``: street segments
        classed by the distance from the nearest facility to their midpoint.
    areas
        Draw the category's walking service areas at the standard and at 1.5×
        (:func:`service_areas`; without network arrays, merged buffers of the
        homes within each distance — an approximation, footnoted).
    threshold_m
        The standard in walking metres (default: the profile's for ``category``).
    lang, osm, ax, path, title, figsize, dpi
        As in :func:`plot_communities`.
    buffer_m
        Half-width of the service-area band around reachable streets.
    gates, cuts
        Compound gates and cut crossings to draw (default: :func:`gates_and_cuts`).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import types, networkx as nx, geopandas as gpd, shapely, pandas as pd
    >>> from coverage15.standards import load_profile
    >>> G = nx.MultiDiGraph(crs="EPSG:32648")
    >>> G.add_nodes_from([(0, {"x": 0.0, "y": 0.0}), (1, {"x": 2000.0, "y": 0.0})])
    >>> _ = G.add_edge(0, 1, length=2000.0)
    >>> homes = gpd.GeoDataFrame(
    ...     {"households": [5, 5], "time_min__kindergarten": [2.0, 17.0],
    ...      "dist_m__kindergarten": [160.0, 1360.0]},
    ...     geometry=[shapely.Point(300, 20), shapely.Point(1500, 20)], crs="EPSG:32648")
    >>> fac = gpd.GeoDataFrame({"category": ["kindergarten"], "name": ["K"]},
    ...     geometry=[shapely.Point(150, 10)], crs="EPSG:32648")
    >>> comm = gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.box(0, -200, 2000, 200)],
    ...     crs="EPSG:32648")
    >>> a = types.SimpleNamespace(homes=homes, facilities=fac, communities=comm,
    ...     profile=load_profile("gb50180_2018"), network=G, group="general")
    >>> ax = plot_walk_times(a, "kindergarten", lang="en")
    >>> ax.get_legend().get_title().get_text().splitlines()[-1]
    'Standard: within 300 m'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    lang = resolve_lang(lang)
    if show not in ("homes", "streets"):
        raise ValueError(f"show must be 'homes' or 'streets', got {show!r}")
    homes = _metric(analysis.homes, "homes")
    crs = homes.crs
    dcol = f"dist_m__{category}"
    if dcol not in homes.columns:
        cats = sorted(c.removeprefix("dist_m__") for c in homes.columns if c.startswith("dist_m__"))
        raise InputError(f"no walking times to {category!r}; categories are {cats}", source="homes")
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    speed = profile.speed(group) if profile is not None else 80.0
    threshold = category_threshold(profile, category, group, threshold_m)
    near = NEAR_FACTOR * threshold
    comm = _same_crs(_metric(analysis.communities, "communities"), crs)
    bounds = comm.total_bounds if len(comm) else homes.total_bounds
    fig, ax, own = _new_axes(ax, path, figsize, bounds)
    comm.plot(ax=ax, facecolor="white", edgecolor="none", zorder=1)
    # boundaries over the homes; under the coloured streets (boundaries often run on streets)
    comm.boundary.plot(
        ax=ax, color=BOUNDARY_COLOR, linewidth=1.0, zorder=6 if show == "homes" else 3.5
    )
    network = getattr(analysis, "network", None)
    fac = _same_crs(analysis.facilities, crs)
    fac = fac[fac["category"] == category]
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    method = None
    if areas and len(fac):
        edges = _edges_from(network)
        if edges is not None:
            sa = service_areas(
                network,
                fac,
                minutes=[threshold / speed, near / speed],
                speed_m_per_min=speed,
                buffer_m=buffer_m,
                homes=homes,
                distance_column=dcol,
            )
            sa = _same_crs(sa, crs)
        else:
            sa = _homes_service_areas(homes, dcol, [threshold, near], buffer_m)
            method = "homes"
        # largest first: the 1.5× area in a pale orange, the standard's in a pale blue
        fills = (("#fee0b6", "#f1a340"), ("#d1e5f0", "#4393c3"))
        for (_, row), (fc, ec) in zip(sa.iterrows(), fills, strict=False):
            if row.geometry is not None and not row.geometry.is_empty:
                gpd.GeoSeries([row.geometry], crs=sa.crs).plot(
                    ax=ax, facecolor=fc, edgecolor=ec, linewidth=0.5, zorder=2
                )
        sa_name = text("service_area", lang)
        for (fc, ec), d in zip(fills[::-1], (threshold, near), strict=True):
            handles.append(
                Patch(facecolor=fc, edgecolor=ec, label=f"{sa_name} ≤ {_fmt_m(d, lang)}")
            )
        if method == "homes":
            for h in handles[-2:]:
                h.set_label(h.get_label() + "*")
    labels = reach_labels(threshold, lang)
    if show == "homes":
        draw_streets(ax, network, crs, zorder=3)
    if show == "streets":
        edges = _edges_from(network)
        if edges is None:
            raise InputError("show='streets' needs the walking network", source="network")
        mid = _street_midpoint_distances(edges, fac)
        cls = np.where(
            ~np.isfinite(mid),
            "no_path",
            np.where(mid <= threshold, "within", np.where(mid <= near, "near", "beyond")),
        )
        colored = [REACH_COLORS[c] for c in cls]
        gpd.GeoSeries(edges.geometry, crs=edges.crs).to_crs(crs).plot(
            ax=ax, color=colored, linewidth=1.4, zorder=4
        )
        for c in ("within", "near", "beyond", "no_path"):
            if (cls == c).any() or c != "no_path":
                handles.append(
                    Line2D([], [], color=REACH_COLORS[c], linewidth=2.5, label=labels[c])
                )
    else:
        cls = reach_classes(homes, category, threshold_m=threshold, facilities=analysis.facilities)
        labels = reach_labels(threshold, lang, statuses=cls.attrs["statuses"])
        hh = _hh(homes)
        sizes = np.clip(4 + 2.2 * np.sqrt(hh), 4, 40)
        xs, ys = homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
        codes = cls.to_numpy(dtype=object)
        for z, c in enumerate(REACH_CLASSES):
            sel = codes == c
            if not sel.any() and c in ("no_path", "off_network"):
                continue
            marker = REACH_MARKERS[c]
            if sel.any():
                ax.scatter(
                    xs[sel],
                    ys[sel],
                    s=sizes[sel] * (1.3 if marker == "X" else 1.0),
                    c=REACH_COLORS[c],
                    edgecolors="#1a1a1a" if marker != "X" else "white",
                    linewidths=0.3,
                    marker=marker,
                    zorder=7 + z,
                )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=marker,
                    markersize=6,
                    markerfacecolor=REACH_COLORS[c],
                    markeredgecolor="#1a1a1a" if marker != "X" else "white",
                    label=f"{labels[c]}  {_hh_text(hh[sel].sum(), lang)}",
                )
            )
    if len(fac):
        pts = fac.geometry.representative_point()
        ax.scatter(
            pts.x,
            pts.y,
            s=150,
            marker="*",
            c="#1a1a1a",
            edgecolors="white",
            linewidths=0.8,
            zorder=14,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="*",
                markersize=12,
                markerfacecolor="#1a1a1a",
                markeredgecolor="white",
                label=category_label(category, lang),
            )
        )
    handles.extend(_draw_gates_cuts(ax, analysis, crs, gates, cuts, lang))
    _pad_extent(ax, bounds)
    head = text("homes", lang) if show == "homes" else ("街道" if lang == "zh" else "Streets")
    legend_title = (
        f"{head}：至{category_label(category, lang)}步行距离"
        if lang == "zh"
        else f"{head}: walk to {category_label(category, lang)}"
    )
    legend_title += "\n" + (
        f"标准：步行 {threshold:,.0f} 米内"
        if lang == "zh"
        else f"Standard: within {threshold:,.0f} m"
    )
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=7.5,
        title_fontsize=9,
        alignment="left",
    )
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)
    note = None
    if method == "homes":
        note = "*服务范围按住户点近似" if lang == "zh" else "*service areas approximated from homes"
    if not len(fac):
        note = (
            f"区内无{category_label(category, lang)}：所有住户均无路径可达"
            if lang == "zh"
            else f"No {category_label(category, lang)} in the district: no home has a path"
        )
    footer = map_footer(
        analysis, lang=lang, crs=crs, osm=uses_osm(analysis) if osm is None else osm, note=note
    )
    default_title = (
        f"{category_label(category, lang)}步行距离与标准"
        if lang == "zh"
        else f"Walking distance to {category_label(category, lang)} against the standard"
    )
    subtitle = None
    if profile is not None:
        minutes = threshold / speed
        subtitle = (
            f"{profile.name_zh}；标准 {threshold:,.0f} 米"
            f"（按步速 {speed:g} 米/分钟约 {minutes:.0f} 分钟）"
            if lang == "zh"
            else f"{profile.name_en}; standard {threshold:,.0f} m "
            f"(about {minutes:.0f} min at {speed:g} m/min)"
        )
    _finish(
        fig,
        ax,
        lang=lang,
        title=title or default_title,
        subtitle=subtitle,
        own=own,
        path=path,
        dpi=dpi,
        footer=footer,
    )
    return ax


# --------------------------------------------------------------------------- headline maps


def missing_counts(homes: pd.DataFrame) -> pd.Series:
    """Number of required categories each home lacks within their standards.

    Parameters
    ----------
    homes
        ``Analysis.homes``: ``n_required`` and ``n_covered`` (or the
        ``covered__<category>`` columns).

    Returns
    -------
    pandas.Series
        Integer count per home (same index); ``<NA>`` for homes off the network
        (``status == "off_network"``), whose count is unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"n_required": [4, 4, 4], "n_covered": [4, 1, 0],
    ...                   "status": ["covered", "underserved", "off_network"]})
    >>> missing_counts(h).tolist()
    [0, 3, <NA>]
    """
    if {"n_required", "n_covered"} <= set(homes.columns):
        n = pd.to_numeric(homes["n_required"], errors="coerce") - pd.to_numeric(
            homes["n_covered"], errors="coerce"
        )
    else:
        cov = [c for c in homes.columns if c.startswith("covered__")]
        if not cov:
            raise InputError(
                "homes have neither n_required/n_covered nor covered__ columns", source="homes"
            )
        n = (~homes[cov].fillna(False).astype(bool)).sum(axis=1)
    n = n.astype("Int64")
    if "status" in homes.columns:
        n[homes["status"] == "off_network"] = pd.NA
    return n


def missing_bins(n_required: int) -> list[tuple[int, int]]:
    """Classes of "categories lacking" for a profile with ``n_required`` categories.

    Up to four required categories: one class per count. More: none, then four
    classes up to a quarter, a half, three quarters and all of them.

    Parameters
    ----------
    n_required
        Number of required categories.

    Returns
    -------
    list of (int, int)
        Inclusive ``(low, high)`` counts per class; the first is ``(0, 0)``.

    Examples
    --------
    >>> missing_bins(4)
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
    >>> missing_bins(12)
    [(0, 0), (1, 3), (4, 6), (7, 9), (10, 12)]
    """
    n = max(int(n_required), 1)
    if n <= 4:
        return [(k, k) for k in range(n + 1)]
    edges = [0, *(round(n * q / 4) for q in (1, 2, 3, 4))]
    return [(0, 0), *((a + 1, b) for a, b in itertools.pairwise(edges) if b > a)]


def plot_missing_categories(
    analysis: AnalysisLike,
    *,
    lang: str = "zh",
    osm: bool | None = None,
    gates: Any = None,
    cuts: Any = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = 200,
) -> Axes:
    """Homes by the number of required facility categories they lack (0, 1, 2, 3 or more).

    Each required category counts as lacking when the home is beyond that
    category's own standard (:func:`missing_counts`); off-network homes are
    drawn apart. Marker size grows with households; the legend gives the
    households per class.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    lang, osm, gates, cuts, ax, path, title, figsize, dpi
        As in :func:`plot_walk_times`.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> with offscreen():
    ...     ax = plot_missing_categories(sample_analysis(), lang="en")
    >>> [t.get_text().split("  ")[0] for t in ax.get_legend().get_texts()][:2]
    ['None lacking', '1 category lacking']
    """
    from matplotlib.lines import Line2D

    lang = resolve_lang(lang)
    zh = lang == "zh"
    homes = _metric(analysis.homes, "homes")
    crs = homes.crs
    n = missing_counts(homes)
    n_req = (
        int(pd.to_numeric(homes.get("n_required"), errors="coerce").max())
        if ("n_required" in homes.columns and len(homes))
        else int(sum(c.startswith("covered__") for c in homes.columns))
    )
    bins = missing_bins(n_req)
    comm = _same_crs(_metric(analysis.communities, "communities"), crs)
    bounds = comm.total_bounds if len(comm) else homes.total_bounds
    fig, ax, own = _new_axes(ax, path, figsize, bounds)
    comm.plot(ax=ax, facecolor="white", edgecolor="none", zorder=1)
    comm.boundary.plot(ax=ax, color=BOUNDARY_COLOR, linewidth=1.0, zorder=6)
    draw_streets(ax, getattr(analysis, "network", None), crs, zorder=3)
    hh = _hh(homes)
    sizes = np.clip(4 + 2.2 * np.sqrt(hh), 4, 40)
    xs, ys = homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
    vals = n.to_numpy(dtype="float64", na_value=np.nan)
    handles: list[Any] = []
    for k, (lo, hi) in enumerate(bins):
        sel = (vals >= lo) & (vals <= hi)
        color = MISSING_COLORS[k]
        if hi == 0:
            lab = "全部具备" if zh else "None lacking"
        elif lo == hi:
            lab = f"缺 {lo} 类" if zh else f"{lo} categor{'y' if lo == 1 else 'ies'} lacking"
        else:
            lab = f"缺 {lo}–{hi} 类" if zh else f"{lo}–{hi} categories lacking"
        if sel.any():
            ax.scatter(
                xs[sel],
                ys[sel],
                s=sizes[sel],
                c=color,
                edgecolors="#1a1a1a",
                linewidths=0.3,
                marker="o",
                zorder=7 + k,
            )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor=color,
                markeredgecolor="#1a1a1a",
                label=f"{lab}  {_hh_text(hh[sel].sum(), lang)}",
            )
        )
    off = np.isnan(vals)
    if off.any():
        c = REACH_COLORS["off_network"]
        ax.scatter(
            xs[off],
            ys[off],
            s=sizes[off],
            c=c,
            edgecolors="#1a1a1a",
            linewidths=0.3,
            marker="s",
            zorder=12,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="s",
                markersize=6,
                markerfacecolor=c,
                markeredgecolor="#1a1a1a",
                label=f"{reach_labels(1, lang)['off_network']}  {_hh_text(hh[off].sum(), lang)}",
            )
        )
    handles.extend(_draw_gates_cuts(ax, analysis, crs, gates, cuts, lang))
    _pad_extent(ax, bounds)
    legend_title = (
        f"住户点：步行标准内缺少的设施类别数\n（共 {n_req} 类必配设施，各按其标准距离）"
        if zh
        else f"Homes: required categories not within\ntheir standard ({n_req} required)"
    )
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        alignment="left",
    )
    _label_communities(ax, comm, lang, above=True)
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)
    profile = analysis.profile
    osm = uses_osm(analysis) if osm is None else osm
    footer = map_footer(analysis, lang=lang, crs=crs, osm=osm)
    _finish(
        fig,
        ax,
        lang=lang,
        title=title or ("住户缺少的设施类别数" if zh else "Required facility categories lacking"),
        subtitle=(profile.name_zh if zh else profile.name_en) if profile is not None else None,
        own=own,
        path=path,
        dpi=dpi,
        footer=footer,
    )
    return ax


def categories_with_facilities(analysis: AnalysisLike, categories: Sequence[str]) -> list[str]:
    """The categories that have at least one facility in the analysis (automatic maps)."""
    fac = getattr(analysis, "facilities", None)
    if fac is None or "category" not in fac.columns:
        return list(categories)
    have = set(fac["category"].dropna().astype(str))
    return [c for c in categories if c in have]


def plot_coverage_by_category(
    analysis: AnalysisLike,
    *,
    categories: Sequence[str] | None = None,
    lang: str = "zh",
    osm: bool | None = None,
    ncols: int | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    dpi: int = 200,
) -> Figure:
    """Small multiples: share of households within each category's standard, per community.

    One panel per category (default: the profile's required categories, in
    tier order), all on the same fixed share classes (< 50 %, 50–80 %, 80–90 %,
    90–< 100 %, 100 %: the profiles' targets are class edges), with the
    streets, the category's facilities and its standard in the panel title.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis` (``share__<category>`` columns).
    categories
        Category keys to show.
    lang, osm, path, dpi
        As in :func:`plot_communities`.
    ncols
        Panels per row (default: about the square root of their number).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> with offscreen():
    ...     fig = plot_coverage_by_category(sample_analysis(), lang="en")
    >>> [a.get_title() for a in fig.axes][:2]  # the 4 required categories of leshan_2018
    ['Community health station (≤ 300 m)', 'Outdoor fitness ground (≤ 300 m)']
    """
    from matplotlib.patches import Patch

    lang = resolve_lang(lang)
    zh = lang == "zh"
    comm = _metric(analysis.communities, "communities")
    crs = comm.crs
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    if categories is None:
        categories = list(getattr(profile, "required_categories", []) or [])
        if not categories:
            categories = [
                c.removeprefix("share__") for c in comm.columns if c.startswith("share__")
            ]
    cats = [c for c in categories if f"share__{c}" in comm.columns]
    if not cats:
        raise InputError("no share__<category> columns to map", source="communities")
    n = len(cats)
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    x0, y0, x1, y1 = comm.total_bounds
    aspect = max(x1 - x0, 1.0) / max(y1 - y0, 1.0)
    panel_w = min(4.2, 12.0 / ncols)
    panel_h = panel_w / aspect * 1.08 + 0.35
    fig_w, fig_h = panel_w * ncols + 2.6, panel_h * nrows + 1.5
    from matplotlib.figure import Figure as _Figure

    if path is not None or _OFFSCREEN.get():
        fig = _Figure(figsize=(fig_w, fig_h))
    else:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(fig_w, fig_h))
    top, bottom = 1 - 1.05 / fig_h, 0.45 / fig_h
    network = getattr(analysis, "network", None)
    fac_all = _same_crs(getattr(analysis, "facilities", None), crs)
    classes = None
    for i, cat in enumerate(cats):
        r, c = divmod(i, ncols)
        w = panel_w / fig_w
        h = (top - bottom) / nrows
        ax = fig.add_axes((0.01 + c * w, top - (r + 1) * h, w * 0.96, h * 0.9))
        values = pd.to_numeric(comm[f"share__{cat}"], errors="coerce")
        classes = classify(values, scheme="shares", column=f"share__{cat}")
        comm.plot(
            ax=ax, color=classes.color_of(), edgecolor=BOUNDARY_COLOR, linewidth=0.4, zorder=2
        )
        draw_streets(ax, network, crs, zorder=2.5, linewidth=0.3)
        if fac_all is not None and len(fac_all):
            pts = fac_all[fac_all["category"] == cat].geometry.representative_point()
            ax.scatter(
                pts.x,
                pts.y,
                s=55,
                marker="*",
                c="#1a1a1a",
                edgecolors="white",
                linewidths=0.5,
                zorder=5,
            )
        _pad_extent(ax, comm.total_bounds)
        ax.set_axis_off()
        ax.set_aspect("equal")
        std = ""
        if profile is not None and cat in getattr(profile, "requirements", {}):
            std = (
                f"（{_fmt_m(profile.threshold_m(cat, group), lang)}）"
                if zh
                else (f" (≤ {_fmt_m(profile.threshold_m(cat, group), lang)})")
            )
        ax.set_title(category_label(cat, lang) + std, fontsize=9)
        if i == 0:
            add_north_arrow(ax, lang=lang)
        if i == n - 1:
            add_scale_bar(ax, lang=lang)
    assert classes is not None
    handles = [
        Patch(facecolor=col, edgecolor=BOUNDARY_COLOR, linewidth=0.5, label=lab)
        for col, lab in zip(classes.colors, classes.labels, strict=True)
    ]
    handles.append(_star_handle(lang))
    fig.legend(
        handles=handles,
        title="步行标准内户数比例\n（各类设施按其标准距离）"
        if zh
        else "Households within the\nstandard of each category",
        loc="upper left",
        bbox_to_anchor=(1 - 2.5 / fig_w, top),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        alignment="left",
    )
    fig.text(
        0.01,
        1 - 0.2 / fig_h,
        title
        or (
            "各类设施步行覆盖率（按社区）" if zh else "Coverage by facility category, per community"
        ),
        fontsize=14,
        fontweight="bold",
        ha="left",
        va="top",
    )
    if profile is not None:
        fig.text(
            0.01,
            1 - 0.55 / fig_h,
            profile.name_zh if zh else profile.name_en,
            fontsize=9,
            color="#444444",
            ha="left",
            va="top",
        )
    footer = map_footer(
        analysis, lang=lang, crs=crs, osm=uses_osm(analysis) if osm is None else osm
    )
    _draw_footer(fig, fig.axes[0], footer, True)
    from matplotlib.text import Text

    families = font_families(lang)
    for t in fig.findobj(Text):
        t.set_fontfamily(families)
    if path is not None:
        save_figure(fig, path, dpi=dpi)
    return fig


def _star_handle(lang: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        linestyle="none",
        marker="*",
        markersize=9,
        markerfacecolor="#1a1a1a",
        markeredgecolor="white",
        label="该类设施" if lang == "zh" else "Facilities",
    )


# --------------------------------------------------------------------------- map sets


def worst_category(analysis: AnalysisLike) -> str | None:
    """The required category with the lowest share of households within reach.

    Only categories with at least one facility in ``analysis.facilities`` are
    candidates: a map of a category the district has none of shows nothing but
    "no path" (its absence is reported in the tables instead).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object whose
        ``communities`` table has ``households`` and ``hh_covered__<category>``
        columns (and, optionally, ``facilities`` with a ``category`` column).

    Returns
    -------
    str or None
        The category key (the alphabetically first on a tie), or None when there
        are no ``hh_covered__`` columns, no households or no category with facilities.

    Examples
    --------
    >>> import types, pandas as pd
    >>> c = pd.DataFrame({"households": [10, 30], "hh_covered__pharmacy": [10, 30],
    ...                   "hh_covered__kindergarten": [0, 15], "hh_covered__nursery": [0, 0]})
    >>> f = pd.DataFrame({"category": ["pharmacy", "kindergarten"]})  # no nursery at all
    >>> worst_category(types.SimpleNamespace(communities=c, facilities=f))
    'kindergarten'
    """
    comm = analysis.communities
    total = float(pd.to_numeric(comm["households"], errors="coerce").sum())
    cats = [c.removeprefix("hh_covered__") for c in comm.columns if c.startswith("hh_covered__")]
    cats = categories_with_facilities(analysis, cats)
    if not cats or not total > 0:
        return None
    shares = {
        c: float(pd.to_numeric(comm[f"hh_covered__{c}"], errors="coerce").sum()) / total
        for c in cats
    }
    return min(sorted(shares), key=lambda k: shares[k])


# stable file stems of write_maps (the report embeds these files) and their captions
MAP_CAPTIONS: dict[str, tuple[str, str]] = {
    "missing_categories": ("住户缺少的设施类别数", "Required facility categories lacking, by home"),
    "coverage_by_category": (
        "各类设施步行覆盖率（按社区）",
        "Coverage by facility category, per community",
    ),
    "underserved_households": (
        "服务不足户数比例与服务不足住户点",
        "Share of households underserved, and the underserved homes",
    ),
    "coverage_all": (
        "全部必配设施覆盖户数比例",
        "Share of households reaching every required category",
    ),
    "area_per_100hh": ("每百户社区服务设施面积与标准", "Facility floor area per 100 households"),
}


def map_caption(name: str, lang: str = "zh") -> str:
    """Caption of a standard map by its name (``map_<name>.png`` of :func:`write_maps`).

    Parameters
    ----------
    name
        The map's name, e.g. ``"missing_categories"`` or ``"walk_time_kindergarten"``
        (with or without the ``map_`` prefix and a suffix).
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    str

    Examples
    --------
    >>> map_caption("map_walk_time_kindergarten.png", "en")
    'Walking distance to Kindergarten against its standard'
    """
    name = Path(name).stem.removeprefix("map_")
    zh = lang == "zh"
    if name in MAP_CAPTIONS:
        return MAP_CAPTIONS[name][0 if zh else 1]
    if name.startswith("walk_time_"):
        cat = category_label(name.removeprefix("walk_time_"), lang)
        if zh:
            return f"至{cat}的步行距离与标准"
        return f"Walking distance to {cat} against its standard"
    return name


def _informative(values: pd.Series, column: str) -> bool:
    """More than one class occupied (a one-class map says nothing)."""
    c = classify(pd.to_numeric(values, errors="coerce"), column=column)
    return len(set(c.yb[c.yb >= 0].tolist())) > 1


def _standard_maps(analysis: AnalysisLike) -> list[tuple[str, dict[str, Any]]]:
    comm = analysis.communities
    homes = getattr(analysis, "homes", None)
    out: list[tuple[str, dict[str, Any]]] = []
    if homes is not None and ({"n_required", "n_covered"} <= set(homes.columns)):
        out.append(("missing_categories", {"kind": "missing"}))
    if any(c.startswith("share__") for c in comm.columns):
        out.append(("coverage_by_category", {"kind": "grid"}))
    if "hh_underserved" in comm.columns and "households" in comm.columns:
        out.append(
            (
                "underserved_households",
                {"kind": "communities", "column": "share_underserved", "dots": "underserved"},
            )
        )
    if "share_covered_all" in comm.columns and _informative(
        comm["share_covered_all"], "share_covered_all"
    ):
        out.append(("coverage_all", {"kind": "communities", "column": "share_covered_all"}))
    profile = getattr(analysis, "profile", None)
    if (
        "area_per_100hh" in comm.columns
        and comm["area_per_100hh"].notna().any()
        and class_centre(comm, "area_per_100hh", None, profile) is not None
    ):
        # only against a standard (without one the map is a bare number), with the
        # facilities the indicator counts
        from coverage15.standards import category_catalogue

        counted = [k for k, c in category_catalogue().items() if c.community_facility]
        out.append(
            (
                "area_per_100hh",
                {
                    "kind": "communities",
                    "column": "area_per_100hh",
                    "facilities": True,
                    "categories": counted,
                },
            )
        )
    cat = worst_category(analysis)
    if cat is not None:
        out.append((f"walk_time_{cat}", {"kind": "walk", "category": cat}))
    return out


def _draw(
    analysis: AnalysisLike,
    spec: dict[str, Any],
    *,
    lang: str,
    path: Any = None,
    dpi: int = 200,
    osm: bool | None = None,
) -> Axes:
    spec = dict(spec)
    kind = spec.pop("kind")
    if kind == "walk":
        return plot_walk_times(analysis, spec["category"], lang=lang, path=path, dpi=dpi, osm=osm)
    if kind == "missing":
        return plot_missing_categories(analysis, lang=lang, path=path, dpi=dpi, osm=osm)
    if kind == "grid":
        fig = plot_coverage_by_category(analysis, lang=lang, path=path, dpi=dpi, osm=osm)
        return fig.axes[0]
    return plot_communities(
        analysis, spec.pop("column"), lang=lang, path=path, dpi=dpi, osm=osm, **spec
    )


def write_maps(
    analysis: AnalysisLike,
    folder: str | os.PathLike,
    *,
    lang: str = "zh",
    formats: Sequence[str] = ("png",),
    dpi: int = 200,
    osm: bool | None = None,
    progress: bool = False,
) -> list[Path]:
    """Write the standard district maps into ``folder``; returns the files written.

    The maps, in this order, with stable file names ``map_<name>.<format>``
    (:func:`map_caption` gives each a caption; the report embeds these files):

    * ``missing_categories``: homes by the number of required categories lacking;
    * ``coverage_by_category``: small multiples, share within each category's standard;
    * ``underserved_households``: share of households underserved, with the
      underserved homes as dots;
    * ``coverage_all``: share reaching every required category — only when it
      varies between classes (one class everywhere, e.g. 0 %, says nothing);
    * ``area_per_100hh``: floor area per 100 households against the standard,
      only when the profile has one, with the facilities the indicator counts;
    * ``walk_time_<category>``: walking distance against the standard for the
      required category with the lowest coverage among those with facilities.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    folder
        Output folder (created if needed).
    lang
        ``"zh"`` or ``"en"``.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Raster resolution.
    osm
        OpenStreetMap attribution (default: :func:`uses_osm`).
    progress
        Show a progress bar over the maps.

    Returns
    -------
    list of pathlib.Path
        The files written (``map_<name>.<format>``).

    Examples
    --------
    >>> import tempfile
    >>> from coverage15.datasets import sample_analysis
    >>> with offscreen():
    ...     files = write_maps(sample_analysis(), tempfile.mkdtemp(), lang="en", dpi=60)
    >>> [p.name for p in files]  # doctest: +NORMALIZE_WHITESPACE
    ['map_missing_categories.png', 'map_coverage_by_category.png',
     'map_underserved_households.png', 'map_area_per_100hh.png',
     'map_walk_time_health_station.png']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = resolve_lang(lang)
    written = []
    from coverage15._progress import progress_bar

    for name, spec in progress_bar(_standard_maps(analysis), desc="maps", disable=not progress):
        for fmt in formats:
            p = folder / f"map_{name}.{fmt.lower().lstrip('.')}"
            _draw(analysis, spec, lang=lang, path=p, dpi=dpi, osm=osm)
            written.append(p)
    return written


def write_map_pdf(
    analysis: AnalysisLike, path: str | os.PathLike, *, lang: str = "zh", osm: bool | None = None
) -> Path:
    """All standard district maps as pages of one PDF (written atomically).

    The pages are the maps of :func:`write_maps`, in the same order.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    path
        The PDF file to write (its folder is created if needed).
    lang
        ``"zh"`` (default) or ``"en"``; Chinese falls back to English when no
        font with Chinese glyphs is installed.
    osm
        OpenStreetMap attribution (default: :func:`uses_osm`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from coverage15.datasets import sample_analysis
    >>> with offscreen():
    ...     pdf = write_map_pdf(sample_analysis(), pathlib.Path(tempfile.mkdtemp()) / "maps.pdf")
    >>> pdf.read_bytes()[:5]
    b'%PDF-'
    """
    from matplotlib.backends.backend_pdf import PdfPages

    from coverage15._files import atomic_path

    lang = resolve_lang(lang)
    path = Path(path)
    with (
        atomic_path(path) as tmp,
        PdfPages(tmp, metadata={"Creator": "coverage15"}) as pdf,
        offscreen(),
    ):
        for _, spec in _standard_maps(analysis):
            ax = _draw(analysis, spec, lang=lang, path=None, osm=osm)
            pdf.savefig(ax.figure, facecolor="white")
    return path


def figure_png(ax_or_fig: Any, *, dpi: int = 150) -> bytes:
    """PNG bytes of a map (for embedding in HTML); closes the figure.

    Parameters
    ----------
    ax_or_fig
        The map's axes or its figure.
    dpi
        Resolution in dots per inch (default 150).

    Returns
    -------
    bytes
        The PNG file's content, on a white background.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_png(Figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    import io

    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)
    return buf.getvalue()
