"""Free address text → compound, building, unit (地址匹配), against the registry.

    match_address("翠苑小区5栋2单元302室", within=community)  → AddressMatch

A resident, the hotline or an Open311 client writes addresses as they speak them: "文三路12号3栋2单元",
"翠苑小区5幢302", "翠苑三栋", full-width "５幢", "3#楼", "3-2-302". `normalise` reduces them to one
spelling (NFKC: full-width digits and letters; Chinese numerals before a marker become digits;
栋 / 号楼 / 座 / # become 幢; "3-2-302" becomes 3幢2单元302室); `parse` splits the result into the
place text before the building (a compound, a road number, a plaza), the building number, the
unit number and the room.

The place text is matched against every way the registry names a group of buildings: the compound's
name, the building name's own prefix ("翠苑小区3幢" → "翠苑小区", "银泰广场A座" → "银泰广场") and the
prefixes of the households' imported addresses (a road address "文三路12号" or the community name
before the compound). Exact hits are a dict look-up; otherwise rapidfuzz scores the place text against
the aliases (decision 0035). The building comes from its number inside the group, the unit from its
number, or from the room when only one unit of the building has it.

The answer is never a silent guess: `status` is "matched" only when the best candidate is confident
(`CONFIDENT`) and clearly ahead of the next one (`MARGIN`); otherwise "ambiguous" with the
candidates to pick from, or "none".

The index is built per jurisdiction (one query for the areas, one for the households' addresses)
and kept per process; it is registered in `core.caches` for the `areas` topic, and after
`max_age` seconds a version stamp (counts and highest ids, two numbers per table) decides whether
it is rebuilt.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Max
from rapidfuzz import fuzz, process

from civicgrid.core import caches

from .models import Area, Compound, Household, Level

CONFIDENT = 0.85  # the lowest confidence an address is taken on without asking
MARGIN = 0.08  # how far the best candidate must be ahead of the next different one
CUTOFF = 60  # rapidfuzz score below which an alias is not a candidate at all
MAX_CANDIDATES = 6
CONTAINED = 96  # the score of a registry name found whole inside the place text (≥ MIN_CONTAINED chars)
MIN_CONTAINED = 3
SHORT_NAME = 90  # the score of place text that begins a registry name (≥ MIN_SHORT chars)
MIN_SHORT = 2

# --- normalisation ---------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
_MARKERS = "幢栋座单元室号楼层户"
_CN_NUMBER = re.compile(rf"([零〇一二两三四五六七八九十百]+)(?=[{_MARKERS}])")
_PUNCT = re.compile(r"[\s,，.。、:：;；()（）\[\]【】\"'“”‘’_]+")


def chinese_number(text: str) -> int | None:
    """'三' → 3, '十二' → 12, '二十' → 20, '一百零五' → 105, '一二' → 12 (digit by digit)."""
    if not text:
        return None
    if not any(ch in _CN_UNITS for ch in text):
        if all(ch in _CN_DIGITS for ch in text):
            return int("".join(str(_CN_DIGITS[ch]) for ch in text))
        return None
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            return None
    return total + digit


def _arabic(m: re.Match) -> str:
    number = chinese_number(m.group(1))
    return str(number) if number is not None else m.group(1)


def normalise(text: str) -> str:
    """One spelling for an address: see the module docstring."""
    s = unicodedata.normalize("NFKC", text or "").upper()
    s = _PUNCT.sub("", s)
    s = s.replace("—", "-").replace("－", "-").replace("~", "-")
    s = _CN_NUMBER.sub(_arabic, s)
    # 3-2-302 → 3幢2单元302室; 5-302 → 5幢302室 (only at the end, after the place text)
    s = re.sub(r"(\d+)-(\d+)-(\d+)(?:室|号)?$", r"\1幢\2单元\3室", s)
    s = re.sub(r"(?<![\d-])(\d+)-(\d{3,4})(?:室|号)?$", r"\1幢\2室", s)
    s = re.sub(r"(\d+)#(?:楼|栋|幢)?", r"\1幢", s)
    s = re.sub(r"(\d+)号(?:楼|栋|幢)", r"\1幢", s)
    s = re.sub(r"(\d+)(?:栋|幢)", r"\1幢", s)
    s = re.sub(r"(\d+|(?<![A-Z])[A-Z])(?:座)", r"\1幢", s)
    s = re.sub(r"(\d+)(?:单元|门洞)", r"\1单元", s)
    return s


# --- parsing -----------------------------------------------------------------------------------

_BUILDING = re.compile(r"(\d+|[A-Z])幢")
_UNIT = re.compile(r"(\d+)单元")
_ROOM = re.compile(r"(\d{2,5})(?:室|号|户)?$")
_ROAD_CHARS = "路街道巷弄里"


@dataclass(frozen=True)
class ParsedAddress:
    text: str  # the normalised address
    place: str  # the text before the building (compound, road number, plaza …)
    building: str | None  # "3", "A"
    unit: str | None  # "2"
    room: str | None  # "302"


def parse(text: str) -> ParsedAddress:
    s = normalise(text)
    building = unit = room = None
    place = s
    rest = ""
    # the last building marker: "12号3幢" keeps "12号" in the place text
    m = next(reversed(list(_BUILDING.finditer(s))), None)
    if m is not None:
        building, place, rest = m.group(1), s[: m.start()], s[m.end() :]
    else:
        # "翠苑小区12号" / "翠苑小区12号2单元": a 号 not after a road name is the building
        hao = next(reversed(list(re.finditer(r"(\d+)号", s))), None)
        if hao is not None and hao.start() > 0 and s[hao.start() - 1] not in _ROAD_CHARS:
            building, place, rest = hao.group(1), s[: hao.start()], s[hao.end() :]
    if building is None:
        um = _UNIT.search(s)
        if um:
            place, rest = s[: um.start()], s[um.start() :]
    um = _UNIT.search(rest)
    if um:
        unit = um.group(1)
        rest = rest[um.end() :]
    rm = _ROOM.search(rest)
    if rm and (building is not None or unit is not None):
        room = rm.group(1)
    return ParsedAddress(s, place, building, unit, room)


# --- the index -----------------------------------------------------------------------------------


@dataclass
class _Building:
    id: int
    name: str
    path: str
    grid_id: int | None
    community_id: int | None
    compound_id: int | None
    lng: float | None = None
    lat: float | None = None
    units: dict[str, int] = field(default_factory=dict)  # unit number → unit id
    unit_names: dict[int, str] = field(default_factory=dict)
    unit_paths: dict[int, str] = field(default_factory=dict)
    rooms: dict[str, set[int]] = field(default_factory=dict)  # room → unit ids


@dataclass
class _Group:
    """Buildings named by one place text: a compound, or a building's own name prefix."""

    key: str
    label: str
    community_id: int | None
    compound_id: int | None
    buildings: dict[str, int] = field(default_factory=dict)  # building number → building id
    unnumbered: list[int] = field(default_factory=list)  # buildings whose name has no number


