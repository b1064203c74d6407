"""Demo step "mediation": centres at every level of the demo street, their rosters, and a year of
disputes in every state, some handed over from the year's 矛盾纠纷 cases and some that came back.

The year is written in bulk (each dispute walked through its path with working-time-aware
timestamps, with its parties, mediators, sessions, agreement, confirmations, follow-ups, judicial
confirmations and history), then the rollups are rebuilt from it. A few live disputes at the end go
through the real services, so the demo mediator and centre head find work waiting.

Accounts: `centrehead` (head of the street's 矛调中心) and `mediator` (people's mediation committee,
street centre); the demo `community` account also sits on its community's committee.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.cases.models import Case
from civicgrid.core.models import OutboxEvent
from civicgrid.core.workcalendar import add_working_days, add_working_hours, is_workday, next_workday
from civicgrid.demo.accounts import DEMO_PASSWORD, demo_email, register_accounts
from civicgrid.demo.names import PersonMaker
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.mediation import rollups, services
from civicgrid.mediation.models import (
    Agreement,
    Assignment,
    Centre,
    CentreStaff,
    CloseDaysCount,
    Confirmation,
    DeclaredConflict,
    Dispute,
    DisputeEvent,
    DisputeRollup,
    FollowUp,
    JudicialReferral,
    Mediator,
    Party,
    Session,
    StaffRole,
)
from civicgrid.mediation.workflow import LIMIT_WORKING_DAYS, DisputeType, Pool, State

HEAD, MEDIATOR = "centrehead", "mediator"
ROSTER_PREFIX = "med_"
# Disputes per centre per month, by centre level.
PER_MONTH = {"community": 2, "street": 8, "county": 5}
TYPE_WEIGHTS = {
    "neighbours": 30, "family": 18, "property": 16, "labour": 12, "land": 4, "consumer": 8,
    "traffic": 6, "medical": 2, "other": 4,
}  # fmt: skip
SUMMARIES = {
    "neighbours": [
        "楼上漏水到楼下，协商不成",
        "邻居装修噪音扰民",
        "公共楼道堆物引发争吵",
        "空调外机位置纠纷",
    ],
    "family": ["子女赡养老人费用分担", "离婚后子女探视纠纷", "兄弟分家析产纠纷"],
    "property": ["拖欠物业费与服务质量争议", "电梯维修费用分摊纠纷", "停车位归属纠纷"],
    "labour": ["装修工人被拖欠工资", "餐馆员工辞职后工资未结清", "工地农民工讨薪"],
    "land": ["旧改征迁补偿争议", "宅基地边界纠纷"],
    "consumer": ["预付卡商家关门退费纠纷", "二手车质量纠纷"],
    "traffic": ["电动车与行人碰撞赔偿", "小区内车辆剐蹭赔偿"],
    "medical": ["诊所治疗后并发症赔偿争议"],
    "other": ["宠物伤人赔偿纠纷", "网购合伙经营分成纠纷"],
}
ORG_RESPONDENT = {
    "property": "物业服务有限公司",
    "labour": "装饰工程有限公司",
    "consumer": "商贸有限公司",
    "medical": "社区诊所",
}
POOL_MIX = {
    "community": [Pool.COMMITTEE, Pool.COMMITTEE, Pool.COMMITTEE, Pool.LEGAL],
    "street": [Pool.COMMITTEE, Pool.COMMITTEE, Pool.LEGAL, Pool.DEPUTY, Pool.POLICE, Pool.PROFESSIONAL],
    "county": [Pool.PROFESSIONAL, Pool.PROFESSIONAL, Pool.LEGAL, Pool.DEPUTY, Pool.POLICE],
}
COURT = "区人民法院"


def _street() -> Area | None:
    from civicgrid.people.models import Role, RoleAssignment

    a = (
        RoleAssignment.objects.filter(role=Role.STREET_DISPATCHER, area__level=Level.STREET)
        .select_related("area")
        .first()
    )
    return a.area if a else Area.objects.filter(level=Level.STREET).order_by("path").first()


def _working_moment(rng, day: datetime) -> datetime:
    local = timezone.localtime(day)
    d = next_workday(local.date())
    hour = rng.choice([9, 9, 10, 10, 11, 14, 15, 16])
    return timezone.make_aware(datetime(d.year, d.month, d.day, hour, rng.randint(0, 59)))


class Year:
    def __init__(self, ctx: DemoContext, street: Area):
        self.ctx, self.street = ctx, street
        self.rng = ctx.rng("mediation")
        self.maker = PersonMaker(self.rng)
        self.now = timezone.now()
        self.rows: dict[str, list] = {
            k: []
            for k in ("party", "assign", "session", "agreement", "confirm", "follow", "judicial", "event")
        }

    # ---- set-up: centres, accounts, rosters
    def centres(self) -> list[Centre]:
        district = self.street.parent
        out = [services.create_centre(area=district, name=f"{district.name}矛盾纠纷调处化解中心")]
        out.append(services.create_centre(area=self.street, name=f"{self.street.name}矛调中心"))
        for community in Area.objects.filter(parent=self.street, level=Level.COMMUNITY).order_by("code"):
            out.append(services.create_centre(area=community, name=f"{community.name}人民调解委员会"))
        return out

    def people(self, centres: list[Centre]) -> dict:
        from civicgrid.people.services import bulk_create_users

        specs = [
            {"username": HEAD, "first_name": self.maker.name("F")},
            {"username": MEDIATOR, "first_name": self.maker.name("M")},
        ]
        n = 0
        plan = []
        for c in centres:
            for pool in POOL_MIX[c.level]:
                n += 1
                plan.append((c, pool, f"{ROSTER_PREFIX}{n:04d}"))
                specs.append({"username": plan[-1][2], "first_name": self.maker.name(self.rng.choice("MF"))})
        for spec in specs:
            spec["email"] = demo_email(spec["username"])
        users = {u.username: u for u in bulk_create_users(specs, DEMO_PASSWORD)}
        street_centre = next(c for c in centres if c.level == "street")
        services.add_staff(street_centre, users[HEAD], role=StaffRole.HEAD)
        mediators = {c.pk: [] for c in centres}
        m = services.enrol_mediator(
            street_centre,
            users[MEDIATOR],
            name=users[MEDIATOR].first_name,
            pool=Pool.COMMITTEE,
            types=["neighbours", "family"],
        )
        mediators[street_centre.pk].append(m)
        for c, pool, username in plan:
            u = users[username]
            mediators[c.pk].append(services.enrol_mediator(c, u, name=u.first_name, pool=pool, max_open=8))
        # Every other centre is headed by the first mediator on its roster (the committee's chair);
        # the demo community worker sits on its community's committee as staff.
        for c in centres:
            if c != street_centre:
                services.add_staff(c, mediators[c.pk][0].user, role=StaffRole.HEAD)
        community_user = get_user_model().objects.filter(username="community").first()
        if community_user:
            from civicgrid.people.models import RoleAssignment

            ra = (
                RoleAssignment.objects.filter(user=community_user, area__isnull=False)
                .select_related("area")
                .first()
            )
            centre = next((c for c in centres if ra and c.area_id == ra.area_id), None)
            if centre:
                services.add_staff(centre, community_user)
        return {"users": users, "mediators": mediators, "street_centre": street_centre}

    # ---- the year
    def parties(self, dtype: str) -> list[dict]:
        a = {
            "side": "applicant",
            "kind": "person",
            "name": self.maker.name(self.rng.choice("MF")),
            "phone": self.maker.phone(),
        }
        if dtype in ORG_RESPONDENT and self.rng.random() < 0.7:
            b = {
                "side": "respondent",
                "kind": "organisation",
                "name": self.maker.name("M")[0] + "氏" + ORG_RESPONDENT[dtype],
                "phone": "",
            }
        else:
            b = {
                "side": "respondent",
                "kind": "person",
                "name": self.maker.name(self.rng.choice("MF")),
                "phone": self.maker.phone(),
            }
        return [a, b]

    def ev(self, d: Dispute, action, at, actor, frm, to, note=""):
        self.rows["event"].append(
            DisputeEvent(
                dispute=d,
                jurisdiction=d.jurisdiction,
                actor=actor,
                action=action,
                from_state=frm,
                to_state=to,
                note=note,
                at=at,
            )
        )

    def generate(self, phase, centres, staff) -> int:
        types = list(TYPE_WEIGHTS)
        weights = [TYPE_WEIGHTS[t] for t in types]
        cases = list(
            Case.objects.filter(
                path__startswith=self.street.path, top_category__code="07", merged_into__isnull=True
            )
            .order_by("reported_at")
            .values_list("pk", "reported_at", "path")
        )
        case_share = min(0.25, len(cases) / max(1, 12 * sum(PER_MONTH[c.level] for c in centres)))
        plans = []
        start = self.now - timedelta(days=365)
        for c in centres:
            total = PER_MONTH[c.level] * 12
            for _i in range(total):
                plans.append((c, _working_moment(self.rng, start + timedelta(days=self.rng.uniform(0, 364)))))
        plans.sort(key=lambda p: p[1])
        earlier: list[tuple[Dispute, list[dict]]] = []
        disputes: list[tuple[Dispute, list[dict], str]] = []
        for c, at in plans:
            if at >= self.now:
                continue
            dtype = self.rng.choices(types, weights)[0]
            people = self.parties(dtype)
            came_back = None
            if earlier and self.rng.random() < 0.05:
                first, first_people = self.rng.choice(earlier[-40:])
                if first.centre_id == c.pk and first.closed_at and first.closed_at < at:
                    came_back, people, dtype = first, [dict(p) for p in first_people], first.dispute_type
            case_id = None
            if cases and self.rng.random() < case_share and c.level != "county":
                pk, reported, path = cases.pop(0)
                if path.startswith(c.path) and reported < at:
                    case_id = pk
            channel = "case" if case_id else self.rng.choices(["walk_in", "police", "court"], [70, 15, 15])[0]
            ref_no = ""
            if channel == "police":
                ref_no = f"警调移{at:%Y}{self.rng.randint(100, 999)}号"
            elif channel == "court":
                ref_no = f"({at:%Y})浙0106民诉前调{self.rng.randint(100, 999)}号"
            due, remind = services.time_limit(dtype, at)
            d = Dispute(
                ref=f"tmp-demo-{len(disputes)}",
                centre=c,
                path=c.path,
                level=c.level,
                jurisdiction=c.jurisdiction,
                channel=channel,
                channel_ref=ref_no,
                dispute_type=dtype,
                summary=self.rng.choice(SUMMARIES[dtype]),
                facts=_(
                    "(demo) The parties could not settle it between themselves and asked the centre to mediate."
                ),
                amount=(
                    self.rng.choice([800, 1500, 3000, 5000, 12000, 26000])
                    if dtype in ("labour", "consumer", "traffic", "medical", "property")
                    else None
                ),
                urgency="risk" if self.rng.random() < 0.06 else "normal",
                case_id=case_id,
                received_at=at,
                due_at=due,
                remind_at=remind,
            )
            d.received_month = timezone.localdate(at).replace(day=1)
            d.first_time = came_back  # linked once both have ids
            self.walk(d, people, staff["mediators"][c.pk], staff["users"])
            disputes.append((d, people, c.level))
            if d.closed_at:
                earlier.append((d, people))
        Dispute.objects.bulk_create([d for d, _p, _l in disputes], batch_size=1000)
        for d, _p, _l in disputes:
            d.ref = f"TJ{timezone.localdate(d.received_at):%Y}-{d.jurisdiction[-6:]}-{d.pk:06d}"
            d.came_back_from_id = d.first_time.pk if d.first_time else None
        Dispute.objects.bulk_update([d for d, _p, _l in disputes], ["ref", "came_back_from"], batch_size=1000)
        phase.add(_("disputes"), len(disputes))
        # Children, now that the disputes have ids.
        party_rows = []
        for d, people, _l in disputes:
            for p in people:
                party_rows.append(Party(dispute=d, jurisdiction=d.jurisdiction, **p))
        Party.objects.bulk_create(party_rows, batch_size=2000)
        by_dispute: dict[int, list[Party]] = {}
        for p in party_rows:
            by_dispute.setdefault(p.dispute_id, []).append(p)
        for model, key in ((Assignment, "assign"), (Session, "session"), (Agreement, "agreement")):
            for obj in self.rows[key]:
                obj.dispute_id = obj.dispute.pk
            model.objects.bulk_create(self.rows[key], batch_size=2000)
            phase.add(model._meta.verbose_name_plural, len(self.rows[key]))
        confirm = [
            Confirmation(
                agreement=a,
                party=p,
                jurisdiction=a.jurisdiction,
                method=self.rng.choice(["signature", "window"]),
                at=a.agreed_at,
            )
            for a in self.rows["agreement"]
            if a.agreed_at
            for p in by_dispute[a.dispute_id]
        ]
        Confirmation.objects.bulk_create(confirm, batch_size=2000)
        Session.present.through.objects.bulk_create(
            [
                Session.present.through(session_id=s.pk, party_id=p.pk)
                for s in self.rows["session"]
                if s.held_at
                for p in by_dispute[s.dispute_id]
                if s.outcome != "adjourned" or p.side == "applicant"
            ],
            batch_size=2000,
        )
        for model, key in ((FollowUp, "follow"), (JudicialReferral, "judicial"), (DisputeEvent, "event")):
            for obj in self.rows[key]:
                obj.dispute_id = obj.dispute.pk
            model.objects.bulk_create(self.rows[key], batch_size=2000)
            phase.add(model._meta.verbose_name_plural, len(self.rows[key]))
        phase.add(_("parties"), len(party_rows))
        return len(disputes)

    def walk(self, d: Dispute, people, roster: list[Mediator], users) -> None:
        """Walk one dispute along its path to a state that fits its age, with timestamps."""
        rng, at = self.rng, d.received_at
        age = (self.now - at).days
        self.ev(d, "intake", at, None, "", State.RECEIVED, d.summary)
        roll = rng.random()
        if age < 3 and roll < 0.5:
            d.state = State.RECEIVED
            return
        if roll < 0.03 and age > 5:  # withdrawn before a mediator was assigned
            d.closed_at = add_working_hours(at, rng.randint(4, 30))
            d.state, d.failure_reason = State.WITHDRAWN, _("The parties settled it themselves.")
            self.ev(d, "withdraw", d.closed_at, None, State.RECEIVED, State.WITHDRAWN, d.failure_reason)
            return
        lead = rng.choice(roster)
        t = add_working_hours(at, rng.uniform(1, 8))
        self.rows["assign"].append(
            Assignment(dispute=d, mediator=lead, lead=True, assigned_at=t, jurisdiction=d.jurisdiction)
        )
        self.ev(d, "assign", t, None, State.RECEIVED, State.ASSIGNED, lead.name)
        d.state = State.ASSIGNED
        if rng.random() < 0.25 and len(roster) > 1:  # 联调: a second mediator from another pool
            second = rng.choice([m for m in roster if m.pk != lead.pk])
            t2 = add_working_hours(t, 2)
            self.rows["assign"].append(
                Assignment(
                    dispute=d, mediator=second, lead=False, assigned_at=t2, jurisdiction=d.jurisdiction
                )
            )
            self.ev(d, "add_mediator", t2, None, State.ASSIGNED, State.ASSIGNED, second.name)
        limit_days = LIMIT_WORKING_DAYS[DisputeType(d.dispute_type)]
        n_sessions = rng.choice([1, 1, 2, 2, 3])
        if age < 10:
            n_sessions = min(n_sessions, 1)
        for i in range(n_sessions):
            start = add_working_hours(t, rng.uniform(4, limit_days * 8 / (n_sessions + 1)))
            start = start.replace(minute=0, second=0, microsecond=0)
            if not is_workday(timezone.localdate(start)):
                start = add_working_hours(start, 1)
            held = start <= self.now - timedelta(hours=2)
            last = i == n_sessions - 1
            outcome = ""
            if held:
                outcome = (
                    "adjourned"
                    if (not last and rng.random() < 0.3)
                    else ("progress" if not last else rng.choice(["agreement"] * 8 + ["no_agreement"] * 2))
                )
            s = Session(
                dispute=d,
                number=i + 1,
                starts_at=start,
                place=_("mediation room"),
                jurisdiction=d.jurisdiction,
                held_at=start + timedelta(hours=1) if held else None,
                outcome=outcome,
                notes=_("(demo) Both sides were heard; the mediator explained the law and the options.")
                if held
                else "",
            )
            self.rows["session"].append(s)
            self.ev(d, "schedule_session", add_working_hours(t, 1), None, d.state, d.state)
            if not held:
                return
            self.ev(d, "record_session", s.held_at, None, d.state, State.MEDIATING, s.get_outcome_display())
            d.state = State.MEDIATING
            t = s.held_at
        outcome = self.rows["session"][-1].outcome
        if outcome == "no_agreement" or rng.random() < 0.04:
            d.closed_at = add_working_hours(t, 1)
            d.state, d.route = (
                State.FAILED,
                rng.choice(
                    [
                        "litigation",
                        "arbitration" if d.dispute_type == "labour" else "litigation",
                        "administrative",
                    ]
                ),
            )
            d.failure_reason = _("The parties' positions were too far apart.")
            self.ev(d, "mark_failed", d.closed_at, None, State.MEDIATING, State.FAILED, d.failure_reason)
            return
        if outcome != "agreement":
            return  # still mediating
        agreed_at = add_working_hours(t, 0.5)
        pay = timezone.localdate(agreed_at) + timedelta(days=rng.choice([7, 15, 30]))
        a = Agreement(
            dispute=d,
            jurisdiction=d.jurisdiction,
            facts=d.summary,
            terms=_("(demo) The respondent pays and puts the matter right by the date agreed."),
            schedule=[{"date": pay.isoformat(), "what": _("payment and repair")}],
            drafted_at=agreed_at,
            agreed_at=agreed_at,
        )
        self.rows["agreement"].append(a)
        self.ev(d, "draft_agreement", agreed_at, None, State.MEDIATING, State.MEDIATING)
        self.ev(d, "mark_agreed", agreed_at, None, State.MEDIATING, State.AGREED)
        d.closed_at, d.state = agreed_at, State.AGREED
        fu = FollowUp(dispute=d, jurisdiction=d.jurisdiction, due_on=pay, what=_("payment and repair"))
        self.rows["follow"].append(fu)
        if rng.random() < 0.15 and agreed_at < self.now - timedelta(days=21):
            self.rows["judicial"].append(
                JudicialReferral(
                    dispute=d,
                    jurisdiction=d.jurisdiction,
                    court=COURT,
                    referred_on=timezone.localdate(agreed_at) + timedelta(days=rng.randint(1, 20)),
                    result="confirmed" if pay < self.now.date() else "pending",
                    result_on=pay if pay < self.now.date() else None,
                )
            )
            self.ev(
                d, "refer_judicial", agreed_at + timedelta(days=1), None, State.AGREED, State.AGREED, COURT
            )
        if pay <= timezone.localdate(self.now) - timedelta(days=1):
            done = timezone.make_aware(
                datetime.combine(next_workday(pay), datetime.min.time().replace(hour=10))
            )
            if done < self.now:
                fu.done_at, fu.method = done, rng.choice(["visit", "call"])
                fu.performance = rng.choice(["performed"] * 9 + ["partly"])
                self.ev(
                    d,
                    "record_follow_up",
                    done,
                    None,
                    State.AGREED,
                    State.PERFORMED if fu.performance == "performed" else State.AGREED,
                )
                if fu.performance == "performed":
                    d.state, d.performed_at = State.PERFORMED, done


def live(staff: dict, street_centre: Centre) -> int:
    """A few disputes through the real services, so the demo accounts find work waiting."""
    users = staff["users"]
    head, mediator = users[HEAD], users[MEDIATOR]
    me = Mediator.objects.get(user=mediator)
    n = 0

    def take(summary, dtype="neighbours", **kw):
        return services.intake(
            centre=street_centre,
            by=head,
            channel=kw.pop("channel", "walk_in"),
            dispute_type=dtype,
            summary=summary,
            facts=summary,
            parties=kw.pop("parties", None)
            or [
                {"side": "applicant", "name": "陈立新", "phone": "13700001111"},
                {"side": "respondent", "name": "黄秀英", "phone": "13900002222"},
            ],
            **kw,
        )

    take("群租房噪音扰民，双方多次争吵", urgency="risk")
    n += 1
    d = take("楼上卫生间漏水，协商赔偿不成", amount=2000)
    services.assign(d, me, head)
    when = timezone.make_aware(
        datetime.combine(
            add_working_days(timezone.localdate(), 1), datetime.min.time().replace(hour=9, minute=30)
        )
    )
    services.schedule_session(d, mediator, starts_at=when, place="街道矛调中心第一调解室")
    n += 1
    d = take(
        "物业费拖欠与电梯维修纠纷",
        "property",
        parties=[
            {"side": "applicant", "name": "刘建国", "phone": "13600003333"},
            {"side": "respondent", "kind": "organisation", "name": "安居物业服务有限公司"},
        ],
    )
    services.assign(d, me, head)
    s = services.schedule_session(
        d,
        mediator,
        starts_at=timezone.now() + timedelta(minutes=5),
        place="街道矛调中心第二调解室",
        non_working_day=not is_workday(timezone.localdate()),
        override_reason=_("demo"),
    )
    services.record_session(
        s,
        mediator,
        present=list(d.parties.all()),
        notes="双方基本达成一致，待起草协议。",
        outcome="agreement",
    )
    services.draft_agreement(
        d,
        mediator,
        facts="业主拖欠物业费一年，物业电梯长期失修。",
        terms="一、物业于两周内修复电梯。\n二、业主于电梯修复后一周内补缴物业费。",
        schedule=[
            {"date": timezone.localdate() + timedelta(days=14), "what": "修复电梯"},
            {"date": timezone.localdate() + timedelta(days=21), "what": "补缴物业费"},
        ],
    )
    services.confirm_party(d, d.parties.get(side="applicant"), mediator, method="signature")
    n += 1
    return n


@transaction.atomic
def _generate(ctx: DemoContext, street: Area) -> None:
    year = Year(ctx, street)
    with ctx.progress.phase(_("mediation: centres, rosters and a year of disputes")) as phase:
        centres = year.centres()
        phase.add(_("centres"), len(centres))
        staff = year.people(centres)
        phase.add(_("mediators"), sum(len(v) for v in staff["mediators"].values()))
        year.generate(phase, centres, staff)
        phase.add(_("rollup rows"), rollups.rebuild())
        phase.add(_("live disputes"), live(staff, staff["street_centre"]))
    from civicgrid.core import outbox

    outbox.drain(max_rounds=20)


def generate(ctx: DemoContext) -> None:
    street = _street()
    if street is None or street.parent is None:
        return
    _generate(ctx, street)


def cleanup(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("deleting the demo disputes")) as phase, transaction.atomic():
        OutboxEvent.objects.filter(topic__startswith="mediation.").delete()
        phase.add(_("disputes"), Dispute.objects.count())
        Dispute.objects.filter(came_back_from__isnull=False).update(came_back_from=None)
        for model in (
            DisputeEvent,
            FollowUp,
            JudicialReferral,
            Confirmation,
            Agreement,
            Session,
            DeclaredConflict,
            Assignment,
            Party,
            Dispute,
            DisputeRollup,
            CloseDaysCount,
            Mediator,
            CentreStaff,
            Centre,
        ):
            model.objects.all().delete()
        get_user_model().objects.filter(username__in=[HEAD, MEDIATOR]).delete()
        get_user_model().objects.filter(
            username__startswith=ROSTER_PREFIX, email__endswith="demo.civicgrid.invalid"
        ).delete()


def account_rows() -> list[list[str]]:
    """The mediation demo accounts, for the table `civicgrid demo` prints."""
    staff = {
        m.user.username: m
        for m in CentreStaff.objects.filter(user__username=HEAD).select_related("user", "centre")
    }
    med = {
        m.user.username: m
        for m in Mediator.objects.filter(user__username=MEDIATOR).select_related("user", "centre")
    }
    rows = []
    if HEAD in staff:
        rows.append(["矛调中心主任", "mediation centre head", HEAD, staff[HEAD].centre.name])
    if MEDIATOR in med:
        rows.append(["人民调解员", "mediator", MEDIATOR, med[MEDIATOR].centre.name])
    return rows


register_accounts(account_rows)
register_step("mediation", generate, cleanup, order=150)
