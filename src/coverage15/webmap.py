"""An interactive map as ONE self-contained HTML file that works without internet.

:func:`write_webmap` writes a Leaflet map with the communities coloured by one
or more indicators (switch between them in the layer control), the facilities
by category, and the underserved homes; clicking a community opens a popup
with its indicators, in Chinese or English.

Everything the page needs is inside the file: Leaflet 1.9.4 (vendored from the
npm registry under ``coverage15/_vendor/leaflet``, BSD-2-Clause) is inlined
with its images as ``data:`` URIs, the data is embedded as GeoJSON, and the
page's Content-Security-Policy forbids loading anything from elsewhere. No web
tiles are used by default (a plain background); ``tiles=`` adds a tile layer
for online use, and only then may the page fetch from that tile server.

Examples
--------
>>> import tempfile, pathlib, types
>>> import geopandas as gpd, pandas as pd, shapely
>>> comm = gpd.GeoDataFrame(
...     {"community_id": ["A"], "name": ["嘉州社区"], "households": [100],
...      "share_covered_all": [0.8], "hh_underserved": [20]},
...     geometry=[shapely.box(680000, 3270000, 680500, 3270500)], crs="EPSG:32648")
>>> a = types.SimpleNamespace(communities=comm, facilities=None, homes=None, profile=None)
>>> page = webmap_html(a, columns=["share_covered_all"])
>>> "嘉州社区" in page, "<script src" in page
(True, False)
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage15._errors import InputError
from coverage15.labels import (
    ATTRIBUTION,
    category_label,
    is_share,
    label,
    text,
    unit,
    value_label,
)

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

__all__ = ["DEFAULT_COLUMNS", "leaflet_assets", "webmap_html", "write_webmap"]

# the share underserved (not the count, which maps community size), the share reaching
# every required category, the area against its standard (only with a standard)
DEFAULT_COLUMNS = ("share_underserved", "share_covered_all", "area_per_100hh")
LEAFLET_VERSION = "1.9.4"


@cache
def leaflet_assets() -> tuple[str, str]:
    """The vendored Leaflet JavaScript and CSS, ready to inline.

    The source-map comment is dropped and the CSS image URLs are replaced by
    ``data:`` URIs, so nothing refers to another file.

    Examples
    --------
    >>> js, css = leaflet_assets()
    >>> "sourceMappingURL" in js, "url(images/" in css, len(js) > 100_000
    (False, False, True)
    """
    base = resources.files("coverage15").joinpath("_vendor", "leaflet")
    js = base.joinpath("leaflet.js").read_text("utf-8")
    js = re.sub(r"//# sourceMappingURL=\S*\s*$", "", js)
    css = base.joinpath("leaflet.css").read_text("utf-8")

    def data_uri(match: re.Match[str]) -> str:
        name = match.group(1)
        png = base.joinpath("images", name).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)  # comments (they hold bug-tracker URLs)
    # inline <script>/<style> must not contain their closing tags
    js = js.replace("</script", "<\\/script")
    css = css.replace("</style", "<\\/style")
    return js, css


def _json(obj: Any) -> str:
    """JSON safe to embed in an inline <script>."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        s.replace("</", "<\\/")
        .replace("<!--", "<\\!--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _fmt(column: str, v: Any, lang: str) -> str:
    if v is None or (not isinstance(v, str | bool) and pd.isna(v)):
        return "—"
    if isinstance(v, bool | np.bool_):
        return str(value_label(column, bool(v), lang))
    if isinstance(v, str) or column.endswith("_id"):  # codes stay as they are
        return str(value_label(column, v, lang))
    if is_share(column) or column in _MAP_SHARES:
        f = _num(v)
        return "—" if f is None else f"{f * 100:.1f}%"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    f = _num(v)
    if f is not None:
        return f"{f:,.0f}" if float(f).is_integer() else f"{f:,.1f}"
    return str(value_label(column, v, lang))


def _with_unit(column: str, v: Any, lang: str) -> str:
    s = _fmt(column, v, lang)
    u = unit(column, lang)
    if s == "—" or not u or u == "%" or u in ("户", "households"):
        return s
    return f"{s} {u}"


_MAP_SHARES = ("share_underserved",)
_POPUP_COLUMNS = (
    "community_id",
    "kind",
    "households",
    "population",
    "share_covered_all",
    "hh_covered_all",
    "hh_underserved",
    "hh_off_network",
    "lacking",
    "area_per_100hh",
    "area_target_per_100hh",
    "area_pass",
    "accessible_area_per_100hh",
)


def _popup(row: pd.Series, columns: Sequence[str], lang: str) -> str:
    name = row.get("name")
    head = (
        html.escape(str(name))
        if isinstance(name, str) and name
        else html.escape(str(row.get("community_id", "")))
    )
    rows = []
    for c in columns:
        if c not in row.index or c == "lacking":
            continue
        rows.append(
            f"<tr><th>{html.escape(label(c, lang))}</th>"
            f"<td>{html.escape(_with_unit(c, row[c], lang))}</td></tr>"
        )
    shares = [c for c in row.index if c.startswith("share__")]
    cats = []
    for c in shares:
        v = _num(row[c])
        css = "" if v is None else (' class="ok"' if v >= 0.999 else ' class="low"')
        cats.append(
            f"<tr{css}><th>{html.escape(category_label(c.removeprefix('share__'), lang))}</th>"
            f"<td>{html.escape(_fmt(c, row[c], lang))}</td></tr>"
        )
    lack = ""
    if "lacking" in columns and isinstance(row.get("lacking"), str) and row["lacking"]:
        lack = (
            f'<div class="sub">{html.escape(label("lacking", lang))}</div>'
            f'<div class="lack">{html.escape(str(value_label("lacking", row["lacking"], lang)))}'
            "</div>"
        )
    sub = ""
    if cats:
        caption = (
            "各类设施步行可达户数比例" if lang == "zh" else "Households within reach, by facility"
        )
        sub = f'<div class="sub">{caption}</div><table>{"".join(cats)}</table>'
    return f'<div class="popup"><h3>{head}</h3><table>{"".join(rows)}</table>{lack}{sub}</div>'


def _geometry_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    geo = gdf.geometry
    if gdf.crs is not None:
        geo = geo.to_crs(4326)
    return gpd.GeoSeries(
        shapely.set_precision(geo.to_numpy(), 1e-6, mode="pointwise"), index=geo.index
    )


def _community_layer(
    comm: gpd.GeoDataFrame, columns: Sequence[str], lang: str, schemes: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from coverage15.styles import NO_DATA_COLOR, classify

    geoms = _geometry_wgs84(comm)
    fills: dict[str, list[str]] = {}
    legends = []
    for col in columns:
        values = pd.to_numeric(comm[col], errors="coerce")
        scheme, centre = schemes.get(col, ("auto", None))
        cl = classify(values, scheme=scheme, standard=centre, column=col)
        fills[col] = cl.color_of()
        from coverage15.maps import column_label

        u = "%" if col in _MAP_SHARES else unit(col, lang)
        name = column_label(col, lang)
        title = name + (f" ({u})" if u and u.lower() not in name.lower() else "")
        items = [[cl.colors[i], cl.labels[i]] for i in (cl.shown or range(cl.k))]
        if values.isna().any():
            items.append([NO_DATA_COLOR, text("no_data", lang)])
        note = ""
        if cl.centre is not None:
            note = (
                f"标准 {cl.centre:g} {u}：红色低于，蓝色达到"
                if lang == "zh"
                else f"Standard {cl.centre:g} {u}: red below, blue meets"
            )
        esc = html.escape
        legends.append(
            {
                "column": col,
                "title": esc(title),
                "items": [[c, esc(t)] for c, t in items],
                "note": esc(note),
            }
        )
    popup_cols = [c for c in _POPUP_COLUMNS if c in comm.columns]
    features = []
    for i, (idx, row) in enumerate(comm.iterrows()):
        g = geoms.loc[idx]
        if g is None or g.is_empty:
            continue
        name = row.get("name")
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(g)),
                "properties": {
                    # Leaflet tooltips are HTML: escape
                    "name": html.escape(
                        str(name) if isinstance(name, str) else str(row.get("community_id"))
                    ),
                    "popup": _popup(row, popup_cols, lang),
                    "fill": {col: fills[col][i] for col in columns},
                    "value": {col: html.escape(_fmt(col, row[col], lang)) for col in columns},
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}, legends


def _points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geo = _geometry_wgs84(gdf)
    pts = geo.representative_point()
    return np.column_stack([pts.y.round(6), pts.x.round(6)])


def _facility_layer(
    fac: gpd.GeoDataFrame, lang: str, shown: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    from coverage15.styles import category_styles

    fac = fac[fac.geometry.notna() & ~fac.geometry.is_empty]
    if not len(fac):
        return []
    styles = category_styles(fac["category"].dropna().astype(str))
    latlon = _points(fac)
    groups: dict[str, dict[str, Any]] = {}
    for (lat, lon), (_, row) in zip(latlon, fac.iterrows(), strict=True):
        key = row.get("category")
        if not isinstance(key, str) or key not in styles:
            continue
        g = groups.setdefault(
            key,
            {
                "key": key,
                "label": html.escape(category_label(key, lang)),
                "color": styles[key][0],
                "on": shown is None or key in shown,
                "points": [],
            },
        )
        name = row.get("name")
        parts = [
            f"<h3>{html.escape(str(name) if isinstance(name, str) else '')}</h3>",
            f"<div>{html.escape(category_label(key, lang))}</div>",
        ]
        area = _num(row.get("floor_area_m2"))
        if area is not None:
            parts.append(f"<div>{html.escape(label('floor_area_m2', lang))}: {area:,.0f} m²</div>")
        g["points"].append(
            [float(lat), float(lon), '<div class="popup">' + "".join(parts) + "</div>"]
        )
    order = list(styles)
    return [groups[k] for k in order if k in groups]


def _home_layer(homes: gpd.GeoDataFrame, which: str, lang: str, limit: int) -> list[list[Any]]:
    if which == "none" or homes is None or "status" not in homes.columns:
        return []
    sel = homes if which == "all" else homes[homes["status"] == "underserved"]
    sel = sel[sel.geometry.notna() & ~sel.geometry.is_empty]
    if len(sel) > limit:
        sel = (
            sel.sort_values("households", ascending=False).head(limit)
            if ("households" in sel.columns)
            else sel.head(limit)
        )
    if not len(sel):
        return []
    latlon = _points(sel)
    out = []
    from coverage15.styles import REACH_COLORS, SITING_COLORS

    # colour-blind safe: blue covered, orange underserved, light grey off the network
    colors = {
        "covered": REACH_COLORS["within"],
        "underserved": SITING_COLORS["still"],
        "off_network": REACH_COLORS["off_network"],
    }
    for (lat, lon), (_, row) in zip(latlon, sel.iterrows(), strict=True):
        lines = [f"<h3>{html.escape(str(value_label('status', row['status'], lang)))}</h3>"]
        for c in ("households", "completeness", "missing"):
            if c in row.index:
                lines.append(
                    f"<div>{html.escape(label(c, lang))}: "
                    f"{html.escape(_fmt(c, row[c], lang))}</div>"
                )
        out.append(
            [
                float(lat),
                float(lon),
                colors.get(row["status"], SITING_COLORS["still"]),
                '<div class="popup">' + "".join(lines) + "</div>",
            ]
        )
    return out


def _rounded_lines(geoms: np.ndarray, crs: Any, tolerance_m: float, digits: int) -> list[Any]:
    """Lines as nested [lat, lon] lists in WGS84: simplified in metres, rounded, deduplicated."""
    arr = np.asarray(geoms, dtype=object)
    arr = arr[~shapely.is_missing(arr)]
    if not len(arr):
        return []
    # a two-way street is two directed edges: keep one
    arr = shapely.from_wkb(np.unique(shapely.to_wkb(shapely.normalize(arr))))
    arr = shapely.simplify(arr, tolerance_m, preserve_topology=False)
    wgs = gpd.GeoSeries(arr, crs=crs).to_crs(4326) if crs is not None else gpd.GeoSeries(arr)
    out = []
    for g in wgs:
        for part in shapely.get_parts(g):
            xy = np.round(shapely.get_coordinates(part), digits)
            keep = np.ones(len(xy), dtype=bool)
            keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
            xy = xy[keep]
            if len(xy) >= 2:
                out.append(xy[:, ::-1].tolist())
    return out


def _street_layer(analysis: AnalysisLike, tolerance_m: float, digits: int) -> list[Any]:
    from coverage15.maps import street_lines

    streets = street_lines(getattr(analysis, "network", None))
    if streets is None or not len(streets):
        return []
    return _rounded_lines(streets.to_numpy(), streets.crs, tolerance_m, digits)


def _polygon_rings(geom: Any, crs: Any, tolerance_m: float, digits: int) -> list[Any]:
    """A (multi)polygon as Leaflet [[ring, hole…], …] of [lat, lon], simplified and rounded."""
    if geom is None or geom.is_empty:
        return []
    g = shapely.simplify(geom, tolerance_m, preserve_topology=True)
    if crs is not None:
        g = gpd.GeoSeries([g], crs=crs).to_crs(4326).iloc[0]
    out = []
    for poly in shapely.get_parts(g):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords)[:, ::-1], digits).tolist() for r in rings])
    return out