@dataclass
class AddressIndex:
    jurisdiction: str
    buildings: dict[int, _Building]
    groups: dict[str, _Group]
    aliases: dict[str, set[str]]  # normalised alias → group keys
    community_names: dict[int, str]
    community_paths: dict[int, str] = field(default_factory=dict)
    alias_list: list[str] = field(default_factory=list)
    stamp: tuple = ()

    @property
    def size(self) -> int:
        return len(self.buildings)


def _stamp(jurisdiction: str) -> tuple:
    a = Area.objects.filter(jurisdiction=jurisdiction, level__in=(Level.BUILDING, Level.UNIT)).aggregate(
        n=Count("id"), top=Max("id")
    )
    h = Household.objects.filter(jurisdiction=jurisdiction).aggregate(n=Count("id"), top=Max("id"))
    c = Compound.objects.filter(jurisdiction=jurisdiction).aggregate(n=Count("id"), top=Max("id"))
    return (a["n"], a["top"], h["n"], h["top"], c["n"], c["top"])


def _number_key(value: str) -> str:
    return value.lstrip("0") or "0" if value.isdigit() else value


def build_index(jurisdiction: str) -> AddressIndex:
    """Read one jurisdiction's buildings, units, compounds and household addresses (four queries)."""
    stamp = _stamp(jurisdiction)
    areas = Area.objects.filter(
        jurisdiction=jurisdiction, level__in=(Level.BUILDING, Level.UNIT, Level.COMMUNITY)
    )
    rows = list(
        areas.values_list("id", "level", "parent_id", "name", "path", "compound_id", "lng", "lat").order_by(
            "path"
        )
    )
    communities = {pk: name for pk, level, _p, name, _path, _c, _x, _y in rows if level == Level.COMMUNITY}
    community_by_code = {}
    for pk, level, _p, _name, path, _c, _x, _y in rows:
        if level == Level.COMMUNITY:
            community_by_code[path] = pk
    compounds = {
        pk: (name, community_id)
        for pk, name, community_id in Compound.objects.filter(jurisdiction=jurisdiction).values_list(
            "id", "name", "community_id"
        )
    }
    buildings: dict[int, _Building] = {}
    unit_building: dict[int, int] = {}
    for pk, level, parent_id, name, path, compound_id, lng, lat in rows:
        if level == Level.BUILDING:
            codes = path.split("/")
            community_path = "/".join(codes[:-3]) + "/" if len(codes) > 3 else ""
            buildings[pk] = _Building(
                pk, name, path, parent_id, community_by_code.get(community_path), compound_id, lng, lat
            )
        elif level == Level.UNIT and parent_id in buildings:
            b = buildings[parent_id]
            um = _UNIT.search(normalise(name))
            number = um.group(1) if um else (re.search(r"(\d+)", name) or [None, None])[1]
            if number:
                b.units.setdefault(_number_key(number), pk)
            b.unit_names[pk] = name
            b.unit_paths[pk] = path
            unit_building[pk] = parent_id
    groups: dict[str, _Group] = {}
    aliases: dict[str, set[str]] = defaultdict(set)

    def group_for(b: _Building, own_prefix: str) -> _Group:
        if b.compound_id and b.compound_id in compounds:
            key = f"c{b.compound_id}"
            label, community_id = compounds[b.compound_id]
            if key not in groups:
                groups[key] = _Group(key, label, community_id, b.compound_id)
                aliases[normalise(label)].add(key)
        else:
            key = f"p{b.community_id}:{own_prefix}"
            if key not in groups:
                groups[key] = _Group(key, own_prefix, b.community_id, None)
        return groups[key]

    for b in buildings.values():
        parsed = parse(b.name)
        own_prefix = parsed.place if parsed.building else normalise(b.name)
        g = group_for(b, own_prefix)
        if own_prefix:
            aliases[own_prefix].add(g.key)
        if parsed.building:
            g.buildings.setdefault(_number_key(parsed.building), b.id)
        else:
            g.unnumbered.append(b.id)
            aliases[normalise(b.name)].add(g.key)
        community = communities.get(b.community_id or 0)
        if community and own_prefix:
            aliases[normalise(community) + own_prefix].add(g.key)
    group_of_building = {}
    for g in groups.values():
        for bid in [*g.buildings.values(), *g.unnumbered]:
            group_of_building[bid] = g.key
    households = Household.objects.filter(jurisdiction=jurisdiction).values_list(
        "unit_id", "number", "address"
    )
    seen_prefix: set[tuple[int, str]] = set()
    for unit_id, number, address in households.iterator(chunk_size=5000):
        bid = unit_building.get(unit_id)
        if bid is None:
            continue
        b = buildings[bid]
        b.rooms.setdefault(number, set()).add(unit_id)
        if address:
            prefix = address.split("幢", 1)[0] if "幢" in address else address[:40]
            if (bid, prefix) in seen_prefix:
                continue
            seen_prefix.add((bid, prefix))
            parsed = parse(address)
            if parsed.building and parsed.place and bid in group_of_building:
                aliases[parsed.place].add(group_of_building[bid])
    index = AddressIndex(
        jurisdiction,
        buildings,
        groups,
        dict(aliases),
        communities,
        {pk: path for path, pk in community_by_code.items()},
        stamp=stamp,
    )
    index.alias_list = list(index.aliases)
    return index


