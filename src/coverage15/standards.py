"""Standard profiles: planning standards as data files, loaded and validated.

A profile (``profiles/<key>.toml`` inside the package, or a user's own copy)
lists walking-distance tiers, the facility categories each tier requires with
their maximum walking distance and floor-area standard, walking speeds, and
district targets. Every number carries its ``source`` and ``confidence``
(``C1`` official text, ``C2`` secondary source, ``R`` recalled and
unverified), taken from ``shared/reference/standards.md``.

Facility categories themselves (names, aliases, OSM tags) come from one
catalogue, ``profiles/categories.toml``, shared by all profiles.

Examples
--------
>>> p = load_profile("gb50180_2018")
>>> p.requirement("kindergarten").max_distance_m
300.0
>>> p.requirement("kindergarten").confidence
'R'
>>> match_category("农贸市场")
'wet_market'
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from coverage15._errors import ProfileError

CONFIDENCE = {
    "C1": "confirmed from official text",
    "C2": "confirmed from a secondary source",
    "R": "recalled, unverified — check against the printed standard",
}
TIER_ORDER = {"block": 0, "5min": 1, "10min": 2, "15min": 3}
GROUPS = ("general", "slow")
#: target keys the indicators compare with; a near miss of one is taken for a typo
KNOWN_TARGETS = (
    "area_per_100_households_m2",
    "coverage_urban",
    "coverage_rural",
    "area_compliance_rate",
)
#: how a target is computed (``[targets.KEY] measure = ...``), see :mod:`coverage15.targets`
MEASURES = {
    "coverage": "share of communities (among) with a community-level comprehensive service "
    "facility inside",
    "area_per_100hh": "district floor area of comprehensive service facilities ÷ households × 100",
    "area_compliance": "share of communities (among) whose community-level area per 100 "
    "households reaches the threshold (default: the area_per_100_households_m2 target)",
    "community_area": "share of communities (among) whose community-level comprehensive "
    "service facility area reaches the threshold (m²)",
    "facility_area": "share of facilities of the categories with floor area ≥ threshold (m²)",
    "category_share": "share of communities or 街道 (among) with a facility of the categories",
    "plaza_per_resident": "public open space (plazas) in the district ÷ residents, m²",
    "opening_hours": "share of facilities of the categories open ≥ threshold hours a day",
    "tier_share": "share of households meeting a tier (mode cumulative or own)",
}
#: default measure of the classic target keys (so older profile files keep working)
DEFAULT_MEASURE = {
    "area_per_100_households_m2": "area_per_100hh",
    "coverage_urban": "coverage",
    "coverage_rural": "coverage",
    "area_compliance_rate": "area_compliance",
}
AMONG = ("all", "urban", "rural", "relocation", "street")
LEVELS = ("community", "street")
_CONF_RANK = {"R": 0, "C2": 1, "C1": 2}
#: keys each table of a profile file may have; any other is a typo and raises
_PROFILE_TABLES = ("profile", "tiers", "categories", "targets")
_HEAD_KEYS = ("key", "name_zh", "name_en", "description", "source", "confidence", "speed")
_SPEED_KEYS = ("general_m_per_min", "slow_m_per_min", "source", "confidence", "note")
_TIER_KEYS = (
    "name_zh",
    "name_en",
    "max_distance_m",
    "max_time_min",
    "source",
    "confidence",
    "quote",
    "plan",
)
_CATEGORY_KEYS = (
    "tier",
    "max_distance_m",
    "max_time_min",
    "min_floor_area_m2",
    "floor_area_range_m2",
    "required",
    "source",
    "confidence",
    "note",
    "quote",
    "plan",
)
_TARGET_KEYS = (
    "value",
    "unit",
    "source",
    "confidence",
    "note",
    "quote",
    "plan",
    "measure",
    "label_zh",
    "label_en",
    "among",
    "categories",
    "threshold",
    "tier",
    "mode",
)


@dataclass(frozen=True)
class Category:
    """A facility category of the shared catalogue.

    :func:`category_catalogue` builds them from ``profiles/categories.toml``; the
    parameters are kept as attributes of the same names.

    Parameters
    ----------
    key
        The stable English key used in every table (``facilities.category``),
        e.g. ``"kindergarten"``.
    name_zh, name_en
        Chinese and English names, for maps and reports.
    aliases
        Other names found in planners' files, matched after removing spaces,
        brackets and case (:func:`match_category`). Empty by default.
    osm
        OSM tags marking the category in OpenStreetMap data: ``"key=value"``, or
        ``"key=value&key2=value2"`` for all of them. Empty by default.
    community_facility
        Whether it counts as a community comprehensive service facility
        (社区综合服务设施) for the per-100-household area indicator (default False).
    level
        ``"community"`` (社区级, default) or ``"street"`` (街道/乡镇级, e.g. the
        社区服务中心): a street-level facility counts for its 街道 and the district,
        never for the one community it stands in.

    Examples
    --------
    >>> category_catalogue()["pharmacy"].label("en"), category_catalogue()["pharmacy"].label()
    ('Pharmacy', '药店')
    """

    key: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()
    osm: tuple[str, ...] = ()
    community_facility: bool = False
    level: str = "community"

    def label(self, lang: str = "zh") -> str:
        """Name in ``lang`` (``"zh"`` or ``"en"``).

        Parameters
        ----------
        lang
            ``"zh"`` (default) for :attr:`name_zh`; any other value for :attr:`name_en`.

        Returns
        -------
        str
            The category's name.

        Examples
        --------
        >>> category_catalogue()["kindergarten"].label("zh")
        '幼儿园'
        """
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Tier:
    """A walking tier (生活圈层级) such as the 5-minute circle.

    :func:`load_profile` builds them from a profile's ``[tiers.KEY]`` tables; the
    parameters are kept as attributes of the same names.

    Parameters
    ----------
    key
        ``"block"`` (居住街坊), ``"5min"``, ``"10min"`` or ``"15min"``.
    name_zh, name_en
        Chinese and English names, e.g. 五分钟生活圈 / 5-minute circle.
    max_distance_m
        The tier's walking distance in metres, or None when it sets only a time.
    max_time_min
        The tier's walking time in minutes, or None when it sets only a distance.
    source
        Where the numbers come from (the standard and clause).
    confidence
        ``"C1"`` official text, ``"C2"`` secondary source, ``"R"`` recalled and
        unverified.
    quote, plan
        For a value stated in a plan: the verbatim quote and the plan's file name
        (in ``reference/plans/``); ``""`` otherwise.

    Examples
    --------
    >>> t = load_profile("gb50180_2018").tiers["5min"]
    >>> t.order, t.max_distance_m
    (1, 300.0)
    """

    key: str
    name_zh: str
    name_en: str
    max_distance_m: float | None
    max_time_min: float | None
    source: str
    confidence: str
    quote: str = ""
    plan: str = ""

    @property
    def order(self) -> int:
        """Position of the tier, block (0) < 5min < 10min < 15min (3)."""
        return TIER_ORDER[self.key]


@dataclass(frozen=True)
class Requirement:
    """What a profile requires of one facility category.

    :func:`load_profile` builds them from a profile's ``[categories.KEY]`` tables; the
    parameters are kept as attributes of the same names.

    Parameters
    ----------
    category
        The category key (of :func:`category_catalogue`).
    tier
        The key of the tier it belongs to (``"block"``, ``"5min"``, ``"10min"``
        or ``"15min"``).
    max_distance_m, max_time_min
        Its own walking distance (metres) and time (minutes) standards, each
        None when not set (the tier's then apply, see :meth:`Profile.threshold_m`).
    min_floor_area_m2
        Floor area in m² the largest facility of the category in a community must
        reach (checked as ``area_ok__<category>``), or None.
    floor_area_range_m2
        The standard's ``(min, max)`` floor-area range in m², kept for reference
        (not tested), or None.
    required
        Whether the category is required (False: measured, not required).
    source
        Where the numbers come from (the standard and clause).
    confidence
        ``"C1"`` official text, ``"C2"`` secondary source, ``"R"`` recalled and
        unverified.
    note
        A free-text note (default ``""``).
    quote, plan
        For a value stated in a plan: the verbatim quote and the plan's file name
        (in ``reference/plans/``); ``""`` otherwise.

    Examples
    --------
    >>> r = load_profile("gb50180_2018").requirement("kindergarten")
    >>> r.tier, r.max_distance_m, r.confidence
    ('5min', 300.0, 'R')
    """

    category: str
    tier: str
    max_distance_m: float | None
    max_time_min: float | None
    min_floor_area_m2: float | None
    floor_area_range_m2: tuple[float, float] | None
    required: bool
    source: str
    confidence: str
    note: str = ""
    quote: str = ""
    plan: str = ""


@dataclass(frozen=True)
class Target:
    """A district or community target, e.g. urban coverage 100 %.

    :func:`load_profile` builds them from a profile's ``[targets.KEY]`` tables; the
    parameters are kept as attributes of the same names.

    Parameters
    ----------
    key
        The target's key, e.g. ``"coverage_urban"`` or
        ``"area_per_100_households_m2"`` (see the profiles guide for the keys the
        indicators use).
    value
        The target value, in ``unit`` (shares as fractions 0–1).
    unit
        The unit in words, e.g. ``"share of communities"`` or
        ``"m² per 100 households"`` (``""`` when the file gives none).
    source
        Where the number comes from (the standard and clause).
    confidence
        ``"C1"`` official text, ``"C2"`` secondary source, ``"R"`` recalled and
        unverified.
    note
        A free-text note: how the plan's words are read (default ``""``).
    quote, plan
        For a value stated in a plan: the verbatim quote and the plan's file name
        (in ``reference/plans/``); ``""`` otherwise.
    measure
        How it is computed, a key of :data:`MEASURES` (``""``: the default of a
        classic key, :data:`DEFAULT_MEASURE`; a target without one is listed, not
        computed).
    label_zh, label_en
        Chinese and English labels for tables and reports (default: the key).
    among
        Which units a rate counts, one of :data:`AMONG` (default ``"all"``; the
        classic ``coverage_urban`` / ``coverage_rural`` default to their kind).
    categories
        Facility categories the measure looks at (empty: the measure's default).
    threshold
        The plan's figure a unit must reach: m² for area measures, hours a day
        for ``opening_hours``, m² per 100 households for ``area_compliance``
        (None: the measure's default).
    tier, mode
        For ``tier_share``: the tier key and ``"cumulative"`` (the tier and all
        lower ones, GB 50180 条文说明 5.0.2) or ``"own"`` (the tier's own categories).

    Examples
    --------
    >>> t = load_profile("leshan_2018").target("coverage_rural")
    >>> t.value, t.unit, t.confidence, t.among
    (0.5, 'share of rural communities', 'C1', 'rural')
    """

    key: str
    value: float
    unit: str
    source: str
    confidence: str
    note: str = ""
    quote: str = ""
    plan: str = ""
    measure: str = ""
    label_zh: str = ""
    label_en: str = ""
    among: str = "all"
    categories: tuple[str, ...] = ()
    threshold: float | None = None
    tier: str = ""
    mode: str = "cumulative"


@dataclass(frozen=True)
class Profile:
    """A planning standard as data.

    Use :func:`load_profile` to get one; the parameters are kept as attributes of the
    same names.

    Parameters
    ----------
    key
        The profile's key, shown in tables and reports (e.g. ``"gb50180_2018"``).
    name_zh, name_en
        Chinese and English names of the standard.
    description
        A free-text description (may be ``""``).
    source, confidence
        Where the profile comes from, and its confidence: ``"C1"`` official text,
        ``"C2"`` secondary source, ``"R"`` recalled and unverified.
    speed_m_per_min, slow_speed_m_per_min
        Walking speeds in metres per minute of the general population and of the
        slow group (elderly and young children, 一老一小).
    speed_source, speed_confidence
        Source and confidence of the speeds.
    tiers
        The walking tiers by key (:class:`Tier`).
    requirements
        What each facility category must meet, by category key (:class:`Requirement`).
    targets
        District and community targets by key (:class:`Target`); empty by default.
    path
        Where the profile was read from: the file path, or ``"profile <key>"`` for
        a shipped one (``""`` by default).
    speed_note
        How the speeds were derived (``""`` by default).

    Examples
    --------
    >>> p = load_profile("gb50180_2018")
    >>> p.speed(), p.speed("slow"), p.max_threshold_m()
    (60.0, 50.0, 1000.0)
    """

    key: str
    name_zh: str
    name_en: str
    description: str
    source: str
    confidence: str
    speed_m_per_min: float
    slow_speed_m_per_min: float
    speed_source: str
    speed_confidence: str
    tiers: Mapping[str, Tier]
    requirements: Mapping[str, Requirement]
    targets: Mapping[str, Target] = field(default_factory=dict)
    path: str = ""
    speed_note: str = ""

    def lowest_confidence(self) -> str:
        """The lowest confidence of any value in the profile (its overall confidence).

        Returns
        -------
        str
            ``"R"``, ``"C2"`` or ``"C1"``: the weakest of the speeds, tiers,
            categories and targets.

        Examples
        --------
        >>> load_profile("civil_affairs_2016").lowest_confidence()
        'C2'
        """
        tags = [self.speed_confidence]
        tags += [t.confidence for t in self.tiers.values()]
        tags += [r.confidence for r in self.requirements.values()]
        tags += [t.confidence for t in self.targets.values()]
        return min(tags, key=_CONF_RANK.__getitem__)

    def requirement(self, category: str) -> Requirement:
        """The requirement for ``category``; KeyError lists the profile's categories.

        Parameters
        ----------
        category
            A category key of the profile (see :attr:`categories`).

        Returns
        -------
        Requirement

        Raises
        ------
        KeyError
            The profile has no such category (the message lists its categories).

        Examples
        --------
        >>> load_profile("civil_affairs").requirement("community_service_station").max_time_min
        10.0
        """
        try:
            return self.requirements[category]
        except KeyError:
            raise ProfileError(
                f"profile {self.key!r} has no category {category!r}; "
                f"it has {sorted(self.requirements)}"
            ) from None

    @property
    def categories(self) -> list[str]:
        """Category keys of the profile, by tier then key."""
        return sorted(self.requirements, key=lambda k: (TIER_ORDER[self.requirements[k].tier], k))

    @property
    def required_categories(self) -> list[str]:
        """Categories with ``required = true``."""
        return [k for k in self.categories if self.requirements[k].required]

    def required_up_to(self, tier: str) -> list[str]:
        """Required categories of ``tier`` and every lower tier (tiers are cumulative).

        GB 50180-2018 条文说明 5.0.2: a 15-minute area must also meet all
        10-minute, 5-minute and block requirements.

        Parameters
        ----------
        tier
            ``"block"``, ``"5min"``, ``"10min"`` or ``"15min"``.

        Returns
        -------
        list of str
            Keys of the required categories whose tier is ``tier`` or lower, by
            tier then key.

        Raises
        ------
        KeyError
            An unknown tier.

        Examples
        --------
        >>> load_profile("gb50180_2018").required_up_to("5min")  # doctest: +NORMALIZE_WHITESPACE
        ['convenience_store', 'community_service_station', 'cultural_station', 'elderly_daycare',
         'health_station', 'kindergarten', 'outdoor_fitness']
        """
        if tier not in TIER_ORDER:
            raise ProfileError(f"unknown tier {tier!r}; tiers are {list(TIER_ORDER)}")
        top = TIER_ORDER[tier]
        return [k for k in self.required_categories if TIER_ORDER[self.requirements[k].tier] <= top]

    def speed(self, group: str = "general") -> float:
        """Walking speed in m/min for ``group`` (``"general"`` or ``"slow"``).

        Parameters
        ----------
        group
            ``"general"`` (default) or ``"slow"`` (elderly and young children).

        Returns
        -------
        float
            Metres per minute.

        Raises
        ------
        ValueError
            Another group.

        Examples
        --------
        >>> load_profile("gb50180_2018").speed("slow")
        50.0
        """
        if group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
        return self.speed_m_per_min if group == "general" else self.slow_speed_m_per_min

    def threshold_m(self, category: str, group: str = "general") -> float:
        """Walking-distance threshold (m) that counts as covered for ``category``.

        A distance standard applies as it is; a time-only standard is turned into
        metres with the group's speed. With both, the stricter one applies. For
        the slow group (一老一小) a distance-only standard is also capped by its
        tier's minutes at the slow speed (GB 50180's 300 m is a 5-minute walk at
        60 m/min; at 50 m/min five minutes reach 250 m). A category with neither
        takes its tier's distance or time.

        Parameters
        ----------
        category
            A category key of the profile.
        group
            ``"general"`` or ``"slow"`` (elderly and young children).

        Returns
        -------
        float
            Metres of walking that still count as covered.

        Raises
        ------
        KeyError
            The profile has no such category (the message lists its categories).

        Examples
        --------
        >>> load_profile("gb50180_2018").threshold_m("primary_school")
        500.0
        >>> load_profile("gb50180_2018").threshold_m("kindergarten", "slow")  # 5 min × 50 m/min
        250.0
        >>> load_profile("civil_affairs").threshold_m("community_service_station", "slow")  # 10 min
        500.0
        """
        req = self.requirement(category)
        limits = []
        if req.max_distance_m is not None:
            limits.append(req.max_distance_m)
        if req.max_time_min is not None:
            limits.append(req.max_time_min * self.speed(group))
        tier = self.tiers[req.tier]
        if not limits:
            if tier.max_distance_m is not None:
                limits.append(tier.max_distance_m)
            if tier.max_time_min is not None:
                limits.append(tier.max_time_min * self.speed(group))
        elif group == "slow" and req.max_time_min is None and tier.max_time_min is not None:
            # distances such as GB 50180's 300 m are a 5-minute walk at the general speed:
            # for the elderly and young children the tier's minutes at their speed bind
            limits.append(tier.max_time_min * self.speed(group))
        return float(min(limits))

    def max_threshold_m(self, group: str = "general") -> float:
        """Largest threshold of the profile: the bound of the routing search.

        Parameters
        ----------
        group
            ``"general"`` (default) or ``"slow"`` (elderly and young children).

        Returns
        -------
        float
            The largest :meth:`threshold_m` over the profile's categories, in metres.

        Examples
        --------
        >>> load_profile("gb50180_2018").max_threshold_m()
        1000.0
        """
        return max(self.threshold_m(c, group) for c in self.requirements)

    def target(self, key: str) -> Target | None:
        """A target by key, or None when the profile sets none.

        Parameters
        ----------
        key
            The target's key, e.g. ``"coverage_urban"``.

        Returns
        -------
        Target or None

        Examples
        --------
        >>> load_profile("leshan_2018").target("coverage_urban").value
        1.0
        >>> load_profile("leshan_2018").target("no_such_target") is None
        True
        """
        return self.targets.get(key)

    def __str__(self) -> str:
        lines = [f"{self.key}: {self.name_zh} / {self.name_en}  [{self.confidence}] {self.source}"]
        lines.append(
            f"  walking speed {self.speed_m_per_min:g} m/min, slow group "
            f"{self.slow_speed_m_per_min:g} m/min  [{self.speed_confidence}]"
        )
        cat = category_catalogue()
        for k in self.categories:
            r = self.requirements[k]
            dist = f"{self.threshold_m(k):g} m"
            area = f", ≥{r.min_floor_area_m2:g} m²" if r.min_floor_area_m2 else ""
            req = "" if r.required else " (optional)"
            lines.append(
                f"  {r.tier:>5}  {k:<26} {cat[k].name_zh:<10} {dist}{area}{req}  [{r.confidence}]"
            )
            if r.note:
                lines.append(f"         {r.note}")
        if self.speed_note:
            lines.insert(2, f"    {self.speed_note}")
        for t in self.targets.values():
            label = f" ({t.label_zh})" if t.label_zh != t.key else ""
            quote = f" “{t.quote}” ({t.plan})" if t.quote else ""
            lines.append(
                f"  target {t.key}{label} = {t.value:g} {t.unit}  [{t.confidence}] {t.source}"
                + quote
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- catalogue


def _norm(name: str) -> str:
    """Normalise a category name for matching: no spaces, brackets, case."""
    return re.sub(r"[\s()（）\[\]【】·_\-/／、]+", "", str(name)).lower()


@cache
def category_catalogue() -> dict[str, Category]:
    """All facility categories known to coverage15, by key.

    Examples
    --------
    >>> category_catalogue()["kindergarten"].name_zh
    '幼儿园'
    """
    data = tomllib.loads(_profile_text("categories.toml"))
    cats = {}
    for key, c in data["categories"].items():
        if c.get("level", "community") not in LEVELS:
            raise ProfileError(f"categories.toml [categories.{key}]: level must be one of {LEVELS}")
        cats[key] = Category(
            key=key,
            name_zh=c["name_zh"],
            name_en=c["name_en"],
            aliases=tuple(c.get("aliases", ())),
            osm=tuple(c.get("osm", ())),
            community_facility=bool(c.get("community_facility", False)),
            level=str(c.get("level", "community")),
        )
    return cats


@cache
def _category_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, c in category_catalogue().items():
        for name in (key, c.name_zh, c.name_en, *c.aliases):
            index.setdefault(_norm(name), key)
    return index


def match_category(name: Any) -> str | None:
    """Category key for a name, key or alias (Chinese or English), else None.

    Parameters
    ----------
    name
        A category name as found in a planner's file (any type; made text).
        Spaces, brackets, ``_ - / · 、`` and case are ignored.

    Returns
    -------
    str or None
        The category key, or None for an unknown name or None.

    Examples
    --------
    >>> match_category("社区卫生服务站"), match_category("Kindergarten"), match_category("x")
    ('health_station', 'kindergarten', None)
    """
    if name is None:
        return None
    return _category_index().get(_norm(name))


def suggest_category(name: Any) -> str | None:
    """The nearest known category key for an unknown name (a hint for error messages).

    Parameters
    ----------
    name
        The unknown category name (any type; made text).

    Returns
    -------
    str or None
        The key of the category whose key, name or alias is closest (similarity
        at least 0.4, :func:`difflib.get_close_matches`), or None.

    Examples
    --------
    >>> suggest_category("社区卫生站")
    'health_station'
    """
    index = _category_index()
    hits = difflib.get_close_matches(_norm(name), list(index), n=1, cutoff=0.4)
    return index[hits[0]] if hits else None


# --------------------------------------------------------------------------- profiles


def _profile_text(name: str) -> str:
    return resources.files("coverage15").joinpath("profiles", name).read_text("utf-8")


def list_profiles() -> list[str]:
    """Keys of the profiles shipped with coverage15.

    Returns
    -------
    list of str
        The keys, sorted, e.g. ``"gb50180_2018"``; each loads with
        :func:`load_profile`.

    Examples
    --------
    >>> "leshan_2018" in list_profiles()
    True
    """
    folder = resources.files("coverage15").joinpath("profiles")
    return sorted(
        p.name.removesuffix(".toml")
        for p in folder.iterdir()
        if p.name.endswith(".toml") and p.name != "categories.toml"
    )


def suggest_profile(name: str) -> str | None:
    """The shipped profile key nearest to a mistyped one (a hint for error messages).

    Parameters
    ----------
    name
        The key that is not a shipped profile.

    Returns
    -------
    str or None
        The closest key of :func:`list_profiles` (similarity at least 0.6,
        :func:`difflib.get_close_matches`), or None when none is close.

    Examples
    --------
    >>> suggest_profile("leshan2018"), suggest_profile("GB50180-2018"), suggest_profile("xyz")
    ('leshan_2018', 'gb50180_2018', None)
    """
    keys = list_profiles()
    hits = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
    if not hits:  # case and separators: GB50180-2018
        folded = {re.sub(r"[\s_\-]+", "", k.lower()): k for k in keys}
        near = difflib.get_close_matches(
            re.sub(r"[\s_\-]+", "", name.lower()), list(folded), n=1, cutoff=0.6
        )
        hits = [folded[n] for n in near]
    return hits[0] if hits else None


def profile_path(key: str) -> Path:
    """Path of the data file (TOML) of a profile shipped with coverage15.

    Read it, or copy it to edit your own profile (never edit the shipped file:
    an upgrade overwrites it); pass the copy's path to :func:`load_profile`.

    Parameters
    ----------
    key
        A key from :func:`list_profiles`, e.g. ``"gb50180_2018"``.

    Returns
    -------
    pathlib.Path
        The ``profiles/<key>.toml`` file inside the installed package.

    Raises
    ------
    ProfileError
        ``key`` is not a shipped profile (the message lists the keys), or the
        package is installed where its files are not on disk (e.g. a zip).

    Examples
    --------
    >>> p = profile_path("leshan_2018")
    >>> p.name, p.is_file()
    ('leshan_2018.toml', True)
    >>> load_profile(p).key
    'leshan_2018'
    >>> profile_path("gb50180")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coverage15._errors.ProfileError: no shipped profile 'gb50180': give one of [...]
    """
    keys = list_profiles()
    if key not in keys:
        raise ProfileError(f"no shipped profile {key!r}: give one of {keys}")
    ref = resources.files("coverage15").joinpath("profiles", f"{key}.toml")
    if not isinstance(ref, Path):  # pragma: no cover - only for zip or custom-loader installs
        raise ProfileError(
            f"profile {key!r} is not a file on disk ({ref}); read it with "
            f"importlib.resources.files('coverage15') / 'profiles' / '{key}.toml'"
        )
    return ref


def _num(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ProfileError(f"{where}: expected a non-negative number, got {value!r}")
    return float(value)


def _conf(value: Any, where: str) -> str:
    if value not in CONFIDENCE:
        raise ProfileError(f"{where}: confidence must be one of {list(CONFIDENCE)}, got {value!r}")
    return value


def _req_str(d: Mapping, key: str, where: str) -> str:
    if key not in d or not isinstance(d[key], str) or not d[key].strip():
        raise ProfileError(f"{where}: missing text field '{key}'")
    return d[key]


def _opt_str(d: Mapping, key: str, where: str) -> str:
    value = d.get(key, "")
    if not isinstance(value, str):
        raise ProfileError(f"{where}: {key} must be text, got {value!r}")
    return value


def _table(value: Any, where: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise ProfileError(f"{where}: must be a table, got {value!r}")
    return value


def _check_profile_keys(table: Mapping, allowed: tuple[str, ...], where: str) -> None:
    """Raise on a key the table may not have, naming it and the nearest allowed key."""
    for key in table:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            raise ProfileError(
                f"{where}: unknown key {key!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" (keys are {list(allowed)})"
            )


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by key, or a user's profile TOML by path.

    Parameters
    ----------
    name_or_path
        A key from :func:`list_profiles`, or a path to a ``.toml`` file written
        like the shipped ones. Copy a shipped one to edit it (its file is
        given by :func:`profile_path`); ``coverage15 profiles KEY`` prints its
        values with their confidence.

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        When the file is not valid, including a table or key it may not have
        (a misspelt key is never ignored); the message names the file, the
        table and the field, with the nearest valid key as a hint. An unknown
        profile key suggests the nearest shipped one.

    Examples
    --------
    >>> p = load_profile("civil_affairs")
    >>> p.target("area_per_100_households_m2").value
    30.0

    An edited copy, loaded by its path:

    >>> import tempfile
    >>> from importlib.resources import files
    >>> text = (files("coverage15") / "profiles" / "gb50180_2018.toml").read_text("utf-8")
    >>> text = text.replace('key = "gb50180_2018"', 'key = "mine"', 1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = Path(d) / "mine.toml"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     mine = load_profile(path)
    >>> mine.key, mine.threshold_m("kindergarten")
    ('mine', 300.0)
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text, where = path.read_text("utf-8"), str(path)
    elif str(name_or_path) in list_profiles():
        text, where = _profile_text(f"{name_or_path}.toml"), f"profile {name_or_path}"
    else:
        hint = suggest_profile(str(name_or_path))
        raise ProfileError(
            f"no profile {str(name_or_path)!r}: give one of {list_profiles()} "
            "or the path of a .toml profile file" + (f"; did you mean {hint!r}?" if hint else "")
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML: {exc}") from None
    return _parse_profile(data, where)


def _parse_profile(data: Mapping, where: str) -> Profile:
    for key in data:
        if key not in _PROFILE_TABLES:
            hint = difflib.get_close_matches(str(key), _PROFILE_TABLES, n=1, cutoff=0.6)
            raise ProfileError(
                f"{where}: unknown table [{key}]"
                + (f"; did you mean [{hint[0]}]?" if hint else "")
                + f" (a profile has {['[' + t + ']' for t in _PROFILE_TABLES]})"
            )
    head = data.get("profile")
    if not isinstance(head, Mapping):
        raise ProfileError(f"{where}: missing [profile] table")
    w = f"{where} [profile]"
    _check_profile_keys(head, _HEAD_KEYS, w)
    speed = _table(head.get("speed", {}), f"{where} [profile.speed]")
    _check_profile_keys(speed, _SPEED_KEYS, f"{where} [profile.speed]")
    general = _num(speed.get("general_m_per_min"), f"{w} speed.general_m_per_min")
    slow = _num(speed.get("slow_m_per_min"), f"{w} speed.slow_m_per_min")
    if not general or not slow:
        raise ProfileError(f"{w}: speed.general_m_per_min and speed.slow_m_per_min are required")
    tiers = {}
    for key, t in _table(data.get("tiers", {}), f"{where} [tiers]").items():
        wt = f"{where} [tiers.{key}]"
        if key not in TIER_ORDER:
            raise ProfileError(f"{wt}: unknown tier; tiers are {list(TIER_ORDER)}")
        _check_profile_keys(_table(t, wt), _TIER_KEYS, wt)
        tiers[key] = Tier(
            key=key,
            name_zh=_req_str(t, "name_zh", wt),
            name_en=_req_str(t, "name_en", wt),
            max_distance_m=_num(t.get("max_distance_m"), f"{wt} max_distance_m"),
            max_time_min=_num(t.get("max_time_min"), f"{wt} max_time_min"),
            source=_req_str(t, "source", wt),
            confidence=_conf(t.get("confidence"), f"{wt} confidence"),
            quote=_opt_str(t, "quote", wt),
            plan=_opt_str(t, "plan", wt),
        )
    catalogue = category_catalogue()
    reqs = {}
    for key, r in _table(data.get("categories", {}), f"{where} [categories]").items():
        wr = f"{where} [categories.{key}]"
        if key not in catalogue:
            near = suggest_category(key)
            raise ProfileError(
                f"{wr}: unknown category key"
                + (f"; did you mean {near!r}?" if near else "")
                + " (categories are defined in categories.toml)"
            )
        _check_profile_keys(_table(r, wr), _CATEGORY_KEYS, wr)
        required = r.get("required", True)
        if not isinstance(required, bool):
            raise ProfileError(f"{wr}: required must be true or false, got {required!r}")
        tier = r.get("tier")
        if tier not in tiers:
            raise ProfileError(f"{wr}: tier {tier!r} is not one of this profile's {list(tiers)}")
        rng = r.get("floor_area_range_m2")
        if rng is not None:
            if not (isinstance(rng, list) and len(rng) == 2):
                raise ProfileError(f"{wr}: floor_area_range_m2 must be [min, max]")
            rng = (_num(rng[0], wr), _num(rng[1], wr))
        req = Requirement(
            category=key,
            tier=tier,
            max_distance_m=_num(r.get("max_distance_m"), f"{wr} max_distance_m"),
            max_time_min=_num(r.get("max_time_min"), f"{wr} max_time_min"),
            min_floor_area_m2=_num(r.get("min_floor_area_m2"), f"{wr} min_floor_area_m2"),
            floor_area_range_m2=rng,
            required=required,
            source=_req_str(r, "source", wr),
            confidence=_conf(r.get("confidence"), f"{wr} confidence"),
            note=_opt_str(r, "note", wr),
            quote=_opt_str(r, "quote", wr),
            plan=_opt_str(r, "plan", wr),
        )
        t = tiers[tier]
        if (
            req.max_distance_m is None
            and req.max_time_min is None
            and t.max_distance_m is None
            and t.max_time_min is None
        ):
            raise ProfileError(f"{wr}: no max_distance_m / max_time_min here or on its tier")
        reqs[key] = req
    if not reqs:
        raise ProfileError(f"{where}: a profile needs at least one [categories.KEY] table")
    targets = {}
    for key, t in _table(data.get("targets", {}), f"{where} [targets]").items():
        wt = f"{where} [targets.{key}]"
        if key not in KNOWN_TARGETS and not (isinstance(t, Mapping) and t.get("measure")):
            # a target with its own measure is computed by it; without one, a near miss of
            # a known key is a typo that would silently lose the indicator's target
            hint = difflib.get_close_matches(key, KNOWN_TARGETS, n=1, cutoff=0.8)
            if hint:
                raise ProfileError(
                    f"{wt}: unknown target key; did you mean {hint[0]!r}? (the indicators "
                    f"use {list(KNOWN_TARGETS)}; a target of your own needs its measure)"
                )
        _check_profile_keys(_table(t, wt), _TARGET_KEYS, wt)
        value = _num(t.get("value"), f"{wt} value")
        if value is None:
            raise ProfileError(f"{wt}: missing value")
        targets[key] = _parse_target(key, t, value, wt, tiers, catalogue)
    return Profile(
        key=_req_str(head, "key", w),
        name_zh=_req_str(head, "name_zh", w),
        name_en=_req_str(head, "name_en", w),
        description=_opt_str(head, "description", w),
        source=_req_str(head, "source", w),
        confidence=_conf(head.get("confidence"), f"{w} confidence"),
        speed_m_per_min=general,
        slow_speed_m_per_min=slow,
        speed_source=_req_str(speed, "source", f"{w} speed"),
        speed_confidence=_conf(speed.get("confidence"), f"{w} speed.confidence"),
        speed_note=_opt_str(speed, "note", f"{w} speed"),
        tiers=tiers,
        requirements=reqs,
        targets=targets,
        path=where,
    )


def _parse_target(
    key: str,
    t: Mapping,
    value: float,
    wt: str,
    tiers: Mapping[str, Tier],
    catalogue: Mapping[str, Category],
) -> Target:
    measure = _opt_str(t, "measure", wt) or DEFAULT_MEASURE.get(key, "")
    if measure and measure not in MEASURES:
        hint = difflib.get_close_matches(measure, list(MEASURES), n=1, cutoff=0.6)
        raise ProfileError(
            f"{wt}: unknown measure {measure!r}"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
            + f" (measures are {list(MEASURES)})"
        )
    default_among = {"coverage_urban": "urban", "coverage_rural": "rural"}.get(key, "all")
    among = _opt_str(t, "among", wt) or default_among
    if among not in AMONG:
        raise ProfileError(f"{wt}: among must be one of {list(AMONG)}, got {among!r}")
    cats = t.get("categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise ProfileError(f"{wt}: categories must be a list of category keys, got {cats!r}")
    for c in cats:
        if c not in catalogue:
            near = suggest_category(c)
            raise ProfileError(
                f"{wt}: unknown category {c!r}" + (f"; did you mean {near!r}?" if near else "")
            )
    tier = _opt_str(t, "tier", wt)
    if measure == "tier_share" and tier not in tiers:
        raise ProfileError(f"{wt}: tier {tier!r} is not one of this profile's {list(tiers)}")
    mode = _opt_str(t, "mode", wt) or "cumulative"
    if mode not in ("cumulative", "own"):
        raise ProfileError(f"{wt}: mode must be 'cumulative' or 'own', got {mode!r}")
    quote, plan = _opt_str(t, "quote", wt), _opt_str(t, "plan", wt)
    if bool(quote) != bool(plan):
        raise ProfileError(f"{wt}: a quote needs the plan's file name (plan) and vice versa")
    return Target(
        key=key,
        value=value,
        unit=_opt_str(t, "unit", wt),
        source=_req_str(t, "source", wt),
        confidence=_conf(t.get("confidence"), f"{wt} confidence"),
        note=_opt_str(t, "note", wt),
        quote=quote,
        plan=plan,
        measure=measure,
        label_zh=_opt_str(t, "label_zh", wt) or key,
        label_en=_opt_str(t, "label_en", wt) or key,
        among=among,
        categories=tuple(cats),
        threshold=_num(t.get("threshold"), f"{wt} threshold"),
        tier=tier,
        mode=mode,
    )
