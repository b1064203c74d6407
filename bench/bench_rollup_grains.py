"""The rollup grains at province scale (decision 0060): rows and sizes of the tables, old grain vs new,
and p50/p95 of the figures pages' queries for every level and period.

    .venv/bin/python bench/bench_rollup_grains.py            # a private PostgreSQL under /tmp
    .venv/bin/python bench/bench_rollup_grains.py --database-url postgres://…/civicgrid_grains

What it builds (in SQL, in a database of its own, migrated):
- a province-shaped area tree: 1 province × 11 cities × 8 districts × 16 streets × 6 communities ×
  10 grids = 84,480 grids, 8,448 communities; 12 lead departments per district;
- the rollup rows of five years (60 months) of about 12 cases per grid per month, about 61 million
  cases, generated straight from a synthetic distribution with generate_series: each (grid, top
  category) cell of the first month gets 0–3 cases (a hash of the two), all of one of its district's
  departments, and counters derived from them; the rows of every level are the sums of those cells,
  as the incremental upkeep and `rollups.rebuild()` would write them from real cases; the other 59
  months' rows are copies of the first month's (the same counts every month: the figures' cost
  depends on the rows' number and layout, not their values; generating each month took 40 s). The cells
  themselves are never stored; the old grain's grid rows (grid × month × category and grid × month
  × department) are counted from the same cells and their size estimated at the new category
  table's bytes per row, since building them (≈80 million rows) would take the machine's disk and
  most of an hour;
- real cases for one district's grids only (`--case-grids`, 720 per grid over the five years,
  interleaved in report order as intake writes them), because a grid's category and department
  splits are now read from its cases by the path-prefix index. The table is far smaller than a
  province's 60 million cases: a B-tree one level shallower (one page read less per query), said here
  rather than hidden.

Then it times, for the province, a city, a district, a street, a community and a grid (several areas
each, the lower levels inside the district that has cases), for a month, a quarter, a year and five
years, what the figures page computes (`dashboard.figures.build`: the summary, the child areas, the
departments, the categories and the months), the same page filtered by one category and by one
department, and the indicators' per-area read (`rollups.by_area` over the children, as
indices.metrics does). Warm cache: each query is run once before being timed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

FANOUT = {"city": 11, "district": 8, "street": 16, "community": 6, "grid": 10}
DEPARTMENTS_PER_DISTRICT = 12
MONTHS = 60
FIRST_MONTH = date(2021, 12, 1)
CASES_PER_GRID = 720  # 12 a month for five years
ROLLUP_TABLES = ["cases_categoryrollup", "cases_departmentrollup", "cases_gridrollup"]


def add_months(month: date, n: int) -> date:
    m = month.year * 12 + month.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


LAST_MONTH = add_months(FIRST_MONTH, MONTHS - 1)


def build_areas(cursor) -> None:
    """The province tree and its departments, written with COPY."""
    from civicgrid.areas.models import Area

    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM areas_area")
    next_id = cursor.fetchone()[0] + 1
    rows = []

    def add(level, code, name, parent, jurisdiction):
        nonlocal next_id
        path = (parent[5] if parent else "") + code + "/"
        row = (next_id, level, parent[0] if parent else None, code, name, path, jurisdiction)
        rows.append(row)
        next_id += 1
        return row

    province = add("city", "33", "省", None, "33")
    districts = []
    for c in range(1, FANOUT["city"] + 1):
        city_code = f"33{c:02d}"
        city = add("city", city_code, f"市{c}", province, city_code)
        for d in range(1, FANOUT["district"] + 1):
            dcode = f"{city_code}{d:02d}"
            district = add("district", dcode, f"区{dcode}", city, dcode)
            districts.append(district)
            for s in range(1, FANOUT["street"] + 1):
                street = add("street", f"{dcode}{s:03d}", f"街道{dcode}{s:03d}", district, dcode)
                for m in range(1, FANOUT["community"] + 1):
                    community = add(
                        "community", f"{street[3]}{m:03d}", f"社区{street[3]}{m:03d}", street, dcode
                    )
                    for g in range(1, FANOUT["grid"] + 1):
                        add("grid", f"{community[3]}{g:03d}", f"网格{community[3]}{g:03d}", community, dcode)
    defaults = {
        f.column: f.get_default()
        for f in Area._meta.concrete_fields
        if f.column not in ("id", "level", "parent_id", "code", "name", "path", "jurisdiction") and not f.null
    }
    extra = list(defaults)
    cols = ["id", "level", "parent_id", "code", "name", "path", "jurisdiction", *extra]
    with cursor.copy(f"COPY areas_area ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([*row, *(defaults[c] for c in extra)])
    cursor.execute("SELECT setval(pg_get_serial_sequence('areas_area', 'id'), %s)", [next_id])
    from civicgrid.people.models import Department

    dept_defaults = {
        f.column: f.get_default()
        for f in Department._meta.concrete_fields
        if f.column not in ("id", "code", "name", "area_id", "jurisdiction") and not f.null
    }
    dcols = ["code", "name", "area_id", "jurisdiction", *dept_defaults]
    with cursor.copy(f"COPY {Department._meta.db_table} ({', '.join(dcols)}) FROM STDIN") as copy:
        for district in districts:
            for i in range(DEPARTMENTS_PER_DISTRICT):
                copy.write_row(
                    [
                        f"D{district[3]}{i:02d}",
                        f"部门{district[3]}-{i}",
                        district[0],
                        district[6],
                        *dept_defaults.values(),
                    ]
                )


# The counters of one synthetic (grid, month, category) cell of r cases, h a hash of the three.
CELL = {
    "reported": "r",
    "not_accepted": "(CASE WHEN (h >> 3) & 31 = 0 THEN least(r, 1) ELSE 0 END)",
    "merged": "0",
    "settled_on_spot": "(CASE WHEN (h >> 8) & 7 = 0 THEN least(r, 1) ELSE 0 END)",
    "responded": "r",
    "responded_on_time": "greatest(r - ((h >> 6) & 1), 0)",
    "closed": "greatest(r - ((h >> 4) & 1), 0)",
    "closed_on_time": "greatest(r - ((h >> 4) & 1) - ((h >> 5) & 1), 0)",
    "closed_reworked": "(CASE WHEN (h >> 9) & 7 = 0 AND r > ((h >> 4) & 1) THEN 1 ELSE 0 END)",
    "closed_unsatisfied": "0",
    "overdue_open": "least(r, (h >> 4) & 1) * ((h >> 10) & 1)",
    "on_hold": "0",
    "rated": "greatest(r - ((h >> 4) & 1), 0)",
    "satisfied": "greatest(r - ((h >> 4) & 1) - ((h >> 7) & 1), 0)",
    "basically": "least(greatest(r - ((h >> 4) & 1), 0), (h >> 7) & 1)",
    "unsatisfied": "0",
    "close_seconds": "greatest(r - ((h >> 4) & 1), 0)::bigint * (86400 + (h & 65535))",
}


def build_rollups(cursor, counters) -> dict:
    """One month per statement group: the grid totals, the communities' category and department rows,
    then every level above summed from the communities'. Returns the old grain's grid row counts."""
    cursor.execute(
        "CREATE TEMPORARY TABLE bench_grids AS SELECT g.id AS grid, g.parent_id AS community, g.jurisdiction, "
        "(SELECT min(d.id) FROM people_department d WHERE d.jurisdiction = g.jurisdiction) AS dept0, "
        "row_number() OVER (ORDER BY g.id) AS n FROM areas_area g WHERE g.level = 'grid'"
    )
    cursor.execute("SELECT id FROM cases_category WHERE parent_id IS NULL ORDER BY id")
    cats = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "CREATE TEMPORARY TABLE bench_up AS SELECT c.id AS community, s.id AS street, d.id AS district, "
        "y.id AS city, y.parent_id AS province FROM areas_area c JOIN areas_area s ON s.id = c.parent_id "
        "JOIN areas_area d ON d.id = s.parent_id JOIN areas_area y ON y.id = d.parent_id WHERE c.level = 'community'"
    )
    cursor.execute("SELECT id, jurisdiction FROM areas_area WHERE level IN ('city', 'district')")
    cols = ", ".join(counters)
    cell_cols = ", ".join(f"{CELL[c]} AS {c}" for c in counters)
    sums = ", ".join(f"SUM({c})" for c in counters)
    old = {"grid_category": 0, "grid_department": 0}
    cells = (
        "SELECT b.grid, b.community, b.jurisdiction, %(month)s::date AS month, cat, "
        f"b.dept0 + ((cat * 5 + b.n + %(m)s) %% {DEPARTMENTS_PER_DISTRICT}) AS dept, {cell_cols} "
        "FROM bench_grids b CROSS JOIN unnest(%(cats)s::bigint[]) AS cat "
        "CROSS JOIN LATERAL (SELECT hashint8(b.grid * 1000 + %(m)s * 10 + cat) & 2147483647 AS h) hh "
        "CROSS JOIN LATERAL (SELECT (h & 3)::int AS r) rr WHERE r > 0"
    )
    # The first month from the cells; the other months are copies of its rows (the same counts a
    # month): generating 60 months of cells takes most of an hour on this shared machine, and the
    # figures' cost depends on the rows' number and layout, not on their values.
    p = {"month": FIRST_MONTH, "m": 0, "cats": cats}
    cursor.execute(f"CREATE TEMPORARY TABLE bench_cells AS {cells}", p)
    cursor.execute(
        f"INSERT INTO cases_gridrollup (month, area_id, jurisdiction, {cols}) "
        f"SELECT month, grid, MAX(jurisdiction), {sums} FROM bench_cells GROUP BY month, grid"
    )
    for table, dim in (("cases_categoryrollup", "cat"), ("cases_departmentrollup", "dept")):
        column = "category_id" if dim == "cat" else "department_id"
        cursor.execute(
            f"CREATE TEMPORARY TABLE bench_comm AS SELECT month, community, MAX(jurisdiction) AS jurisdiction, "
            f"{dim} AS dim, {', '.join(f'SUM({c}) AS {c}' for c in counters)} FROM bench_cells "
            f"GROUP BY month, community, {dim}"
        )
        cursor.execute(
            f"INSERT INTO {table} (month, area_id, jurisdiction, {column}, {cols}) "
            f"SELECT month, community, jurisdiction, dim, {cols} FROM bench_comm"
        )
        for level in ("street", "district", "city", "province"):
            juris = "MAX(c.jurisdiction)" if level == "street" else "MAX(a.jurisdiction)"
            cursor.execute(
                f"INSERT INTO {table} (month, area_id, jurisdiction, {column}, {cols}) "
                f"SELECT c.month, u.{level}, {juris}, c.dim, {sums} FROM bench_comm c "
                f"JOIN bench_up u ON u.community = c.community JOIN areas_area a ON a.id = u.{level} "
                f"GROUP BY c.month, u.{level}, c.dim"
            )
        cursor.execute("DROP TABLE bench_comm")
    cursor.execute("SELECT count(*), count(DISTINCT (grid, dept)) FROM bench_cells")
    n_cat, n_dept = cursor.fetchone()
    old["grid_category"] = n_cat * MONTHS
    old["grid_department"] = n_dept * MONTHS
    cursor.execute("DROP TABLE bench_cells")
    for i in range(1, MONTHS):
        month = add_months(FIRST_MONTH, i)
        for table, dim in (
            ("cases_gridrollup", ""),
            ("cases_categoryrollup", "category_id, "),
            ("cases_departmentrollup", "department_id, "),
        ):
            cursor.execute(
                f"INSERT INTO {table} (month, area_id, jurisdiction, {dim}{cols}) "
                f"SELECT %s, area_id, jurisdiction, {dim}{cols} FROM {table} WHERE month = %s",
                [month, FIRST_MONTH],
            )
        if i % 12 == 11:
            harness.say(f"  rollup rows: {i + 1} of {MONTHS} months")
    return old


def add_cases(cursor, district_code: str) -> int:
    """CASES_PER_GRID real cases in each grid of one district, interleaved in report order."""
    from civicgrid.cases.models import Case

    cursor.execute(
        "SELECT id, path FROM areas_area WHERE level = 'grid' AND jurisdiction = %s ORDER BY id",
        [district_code],
    )
    grids = cursor.fetchall()
    cursor.execute("SELECT id, parent_id FROM cases_category WHERE parent_id IS NOT NULL ORDER BY id")
    subs = cursor.fetchall()
    cursor.execute("SELECT id FROM people_department WHERE jurisdiction = %s ORDER BY id", [district_code])
    depts = [r[0] for r in cursor.fetchall()]
    n = len(grids) * CASES_PER_GRID
    cursor.execute(
        "CREATE TEMPORARY TABLE bench_case_grids AS SELECT * FROM unnest(%s::bigint[], %s::text[]) "
        "WITH ORDINALITY AS t(id, path, k)",
        [[g[0] for g in grids], [g[1] for g in grids]],
    )
    step = (
        f"(timestamptz '{FIRST_MONTH.isoformat()} 00:00+08' + (g / {len(grids)}) * "
        f"(interval '1826 days' / {CASES_PER_GRID}) + mod(g, 3600) * interval '1 second')"
    )
    closed = "(mod(g, 20) < 18)"
    values = {
        "follow_token_hash": "md5('grains-' || g::text)",
        "channel": "(ARRAY['resident_app','grid_patrol','hotline','household_visit'])[1 + mod(g, 4)]",
        "kind": "'coordination'",
        "is_errand": "false",
        "category_id": f"(%(sub_ids)s::bigint[])[1 + mod(g, {len(subs)})]",
        "top_category_id": f"(%(sub_tops)s::bigint[])[1 + mod(g, {len(subs)})]",
        "grid_id": "cg.id",
        "path": "cg.path",
        "department_id": f"(%(depts)s::bigint[])[1 + mod(g / 7, {len(depts)})]",
        "address": "''",
        "title": "'事件'",
        "description": "'事件描述'",
        "contact_name": "''",
        "contact_phone": "''",
        "contact_email": "''",
        "state": f"(CASE WHEN {closed} THEN 'closed' WHEN mod(g, 20) = 18 THEN 'in_progress' ELSE 'dispatched' END)",
        "level": "'street'",
        "reported_at": step,
        "reported_month": f"date_trunc('month', {step} AT TIME ZONE 'Asia/Shanghai')::date",
        "registered_at": step,
        "dispatched_at": f"{step} + interval '1 hour'",
        "respond_due": f"{step} + interval '8 hours'",
        "resolve_due": f"{step} + interval '3 days'",
        "responded_at": f"{step} + (mod(g, 11)) * interval '1 hour'",
        "handled_at": f"(CASE WHEN {closed} THEN {step} + (mod(g, 97)) * interval '1 hour' END)",
        "verified_at": f"(CASE WHEN {closed} THEN {step} + (mod(g, 97) + 2) * interval '1 hour' END)",
        "closed_at": f"(CASE WHEN {closed} THEN {step} + (mod(g, 97) + 2) * interval '1 hour' END)",
        "rating": f"(CASE WHEN {closed} AND mod(g, 3) > 0 THEN (ARRAY['satisfied','satisfied','satisfied',"
        "'basically','unsatisfied'])[1 + mod(g, 5)] ELSE '' END)",
        "rated_at": f"(CASE WHEN {closed} AND mod(g, 3) > 0 THEN {step} + interval '5 days' END)",
        "result": "''",
        "not_accepted_reason": "''",
        "rating_comment": "''",
        "deliberation_note": "''",
        "reopen_count": "0",
        "rework_count": "(CASE WHEN mod(g, 17) = 0 THEN 1 ELSE 0 END)",
        "public": "true",
        "version": "5",
        "jurisdiction": f"'{district_code}'",
    }
    fields = [f for f in Case._meta.concrete_fields if f.column != "id"]
    missing = [f.column for f in fields if f.column not in values and not f.null]
    for column in missing:  # a column added since (NOT NULL, no database default): its model default
        field = next(f for f in fields if f.column == column)
        default = field.get_default()
        values[column] = (
            "''"
            if default == ""
            else ("true" if default is True else "false" if default is False else str(default))
        )
    columns = [f.column for f in fields if f.column in values]
    cursor.execute(
        f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values[c] for c in columns)} FROM generate_series(0, %(n)s - 1) AS g "
        f"JOIN bench_case_grids cg ON cg.k = 1 + mod(g, {len(grids)})",
        {"n": n, "sub_ids": [s[0] for s in subs], "sub_tops": [s[1] for s in subs], "depts": depts},
    )
    return n


def drop_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' unique constraints and secondary indexes (the primary keys stay) and return
    the statements that make them again: built once after the load, they cost a fraction of keeping
    them up row by row."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in constraints
    ]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="use this PostgreSQL database instead of a private server")
    parser.add_argument(
        "--datadir", default=str(Path(tempfile.gettempdir()) / "civicgrid_bench_rollup_grains")
    )
    parser.add_argument("--areas", type=int, default=6, help="areas timed per level (province: 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per area and period")
    parser.add_argument("--fresh", action="store_true", help="drop the built data and build again")
    args = parser.parse_args()

    server = None
    if args.database_url:
        url = args.database_url
        harness.ensure_database(url)
    else:
        server = harness.PrivatePostgres(args.datadir, harness.free_port()).start()
        url = server.url
    try:
        return run(url, args)
    finally:
        if server is not None:
            server.stop()


def run(url: str, args) -> int:
    harness.setup_django(url)
    from django.db import connection

    if args.fresh:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    harness.say("migrating …")
    harness.civicgrid(url, "migrate", "--verbosity", "0")
    from civicgrid.areas.models import Area, Level
    from civicgrid.cases import rollups
    from civicgrid.cases.models import Case, CategoryRollup, DepartmentRollup, GridRollup
    from civicgrid.dashboard import figures as page
    from civicgrid.people.models import Department

    district_code = "330101"  # the district whose grids get real cases
    if not GridRollup.objects.exists():
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET work_mem = '256MB'")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            build_areas(cursor)
            # Foreign keys are not checked row by row during the load (the rows point at the areas,
            # categories and departments just written), and the indexes are built once at the end.
            cursor.execute("SET session_replication_role = replica")
            remake = drop_indexes(cursor, [*ROLLUP_TABLES, Case._meta.db_table])
            harness.say(f"areas built in {time.perf_counter() - t0:.0f} s; rollup rows …")
            old = build_rollups(cursor, rollups.COUNTERS)
            cursor.execute("CREATE TABLE bench_grains_old (name text PRIMARY KEY, n bigint)")
            cursor.execute(
                "INSERT INTO bench_grains_old VALUES ('grid_category', %s), ('grid_department', %s)",
                [old["grid_category"], old["grid_department"]],
            )
            harness.say(
                f"rollups built in {time.perf_counter() - t0:.0f} s; cases of district {district_code} …"
            )
            n = add_cases(cursor, district_code)
            harness.say(f"{n:,} cases added; {time.perf_counter() - t0:.0f} s so far; indexes …")
            cursor.execute("SET session_replication_role = origin")
            for statement in remake:
                cursor.execute(statement)
            harness.say(f"indexes built; {time.perf_counter() - t0:.0f} s so far; VACUUM ANALYZE …")
        with connection.cursor() as cursor:
            for table in (
                "cases_gridrollup",
                "cases_categoryrollup",
                "cases_departmentrollup",
                Case._meta.db_table,
                "areas_area",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        harness.say(f"built in {time.perf_counter() - t0:.0f} s")

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, n FROM bench_grains_old")
        old = dict(cursor.fetchall())

    def size(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            return cursor.fetchone()[0]

    cat_rows, dept_rows, grid_rows = (
        m.objects.count() for m in (CategoryRollup, DepartmentRollup, GridRollup)
    )
    cat_size, dept_size, grid_size = (
        size(t) for t in ("cases_categoryrollup", "cases_departmentrollup", "cases_gridrollup")
    )
    per_row = cat_size / cat_rows
    grids_n = Area.objects.filter(level=Level.GRID).count()
    harness.say()
    communities = Area.objects.filter(level=Level.COMMUNITY).count()
    harness.say(
        f"province: {grids_n:,} grids, {communities:,} communities, {MONTHS} months; "
        f"{Case.objects.count():,} real cases (district {district_code})"
    )
    from django.db.models import Sum

    total_cases = GridRollup.objects.aggregate(n=Sum("reported"))["n"]
    harness.say(f"cases counted by the rollups (synthetic): {total_cases:,}")
    harness.say()
    harness.say(f"{'table':<34}{'old grain rows':>16}{'new grain rows':>16}{'new size':>12}")
    old_cat = cat_rows + old["grid_category"]
    old_dept = dept_rows + old["grid_department"]
    harness.say(
        f"{'category (month, area, category)':<34}{old_cat:>16,}{cat_rows:>16,}{cat_size / 2**20:>10.0f}MB"
    )
    harness.say(
        f"{'department (month, area, dept)':<34}{old_dept:>16,}{dept_rows:>16,}{dept_size / 2**20:>10.0f}MB"
    )
    harness.say(f"{'grid totals (month, grid)':<34}{0:>16,}{grid_rows:>16,}{grid_size / 2**20:>10.0f}MB")
    new_total, old_total = cat_rows + dept_rows + grid_rows, old_cat + old_dept
    new_bytes = cat_size + dept_size + grid_size
    harness.say(f"{'all':<34}{old_total:>16,}{new_total:>16,}{new_bytes / 2**20:>10.0f}MB")
    harness.say(
        f"old grain ≈ {old_total * per_row / 2**30:.1f} GB (at the category table's {per_row:.0f} bytes a row, "
        f"indexes included); new {new_bytes / 2**30:.2f} GB: {old_total / new_total:.1f}× fewer rows"
    )

    # --- timing --------------------------------------------------------------------------------
    rng = random.Random(15)
    district = Area.objects.get(code=district_code)
    province = Area.objects.get(code="33")
    pick = {
        "province": [province],
        "city": rng.sample(list(Area.objects.filter(parent=province)), args.areas),
        "district": rng.sample(list(Area.objects.filter(level=Level.DISTRICT)), args.areas),
    }
    for level in (Level.STREET, Level.COMMUNITY, Level.GRID):
        inside = list(Area.objects.filter(level=level, path__startswith=district.path))
        pick[str(level)] = rng.sample(inside, args.areas)
    periods = {
        "month": page.Period(LAST_MONTH, LAST_MONTH),
        "quarter": page.Period(add_months(LAST_MONTH, -2), LAST_MONTH),
        "year": page.Period(add_months(LAST_MONTH, -11), LAST_MONTH),
        "5 years": page.Period(FIRST_MONTH, LAST_MONTH),
    }
    categories = page.top_categories()

    def variants(area):
        dept = (
            Department.objects.filter(jurisdiction=area.jurisdiction).order_by("id").first()
            or Department.objects.order_by("id").first()
        )
        children = list(Area.objects.filter(parent=area, level__in=rollups.ROLLUP_LEVELS))
        cat = categories[rng.randrange(len(categories))]
        return {
            "page": lambda p: page.build(area, p, categories=categories),
            "page by category": lambda p: page.build(area, p, category=cat, categories=categories),
            "page by department": lambda p: page.build(area, p, department=dept, categories=categories),
            "indicators (children)": lambda p: rollups.by_area(children or [area], p.start, p.end),
        }

    names = ["page", "page by category", "page by department", "indicators (children)"]
    harness.say()
    harness.say(f"warm cache; {args.areas} areas per level (province 1) × {args.repeat} runs; ms p50 / p95")
    harness.say(f"{'level':<10}{'period':<9}" + "".join(f"{n:>24}" for n in names))
    worst = 0.0
    for level, areas in pick.items():
        prepared = [variants(a) for a in areas]
        for pname, period in periods.items():
            times: dict[str, list[float]] = {n: [] for n in names}
            for v in prepared:
                for n in names:
                    v[n](period)  # warm
                    for _ in range(args.repeat if level != "province" else args.repeat * args.areas):
                        t = time.perf_counter()
                        v[n](period)
                        times[n].append((time.perf_counter() - t) * 1000)
            cells = []
            for n in names:
                p95 = pct(times[n], 0.95)
                worst = max(worst, p95)
                cells.append(f"{statistics.median(times[n]):.1f} / {p95:.1f}")
            harness.say(f"{level:<10}{pname:<9}" + "".join(f"{c:>24}" for c in cells))
    harness.say()
    harness.say(f"slowest p95 of any figures query: {worst:.1f} ms (target < 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
