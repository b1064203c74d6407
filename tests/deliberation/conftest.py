"""Deliberation fixtures on top of the shared personas: the first community's council 1+7+X (the
branch secretary in the chair, seven standing seats with accounts, the legal steward among them),
more residents of the community, and helpers that walk a topic to any step through the services."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.areas.services import create_household
from civicgrid.deliberation import procedures, services
from civicgrid.deliberation.workflow import STANDING_SEATS, SeatKind, VoteChoice
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_resident, create_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    """Frozen at Monday 2026-03-02 09:00 local; tests move it with frozen.move_to(...)."""
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def council(city, people):
    c = SimpleNamespace()
    c.secretary = people.secretary
    services.add_seat(city.community, people.community_staff, kind=SeatKind.SECRETARY, holder="社区党委书记",
                      user=people.secretary)  # fmt: skip
    c.members = {}
    for kind in STANDING_SEATS:
        user = create_user(f"seat_{kind}", f"pw-seat_{kind}")
        services.add_seat(city.community, people.community_staff, kind=kind, holder=f"{kind}委员", user=user)
        c.members[kind] = user
    c.legal = c.members[SeatKind.LEGAL]
    c.council = services.council_for(city.community)
    return c


@pytest.fixture
def residents(city, people):
    """Twelve more residents of the first community, each with a household and an account."""
    made = []
    for i in range(12):
        household = create_household(
            unit=city.unit2, number=f"{300 + i}", address=f"宝石社区1幢2单元{300 + i}"
        )
        user = create_user(f"res{i}", f"pw-res{i}")
        assign_role(user, Role.RESIDENT, area=city.grid)
        create_resident(household=household, name=f"居民{i}", user=user)
        made.append(user)
    return made


@pytest.fixture
def outsider_resident(city):
    """A resident of the other community (葛岭)."""
    user = create_user("res_other", "pw-res_other")
    assign_role(user, Role.RESIDENT, area=city.grid2)
    create_resident(household=city.household2, name="葛岭居民", user=user)
    return user


@pytest.fixture
def walk(city, people, council, residents):
    """walk(to_code, topic=None) → a topic of the six-step procedure moved to step `to_code`."""
    staff = people.community_staff

    def meeting_passed(topic, choice=VoteChoice.FOR):
        meeting = services.schedule(topic, staff, title="议事会", scheduled_at=at(2026, 3, 2, 19, 0))
        ids = list(meeting.invitations.values_list("id", flat=True))
        services.open_meeting(meeting, staff, present=ids)
        motion = services.put_motion(meeting, staff, text="同意在小区东侧增设电动车充电棚")
        for inv in meeting.invitations.all():
            services.vote(motion, staff, choice=choice, invitation=inv)
        services.close_vote(motion, staff)
        services.close_meeting(meeting, staff, minutes="会议讨论了充电棚选址。")
        return motion

    def make(to_code: str, topic=None, *, title="电动车充电难"):
        if topic is None:
            topic = services.propose(city.community, people.resident_user, title=title,
                                     description="楼道里飞线充电，很危险，希望增设充电桩")  # fmt: skip
        order = [s.code for s in procedures.REGISTRY[procedures.SIX_STEPS].steps]
        target = order.index(to_code)
        while order.index(topic.step_code) < target:
            code = topic.step_code
            if code == "collect":
                for user in residents[: topic.procedure.support_threshold]:
                    services.support(topic, user)
                topic = services.advance(topic, staff)
            elif code == "decide":
                topic = services.take_up(topic, staff, reason="涉及全体住户安全")
            elif code == "research":
                services.add_note(topic, people.grid_worker, kind="visit", text="走访了1幢住户")
                topic = services.advance(topic, staff)
            elif code == "meeting":
                motion = meeting_passed(topic)
                services.review(topic, council.legal, lawful=True, opinion="符合物业管理条例")
                topic = services.advance(topic, staff)
                assert motion.pk
            elif code == "publish":
                from civicgrid.deliberation.models import Publication

                Publication.objects.filter(topic=topic).update(ends_at=at(2026, 3, 1, 0, 0))
                topic = services.advance(topic, staff)
            topic.refresh_from_db()
            topic._current_step = None
        return topic

    make.meeting_passed = meeting_passed
    return make
