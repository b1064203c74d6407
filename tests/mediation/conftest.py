"""Mediation fixtures on top of the shared personas: a centre at each level (community, street,
county), their heads and window staff, a roster of mediators from several pools, and helpers that
take a dispute in and walk it through the real services."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.mediation import services
from civicgrid.mediation.models import StaffRole
from civicgrid.people.services import create_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def a_working_day():
    """Every mediation test runs on a working day, the clock running: sessions are booked an hour or
    two ahead and the calendar refuses a weekend or a night (tests that need a fixed moment travel
    again, e.g. with monday_morning)."""
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=True):
        yield


@pytest.fixture
def monday_morning():
    """Frozen at Monday 2026-03-02 09:00 local, an ordinary working day."""
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def med(city, people):
    return build_mediation(city, people)


def build_mediation(city, people):
    """The centres, staff and roster described above (also used by the browser test)."""
    m = SimpleNamespace()

    def user(name):
        return create_user(name, "pw-" + name, email=f"{name}@example.org")

    m.community_centre = services.create_centre(area=city.community, name="宝石社区人民调解委员会")
    m.street_centre = services.create_centre(area=city.street, name="北山街道矛调中心")
    m.county_centre = services.create_centre(area=city.district, name="西湖区矛调中心")
    m.other_centre = services.create_centre(area=city.community2, name="葛岭社区人民调解委员会")
    m.centres = {"community": m.community_centre, "street": m.street_centre, "county": m.county_centre}
    m.heads, m.staff = {}, {}
    for level, centre in m.centres.items():
        m.heads[level] = user(f"head_{level}")
        services.add_staff(centre, m.heads[level], role=StaffRole.HEAD)
        m.staff[level] = user(f"window_{level}")
        services.add_staff(centre, m.staff[level], role=StaffRole.STAFF)
    m.other_staff = user("window_other")
    services.add_staff(m.other_centre, m.other_staff)
    m.head = m.heads["street"]
    m.window = m.staff["street"]
    # The street centre's roster.
    m.committee_user = user("mediator_wang")
    m.committee = services.enrol_mediator(
        m.street_centre,
        m.committee_user,
        name="王调解",
        pool="committee",
        types=["neighbours"],
        organisation="北山街道办",
    )
    m.lawyer_user = user("mediator_li")
    m.lawyer = services.enrol_mediator(
        m.street_centre, m.lawyer_user, name="李律师", pool="legal", organisation="明德律师事务所"
    )
    m.deputy_user = user("mediator_zhao")
    m.deputy = services.enrol_mediator(m.street_centre, m.deputy_user, name="赵代表", pool="deputy")
    m.county_pro_user = user("mediator_qian")
    m.county_pro = services.enrol_mediator(
        m.county_centre, m.county_pro_user, name="钱调解员", pool="professional", types=["labour"]
    )
    m.unassigned_user = user("mediator_sun")
    m.unassigned = services.enrol_mediator(
        m.street_centre, m.unassigned_user, name="孙调解", pool="committee"
    )
    return m


PARTIES = [
    {"side": "applicant", "kind": "person", "name": "张晓明", "phone": "13812345678"},
    {"side": "respondent", "kind": "person", "name": "李建华", "phone": "13998765432"},
]


@pytest.fixture
def take_in(med):
    """take_in(**overrides) → a walk-in dispute at the street centre, taken in by its window."""

    def make(**fields):
        fields.setdefault("centre", med.street_centre)
        fields.setdefault("by", med.window)
        fields.setdefault("channel", "walk_in")
        fields.setdefault("dispute_type", "neighbours")
        fields.setdefault("summary", "楼上漏水到楼下，协商不成")
        fields.setdefault("facts", "302室卫生间漏水，202室天花板受损。")
        fields.setdefault("parties", [dict(p) for p in PARTIES])
        return services.intake(**fields)

    return make


@pytest.fixture
def agreed(med, take_in):
    """agreed() → a dispute walked to an agreement every party confirmed, with one performance date."""

    def make(**fields):
        d = take_in(**fields)
        services.assign(d, med.committee, med.window)
        s = services.schedule_session(
            d, med.committee_user, starts_at=services._now() + timedelta(hours=2), place="调解室"
        )
        parties = list(d.parties.all())
        services.record_session(s, med.committee_user, present=parties, notes="双方到场", outcome="agreement")
        day = (services._now() + timedelta(days=10)).date().isoformat()
        services.draft_agreement(
            d,
            med.committee_user,
            facts="漏水",
            terms="302室修好防水层",
            schedule=[{"date": day, "what": "修好防水层"}],
        )
        for p in parties:
            services.confirm_party(d, p, med.committee_user, method="signature")
        return services.mark_agreed(d, med.committee_user)

    return make
