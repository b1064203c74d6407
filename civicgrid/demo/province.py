"""`civicgrid demo --scale province`: a province in PostgreSQL, and five years of its cases.

The tree: 11 cities → ~90 districts → ~1,300 streets → ~8,500 communities → ~85,000 grids
(about 294 households each, ~25 million in all). Households are an aggregate count per grid
(`Area.households_count`), not rows: the figures and staff pages read counts, never household
rows, and 25 million synthetic rows would add ~4 GB and ~10 minutes for nothing a page shows.
There is no province level in the area tree (the rollups' levels end at the city): the province
is its 11 city roots; a province-wide figure is the sum of theirs.

Cases: the city-scale walker (steps/cases.py `Year.make`) walks a few thousand *templates* through
the loop, each reported in one reference week about two months ago (so each ends as an old case
would: mostly closed, a few on hold, in progress or rework). A month of cases is then made in the
server, set-based, by shifting templates back by whole weeks (which keeps each timestamp's weekday
and time of day, so working-hour deadlines stay on working hours; statutory holidays are not
re-checked) and placing each on a grid chosen by hash: `INSERT … SELECT` from the templates, the
grids and a generated series. The last 60 days are walked case by case (their states depend on their
age) and inserted once each. Templates, grids and departments go in with COPY.

Resumable: every month is one transaction that also records the month in DemoRun.steps, so an
interruption rolls the half-written month back and a re-run skips the months recorded. The bulk
tables' secondary indexes (read from pg_indexes, not from a fixed list) are dropped before the
first month and their definitions kept in a table, so they are recreated at the end even after an
interruption. Then cases/rollups.rebuild() fills the rollups and ANALYZE runs.

`jobs` (`--jobs`, default one per CPU): the months, the index builds and the rollup months run on
that many connections at once (core/parallel.py); the case numbers of every month are handed out
before, in month order, so that the rows are those of a load through one connection.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, GridKind, Level
from civicgrid.cases import partitions, rollups, sweeps
from civicgrid.cases.models import Case, CaseEvent, Category, ExtensionRequest, SupervisionOrder
from civicgrid.core import caches, parallel
from civicgrid.core.bulk import BulkLoader
from civicgrid.demo.city import STREET_DEPARTMENTS
from civicgrid.demo.models import DemoRun
from civicgrid.people.models import Department

# Rules as data: the full province, and how the loader works through it.
FULL = {"cities": 11, "districts": 90, "streets": 1300, "communities_per_street": (6, 7), "grids_per_community": 10}
CASES_PER_YEAR = 12_000_000  # Zhejiang's grids: 12.1 million items in 2022
TEMPLATES = 4000
RECENT_DAYS = 60
RECENT_TEMPLATES = 12_000  # walked one by one; the recent cases are drawn from them (same times, other grids)
REFERENCE_WEEK_AGO = timedelta(days=67)  # the templates are reported in [now − 67 d, now − 60 d)
BULK_TABLES = ("cases_case", "cases_caseevent", "cases_supervisionorder", "cases_extensionrequest")
CITY_NAMES = "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水".split()
PREFIX = "province:"  # DemoRun.steps entries of this loader

T_CASE, T_EVENT, T_ORDER, T_EXT = (
    "demo_province_case",
    "demo_province_event",
    "demo_province_order",
    "demo_province_extension",
)
T_GRID, T_INDEX, T_META = "demo_province_grid", "demo_province_index", "demo_province_meta"


@dataclass(frozen=True)
class Size:
    fraction: float = 1.0
    years: float = 5.0
    cases_per_year: int | None = None  # default: CASES_PER_YEAR × fraction

    @property
    def per_year(self) -> int:
        return self.cases_per_year if self.cases_per_year is not None else round(CASES_PER_YEAR * self.fraction)

    def tree(self) -> dict[str, int]:
        streets = max(1, round(FULL["streets"] * self.fraction))
        districts = max(1, min(streets, round(FULL["districts"] * self.fraction)))
        cities = max(1, min(FULL["cities"], districts))
        return {"cities": cities, "districts": districts, "streets": streets}


def refuse_unless_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            _(
                "The province scale loads tens of millions of rows with COPY and needs PostgreSQL; "
                "set CIVICGRID_DATABASE_URL to a PostgreSQL database."
            )
        )


class Bar:
    """One progress line per chunk: a bar, the share done, rows per second and the time left."""

    def __init__(self, write, total: int, label: str):
        self.write, self.total, self.label = write, max(total, 1), label
        self.done = 0
        self.rows = 0
        self.started = time.perf_counter()

    def step(self, n: int, rows: int, what: str) -> None:
        self.done += n
        self.rows += rows
        elapsed = time.perf_counter() - self.started
        share = min(self.done / self.total, 1.0)
        left = elapsed / share - elapsed if share else 0.0
        bar = "#" * round(share * 30) + "." * (30 - round(share * 30))
        self.write(
            f"  [{bar}] {share * 100:5.1f}% "
            + _("%(label)s %(what)s: %(rows)s rows, %(rate)s rows/s, about %(left)s left")
            % {
                "label": self.label,
                "what": what,
                "rows": f"{self.rows:,}",
                "rate": f"{self.rows / max(elapsed, 1e-9):,.0f}",
                "left": _clock(left),
            }
        )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _run() -> DemoRun:
    run = DemoRun.objects.order_by("pk").first()
    if run is None:
        if Area.objects.exists():
            raise CommandError(
                _(
                    "This database holds areas that the demo did not generate. `civicgrid demo --rebuild` "
                    "would delete all areas, people and Party data; run it only if that is what you want."
                )
            )
        run = DemoRun.objects.create(scale="province", seed=0)
    elif run.scale != "province":
        raise CommandError(
            _("This database holds a demo at scale %(scale)s; `civicgrid demo --rebuild --scale province` replaces it.")
            % {"scale": run.scale}
        )
    return run


def _mark(run: DemoRun, name: str) -> None:
    """Record step `name` as done, in the caller's transaction. Units on several connections mark the
    same row: its lock makes each read-modify-write wait until the one before has committed."""
    with transaction.atomic():
        steps = DemoRun.objects.select_for_update().filter(pk=run.pk).values_list("steps", flat=True).get()
        steps = [*steps, PREFIX + name]
        DemoRun.objects.filter(pk=run.pk).update(steps=steps)
    run.steps = steps  # as this unit saw it: load() reads the row again before its last mark


def load(write, size: Size, seed: int, stop_after: int | None = None, jobs: int = 1) -> dict[str, float]:
    """Load (or finish loading) the province; returns figures: seconds (whole and per phase), cases,
    rows and rows/s.

    `stop_after`: stop after that many months (for the resumability test and for a partial bench).
    `jobs`: how many connections work at once (months, index builds, the rollup months; see
    core/parallel.py); 1 (or SQLite, or a caller's open transaction) loads through this connection."""
    refuse_unless_postgresql()
    started = time.perf_counter()
    run = _run()
    if run.steps:
        seed = run.seed  # a resumed load goes on with the seed it began with
    else:
        run.seed = seed
        run.save(update_fields=["seed"])
    done = set(run.steps)
    if PREFIX + "done" in done:
        write(_("The province is loaded already; `civicgrid demo --rebuild --scale province` loads it again."))
        return {"seconds": 0.0, "rows": 0}
    if PREFIX + "tree" not in done:
        with transaction.atomic():
            counts = _tree(size, random.Random(f"province:{seed}"))
            _mark(run, "tree")
        write(_("Province tree: %(counts)s") % {"counts": ", ".join(f"{k} {v:,}" for k, v in counts.items())})
    if PREFIX + "templates" not in done:
        with transaction.atomic():
            n = _templates(size, random.Random(f"province-cases:{seed}"), write)
            _mark(run, "templates")
        write(_("Case templates walked through the loop: %(n)s") % {"n": f"{n:,}"})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT now FROM {T_META}")
        (now,) = cursor.fetchone()
    months = _months(now, size.years)
    todo = [m for m in months if f"{PREFIX}month:{m:%Y-%m}" not in done]
    recent_done = PREFIX + "recent" in done
    stopping = stop_after is not None and stop_after < len(todo)
    # The units of work: each month to do (or the first `stop_after`), then the recent cases.
    units: list[tuple[str, date | None, int]] = [(f"month:{m:%Y-%m}", m, _cases_in(m, size)) for m in todo[:stop_after]]
    if not recent_done and not stopping:
        units.append(("recent", None, round(size.per_year * RECENT_DAYS / 365)))
    if todo or not recent_done:
        _drop_indexes(write)
        with transaction.atomic():
            partitions.ensure(today=months[0], months_ahead=len(months) + 6)
    # Every unit's case numbers are handed out here, in order, before any unit runs (so that they
    # are those of a load one unit after the other), and the case table's ranges made for them all:
    # two units creating a range each in their own transactions could wait for each other.
    firsts = _reserve_case_ids([n for _name, _month, n in units])
    if units:
        with transaction.atomic():
            partitions.ensure_case_ranges()
    bar = Bar(write, len(units), _("cases"))
    rows = 0

    def expand(unit: tuple[str, date | None, int, int]) -> int:
        name, month, n, first = unit
        with transaction.atomic():
            made = _expand(month, n, seed, first)
            _mark(run, name)
        return made

    def expanded(unit: tuple[str, date | None, int, int], made: int) -> None:
        nonlocal rows
        rows += made
        month = unit[1]
        bar.step(1, made, f"{month:%Y-%m}" if month else _("last %(days)s days") % {"days": RECENT_DAYS})

    parallel.each_on_connections(jobs, [(*u, f) for u, f in zip(units, firsts, strict=True)], expand, expanded)
    if stopping:
        write(_("Stopped after %(n)s months, as asked; a re-run goes on from there.") % {"n": stop_after})
        return {"seconds": time.perf_counter() - started, "rows": rows, "stopped": 1}
    load_seconds = time.perf_counter() - started
    t = time.perf_counter()
    _recreate_indexes(write, jobs)
    index_seconds = time.perf_counter() - t
    with connection.cursor() as cursor:
        # Fresh statistics before the sweep's catch-up: on tables just filled, the planner's
        # estimates are those of empty tables, and each batch's plan was many times slower.
        t = time.perf_counter()
        cursor.execute("ANALYZE " + ", ".join(BULK_TABLES))
        analyze_seconds = time.perf_counter() - t
        write(_("Statistics of the bulk tables gathered in %(s).1f s.") % {"s": analyze_seconds})
    # Shifted back by weeks, open cases carry deadlines long past: the first sweep catches up as a
    # deployment's worker would have, so that the database is left as the worker keeps it.
    t = time.perf_counter()
    caches.clear_all()  # rows went in by SQL: this process's area caches may hold an earlier tree
    swept, _rounds = sweeps.sweep_all()
    sweep_seconds = time.perf_counter() - t
    write(_("Deadline sweep caught up in %(s).1f s: %(counts)s") % {"s": sweep_seconds, "counts": swept})
    t = time.perf_counter()
    months_bar = Bar(write, len(rollups.months_to_rebuild()), _("rollups"))
    # Not in a transaction of this connection: the rebuild's months commit one by one (on `jobs`
    # connections of their own); interrupted, a re-run rebuilds them all again.
    counted = rollups.rebuild(progress=lambda month, n, _s: months_bar.step(1, n, f"{month:%Y-%m}"), jobs=jobs)
    rollup_seconds = time.perf_counter() - t
    write(_("Rollups rebuilt from %(n)s cases in %(s).1f s.") % {"n": f"{counted:,}", "s": rollup_seconds})
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
        cursor.execute("ANALYZE")
    run.refresh_from_db(fields=["steps"])  # the units marked their steps on connections of their own
    run.finished_at = timezone.now()
    run.steps = [*run.steps, PREFIX + "done"]
    run.save(update_fields=["finished_at", "steps"])
    cleanup()
    final_seconds = time.perf_counter() - t
    total = time.perf_counter() - started
    write(_("Province loaded in %(s).1f s.") % {"s": total})
    return {
        "seconds": total,
        "load_seconds": load_seconds,
        "index_seconds": index_seconds,
        "analyze_seconds": analyze_seconds,
        "sweep_seconds": sweep_seconds,
        "rollup_seconds": rollup_seconds,
        "final_seconds": final_seconds,
        "jobs": parallel.usable_jobs(jobs),
        "rows": rows,
        "cases": counted,
    }


def _reserve_case_ids(counts: list[int]) -> list[int]:
    """The first case number of each of `counts` cases, handed out in one step of the sequence (past
    every case already there): consecutive blocks, in order."""
    total = sum(counts)
    if not total:
        return [0] * len(counts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
            "greatest(nextval(pg_get_serial_sequence('cases_case', 'id')), (SELECT coalesce(max(id), 0) + 1 FROM cases_case)) + %s - 1)",
            [total],
        )
        first = cursor.fetchone()[0] - total + 1
    firsts = []
    for n in counts:
        firsts.append(first)
        first += n
    return firsts


# ---------------------------------------------------------------- the tree


def _tree(size: Size, rng: random.Random) -> dict[str, int]:
    shape = size.tree()
    loader = BulkLoader(batch_size=20_000)
    area_cols = ["id", "level", "parent_id", "code", "name", "path", "kind", "lng", "lat", "households_count", "jurisdiction"]
    loader.table(Area, area_cols)
    loader.table(Department, ["id", "code", "name", "area_id", "email", "active", "jurisdiction"])
    districts_of = _split(shape["districts"], shape["cities"])
    streets_of = _split(shape["streets"], shape["districts"])
    grids: list[tuple] = []
    counts = {"cities": 0, "districts": 0, "streets": 0, "communities": 0, "grids": 0, "households": 0, "departments": 0}
    d_index = 0
    side = math.ceil(math.sqrt(shape["streets"] * 65))
    cell = 0
    for c in range(shape["cities"]):
        city_code = f"33{c + 1:02d}00"
        city_id = loader.next_id(Area)
        city_path = city_code + "/"
        loader.add(Area, (city_id, Level.CITY, None, city_code, CITY_NAMES[c % 11] + "市", city_path, "", None, None, 0, city_code))
        counts["cities"] += 1
        for d in range(districts_of[c]):
            d_code = f"33{c + 1:02d}{d + 2:02d}"
            d_id = loader.next_id(Area)
            d_path = city_path + d_code + "/"
            loader.add(Area, (d_id, Level.DISTRICT, city_id, d_code, f"第{d + 1}区", d_path, "", None, None, 0, d_code))
            counts["districts"] += 1
            for s in range(streets_of[d_index]):
                s_code = f"{d_code}{s + 1:03d}"
                s_id = loader.next_id(Area)
                s_path = d_path + s_code + "/"
                loader.add(Area, (s_id, Level.STREET, d_id, s_code, f"{s_code}街道", s_path, "", None, None, 0, d_code))
                counts["streets"] += 1
                first_dept = loader.ids(Department, len(STREET_DEPARTMENTS))
                for slot, (suffix, name) in enumerate(STREET_DEPARTMENTS):
                    loader.add(Department, (first_dept + slot, f"{s_code}-{suffix}", name, s_id, "", True, d_code))
                counts["departments"] += len(STREET_DEPARTMENTS)
                for m in range(rng.randint(*FULL["communities_per_street"])):
                    m_code = f"{s_code}{m + 1:03d}"
                    m_id = loader.next_id(Area)
                    m_path = s_path + m_code + "/"
                    loader.add(Area, (m_id, Level.COMMUNITY, s_id, m_code, f"{m_code}社区", m_path, "", None, None, 0, d_code))
                    counts["communities"] += 1
                    for g in range(FULL["grids_per_community"]):
                        g_code = f"{m_code}{g + 1:03d}"
                        g_id = loader.next_id(Area)
                        commercial = rng.random() < 0.08
                        households = rng.randint(150, 300) if commercial else max(240, min(360, round(rng.gauss(300, 25))))
                        lng = 118.0 + (cell % side) * 0.004
                        lat = 27.2 + (cell // side) * 0.004
                        cell += 1
                        loader.add(Area, (g_id, Level.GRID, m_id, g_code, f"第{g + 1}网格", m_path + g_code + "/",
                                          GridKind.COMMERCIAL if commercial else GridKind.RESIDENTIAL, lng, lat,
                                          households, d_code))  # fmt: skip
                        grids.append((len(grids), g_id, m_path + g_code + "/", d_code, lng, lat, first_dept))
                        counts["grids"] += 1
                        counts["households"] += households
            d_index += 1
    loader.flush()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {T_GRID} (gi integer PRIMARY KEY, id bigint, path varchar(255), "
            "jurisdiction varchar(12), lng double precision, lat double precision, dept_base bigint)"
        )
        with cursor.copy(f"COPY {T_GRID} FROM STDIN") as copy:
            for row in grids:
                copy.write_row(row)
    return counts


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


# ---------------------------------------------------------------- templates


def _walker(rng: random.Random, now: datetime):
    """The city-scale walker (steps/cases.py), on a stand-in grid and street departments whose keys
    are their slots (0–12) in each street's block of departments."""
    from civicgrid.demo.steps.cases import Year

    year = Year.__new__(Year)
    year.ctx = SimpleNamespace(scale=SimpleNamespace(name="province"))
    year.rng = rng
    year.now = now
    grid = SimpleNamespace(pk=None, path="", lng=0.0, lat=0.0, jurisdiction="", level=Level.GRID)
    year.street = None
    year.grids = [grid]
    year.units, year.residents = {}, {}
    if not Category.objects.exists():
        from civicgrid.cases.seed import seed_categories

        seed_categories()
    year.cats = {c.code: c for c in Category.objects.filter(active=True)}
    by_id = {c.pk: c for c in year.cats.values()}
    year.subs = {}
    for c in year.cats.values():
        if c.parent_id:
            year.subs.setdefault(by_id[c.parent_id].code, []).append(c)
    year.cats_by_id = by_id.__getitem__
    year.departments = {suffix: Department(pk=slot, code=suffix) for slot, (suffix, _n) in enumerate(STREET_DEPARTMENTS)}
    year.dispatcher = year.leader = year.supervisor = year.resident_user = None
    year.grid_worker, year.community_staff, year.handler = {}, {}, {}
    year.walks = []
    from collections import defaultdict

    year.recent = defaultdict(list)
    return year, grid


HOURS = [7, 8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 20, 21]


def _templates(size: Size, rng: random.Random, write) -> int:
    now = timezone.now().replace(microsecond=0)
    year, grid = _walker(rng, now)
    start = now - REFERENCE_WEEK_AGO
    walks = []
    for _i in range(TEMPLATES):
        local = timezone.localtime(start + timedelta(days=rng.randrange(7)))
        at = local.replace(hour=rng.choice(HOURS), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        walks.append(("old", year.make(at, grid)))
    recent = min(round(size.per_year * RECENT_DAYS / 365), RECENT_TEMPLATES)
    for _i in range(recent):
        local = timezone.localtime(now - timedelta(days=rng.uniform(0, RECENT_DAYS)))
        at = local.replace(hour=rng.choice(HOURS), minute=rng.randint(0, 59), second=rng.randint(0, 59))
        if at >= now:
            at = now - timedelta(minutes=rng.randint(1, 120))
        walks.append(("recent", year.make(at, grid)))
    year.walks = [w for _p, w in walks]
    year.finish_open()
    _copy_templates(walks, now)
    return len(walks)


def _case_columns() -> list:
    return list(Case._meta.concrete_fields)


def _copy_templates(walks, now: datetime) -> None:
    import json

    fields = _case_columns()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {T_META} (now timestamptz)")
        cursor.execute(f"INSERT INTO {T_META} VALUES (%s)", [now])
        cursor.execute(f"CREATE TABLE {T_CASE} (LIKE cases_case)")
        cursor.execute(f"ALTER TABLE {T_CASE} ADD COLUMN pool varchar(8), ADD COLUMN t integer")
        cursor.execute(
            f"CREATE TABLE {T_EVENT} (t integer, seq integer, action varchar(32), from_state varchar(16), "
            "to_state varchar(16), at timestamptz, note text, public boolean, data jsonb, dept integer)"
        )
        cursor.execute(f"CREATE TABLE {T_ORDER} (t integer, reason varchar(32), at timestamptz, due timestamptz)")
        cursor.execute(
            f"CREATE TABLE {T_EXT} (t integer, hours integer, reason varchar(300), requested_at timestamptz, "
            "status varchar(12), decided_at timestamptz)"
        )
        cols = ", ".join(quote(f.column) for f in fields)
        with cursor.copy(f"COPY {T_CASE} ({cols}, pool, t) FROM STDIN") as copy:
            for t, (pool, w) in enumerate(walks):
                c = w.case
                c.pk = t + 1
                c.merged_into_id = 1 if c.state == "merged" else None
                c.updated_at = max((e[3] for e in w.events), default=c.reported_at)  # its last history row
                values = [f.get_db_prep_value(getattr(c, f.attname), connection) for f in fields]
                copy.write_row([_plain(v) for v in values] + [pool, t])
        with cursor.copy(f"COPY {T_EVENT} FROM STDIN") as copy:
            for t, (_pool, w) in enumerate(walks):
                for seq, (action, frm, to, at, _actor, note, public, data) in enumerate(w.events):
                    data = {k.removeprefix("data_"): v for k, v in data.items()}
                    dept = data.pop("department", None)
                    copy.write_row([t, seq, action, frm, to, at, note, public, json.dumps(data), dept])
        with cursor.copy(f"COPY {T_ORDER} FROM STDIN") as copy:
            for t, (_pool, w) in enumerate(walks):
                for reason, at, due in w.orders:
                    copy.write_row([t, reason, at, due])
        with cursor.copy(f"COPY {T_EXT} FROM STDIN") as copy:
            for t, (_pool, w) in enumerate(walks):
                for hours, reason, _by, asked, granted, decided in w.extensions:
                    done = decided <= now
                    status = ("granted" if granted else "refused") if done else "pending"
                    copy.write_row([t, hours, reason, asked, status, decided if done else None])
        cursor.execute(f"CREATE INDEX ON {T_EVENT} (t)")
        cursor.execute(f"CREATE INDEX ON {T_ORDER} (t)")
        cursor.execute(f"CREATE INDEX ON {T_EXT} (t)")
        cursor.execute(f"ANALYZE {T_CASE}; ANALYZE {T_EVENT}; ANALYZE {T_GRID}")


def _plain(value):
    from psycopg.types.json import Jsonb

    if isinstance(value, Jsonb):
        import json

        return json.dumps(value.obj)
    return value


# ---------------------------------------------------------------- months


def _months(now: datetime, years: float) -> list[date]:
    """The whole months from `years` before now up to the start of the recent window."""
    tz = timezone.get_current_timezone()
    end = (now - timedelta(days=RECENT_DAYS)).astimezone(tz)
    first = (end - timedelta(days=round(365.25 * years))).date().replace(day=1)
    out, m = [], first
    while True:
        nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
        out.append(m)
        if datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz) > end:
            return out
        m = nxt


def _cases_in(month: date, size: Size) -> int:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return round(size.per_year * (nxt - month).days / 365.25)


def _expand(month: date | None, n: int, seed: int, first: int) -> int:
    """Insert one month of cases (or, with month None, the recent cases once each) and their rows:
    `n` cases numbered from `first` (handed out by _reserve_case_ids(), their ranges of the case
    table made already)."""
    tz = timezone.get_current_timezone()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {T_GRID}")
        (n_grids,) = cursor.fetchone()
        cursor.execute("DROP TABLE IF EXISTS demo_province_chunk, demo_province_pool")
        if n == 0:
            return 0
        if month is None:
            cursor.execute(
                "CREATE TEMP TABLE demo_province_pool ON COMMIT DROP AS "
                f"SELECT (row_number() OVER (ORDER BY t) - 1)::bigint AS i, t, 0 AS k FROM {T_CASE} WHERE pool = 'recent'"
            )
        else:
            nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            lo = datetime(month.year, month.month, 1, tzinfo=tz)
            hi = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
            cursor.execute(
                "CREATE TEMP TABLE demo_province_pool ON COMMIT DROP AS "
                "SELECT (row_number() OVER (ORDER BY t, k) - 1)::bigint AS i, t, k FROM ("
                f"SELECT t, generate_series(greatest(0, ceil(extract(epoch FROM reported_at - %s) / 604800)::int), "
                f"floor(extract(epoch FROM reported_at - %s) / 604800)::int) AS k FROM {T_CASE} WHERE pool = 'old') p",
                [hi, lo],
            )
        cursor.execute("SELECT count(*) FROM demo_province_pool")
        (pool,) = cursor.fetchone()
        cursor.execute("CREATE INDEX ON demo_province_pool (i)")
        # Each draw (numbered from `first`) picks a template, its shift and a grid by hash; the
        # case numbers are then given in order of report time, and the rows written in that order,
        # as a deployment writes them: a day's cases lie together on the heap (drawn in random
        # order, a day of a city's cases was spread over every page of its month).
        cursor.execute(
            "CREATE TEMP TABLE demo_province_chunk ON COMMIT DROP AS "
            "SELECT %s - 1 + row_number() OVER (ORDER BY tc.reported_at - d.shift, d.draw) AS id, "
            "d.t, d.shift, d.gi FROM ("
            "SELECT g.draw, p.t, p.k * interval '7 days' AS shift, "
            "(abs(hashint8extended(g.draw, %s + 1)) %% %s)::int AS gi "
            "FROM (SELECT %s + s - 1 AS draw FROM generate_series(1, %s) s) g "
            "JOIN demo_province_pool p ON p.i = abs(hashint8extended(g.draw, %s)) %% %s) d "
            f"JOIN {T_CASE} tc ON tc.t = d.t ORDER BY 1",
            [first, seed, n_grids, first, n, seed, pool],
        )
        cursor.execute("ANALYZE demo_province_chunk")
        # The rows are made consistent with the tree (tests/demo/test_demo_province.py checks every
        # reference); the per-row foreign-key triggers would be most of the load's time. Skipping
        # them needs a superuser; anyone else loads with the checks on.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = replica")
        _insert(cursor, first, seed)
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = origin")
        return n


def _insert(cursor, first: int, seed: int) -> None:
    from django.conf import settings

    zone = str(settings.TIME_ZONE).replace("'", "")
    quote = connection.ops.quote_name
    shifted_dates = {"hold_until"}
    unshifted_for_hold = {"remind_at"}
    exprs = []
    names = []
    for f in _case_columns():
        col = f.column
        names.append(quote(col))
        if col == "id":
            e = "c.id"
        elif col == "grid_id":
            e = "g.id"
        elif col == "path":
            e = "g.path"
        elif col == "jurisdiction":
            e = "g.jurisdiction"
        elif col in ("lng", "lat"):
            e = f"g.{col} + t.{col}"
        elif col == "department_id":
            e = "g.dept_base + t.department_id"
        elif col == "follow_token_hash":
            # Unique and unguessable as a hash of a token nobody holds, but led by the id so that
            # the unique index grows at its right edge (a random 64-hex key made every insert a
            # random page of an index larger than shared_buffers).
            e = f"lpad(to_hex(c.id), 16, '0') || left(encode(sha256(convert_to(c.id::text || ':{int(seed)}', 'UTF8')), 'hex'), 48)"
        elif col == "merged_into_id":
            e = f"CASE WHEN t.state = 'merged' THEN CASE WHEN c.id > {int(first)} THEN c.id - 1 ELSE c.id + 1 END END"
        elif col == "reported_month":
            e = f"date_trunc('month', (t.reported_at - c.shift) AT TIME ZONE '{zone}')::date"
        elif col in shifted_dates:
            e = f"t.{quote(col)}"
        elif col in unshifted_for_hold:
            e = f"CASE WHEN t.state = 'on_hold' THEN t.{col} ELSE t.{col} - c.shift END"
        elif f.get_internal_type() == "DateTimeField":
            e = f"t.{quote(col)} - c.shift"
        else:
            e = f"t.{quote(col)}"
        exprs.append(e)
    cursor.execute(
        f"INSERT INTO cases_case ({', '.join(names)}) SELECT {', '.join(exprs)} "
        f"FROM demo_province_chunk c JOIN {T_CASE} t ON t.t = c.t JOIN {T_GRID} g ON g.gi = c.gi"
    )
    cursor.execute(
        f"INSERT INTO {CaseEvent._meta.db_table} (case_id, jurisdiction, action, from_state, to_state, at, note, "
        "public, data, rollup_pending) SELECT c.id, g.jurisdiction, e.action, e.from_state, e.to_state, "
        "e.at - c.shift, e.note, e.public, CASE WHEN e.dept IS NULL THEN e.data ELSE "
        "e.data || jsonb_build_object('department', g.dept_base + e.dept) END, false "
        f"FROM demo_province_chunk c JOIN {T_GRID} g ON g.gi = c.gi JOIN {T_EVENT} e ON e.t = c.t"
    )
    cursor.execute(
        f"INSERT INTO {SupervisionOrder._meta.db_table} (case_id, jurisdiction, reason, note, at, due) "
        "SELECT c.id, g.jurisdiction, o.reason, '', o.at - c.shift, o.due - c.shift "
        f"FROM demo_province_chunk c JOIN {T_GRID} g ON g.gi = c.gi JOIN {T_ORDER} o ON o.t = c.t"
    )
    cursor.execute(
        f"INSERT INTO {ExtensionRequest._meta.db_table} (case_id, jurisdiction, hours, reason, requested_at, "
        "status, decided_at, decision_note) SELECT c.id, g.jurisdiction, x.hours, x.reason, "
        "x.requested_at - c.shift, x.status, x.decided_at - c.shift, '' "
        f"FROM demo_province_chunk c JOIN {T_GRID} g ON g.gi = c.gi JOIN {T_EXT} x ON x.t = c.t"
    )


# ---------------------------------------------------------------- indexes


def _drop_indexes(write) -> None:
    """Drop the bulk tables' secondary indexes (not those behind a primary key or unique
    constraint), keeping their definitions in a table so that they come back even after an
    interruption."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {T_INDEX} (name text PRIMARY KEY, definition text)")
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) "
            "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid)",
            [list(BULK_TABLES)],
        )
        found = cursor.fetchall()
        for name, definition in found:
            cursor.execute(f"INSERT INTO {T_INDEX} VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition])
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        if found:
            write(
                _("Dropped %(n)s secondary indexes of the bulk tables for the load (recreated at the end).")
                % {"n": len(found)}
            )


INDEX_MEMORY = "512MB"  # maintenance_work_mem of each index build (a job's transaction, SET LOCAL)


def _recreate_indexes(write, jobs: int = 1) -> None:
    """Build the indexes _drop_indexes() dropped, each in its own transaction (on `jobs` connections
    at once: builds on one table take SHARE locks, which do not conflict), the biggest tables' first
    so that the last to finish is a small one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [T_INDEX])
        if cursor.fetchone()[0] is None:
            return
        cursor.execute(f"SELECT name, definition FROM {T_INDEX} ORDER BY name")
        found = cursor.fetchall()
        sizes: dict[str, int] = {}
        for _name, definition in found:
            table = _indexed_table(definition)
            if table not in sizes:
                cursor.execute(
                    "SELECT coalesce(sum(pg_relation_size(relid)), 0) FROM pg_partition_tree(%s::regclass)", [table]
                )
                sizes[table] = cursor.fetchone()[0]
    found.sort(key=lambda row: (-sizes[_indexed_table(row[1])], row[0]))
    started = time.perf_counter()

    def build(row: tuple[str, str]) -> float:
        name, definition = row
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
            # pg_indexes writes a partitioned table's index `ON ONLY` (not built on the
            # partitions); recreated, it must cover them all.
            definition = re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", definition)
            cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
            cursor.execute(f"DELETE FROM {T_INDEX} WHERE name = %s", [name])
        return time.perf_counter() - t

    def built(row: tuple[str, str], seconds: float) -> None:
        write(_("Recreated index %(name)s in %(s).1f s.") % {"name": row[0], "s": seconds})

    parallel.each_on_connections(jobs, found, build, built)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {T_INDEX}")
    if found:
        write(_("Recreated %(n)s indexes in %(s).1f s.") % {"n": len(found), "s": time.perf_counter() - started})


def _indexed_table(definition: str) -> str:
    """The table of an index definition as pg_indexes writes it (`… ON [ONLY] schema.table USING …`)."""
    match = re.search(r" ON (?:ONLY )?(\S+) USING ", definition)
    if match is None:
        raise ValueError(definition)
    return match.group(1)


def cleanup() -> None:
    """Drop the loader's own tables (the templates and the grid list)."""
    with connection.cursor() as cursor:
        for table in (T_CASE, T_EVENT, T_ORDER, T_EXT, T_GRID, T_INDEX, T_META):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def delete_all() -> None:
    """`--rebuild` at province scale: empty the cases, the areas and the departments, and every table
    that points at them (TRUNCATE … CASCADE: 60 million rows a DELETE would take an hour over)."""
    with transaction.atomic(), connection.cursor() as cursor:
        tables = [m._meta.db_table for m in (Case, CaseEvent, Department, Area)]
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
        DemoRun.objects.all().delete()
    _recreate_indexes(lambda text: None)
    cleanup()
