"""What the figures pages show, built only from the cases app's rollups (cases.rollups.figures and
breakdown): never a scan of cases. A page reads a handful of small aggregates whatever the number
of cases, so it stays fast from a grid to a province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area
from civicgrid.cases import rollups
from civicgrid.cases.models import Category
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_MONTHS = 120
# A page lists at most this many departments, those with the most cases reported in the period (a
# city's figures would otherwise list every street's departments: 1,755 rows, 0.7 MB of HTML); the
# Excel export lists them all, and each child area's page its own.
DEPARTMENT_ROWS = 50

# (key, label, kind): kind "rate" is a share shown as a percentage, "hours" a mean, "count" a number.
RATES = [
    ("completion_rate", _("Completion rate (办结率)"), "rate"),
    ("on_time_rate", _("On-time completion rate (按期办结率)"), "rate"),
    ("response_rate", _("Response rate (响应率)"), "rate"),
    ("resolution_rate", _("Resolution rate (解决率)"), "rate"),
    ("satisfaction_rate", _("Satisfaction rate (满意率)"), "rate"),
    ("rework_rate", _("Rework rate (返工率)"), "rate"),
    ("avg_close_hours", _("Average time to close (hours)"), "hours"),
]
# Labels of counts carry the context "figures": the same English words label facts elsewhere
# ("Reported" is a time on the case page, a number here).
COUNTS = [
    ("reported", pgettext_lazy("figures", "Reported")),
    ("accepted", pgettext_lazy("figures", "Accepted")),
    ("closed", pgettext_lazy("figures", "Closed")),
    ("closed_on_time", pgettext_lazy("figures", "Closed on time")),
    ("overdue_open", pgettext_lazy("figures", "Open and overdue")),
    ("on_hold", pgettext_lazy("figures", "On hold")),
    ("not_accepted", pgettext_lazy("figures", "Not accepted")),
    ("merged", pgettext_lazy("figures", "Merged")),
    ("settled_on_spot", pgettext_lazy("figures", "Settled on the spot")),
    ("rated", pgettext_lazy("figures", "Rated")),
    ("unsatisfied", pgettext_lazy("figures", "Unsatisfied")),
]
# Columns of the breakdown tables (a subset, to fit a screen).
TABLE_COLUMNS = [
    ("reported", pgettext_lazy("figures", "Reported"), "count"),
    ("closed", pgettext_lazy("figures", "Closed"), "count"),
    ("overdue_open", pgettext_lazy("figures", "Overdue"), "count"),
    ("completion_rate", pgettext_lazy("figures", "Completion"), "rate"),
    ("on_time_rate", pgettext_lazy("figures", "On time"), "rate"),
    ("response_rate", pgettext_lazy("figures", "Response"), "rate"),
    ("resolution_rate", pgettext_lazy("figures", "Resolution"), "rate"),
    ("satisfaction_rate", pgettext_lazy("figures", "Satisfaction"), "rate"),
    ("rework_rate", pgettext_lazy("figures", "Rework"), "rate"),
    ("avg_close_hours", pgettext_lazy("figures", "Hours to close"), "hours"),
]
EMPTY = {c: 0 for c in rollups.COUNTERS}


@dataclass
class Period:
    start: date
    end: date
    year: int | None = None

    @property
    def start_param(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def end_param(self) -> str:
        return f"{self.end:%Y-%m}"

    def query(self) -> dict:
        if self.year:
            return {"year": str(self.year)}
        return {"from": self.start_param, "to": self.end_param}


def _month(value: str | None) -> date | None:
    m = MONTH_RE.match((value or "").strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_period(params) -> Period:
    """`year=YYYY`, or `from=YYYY-MM&to=YYYY-MM`; by default this year up to this month."""
    today = timezone.localdate()
    year = params.get("year")
    if year and year.isdigit() and 2000 <= int(year) <= 2100:
        y = int(year)
        return Period(date(y, 1, 1), date(y, 12, 1), y)
    start, end = _month(params.get("from")), _month(params.get("to"))
    if start or end:
        end = end or date(today.year, today.month, 1)
        start = start or date(end.year, 1, 1)
        if start > end:
            start, end = end, start
        if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            start = date(end.year - MAX_MONTHS // 12 + 1, end.month, 1)
        return Period(start, end)
    return Period(date(today.year, 1, 1), date(today.year, today.month, 1))


def figure_areas(user) -> list[Area]:
    """The user's own areas that have figures (city down to grid), the broadest first."""
    return [a for a in people_policy.home_areas(user) if a.level in rollups.ROLLUP_LEVELS]


def may_view_area(user, area: Area) -> bool:
    """Staff, leaders and administrators whose area scope covers the area."""
    return people_policy.can_view_area_detail(user, area)


