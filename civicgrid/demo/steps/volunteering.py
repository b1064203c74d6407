"""Demo step "volunteering": a year of the demo street's volunteering and Party members' work.

For every community of the demo street: a points scheme (1 point per confirmed hour, at most two
hours per activity, a bonus for care and mutual aid, a monthly cap, points expire after a year),
two community shops with a catalogue, an activity or two a month with sign-ups, confirmed hours
and the points awarded through the ledger, redemptions (most handed over, a few cancelled);
the branches' posts 5+X with holders, whistle calls answered and closed (some raised by cases),
members of agency branches registered where they live (双报到), three quarters of published star
ratings, and co-building units, resources, needs and projects. Then the figures' rollup.

Past rows are written in bulk or through the ledger (which keeps the double entry exact); the
demo accounts' own upcoming activity and sign-up go through the services. A shop keeper account
`shopkeeper` (demo password) confirms redemptions at the demo community's first shop.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core.models import OutboxEvent
from civicgrid.demo.accounts import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, demo_email
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.party import calls as party_calls
from civicgrid.party import dual, pioneer, posts
from civicgrid.party.models import (
    FIXED_POST_TYPES,
    BranchPost,
    CallEvent,
    CallReport,
    HomeRegistration,
    OrgLevel,
    PartyMembership,
    PartyOrganization,
    PioneerScore,
    PioneerSnapshot,
    PioneerWeights,
    PostHolding,
    PostType,
    WhistleCall,
)
from civicgrid.people.models import Resident, Role, RoleAssignment
from civicgrid.people.services import create_user
from civicgrid.volunteering import ledger, rollups, services
from civicgrid.volunteering.models import (
    AccountKind,
    Activity,
    ActivityState,
    CoBuildingUnit,
    Need,
    OrganiserKind,
    PointsAccount,
    PointsDraw,
    PointsEntry,
    PointsScheme,
    PointsTransaction,
    Project,
    ProjectEvent,
    ProjectState,
    Redemption,
    RedemptionState,
    Resource,
    ResourceType,
    Reward,
    Shop,
    SignUp,
    SignUpState,
    TxKind,
    VolunteeringCount,
)

RULES = {
    "points_per_hour": 1,
    "max_hours_per_activity": 2,
    "bonus_by_post_type": {PostType.CARE_MUTUAL_AID: 1, PostType.SECURITY_PATROL: 1},
    "cap": {"period": "month", "points": 12},
    "expiry_months": 12,
    "pool_households": False,
}
ACTIVITIES = [
    ("清扫楼道和单元门口", PostType.SANITATION_SUPERVISION, 2),
    ("陪独居老人聊天、理发", PostType.CARE_MUTUAL_AID, 2),
    ("夜间治安巡逻", PostType.SECURITY_PATROL, 3),
    ("垃圾分类桶边督导", PostType.SANITATION_SUPERVISION, 2),
    ("文明养犬劝导", PostType.CIVILITY_PERSUASION, 2),
    ("政策宣讲：医保缴费", PostType.POLICY_EXPLANATION, 1),
    ("小区绿化补种", PostType.SANITATION_SUPERVISION, 3),
    ("助老助残上门服务", PostType.CARE_MUTUAL_AID, 2),
]
SHOPS = [
    ("便民超市", [("大米 5 斤", 8, "goods"), ("食用油 1 升", 6, "goods"), ("洗衣液", 4, "goods")]),
    (
        "社区理发店",
        [("理发一次", 5, "service"), ("上门理发（老人）", 6, "service"), ("修剪刘海", 2, "service")],
    ),
]
CALLS = [
    ("清理楼道堆物，疏通消防通道", 3),
    ("暴雨后排查地下车库积水", 4),
    ("协助老旧小区加装电梯意见征集", 2),
    ("疫苗接种点秩序维护", 3),
    ("垃圾分类集中宣传", 3),
    ("帮助困难家庭搬家", 2),
]
X_POSTS = ["加装电梯联络员", "停车秩序协调员", "楼道文明监督员"]
AGENCIES = ["区税务局机关党支部", "区人民医院第二党支部", "第一中学教工党支部"]
UNITS = [
    ("区人民医院", [(ResourceType.EXPERTISE, "每月义诊"), (ResourceType.TRAINING, "急救培训")]),
    ("明德律师事务所", [(ResourceType.EXPERTISE, "法律咨询进社区")]),
    ("城西供电所", [(ResourceType.VOLUNTEERS, "电力安全检查志愿队"), (ResourceType.GOODS, "旧小区灯具更换")]),
    ("第一中学", [(ResourceType.VENUE, "周末开放操场"), (ResourceType.VOLUNTEERS, "学生志愿者")]),
    ("区文旅局", [(ResourceType.FUNDS, "社区文化活动经费"), (ResourceType.TRAINING, "合唱培训")]),
]
NEEDS = [
    (ResourceType.EXPERTISE, "老年人健康讲座"),
    (ResourceType.VENUE, "暑期少儿托管场地"),
    (ResourceType.VOLUNTEERS, "独居老人结对探访"),
    (ResourceType.FUNDS, "邻里节活动经费"),
    (ResourceType.EXPERTISE, "物业纠纷法律咨询"),
]
RESULTS = [
    "累计开展 6 场，服务 240 人次",
    "已完成，居民满意度 96%",
    "结对 35 户，每月探访两次",
    "活动如期举办，参与 500 余人",
]


def _aware(day, hour=9, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class BulkLedger:
    """The ledger's own rules applied in memory for a year of one scheme, then written in bulk:
    the same rows `ledger.award`/`spend`/`reverse` would write (balanced transactions, lots with
    expiry dates, oldest-first draws, caps per account and month), at a fraction of the cost.
    `ledger.check()` verifies the result in the demo's tests."""

    def __init__(self, scheme, admin):
        self.scheme, self.admin = scheme, admin
        self.rules = ledger.scheme_rules.validate_rules(scheme.rules)
        self.issuance = ledger.system_account(scheme, AccountKind.ISSUANCE)
        self.sink = ledger.system_account(scheme, AccountKind.REDEMPTION)
        self.accounts: dict[int, PointsAccount] = {}
        self.events: list[tuple] = []  # (at, seq, kind, payload)
        self.seq = 0

    def account(self, resident) -> PointsAccount:
        if resident.pk not in self.accounts:
            self.accounts[resident.pk] = PointsAccount(
                scheme=self.scheme, kind=AccountKind.PERSON, resident=resident, floor=0,
                jurisdiction=self.scheme.jurisdiction,
            )  # fmt: skip
        return self.accounts[resident.pk]

    def add(self, at, kind, **payload) -> None:
        self.seq += 1
        self.events.append((at, self.seq, kind, payload))

    def flush(self) -> dict:
        """Write everything; returns counts. Redemptions the balance cannot cover are skipped."""
        PointsAccount.objects.bulk_create(list(self.accounts.values()))
        txs, entries, draws, redemptions, cancels = [], [], [], [], []
        lots: dict[int, list] = {}  # account pk -> [[entry, left, order]]
        capped: dict[tuple, int] = {}
        cap = self.rules["cap"]
        stock: dict[int, int] = {}
        j = self.scheme.jurisdiction
        for at, _seq, kind, p in sorted(self.events, key=lambda e: (e[0], e[1])):
            if kind == "award":
                activity, resident, minutes = p["activity"], p["resident"], p["minutes"]
                account = self.accounts[resident.pk]
                points = ledger.scheme_rules.points_for(self.rules, minutes, activity.post_type)
                reason = f"确认服务 {minutes} 分钟"
                if cap:
                    key = (account.pk, timezone.localtime(activity.starts_at).date().replace(day=1))
                    room = max(cap["points"] - capped.get(key, 0), 0)
                    if points > room:
                        points, reason = room, reason + f"；已达每月 {cap['points']} 分的上限"
                    capped[key] = capped.get(key, 0) + points
                tx = PointsTransaction(scheme=self.scheme, kind=TxKind.AWARD, at=at, by=self.admin, reason=reason,
                                       activity=activity, resident=resident, jurisdiction=j)  # fmt: skip
                txs.append(tx)
                if points:
                    expires = ledger.scheme_rules.expiry_date(self.rules, timezone.localtime(at).date())
                    credit = PointsEntry(
                        transaction=tx,
                        account=account,
                        amount=points,
                        at=at,
                        expires_on=expires,
                        jurisdiction=j,
                    )
                    entries += [
                        PointsEntry(
                            transaction=tx, account=self.issuance, amount=-points, at=at, jurisdiction=j
                        ),
                        credit,
                    ]
                    lots.setdefault(account.pk, []).append([credit, points])
            elif kind == "spend":
                reward, resident = p["reward"], p["resident"]
                account = self.accounts.get(resident.pk)
                left = stock.setdefault(reward.pk, reward.stock)
                available = sum(lot[1] for lot in lots.get(account.pk, [])) if account else 0
                if account is None or available < reward.price or left < 1:
                    continue
                stock[reward.pk] = left - 1
                tx = PointsTransaction(scheme=self.scheme, kind=TxKind.REDEMPTION, at=at, by=None,
                                       reason=f"兑换：{reward.name}", resident=resident, jurisdiction=j)  # fmt: skip
                debit = PointsEntry(
                    transaction=tx, account=account, amount=-reward.price, at=at, jurisdiction=j
                )
                entries += [
                    debit,
                    PointsEntry(
                        transaction=tx, account=self.sink, amount=reward.price, at=at, jurisdiction=j
                    ),
                ]
                txs.append(tx)
                need, used = reward.price, []
                queue = sorted(lots[account.pk], key=lambda lot: (lot[0].expires_on or date.max, lot[0].at))
                for lot in queue:
                    if not need:
                        break
                    take = min(lot[1], need)
                    if take:
                        lot[1] -= take
                        need -= take
                        used.append((lot[0], take))
                        draws.append(PointsDraw(lot=lot[0], entry=debit, amount=take))
                redemption = Redemption(
                    reward=reward, resident=resident, account=account, points=reward.price,
                    code=services.rewards._new_code(), state=RedemptionState.CONFIRMED, requested_at=at,
                    confirmed_at=at + timedelta(hours=2), transaction=tx, jurisdiction=j,
                )  # fmt: skip
                redemptions.append(redemption)
                if p.get("cancel"):
                    back = at + timedelta(hours=1)
                    redemption.state, redemption.confirmed_at, redemption.cancelled_at = (
                        RedemptionState.CANCELLED, None, back,
                    )  # fmt: skip
                    stock[reward.pk] += 1
                    reversal = PointsTransaction(scheme=self.scheme, kind=TxKind.CANCELLATION, at=back,
                                                 reason="居民取消兑换", resident=resident, jurisdiction=j)  # fmt: skip
                    cancels.append((reversal, tx))
                    entries.append(
                        PointsEntry(
                            transaction=reversal,
                            account=self.sink,
                            amount=-reward.price,
                            at=back,
                            jurisdiction=j,
                        )
                    )
                    for lot_entry, n in used:
                        credit = PointsEntry(transaction=reversal, account=account, amount=n, at=back,
                                             expires_on=lot_entry.expires_on, jurisdiction=j)  # fmt: skip
                        entries.append(credit)
                        lots[account.pk].append([credit, n])
        PointsTransaction.objects.bulk_create(txs, batch_size=1000)
        for reversal, original in cancels:
            reversal.reverses = original
        PointsTransaction.objects.bulk_create([r for r, _o in cancels], batch_size=1000)
        for entry in entries:
            entry.transaction_id = entry.transaction.pk
        PointsEntry.objects.bulk_create(entries, batch_size=2000)
        PointsDraw.objects.bulk_create(draws, batch_size=2000)
        for r in redemptions:
            r.transaction_id = r.transaction.pk
        Redemption.objects.bulk_create(redemptions, batch_size=1000)
        for reward_id, left in stock.items():
            Reward.objects.filter(pk=reward_id).update(stock=left)
        totals = dict(
            PointsEntry.objects.filter(account__scheme=self.scheme)
            .values("account_id").annotate(t=Sum("amount")).values_list("account_id", "t")
        )  # fmt: skip
        accounts = list(PointsAccount.objects.filter(scheme=self.scheme))
        for account in accounts:
            account.balance = totals.get(account.pk, 0)
        PointsAccount.objects.bulk_update(accounts, ["balance"], batch_size=1000)
        return {"awards": sum(1 for t in txs if t.kind == TxKind.AWARD), "redemptions": len(redemptions)}