def _walk_layers(
    analysis: AnalysisLike, lang: str, max_homes: int, digits: int, tolerance_m: float, areas: bool
) -> tuple[list[float], list[dict[str, Any]], list[dict[str, Any]]]:
    """Home points once, one class string per category, and service areas per category."""
    from coverage15.maps import (
        categories_with_facilities,
        category_threshold,
        reach_classes,
        service_areas,
    )
    from coverage15.styles import NEAR_FACTOR, REACH_CLASSES

    homes = getattr(analysis, "homes", None)
    profile = getattr(analysis, "profile", None)
    if homes is None or profile is None or not len(homes):
        return [], [], []
    group = getattr(analysis, "group", "general")
    cats = [c for c in profile.categories if f"dist_m__{c}" in homes.columns]
    cats = categories_with_facilities(analysis, cats)
    if not cats:
        return [], [], []
    sel = homes[homes.geometry.notna() & ~homes.geometry.is_empty]
    if len(sel) > max_homes:
        sel = (
            sel.sort_values("households", ascending=False).head(max_homes)
            if "households" in sel.columns
            else sel.head(max_homes)
        )
    latlon = np.round(_points(sel), digits)
    xy = latlon.ravel().tolist()
    walk, service = [], []
    speed = profile.speed(group)
    network = getattr(analysis, "network", None)
    fac = analysis.facilities
    for cat in cats:
        t = category_threshold(profile, cat, group, None)
        cls = reach_classes(sel, cat, threshold_m=t, facilities=fac)
        codes = "".join(str(REACH_CLASSES.index(c)) for c in cls)
        name = category_label(cat, lang)
        std = f"（{t:,.0f} 米）" if lang == "zh" else f" ({t:,.0f} m)"
        walk.append(
            {
                "key": cat,
                "label": html.escape(name + std),
                "classes": codes,
                "standard": t,
                "near": NEAR_FACTOR * t,
                "statuses": bool(cls.attrs["statuses"]),
            }
        )
        if areas and network is not None:
            f = fac[fac["category"] == cat]
            sa = service_areas(network, f, minutes=[t / speed], speed_m_per_min=speed)
            rings = _polygon_rings(sa.geometry.iloc[0], sa.crs, tolerance_m, digits)
            if rings:
                service.append({"key": cat, "label": html.escape(name + std), "rings": rings})
    return xy, walk, service


