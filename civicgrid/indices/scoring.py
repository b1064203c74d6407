"""Scores and ranks within a peer group, and five-colour levels: pure functions over metrics.

Normalisation (per indicator, within one peer group only): the best value in the group scores 100
and the worst 0, linearly between (min–max); "lower is better" turns the scale round. When every
area of the group has the same value each scores 100 (nobody is behind). An area without data for
an indicator scores 0 on it, and the entry says so. An area's score is the weighted mean of its
indicator scores; ranks are 1, 2, 2, 4 … within the group (ties share a rank).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import formulas
from .models import Colour, Direction

COLOURS = [Colour.RED, Colour.ORANGE, Colour.YELLOW, Colour.BLUE, Colour.GREEN]  # worst first


@dataclass
class Indicator:
    code: str
    name: str
    formula: str
    direction: str
    weight: float
    unit: str = ""
    name_en: str = ""

    @classmethod
    def from_data(cls, data: dict) -> Indicator:
        return cls(
            code=data["code"],
            name=data["name"],
            formula=data["formula"],
            direction=data["direction"],
            weight=float(data["weight"]),
            unit=data.get("unit", ""),
            name_en=data.get("name_en", ""),
        )

    def label(self, lang: str | None) -> str:
        return self.name_en if lang and lang.startswith("en") and self.name_en else self.name


@dataclass
class Line:
    area: object
    group_code: str
    group_name: str
    values: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    rank: int = 0
    group_size: int = 0


def validate(indicators: list[dict], names: frozenset[str]) -> list[str]:
    """Translated problems of a list of indicators (empty when it can be saved)."""
    problems = []
    codes = set()
    if not indicators:
        problems.append(_("An index needs at least one indicator."))
    for i, data in enumerate(indicators, start=1):
        code = (data.get("code") or "").strip()
        where = _("Indicator %(n)s") % {"n": i}
        if not code:
            problems.append(_("%(where)s has no code.") % {"where": where})
        elif code in codes:
            problems.append(
                _("%(where)s: the code “%(code)s” is used twice.") % {"where": where, "code": code}
            )
        codes.add(code)
        if not (data.get("name") or "").strip():
            problems.append(_("%(where)s has no name.") % {"where": where})
        if data.get("direction") not in Direction.values:
            problems.append(_("%(where)s: choose whether higher is better or worse.") % {"where": where})
        try:
            weight = float(data.get("weight"))
            if not weight > 0 or weight > 1000:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(_("%(where)s: the weight must be a number above 0.") % {"where": where})
        try:
            formulas.parse(data.get("formula") or "", names)
        except formulas.FormulaError as e:
            problems.append(f"{where}: {e}")
    return problems


def score(
    indicators: list[Indicator],
    areas: list,
    groups: dict[int, tuple[str, str]],
    metrics: dict[int, dict[str, float | None]],
    names: frozenset[str],
) -> list[Line]:
    """Lines for every area, ranked within its peer group (groups: area id → (code, name))."""
    trees = {ind.code: formulas.parse(ind.formula, names) for ind in indicators}
    lines = []
    for area in areas:
        code, name = groups.get(area.pk, ("", _("no type")))
        line = Line(area, code, name)
        for ind in indicators:
            line.values[ind.code] = formulas.evaluate(trees[ind.code], metrics.get(area.pk, {}))
        lines.append(line)
    by_group: dict[str, list[Line]] = {}
    for line in lines:
        by_group.setdefault(line.group_code, []).append(line)
    total_weight = sum(ind.weight for ind in indicators) or 1.0
    for members in by_group.values():
        for ind in indicators:
            known = [ln.values[ind.code] for ln in members if ln.values[ind.code] is not None]
            low, high = (min(known), max(known)) if known else (0.0, 0.0)
            for ln in members:
                v = ln.values[ind.code]
                if v is None:
                    s = 0.0
                elif high == low:
                    s = 100.0
                elif ind.direction == Direction.HIGHER_BETTER:
                    s = (v - low) / (high - low) * 100
                else:
                    s = (high - v) / (high - low) * 100
                ln.scores[ind.code] = round(s, 2)
        for ln in members:
            ln.score = round(sum(ln.scores[i.code] * i.weight for i in indicators) / total_weight, 2)
        ordered = sorted(members, key=lambda ln: (-ln.score, ln.area.code))
        for pos, ln in enumerate(ordered, start=1):
            ln.group_size = len(members)
            ln.rank = pos if pos == 1 or ln.score != ordered[pos - 2].score else ordered[pos - 2].rank
    return sorted(lines, key=lambda ln: (ln.group_code, ln.rank, ln.area.code))


@dataclass
class ColourResult:
    colour: str | None  # None: no rule had data
    reasons: list[tuple[str, float, str]]  # (rule name, value, colour) of the rules that set the colour
    values: list[tuple[str, float | None, str | None]]  # every rule: (name, value, colour)


def rule_colour(rule, value: float | None) -> str | None:
    if value is None:
        return None
    cuts = [rule.red, rule.orange, rule.yellow, rule.blue]
    for colour, cut in zip(COLOURS, cuts, strict=False):
        if rule.direction == Direction.LOWER_BETTER and value >= cut:
            return colour
        if rule.direction == Direction.HIGHER_BETTER and value <= cut:
            return colour
    return Colour.GREEN


def colour_of(rules: list, values: dict[str, float | None], names: frozenset[str], lang=None) -> ColourResult:
    """The worst colour the rules give an area, and which rules gave it."""
    seen = []
    for rule in rules:
        value = formulas.evaluate(formulas.parse(rule.formula, names), values)
        label = rule.name_en if lang and lang.startswith("en") and rule.name_en else rule.name
        seen.append((label, value, rule_colour(rule, value)))
    coloured = [s for s in seen if s[2] is not None]
    if not coloured:
        return ColourResult(None, [], seen)
    worst = min(coloured, key=lambda s: COLOURS.index(s[2]))[2]
    reasons = [(n, v, c) for n, v, c in coloured if c == worst]
    return ColourResult(worst, reasons, seen)
