"""Follow-up visits on the performance dates; a dispute that comes back is linked to the first."""

from datetime import timedelta

import pytest

from civicgrid.mediation import services
from civicgrid.mediation.models import FollowUp

pytestmark = pytest.mark.django_db


def test_each_performance_date_gets_a_follow_up_and_all_performed_closes_the_loop(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    s = services.schedule_session(
        d, med.committee_user, starts_at=services._now() + timedelta(hours=1), place="调解室"
    )
    services.record_session(
        s, med.committee_user, present=list(d.parties.all()), notes="到场", outcome="agreement"
    )
    today = services._now().date()
    services.draft_agreement(
        d,
        med.committee_user,
        facts="漏水",
        terms="分两期赔偿",
        schedule=[
            {"date": today + timedelta(days=30), "what": "第二期 500元"},
            {"date": today + timedelta(days=5), "what": "第一期 500元"},
        ],
    )
    for p in d.parties.all():
        services.confirm_party(d, p, med.committee_user, method="signature")
    services.mark_agreed(d, med.committee_user)
    first, second = FollowUp.objects.filter(dispute=d).order_by("due_on")
    assert first.what == "第一期 500元" and second.what == "第二期 500元"
    services.record_follow_up(first, med.committee_user, method="call", performance="performed")
    d.refresh_from_db()
    assert d.state == "agreed"
    with pytest.raises(services.ValidationError):
        services.record_follow_up(first, med.committee_user, method="call", performance="performed")
    services.record_follow_up(
        second, med.committee_user, method="visit", performance="partly", note="只付了300"
    )
    d.refresh_from_db()
    assert d.state == "agreed" and d.performed_at is None  # not performed in full


def test_without_a_schedule_one_follow_up_is_set_ten_working_days_on(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    s = services.schedule_session(
        d, med.committee_user, starts_at=services._now() + timedelta(hours=1), place="调解室"
    )
    services.record_session(s, med.committee_user, present=[], notes="到场", outcome="agreement")
    services.draft_agreement(d, med.committee_user, facts="口角", terms="互相道歉")
    for p in d.parties.all():
        services.confirm_party(d, p, med.committee_user, method="window")
    services.mark_agreed(d, med.committee_user)
    assert FollowUp.objects.filter(dispute=d).count() == 1


def test_a_dispute_that_comes_back_is_linked_to_the_first_and_counted(med, agreed, take_in):
    first = agreed()
    again = take_in(summary="又漏水了")
    assert again.came_back_from == first
    other_type = take_in(dispute_type="family")
    assert other_type.came_back_from is None
    other_people = take_in(
        parties=[{"side": "applicant", "name": "王五"}, {"side": "respondent", "name": "赵六"}]
    )
    assert other_people.came_back_from is None
    from civicgrid.mediation.models import DisputeRollup

    assert sum(DisputeRollup.objects.values_list("came_back", flat=True)) == 1