def _walk_legend(lang: str, statuses: bool = True) -> dict[str, Any]:
    from coverage15.styles import REACH_CLASSES, REACH_COLORS

    zh = lang == "zh"
    names = (
        {
            "within": "标准内",
            "near": "超出标准，1.5 倍内",
            "beyond": "超出 1.5 倍" if statuses else "超出 1.5 倍或无路径",
            "no_path": "无路径（所在路网片区无该设施）",
            "off_network": "未接入路网",
        }
        if zh
        else {
            "within": "Within the standard",
            "near": "Beyond it, up to 1.5×",
            "beyond": "Beyond 1.5×" if statuses else "Beyond 1.5× or no path",
            "no_path": "No path (none in the home's network piece)",
            "off_network": "Off the network",
        }
    )
    return {
        "title": html.escape(
            "住户点步行距离（按各类设施标准）" if zh else "Homes: walk against each standard"
        ),
        "items": [[REACH_COLORS[c], html.escape(names[c])] for c in REACH_CLASSES],
        "colors": [REACH_COLORS[c] for c in REACH_CLASSES],
        "popups": [html.escape(names[c]) for c in REACH_CLASSES],
    }


_CSS = """
html, body { margin: 0; height: 100%; font-family: "Noto Sans CJK SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; }
body { display: flex; flex-direction: column; }
#header { padding: 8px 14px; border-bottom: 1px solid #ccc; background: #fff; }
#header h1 { font-size: 18px; margin: 0; }
#header p { font-size: 12px; margin: 2px 0 0; color: #555; }
#map { flex: 1; background: #eef0f2; }
.legend { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  font-size: 12px; line-height: 18px; box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 260px; }
.legend .t { font-weight: bold; margin-bottom: 3px; }
.legend i { display: inline-block; width: 16px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #555; }
.legend .n { color: #444; font-size: 11px; margin-top: 3px; }
.popup h3 { margin: 0 0 4px; font-size: 14px; }
.popup table { border-collapse: collapse; font-size: 12px; }
.popup th { text-align: left; font-weight: normal; color: #444; padding: 1px 8px 1px 0; }
.popup td { text-align: right; padding: 1px 0; }
.popup tr.low td { color: #b2182b; }
.popup .sub { margin-top: 6px; font-weight: bold; font-size: 12px; }
.popup .lack { font-size: 12px; color: #b2182b; max-width: 340px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  border: 1px solid #222; margin-right: 4px; vertical-align: middle; }
.legend .w { margin-top: 6px; border-top: 1px solid #ccc; padding-top: 4px; }
.legend .w i { border-radius: 50%; }
.leaflet-control-layers-list { max-height: 60vh; overflow-y: auto; }
.leaflet-control-layers-overlays .g { font-weight: bold; margin: 4px 0 1px; color: #333; }
"""

