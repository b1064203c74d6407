"""Demo step "fieldwork": a year of the demo street's household visits, visit diaries, patrol rounds
and errands, at a realistic quota completion (each grid between 85 and 95 %).

Written in bulk for speed. Visits follow each household's quota (the community's quota rows are
written as data first: elderly living alone weekly, elderly households monthly, the rest quarterly);
each grid worker keeps a diary on most working days. The year's errand cases (cases step, channel
errand) get their errand records (consent, steps, state from the case); the year's patrol reports
are grouped under patrol rounds around the time they were made. The rollup is then rebuilt.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Household, Level
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import Channel, State
from civicgrid.core.models import OutboxEvent
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.fieldwork import quotas, rollups
from civicgrid.fieldwork.models import (
    ConsentWay,
    DiaryEntry,
    Errand,
    ErrandStep,
    FieldReport,
    FieldworkEvent,
    GridMonth,
    Met,
    Patrol,
    Visit,
    VisitQuota,
)
from civicgrid.fieldwork.workflow import ErrandState
from civicgrid.people.models import Role, RoleAssignment

HEARD = [
    "身体状况良好，生活能自理",
    "反映楼道灯不够亮",
    "子女每周回来一次，情绪稳定",
    "关心小区加装电梯的进展",
    "希望社区多组织老年活动",
    "对垃圾分类有疑问，已现场讲解",
    "家中燃气灶老化，已提醒更换",
    "询问医保缴费时间",
    "邻里关系融洽，无矛盾",
    "近期住院刚出院，需要多关注",
]
NEEDS = ["需要助餐服务", "想办理高龄津贴", "希望帮忙联系家电维修", "需要代缴医保", "想了解居家养老服务"]
DIARY = [
    "今天走访{n}户，重点看望了独居老人，整体情况平稳。",
    "上午入户{n}户，下午巡查网格，发现楼道堆物已劝导清理。",
    "走访{n}户，收集到加装电梯、停车难等意见，已记录待议。",
    "陪同社区医生上门随访{n}户，提醒按时服药。",
    "雨天走访{n}户，检查低洼楼道积水情况。",
]
MET = Met.values
STEPS = ["已收集材料", "已到窗口递交", "等待审核", "已领取结果并送达"]


_MIDNIGHT: dict[date, datetime] = {}


def _day_at(day: date, rng: random.Random, start=9, end=17) -> datetime:
    midnight = _MIDNIGHT.get(day)
    if midnight is None:
        midnight = _MIDNIGHT[day] = timezone.make_aware(datetime.combine(day, time()))
    return midnight + timedelta(minutes=rng.randrange(start * 60, end * 60))


def _workday(start: date, end: date, rng: random.Random) -> date:
    span = (end - start).days
    for _try in range(6):
        day = start + timedelta(days=rng.randint(0, span))
        if day.weekday() < 5:
            return day
    return day


VISIT_COLUMNS = (
    "jurisdiction", "worker_id", "household_id", "grid_id", "path", "visited_on", "met", "heard", "needs",
    "follow_up", "follow_up_on", "follow_up_done_at", "created_at", "patrol_id", "case_id", "errand_id",
    "client_key",
)  # fmt: skip


def _insert_visits(rows: list[tuple]) -> None:
    """The year's visits in a few executemany statements (the ORM's bulk_create spends most of its
    time building model instances: ~10x slower for 100,000 rows)."""
    ops = connection.ops
    qn = ops.quote_name
    sql = (
        f"INSERT INTO {qn(Visit._meta.db_table)} ({', '.join(qn(c) for c in VISIT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(VISIT_COLUMNS))})"
    )
    d, t = ops.adapt_datefield_value, ops.adapt_datetimefield_value
    prepared = [
        (*r[:5], d(r[5]), *r[6:10], d(r[10]), t(r[11]), t(r[12]), None, None, None, None) for r in rows
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(prepared), 5000):
            cursor.executemany(sql, prepared[i : i + 5000])


def _periods(period: str, first: date, last: date) -> list[tuple[date, date]]:
    out, day = [], first
    while day <= last:
        start, end = quotas.period_bounds(period, day)
        out.append((max(start, first), min(end, last)))
        day = end + timedelta(days=1)
    return out


def generate(ctx: DemoContext) -> None:
    from civicgrid.demo.steps.cases import demo_street

    street = demo_street()
    if street is None:
        return
    rng = ctx.rng("fieldwork")
    today = timezone.localdate()
    first = today - timedelta(days=364)
    grids = list(Area.objects.filter(level=Level.GRID, path__startswith=street.path).select_related("parent"))
    workers = dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__in=grids).values_list("area_id", "user_id")
    )
    with ctx.progress.phase(_("fieldwork: a year of visits, diaries, patrols and errands")) as phase:
        with transaction.atomic():
            communities = {g.parent for g in grids if g.parent_id}
            VisitQuota.objects.bulk_create(
                [
                    VisitQuota(
                        jurisdiction=c.jurisdiction,
                        community=c,
                        path=c.path,
                        household_type=t,
                        period=p,
                        visits=n,
                    )
                    for c in communities
                    for t, (p, n) in quotas.DEFAULT_QUOTAS.items()
                ]
            )
            phase.add(_("visit quotas"), len(communities) * len(quotas.DEFAULT_QUOTAS))
            visits, diary_rows, diary_links = [], [], []
            for grid in grids:
                worker = workers.get(grid.pk)
                if worker is None:
                    continue
                completion = rng.uniform(0.86, 0.95)
                ids = list(Household.objects.filter(grid=grid).values_list("pk", "path"))
                types = quotas.household_types([h for h, _p in ids], today, path=grid.path)
                rules = quotas.quotas_for(grid.parent)
                by_day: dict[date, list[int]] = defaultdict(list)
                for household_id, path in ids:
                    period, n = rules[types[household_id]]
                    for start, end in _periods(period, first, today):
                        for _i in range(n):
                            if rng.random() > completion:
                                continue
                            day = _workday(start, end, rng)
                            by_day[day].append(household_id)
                            needs = rng.choice(NEEDS) if rng.random() < 0.04 else ""
                            later = day + timedelta(days=7)
                            visits.append(
                                (
                                    grid.jurisdiction,
                                    worker,
                                    household_id,
                                    grid.pk,
                                    path,
                                    day,
                                    rng.choices(MET, weights=(60, 25, 8, 7))[0],
                                    rng.choice(HEARD),
                                    needs,
                                    "一周后电话回访" if needs else "",
                                    later if needs else None,
                                    _day_at(later, rng) if needs and later < today else None,
                                    _day_at(day, rng),
                                )
                            )
                for day, households in by_day.items():
                    if rng.random() < 0.7:
                        diary_rows.append(
                            (
                                DiaryEntry(
                                    jurisdiction=grid.jurisdiction,
                                    worker_id=worker,
                                    grid_id=grid.pk,
                                    path=grid.path,
                                    day=day,
                                    text=rng.choice(DIARY).format(n=len(households)),
                                    created_at=_day_at(day, rng, 17, 20),
                                ),
                                rng.sample(households, min(3, len(households))),
                            )
                        )
            _insert_visits(visits)
            phase.add(_("visits"), len(visits))
            entries = DiaryEntry.objects.bulk_create([e for e, _h in diary_rows], batch_size=5000)
            Link = DiaryEntry.households.through
            for entry, (_e, households) in zip(entries, diary_rows, strict=True):
                diary_links.extend(Link(diaryentry_id=entry.pk, household_id=h) for h in households)
            Link.objects.bulk_create(diary_links, batch_size=5000)
            phase.add(_("diary entries"), len(entries))
            phase.add(_("errands"), _errands(street, workers, rng))
            phase.add(_("patrol rounds"), _patrols(street, workers, rng))
        with transaction.atomic():
            phase.add(_("fieldwork months"), rollups.rebuild(street, today))


def _errands(street: Area, workers: dict[int, int], rng: random.Random) -> int:
    """Errand records for the year's errand cases, their state following the case's."""
    cases = list(
        Case.objects.filter(is_errand=True, path__startswith=street.path, unit__isnull=False).exclude(
            state=State.MERGED
        )
    )
    homes: dict[int, list] = defaultdict(list)
    for h in Household.objects.filter(unit_id__in={c.unit_id for c in cases}).values(
        "pk", "unit_id", "grid_id"
    ):
        homes[h["unit_id"]].append(h)
    errands, steps = [], []
    for case in cases:
        choices = homes.get(case.unit_id)
        worker = workers.get(case.grid_id)
        if not choices or worker is None:
            continue
        home = rng.choice(choices)
        if case.state == State.CLOSED:
            state = ErrandState.DONE
        elif case.state == State.NOT_ACCEPTED:
            state = ErrandState.CANCELLED
        elif case.state in (State.SUBMITTED, State.REGISTERED):
            state = ErrandState.REQUESTED
        else:
            state = ErrandState.IN_PROGRESS
        done_at = case.closed_at if state == ErrandState.DONE else None
        errand = Errand(
            jurisdiction=case.jurisdiction,
            case=case,
            worker_id=worker,
            household_id=home["pk"],
            grid_id=case.grid_id,
            path=case.path,
            request=case.description[:500],
            state=state,
            consent_way=rng.choices(ConsentWay.values, weights=(70, 20, 10))[0],
            consent_at=case.reported_at,
            result=case.result[:500] if state == ErrandState.DONE else "",
            requested_at=case.reported_at,
            started_at=case.responded_at if state in (ErrandState.IN_PROGRESS, ErrandState.DONE) else None,
            done_at=done_at,
            cancelled_at=case.closed_at if state == ErrandState.CANCELLED else None,
        )
        errands.append(errand)
    Errand.objects.bulk_create(errands, batch_size=2000)
    for errand in errands:
        if errand.state in (ErrandState.IN_PROGRESS, ErrandState.DONE):
            n = len(STEPS) if errand.state == ErrandState.DONE else rng.randint(1, 2)
            start = errand.started_at or errand.requested_at
            for i, text in enumerate(STEPS[:n]):
                steps.append(
                    ErrandStep(
                        jurisdiction=errand.jurisdiction,
                        errand=errand,
                        at=start + timedelta(hours=4 * (i + 1)),
                        by_id=errand.worker_id,
                        text=text,
                    )
                )
    ErrandStep.objects.bulk_create(steps, batch_size=5000)
    return len(errands)


def _patrols(street: Area, workers: dict[int, int], rng: random.Random) -> int:
    """A patrol round around each day's patrol reports of a grid; the reports grouped under it.
    Only start and end are stored: no positions."""
    reports = list(
        Case.objects.filter(channel=Channel.GRID_PATROL, path__startswith=street.path, grid__isnull=False)
        .values("pk", "grid_id", "reported_at", "path", "jurisdiction")
        .order_by("grid_id", "reported_at")
    )
    by_round: dict[tuple, list] = defaultdict(list)
    for r in reports:
        if r["grid_id"] in workers:
            by_round[(r["grid_id"], timezone.localdate(r["reported_at"]))].append(r)
    patrols, links = [], []
    grid_paths = dict(Area.objects.filter(pk__in={g for g, _d in by_round}).values_list("pk", "path"))
    for (grid_id, _day), rows in by_round.items():
        started = min(r["reported_at"] for r in rows) - timedelta(minutes=rng.randint(15, 60))
        ended = max(r["reported_at"] for r in rows) + timedelta(minutes=rng.randint(15, 60))
        patrols.append(
            (
                Patrol(
                    jurisdiction=rows[0]["jurisdiction"],
                    worker_id=workers[grid_id],
                    grid_id=grid_id,
                    path=grid_paths[grid_id],
                    started_at=started,
                    ended_at=min(ended, timezone.now()),
                ),
                rows,
            )
        )
    made = Patrol.objects.bulk_create([p for p, _r in patrols], batch_size=2000)
    for patrol, (_p, rows) in zip(made, patrols, strict=True):
        for r in rows:
            links.append(
                FieldReport(
                    jurisdiction=r["jurisdiction"],
                    worker_id=patrol.worker_id,
                    case_id=r["pk"],
                    patrol=patrol,
                    path=r["path"],
                    created_at=r["reported_at"],
                )
            )
    FieldReport.objects.bulk_create(links, batch_size=5000)
    return len(made)


def cleanup(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("deleting the demo fieldwork")) as phase, transaction.atomic():
        phase.add(_("visits"), Visit.objects.count())
        OutboxEvent.objects.filter(topic__startswith="fieldwork.").delete()
        FieldworkEvent.objects.all().delete()
        GridMonth.objects.all().delete()
        Visit.objects.all().delete()
        DiaryEntry.households.through.objects.all().delete()
        DiaryEntry.objects.all().delete()
        FieldReport.objects.all().delete()
        ErrandStep.objects.all().delete()
        Errand.objects.all().delete()
        Patrol.objects.all().delete()
        VisitQuota.objects.all().delete()


register_step("fieldwork", generate, cleanup, order=110)
