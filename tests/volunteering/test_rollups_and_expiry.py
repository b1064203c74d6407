"""The figures' rollup (hours, participants, calls answered in time, points) and the expiry job."""

from datetime import date, timedelta

import time_machine

from civicgrid.volunteering import ledger, rollups, services
from civicgrid.volunteering.models import Metric, TxKind, VolunteeringCount

from .conftest import at


def test_calls_answered_in_time_count_per_community_and_month(city, people, make_activity):
    from civicgrid.party import calls
    from civicgrid.party.models import OrgLevel
    from civicgrid.party.services import create_organization

    street = create_organization(level=OrgLevel.STREET_COMMITTEE, name="党工委", area=city.street)
    committee = create_organization(
        level=OrgLevel.COMMUNITY_COMMITTEE, name="宝石社区党委", area=city.community, parent=street
    )
    now = at(2026, 5, 4, 9)
    with time_machine.travel(now, tick=False):
        quick = calls.issue_call(
            committee, "巡逻", city.grid, 1, now + timedelta(hours=2), people.community_staff
        )
        calls.issue_call(committee, "值守", city.grid, 5, now + timedelta(hours=2), people.community_staff)
    quick.filled_at = now + timedelta(hours=1)
    quick.save(update_fields=["filled_at"])
    rollups.rebuild()
    counts = dict(
        VolunteeringCount.objects.filter(community=city.community, month=date(2026, 5, 1)).values_list(
            "metric", "value"
        )
    )
    assert counts[Metric.CALLS] == 2 and counts[Metric.CALLS_IN_TIME] == 1
    row = rollups.table(["330100/"], date(2026, 5, 1), date(2026, 5, 1))[0]
    assert row["in_time_rate"] == 50.0


def test_a_rebuild_from_a_month_keeps_the_months_before(make_activity, residents, people):
    for month in (3, 6):
        with time_machine.travel(at(2026, month, 1), tick=False):
            activity = make_activity(start=at(2026, month, 6, 9))
            signup = services.sign_up(activity, residents.a, residents.a_user)
        services.check_in(signup, people.community_staff, at=at(2026, month, 6, 9))
        services.check_out(signup, people.community_staff, at=at(2026, month, 6, 10))
        services.confirm_hours(signup, people.community_staff)
    rollups.rebuild()
    before = VolunteeringCount.objects.filter(month=date(2026, 3, 1)).count()
    rollups.rebuild(date(2026, 6, 1))
    assert VolunteeringCount.objects.filter(month=date(2026, 3, 1)).count() == before > 0
    assert VolunteeringCount.objects.get(metric=Metric.VOLUNTEER_MINUTES, month=date(2026, 6, 1)).value == 60


def test_the_expiry_job_moves_expired_points_out_by_a_ledger_entry(make_activity, residents, people, scheme):
    scheme = services.update_rules(scheme, {**scheme.rules, "expiry_months": 6}, people.community_staff)
    activity = make_activity(start=at(2026, 1, 6, 9), scheme=scheme)
    ledger.award(activity, residents.a, 120, at=at(2026, 1, 6, 12))
    assert services.run_expiry(date(2026, 7, 5)) == 0
    assert services.run_expiry(date(2026, 7, 6)) == 1
    account = ledger.find_holder_account(scheme, residents.a)
    account.refresh_from_db()
    assert account.balance == 0
    assert account.entries.filter(transaction__kind=TxKind.EXPIRY, amount=-2).exists()
    assert ledger.check(scheme) == []