class _IndexCache:
    """Indexes per jurisdiction, in this process (registered in core.caches for `areas`)."""

    def __init__(self, max_age: float = caches.DEFAULT_MAX_AGE) -> None:
        self.max_age = max_age
        self._entries: dict[str, tuple[AddressIndex, float]] = {}
        self._lock = threading.Lock()
        self.builds = 0
        caches.register("areas.addresses", self.clear, topics=[caches.AREAS], max_age=max_age)

    def get(self, jurisdiction: str) -> AddressIndex:
        entry = self._entries.get(jurisdiction)
        now = time.monotonic()
        if entry is not None and now - entry[1] < self.max_age:
            return entry[0]
        with self._lock:
            entry = self._entries.get(jurisdiction)
            if entry is not None and time.monotonic() - entry[1] < self.max_age:
                return entry[0]
            if entry is not None and _stamp(jurisdiction) == entry[0].stamp:
                self._entries[jurisdiction] = (entry[0], time.monotonic())
                return entry[0]
            index = build_index(jurisdiction)
            self.builds += 1
            self._entries[jurisdiction] = (index, time.monotonic())
            return index

    def clear(self) -> None:
        self._entries = {}


index_cache = _IndexCache()


def _jurisdictions() -> list[str]:
    return list(
        Area.objects.filter(level=Level.BUILDING).values_list("jurisdiction", flat=True).distinct().order_by()
    )


