"""Demo step "indices": community types, the 六和指数 at street and community level with two
published issues, five-colour rules, and a grid-affairs admission list with approved, refused and
waiting requests and a few months of tasks given to grid workers. Written through indices.services.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.demo.accounts import BY_ROLE
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.indices import reports, services
from civicgrid.indices.models import (
    AdmissionRequest,
    AreaPeerGroup,
    ColourRule,
    GridTask,
    IndexDefinition,
    PeerGroup,
    TaskKind,
)
from civicgrid.people.models import Department, Role, RoleAssignment

COMMUNITY_TYPES = [
    ("old-compounds", "老旧小区型社区", "communities of old compounds"),
    ("commercial-housing", "商品房小区型社区", "communities of commercial housing"),
    ("mixed", "混合型社区", "mixed communities"),
]
INDICATORS = [
    {
        "code": "on_time",
        "name": "按期办结率",
        "name_en": "on-time completion",
        "formula": "on_time_rate",
        "direction": "higher_better",
        "unit": "%",
        "weight": 30,
    },
    {
        "code": "satisfaction",
        "name": "群众满意率",
        "name_en": "satisfaction",
        "formula": "default(satisfaction_rate, 0)",
        "direction": "higher_better",
        "unit": "%",
        "weight": 25,
    },
    {
        "code": "completion",
        "name": "办结率",
        "name_en": "completion",
        "formula": "completion_rate",
        "direction": "higher_better",
        "unit": "%",
        "weight": 20,
    },
    {
        "code": "overdue",
        "name": "每千户逾期事件",
        "name_en": "overdue cases per 1,000 households",
        "formula": "overdue_open / households * 1000",
        "direction": "lower_better",
        "unit": "‰",
        "weight": 15,
    },
    {
        "code": "rework",
        "name": "返工率",
        "name_en": "rework rate",
        "formula": "default(rework_rate, 0)",
        "direction": "lower_better",
        "unit": "%",
        "weight": 10,
    },
]
COLOUR_RULES = [
    # (level, name, name_en, formula, direction, red, orange, yellow, blue)
    (
        "community",
        "按期办结率",
        "on-time completion",
        "on_time_rate",
        "higher_better",
        0.70,
        0.78,
        0.85,
        0.92,
    ),
    (
        "community",
        "每千户逾期事件",
        "overdue per 1,000 households",
        "overdue_open / households * 1000",
        "lower_better",
        3.0,
        2.0,
        1.2,
        0.6,
    ),
    ("grid", "按期办结率", "on-time completion", "on_time_rate", "higher_better", 0.65, 0.75, 0.85, 0.92),
    ("grid", "群众满意率", "satisfaction", "satisfaction_rate", "higher_better", 0.70, 0.78, 0.86, 0.93),
    ("street", "按期办结率", "on-time completion", "on_time_rate", "higher_better", 0.70, 0.78, 0.85, 0.92),
]
TOWN_TYPE_CYCLE = ["main-urban", "suburban", "county-seat", "market-town", "mountain-township"]


def _district() -> Area | None:
    return Area.objects.filter(level=Level.DISTRICT).order_by("code").first()


def generate(ctx: DemoContext) -> None:
    district = _district()
    if district is None:
        return
    with ctx.progress.phase(_("indices: types, indices, issues, colours, admission")) as phase:
        for order, (code, name, name_en) in enumerate(COMMUNITY_TYPES):
            services.create_peer_group(
                code=code, name=name, name_en=name_en, level=Level.COMMUNITY, order=order
            )
        groups = {g.code: g for g in PeerGroup.objects.all()}
        communities = list(
            Area.objects.filter(level=Level.COMMUNITY, path__startswith=district.path).order_by("code")
        )
        for i, community in enumerate(communities):
            services.set_peer_group(community, groups[COMMUNITY_TYPES[i % len(COMMUNITY_TYPES)][0]])
        streets = list(
            Area.objects.filter(level=Level.STREET, path__startswith=district.path).order_by("code")
        )
        for i, street in enumerate(streets):
            services.set_peer_group(street, groups[TOWN_TYPE_CYCLE[i % len(TOWN_TYPE_CYCLE)]])
        phase.add(_("typed areas"), len(communities) + len(streets))

        today = timezone.localdate()
        last_month = reports.add_months(date(today.year, today.month, 1), -1)
        for code, name, level in (
            ("liuhe-community", "六和指数（社区）", Level.COMMUNITY),
            ("liuhe-street", "六和指数（街道）", Level.STREET),
        ):
            index = services.create_index(
                code=code, name=name, owner=district, level=level, indicators=INDICATORS
            )
            services.publish_issue(index, by=None, period_end=reports.add_months(last_month, -3))
            services.publish_issue(index, by=None, period_end=last_month)
            phase.add(_("published issues"), 2)

        for level, name, name_en, formula, direction, red, orange, yellow, blue in COLOUR_RULES:
            services.save_colour_rule(
                ColourRule(
                    owner=district,
                    level=level,
                    name=name,
                    name_en=name_en,
                    formula=formula,
                    direction=direction,
                    red=red,
                    orange=orange,
                    yellow=yellow,
                    blue=blue,
                )
            )
        phase.add(_("colour rules"), len(COLOUR_RULES))
        phase.add(_("admission requests"), _admission(district, today))


def _admission(district: Area, today: date) -> int:
    handler = get_user_model().objects.filter(username=BY_ROLE[Role.DEPARTMENT_HANDLER].username).first()
    supervisor = get_user_model().objects.filter(username=BY_ROLE[Role.DISTRICT_SUPERVISOR].username).first()
    dispatcher = get_user_model().objects.filter(username=BY_ROLE[Role.STREET_DISPATCHER].username).first()
    if not (handler and supervisor and dispatcher):
        return 0
    dept_ids = [
        a.department_id for a in RoleAssignment.objects.filter(user=handler, role=Role.DEPARTMENT_HANDLER)
    ]
    department = Department.objects.filter(pk__in=dept_ids).select_related("area").first()
    if department is None:
        return 0
    grids = list(
        Area.objects.filter(level=Level.GRID, path__startswith=department.area.path).order_by("code")
    )
    if not grids:
        return 0
    start = reports.add_months(date(today.year, today.month, 1), -3)
    plans = [
        (
            "居民消防安全入户宣传",
            TaskKind.SURVEY,
            "向辖区住户发放消防安全告知书，检查楼道堆物，每户登记一次。",
            grids,
            "4",
            "12000",
            0,
            True,
            "",
        ),
        (
            "老旧电动车充电点巡查",
            TaskKind.INSPECTION,
            "每月巡查一次小区电动车集中充电点，发现隐患拍照上报。",
            grids[: max(1, len(grids) // 2)],
            "2",
            "0",
            2,
            True,
            "",
        ),
        (
            "人口信息重复采集",
            TaskKind.DATA,
            "再次入户登记全部常住人口信息。",
            grids,
            "12",
            "3000",
            0,
            False,
            "与网格已有住户信息重复采集，且所附经费不足以支付所需工时，不予准入。",
        ),
        (
            "垃圾分类桶边督导记录",
            TaskKind.OTHER,
            "早晚高峰在垃圾分类投放点记录投放情况。",
            grids[:4],
            "6",
            "8000",
            0,
            None,
            "",
        ),
    ]
    made = 0
    for title, kind, description, chosen, hours, funding, people, approve, reason in plans:
        request = services.file_request(
            department=department,
            by=handler,
            title=title,
            kind=kind,
            description=description,
            grids=chosen,
            hours_per_grid=Decimal(hours),
            funding_yuan=Decimal(funding),
            people=people,
            starts_on=start,
            ends_on=start + timedelta(days=365),
        )
        made += 1
        if approve is None:
            continue
        services.decide_request(request, by=supervisor, approve=approve, reason=reason)
        if not approve:
            continue
        workers = {
            ra.area_id: ra.user
            for ra in RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__in=chosen).select_related(
                "user"
            )
        }
        for m in range(4):
            month = reports.add_months(start, m)
            if month > today:
                break
            for grid in chosen:
                worker = workers.get(grid.pk)
                if worker is not None:
                    task = services.assign_task(request, grid=grid, worker=worker, month=month, by=dispatcher)
                    if month < date(today.year, today.month, 1):
                        services.complete_task(task, by=worker)
    return made


def cleanup(ctx: DemoContext) -> None:
    GridTask.objects.all().delete()
    AdmissionRequest.objects.all().delete()
    ColourRule.objects.all().delete()
    for index in IndexDefinition.objects.all():
        index.issues.all().delete()
        index.versions.all().delete()
        index.delete()
    AreaPeerGroup.objects.all().delete()
    PeerGroup.objects.filter(code__in=[c for c, _n, _e in COMMUNITY_TYPES]).delete()


register_step("indices", generate, cleanup, order=150)
