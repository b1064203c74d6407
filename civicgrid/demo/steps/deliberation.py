"""Demo step "deliberation": resident deliberation in three pilot communities of the demo street.

61 topics collected, 33 carried out (the published pilot figures), the rest in every step of both
procedures (two pilot communities follow 六步议事, the third 四议两公开) and a few declined with
their reasons; one topic started as concentrated cases and ended with its cases closed and the result
fed back, another raised from concentrated cases is still in research. Each topic is walked through
the real services; afterwards its timestamps are spread back over the past year (so the figures show
days from raised to carried out) and the rollup table is rebuilt. The council 1+7+X of each pilot
community gets demo accounts (see demo/accounts.py COUNCIL_ACCOUNTS).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Compound, Household, Level
from civicgrid.cases import services as case_services
from civicgrid.core.models import OutboxEvent
from civicgrid.deliberation import procedures, rollups, services
from civicgrid.deliberation.models import (
    Council,
    JointMeeting,
    JointMeetingReminder,
    Publication,
    Topic,
    TopicEvent,
    TopicRollup,
    TopicStep,
    Vote,
)
from civicgrid.deliberation.workflow import SeatKind
from civicgrid.demo.accounts import COUNCIL_ACCOUNTS, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, demo_email
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.people.models import Resident, Role, RoleAssignment
from civicgrid.people.services import assign_role, bulk_assign_roles, bulk_create_users

SUBJECTS = [
    (
        "小区停车难，车辆乱停占用消防通道",
        "晚上车位不足，车辆停到消防通道和绿化带，希望规划停车位、实行错时停车。",
    ),
    ("文明养犬，遛狗不牵绳", "小区里遛狗不拴绳、粪便不清理，老人小孩害怕，希望制定养犬公约。"),
    ("背街小巷路面破损需重新铺设", "巷子路面坑洼，雨天积水，老人出行不便。"),
    ("老旧小区雨污管网接入", "部分楼栋生活污水直排雨水管，需要接入市政污水管网。"),
    ("电动车充电难，楼道飞线充电", "楼道里飞线充电存在火灾隐患，希望增设集中充电棚。"),
    ("加装电梯意见不一", "高层住户希望加装电梯，一楼住户担心采光和噪音。"),
    ("楼道堆物清理", "楼道堆放杂物堵塞通道，需要集中清理并建立长效机制。"),
    ("广场舞噪音扰民", "晚间广场舞音量太大，影响休息，希望协商时间和音量。"),
    ("小区绿化改造", "绿地被占用种菜，希望统一改造为休闲绿地。"),
    ("垃圾分类投放点选址", "新设的垃圾分类投放点离住户窗户太近，气味大。"),
    ("增设老年食堂", "社区老人多，希望开设老年食堂解决吃饭难。"),
]
PILOTS = 3
# Per pilot community: (procedure, carried out, declined, topics left in each step)
PLAN = [(procedures.SIX_STEPS, 12, 2, 2), (procedures.SIX_STEPS, 11, 2, 0), (procedures.FOUR_TWO, 10, 0, 2)]


def demo_street() -> Area | None:
    from civicgrid.demo.steps.cases import demo_street as street_of_cases

    return street_of_cases()


class Pilot:
    """One pilot community: its council, its staff account, residents who support topics."""

    def __init__(self, ctx, community: Area, index: int, procedure_code: str):
        self.community = community
        self.index = index
        User = get_user_model()
        # community staff hold the community's level of the chain, so they can close its cases
        self.staff = User.objects.filter(roles__role=Role.COMMUNITY_STAFF, roles__area=community).first()
        made = []
        if self.staff is None:
            made.append({"username": f"delib_staff_{index}", "first_name": "社区工作者"})
        for account in COUNCIL_ACCOUNTS:
            made.append(
                {
                    "username": f"{account.username}{'' if index == 0 else f'_{index}'}",
                    "first_name": account.zh,
                }
            )
        for i in range(12):
            made.append({"username": f"delib_res_{index}_{i}", "first_name": "居民"})
        for spec in made:
            spec["email"] = demo_email(spec["username"])
        users = {u.username: u for u in bulk_create_users(made, DEMO_PASSWORD)}
        if self.staff is None:
            self.staff = users[f"delib_staff_{index}"]
            assign_role(self.staff, Role.COMMUNITY_STAFF, area=community)
        council = services.council_for(community)
        Council.objects.filter(pk=council.pk).update(procedure=procedures.get(procedure_code))
        if not council.seats.filter(kind=SeatKind.SECRETARY).exists():
            services.add_seat(
                community, self.staff, kind=SeatKind.SECRETARY, holder="社区党组织书记", user=self.staff
            )
        self.seats = {}
        for account in COUNCIL_ACCOUNTS:
            user = users[f"{account.username}{'' if index == 0 else f'_{index}'}"]
            services.add_seat(community, self.staff, kind=account.seat, holder=account.zh, user=user)
            self.seats[account.seat] = user
        grid = Area.objects.filter(level=Level.GRID, path__startswith=community.path).order_by("code").first()
        self.residents = [users[f"delib_res_{index}_{i}"] for i in range(12)]
        bulk_assign_roles([(u, Role.RESIDENT, grid) for u in self.residents])
        free = list(
            Resident.objects.filter(path__startswith=community.path, user__isnull=True).order_by("id")[:12]
        )
        for user, resident in zip(self.residents, free, strict=False):
            Resident.objects.filter(pk=resident.pk).update(user=user)
        self.households = list(Household.objects.filter(path__startswith=community.path).order_by("id")[:6])
        self.compounds = list(Compound.objects.filter(community=community).order_by("id"))

    def fresh(self, user):
        return get_user_model().objects.get(pk=user.pk)


def _meeting(p: Pilot, topic, *, motion_text: str, against: int = 1):
    staff = p.staff
    meeting = services.schedule(topic, staff, title=str(services.current_step(topic).step.label),
                                scheduled_at=timezone.now(), place=f"{p.community.name}党群服务中心")  # fmt: skip
    invitations = list(meeting.invitations.all())
    services.open_meeting(meeting, staff, present=[i.pk for i in invitations[:-1]])  # one sends apologies
    motion = services.put_motion(meeting, staff, text=motion_text)
    # The show of hands, written at once (services.vote checks each vote; the demo's are valid by
    # construction); the tally and the outcome then go through the service.
    Vote.objects.bulk_create(
        [
            Vote(motion=motion, invitation=inv, choice="against" if n < against else "for", recorded_by=staff)
            for n, inv in enumerate(invitations[:-1])
        ]
    )
    services.close_vote(motion, staff)
    services.close_meeting(meeting, staff, minutes=f"会议就“{topic.title}”进行协商，形成决议：{motion_text}")
    return motion


def walk(p: Pilot, topic, to_order: int | None, *, subject_no: int, declined: bool = False):
    """Move a topic step by step to `to_order` (None: carry it out)."""
    staff = p.staff
    while topic.is_open and (to_order is None or topic.step_order < to_order):
        kind = services.current_step(topic).step.kind
        if kind == "collect":
            if topic.source == "resident":
                for user in p.residents[1 : topic.procedure.support_threshold + 1]:
                    services.support(topic, user)
            if subject_no % 4 == 0:
                services.comment(topic, p.residents[-1], "赞成，希望尽快解决")
            topic = services.advance(topic, staff)
        elif kind == "decide":
            if declined:
                return services.decline(
                    topic, staff, reason="经研究属于业主大会决定事项，已转业委会按程序办理"
                )
            topic = services.take_up(topic, staff, reason="涉及多数住户切身利益，列入本季度议事")
        elif kind == "research":
            services.add_note(topic, staff, kind="visit", text="走访受影响住户，听取意见")
            if subject_no % 3:
                topic = services.advance(topic, staff)
                topic.refresh_from_db()
                topic._current_step = None
                continue
            survey = services.create_survey(
                topic,
                staff,
                questions=[{"text": "您是否赞成该方案？", "options": ["赞成", "反对", "无所谓"]}],
            )
            for n, household in enumerate(p.households[:4]):
                services.answer_survey(survey, staff, household=household, choices=[0 if n < 3 else 1])
            services.close_survey(survey, staff)
            topic = services.advance(topic, staff)
        elif kind == "meeting":
            _meeting(p, topic, motion_text=f"同意{SUBJECTS[subject_no % len(SUBJECTS)][0]}的解决方案")
            nxt = topic.procedure.steps.filter(order__gt=topic.step_order).order_by("order").first()
            if nxt.kind == "publish":
                services.review(
                    topic, p.seats[SeatKind.LEGAL], lawful=True, opinion="决议内容符合法律法规和居民公约"
                )
            topic = services.advance(topic, staff)
        elif kind == "publish":
            if subject_no % 3 == 0:
                objection = services.object_to(topic, p.residents[3], text="希望再考虑一下老人的意见")
                services.answer(objection, staff, text="已采纳，方案中增加无障碍设施")
            Publication.objects.filter(topic=topic).update(ends_at=timezone.now() - timedelta(seconds=1))
            topic = services.advance(topic, staff)
        elif kind == "follow_up":
            task = services.add_task(
                topic, staff, title="实施方案", owner_label="物业公司", milestones=["制定方案", "施工"]
            )
            services.complete_milestone(task.milestones.first(), staff)
            second = services.add_task(topic, staff, title="居民公约修订", owner_label="居委会")
            services.complete_task(second, staff, result="公约已修订并张贴")
            services.complete_task(task, staff, result="已按决议实施完毕，居民验收满意")
            topic.refresh_from_db()
            topic._current_step = None
        topic.refresh_from_db()
        topic._current_step = None
    if topic.is_open and services.current_step(topic).step.kind == "follow_up" and not topic.tasks.exists():
        task = services.add_task(
            topic, staff, title="实施方案", owner_label="物业公司", milestones=["制定方案", "施工"]
        )
        services.complete_milestone(task.milestones.first(), staff)
    return topic


def concentrated_cases(p: Pilot, texts, tag: int) -> list:
    unit = Area.objects.filter(level=Level.UNIT, path__startswith=p.community.path).order_by("code").first()
    made = []
    for i, text in enumerate(texts):
        case = case_services.intake(
            channel="resident_app",
            description=text,
            unit=unit,
            by=p.residents[i],
            client_key=f"delib-demo-{p.index}-{tag}-{i}",
        ).case
        if case.state == "submitted":
            case = case_services.register(case, p.staff)
        made.append(case)
    return made


def spread_in_time(topic_ids, rng) -> None:
    """Move each demo topic's history back by a random span and lengthen its first step (topics
    wait for supports and a decision), so the figures show how long deliberation takes; the
    rollups are rebuilt afterwards. Steps keep their order (the database checks it)."""
    for tid in topic_ids:
        back = timedelta(days=rng.randint(20, 300))
        length = timedelta(days=rng.randint(14, 60))
        Topic.objects.filter(pk=tid).update(raised_at=F("raised_at") - back - length)
        for field in ("taken_up_at", "declined_at", "resolved_at", "carried_out_at"):
            Topic.objects.filter(pk=tid, **{f"{field}__isnull": False}).update(**{field: F(field) - back})
        TopicStep.objects.filter(topic_id=tid).update(started_at=F("started_at") - back)
        TopicStep.objects.filter(topic_id=tid, ended_at__isnull=False).update(ended_at=F("ended_at") - back)
        TopicStep.objects.filter(topic_id=tid, step__order=1).update(started_at=F("started_at") - length)
        TopicEvent.objects.filter(topic_id=tid).update(at=F("at") - back)
        TopicEvent.objects.filter(topic_id=tid, action="raised").update(at=F("at") - length)


def generate(ctx: DemoContext) -> None:
    street = demo_street()
    if street is None:
        return
    rng = ctx.rng("deliberation")
    communities = list(Area.objects.filter(level=Level.COMMUNITY, parent=street).order_by("code")[:PILOTS])
    if not communities:
        return
    communities = (communities * PILOTS)[:PILOTS]  # a tiny city: one community may pilot twice
    with (
        ctx.progress.phase(_("deliberation: 61 topics in three pilot communities")) as phase,
        transaction.atomic(),
    ):
        procedures.sync_builtin()
        made = []
        subject = 0
        for index, (community, (proc_code, carried, declined, per_step)) in enumerate(
            zip(communities, PLAN, strict=False)
        ):
            p = Pilot(ctx, community, index, proc_code)
            steps = list(procedures.get(proc_code).steps.order_by("order"))
            plan = (
                [None] * carried + ["declined"] * declined + [s.order for s in steps for _ in range(per_step)]
            )
            for n, target in enumerate(plan):
                title, text = SUBJECTS[subject % len(SUBJECTS)]
                subject += 1
                cases_first = index == 0 and (n == 0 or (target == 3 and plan.index(3) == n))
                if cases_first:
                    cases = concentrated_cases(
                        p, [text, f"{title}，多次反映未解决", f"{title}，希望社区协调"], n
                    )
                    topic = services.raise_from_cases(
                        cases, p.staff, title=title, description=text, note="居民集中反映"
                    )
                    target = (
                        None if n == 0 else 3
                    )  # the first is carried out, its cases closed; the second in research
                else:
                    source_resident = n % 4 == 0
                    by = p.residents[0] if source_resident else p.staff
                    topic = services.propose(community, by, title=f"{title}（{n + 1}）", description=text)
                declined_here = target == "declined"
                to_order = None if target is None or declined_here else target
                topic = walk(p, topic, to_order, subject_no=subject, declined=declined_here)
                made.append(topic.pk)
                phase.add(_("deliberation topics"))
            for compound in p.compounds[:3]:
                held = services.schedule_joint_meeting(compound, p.staff, scheduled_for=timezone.localdate())
                services.hold_joint_meeting(held, p.staff, held_on=timezone.localdate(), minutes="通报停车和安全情况",
                                            parties=["branch", "police", "owners", "property"])  # fmt: skip
                phase.add(_("joint meetings"))
        spread_in_time(made, rng)
        phase.add(_("deliberation figures"), rollups.rebuild())


def cleanup(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("deleting the demo deliberation")) as phase, transaction.atomic():
        phase.add(_("deliberation topics"), Topic.objects.count())
        Topic.objects.all().delete()
        JointMeeting.objects.all().delete()
        JointMeetingReminder.objects.all().delete()
        Council.objects.all().delete()
        TopicRollup.objects.all().delete()
        OutboxEvent.objects.filter(topic__startswith="deliberation.").delete()
        users = get_user_model().objects.filter(
            Q(username__startswith="delib_") | Q(username__startswith="council_"),
            email__endswith="@" + DEMO_EMAIL_DOMAIN,
        )
        RoleAssignment.objects.filter(user__in=users).delete()
        Resident.objects.filter(user__in=users).update(user=None)
        users.delete()


register_step("deliberation", generate, cleanup, order=150)
