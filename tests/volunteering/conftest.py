"""Volunteering personas on top of the shared street: a points scheme of 宝石社区, an organiser,
a few residents with accounts, a shop with a keeper, and a factory for activities."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from civicgrid.areas.services import create_household
from civicgrid.party.models import PostType
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_resident, create_user
from civicgrid.volunteering import services
from civicgrid.volunteering.models import OrganiserKind

TZ = ZoneInfo("Asia/Shanghai")
RULES = {
    "points_per_hour": 1,
    "max_hours_per_activity": 2,
    "bonus_by_post_type": {PostType.CARE_MUTUAL_AID: 1},
}


def at(y, m, d, h=9, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=TZ)


@pytest.fixture
def scheme(city, people):
    return services.create_scheme(city.community, "宝石社区道德银行", RULES, people.community_staff)


@pytest.fixture
def residents(city, people):
    """Three residents with accounts: `people.resident` (张晓明), 李四 (same household) and 王芳."""
    r = SimpleNamespace(a=people.resident, a_user=people.resident_user)
    r.b_user = create_user("lisi", "pw-lisi")
    assign_role(r.b_user, Role.RESIDENT, area=city.grid)
    r.b = create_resident(household=city.household, name="李四", user=r.b_user)
    household = create_household(unit=city.unit2, number="202", address="宝石社区1幢2单元202")
    r.c_user = create_user("wangfang", "pw-wangfang")
    assign_role(r.c_user, Role.RESIDENT, area=city.grid)
    r.c = create_resident(household=household, name="王芳", user=r.c_user)
    return r


@pytest.fixture
def make_activity(city, people, scheme):
    def make(
        title="清扫楼道", *, start=None, hours=2, capacity=10, post_type=PostType.SANITATION_SUPERVISION, **kw
    ):
        start = start or at(2026, 6, 6, 9)
        return services.create_activity(
            title=title,
            organiser_kind=kw.pop("organiser_kind", OrganiserKind.COMMUNITY),
            organiser_name=kw.pop("organiser_name", "宝石社区居委会"),
            post_type=post_type,
            place=kw.pop("place", city.grid),
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
            scheme=kw.pop("scheme", scheme),
            by=kw.pop("by", people.community_staff),
            **kw,
        )

    return make


@pytest.fixture
def shop(city, people):
    keeper = create_user("shopkeeper", "pw-shopkeeper")
    s = services.create_shop(city.community, "宝石便民超市", people.community_staff, keepers=[keeper])
    s.keeper = keeper
    return s
