"""Demo step "cases": a year of cases in every state across the demo street, and a few live ones.

History is generated in bulk for speed: each case is walked through the loop with realistic,
working-time-aware timestamps (reported → registered → dispatched → accepted → handled → verified →
closed → rated, with returns, extensions, holds, rework, reopening, escalation, overdue supervision,
merges and refusals along the way) and written with its full history; the rollups are then rebuilt
from the cases. A handful of fresh cases at the end go through the real services, so the demo
accounts find work and messages waiting in their inboxes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Area, Level
from civicgrid.cases import rollups, services
from civicgrid.cases.deadlines import level_due, reminder_time
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    Category,
    DispatchRule,
    ExtensionRequest,
    ExtensionStatus,
    InboxMessage,
    SupervisionOrder,
)
from civicgrid.cases.workflow import SUPERVISION_HOURS, CaseLevel, Channel, Kind, Rating, State
from civicgrid.core.models import OutboxEvent
from civicgrid.core.workcalendar import add_working_hours, day_start
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.people.models import Department, Resident, Role, RoleAssignment

# Cases per grid per month, by demo scale.
PER_GRID_MONTH = {"tiny": 3, "small": 9, "medium": 3, "city": 3}
# Top category → the street department that handles it ("" : handled in the chain).
DEPARTMENT_OF = {
    "01": "SF", "02": "PCS", "03": "SJ", "04": "CG", "05": "XF", "06": "HW", "07": "SF", "08": "YJ",
    "09": "JJ", "10": "MZ", "11": "WS", "12": "MZ", "13": "MZ", "14": "ZJ", "15": "LD", "16": "CG",
    "17": "HW", "18": "ZJ", "19": "MZ", "20": "MZ", "21": "", "22": "CG",
}  # fmt: skip
SUB_DEPARTMENT = {"0603": "SW", "1602": "SW"}
# How often each top category comes up.
WEIGHTS = {
    "17": 18, "04": 16, "14": 14, "16": 8, "07": 7, "05": 6, "02": 5, "06": 5, "21": 6, "13": 3,
    "10": 3, "11": 2, "09": 2, "08": 2, "03": 2, "15": 2, "18": 2, "12": 1, "01": 1, "19": 0.3,
    "20": 0.3, "22": 2,
}  # fmt: skip
PHRASES = {
    "1701": ["垃圾桶满溢，两天没人清运", "小区门口垃圾堆积，气味很大"],
    "1702": ["垃圾分类投放点混投严重", "厨余垃圾桶破损"],
    "1703": ["楼道口有积水，下雨就漫进来", "绿化带里有大量烟头和纸屑"],
    "0401": ["楼顶有人在加盖彩钢棚", "一楼住户私自扩建院墙"],
    "0402": ["早市摊贩占道经营，车辆无法通行", "商铺出店经营占用人行道"],
    "0403": ["消防通道旁长期停放僵尸车", "车辆乱停占用盲道"],
    "0404": ["楼道里小广告贴满墙", "店招破损有坠落风险"],
    "1401": ["电梯经常停运，老人上下楼困难", "电梯困人，物业半小时才到"],
    "1402": ["楼道灯坏了，晚上漆黑一片", "单元门禁损坏关不上"],
    "1403": ["物业保洁不到位", "小区绿化长期无人修剪"],
    "1601": ["小区出口路面塌陷", "人行道砖松动，雨天溅水"],
    "1602": ["路口井盖缺失，很危险", "井盖松动，车压过去响声很大"],
    "1603": ["路灯不亮已有一周", "路灯杆倾斜"],
    "0701": ["楼上漏水到楼下，协商不成", "邻居装修噪音扰民"],
    "0702": ["家庭赡养纠纷，需要调解", "兄弟之间为房产起争执"],
    "0501": ["楼道堆放杂物堵塞消防通道", "消防通道被车辆占用"],
    "0503": ["有人从楼上飞线给电动车充电", "电动车停在楼道里充电"],
    "0201": ["小区里有陌生人挨户敲门推销", "车棚里有可疑包裹"],
    "0601": ["夜间施工噪音扰民", "广场舞音响太大"],
    "0602": ["餐馆油烟直排，熏到住户", "烧烤摊烟很大"],
    "2101": ["帮独居老人代办居住证", "代办残疾证年审"],
    "2102": ["帮行动不便老人办理养老金资格认证", "代缴城乡居民医保"],
    "2103": ["为卧床老人上门代购药品", "上门帮老人办理高龄津贴"],
    "1301": ["独居老人需要助餐服务", "高龄老人希望有人定期探访"],
    "1001": ["家庭突遭变故，申请临时救助", "咨询低保申请条件"],
}
RESULTS = [
    "已安排人员现场处置完毕",
    "已联系物业维修完成",
    "已劝导当事人整改到位",
    "经调解双方达成一致",
    "已清理完毕并拍照留存",
    "已协调相关单位处理",
]
UNACCEPTED = ["属于民事合同纠纷，请通过诉讼途径解决", "重复上报，已在办理中", "反映内容不属实"]
RETURN_REASONS = ["不属于本部门职责", "应由属地社区先行处置", "属于物业合同事项"]


@dataclass
class Walk:
    """One case being walked through the loop: the case row and its history."""

    case: Case
    events: list = field(default_factory=list)
    orders: list = field(default_factory=list)
    extensions: list = field(default_factory=list)
    merged_into: Walk | None = None

    def event(self, action, at, actor, to_state, note="", public=True, **data):
        before = "" if action in ("report", "settle_on_spot") else self.case.state
        self.events.append((action, before, to_state, at, actor, note, public, data))
        self.case.state = to_state


class Year:
    def __init__(self, ctx: DemoContext, street: Area):
        self.ctx = ctx
        self.rng = ctx.rng("cases")
        self.now = timezone.now()
        self.street = street
        self.grids = list(
            Area.objects.filter(level=Level.GRID, path__startswith=street.path).order_by("code")
        )
        self.units = defaultdict(list)
        for uid, bid, path in Area.objects.filter(level=Level.UNIT, path__startswith=street.path).values_list(
            "id", "parent_id", "path"
        ):
            grid_path = "/".join(path.split("/")[:-3]) + "/"
            self.units[grid_path].append((uid, bid, path))
        self.residents = defaultdict(list)
        for rid, path, name, phone in (
            Resident.objects.filter(path__startswith=street.path, relation="户主")
            .order_by("id")
            .values_list("id", "path", "name", "phone")
        ):
            self.residents["/".join(path.split("/")[:-3]) + "/"].append((rid, name, phone))
        self.cats = {c.code: c for c in Category.objects.filter(active=True)}
        self.subs = defaultdict(list)
        for c in self.cats.values():
            if c.parent_id:
                self.subs[self.cats_by_id(c.parent_id).code].append(c)
        self.departments = {
            d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(area=street, active=True)
        }
        people = dict(RoleAssignment.objects.filter(area=street).values_list("role", "user_id"))
        self.dispatcher = people.get(Role.STREET_DISPATCHER)
        self.leader = people.get(Role.LEADER)
        self.grid_worker = dict(
            RoleAssignment.objects.filter(role=Role.GRID_WORKER, area__in=self.grids).values_list(
                "area_id", "user_id"
            )
        )
        self.community_staff = dict(
            RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF, area__parent=street).values_list(
                "area__path", "user_id"
            )
        )
        self.handler = dict(
            RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department__area=street).values_list(
                "department_id", "user_id"
            )
        )
        self.supervisor = (
            RoleAssignment.objects.filter(role=Role.DISTRICT_SUPERVISOR, area=street.parent)
            .values_list("user_id", flat=True)
            .first()
        )
        self.resident_user = (
            Resident.objects.filter(user__username="resident").values_list("user_id", "id", "path").first()
        )
        self.walks: list[Walk] = []
        self.recent: dict[tuple, list[Walk]] = defaultdict(list)

    def cats_by_id(self, pk):
        return next(c for c in self.cats.values() if c.pk == pk)

    # --- choosing ------------------------------------------------------------------------------

    def pick_category(self) -> Category:
        tops = list(WEIGHTS)
        top = self.rng.choices(tops, weights=[WEIGHTS[t] for t in tops])[0]
        return self.rng.choice(self.subs[top])

    def describe(self, cat: Category) -> str:
        if cat.code in PHRASES:
            return self.rng.choice(PHRASES[cat.code])
        words = cat.keywords.split()
        return (f"{self.rng.choice(words)}问题，" if words else "") + f"{cat.name}，请尽快处理"

    def target(self, age_days: float) -> str:
        r = self.rng.random()
        if age_days > 45:
            table = [
                (0.035, State.NOT_ACCEPTED),
                (0.06, State.MERGED),
                (0.08, State.ON_HOLD),
                (0.09, State.IN_PROGRESS),
            ]
        elif age_days > 10:
            table = [
                (0.03, State.NOT_ACCEPTED), (0.05, State.MERGED), (0.08, State.ON_HOLD), (0.16, State.IN_PROGRESS),
                (0.20, State.HANDLED), (0.22, State.REWORK), (0.24, State.DISPATCHED), (0.25, State.RETURNED),
            ]  # fmt: skip
        else:
            table = [
                (0.03, State.NOT_ACCEPTED), (0.05, State.MERGED), (0.13, State.SUBMITTED), (0.21, State.REGISTERED),
                (0.33, State.DISPATCHED), (0.35, State.RETURNED), (0.58, State.IN_PROGRESS), (0.66, State.HANDLED),
                (0.68, State.REWORK), (0.70, State.ON_HOLD),
            ]  # fmt: skip
        for limit, state in table:
            if r < limit:
                return state
        return State.CLOSED

    def wh(self, start: datetime, low: float, high: float) -> datetime:
        return add_working_hours(start, self.rng.uniform(low, high))

    # --- one case --------------------------------------------------------------------------------

    def make(self, reported_at: datetime, grid: Area, target: str | None = None) -> Walk:
        """Walk one case from its report towards `target` (by default drawn by the case's age)."""
        rng = self.rng
        cat = self.pick_category()
        top_code = cat.code[:2]
        units = self.units.get(grid.path) or [(None, None, grid.path)]
        unit_id, building_id, path = rng.choice(units)
        r = rng.random()
        if top_code == "21":
            channel, kind = Channel.ERRAND, Kind.COORDINATION
        elif target is None and r < 0.25 and top_code in ("17", "04", "14", "05", "07", "02"):
            channel, kind = (
                rng.choice([Channel.GRID_PATROL, Channel.HOUSEHOLD_VISIT, Channel.STEWARD]),
                Kind.GENERAL,
            )
        else:
            channel = rng.choices(
                [Channel.RESIDENT_APP, Channel.GRID_PATROL, Channel.HOUSEHOLD_VISIT, Channel.HOTLINE,
                 Channel.PETITION_LETTER, Channel.PETITION_ONLINE, Channel.OPEN311, Channel.DEPARTMENT_TRANSFER],
                weights=[38, 22, 8, 20, 2, 3, 4, 3],
            )[0]  # fmt: skip
            kind = Kind.EMERGENCY if rng.random() < 0.01 else Kind.COORDINATION
        residents = self.residents.get(grid.path) or [(None, "", "")]
        resident_id, name, phone = rng.choice(residents)
        reporter_user = None
        if (
            channel == Channel.RESIDENT_APP
            and self.resident_user
            and path.startswith("/".join(self.resident_user[2].split("/")[:-3]) + "/")
            and rng.random() < 0.35
        ):
            reporter_user, resident_id = self.resident_user[0], self.resident_user[1]
        case = Case(
            follow_token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            channel=channel,
            kind=kind,
            is_errand=channel == Channel.ERRAND,
            category=cat,
            top_category_id=cat.parent_id or cat.pk,
            grid_id=grid.pk,
            building_id=building_id,
            unit_id=unit_id,
            path=path,
            lng=(grid.lng or 120.13) + rng.uniform(-0.002, 0.002),
            lat=(grid.lat or 30.27) + rng.uniform(-0.002, 0.002),
            description=self.describe(cat),
            reporter_id=resident_id if channel in (Channel.RESIDENT_APP, Channel.HOTLINE) else None,
            reporter_user_id=reporter_user,
            contact_name=name if channel == Channel.HOTLINE else "",
            contact_phone=phone if channel == Channel.HOTLINE else "",
            reported_at=reported_at,
            reported_month=rollups.month_of(reported_at),
            public=cat.public,
            jurisdiction=grid.jurisdiction,
            state=State.SUBMITTED,
            level=CaseLevel.GRID,
        )
        case.title = case.description[:120]
        walk = Walk(case)
        gw = self.grid_worker.get(grid.pk)
        if kind == Kind.GENERAL:
            self.settle(walk, gw)
        else:
            self.loop(walk, grid, gw, target or self.target((self.now - reported_at).total_seconds() / 86400))
        if case.state not in (State.MERGED, State.NOT_ACCEPTED):
            self.recent[(grid.pk, case.top_category_id)].append(walk)
        return walk

    def settle(self, walk: Walk, gw) -> None:
        c = walk.case
        t = c.reported_at
        c.level = CaseLevel.GRID
        c.registered_at = c.responded_at = c.handled_at = c.verified_at = c.closed_at = t
        c.respond_due = add_working_hours(t, c.category.respond_hours)
        c.resolve_due = add_working_hours(t, c.category.resolve_hours)
        c.clock_started_at = t
        c.result = self.rng.choice(RESULTS)
        walk.event("settle_on_spot", t, gw, State.CLOSED, c.result)

    def loop(self, walk: Walk, grid: Area, gw, target: str) -> None:
        rng, c, now = self.rng, walk.case, self.now
        t = c.reported_at
        cat = c.category
        c.clock_started_at = t
        c.respond_due = add_working_hours(t, cat.respond_hours)
        c.resolve_due = add_working_hours(t, cat.resolve_hours)
        staff = c.channel not in (Channel.RESIDENT_APP, Channel.OPEN311, Channel.PETITION_ONLINE)
        at_street = c.channel in (Channel.HOTLINE, Channel.PETITION_LETTER, Channel.PETITION_ONLINE,
                                  Channel.DEPARTMENT_TRANSFER)  # fmt: skip
        c.level = (
            CaseLevel.DISTRICT
            if c.kind == Kind.EMERGENCY
            else (CaseLevel.STREET if at_street else CaseLevel.GRID)
        )
        walk.event("report", t, gw if c.channel in (Channel.GRID_PATROL, Channel.HOUSEHOLD_VISIT, Channel.ERRAND) else
                   (self.dispatcher if at_street else c.reporter_user_id), State.REGISTERED if staff else State.SUBMITTED,
                   data_channel=c.channel)  # fmt: skip
        if staff:
            c.registered_at = t
        community_staff = self.community_staff.get("/".join(grid.path.split("/")[:-2]) + "/")

        def stop(at: datetime) -> bool:
            return at > now

        if target == State.SUBMITTED:
            c.level_due = level_due(c.level, t) if c.level in (CaseLevel.GRID,) else None
            return
        if not staff:
            t = self.wh(t, 0.2, 3)
            if stop(t):
                return
            walk.event("register", t, gw, State.REGISTERED)
            c.registered_at = t
        if target == State.NOT_ACCEPTED:
            reason = rng.choice(UNACCEPTED)
            c.not_accepted_reason = reason
            walk.event("not_accept", t, gw, State.NOT_ACCEPTED, reason)
            return
        if target == State.MERGED:
            candidates = self.recent.get((c.grid_id, c.top_category_id), [])[-5:]
            if candidates:
                walk.merged_into = rng.choice(candidates)
                walk.event("merge", t, self.dispatcher, State.MERGED, pgettext("demo", "the same matter as an earlier report"),
                           public=True)  # fmt: skip
                return
            target = State.CLOSED
        if c.kind == Kind.CONCENTRATED or (rng.random() < 0.02 and target != State.REGISTERED):
            c.kind = Kind.CONCENTRATED
            c.flagged_for_deliberation_at = t
            c.deliberation_note = "多位居民反映，提交居民议事会协商"
            walk.event("flag_for_deliberation", t, community_staff, c.state, c.deliberation_note)
        if target == State.REGISTERED:
            c.level_due = level_due(c.level, t) if c.level == CaseLevel.GRID else None
            return
        top_code = c.category.code[:2]
        suffix = SUB_DEPARTMENT.get(c.category.code, DEPARTMENT_OF.get(top_code, "CG"))
        chain = (not suffix) or (
            c.level == CaseLevel.GRID and top_code in ("14", "07", "17", "13", "10") and rng.random() < 0.4
        )
        if c.kind == Kind.EMERGENCY:
            chain, suffix = False, "YJ"
        handler_actor = gw
        if chain:
            if target in (State.DISPATCHED, State.RETURNED):
                target = State.IN_PROGRESS
            t = self.wh(t, 0.2, 4)
            if stop(t):
                c.level_due = level_due(c.level, c.registered_at)
                return
            c.responded_at = t
            walk.event("accept", t, gw, State.IN_PROGRESS)
            c.level_due = level_due(c.level, t)
            if rng.random() < 0.12:
                esc = c.level_due
                if not stop(esc):
                    c.level = CaseLevel.BRANCH
                    c.escalated_at = esc
                    c.level_due = level_due(CaseLevel.BRANCH, esc)
                    walk.event("auto_escalate", esc, None, c.state, data_level="branch")
                    t = max(t, esc)
        else:
            dept = self.departments.get(suffix) or self.departments.get("CG")
            t = self.wh(t, 0.1, 2 if c.kind != Kind.EMERGENCY else 0.3)
            if stop(t):
                return
            if rng.random() < 0.06 or target == State.RETURNED:
                wrong = rng.choice([d for d in self.departments.values() if d.pk != dept.pk])
                walk.event("dispatch", t, self.dispatcher, State.DISPATCHED, data_department=wrong.pk)
                c.dispatched_at = t
                c.level = CaseLevel.STREET
                t = self.wh(t, 0.3, 3.5)
                if stop(t):
                    c.department = wrong
                    return
                walk.event("return_to_dispatcher", t, self.handler.get(wrong.pk), State.RETURNED,
                           rng.choice(RETURN_REASONS), public=False, data_department=wrong.pk)  # fmt: skip
                if target == State.RETURNED:
                    return
                t = self.wh(t, 0.2, 2)
                if stop(t):
                    return
            c.department = dept
            c.dispatched_at = t
            c.level = CaseLevel.STREET if c.kind != Kind.EMERGENCY else CaseLevel.DISTRICT
            c.level_due = None
            c.respond_due = add_working_hours(t, cat.respond_hours)
            walk.event("dispatch", t, self.dispatcher, State.DISPATCHED, data_department=dept.pk)
            if target == State.DISPATCHED:
                return
            handler_actor = self.handler.get(dept.pk)
            late = rng.random() < 0.08
            t = self.wh(t, 0.1, cat.respond_hours * (1.6 if late else 0.9))
            if stop(t):
                return
            c.responded_at = t
            walk.event("accept", t, handler_actor, State.IN_PROGRESS)
            if c.responded_at > c.respond_due:
                self.overdue(walk, "overdue_response", c.respond_due)
        if rng.random() < 0.04 and not chain:
            ask = self.wh(t, 1, 6)
            if not stop(ask):
                hours = rng.choice([8, 16, 24, 40])
                granted = rng.random() < 0.8
                decided = self.wh(ask, 0.2, 3)
                walk.extensions.append((hours, "需协调多方，申请延期", handler_actor, ask, granted, decided))
                walk.event(
                    "request_extension", ask, handler_actor, c.state, "需协调多方，申请延期", public=False
                )
                if not stop(decided):
                    walk.event("decide_extension", decided, self.dispatcher, c.state, data_granted=granted)
                    if granted:
                        c.resolve_due = add_working_hours(c.resolve_due, hours)
                t = decided  # the work goes on after the decision (a stop() past now ends the walk below)
        if target == State.ON_HOLD:
            hold = self.wh(t, 1, 16)
            if not stop(hold):
                c.held_at = hold
                c.hold_until = (timezone.localtime(now) + timedelta(days=rng.randint(10, 90))).date()
                walk.event(
                    "put_on_hold", hold, self.dispatcher, State.ON_HOLD, "需纳入年度改造计划，暂时挂账"
                )
            return
        rounds = 0
        while True:
            rounds += 1
            slow = rng.random() < 0.1
            t = self.wh(t, 0.5, cat.resolve_hours * (1.4 if slow else 0.8))
            if target == State.IN_PROGRESS or stop(t):
                self.flag_open(walk)
                return
            c.handled_at = t
            c.result = rng.choice(RESULTS)
            walk.event("mark_handled", t, handler_actor, State.HANDLED, c.result)
            if c.handled_at > c.resolve_due and not c.resolution_overdue_at:
                self.overdue(walk, "overdue_resolution", c.resolve_due)
            verifier = community_staff if chain else gw
            t = self.wh(t, 0.3, 8)
            if target == State.HANDLED or stop(t):
                return
            if rng.random() < 0.05 and rounds == 1 or (target == State.REWORK and rounds == 1):
                c.verified_at = t
                c.rework_count += 1
                c.handled_at = None
                walk.event("verify_fail", t, verifier, State.REWORK, "现场复核仍未整改到位")
                if target == State.REWORK:
                    self.flag_open(walk)
                    return
                continue
            c.verified_at = c.closed_at = t
            walk.event("verify_pass", t, verifier, State.CLOSED)
            if rng.random() < 0.65:
                rated = t + timedelta(hours=rng.uniform(2, 72))
                if stop(rated):
                    return
                r = rng.random()
                rating = (
                    Rating.SATISFIED if r < 0.82 else (Rating.BASICALLY if r < 0.95 else Rating.UNSATISFIED)
                )
                c.rating, c.rated_at = rating, rated
                if rating == Rating.UNSATISFIED and c.reopen_count == 0:
                    c.reopen_count += 1
                    c.rework_count += 1
                    c.closed_at = c.verified_at = c.handled_at = None
                    walk.event(
                        "rate", rated, c.reporter_user_id, State.REWORK, "问题没有解决", data_rating=rating
                    )
                    t = rated
                    continue
                walk.event("rate", rated, c.reporter_user_id, State.CLOSED, "", data_rating=rating)
            return

    def overdue(self, walk: Walk, action: str, due: datetime) -> None:
        c = walk.case
        at = due + timedelta(minutes=1)
        if action == "overdue_response":
            c.response_overdue_at = at
        else:
            c.resolution_overdue_at = at
        walk.orders.append((action, at, add_working_hours(at, SUPERVISION_HOURS)))
        walk.events.append((action, c.state, c.state, at, None, "", False, {}))

    def flag_open(self, walk: Walk) -> None:
        c = walk.case
        if (
            c.resolve_due
            and c.resolve_due < self.now
            and not c.resolution_overdue_at
            and c.handled_at is None
        ):
            self.overdue(walk, "overdue_resolution", c.resolve_due)

    # --- the year ------------------------------------------------------------------------------

    def generate(self, phase) -> int:
        per_month = PER_GRID_MONTH.get(getattr(self.ctx.scale, "name", ""), 6)
        start = self.now - timedelta(days=365)
        day = start
        while day < self.now - timedelta(hours=2):
            local = timezone.localtime(day)
            weekday_factor = 0.7 if local.weekday() >= 5 else 1.0
            for grid in self.grids:
                expected = per_month * 12 / 365 * weekday_factor
                n = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
                for _i in range(n):
                    hour = self.rng.choice([7, 8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 20, 21])
                    at = local.replace(
                        hour=hour, minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59)
                    )
                    if at >= self.now:
                        continue
                    self.walks.append(self.make(at, grid))
            day += timedelta(days=1)
        self.showcase()
        self.walks.sort(key=lambda w: w.case.reported_at)
        self.finish_open()
        self.write(phase)
        return len(self.walks)

    def showcase(self) -> None:
        """Make sure every state has at least one case (small demo scales may miss the rare ones)."""
        grid = self.grids[0]
        for state in State.values:
            for attempt in range(20):
                if any(w.case.state == state for w in self.walks):
                    break
                reported = self.now - timedelta(days=3 + attempt % 5, hours=attempt)
                self.walks.append(self.make(reported, grid, target=state))

    def finish_open(self) -> None:
        now = self.now
        for w in self.walks:
            c = w.case
            c.version = max(1, len(w.events))
            if c.state in (State.CLOSED, State.NOT_ACCEPTED, State.MERGED):
                c.level_due = None
                continue
            if c.level_due and c.level_due < now and c.level in (CaseLevel.GRID, CaseLevel.BRANCH):
                c.level = CaseLevel.COMMUNITY if c.level == CaseLevel.BRANCH else CaseLevel.BRANCH
                c.escalated_at = c.level_due
                w.events.append(
                    ("auto_escalate", c.state, c.state, c.level_due, None, "", True, {"level": c.level})
                )
                c.level_due = level_due(c.level, now)
            if c.state == State.ON_HOLD:
                c.remind_at = day_start(c.hold_until)
            elif c.resolve_due and c.state != State.HANDLED:
                remind = reminder_time(c.clock_started_at or c.reported_at, c.resolve_due)
                if remind > now:
                    c.remind_at = remind
                else:
                    c.reminded_at = remind
            if c.responded_at is None and c.respond_due and c.respond_due < now and not c.response_overdue_at:
                self.overdue(w, "overdue_response", c.respond_due)

    def write(self, phase) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {Case._meta.db_table}")
            first = (cursor.fetchone()[0] or 0) + 1
        for i, w in enumerate(self.walks):
            w.case.pk = first + i
        for w in self.walks:
            if w.merged_into is not None:
                w.case.merged_into_id = w.merged_into.case.pk
        batch = 2000
        for start in range(0, len(self.walks), batch):
            chunk = self.walks[start : start + batch]
            Case.objects.bulk_create([w.case for w in chunk])
            events, orders, extensions = [], [], []
            for w in chunk:
                for action, frm, to, at, actor, note, public, data in w.events:
                    data = {k.removeprefix("data_"): v for k, v in data.items()}
                    events.append(
                        CaseEvent(
                            case_id=w.case.pk,
                            jurisdiction=w.case.jurisdiction,
                            action=action,
                            from_state=frm,
                            to_state=to,
                            at=at,
                            actor_id=actor,
                            note=note,
                            public=public,
                            data=data,
                        )  # fmt: skip
                    )
                for reason, at, due in w.orders:
                    orders.append(
                        SupervisionOrder(
                            case_id=w.case.pk, jurisdiction=w.case.jurisdiction, reason=reason, at=at, due=due
                        )
                    )
                for hours, reason, by, asked, granted, decided in w.extensions:
                    done = decided <= self.now
                    extensions.append(
                        ExtensionRequest(
                            case_id=w.case.pk, jurisdiction=w.case.jurisdiction, hours=hours, reason=reason, requested_by_id=by, requested_at=asked,
                            status=(ExtensionStatus.GRANTED if granted else ExtensionStatus.REFUSED)
                            if done else ExtensionStatus.PENDING,
                            decided_by_id=self.dispatcher if done else None, decided_at=decided if done else None,
                        )
                    )  # fmt: skip
            CaseEvent.objects.bulk_create(events, batch_size=5000)
            SupervisionOrder.objects.bulk_create(orders)
            ExtensionRequest.objects.bulk_create(extensions)
            phase.add(_("cases"), len(chunk))
            phase.add(pgettext("demo", "case history"), len(events))
        services.mark_changed_from_history()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
                    cursor.execute(sql)