_all_jurisdictions = caches.TimedValue("areas.address_jurisdictions", _jurisdictions, topics=[caches.AREAS])


# --- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    level: str  # "unit", "building" or "compound"
    area_id: int | None  # the unit or building (None for a compound)
    building_id: int | None
    unit_id: int | None
    compound_id: int | None
    grid_id: int | None
    community_id: int | None
    label: str
    confidence: float
    path: str = ""  # the building's path, or the community's for a compound
    lng: float | None = None  # the building's point (WGS84)
    lat: float | None = None
    unit_path: str = ""  # the unit's path, when the candidate is a unit
    jurisdiction: str = ""


@dataclass(frozen=True)
class AddressMatch:
    text: str
    status: str  # "matched", "ambiguous" or "none"
    candidates: tuple[Candidate, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.status == "matched" and self.candidates else None

    @property
    def level(self) -> str | None:
        return self.best.level if self.best else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "status": self.status,
            "level": self.level,
            "confidence": round(self.confidence, 3),
            "candidates": [asdict(c) for c in self.candidates],
        }


def _group_scores(index: AddressIndex, place: str) -> dict[str, float]:
    """Group key → score 0..100 for the place text."""
    scores: dict[str, float] = {}
    if not place:
        return scores
    exact = index.aliases.get(place)
    if exact:
        for key in exact:
            scores[key] = 100.0
    found = process.extract(
        place, index.alias_list, scorer=fuzz.WRatio, score_cutoff=CUTOFF, limit=MAX_CANDIDATES * 4
    )
    for alias, score, _i in found:
        # a short alias inside a long place text is a good sign; a long alias for a short text less so
        cover = min(len(alias), len(place)) / max(len(alias), len(place))
        score = score * (0.85 + 0.15 * cover) if score < 100 or alias != place else score
        if len(alias) >= MIN_CONTAINED and alias in place:
            score = max(score, CONTAINED)  # "文三路88号翠苑小区": the whole name is there, a road in front
        elif len(place) >= MIN_SHORT and alias.startswith(place):
            score = max(score, SHORT_NAME)  # "翠苑": the name without its suffix
        for key in index.aliases[alias]:
            scores[key] = max(scores.get(key, 0.0), score)
    return scores


def _candidates_in(index: AddressIndex, parsed: ParsedAddress, within: str) -> list[Candidate]:
    out: list[Candidate] = []
    for key, score in _group_scores(index, parsed.place).items():
        group = index.groups[key]
        base = score / 100.0
        # buildings named by a bare number ("1幢") under a community make no place of their own:
        # only their number names one ("宝石社区1幢"); "宝石社区东门" is not a compound
        named = bool(group.compound_id or group.label)
        if parsed.building is not None:
            bid = group.buildings.get(_number_key(parsed.building))
            if bid is None:
                if named:
                    out.append(_compound_candidate(index, group, base * 0.6))
                continue
            out.append(_building_candidate(index, index.buildings[bid], parsed, base))
        elif len(group.unnumbered) == 1 and not group.buildings:
            out.append(_building_candidate(index, index.buildings[group.unnumbered[0]], parsed, base))
        elif named:
            out.append(_compound_candidate(index, group, base * 0.9))
    if within:
        out = [c for c in out if c.path.startswith(within) or within.startswith(c.path or "-")]
    return out


