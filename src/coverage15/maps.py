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
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    NO_DATA_COLOR,
    TIME_COLORS,
    UNREACHABLE_COLOR,
    Classes,
    category_styles,
    classify,
    sample_colors,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Classes",
    "add_north_arrow",
    "add_scale_bar",
    "classify",
    "figure_png",
    "nice_scale_length",
    "offscreen",
    "plot_communities",
    "plot_walk_times",
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
    parts = [p for p in (note, ATTRIBUTION if osm else None) if p]
    if parts:
        ax.text(
            0.005,
            0.005,
            "  ·  ".join(parts),
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=6.5,
            color="#333333",
            zorder=22,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1.5},
        )


# --------------------------------------------------------------------------- inputs


def uses_osm(analysis: Any) -> bool:
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
    ax = fig.add_axes((0.25 / fig_w, 0.02, map_w / fig_w, 0.84))
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
) -> None:
    from matplotlib.text import Text

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


def _centre(gdf: pd.DataFrame, column: str, standard: float | None, profile: Any) -> float | None:
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
        ``"share__kindergarten"``, ``"area_per_100hh"``.
    scheme
        ``"quantiles"``, ``"natural_breaks"``, ``"equal_interval"`` or
        ``"standard"`` (diverging, centred on the standard: red below, blue at
        or above). Default: ``"standard"`` for the per-100-household area
        columns (centred on ``area_target_per_100hh``, e.g. 30 m²), else
        ``"quantiles"``.
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
    >>> ax = plot_communities(gdf, "hh_underserved", lang="en", scheme="equal_interval", k=3)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['0 – 213', '213 – 427', '427 – 640']
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    lang = resolve_lang(lang)
    analysis = data if _is_analysis(data) else None
    gdf = analysis.communities if analysis is not None else data
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError("expected an Analysis or a GeoDataFrame of communities", source="map")
    if column not in gdf.columns:
        raise InputError(
            f"no column {column!r}; map one of {sorted(c for c in gdf.columns if c != 'geometry')}",
            source="communities",
        )
    gdf = _metric(gdf, "communities")
    profile = analysis.profile if analysis is not None else None
    centre = _centre(gdf, column, standard, profile)
    if scheme is None:
        scheme = "standard" if centre is not None and column in AREA_COLUMNS else "quantiles"
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
    u = unit(column, lang)
    name = label(column, lang)
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
    note = _profile_note(profile, lang)
    _add_attribution(ax, note, osm)
    subtitle = None
    if profile is not None:
        subtitle = profile.name_zh if lang == "zh" else profile.name_en
    _finish(
        fig,
        ax,
        lang=lang,
        title=title or label(column, lang),
        subtitle=subtitle,
        own=own,
        path=path,
        dpi=dpi,
    )
    return ax


def _profile_note(profile: Any, lang: str) -> str | None:
    if profile is None:
        return None
    return ("标准：" if lang == "zh" else "Standard: ") + (
        profile.name_zh if lang == "zh" else profile.name_en
    )


def _wrap(s: str, width: int) -> str:
    import textwrap

    out = []
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


