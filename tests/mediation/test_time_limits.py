"""Time limits per type on the working calendar, with frozen time: a reminder when a fifth of the
time is left, escalation to the head and the level above when it has passed."""

import pytest
import time_machine

from civicgrid.cases.models import InboxMessage
from civicgrid.core import outbox
from civicgrid.core.workcalendar import add_working_hours
from civicgrid.mediation import services
from civicgrid.mediation.models import DisputeEvent, Session

from .conftest import at

pytestmark = pytest.mark.django_db


def test_a_neighbours_dispute_has_22_working_days_and_a_labour_dispute_11(med, take_in, monday_morning):
    d = take_in()
    start = at(2026, 3, 2, 9, 0)
    assert d.due_at == add_working_hours(start, 22 * 8)
    # 22 working days from Monday 2 March 09:00 (no holidays in March 2026): Wednesday 1 April 09:00.
    assert d.due_at == at(2026, 4, 1, 9, 0)
    labour = take_in(dispute_type="labour")
    assert labour.due_at == at(2026, 3, 17, 9, 0)


def test_the_limit_skips_the_statutory_holidays_of_the_calendar(med, take_in):
    # Received on Monday 28 September 2026: the National Day holiday (1–7 October) does not count.
    with time_machine.travel(at(2026, 9, 28, 9, 0), tick=False):
        d = take_in(dispute_type="labour")
    # 11 working days of 8 hours from 09:00: without the calendar 09:00 on 13 October; with it the
    # holiday is skipped and Saturday 10 October is worked in exchange: 09:00 on Monday 19 October.
    assert d.due_at == at(2026, 10, 19, 9, 0)


def test_the_sweep_reminds_then_escalates_to_the_head_and_the_level_above(med, take_in, monday_morning):
    d = take_in(dispute_type="labour")
    services.assign(d, med.committee, med.window)
    outbox.drain()
    assert services.sweep() == {"remind": 0, "escalate": 0}
    monday_morning.move_to(at(2026, 3, 16, 9, 0))  # 9 of 11 working days gone: under a fifth left
    assert services.sweep() == {"remind": 1, "escalate": 0}
    outbox.drain()
    assert (
        InboxMessage.objects.filter(user=med.committee_user, text__contains=d.ref).count() == 2
    )  # assigned, reminded
    monday_morning.move_to(at(2026, 3, 17, 9, 1))
    assert services.sweep() == {"remind": 0, "escalate": 1}
    assert services.sweep() == {"remind": 0, "escalate": 0}  # once only
    outbox.drain()
    for head in (med.heads["street"], med.heads["county"]):
        assert InboxMessage.objects.filter(user=head, text__contains=d.ref).exists()
    assert not InboxMessage.objects.filter(user=med.heads["community"], text__contains=d.ref).exists()
    assert DisputeEvent.objects.filter(dispute=d, action="escalate", actor__isnull=True).count() == 1


def test_a_closed_dispute_is_never_swept(med, take_in, monday_morning):
    d = take_in()
    services.withdraw(d, med.window, reason="双方自行和解")
    monday_morning.move_to(at(2026, 6, 1, 9, 0))
    assert services.sweep() == {"remind": 0, "escalate": 0}


def test_a_risk_of_escalation_is_flagged_to_the_centre_head_at_once(med, take_in):
    d = take_in(urgency="risk")
    outbox.drain()
    flagged = InboxMessage.objects.get(user=med.head)
    assert d.ref in flagged.text and ("激化" in flagged.text or "RISK" in flagged.text)
    assert InboxMessage.objects.filter(user=med.window, text__contains=d.ref).exists()


def test_a_session_cannot_be_booked_in_the_past_or_on_a_day_off_without_saying_so(
    med, take_in, monday_morning
):
    d = take_in()
    services.assign(d, med.committee, med.window)
    with pytest.raises(services.ValidationError):
        services.schedule_session(d, med.committee_user, starts_at=at(2026, 3, 1, 9, 0), place="调解室")
    saturday = at(2026, 3, 7, 9, 0)
    with pytest.raises(services.ValidationError):
        services.schedule_session(d, med.committee_user, starts_at=saturday, place="调解室")
    with pytest.raises(services.ValidationError):
        services.schedule_session(
            d, med.committee_user, starts_at=saturday, place="调解室", non_working_day=True
        )
    assert not Session.objects.exists()
    s = services.schedule_session(
        d,
        med.committee_user,
        starts_at=saturday,
        place="调解室",
        non_working_day=True,
        override_reason="申请人工作日在外地务工",
    )
    assert s.non_working_day and s.override_reason
    # A swapped working day (调休) is a working day: Saturday 14 February 2026 is worked in exchange.
    with time_machine.travel(at(2026, 2, 10, 9, 0), tick=False):
        d2 = take_in()
        services.assign(d2, med.deputy, med.window)
        s2 = services.schedule_session(d2, med.deputy_user, starts_at=at(2026, 2, 14, 10, 0), place="调解室")
    assert not s2.non_working_day