class Year:
    def __init__(self, ctx: DemoContext, street: Area, admin, phase):
        self.ctx, self.street, self.admin, self.phase = ctx, street, admin, phase
        self.rng = ctx.rng("volunteering")
        self.today = timezone.localdate()
        self.start = self.today - timedelta(days=365)
        self.communities = list(Area.objects.filter(parent=street, level=Level.COMMUNITY).order_by("code"))
        # The community of the demo accounts (the `community` account's scope).
        staff = (
            RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF, area__parent=street)
            .order_by("id")
            .first()
        )
        self.demo_community_id = (
            staff.area_id if staff else (self.communities[0].pk if self.communities else None)
        )

    def residents(self, community, n, *, party=None):
        qs = Resident.objects.filter(path__startswith=community.path, birth_year__lte=self.today.year - 16)
        if party is not None:
            qs = qs.filter(is_party_member=party)
        ids = list(qs.values_list("pk", flat=True)[:600])
        self.rng.shuffle(ids)
        return list(Resident.objects.filter(pk__in=ids[:n]).select_related("household"))

    # ------------------------------------------------------------------------- points

    def community_year(self, community) -> None:
        scheme = services.create_scheme(community, f"{community.name}道德银行", RULES, self.admin)
        self.phase.add(_("points schemes"))
        grids = list(Area.objects.filter(parent=community, level=Level.GRID).order_by("code"))
        volunteers = self.residents(community, 45)
        shops = []
        for name, rewards in SHOPS:
            shop = services.create_shop(community, f"{community.name}{name}", self.admin)
            shops.append(shop)
            for reward_name, price, kind in rewards:
                services.add_reward(
                    shop, scheme, reward_name, price, self.rng.randint(8, 30), self.admin, kind=kind
                )
                self.phase.add(_("rewards"))
        if not volunteers or not grids:
            return
        book = BulkLedger(scheme, self.admin)
        day = self.start + timedelta(days=self.rng.randint(0, 10))
        planned = []
        while day < self.today - timedelta(days=2):
            title, post_type, hours = self.rng.choice(ACTIVITIES)
            grid = self.rng.choice(grids)
            planned.append(self.past_activity(book, community, grid, day, title, post_type, hours))
            day += timedelta(days=self.rng.randint(12, 20))
        Activity.objects.bulk_create([a for a, _h in planned])
        signups = []
        for activity, hours in planned:
            signups += self.sign_ups(book, activity, hours, volunteers)
        SignUp.objects.bulk_create(signups, batch_size=1000)
        self.phase.add(_("activities"), len(planned))
        self.phase.add(_("sign-ups"), len(signups))
        rewards = list(Reward.objects.filter(scheme=scheme).order_by("price"))
        for resident in volunteers:
            for _i in range(self.rng.choice([0, 1, 1, 2, 3])):
                at = _aware(
                    self.today - timedelta(days=self.rng.randint(3, 200)), 16, self.rng.randint(0, 59)
                )
                cancel = self.rng.random() < 0.08
                book.add(at, "spend", reward=self.rng.choice(rewards), resident=resident, cancel=cancel)
        counts = book.flush()
        self.phase.add(_("awards"), counts["awards"])
        self.phase.add(_("redemptions"), counts["redemptions"])

    def past_activity(self, book, community, grid, day, title, post_type, hours) -> tuple[Activity, int]:
        starts = _aware(day, self.rng.choice([9, 14, 19]))
        ends = starts + timedelta(hours=hours)
        activity = Activity(
            title=title,
            organiser_kind=OrganiserKind.COMMUNITY,
            organiser_name=f"{community.name}居委会",
            post_type=post_type,
            place=grid,
            path=grid.path,
            starts_at=starts,
            ends_at=ends,
            capacity=self.rng.randint(6, 12),
            scheme=book.scheme,
            state=ActivityState.FINISHED,
            checkin_code=f"{self.rng.randint(0, 9999):04d}",
            organiser=self.admin,
            created_at=starts - timedelta(days=7),
            finished_at=ends + timedelta(hours=1),
            jurisdiction=community.jurisdiction,
        )
        return activity, hours

    def sign_ups(self, book, activity, hours, volunteers) -> list[SignUp]:
        starts, ends, capacity = activity.starts_at, activity.ends_at, activity.capacity
        people = self.rng.sample(volunteers, min(len(volunteers), capacity + self.rng.randint(0, 2)))
        rows = []
        for i, resident in enumerate(people):
            has_place = i < capacity
            came = has_place and self.rng.random() < 0.9
            minutes = max(30, int(hours * 60) - self.rng.choice([0, 0, 0, 15, 30])) if came else None
            rows.append(
                SignUp(
                    activity=activity,
                    resident=resident,
                    state=SignUpState.PLACE if has_place else SignUpState.WAITING,
                    signed_up_at=starts - timedelta(days=self.rng.randint(1, 6)),
                    checked_in_at=starts + timedelta(minutes=self.rng.randint(-10, 5)) if came else None,
                    checked_out_at=starts + timedelta(minutes=minutes) if came else None,
                    confirmed_minutes=minutes,
                    confirmed_at=ends + timedelta(hours=1) if came else None,
                    confirmed_by=self.admin if came else None,
                    jurisdiction=activity.jurisdiction,
                )
            )
            if came:
                book.account(resident)
                book.add(
                    rows[-1].confirmed_at, "award", activity=activity, resident=resident, minutes=minutes
                )
        return rows

    def redeem(self, account, reward, resident, at, *, cancel=False, state=RedemptionState.CONFIRMED):
        with transaction.atomic():
            tx = ledger.spend(account, reward.price, reason=f"兑换：{reward.name}", at=at)
            Reward.objects.filter(pk=reward.pk, stock__gte=1).update(stock=F("stock") - 1)
            redemption = Redemption.objects.create(
                reward=reward,
                resident=resident,
                account=account,
                points=reward.price,
                code=services.rewards._new_code(),
                state=state,
                requested_at=at,
                confirmed_at=at + timedelta(hours=2)
                if state == RedemptionState.CONFIRMED and not cancel
                else None,
                transaction=tx,
                jurisdiction=reward.jurisdiction,
            )
            if cancel:
                ledger.reverse(tx, "居民取消兑换", kind=TxKind.CANCELLATION, at=at + timedelta(hours=3))
                Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
                Redemption.objects.filter(pk=redemption.pk).update(
                    state=RedemptionState.CANCELLED, cancelled_at=at + timedelta(hours=3)
                )
        self.phase.add(_("redemptions"))

    # -------------------------------------------------------------------------- Party

    def party(self, community) -> None:
        committee = PartyOrganization.objects.filter(
            level=OrgLevel.COMMUNITY_COMMITTEE, area=community
        ).first()
        branches = list(
            PartyOrganization.objects.filter(level=OrgLevel.BRANCH, area=community).order_by("pk")
        )
        demo = community.pk == self.demo_community_id
        for branch in branches:
            members = list(posts.eligible_member_ids(branch))[:12]
            self.rng.shuffle(members)
            x_title = self.rng.choice(X_POSTS)
            if demo:  # the demo accounts' community: through the services
                made = [
                    *posts.ensure_fixed_posts(branch, self.admin),
                    posts.add_x_post(branch, x_title, self.admin),
                ]
                for post, member_id in zip(made, members, strict=False):
                    posts.assign_holder(post, Resident(pk=member_id), self.admin, started_on=self.start)
            else:  # the rest of the street: the same rows in bulk
                j = branch.jurisdiction
                made = BranchPost.objects.bulk_create(
                    [BranchPost(branch=branch, post_type=t, jurisdiction=j) for t in FIXED_POST_TYPES]
                    + [
                        BranchPost(
                            branch=branch, post_type=PostType.BRANCH_CHOSEN, title=x_title, jurisdiction=j
                        )
                    ]
                )
                PostHolding.objects.bulk_create(
                    [
                        PostHolding(
                            post=post,
                            member_id=member_id,
                            started_on=self.start,
                            assigned_by=self.admin,
                            jurisdiction=j,
                        )
                        for post, member_id in zip(made, members, strict=False)
                    ]
                )
            self.phase.add(_("posts"), len(made))
            self.phase.add(_("post holders"), min(len(made), len(members)))
        if committee is None:
            return
        members = list(
            Resident.objects.filter(path__startswith=community.path, is_party_member=True).values_list(
                "pk", flat=True
            )[:80]
        )
        if not members:
            return
        places = list(
            Area.objects.filter(parent__parent=community, level=Level.BUILDING).order_by("code")[:40]
        ) or [community]
        day = self.start + timedelta(days=self.rng.randint(0, 15))
        cases = self.cases(community)
        while day < self.today - timedelta(days=2):
            issuer = self.rng.choice(branches) if branches and self.rng.random() < 0.6 else committee
            task, needed = self.rng.choice(CALLS)
            at = _aware(day, self.rng.choice([8, 10, 15]))
            case = cases.pop() if cases and self.rng.random() < 0.3 else None
            if case is not None and not case.path.startswith(issuer.area.path):
                case = None
            call = party_calls.issue_call(
                issuer,
                task,
                self.rng.choice(places),
                needed,
                at + timedelta(hours=self.rng.choice([4, 8, 24])),
                self.admin,
                case=case,
                at=at,
            )
            answered = self.rng.sample(members, min(len(members), needed + self.rng.choice([-1, 0, 0, 0])))
            reports = []
            for i, member_id in enumerate(answered):
                reported = at + timedelta(minutes=20 + 25 * i + self.rng.randint(0, 30))
                reports.append(
                    CallReport(
                        call=call,
                        member_id=member_id,
                        reported_at=reported,
                        checked_in_at=reported + timedelta(minutes=30),
                        checked_out_at=reported + timedelta(hours=2),
                        jurisdiction=call.jurisdiction,
                    )
                )
            CallReport.objects.bulk_create(reports)
            if len(reports) >= needed:
                WhistleCall.objects.filter(pk=call.pk).update(filled_at=reports[needed - 1].reported_at)
            party_calls.close_call(call, self.rng.choice(["已完成", "任务完成，居民满意", "已处理完毕"]), self.admin,
                                   at=at + timedelta(hours=self.rng.randint(5, 30)))  # fmt: skip
            self.phase.add(_("whistle calls"))
            self.phase.add(_("call reports"), len(reports))
            day += timedelta(days=self.rng.randint(14, 30))

    def cases(self, community):
        from civicgrid.cases.models import Case

        return list(
            Case.objects.filter(path__startswith=community.path, channel="grid_patrol").order_by("-pk")[:8]
        )

    def agencies(self) -> None:
        """双报到: members of agency branches (where they work) register with the community where
        they live."""
        street_committee = PartyOrganization.objects.filter(
            level=OrgLevel.STREET_COMMITTEE, area=self.street
        ).first()
        orgs = [
            PartyOrganization.objects.create(
                level=OrgLevel.BRANCH, name=name, area=self.street, parent=street_committee,
                set_up_on=self.start, jurisdiction=self.street.jurisdiction,
            )
            for name in AGENCIES
        ]  # fmt: skip
        registrations = 0
        for community in self.communities:
            for resident in self.residents(community, 4, party=True):
                org = self.rng.choice(orgs)
                PartyMembership.objects.get_or_create(
                    resident=resident,
                    organization=org,
                    defaults={"jurisdiction": org.jurisdiction, "joined_on": self.start},
                )
                dual.register_at_home(
                    resident,
                    org,
                    community,
                    self.admin,
                    on=self.start + timedelta(days=self.rng.randint(0, 200)),
                )
                registrations += 1
        self.phase.add(_("双报到 registrations"), registrations)

    def stars(self) -> None:
        pioneer.set_weights(
            self.street,
            {"posts_held": 10, "calls_answered": 6, "activities_joined": 3, "households_contacted": 1},
            [8, 18, 30, 45, 65],
            self.admin,
            valid_from=self.start,
        )
        quarter = pioneer.quarter_of(self.today)
        quarters = []
        for _i in range(2):
            start, _end = pioneer.quarter_bounds(quarter)
            quarter = pioneer.quarter_of(start - timedelta(days=1))
            quarters.append(quarter)
        # The demo community's boards (its branches and committee); the other committees' too.
        orgs = PartyOrganization.objects.filter(
            Q(level=OrgLevel.BRANCH, area_id=self.demo_community_id)
            | Q(level=OrgLevel.COMMUNITY_COMMITTEE, area__in=self.communities)
        )
        for org in orgs:
            for q in reversed(quarters):
                _start, end = pioneer.quarter_bounds(q)
                if end <= self.start:
                    continue
                pioneer.publish(org, q, self.admin, at=_aware(end, 10))
                self.phase.add(_("star snapshots"))

    # ------------------------------------------------------------------------ co-building

    def cobuilding(self) -> None:
        units = []
        for i, (name, offers) in enumerate(UNITS):
            paired = (
                [self.communities[(i + k) % len(self.communities)] for k in range(2)]
                if self.communities
                else []
            )
            unit = services.create_unit(name, self.street, self.admin, communities=paired)
            units.append(unit)
            for resource_type, title in offers:
                services.add_resource(unit, resource_type, title, self.street, self.admin)
                self.phase.add(_("resources"))
        for community in self.communities:
            for resource_type, title in self.rng.sample(NEEDS, 3):
                need = services.list_need(community, resource_type, title, self.admin)
                self.phase.add(_("needs"))
                suggestions = services.suggest_resources(need)
                if not suggestions or self.rng.random() < 0.3:
                    continue
                agreed = self.today - timedelta(days=self.rng.randint(40, 300))
                project = services.start_project(need, suggestions[0], self.admin, agreed_on=agreed)
                self.phase.add(_("projects"))
                if self.rng.random() < 0.8:
                    services.move_project(
                        project, ProjectState.IN_PROGRESS, self.admin, on=agreed + timedelta(days=10)
                    )
                    if self.rng.random() < 0.6:
                        services.move_project(
                            project, ProjectState.DONE, self.admin, note=self.rng.choice(RESULTS),
                            on=min(agreed + timedelta(days=self.rng.randint(30, 90)), self.today),
                        )  # fmt: skip

    # ------------------------------------------------------------------------ the accounts

    def demo_accounts(self) -> None:
        """The demo resident's own history and an upcoming activity; a shop keeper account."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        users = {
            u.username: u for u in User.objects.filter(username__in=["resident", "community", "secretary"])
        }
        resident = Resident.objects.filter(user=users.get("resident")).select_related("household").first()
        if resident is None or "community" not in users:
            return
        community = Area.objects.filter(level=Level.COMMUNITY, path__in=_prefixes(resident.path)).first()
        scheme = PointsScheme.objects.filter(area=community).first()
        if scheme is None:
            return
        past = list(Activity.objects.filter(scheme=scheme).order_by("-starts_at")[:6])
        for activity in past:
            signup, created = SignUp.objects.get_or_create(
                activity=activity, resident=resident,
                defaults={"state": SignUpState.PLACE, "jurisdiction": activity.jurisdiction,
                          "signed_up_at": activity.starts_at - timedelta(days=2)},
            )  # fmt: skip
            if signup.confirmed_at:
                continue
            minutes = int((activity.ends_at - activity.starts_at).total_seconds() // 60)
            SignUp.objects.filter(pk=signup.pk).update(
                state=SignUpState.PLACE, checked_in_at=activity.starts_at, checked_out_at=activity.ends_at,
                confirmed_minutes=minutes, confirmed_at=activity.finished_at, confirmed_by=self.admin,
            )  # fmt: skip
            ledger.award(activity, resident, minutes, by=self.admin, at=activity.finished_at)
        account = ledger.find_holder_account(scheme, resident)
        cheapest = Reward.objects.filter(scheme=scheme).order_by("price").first()
        if account and cheapest and account.balance >= cheapest.price:
            self.redeem(account, cheapest, resident, _aware(self.today - timedelta(days=5), 15))
        keeper = create_user("shopkeeper", DEMO_PASSWORD, email=demo_email("shopkeeper"), first_name="店长")
        shop = Shop.objects.filter(area=community).order_by("pk").first()
        shop.keepers.add(keeper)
        grid = Area.objects.filter(parent=community, level=Level.GRID).order_by("code").first()
        soon = _aware(self.today + timedelta(days=3), 9)
        upcoming = services.create_activity(
            title="周末清洁家园", organiser_kind=OrganiserKind.COMMUNITY, organiser_name=f"{community.name}居委会",
            post_type=PostType.SANITATION_SUPERVISION, place=grid, starts_at=soon, ends_at=soon + timedelta(hours=2),
            capacity=15, scheme=scheme, by=users["community"],
        )  # fmt: skip
        services.create_activity(
            title="陪老人过重阳", organiser_kind=OrganiserKind.COMMUNITY, organiser_name=f"{community.name}居委会",
            post_type=PostType.CARE_MUTUAL_AID, place=grid, starts_at=soon + timedelta(days=4),
            ends_at=soon + timedelta(days=4, hours=3), capacity=10, scheme=scheme, by=users["community"],
        )  # fmt: skip
        if resident.user_id:
            services.sign_up(upcoming, resident, resident.user)
        self.phase.add(_("demo accounts' activities"), 2)


def _prefixes(path: str) -> list[str]:
    return [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]


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


def _admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_superuser=True, email__endswith="@" + DEMO_EMAIL_DOMAIN).first()


def generate(ctx: DemoContext) -> None:
    street, admin = demo_street(), _admin()
    if street is None or admin is None:
        return
    with ctx.progress.phase(_("volunteering: a year of the demo street")) as phase, transaction.atomic():
        year = Year(ctx, street, admin, phase)
        for community in year.communities:
            year.community_year(community)
        year.demo_accounts()
        services.run_expiry(year.today)
    with ctx.progress.phase(_("Party: posts, calls, 双报到, stars")) as phase, transaction.atomic():
        year.phase = phase
        for community in year.communities:
            year.party(community)
        year.agencies()
        year.stars()
    with ctx.progress.phase(_("co-building and volunteering figures")) as phase, transaction.atomic():
        year.phase = phase
        year.cobuilding()
        phase.add(_("rollup rows"), rollups.rebuild())


# Children before parents.
TABLES = [
    VolunteeringCount,
    ProjectEvent,
    Project,
    Need,
    Resource,
    CoBuildingUnit.paired_communities.through,
    CoBuildingUnit.contacts.through,
    CoBuildingUnit,
    Redemption,
    PointsDraw,
    PointsEntry,
    PointsTransaction,
    PointsAccount,
    Reward,
    Shop.keepers.through,
    Shop,
    SignUp,
    Activity,
    PointsScheme,
    PioneerScore,
    PioneerSnapshot,
    PioneerWeights,
    HomeRegistration,
    CallEvent,
    CallReport,
    WhistleCall,
    PostHolding,
    BranchPost,
]


def cleanup(ctx: DemoContext) -> None:
    from django.contrib.auth import get_user_model

    quote = connection.ops.quote_name
    with ctx.progress.phase(_("deleting the demo volunteering")) as phase, transaction.atomic():
        with connection.cursor() as cursor:
            # PointsTransaction.reverses points at its own table: clear it before the rows go.
            cursor.execute(f"UPDATE {quote(PointsTransaction._meta.db_table)} SET reverses_id = NULL")
            for model in TABLES:
                cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
                phase.add(model._meta.db_table, max(cursor.rowcount, 0))
        PartyMembership.objects.filter(organization__name__in=AGENCIES).delete()
        PartyOrganization.objects.filter(name__in=AGENCIES, level=OrgLevel.BRANCH).delete()
        OutboxEvent.objects.filter(topic__startswith="volunteering.").delete()
        OutboxEvent.objects.filter(topic__startswith="party.").delete()
        get_user_model().objects.filter(
            username="shopkeeper", email__endswith="@" + DEMO_EMAIL_DOMAIN
        ).delete()


register_step("volunteering", generate, cleanup, order=150)