def _label_communities(ax: Axes, gdf: gpd.GeoDataFrame, lang: str) -> None:
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
        ax.text(
            p.x,
            p.y,
            str(name),
            ha="center",
            va="center",
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


def _street_lines(network: Any) -> gpd.GeoSeries | None:
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


def _time_class(minutes: np.ndarray, bands: Sequence[float]) -> np.ndarray:
    """0..len(bands) by band (len(bands) = beyond the last), -1 unreachable."""
    out = np.full(len(minutes), -1, dtype=np.int64)
    ok = np.isfinite(minutes)
    out[ok] = np.searchsorted(np.asarray(bands, dtype="float64"), minutes[ok], side="left")
    return out


def _band_labels(bands: Sequence[float], lang: str) -> list[str]:
    mins = text("minutes", lang)
    labels, lo = [], 0.0
    for b in bands:
        labels.append(f"{lo:g} – {b:g} {mins}")
        lo = b
    labels.append(f"> {bands[-1]:g} {mins}")
    return labels


def _band_colors(n: int) -> list[str]:
    if n == 3:
        return list(TIME_COLORS)
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps["RdYlGn_r"]
    return [to_hex(cm(x)) for x in np.linspace(0.1, 0.75, n)] + [TIME_COLORS[-1]]


def plot_walk_times(
    analysis: Any,
    category: str,
    *,
    minutes: Sequence[float] = (5, 10, 15),
    show: str = "homes",
    areas: bool = True,
    lang: str = "zh",
    osm: bool | None = None,
    buffer_m: float = 50.0,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: int = 200,
) -> Axes:
    """Map walking minutes to the nearest facility of ``category``.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    category
        A category key of the analysis's profile, e.g. ``"kindergarten"``.
    minutes
        Time bands (default 5, 10, 15 minutes).
    show
        ``"homes"``: home points coloured by their walking time (from the
        analysis, the engine's distances). ``"streets"``: street segments
        coloured by the time to walk from their midpoint (needs the network).
    areas
        Draw the walking service areas of the category's facilities for each
        band (:func:`service_areas`; without network arrays, merged buffers of
        the homes within each band — an approximation).
    lang, osm, ax, path, title, figsize, dpi
        As in :func:`plot_communities`.
    buffer_m
        Half-width of the service-area band around reachable streets.

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
    >>> ax.get_legend() is not None
    True
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    lang = resolve_lang(lang)
    if show not in ("homes", "streets"):
        raise ValueError(f"show must be 'homes' or 'streets', got {show!r}")
    homes = _metric(analysis.homes, "homes")
    crs = homes.crs
    tcol, dcol = f"time_min__{category}", f"dist_m__{category}"
    if tcol not in homes.columns and dcol not in homes.columns:
        cats = sorted(c.removeprefix("dist_m__") for c in homes.columns if c.startswith("dist_m__"))
        raise InputError(f"no walking times to {category!r}; categories are {cats}", source="homes")
    profile = analysis.profile
    group = getattr(analysis, "group", "general")
    speed = profile.speed(group) if profile is not None else 80.0
    t = (
        pd.to_numeric(homes[tcol], errors="coerce")
        if tcol in homes.columns
        else pd.to_numeric(homes[dcol], errors="coerce") / speed
    ).to_numpy(dtype="float64")
    bands = sorted(float(m) for m in minutes)
    colors = _band_colors(len(bands))
    labels = _band_labels(bands, lang)
    comm = _same_crs(_metric(analysis.communities, "communities"), crs)
    bounds = comm.total_bounds if len(comm) else homes.total_bounds
    fig, ax, own = _new_axes(ax, path, figsize, bounds)
    comm.plot(ax=ax, facecolor="white", edgecolor="none", zorder=1)
    # boundaries over the homes; under the coloured streets (boundaries often run on streets)
    comm.boundary.plot(
        ax=ax, color=BOUNDARY_COLOR, linewidth=1.0, zorder=6 if show == "homes" else 3.5
    )
    network = getattr(analysis, "network", None)
    streets = _street_lines(network)
    if streets is not None and streets.crs is not None and streets.crs != crs:
        streets = streets.to_crs(crs)
    fac = _same_crs(analysis.facilities, crs)
    fac = fac[fac["category"] == category]
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    if areas:
        edges = _edges_from(network)
        if edges is not None and len(fac):
            sa = service_areas(
                network,
                fac,
                minutes=bands,
                speed_m_per_min=speed,
                buffer_m=buffer_m,
                homes=homes if dcol in homes.columns else None,
                distance_column=dcol,
            )
            sa = _same_crs(sa, crs)
            method = None
        else:
            sa = _homes_service_areas(
                homes, dcol if dcol in homes.columns else tcol, [b * speed for b in bands], buffer_m
            )
            method = "homes"
        shades = sample_colors("Greens", len(bands), 0.12, 0.42)  # largest band lightest
        for (_, row), shade in zip(sa.iterrows(), shades, strict=False):
            if row.geometry is not None and not row.geometry.is_empty:
                gpd.GeoSeries([row.geometry], crs=sa.crs).plot(
                    ax=ax, facecolor=shade, edgecolor="#74c476", linewidth=0.5, zorder=2
                )
        for b, shade in zip(sorted(bands, reverse=True), shades, strict=False):
            handles.append(
                Patch(
                    facecolor=shade,
                    edgecolor="#74c476",
                    label=f"{text('service_area', lang)} ≤ {b:g} {text('minutes', lang)}",
                )
            )
        if method == "homes":
            handles[-1].set_label(handles[-1].get_label() + "*")
    if streets is not None and show == "homes":
        streets.plot(ax=ax, color="#9e9e9e", linewidth=0.5, zorder=3)
    if show == "streets":
        edges = _edges_from(network)
        if edges is None:
            raise InputError("show='streets' needs the walking network", source="network")
        mid = _street_midpoint_distances(edges, fac)
        cls = _time_class(mid / speed, bands)
        colored = [colors[c] if c >= 0 else UNREACHABLE_COLOR for c in cls]
        gpd.GeoSeries(edges.geometry, crs=edges.crs).to_crs(crs).plot(
            ax=ax, color=colored, linewidth=1.4, zorder=4
        )
        for c, lab in zip(colors, labels, strict=True):
            handles.append(Line2D([], [], color=c, linewidth=2.5, label=lab))
        handles.append(
            Line2D([], [], color=UNREACHABLE_COLOR, linewidth=2.5, label=text("unreachable", lang))
        )
    else:
        cls = _time_class(t, bands)
        hh = (
            pd.to_numeric(homes.get("households", pd.Series(1, index=homes.index)), errors="coerce")
            .fillna(1)
            .to_numpy(dtype="float64")
        )
        sizes = np.clip(4 + 2.2 * np.sqrt(hh), 4, 40)
        xs, ys = homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
        for c in (-1, *range(len(bands) + 1)):
            sel = cls == c
            if not sel.any():
                continue
            if c >= 0:
                ax.scatter(
                    xs[sel],
                    ys[sel],
                    s=sizes[sel],
                    c=colors[c],
                    edgecolors="#333333",
                    linewidths=0.25,
                    marker="o",
                    zorder=5 + c,
                )
            else:
                ax.scatter(
                    xs[sel],
                    ys[sel],
                    s=sizes[sel],
                    c=UNREACHABLE_COLOR,
                    marker="x",
                    linewidths=0.9,
                    zorder=5,
                )
        for c, lab in zip(colors, labels, strict=True):
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    markersize=6,
                    markerfacecolor=c,
                    markeredgecolor="#333333",
                    label=lab,
                )
            )
        if (cls == -1).any():
            bound = None
            if profile is not None and hasattr(profile, "max_threshold_m"):
                bound = profile.max_threshold_m(group)
            nan_label = text("unreachable", lang)
            if bound is not None:
                nan_label = (
                    f"> {bound:g} 米或不可达" if lang == "zh" else f"> {bound:g} m or unreachable"
                )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="x",
                    markersize=6,
                    color=UNREACHABLE_COLOR,
                    label=nan_label,
                )
            )
    if len(fac):
        pts = fac.geometry.representative_point()
        ax.scatter(
            pts.x,
            pts.y,
            s=140,
            marker="*",
            c="#08306b",
            edgecolors="white",
            linewidths=0.8,
            zorder=12,
        )
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="*",
                markersize=12,
                markerfacecolor="#08306b",
                markeredgecolor="white",
                label=category_label(category, lang),
            )
        )
    _pad_extent(ax, bounds)
    threshold = None
    if profile is not None and category in getattr(profile, "requirements", {}):
        threshold = profile.threshold_m(category, group)
    head = text("homes", lang) if show == "homes" else ("街道" if lang == "zh" else "Streets")
    legend_title = f"{head}: " + label(tcol, lang) + f" ({text('minutes', lang)})"
    if threshold is not None:
        legend_title += "\n" + (
            f"标准：步行 {threshold:g} 米内"
            if lang == "zh"
            else f"Standard: within {threshold:g} m"
        )
    ax.legend(
        handles=handles,
        title=_wrap(legend_title, 24 if lang == "zh" else 40),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        alignment="left",
    )
    add_scale_bar(ax, lang=lang)
    add_north_arrow(ax, lang=lang)
    note = _profile_note(profile, lang)
    if areas and "method" in locals() and method == "homes":
        note = (note + "  ·  " if note else "") + (
            "*服务范围按住户点近似" if lang == "zh" else "*service areas approximated from homes"
        )
    _add_attribution(ax, note, uses_osm(analysis) if osm is None else osm)
    default_title = (
        f"{category_label(category, lang)}步行时间"
        if lang == "zh"
        else f"Walking time to {category_label(category, lang)}"
    )
    subtitle = None
    if profile is not None:
        subtitle = (
            f"{profile.name_zh}；步行速度 {speed:g} 米/分钟"
            if lang == "zh"
            else f"{profile.name_en}; walking speed {speed:g} m/min"
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
    )
    return ax


# --------------------------------------------------------------------------- map sets


def worst_category(analysis: Any) -> str | None:
    """The required category with the lowest share of households within reach.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object whose
        ``communities`` table has ``households`` and ``hh_covered__<category>``
        columns.

    Returns
    -------
    str or None
        The category key (the alphabetically first on a tie), or None when there
        are no ``hh_covered__`` columns or no households.

    Examples
    --------
    >>> import types, pandas as pd
    >>> c = pd.DataFrame({"households": [10, 30], "hh_covered__pharmacy": [10, 30],
    ...                   "hh_covered__kindergarten": [0, 15]})
    >>> worst_category(types.SimpleNamespace(communities=c))
    'kindergarten'
    """
    comm = analysis.communities
    total = float(pd.to_numeric(comm["households"], errors="coerce").sum())
    shares = {
        c.removeprefix("hh_covered__"): float(comm[c].sum()) / total
        for c in comm.columns
        if c.startswith("hh_covered__") and total > 0
    }
    if not shares:
        return None
    return min(sorted(shares), key=lambda k: shares[k])


def _standard_maps(analysis: Any) -> list[tuple[str, dict[str, Any]]]:
    comm = analysis.communities
    out: list[tuple[str, dict[str, Any]]] = [
        ("coverage_all", {"kind": "communities", "column": "share_covered_all"}),
        ("underserved_households", {"kind": "communities", "column": "hh_underserved"}),
    ]
    if "area_per_100hh" in comm.columns and comm["area_per_100hh"].notna().any():
        out.append(
            (
                "area_per_100hh",
                {"kind": "communities", "column": "area_per_100hh", "facilities": True},
            )
        )
    cat = worst_category(analysis)
    if cat is not None:
        out.append((f"walk_time_{cat}", {"kind": "walk", "category": cat}))
    return out


def _draw(
    analysis: Any,
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
    return plot_communities(
        analysis, spec.pop("column"), lang=lang, path=path, dpi=dpi, osm=osm, **spec
    )


def write_maps(
    analysis: Any,
    folder: str | os.PathLike,
    *,
    lang: str = "zh",
    formats: Sequence[str] = ("png",),
    dpi: int = 200,
    osm: bool | None = None,
    progress: bool = False,
) -> list[Path]:
    """Write the standard district maps into ``folder``.

    The maps: share of households reaching every required facility,
    underserved households, floor area per 100 households against the standard
    (when the profile has one, with the community facilities), and walking time
    to the category with the lowest coverage.

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
    >>> from coverage15.sample import sample_analysis
    >>> with offscreen():
    ...     files = write_maps(sample_analysis(), tempfile.mkdtemp(), lang="en", dpi=60)
    >>> [p.name for p in files]  # doctest: +ELLIPSIS
    ['map_coverage_all.png', 'map_underserved_households.png', ...]
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
    analysis: Any, path: str | os.PathLike, *, lang: str = "zh", osm: bool | None = None
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
    >>> from coverage15.sample import sample_analysis
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