def _compound_candidate(index: AddressIndex, group: _Group, confidence: float) -> Candidate:
    ids = [*group.buildings.values(), *group.unnumbered]
    grids = {index.buildings[b].grid_id for b in ids}
    community = index.community_names.get(group.community_id or 0, "")
    return Candidate(
        "compound",
        None,
        None,
        None,
        group.compound_id,
        grids.pop() if len(grids) == 1 else None,
        group.community_id,
        f"{community} {group.label}".strip(),
        round(confidence, 3),
        index.community_paths.get(group.community_id or 0, ""),
        jurisdiction=index.jurisdiction,
    )


def _building_candidate(index: AddressIndex, b: _Building, parsed: ParsedAddress, base: float) -> Candidate:
    unit_id = None
    confidence = base
    if parsed.unit is not None:
        unit_id = b.units.get(_number_key(parsed.unit))
        if unit_id is None:
            confidence *= 0.9  # the building is right, its unit number is not in the registry
    elif parsed.room is not None:
        units = b.rooms.get(parsed.room, set())
        if len(units) == 1:
            unit_id = next(iter(units))
    elif len(b.units) == 1:
        unit_id = next(iter(b.units.values()))
    community = index.community_names.get(b.community_id or 0, "")
    label = b.name + (b.unit_names.get(unit_id, "") if unit_id else "")
    return Candidate(
        "unit" if unit_id else "building",
        unit_id or b.id,
        b.id,
        unit_id,
        b.compound_id,
        b.grid_id,
        b.community_id,
        f"{community} {label}".strip(),
        round(confidence, 3),
        b.path,
        b.lng,
        b.lat,
        b.unit_paths.get(unit_id, "") if unit_id else "",
        index.jurisdiction,
    )


def match_address(text: str, *, within: Area | None = None) -> AddressMatch:
    """Match free address text within an area (its jurisdiction's index), or everywhere."""
    parsed = parse(text)
    if not parsed.text:
        return AddressMatch("", "none")
    if within is not None:
        jurisdictions = [within.jurisdiction]
        prefix = within.path
    else:
        jurisdictions = _all_jurisdictions.get()
        prefix = ""
    found: list[Candidate] = []
    for jurisdiction in jurisdictions:
        found += _candidates_in(index_cache.get(jurisdiction), parsed, prefix)
    return decide(parsed.text, found)


_LEVEL_RANK = {"unit": 2, "building": 1, "compound": 0}


def decide(text: str, found: list[Candidate]) -> AddressMatch:
    """'matched' when the best is confident and clearly ahead; else the candidates to pick from."""
    if not found:
        return AddressMatch(text, "none")
    found.sort(key=lambda c: (-c.confidence, -_LEVEL_RANK[c.level], c.label))
    best = found[0]
    others = [
        c for c in found[1:] if (c.building_id or c.compound_id) != (best.building_id or best.compound_id)
    ]
    clear = not others or best.confidence - others[0].confidence >= MARGIN
    status = "matched" if best.confidence >= CONFIDENT and clear and best.level != "compound" else "ambiguous"
    if status == "ambiguous" and best.level == "compound" and clear and best.confidence >= CONFIDENT:
        status = "matched"  # the compound is sure, the building is not named: the compound is the place
    kept = tuple(found[:MAX_CANDIDATES])
    return AddressMatch(text, status, kept)


def common_path(candidates) -> str:
    """The deepest area path every candidate lies under ("" when none is shared)."""
    paths = [c.path for c in candidates if c.path]
    if not paths:
        return ""
    codes = [p.split("/")[:-1] for p in paths]
    shared: list[str] = []
    for parts in zip(*codes, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return "/".join(shared) + "/" if shared else ""