def no_style():
    from django.core.management.color import no_style as style

    return style()


def demo_street() -> Area | None:
    assignment = (
        RoleAssignment.objects.filter(role=Role.STREET_DISPATCHER, area__level=Level.STREET)
        .select_related("area")
        .order_by("id")
        .first()
    )
    if assignment:
        return assignment.area
    return Area.objects.filter(level=Level.STREET).order_by("path").first()


def dispatch_rules(street: Area) -> int:
    departments = {d.code.rsplit("-", 1)[-1]: d for d in Department.objects.filter(area=street)}
    n = 0
    for category in Category.objects.all():
        code = category.code
        suffix = SUB_DEPARTMENT.get(code) if category.parent_id else DEPARTMENT_OF.get(code)
        if suffix and suffix in departments:
            DispatchRule.objects.create(category=category, area=street, department=departments[suffix])
            n += 1
    return n


def live_cases(street: Area) -> int:
    """A few fresh cases through the real services, so the demo accounts find work waiting."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(
        username__in=["resident", "gridworker", "dispatcher", "handler", "steward"])}  # fmt: skip
    if len(users) < 5:
        return 0
    resident = users["resident"]
    home = Resident.objects.filter(user=resident).select_related("household__unit").first()
    if home is None or home.household is None:
        return 0
    unit = home.household.unit
    made = []
    for text in ("楼道灯坏了，晚上漆黑一片", "小区门口垃圾桶满溢，没人清运", "消防通道被车辆占用"):
        made.append(services.intake(channel="resident_app", description=text, unit=unit, by=resident).case)
    patrol = services.intake(channel="grid_patrol", description="路口井盖松动，车压过去响声很大", unit=unit,
                             by=users["gridworker"]).case  # fmt: skip
    dispatched = services.dispatch(
        made[2], users["dispatcher"], Department.objects.get(code=f"{street.code}-CG")
    )
    services.accept(dispatched, users["handler"])
    services.register(made[0], users["gridworker"])
    steward_unit = RoleAssignment.objects.filter(user=users["steward"], role=Role.UNIT_STEWARD).first()
    if steward_unit is not None:
        services.settle_on_spot(
            by=users["steward"],
            description="楼道堆放纸箱",
            result="已劝导住户当场清理",
            unit=steward_unit.area,
        )
    services.comment(patrol, users["gridworker"], "已设置警示标志，等待派遣")
    return len(made) + 2


def generate(ctx: DemoContext) -> None:
    street = demo_street()
    if street is None:
        return
    with ctx.progress.phase(_("cases: a year of the demo street")) as phase, transaction.atomic():
        rules = dispatch_rules(street)
        phase.add(_("dispatch rules"), rules)
        Year(ctx, street).generate(phase)
    with ctx.progress.phase(pgettext("demo", "cases: figures and live cases")) as phase:
        with transaction.atomic():
            phase.add(_("cases"), rollups.rebuild())
        phase.add(pgettext("demo", "live cases"), live_cases(street))
        from civicgrid.core import outbox

        outbox.drain(max_rounds=50)
        rollups.process_pending()


def cleanup(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("deleting the demo cases")) as phase, transaction.atomic():
        InboxMessage.objects.all().delete()
        OutboxEvent.objects.filter(topic__startswith="case").delete()
        OutboxEvent.objects.filter(topic="webhook.deliver").delete()
        Case.objects.filter(merged_into__isnull=False).update(merged_into=None)
        phase.add(_("cases"), Case.objects.count())
        Case.objects.all().delete()
        DispatchRule.objects.all().delete()
        rollups.rebuild()


register_step("cases", generate, cleanup, order=100)
