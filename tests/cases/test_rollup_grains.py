"""The rollup grains (decision 0060): category and department rows down to communities, one total row
a grid a month, and a grid's splits from its cases. Every figure at grid level is checked against the
sum of contribution() over the grid's cases, computed here in Python; the tables against a rebuild;
the migration's conversion against a rebuild."""

import importlib
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from civicgrid.areas.models import Area, Level
from civicgrid.cases import rollups
from civicgrid.cases.models import Case, CategoryRollup, DepartmentRollup, GridRollup

from .test_rollups_rebuild import many, snapshot  # noqa: F401  (the fixture of cases of every shape)

MONTHS = [(None, None), (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30))]


def expected(grid: Area, start=None, end=None, *, category=None, department=None, by=None) -> dict:
    """The sum of contribution() over the grid's cases, split by `by` ("category", "department",
    "month" or None), each key's counters with every counter present."""
    out: dict = defaultdict(lambda: dict.fromkeys(rollups.COUNTERS, 0))
    for case in Case.objects.all():
        (month, path, category_id, department_id), counters = rollups.contribution(case)
        month = date.fromisoformat(month)
        if not path.startswith(grid.path):
            continue
        if (start and month < date(start.year, start.month, 1)) or (end and month > end):
            continue
        if (category is not None and category_id != category) or (
            department is not None and department_id != department
        ):
            continue
        if by == "department" and department_id is None:
            continue
        key = {"category": category_id, "department": department_id, "month": month, None: None}[by]
        for name, n in counters.items():
            out[key][name] += n
    return dict(out)


def grids():
    return list(Area.objects.filter(level=Level.GRID).order_by("code"))


def test_grids_have_totals_only_and_every_level_above_them_has_splits(city, many):  # noqa: F811
    assert not CategoryRollup.objects.filter(area__level=Level.GRID).exists()
    assert not DepartmentRollup.objects.filter(area__level=Level.GRID).exists()
    assert set(GridRollup.objects.values_list("area__level", flat=True)) == {Level.GRID}
    levels = set(CategoryRollup.objects.values_list("area__level", flat=True))
    assert levels == {Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY}
    # A community's totals are the sum of its grids' plus the cases placed at the community itself.
    grid_sum = sum(r.reported for r in GridRollup.objects.filter(area__parent=city.community))
    assert rollups.figures(city.community).reported == grid_sum + 1  # "community"


def test_every_grid_figure_equals_the_sum_over_its_cases(city, many):  # noqa: F811
    category_ids = set(Case.objects.values_list("top_category_id", flat=True))
    department_ids = set(Case.objects.exclude(department=None).values_list("department_id", flat=True))
    checked = 0
    for grid in grids():
        for start, end in MONTHS:
            total = expected(grid, start, end).get(None, dict.fromkeys(rollups.COUNTERS, 0))
            assert rollups.figures(grid, start=start, end=end).counts == total
            assert rollups.figures(grid.pk, start=start, end=end).counts == total
            for category_id in category_ids:
                want = expected(grid, start, end, category=category_id).get(
                    None, dict.fromkeys(rollups.COUNTERS, 0)
                )
                assert rollups.figures(grid, start=start, end=end, category=category_id).counts == want
            for department_id in department_ids:
                want = expected(grid, start, end, department=department_id)
                got = rollups.figures(grid, start=start, end=end, department=department_id).counts
                assert got == want.get(None, dict.fromkeys(rollups.COUNTERS, 0))
            for by in ("category", "department", "month"):
                got = {k: f.counts for k, f in rollups.breakdown(grid, by=by, start=start, end=end).items()}
                assert got == expected(grid, start, end, by=by)
                checked += len(got)
    assert checked > 10  # the fixture's grids have cases in several categories, departments and months


def test_a_grid_split_by_child_area_and_the_by_area_reader_agree_with_the_cases(city, cats, many):  # noqa: F811
    children = rollups.breakdown(city.community, by="child")
    assert set(children) == {city.grid.pk, city.grid_x.pk}
    for grid in (city.grid, city.grid_x):
        assert children[grid.pk].counts == expected(grid)[None]
    rubbish = cats.rubbish.parent_id
    split = rollups.by_area(grids() + [city.community, city.street], category=rubbish)
    for grid in grids():
        want = expected(grid, category=rubbish)
        assert (split[grid.pk].counts if grid.pk in split else None) == (want[None] if want else None)
    assert split[city.street.pk].counts == rollups.figures(city.street, category=rubbish).counts
    by_dept = rollups.by_area(grids(), department=city.dept2)
    assert by_dept[city.grid_x.pk].reported == 1  # "moved", now with the second department


def test_rebuild_equals_the_folded_deltas_in_all_three_tables(city, many):  # noqa: F811
    folded = snapshot()
    assert folded[2]  # grid rows
    rollups.rebuild()
    assert snapshot() == folded


def test_the_migration_converts_old_grid_rows_to_the_totals_a_rebuild_writes(city, many):  # noqa: F811
    rebuilt = snapshot()
    # The old grain: a grid's rows split by category and by department, no total row.
    for grid in grids():
        for month in rollups.breakdown(grid, by="month"):
            for model, by in ((CategoryRollup, "category"), (DepartmentRollup, "department")):
                for key, f in rollups.breakdown(grid, by=by, start=month, end=month).items():
                    model.objects.create(
                        month=month,
                        area=grid,
                        jurisdiction=grid.jurisdiction,
                        **{f"{by}_id": key},
                        **f.counts,
                    )
    GridRollup.objects.all().delete()
    migration = importlib.import_module("civicgrid.cases.migrations.0011_rollup_grains")
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.convert_grid_rows(apps, editor)
    assert snapshot() == rebuilt