_JS = """
(function () {
  var D = window.COVERAGE15;
  var map = L.map('map', {zoomSnap: 0.25});
  map.attributionControl.setPrefix('Leaflet');
  if (D.tiles) {
    L.tileLayer(D.tiles.url, {attribution: D.tiles.attribution, maxZoom: 19}).addTo(map);
  }
  if (D.attribution) { map.attributionControl.addAttribution(D.attribution); }
  // communities in their own pane under the markers, whichever indicator is switched on
  map.createPane('communities');
  map.getPane('communities').style.zIndex = 350;
  map.createPane('areas');
  map.getPane('areas').style.zIndex = 355;
  map.createPane('streets');
  map.getPane('streets').style.zIndex = 360;
  map.getPane('streets').style.pointerEvents = 'none';
  map.createPane('walk');
  map.getPane('walk').style.zIndex = 450;
  map.createPane('facilities');
  map.getPane('facilities').style.zIndex = 460;
  var bases = {}, overlays = {}, first = null, byName = {}, layers = {}, walkOn = 0;
  D.legends.forEach(function (lg) {
    var layer = L.geoJSON(D.communities, {
      pane: 'communities',
      style: function (f) {
        return {color: '#333', weight: 1, fillColor: f.properties.fill[lg.column],
                fillOpacity: 0.78};
      },
      onEachFeature: function (f, l) {
        l.bindPopup(f.properties.popup, {maxWidth: 380});
        l.bindTooltip(f.properties.name + ': ' + f.properties.value[lg.column], {sticky: true});
      }
    });
    layer.coverage15Legend = lg;
    bases[lg.title] = layer;
    byName[lg.title] = layer;
    if (!first) { first = layer; }
  });
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () {
    this._div = L.DomUtil.create('div', 'legend');
    return this._div;
  };
  legend.show = function (lg) {
    if (lg) { this._lg = lg; }
    lg = this._lg;
    var h = '';
    if (lg) {
      h += '<div class="t">' + lg.title + '</div>';
      lg.items.forEach(function (it) {
        h += '<div><i style="background:' + it[0] + '"></i>' + it[1] + '</div>';
      });
      if (lg.note) { h += '<div class="n">' + lg.note + '</div>'; }
    }
    if (walkOn > 0) {
      h += '<div class="w"><div class="t">' + D.walkLegend.title + '</div>';
      D.walkLegend.items.forEach(function (it) {
        h += '<div><i style="background:' + it[0] + '"></i>' + it[1] + '</div>';
      });
      h += '</div>';
    }
    this._div.innerHTML = h;
  };
  legend.addTo(map);
  if (first) { first.addTo(map); legend.show(first.coverage15Legend); }
  map.on('baselayerchange', function (e) {
    if (e.layer.coverage15Legend) { legend.show(e.layer.coverage15Legend); }
  });
  if (D.streets.length) {
    var streets = L.polyline(D.streets, {pane: 'streets', color: '#8c8c8c', weight: 1,
      opacity: 0.9, interactive: false, className: 'c15-street'});
    streets.addTo(map);
    overlays['<span class="g">' + D.labels.streets + '</span>'] = streets;
    layers.streets = streets;
  }
  D.service.forEach(function (a) {
    var area = L.polygon(a.rings, {pane: 'areas', color: '#4393c3', weight: 1,
      fillColor: '#d1e5f0', fillOpacity: 0.5, interactive: false, className: 'c15-area'});
    overlays[D.labels.area + a.label] = area;
    layers['area:' + a.key] = area;
  });
  var canvas = L.canvas({padding: 0.3, pane: 'walk'}), homesLayer = null;
  // community colours fade under walking classes so the home points stay legible
  function fade() {
    Object.keys(bases).forEach(function (k) {
      bases[k].setStyle({fillOpacity: walkOn > 0 ? 0.25 : 0.78});
    });
  }
  D.walk.forEach(function (w) {
    var group = L.layerGroup();
    group.coverage15Walk = true;
    group.on('remove', function () { walkOn -= 1; legend.show(); fade(); });
    group.on('add', function () {
      walkOn += 1;
      legend.show();
      fade();
      // the walk classes replace the underserved homes drawn at the same places
      if (homesLayer && map.hasLayer(homesLayer)) { map.removeLayer(homesLayer); }
      if (group.getLayers().length) { return; }
      for (var i = 0; i < w.classes.length; i++) {
        var c = +w.classes.charAt(i);
        L.circleMarker([D.homeXY[2 * i], D.homeXY[2 * i + 1]], {renderer: canvas, radius: 3.5,
          color: '#1a1a1a', weight: 0.5, fillColor: D.walkLegend.colors[c], fillOpacity: 0.95}
        ).bindTooltip(D.walkLegend.popups[c]).addTo(group);
      }
    });
    overlays[D.labels.walk + w.label] = group;
    layers['walk:' + w.key] = group;
  });
  D.facilities.forEach(function (g) {
    var group = L.featureGroup(g.points.map(function (p) {
      return L.circleMarker([p[0], p[1]], {radius: 7, color: '#111', weight: 2.5,
        fillColor: g.color, fillOpacity: 1, pane: 'facilities', className: 'c15-facility'}
      ).bindPopup(p[2]);
    }));
    if (g.on) { group.addTo(map); }
    overlays['<span class="swatch" style="background:' + g.color + '"></span>' + g.label] = group;
  });
  if (D.homes.length) {
    var homes = L.featureGroup(D.homes.map(function (p) {
      return L.circleMarker([p[0], p[1]], {radius: 3.5, color: '#3b0a0a', weight: 0.8,
        fillColor: p[2], fillOpacity: 0.9, className: 'c15-home'}).bindPopup(p[3]);
    }));
    homes.addTo(map);
    homesLayer = homes;
    overlays[D.homesLabel] = homes;
  }
  L.control.layers(bases, overlays, {collapsed: D.collapsed}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  if (first && first.getLayers().length) {
    map.fitBounds(first.getBounds(), {padding: [12, 12]});
  } else {
    map.setView([30.0, 104.0], 12);
  }
  window.coverage15Layers = layers;
  window.coverage15Map = map;
})();
"""


