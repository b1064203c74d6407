"""The pioneer index (先锋指数): weighted factors (weights as data), stars each quarter published
as a frozen snapshot; only members who earned a star are listed, nothing is deducted."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from civicgrid.party import calls, pioneer, posts
from civicgrid.party.models import PioneerScore, PostType

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def active_quarter(branch, staff, members, city):
    """In 2026Q2: 赵 holds the patrol post and answers two calls; 钱 does nothing recorded."""
    patrol = next(
        p
        for p in posts.ensure_fixed_posts(branch, staff.secretary)
        if p.post_type == PostType.SECURITY_PATROL
    )
    posts.assign_holder(patrol, members.a, staff.secretary, started_on=date(2026, 4, 1))
    for day in (10, 20):
        now = datetime(2026, 5, day, 9, tzinfo=TZ)
        with time_machine.travel(now, tick=False):
            call = calls.issue_call(
                branch, f"巡查{day}", city.building, 1, now + timedelta(hours=3), staff.secretary
            )
            calls.report(call, members.a, members.a_user)


def test_the_index_weighs_posts_and_calls_and_lists_only_members_with_a_star(branch, active_quarter, members):
    lines, weights, thresholds = pioneer.compute(branch, date(2026, 4, 1), date(2026, 7, 1))
    assert [line.member for line in lines] == [members.a]
    line = lines[0]
    assert line.factors["posts_held"] == 1 and line.factors["calls_answered"] == 2
    assert line.factors["activities_joined"] == 0  # the volunteering app's factor, registered by it
    assert line.score == 10 * 1 + 5 * 2 and line.stars == 1  # thresholds 10, 25, …


def test_weights_are_data_and_the_published_snapshot_stays_frozen(
    branch, active_quarter, members, staff, city
):
    pioneer.set_weights(
        city.community,
        {"posts_held": 20, "calls_answered": 10},
        [10, 20, 30, 40, 50],
        staff.secretary,
        valid_from=date(2026, 1, 1),
    )
    snapshot = pioneer.publish(branch, "2026Q2", staff.secretary, at=datetime(2026, 7, 2, 9, tzinfo=TZ))
    score = PioneerScore.objects.get(snapshot=snapshot)
    assert (score.score, score.stars, score.member_label) == (40, 4, members.a.masked_name)
    # Later changes to weights or records do not touch what was published.
    pioneer.set_weights(
        city.community,
        {"posts_held": 1},
        [100, 200, 300, 400, 500],
        staff.secretary,
        valid_from=date(2026, 2, 1),
    )
    score.refresh_from_db()
    assert score.stars == 4 and snapshot.weights == {"posts_held": 20, "calls_answered": 10}
    with pytest.raises(ValidationError):
        pioneer.publish(branch, "2026Q2", staff.secretary, at=datetime(2026, 7, 3, tzinfo=TZ))


def test_a_quarter_is_published_only_after_it_ends(branch, staff):
    with pytest.raises(ValidationError):
        pioneer.publish(branch, "2026Q2", staff.secretary, at=datetime(2026, 6, 30, 9, tzinfo=TZ))


def test_bad_weights_are_refused_clearly(staff, city):
    with pytest.raises(ValidationError):
        pioneer.set_weights(
            city.community, {"absences": -5}, [1, 2, 3, 4, 5], staff.recorder, valid_from=date(2026, 1, 1)
        )
    with pytest.raises(ValidationError):
        pioneer.set_weights(
            city.community, {"posts_held": 1}, [5, 4, 3, 2, 1], staff.recorder, valid_from=date(2026, 1, 1)
        )


def test_quarters_are_read_like_2026q3():
    assert pioneer.quarter_bounds("2026Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert pioneer.quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    with pytest.raises(ValidationError):
        pioneer.quarter_bounds("2026-3")
