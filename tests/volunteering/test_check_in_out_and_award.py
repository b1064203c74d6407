"""On site: check in and out with the code the organiser's phone shows (or the organiser ticks the
list); the organiser confirms the hours and the points arrive, once."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from civicgrid.party.models import PostType
from civicgrid.volunteering import ledger, services
from civicgrid.volunteering.models import ActivityState, PointsTransaction, TxKind

from .conftest import at


@pytest.fixture
def signed_up(make_activity, residents):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity(hours=3, post_type=PostType.CARE_MUTUAL_AID)
        signup = services.sign_up(activity, residents.a, residents.a_user)
    return activity, signup


def test_code_check_in_and_out_then_confirmation_awards_capped_hours_plus_bonus(signed_up, residents, people):
    activity, signup = signed_up
    with time_machine.travel(at(2026, 6, 6, 8, 55), tick=False):
        services.check_in_by_code(activity, activity.checkin_code, residents.a_user)
    with time_machine.travel(at(2026, 6, 6, 12, 5), tick=False):
        services.check_out_by_code(activity, activity.checkin_code, residents.a_user)
        services.confirm_all(activity, people.community_staff)
    signup.refresh_from_db()
    activity.refresh_from_db()
    assert signup.confirmed_minutes == 180  # within the activity's own time (9:00-12:00)
    assert activity.state == ActivityState.FINISHED
    account = ledger.find_holder_account(activity.scheme, residents.a)
    assert account.balance == 2 + 1  # at most 2 hours credited, +1 for care and mutual aid


def test_a_wrong_code_checks_nobody_in(signed_up, residents):
    activity, signup = signed_up
    with time_machine.travel(at(2026, 6, 6, 9), tick=False), pytest.raises(ValidationError):
        services.check_in_by_code(
            activity, "0000" if activity.checkin_code != "0000" else "1111", residents.a_user
        )
    signup.refresh_from_db()
    assert signup.checked_in_at is None


def test_the_code_works_only_around_the_activity(signed_up, residents):
    activity, _signup = signed_up
    with time_machine.travel(at(2026, 6, 5, 9), tick=False), pytest.raises(services.ActivityConflict):
        services.check_in_by_code(activity, activity.checkin_code, residents.a_user)


def test_a_double_check_out_makes_one_award(signed_up, residents, people):
    activity, signup = signed_up
    with time_machine.travel(at(2026, 6, 6, 9), tick=False):
        services.check_in_by_code(activity, activity.checkin_code, residents.a_user)
    with time_machine.travel(at(2026, 6, 6, 10), tick=False):
        services.check_out_by_code(activity, activity.checkin_code, residents.a_user)
        with pytest.raises(services.ActivityConflict):
            services.check_out(signup, people.community_staff)  # the organiser ticks it too
        with pytest.raises(services.ActivityConflict):
            services.check_out_by_code(activity, activity.checkin_code, residents.a_user)
        services.confirm_hours(signup, people.community_staff)
        services.confirm_hours(signup, people.community_staff, minutes=120)
        services.confirm_all(activity, people.community_staff)
    assert (
        PointsTransaction.objects.filter(kind=TxKind.AWARD, activity=activity, resident=residents.a).count()
        == 1
    )
    assert ledger.find_holder_account(activity.scheme, residents.a).balance == 1 + 1
    assert ledger.check(activity.scheme) == []


def test_the_organiser_ticks_the_list_and_may_confirm_fewer_minutes(signed_up, residents, people):
    activity, signup = signed_up
    services.check_in(signup, people.community_staff, at=at(2026, 6, 6, 9))
    services.check_out(signup, people.community_staff, at=at(2026, 6, 6, 11))
    services.confirm_hours(signup, people.community_staff, minutes=90)
    assert ledger.find_holder_account(activity.scheme, residents.a).balance == 1 + 1


def test_more_minutes_than_the_activity_lasts_are_refused(signed_up, people):
    _activity, signup = signed_up
    services.check_in(signup, people.community_staff, at=at(2026, 6, 6, 9))
    services.check_out(signup, people.community_staff, at=at(2026, 6, 6, 11))
    with pytest.raises(ValidationError):
        services.confirm_hours(signup, people.community_staff, minutes=600)
    signup.refresh_from_db()
    assert signup.confirmed_at is None and not PointsTransaction.objects.exists()


def test_a_resident_cannot_confirm_their_own_hours(signed_up, residents):
    from django.core.exceptions import PermissionDenied

    _activity, signup = signed_up
    with pytest.raises(PermissionDenied):
        services.confirm_hours(signup, residents.a_user)


def test_the_monthly_cap_clips_an_award(make_activity, residents, people, scheme):
    services.update_rules(
        scheme, {**scheme.rules, "cap": {"period": "month", "points": 3}}, people.community_staff
    )
    totals = []
    for day in (6, 13):
        with time_machine.travel(at(2026, 6, 1), tick=False):
            activity = make_activity(start=at(2026, 6, day, 9))
            signup = services.sign_up(activity, residents.a, residents.a_user)
        services.check_in(signup, people.community_staff, at=at(2026, 6, day, 9))
        services.check_out(signup, people.community_staff, at=at(2026, 6, day, 11))
        services.confirm_hours(signup, people.community_staff)
        totals.append(ledger.find_holder_account(scheme, residents.a).balance)
    assert totals == [2, 3]
    capped = PointsTransaction.objects.filter(kind=TxKind.AWARD).order_by("id").last()
    assert "capped" in capped.reason or "上限" in capped.reason


def test_household_pooling_puts_members_points_in_one_account(make_activity, residents, people, scheme):
    scheme = services.update_rules(scheme, {**scheme.rules, "pool_households": True}, people.community_staff)
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity()
        signups = [
            services.sign_up(activity, r, u)
            for r, u in ((residents.a, residents.a_user), (residents.b, residents.b_user))
        ]
    for signup in signups:
        services.check_in(signup, people.community_staff, at=at(2026, 6, 6, 9))
        services.check_out(signup, people.community_staff, at=at(2026, 6, 6, 10))
    services.confirm_all(activity, people.community_staff, at=at(2026, 6, 6, 12))
    account = ledger.find_holder_account(scheme, residents.a)
    assert account == ledger.find_holder_account(scheme, residents.b)
    assert account.household_id == residents.a.household_id and account.balance == 2