def department_scope(user, department: Department | None, area: Area) -> bool:
    """A department's handlers read their own department's figures in the area it belongs to."""
    return (
        department is not None
        and department.pk in people_policy.department_ids(user)
        and area.path.startswith(department.area.path)
    )


@dataclass
class Row:
    key: object
    label: str
    figures: rollups.Figures
    link: str = ""
    code: str = ""

    def value(self, name):
        return getattr(self.figures, name)

    @property
    def cells(self) -> list[str]:
        """The row's table cells, formatted once (a page has a few hundred)."""
        from .templatetags.figures_format import format_figure

        return [format_figure(self.value(key), kind) for key, _label, kind in TABLE_COLUMNS]


@dataclass
class Report:
    area: Area
    period: Period
    category: Category | None
    department: Department | None
    summary: rollups.Figures
    children: list[Row] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)
    top_categories: list[Category] = field(default_factory=list)
    departments_total: int = 0  # departments with figures, of which `departments` may show the busiest


def category_name(category: Category, lang: str | None = None) -> str:
    if lang == "en" and category.name_en:
        return category.name_en
    return category.name


def build(
    area: Area,
    period: Period,
    *,
    category=None,
    department=None,
    lang=None,
    categories=None,
    departments=None,
    department_rows: int | None = None,
) -> Report:
    """The figures of an area for a period, with its child areas, departments, categories and months.

    Filtered by a category or a department, the child table is read from the same split (for a
    community's grids: from each grid's cases, a community has about ten grids); the other tables have
    no such split in the rollups. `department_rows`: keep only that many departments, the busiest
    (report.departments_total says how many there were).
    """
    start, end = period.start, period.end
    summary = rollups.figures(area, start=start, end=end, category=category, department=department)
    report = Report(area, period, category, department, summary)
    report.top_categories = categories if categories is not None else top_categories()
    children = list(Area.objects.filter(parent=area, level__in=rollups.ROLLUP_LEVELS).order_by("code"))
    if category is None and department is None:
        by_child = rollups.breakdown(area, by="child", start=start, end=end)
    else:
        by_child = rollups.by_area(children, start, end, category=category, department=department)
    report.children = [
        Row(c.pk, c.name, by_child.get(c.pk) or rollups.Figures(dict(EMPTY)), code=c.code) for c in children
    ]
    if category is None and department is None:
        by_dept = rollups.breakdown(area, by="department", start=start, end=end)
        report.departments_total = len(by_dept)
        busiest = busiest_departments(by_dept, department_rows)
        depts = {d.pk: d for d in departments or ()}
        missing = [pk for pk in busiest if pk not in depts]
        if missing:
            depts.update(Department.objects.in_bulk(missing))
        report.departments = sorted(
            (Row(pk, depts[pk].name if pk in depts else str(pk), f) for pk, f in busiest.items()),
            key=lambda r: (-r.figures.reported, r.label),
        )
        by_cat = rollups.breakdown(area, by="category", start=start, end=end)
        cats = {c.pk: c for c in report.top_categories}
        report.categories = sorted(
            (
                Row(pk, category_name(cats[pk], lang) if pk in cats else str(pk), f, code=cats[pk].code)
                for pk, f in by_cat.items()
                if pk in cats
            ),
            key=lambda r: r.code,
        )
        by_month = rollups.breakdown(area, by="month", start=start, end=end)
        report.months = [Row(m, f"{m:%Y-%m}", f) for m, f in sorted(by_month.items())]
    return report


def busiest_departments(by_dept: dict, rows: int | None) -> dict:
    """The `rows` departments of `by_dept` (department id → Figures) with the most cases reported
    (ties: the lower id), or all of them when `rows` is None."""
    if rows is None or len(by_dept) <= rows:
        return by_dept
    ranked = sorted(by_dept.items(), key=lambda kv: (-kv[1].reported, kv[0]))[:rows]
    return dict(ranked)


def top_categories() -> list[Category]:
    """The top-level categories: the rollups' category grain."""
    return list(Category.objects.filter(parent__isnull=True).order_by("sort", "code"))


def departments_for(area: Area) -> list[Department]:
    """Departments that may appear in an area's figures: those of its district (jurisdiction)."""
    # The areas under this one as a subquery (the path index finds them), not a join: joined, every
    # department met every area of a province's tree (50 ms at 85,000 grids; 7 ms this way).
    below = Area.objects.filter(path__startswith=area.path).values("id")
    return list(
        Department.objects.filter(Q(jurisdiction=area.jurisdiction) | Q(area_id__in=below)).order_by("code")[:300]
    )