def _csp(tiles: str | None) -> str:
    img = "data:"
    if tiles:
        host = re.match(r"https?://[^/]+", tiles)
        if host:  # {s} subdomains become a wildcard
            img += " " + re.sub(r"\{[a-z]\}", "*", host.group(0))
    return (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        f"img-src {img}; font-src 'none'; connect-src 'none'"
    )


def webmap_html(
    analysis: AnalysisLike,
    *,
    columns: Sequence[str] | str | None = None,
    lang: str = "zh",
    homes: str = "underserved",
    max_homes: int = 20_000,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    osm: bool | None = None,
    title: str | None = None,
    streets: bool = True,
    walk: bool = True,
    areas: bool = True,
    precision: int = 5,
    simplify_m: float = 2.0,
) -> str:
    """The interactive map as an HTML string (see :func:`write_webmap`).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object with its
        ``communities`` (``facilities``, ``homes``, ``profile`` and ``network``
        are used when present).
    columns
        Community indicators to colour by, switchable in the layer control: one
        column name or several (default: ``share_underserved`` — ``hh_underserved
        / households``, derived here —, ``share_covered_all`` and, when the
        profile has an area standard, ``area_per_100hh``, diverging around it,
        red below).
    lang
        ``"zh"`` (default) or ``"en"`` for labels, legends and popups.
    homes
        Home points to show: ``"underserved"`` (default), ``"all"`` or ``"none"``.
    max_homes
        At most this many home points (those with most households first);
        default 20 000.
    tiles
        Optional tile URL template for online use, e.g.
        ``"https://tile.openstreetmap.org/{z}/{x}/{y}.png"``. None (default): the
        page loads nothing from the internet.
    tiles_attribution
        Attribution text of the tiles.
    osm
        Show "© OpenStreetMap contributors (ODbL)" (default: when the analysis has
        a ``network``, :func:`coverage15.maps.uses_osm`).
    title
        Page heading (default: "15分钟生活圈设施覆盖", in English "15-minute living
        circle coverage").
    streets
        Add the walking network as a layer (on by default; from the analysis's
        network, embedded, no tiles).
    walk
        Add one layer per facility category (those with facilities) with the
        homes classed against that category's standard (within; up to 1.5×;
        beyond; no path; off network — :func:`coverage15.maps.reach_classes`),
        off until switched on.
    areas
        Add each category's walking service area at its standard
        (:func:`coverage15.maps.service_areas`), off until switched on.
    precision
        Decimal places of the embedded longitudes/latitudes (5 ≈ 1 m).
    simplify_m
        Streets and service areas are simplified to this tolerance in metres.

    Returns
    -------
    str
        A complete HTML document with Leaflet and the data inlined.

    Raises
    ------
    ValueError
        An unknown ``lang`` or ``homes``.
    KeyError
        A column of ``columns`` the communities lack.

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> page = webmap_html(sample_analysis(), lang="en")
    >>> page.startswith("<!DOCTYPE html>"), "https://unpkg" in page  # Leaflet is inlined
    (True, False)
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if homes not in ("underserved", "all", "none"):
        raise ValueError(f"homes must be 'underserved', 'all' or 'none', got {homes!r}")
    from coverage15.maps import class_centre
    from coverage15.styles import AREA_COLUMNS

    profile = getattr(analysis, "profile", None)
    comm = analysis.communities
    if {"hh_underserved", "households"} <= set(comm.columns):
        comm = comm.copy()
        hh = pd.to_numeric(comm["households"], errors="coerce")
        comm["share_underserved"] = pd.to_numeric(comm["hh_underserved"], errors="coerce") / (
            hh.where(hh > 0)
        )
    if isinstance(columns, str):
        columns = [columns]
    if columns is None:
        columns = [
            c
            for c in DEFAULT_COLUMNS
            if c in comm.columns
            and comm[c].notna().any()
            and (c not in AREA_COLUMNS or class_centre(comm, c, None, profile) is not None)
        ]
    missing = [c for c in columns if c not in comm.columns]
    if missing:
        raise InputError(
            f"communities have no column(s) {missing}", source="communities", column=missing[0]
        )
    schemes: dict[str, Any] = {}
    for c in columns:
        centre = class_centre(comm, c, None, profile) if c in AREA_COLUMNS else None
        schemes[c] = ("standard", centre) if centre is not None else ("auto", None)
    communities, legends = _community_layer(comm, columns, lang, schemes)
    fac = getattr(analysis, "facilities", None)
    required = getattr(profile, "required_categories", None)
    facilities = _facility_layer(fac, lang, required) if fac is not None and len(fac) else []
    home_gdf = getattr(analysis, "homes", None)
    home_points = _home_layer(home_gdf, homes, lang, max_homes) if home_gdf is not None else []
    street_lines = _street_layer(analysis, simplify_m, precision) if streets else []
    home_xy, walk_layers, service = (
        _walk_layers(analysis, lang, max_homes, precision, simplify_m, areas)
        if walk or areas
        else ([], [], [])
    )
    if not walk:
        walk_layers, home_xy = [], []
    if osm is None:
        from coverage15.maps import uses_osm

        osm = hasattr(analysis, "network") and uses_osm(analysis)
    attribution_parts = []
    if osm:
        attribution_parts.append(ATTRIBUTION)
    data = {
        "communities": communities,
        "legends": legends,
        "facilities": facilities,
        "homes": home_points,
        "homesLabel": html.escape(
            text("underserved_homes" if homes == "underserved" else "homes", lang)
        ),
        "attribution": " | ".join(attribution_parts),
        "tiles": {"url": tiles, "attribution": tiles_attribution or ""} if tiles else None,
        "collapsed": len(facilities) + len(walk_layers) + len(service) > 8,
        "streets": street_lines,
        "homeXY": home_xy,
        "walk": walk_layers,
        "service": service,
        "walkLegend": _walk_legend(lang, all(w["statuses"] for w in walk_layers)),
        "labels": {
            "streets": html.escape("步行路网" if lang == "zh" else "Walking network"),
            "walk": html.escape("步行距离：" if lang == "zh" else "Walk: "),
            "area": html.escape("服务范围：" if lang == "zh" else "Service area: "),
        },
    }
    if profile is not None:
        sub = profile.name_zh if lang == "zh" else profile.name_en
    else:
        sub = ""
    heading = title or (
        "15分钟生活圈设施覆盖" if lang == "zh" else "15-minute living circle coverage"
    )
    note = (
        "点击社区查看指标；右上角切换指标和图层。本文件离线可用。"
        if lang == "zh"
        else "Click a community for its indicators; switch indicators and layers top right. "
        "Works offline."
    )
    js, css = leaflet_assets()
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(_csp(tiles))}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="coverage15">',
        f"<title>{html.escape(heading)}</title>",
        f"<style>{css}</style>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f'<div id="header"><h1>{html.escape(heading)}</h1>'
        f"<p>{html.escape(sub)}{' · ' if sub else ''}{html.escape(note)}</p></div>",
        '<div id="map"></div>',
        f"<script>/* Leaflet {LEAFLET_VERSION}, BSD-2-Clause, (c) Volodymyr Agafonkin, "
        f"CloudMade */\n{js}</script>",
        f"<script>window.COVERAGE15 = {_json(data)};</script>",
        f"<script>{_JS}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts)


def write_webmap(
    analysis: AnalysisLike,
    path: str | os.PathLike,
    *,
    columns: Sequence[str] | str | None = None,
    lang: str = "zh",
    homes: str = "underserved",
    max_homes: int = 20_000,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    osm: bool | None = None,
    title: str | None = None,
    streets: bool = True,
    walk: bool = True,
    areas: bool = True,
) -> Path:
    """Write the interactive map as one self-contained, offline HTML file.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`.
    path
        The ``.html`` file (written atomically).
    columns
        Community indicators to colour by, switchable in the layer control
        (default: ``share_underserved``, ``share_covered_all`` and, with an area
        standard, ``area_per_100hh`` — diverging around it, red below).
    lang
        ``"zh"`` or ``"en"`` for labels, legends and popups.
    homes
        Home points to show: ``"underserved"`` (default), ``"all"`` or ``"none"``.
        Facilities of the profile's required categories are shown; the others
        are listed in the layer control, switched off.
    max_homes
        At most this many home points (those with most households first).
    tiles
        Optional tile URL template for online use, e.g.
        ``"https://tile.openstreetmap.org/{z}/{x}/{y}.png"``. Off by default:
        the page then loads nothing from the internet.
    tiles_attribution
        Attribution text of the tiles.
    osm
        Show "© OpenStreetMap contributors (ODbL)" (default: for an Analysis,
        see :func:`coverage15.maps.uses_osm`).
    title
        Page heading.
    streets, walk, areas
        Layers of the walking network, of the homes classed against each
        category's standard, and of each category's service area (see
        :func:`webmap_html`).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, types
    >>> import geopandas as gpd, shapely
    >>> comm = gpd.GeoDataFrame({"community_id": ["A"], "name": ["A"], "households": [5],
    ...                          "share_covered_all": [1.0]},
    ...                         geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:32648")
    >>> a = types.SimpleNamespace(communities=comm, facilities=None, homes=None)
    >>> p = write_webmap(a, pathlib.Path(tempfile.mkdtemp()) / "map.html", lang="en")
    >>> p.stat().st_size > 100_000
    True
    """
    from coverage15._files import atomic_path
    from coverage15.export import input_paths

    page = webmap_html(
        analysis,
        columns=columns,
        lang=lang,
        homes=homes,
        max_homes=max_homes,
        tiles=tiles,
        tiles_attribution=tiles_attribution,
        osm=osm,
        title=title,
        streets=streets,
        walk=walk,
        areas=areas,
    )
    path = Path(path)
    with atomic_path(path, protect=input_paths(analysis)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
