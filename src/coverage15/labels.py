"""Chinese and English labels of result columns, categories, tiers and values.

Every map, report and table header coverage15 writes takes its wording from
here, so a column is called the same thing everywhere. Result tables keep
their stable English column names (for GIS and scripts); these labels are only
for people.

Columns with a suffix (``share__kindergarten``, ``time_min__pharmacy``,
``hh_met__15min``) are labelled from their prefix and the category or tier.

Examples
--------
>>> label("share_covered_all", "zh"), label("share_covered_all", "en")
('全部设施覆盖户数比例', 'Share of households reaching all facilities')
>>> label("share__kindergarten", "zh"), label("time_min__pharmacy", "en")
('幼儿园覆盖户数比例', 'Walking time to Pharmacy')
>>> unit("area_per_100hh", "zh"), unit("share__kindergarten", "en")
('m²/百户', '%')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from coverage15.standards import category_catalogue

if TYPE_CHECKING:
    from coverage15._types import AnalysisLike

Lang = Literal["zh", "en"]

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
"""Attribution required wherever the walking network (or facilities) come from OSM."""

# column -> (Chinese, English)
COLUMNS: dict[str, tuple[str, str]] = {
    # communities
    "community_id": ("社区编号", "Community ID"),
    "name": ("名称", "Name"),
    "households": ("户数", "Households"),
    "population": ("人口", "Population"),
    "kind": ("类型", "Type"),
    "hh_covered_all": ("全部设施覆盖户数", "Households reaching all facilities"),
    "share_covered_all": ("全部设施覆盖户数比例", "Share of households reaching all facilities"),
    "hh_underserved": ("服务不足户数", "Underserved households"),
    "hh_off_network": ("未接入路网户数", "Households off the walking network"),
    "lacking": ("缺少的设施（户数）", "Missing facilities (households)"),
    "community_facility_m2": ("社区综合服务设施面积", "Community service facility floor area"),
    "area_per_100hh": ("每百户社区综合服务设施面积", "Community facility area per 100 households"),
    "area_target_per_100hh": ("每百户面积标准", "Area standard per 100 households"),
    "area_pass": ("面积达标", "Area standard met"),
    "has_community_facility": ("有社区综合服务设施", "Has a community service facility"),
    "accessible_area_per_100hh": (
        "步行可达每百户设施面积",
        "Walkable facility area per 100 households",
    ),
    # homes
    "home_id": ("住户点编号", "Home ID"),
    "n_required": ("应配设施类数", "Required categories"),
    "n_covered": ("已覆盖设施类数", "Categories covered"),
    "completeness": ("设施完备度", "Completeness"),
    "missing": ("缺少的设施", "Missing facilities"),
    "status": ("覆盖状态", "Status"),
    "snapped": ("已接入步行路网", "On the walking network"),
    "accessible_m2_per_hh": ("步行可达每户设施面积", "Walkable facility area per household"),
    # facilities
    "facility_id": ("设施编号", "Facility ID"),
    "category": ("设施类别", "Category"),
    "floor_area_m2": ("建筑面积", "Floor area"),
    # district table
    "indicator": ("指标", "Indicator"),
    "value": ("数值", "Value"),
    "target": ("目标", "Target"),
    "passed": ("是否达标", "Passed"),
    "unit": ("单位", "Unit"),
    "source": ("依据", "Source"),
    "confidence": ("可信度", "Confidence"),
    # validation report
    "action": ("处理", "Action"),
    "column": ("字段", "Column"),
    "n": ("记录数", "Records"),
    "rows": ("记录", "Rows"),
    "detail": ("说明", "Detail"),
    # walking maps
    "minutes": ("步行时间", "Walking time"),
    "geometry": ("几何", "Geometry"),
}

# prefix -> (Chinese template, English template); {cat} / {tier} is filled in
PREFIXES: dict[str, tuple[str, str]] = {
    "share__": ("{cat}覆盖户数比例", "Share of households reaching {cat}"),
    "hh_covered__": ("{cat}覆盖户数", "Households reaching {cat}"),
    "dist_m__": ("至{cat}步行距离", "Walking distance to {cat}"),
    "time_min__": ("至{cat}步行时间", "Walking time to {cat}"),
    "facility__": ("最近的{cat}", "Nearest {cat}"),
    "covered__": ("{cat}已覆盖", "{cat} covered"),
    "max_area__": ("最大{cat}面积", "Largest {cat} floor area"),
    "area_ok__": ("{cat}面积达标", "{cat} floor area met"),
    "hh_met__": ("{tier}达标户数", "Households meeting the {tier}"),
    "met__": ("{tier}达标", "{tier} met"),
    "share_households_met__": ("{tier}达标户数比例", "Share of households meeting the {tier}"),
}

TIERS: dict[str, tuple[str, str]] = {
    "block": ("居住街坊", "residential block"),
    "5min": ("5分钟生活圈", "5-minute circle"),
    "10min": ("10分钟生活圈", "10-minute circle"),
    "15min": ("15分钟生活圈", "15-minute circle"),
}

# district indicators (``Analysis.district["indicator"]``)
INDICATORS: dict[str, tuple[str, str]] = {
    "households": ("总户数", "Households"),
    "share_households_covered_all": (
        "全部设施步行可达的户数比例",
        "Share of households reaching all required facilities",
    ),
    "coverage_urban": (
        "城市社区综合服务设施覆盖率",
        "Urban communities with a community service facility",
    ),
    "coverage_rural": (
        "农村社区综合服务设施覆盖率",
        "Rural communities with a community service facility",
    ),
    "share_communities_area_pass": (
        "用房面积达标社区比例",
        "Communities meeting the floor-area standard",
    ),
    "area_per_100hh": (
        "每百户社区综合服务设施面积",
        "Community facility area per 100 households",
    ),
}

# units of columns; share-like columns are shown in per cent
_UNITS: dict[str, tuple[str, str]] = {
    "households": ("户", "households"),
    "population": ("人", "people"),
    "hh_covered_all": ("户", "households"),
    "hh_underserved": ("户", "households"),
    "hh_off_network": ("户", "households"),
    "community_facility_m2": ("m²", "m²"),
    "area_per_100hh": ("m²/百户", "m²/100 hh"),
    "area_target_per_100hh": ("m²/百户", "m²/100 hh"),
    "accessible_area_per_100hh": ("m²/百户", "m²/100 hh"),
    "accessible_m2_per_hh": ("m²/户", "m²/hh"),
    "floor_area_m2": ("m²", "m²"),
    "completeness": ("%", "%"),
    "share_covered_all": ("%", "%"),
    "minutes": ("分钟", "min"),
}
_PREFIX_UNITS: dict[str, tuple[str, str]] = {
    "share__": ("%", "%"),
    "share_households_met__": ("%", "%"),
    "hh_covered__": ("户", "households"),
    "hh_met__": ("户", "households"),
    "dist_m__": ("米", "m"),
    "time_min__": ("分钟", "min"),
    "max_area__": ("m²", "m²"),
}
# units of ``Analysis.district["unit"]``
_DISTRICT_UNITS: dict[str, tuple[str, str]] = {
    "households": ("户", "households"),
    "share of households": ("%", "%"),
    "share of urban communities": ("%", "%"),
    "share of rural communities": ("%", "%"),
    "share of communities": ("%", "%"),
    "m² per 100 households": ("m²/百户", "m²/100 hh"),
    "m²/100 households": ("m²/百户", "m²/100 hh"),
    "m² per resident": ("m²/人", "m²/resident"),
    "m²": ("m²", "m²"),
    "m": ("米", "m"),
    "min": ("分钟", "min"),
    "communities": ("个", "communities"),
    "%": ("%", "%"),
    "share": ("%", "%"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "home_source": {
        "building": ("住宅建筑", "building"),
        "street": ("步行道路", "street"),
        "input": ("输入住户点", "input"),
        "centroid": ("社区中心点", "centroid"),
    },
    "area_source": {
        "input": ("输入", "input"),
        "footprint": ("占地面积", "footprint"),
        "missing": ("缺失", "missing"),
    },
    "kind": {"urban": ("城市", "urban"), "rural": ("农村", "rural")},
    "status": {
        "covered": ("全部覆盖", "covered"),
        "underserved": ("服务不足", "underserved"),
        "off_network": ("未接入路网", "off network"),
    },
}

# the honest badge: where a target value comes from, never "confirmed" for a recalled one
CONFIDENCE: dict[str, tuple[str, str]] = {
    "C1": ("官方原文", "official text"),
    "C2": ("二手来源", "secondary source"),
    "R": ("未核实", "unverified"),
    "": ("计算值", "computed"),
}

_TEXT: dict[str, tuple[str, str]] = {
    "no_data": ("无数据", "No data"),
    "unreachable": ("不可达", "unreachable"),
    "standard": ("标准", "Standard"),
    "below": ("低于标准", "below standard"),
    "above": ("达到标准", "meets standard"),
    "facilities": ("服务设施", "Facilities"),
    "communities": ("社区", "Communities"),
    "underserved_homes": ("服务不足的住户点", "Underserved homes"),
    "homes": ("住户点", "Homes"),
    "service_area": ("步行服务范围", "Walking service area"),
    "north": ("北", "N"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "minutes": ("分钟", "min"),
}


# sentences and headings of the report, the summary and the demo (``{name}`` fields are
# filled by :func:`text`); one place for every translation a planner reads
_TEXT.update(
    {
        # --- report: headings
        "report_title": ("15分钟生活圈设施覆盖评估报告", "15-minute living circle coverage report"),
        "toc": ("目录", "Contents"),
        "sec_abstract": ("摘要", "Summary"),
        "sec_targets": ("指标达标表", "Targets and results"),
        "sec_categories": ("各类设施步行可达情况", "Walking access by facility category"),
        "sec_maps": ("专题地图", "Maps"),
        "sec_worst": ("覆盖最差的社区", "Communities with the lowest coverage"),
        "sec_siting": ("设施选址建议", "Suggested facility sites"),
        "sec_method": ("方法与数据来源", "Method and data sources"),
        "sec_repairs": ("输入数据修复记录", "Input data repairs"),
        "district": ("评估范围", "District"),
        "profile": ("评估标准", "Standard profile"),
        "date": ("日期", "Date"),
        "group": ("步行人群", "Walking group"),
        "speed": ("步行速度", "Walking speed"),
        "made_with": ("由 coverage15 {version} 生成", "made with coverage15 {version}"),
        "page": ("第 {n} 页", "Page {n}"),
        "figure": ("图{n}", "Figure {n}"),
        "group_general": ("一般人群", "general population"),
        "group_slow": ("老人与儿童（慢速）", "elderly and children (slow)"),
        "district_default": ("{n}个社区", "{n} communities"),
        # --- report: table headings
        "col_indicator": ("指标", "Indicator"),
        "col_target": ("目标", "Target"),
        "col_value": ("现状值", "Value"),
        "col_met": ("结论", "Result"),
        "col_source": ("依据", "Source"),
        "col_confidence": ("可信度", "Confidence"),
        "col_category": ("设施类别", "Category"),
        "col_tier": ("层级", "Tier"),
        "col_threshold": ("步行距离标准", "Walking standard"),
        "col_hh_covered": ("可达户数", "Households within reach"),
        "col_share": ("可达户数比例", "Share of households"),
        "col_community": ("社区", "Community"),
        "col_households": ("户数", "Households"),
        "col_full": ("全部设施可达比例", "Reaching all facilities"),
        "col_underserved": ("服务不足户数", "Underserved households"),
        "col_lacking": ("主要缺项（户数）", "Largest gaps (households)"),
        "col_file": ("文件", "File"),
        "col_problem": ("问题", "Problem"),
        "col_action": ("处理", "Action"),
        "col_records": ("记录数", "Records"),
        "col_column": ("字段", "Column"),
        "col_rows": ("记录（前十条）", "Records (first ten)"),
        "col_detail": ("说明", "Detail"),
        "no_target": ("—", "—"),
        "met_unknown": ("无法判断", "not assessable"),
        "target_unverified": ("（目标未核实）", " (target unverified)"),
        "computed": ("计算", "computed"),
        "metres": ("米", "m"),
        # --- report: sentences
        "confidence_note": (
            "可信度：C1 官方原文 = 已与标准或规划原文核对；C2 二手来源 = 来自引述原文的二手资料；"
            "R 未核实 = 凭记忆录入、尚未核对，作为正式结论前请对照原文确认。",
            "Confidence: C1 official text = checked against the standard or plan itself; "
            "C2 secondary source = from a source quoting it; R unverified = recalled and not "
            "yet checked; check against the printed text before using it as a formal finding.",
        ),
        "abs_overview": (
            "本次评估范围为{district}，共{n}个社区、{hh}户，依据《{profile}》检查{k}项指标："
            "{met}项达标，{failed}项未达标{rest}。",
            "The assessment covers {district}: {n} communities with {hh} households, checked "
            "against {k} targets of \u201c{profile}\u201d: {met} met, {failed} not met{rest}.",
        ),
        "abs_overview_all": (
            "本次评估共{n}个社区、{hh}户，依据《{profile}》检查{k}项指标：{met}项达标，"
            "{failed}项未达标{rest}。",
            "The assessment covers {n} communities with {hh} households, checked against {k} "
            "targets of \u201c{profile}\u201d: {met} met, {failed} not met{rest}.",
        ),
        "analysis_stage": ("分析过程", "analysis"),
        "abs_rest": ("，{u}项无法判断", ", {u} not assessable"),
        "abs_fail": (
            "差距最大的是{items}。",
            "The largest shortfalls: {items}.",
        ),
        "abs_fail_item": (
            "{label}（现状{value}，目标{target}，差{gap}）",
            "{label} ({value} against a target of {target}, short by {gap})",
        ),
        "abs_all_met": (
            "全部有目标的指标均已达标。",
            "Every indicator with a target is met.",
        ),
        "abs_categories": (
            "按类别看，步行可达比例最低的是{low}（{low_share}），最高的是{high}（{high_share}）。",
            "By category, the lowest share of households within walking distance is for "
            "{low} ({low_share}), the highest for {high} ({high_share}).",
        ),
        "abs_worst": (
            "服务不足最集中的社区是{names}，主要缺少{cats}。",
            "Underserved households concentrate in {names}, mainly lacking {cats}.",
        ),
        "contrast": (
            "“{a}”为{va}，而“{b}”为{vb}：前者{basis_a}，后者{basis_b}，两者统计口径不同，"
            "并不矛盾。",
            "\u201c{a}\u201d is {va} while \u201c{b}\u201d is {vb}: the first {basis_a}, the "
            "second {basis_b}; they measure different things and do not contradict each other.",
        ),
        "basis_community_facility": (
            "只看社区内有没有社区综合服务设施，不看步行距离",
            "counts communities that have a community service facility, whatever the walk",
        ),
        "basis_community": ("按社区统计", "counts communities"),
        "basis_household_walk": (
            "按户统计在标准步行距离内能否到达全部应配设施",
            "counts households that reach every required facility within its walking standard",
        ),
        "basis_household": ("按户统计", "counts households"),
        "basis_area": (
            "是用房面积与户数之比",
            "is floor area per 100 households",
        ),
        "no_findings": (
            "输入数据未发现需要修复、剔除或标记的记录。",
            "No records of the inputs were repaired, dropped or flagged.",
        ),
        "method_network": (
            "步行网络：{source}（{kind}），数据日期 {date}；共{nodes}个节点、{edges}条路段。",
            "Walking network: {source} ({kind}), data of {date}; {nodes} nodes, {edges} edges.",
        ),
        "method_network_unknown": (
            "步行网络：调用方直接提供的已准备路网，来源未记录。",
            "Walking network: a prepared network passed in by the caller; source not recorded.",
        ),
        "net_kind_osm": ("OSM 格式文件", "OSM-format file"),
        "net_kind_lines": ("道路中心线图层", "road centre-line layer"),
        "net_kind_download": ("OpenStreetMap 在线下载", "OpenStreetMap download"),
        "net_kind_other": ("其他来源", "other source"),
        "date_unknown": ("未记录", "not recorded"),
        "method_odbl": (
            "路网数据来自 OpenStreetMap，依 ODbL 许可使用：© OpenStreetMap contributors。",
            "Network data from OpenStreetMap under the ODbL: © OpenStreetMap contributors.",
        ),
        "method_walk": (
            "步行距离沿实际步行路网计算，含住户点、设施至最近道路的垂直距离；步行速度"
            "{speed}米/分钟（{group}）。",
            "Walking distances follow the walking network, including each home's and "
            "facility's leg to the nearest street; walking speed {speed} m/min ({group}).",
        ),
        "method_tiers": (
            "各层级累计达标：15分钟生活圈需同时满足10分钟、5分钟生活圈及居住街坊的要求"
            "（GB 50180-2018 条文说明 5.0.2）。",
            "Tiers are cumulative: the 15-minute circle also requires every 10-minute, "
            "5-minute and block facility (GB 50180-2018, explanation of 5.0.2).",
        ),
        "method_homes": (
            "住户点：{buildings}户按住宅建筑面积分配到建筑，{streets}户沿社区内步行道路均匀分布。",
            "Homes: {buildings} households spread over residential buildings by floor area, "
            "{streets} along the community's walkable streets.",
        ),
        "method_inputs": ("输入文件：{files}。", "Input files: {files}."),
        "method_profile": (
            "评估标准：{profile}；来源：{source}。",
            "Standard: {profile}; source: {source}.",
        ),
        "no_maps": ("未绘制地图。", "No maps were drawn."),
        "maps_in_english": (
            "本机没有中文字体，地图标注为英文（安装 fonts-noto-cjk 后重新生成即可）。",
            "",
        ),
        "pp": ("{v}个百分点", "{v} percentage points"),
        "list_sep": ("、", ", "),
        "item_sep": ("；", "; "),
        "method_homes_input": (
            "住户点：采用规划方提供的{n}户住户点。",
            "Homes: the planner's own home points ({n} households).",
        ),
        "siting_sentence": (
            "{cat}：新增{k}处设施（标准步行距离{threshold}米），步行可达户数比例可由{before}"
            "提高到{after}。",
            "{cat}: {k} new site(s) (walking standard {threshold} m) would raise the share of "
            "households within reach from {before} to {after}.",
        ),
        "col_rank": ("序号", "Rank"),
        "col_new_hh": ("新增覆盖户数", "Newly covered households"),
        "col_cum_share": ("累计覆盖比例", "Cumulative share"),
        "col_lon": ("经度", "Longitude"),
        "col_lat": ("纬度", "Latitude"),
        # --- summary (Analysis.summary)
        "summary_profile": ("标准", "Profile"),
        "summary_target": ("目标", "target"),
        "summary_fail": ("未达标", "FAIL"),
        "summary_households": (
            "共{n}个社区、{hh}户；全部必配设施均在步行标准内的户数比例：{share}",
            "{n} communities, {hh} households; households reaching every required facility "
            "within its walking standard: {share}",
        ),
        # --- demo
        "demo_header": (
            "coverage15 演示 — 样例区县 {path}",
            "coverage15 demo — sample district {path}",
        ),
        "demo_no_font": (
            "注意：本机没有中文字体，地图将以英文标注（报告和表格仍为中文）。"
            "安装方法：make sysdeps，或 apt-get install fonts-noto-cjk（Debian/Ubuntu）、"
            "dnf install google-noto-sans-cjk-fonts（Fedora），然后重新运行。",
            "",
        ),
        "demo_communities": (
            "社区 {n} 个（城市 {urban}，农村 {rural}），户数 {hh}，人口 {pop}",
            "communities: {n} (urban {urban}, rural {rural}), households {hh}, population {pop}",
        ),
        "demo_buildings": ("住宅建筑 {n} 栋", "residential buildings: {n}"),
        "demo_facilities": ("服务设施 {n} 处", "facilities: {n}"),
        "demo_network": (
            "步行网络：{nodes}个节点，{edges}条路段，道路{km}公里，{components}个连通片，"
            "坐标系 {crs}",
            "walking network: {nodes} nodes, {edges} edges, {km} km of streets, "
            "{components} component(s), CRS {crs}",
        ),
        "demo_by_category": (
            "各类设施步行可达(户)",
            "Households within walking distance, by category",
        ),
        "demo_worst": ("覆盖最差的社区", "Worst communities"),
        "demo_wrote": ("已写出 {n} 个文件到 {out}/：", "wrote {n} file(s) to {out}/:"),
        "demo_done": ("完成，用时 {s} 秒", "done in {s} s"),
        "summary_missing_categories": (
            "注意：以下规定设施在本区没有任何一处，所有住户均不可达：{categories}",
            "WARNING: no facility at all of these required categories, so no household reaches "
            "them: {categories}",
        ),
        "summary_dropped_households": (
            "注意：读取数据时丢弃的记录含 {households} 户，未计入以上指标（见数据修复表）",
            "WARNING: records dropped on load held {households} households, left out of "
            "every figure above (see repairs.csv)",
        ),
        "demo_pdf_skipped": (
            "未生成 report.pdf：本机没有 {reason}（apt-get install chromium 后重新运行）",
            "report.pdf not written: no {reason} here (apt-get install chromium, then rerun)",
        ),
        "col_distance_m": ("距离(米)", "distance m"),
        "col_category_short": ("类别", "category"),
        "col_hh": ("覆盖户数", "households"),
        "col_ratio": ("比例", "share"),
        "col_area_100": ("每百户面积", "m²/100 hh"),
        "col_full_short": ("全覆盖", "fully covered"),
        "col_under_short": ("未覆盖户数", "underserved"),
        "col_gaps_short": ("主要缺项(户)", "largest gaps (households)"),
        # --- exports
        "share_header": ("{label}（0–1，显示为%）", "{label} (fraction 0–1)"),
        "dict_field": ("字段名", "Field"),
        "dict_label": ("中文名称", "Label"),
        "dict_unit": ("单位", "Unit"),
        "dict_layer": ("图层/表", "Layer / table"),
        "dict_sheet": ("数据字典", "Data dictionary"),
        "dict_note": ("说明", "Note"),
        "dict_share_note": (
            "比例以0–1的小数存储，表格中以百分比格式显示",
            "stored as a fraction 0–1, shown as a percentage",
        ),
        "dict_code_note": ("编码按文本存储", "stored as text"),
    }
)

# the repair/drop report's problems and actions (ValidationReport kinds)
FINDINGS: dict[str, tuple[str, str]] = {
    "admin_members_missing": (
        "行政边界缺少成员线段",
        "administrative boundary missing member ways",
    ),
    "admin_ring_closed_along_clip_edge": (
        "行政边界沿裁剪边缘闭合",
        "administrative boundary closed along the clip edge",
    ),
    "admin_ring_side_uncertain": (
        "行政边界闭合方向不确定",
        "administrative boundary: side uncertain",
    ),
    "assigned_in_overlap": (
        "设施位于社区重叠区，归入其所在最深的社区",
        "facility in overlapping communities, given to the one it lies deepest inside",
    ),
    "beyond_walking_reach": ("超出步行范围", "beyond walking reach"),
    "building_in_overlap": (
        "建筑位于社区重叠区，归入重叠最多的社区",
        "building in overlapping communities, assigned to the largest overlap",
    ),
    "building_outside_communities": ("建筑不在任何社区内", "building outside every community"),
    "category_without_facilities": (
        "必配设施类别没有任何设施",
        "required category without any facility",
    ),
    "coordinate_offset": ("坐标疑似偏移（火星坐标）", "coordinates look offset (GCJ-02/BD-09)"),
    "crs_assumed": ("坐标系缺失，按默认处理", "CRS missing, assumed"),
    "crs_converted": ("坐标系已转换", "CRS converted"),
    "crs_ignored": ("忽略声明的坐标系", "declared CRS ignored"),
    "duplicate_id": ("编号重复", "duplicate id"),
    "empty_geometry": ("几何为空", "empty geometry"),
    "encoding": ("文件编码", "file encoding"),
    "facility_beyond_snap_tolerance": (
        "设施距步行道路过远，未接入路网",
        "facility beyond the snapping tolerance",
    ),
    "facility_linked_off_island": (
        "设施由路网孤岛改接主路网",
        "facility linked off a network island",
    ),
    "facility_on_island": (
        "设施位于路网孤岛",
        "facility on a network island",
    ),
    "field_names_cut": ("字段名被截断", "field names cut"),
    "floor_area_estimated_from_levels": (
        "建筑面积按占地面积×层数估算",
        "floor area estimated from footprint × storeys",
    ),
    "floor_area_from_footprint": ("建筑面积取自占地面积", "floor area from the footprint"),
    "fractional_households": ("户数为小数", "fractional households"),
    "home_linked_off_island": (
        "住户点由路网孤岛改接主路网",
        "home linked off a network island",
    ),
    "home_no_facility_in_piece": (
        "住户点所在路网片区内无该类设施",
        "no facility of the category on the home's piece of the network",
    ),
    "home_off_network": (
        "住户点未接入步行路网",
        "home off the walking network",
    ),
    "home_on_island": (
        "住户点位于路网孤岛",
        "home on a network island",
    ),
    "home_outside_communities": ("住户点不在任何社区内", "home outside every community"),
    "homes_off_network": ("住户点未接入步行路网", "homes off the walking network"),
    "homes_without_buildings": ("社区内无住宅建筑", "community without residential buildings"),
    "households_exceed_population": ("户数多于人口", "more households than residents"),
    "households_look_like_codes": ("户数疑似行政区划代码", "households look like codes"),
    "id_generated": ("编号缺失，已自动生成", "ids generated"),
    "implausible_density": ("户数密度不合理", "implausible household density"),
    "implausible_households_per_building": (
        "建筑户数不合理（户均建筑面积过小）",
        "implausible households per building",
    ),
    "invalid_geometry": ("几何无效", "invalid geometry"),
    "invalid_geometry_unrepairable": ("几何无效且无法修复", "invalid geometry, unrepairable"),
    "kind_inferred": ("社区类型由名称推断", "community type inferred"),
    "missing_category": ("缺少设施类别", "missing category"),
    "missing_coordinates": ("缺少坐标", "missing coordinates"),
    "missing_floor_area": ("缺少建筑面积", "missing floor area"),
    "missing_id": ("缺少编号", "missing id"),
    "missing_levels": ("缺少层数", "missing storeys"),
    "multipoint_to_point": ("多点转为单点", "multipoint to point"),
    "negative_households": ("户数为负", "negative households"),
    "non_residential": ("非住宅建筑", "non-residential building"),
    "open_space_area_from_polygon": (
        "室外活动场地面积取自图形面积",
        "open-space area from the polygon",
    ),
    "osm_duplicate_node_in_area": (
        "OSM设施点与同类设施面重复",
        "OSM node duplicating an area of the same category",
    ),
    "osm_feature_not_placed": ("OSM要素无法定位", "OSM feature could not be placed"),
    "osm_poi_unmatched": ("OSM要素未匹配任何设施类别", "OSM features matching no category"),
    "outside_communities": ("不在任何社区内", "outside every community"),
    "overlapping_communities": ("社区边界相互重叠", "overlapping communities"),
    "polygon_to_point": ("面转为代表点", "polygon to point"),
    "snap_cache": ("接入缓存", "snap cache"),
    "unknown_category": ("未知设施类别", "unknown category"),
    "unreadable_wkt": ("几何文本无法读取", "unreadable WKT"),
    "wrong_geometry_type": ("几何类型不符", "wrong geometry type"),
    "zero_households": ("户数为零", "zero households"),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "repaired": ("已修复", "repaired"),
    "dropped": ("已剔除", "dropped"),
    "flagged": ("已标记", "flagged"),
    "info": ("说明", "note"),
}
# map file stems (map_<name>.png) -> captions
MAP_TITLES: dict[str, tuple[str, str]] = {
    "coverage_all": (
        "全部设施步行可达户数比例",
        "Share of households reaching all required facilities",
    ),
    "underserved_households": ("服务不足户数", "Underserved households"),
    "underserved_share": ("服务不足户数比例", "Share of underserved households"),
    "missing_categories": ("各住户点缺少的设施类数", "Missing categories per home"),
    "area_per_100hh": (
        "每百户社区综合服务设施面积与标准",
        "Community facility area per 100 households vs the standard",
    ),
    "walk_time": ("至{cat}的步行距离", "Walking distance to {cat}"),
    "coverage_by_category": ("各类设施覆盖户数比例", "Share of households reached, by category"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def text(key: str, lang: Lang | str = "zh", **fields: object) -> str:
    """A word, heading or sentence (legend entries, report text, demo lines) in ``lang``.

    Parameters
    ----------
    key
        The text's key (``"no_data"``, ``"yes"``, ``"sec_targets"``, ``"demo_wrote"`` …).
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.
    **fields
        Values of the ``{name}`` fields of the text, if it has any.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        ``key`` is not a known text.

    Examples
    --------
    >>> text("no_data", "zh"), text("no_data", "en")
    ('无数据', 'No data')
    >>> text("demo_wrote", "en", n=3, out="output")
    'wrote 3 file(s) to output/:'
    """
    template = _pick(_TEXT[key], lang)
    return template.format(**fields) if fields else template


def category_label(key: str, lang: Lang | str = "zh") -> str:
    """Name of a facility category (from ``categories.toml``); unknown keys are returned as is.

    Parameters
    ----------
    key
        A category key, e.g. ``"elderly_daycare"``.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        The Chinese or English name; ``key`` itself when the catalogue lacks it.

    Examples
    --------
    >>> category_label("elderly_daycare", "zh"), category_label("elderly_daycare", "en")
    ('老年人日间照料中心', 'Elderly day-care centre')
    """
    cat = category_catalogue().get(key)
    if cat is None:
        return key
    return cat.name_zh if lang == "zh" else cat.name_en


def tier_label(key: str, lang: Lang | str = "zh") -> str:
    """Name of a walking tier (``block``, ``5min``, ``10min``, ``15min``).

    Parameters
    ----------
    key
        A tier key.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        E.g. 15分钟生活圈 / "15-minute circle"; ``key`` itself when unknown.

    Examples
    --------
    >>> tier_label("15min", "zh"), tier_label("5min", "en")
    ('15分钟生活圈', '5-minute circle')
    """
    pair = TIERS.get(key)
    return _pick(pair, lang) if pair else key


def _split(column: str, prefixes: Iterable[str]) -> tuple[str, str] | None:
    for p in sorted(prefixes, key=len, reverse=True):
        if column.startswith(p):
            return p, column[len(p) :]
    return None


def label(column: str, lang: Lang | str = "zh") -> str:
    """Human label of a result column in ``lang``; unknown columns are returned as is.

    Parameters
    ----------
    column
        A column of a result table (``Analysis.homes``, ``.communities`` …);
        columns with a category or tier suffix (``share__kindergarten``,
        ``hh_met__15min``) are labelled from their prefix.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> label("hh_underserved", "zh")
    '服务不足户数'
    >>> label("hh_met__10min", "en")
    'Households meeting the 10-minute circle'
    >>> label("my_own_column", "zh")
    'my_own_column'
    """
    if column in COLUMNS:
        return _pick(COLUMNS[column], lang)
    hit = _split(column, PREFIXES)
    if hit is None:
        return column
    prefix, rest = hit
    template = _pick(PREFIXES[prefix], lang)
    if "{tier}" in template:
        return template.format(tier=tier_label(rest, lang))
    return template.format(cat=category_label(rest, lang))


def unit(column: str, lang: Lang | str = "zh") -> str:
    """Unit of a result column in ``lang`` ("" when it has none).

    Parameters
    ----------
    column
        A result column, as for :func:`label`.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        E.g. ``"户"`` / ``"households"``, ``"m"``, ``"%"`` for shares, or ``""``.

    Examples
    --------
    >>> unit("hh_underserved", "zh"), unit("dist_m__kindergarten", "en"), unit("name")
    ('户', 'm', '')
    """
    if column in _UNITS:
        return _pick(_UNITS[column], lang)
    hit = _split(column, _PREFIX_UNITS)
    return _pick(_PREFIX_UNITS[hit[0]], lang) if hit else ""


def is_share(column: str) -> bool:
    """True for 0–1 columns shown in per cent.

    Parameters
    ----------
    column
        A stable column name of a result table, e.g. ``"share__pharmacy"``.

    Returns
    -------
    bool
        Whether the column holds a share (a fraction 0–1) that tables and maps
        show as a percentage (its unit, :func:`unit`, is ``"%"``).

    Examples
    --------
    >>> is_share("share__pharmacy"), is_share("hh_underserved")
    (True, False)
    """
    return unit(column, "en") == "%"


def indicator_label(key: str, lang: Lang | str = "zh") -> str:
    """Label of a district indicator (``Analysis.district["indicator"]``).

    Parameters
    ----------
    key
        An indicator key, e.g. ``"coverage_urban"`` or
        ``"share_households_met__15min"``.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> indicator_label("coverage_urban", "zh")
    '城市社区综合服务设施覆盖率'
    >>> indicator_label("share_households_met__15min", "en")
    'Share of households meeting the 15-minute circle'
    """
    if key in INDICATORS:
        return _pick(INDICATORS[key], lang)
    return label(key, lang)


def district_unit(text_unit: str, lang: Lang | str = "zh") -> str:
    """The unit of a district row in ``lang`` (``"share of households"`` → ``"%"``).

    Parameters
    ----------
    text_unit
        The row's ``unit`` (English text, as in ``Analysis.district``).
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        ``"%"`` for shares; the unit in ``lang`` when known; else ``text_unit``.

    Examples
    --------
    >>> district_unit("m² per 100 households", "zh")
    'm²/百户'
    """
    pair = _DISTRICT_UNITS.get(text_unit)
    if pair:
        return _pick(pair, lang)
    return "%" if str(text_unit).startswith("share") else str(text_unit)


def confidence_label(code: str | None, lang: Lang | str = "zh") -> str:
    """Readable confidence of a standard value; ``R`` is always "unverified".

    Parameters
    ----------
    code
        ``"C1"`` (official text), ``"C2"`` (secondary source), ``"R"``
        (recalled, unverified), or empty / None.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str
        The readable confidence; an unknown code is returned as is, None as ``""``.

    Examples
    --------
    >>> confidence_label("R", "zh"), confidence_label("C1", "en")
    ('未核实', 'official text')
    """
    code = "" if code is None or (isinstance(code, float) and pd.isna(code)) else str(code)
    pair = CONFIDENCE.get(code)
    return _pick(pair, lang) if pair else code


def value_label(column: str, value: object, lang: Lang | str = "zh") -> object:
    """A cell value in ``lang``: kinds, statuses, booleans and category-key lists.

    ``missing`` ("kindergarten,pharmacy") and ``lacking`` ("kindergarten: 620;
    …") are turned into category names; other values are returned unchanged.

    Parameters
    ----------
    column
        The column the value is in (``kind``, ``status``, ``missing``,
        ``lacking`` or a boolean column).
    value
        The cell value; missing values are returned unchanged.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    object
        The translated value, or ``value`` unchanged.

    Examples
    --------
    >>> value_label("status", "underserved", "zh")
    '服务不足'
    >>> value_label("lacking", "kindergarten: 620; pharmacy: 12", "zh")
    '幼儿园: 620; 药店: 12'
    >>> value_label("missing", "kindergarten,pharmacy", "en")
    'Kindergarten, Pharmacy'
    """
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
        return value
    if column in VALUES and value in VALUES[column]:
        return _pick(VALUES[column][value], lang)
    if isinstance(value, bool):
        return text("yes" if value else "no", lang)
    if column == "missing" and isinstance(value, str):
        keys = [k for k in value.split(",") if k]
        return ("、" if lang == "zh" else ", ").join(category_label(k, lang) for k in keys)
    if column == "lacking" and isinstance(value, str):
        parts = []
        for part in value.split(";"):
            key, _, n = part.strip().partition(":")
            if key:
                parts.append(f"{category_label(key.strip(), lang)}:{n}" if n else key)
        return "; ".join(parts)
    return value


def targets_frame(analysis: AnalysisLike) -> pd.DataFrame:
    """The targets table of an analysis (``Analysis.targets``), in its documented columns.

    An analysis without a (non-empty) ``targets`` table gets one from its
    ``district`` table: each row becomes a target (``key`` = indicator, labels
    from :func:`coverage15.labels.indicator_label`, ``met`` = passed).

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`, or any object with a
        ``targets`` or a ``district`` table.

    Returns
    -------
    pandas.DataFrame
        Columns ``key, label_zh, label_en, target, value, unit, met,
        confidence, source, reason, note``; ``met`` holds True, False or
        ``pd.NA`` (no target, or not assessable).

    Examples
    --------
    >>> import types
    >>> d = pd.DataFrame({"indicator": ["coverage_urban"], "value": [0.8], "target": [1.0],
    ...     "passed": [False], "unit": ["share of urban communities"],
    ...     "source": ["民政部"], "confidence": ["R"]})
    >>> t = targets_frame(types.SimpleNamespace(district=d))
    >>> t["key"].tolist(), t["label_zh"].tolist(), t["met"].tolist()
    (['coverage_urban'], ['城市社区综合服务设施覆盖率'], [False])
    """
    from coverage15.targets import TARGET_COLUMNS

    columns = list(TARGET_COLUMNS)
    given = getattr(analysis, "targets", None)
    if isinstance(given, pd.DataFrame) and len(given) and "key" in given.columns:
        out = given.copy()
        for c in columns:
            if c not in out.columns:
                out[c] = pd.NA if c == "met" else ""
        return out[columns].reset_index(drop=True)
    # fallback while Analysis.targets is missing: the district table
    d = pd.DataFrame(getattr(analysis, "district", pd.DataFrame()))
    rows = []
    for _, r in d.iterrows():
        passed = r.get("passed")
        rows.append(
            {
                "key": r["indicator"],
                "label_zh": indicator_label(r["indicator"], "zh"),
                "label_en": indicator_label(r["indicator"], "en"),
                "target": r.get("target"),
                "value": r.get("value"),
                "unit": r.get("unit", ""),
                "met": pd.NA if _missing(passed) else bool(passed),
                "confidence": "" if _missing(r.get("confidence")) else r.get("confidence"),
                "source": "" if _missing(r.get("source")) else r.get("source"),
                "reason": "",
                "note": "",
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out["met"] = out["met"].astype("boolean")
    return out


def _missing(v: object) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def translate_frame(
    frame: pd.DataFrame,
    lang: Lang | str = "zh",
    *,
    values: bool = True,
    extra: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` with headers (and optionally values) in ``lang``.

    Headers stay unique: when two columns would get the same label, the stable
    column name is appended in brackets.

    Parameters
    ----------
    frame
        Any result table.
    lang
        ``"zh"`` or ``"en"``.
    values
        Also translate values of ``kind``, ``status``, ``missing``, ``lacking``
        and boolean columns.
    extra
        Labels of further columns, overriding the built-in ones.

    Returns
    -------
    pandas.DataFrame
        A plain table (any ``geometry`` column dropped), same rows and index,
        with translated headers and, with ``values``, translated values.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"community_id": ["A"], "kind": ["rural"], "area_pass": [True]})
    >>> translate_frame(df, "zh").to_dict("records")
    [{'社区编号': 'A', '类型': '农村', '面积达标': '是'}]
    """
    out = frame.copy()
    if "geometry" in out.columns:
        out = pd.DataFrame(out.drop(columns="geometry"))
    if values:
        for col in out.columns:
            s = out[col]
            if col in ("kind", "status", "missing", "lacking") or s.dtype == bool:
                out[col] = s.map(lambda v, c=col: value_label(c, v, lang)).astype(object)
            elif s.dtype == object or str(s.dtype) == "boolean":
                vals = s.dropna()
                if len(vals) and vals.map(lambda v: isinstance(v, bool | np.bool_)).all():
                    out[col] = s.map(
                        lambda v, c=col: None if _missing(v) else value_label(c, bool(v), lang)
                    ).astype(object)
    names = [(extra or {}).get(c) or label(c, lang) for c in out.columns]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    out.columns = [
        f"{n} ({c})" if seen[n] > 1 else n for n, c in zip(names, out.columns, strict=True)
    ]
    return out


def finding_label(kind: str, lang: Lang | str = "zh") -> str:
    """Name of a problem of the repair/drop report (``Finding.kind``); unknown kinds as is.

    Parameters
    ----------
    kind
        A :class:`~coverage15.validation.Finding` kind such as ``"duplicate_id"``.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> finding_label("missing_floor_area", "zh"), action_label("dropped", "zh")
    ('缺少建筑面积', '已剔除')
    """
    pair = FINDINGS.get(kind)
    return _pick(pair, lang) if pair else kind


def action_label(action: str, lang: Lang | str = "zh") -> str:
    """What was done to a record (``repaired``, ``dropped``, ``flagged``, ``info``) in ``lang``.

    Parameters
    ----------
    action
        A :class:`~coverage15.validation.Finding` action.
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str

    Examples
    --------
    >>> action_label("repaired", "en")
    'repaired'
    """
    pair = ACTIONS.get(action)
    return _pick(pair, lang) if pair else action


def map_title(name: str, lang: Lang | str = "zh") -> str | None:
    """Caption of a standard map from its file stem (``map_<name>.png``), or None.

    Parameters
    ----------
    name
        The map's name: ``"coverage_all"``, ``"walk_time_<category>"`` …
    lang
        ``"zh"`` (default) or ``"en"``; any other value gives English.

    Returns
    -------
    str or None
        The caption; None for a map this module has no words for.

    Examples
    --------
    >>> map_title("walk_time_pharmacy", "zh"), map_title("coverage_all", "en")
    ('至药店的步行距离', 'Share of households reaching all required facilities')
    """
    if name in MAP_TITLES:
        return _pick(MAP_TITLES[name], lang)
    for prefix in ("walk_time_", "coverage_by_category_"):
        if name.startswith(prefix):
            cat = name[len(prefix) :]
            if cat in category_catalogue():
                key = prefix.rstrip("_")
                return _pick(MAP_TITLES[key], lang).format(cat=category_label(cat, lang))
    return None


# --------------------------------------------------------------------------- terminal tables


def display_width(value: object) -> int:
    """Columns a text takes in a terminal: East Asian wide and full-width characters count 2.

    Parameters
    ----------
    value
        Any value (shown with ``str``).

    Returns
    -------
    int
        The display width (combining marks count 0).

    Examples
    --------
    >>> display_width("白塔社区"), display_width("Baita"), display_width("m²/百户")
    (8, 5, 7)
    """
    import unicodedata

    width = 0
    for ch in str(value):
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(value: object, width: int, align: str = "left") -> str:
    """``value`` padded with spaces to ``width`` terminal columns (see :func:`display_width`).

    Parameters
    ----------
    value
        The text (any value, shown with ``str``); never cut.
    width
        The display width to fill.
    align
        ``"left"`` (default) or ``"right"``.

    Returns
    -------
    str

    Examples
    --------
    >>> pad("社区", 6) + "|", pad("ab", 6, "right") + "|"
    ('社区  |', '    ab|')
    """
    fill = " " * max(0, width - display_width(value))
    return fill + str(value) if align == "right" else str(value) + fill


def text_table(
    rows: Iterable[Iterable[object]],
    headers: Iterable[object],
    *,
    align: Iterable[str] | None = None,
    gap: int = 2,
) -> str:
    """A plain-text table whose columns line up in a terminal, Chinese included.

    Parameters
    ----------
    rows
        The cells, row by row (shown with ``str``).
    headers
        The column headers.
    align
        ``"left"`` or ``"right"`` per column (default: left).
    gap
        Spaces between columns.

    Returns
    -------
    str
        Header line and one line per row, without trailing spaces.

    Examples
    --------
    >>> print(text_table([["白塔社区", 2800], ["Jiazhou", 3800]], ["社区", "户数"],
    ...                  align=["left", "right"]))
    社区      户数
    白塔社区  2800
    Jiazhou   3800
    """
    head = [str(h) for h in headers]
    body = [[str(c) for c in r] for r in rows]
    ncol = len(head)
    how = list(align) if align is not None else ["left"] * ncol
    widths = [
        max([display_width(head[j])] + [display_width(r[j]) for r in body]) for j in range(ncol)
    ]
    sep = " " * gap
    lines = [
        sep.join(pad(r[j], widths[j], how[j]) for j in range(ncol)).rstrip() for r in [head, *body]
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- Jupyter


def _fmt_number(value: object, unit_text: str = "") -> str:
    if value is None or (not isinstance(value, str) and _missing(value)):
        return "—"
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    u = str(unit_text)
    if u.startswith("share") or u in ("%", "fraction"):
        return f"{v * 100:.1f}%"
    if u in ("households", "户") or (v.is_integer() and abs(v) >= 100):
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def _number_with_unit(value: object, unit_text: object, lang: Lang | str) -> str:
    """A number as :func:`_fmt_number` shows it, with its unit unless it is a share or a count."""
    shown = _fmt_number(value, str(unit_text or ""))
    u = str(unit_text or "")
    if shown == "—" or shown.endswith("%") or u in ("", "households", "户", "count"):
        return shown
    return f"{shown} {district_unit(u, lang)}"


def targets_html(targets: pd.DataFrame, lang: Lang | str = "zh") -> str:
    """An HTML table of ``Analysis.targets`` for Jupyter (``_repr_html_``).

    Parameters
    ----------
    targets
        A table with the columns of ``Analysis.targets``: ``key``, ``label_zh``,
        ``label_en``, ``target``, ``value``, ``unit``, ``met``, ``confidence``,
        ``source`` (others are ignored).
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    str
        A ``<table>`` with labels, values, targets, results and honest
        confidence badges (R is "unverified", never "met").

    Examples
    --------
    >>> t = pd.DataFrame({"key": ["coverage_urban"], "label_zh": ["城市社区覆盖率"],
    ...     "label_en": ["Urban coverage"], "target": [1.0], "value": [0.8],
    ...     "unit": ["share of communities"], "met": [False], "confidence": ["R"],
    ...     "source": ["民政部"]})
    >>> page = targets_html(t, "zh")
    >>> "80.0%" in page, "未达标（目标未核实）" in page
    (True, True)
    """
    import html as _html

    heads = ["col_indicator", "col_value", "col_target", "col_met", "col_confidence", "col_source"]
    out = ["<table><thead><tr>"]
    out += [f"<th>{text(h, lang)}</th>" for h in heads]
    out.append("</tr></thead><tbody>")
    for _, r in targets.iterrows():
        name = r.get("label_zh" if lang == "zh" else "label_en") or r.get("key", "")
        met = r.get("met")
        if met is None or _missing(met):
            result = text("met_unknown", lang)
        else:
            result = text("pass" if bool(met) else "fail", lang)
            if r.get("confidence") == "R":
                result += text("target_unverified", lang)
        conf = str(r.get("confidence") or "")
        badge = f"{conf} {confidence_label(conf, lang)}".strip()
        cells = [
            name,
            _number_with_unit(r.get("value"), r.get("unit", ""), lang),
            _number_with_unit(r.get("target"), r.get("unit", ""), lang),
            result,
            badge,
            r.get("source", ""),
        ]
        out.append("<tr>" + "".join(f"<td>{_html.escape(str(c))}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def analysis_repr(analysis: AnalysisLike) -> str:
    """A compact one-screen ``repr`` of an :class:`~coverage15.analysis.Analysis`.

    Attach with ``Analysis.__repr__ = lambda self: labels.analysis_repr(self)``.

    Parameters
    ----------
    analysis
        An Analysis (or any object with ``profile``, ``group``, ``communities``,
        ``homes`` and ``facilities``).

    Returns
    -------
    str
        One line per table with its size, and the profile.

    Examples
    --------
    >>> import types
    >>> a = types.SimpleNamespace(profile=types.SimpleNamespace(key="gb50180_2018"),
    ...     group="general", communities=pd.DataFrame({"households": [5, 7]}),
    ...     homes=pd.DataFrame({"x": [1, 2, 3]}), facilities=pd.DataFrame({"x": [1]}))
    >>> print(analysis_repr(a))
    <Analysis gb50180_2018 (general): 2 communities, 12 households, 3 homes, 1 facilities>
    """
    comm = getattr(analysis, "communities", None)
    hh = int(pd.to_numeric(comm["households"]).sum()) if comm is not None else 0
    profile = getattr(getattr(analysis, "profile", None), "key", "?")
    group = getattr(analysis, "group", "general")
    n = {
        k: 0 if getattr(analysis, k, None) is None else len(getattr(analysis, k))
        for k in ("communities", "homes", "facilities")
    }
    return (
        f"<Analysis {profile} ({group}): {n['communities']} communities, {hh:,} households, "
        f"{n['homes']:,} homes, {n['facilities']:,} facilities>"
    )


def analysis_html(analysis: AnalysisLike, lang: Lang | str = "zh") -> str:
    """A compact HTML view of an Analysis for Jupyter: sizes and the targets table.

    Attach with ``Analysis._repr_html_ = lambda self: labels.analysis_html(self)``.

    Parameters
    ----------
    analysis
        An :class:`~coverage15.analysis.Analysis`; its ``targets`` table is shown
        when it has one, else the ``district`` table's rows with targets.
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    str
        An HTML fragment of a few kilobytes (never the tables themselves).

    Examples
    --------
    >>> from coverage15.datasets import sample_analysis
    >>> page = analysis_html(sample_analysis("leshan_2018"), "en")
    >>> len(page) < 5000, "Urban communities" in page
    (True, True)
    """
    import html as _html

    profile = getattr(analysis, "profile", None)
    name = getattr(profile, "name_zh" if lang == "zh" else "name_en", "")
    head = _html.escape(analysis_repr(analysis))
    return (
        f"<div><p><code>{head}</code><br>{text('profile', lang)}: {_html.escape(str(name))}</p>"
        f"{targets_html(targets_frame(analysis), lang)}</div>"
    )


_TARGET_VIEW = ("key", "label_zh", "label_en", "target", "value", "unit", "met", "confidence")


class TargetsTable(pd.DataFrame):
    """``Analysis.targets`` as a DataFrame that shows itself in Jupyter as a readable table.

    A plain :class:`pandas.DataFrame` in every other way (the subclass survives
    slicing and copying); ``_repr_html_`` is :func:`targets_html` in
    :attr:`lang`, falling back to the DataFrame's own view when columns are missing.

    Parameters
    ----------
    data
        The table, as for :class:`pandas.DataFrame`.
    *args, **kwargs
        Further arguments of :class:`pandas.DataFrame`.

    Examples
    --------
    >>> t = TargetsTable({"key": ["households"], "label_zh": ["总户数"],
    ...     "label_en": ["Households"], "target": [None], "value": [10.0],
    ...     "unit": ["households"], "met": [None], "confidence": [""], "source": ["computed"]})
    >>> "总户数" in t._repr_html_(), type(t.head(1)).__name__
    (True, 'TargetsTable')
    """

    _metadata: ClassVar[list[str]] = ["lang"]
    lang: str = "zh"

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)

    @property
    def _constructor(self) -> type:
        return TargetsTable

    def _repr_html_(self) -> str | None:
        if all(c in self.columns for c in _TARGET_VIEW):
            return targets_html(self, getattr(self, "lang", "zh"))
        return pd.DataFrame(self)._repr_html_()
