"""The deadline sweep: reminders, escalation up the chain, automatic supervision when overdue."""

import time_machine
from django.conf import settings
from django.utils import translation

from civicgrid.cases import rollups, services, sweeps
from civicgrid.cases.models import Case, CaseEvent, GridRollup, InboxMessage, SupervisionOrder
from civicgrid.cases.workflow import CaseLevel, State, action_label
from civicgrid.core import outbox

from .conftest import at


def test_a_case_nobody_takes_up_climbs_the_chain_level_by_level(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = report(description="楼道灯坏了")
        assert case.level == CaseLevel.GRID and case.level_due == at(2026, 3, 4, 9, 0)
    with time_machine.travel(at(2026, 3, 4, 8, 59), tick=False):
        assert sweeps.sweep()["escalate"] == 0
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):
        counts = sweeps.sweep()
    case.refresh_from_db()
    assert counts["escalate"] == 1
    assert case.level == CaseLevel.BRANCH
    assert case.version == 3  # the response was found overdue at 8:59, then it escalated
    assert case.level_due == at(2026, 3, 9, 9, 1)  # branch: 24 working hours (3 days) from Wed 9:01
    event = CaseEvent.objects.get(case=case, action="auto_escalate")
    assert event.actor is None and event.data["level"] == "branch" and event.public
    # branch (24 h) → community (40 h) → street (no limit: waits for the dispatcher)
    with time_machine.travel(at(2026, 3, 10, 9, 0), tick=False):
        sweeps.sweep()
    case.refresh_from_db()
    assert case.level == CaseLevel.COMMUNITY
    with time_machine.travel(at(2026, 3, 20, 9, 0), tick=False):
        sweeps.sweep()
    case.refresh_from_db()
    assert case.level == CaseLevel.STREET and case.level_due is None
    with time_machine.travel(at(2026, 4, 20, 9, 0), tick=False):
        assert sweeps.sweep()["escalate"] == 0


def test_escalation_notifies_the_new_level(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = report(description="楼道灯坏了")
        outbox.drain()
        InboxMessage.objects.all().delete()
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):
        sweeps.sweep()
        outbox.drain()
    # The branch secretary hears of the escalation; the dispatcher of the missed response.
    assert set(InboxMessage.objects.values_list("user__username", flat=True)) == {"secretary", "dispatcher"}
    texts = list(InboxMessage.objects.filter(user=people.secretary).values_list("text", flat=True))
    with translation.override(settings.LANGUAGE_CODE):  # messages are written in the site's language
        label = action_label("auto_escalate")
    assert any(case.ref in t and label in t for t in texts)


def test_a_dispatched_case_does_not_escalate_in_the_chain(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.dispatch(report(), people.dispatcher, city.dept)
    with time_machine.travel(at(2026, 3, 20, 9, 0), tick=False):
        counts = sweeps.sweep()
    assert counts["escalate"] == 0
    assert Case.objects.get(pk=case.pk).level == CaseLevel.STREET


def test_overdue_cases_get_an_automatic_supervision_order_once(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.dispatch(report(description="消防通道堵塞"), people.dispatcher, city.dept)
        # respond by 11:00 (2 h), resolve by Tue 9:00 (8 h)
    with time_machine.travel(at(2026, 3, 2, 11, 1), tick=False):
        counts = sweeps.sweep()
    assert counts["overdue_response"] == 1 and counts["overdue_resolution"] == 0
    with time_machine.travel(at(2026, 3, 3, 9, 1), tick=False):
        counts = sweeps.sweep()
        outbox.drain()
    assert counts["overdue_resolution"] == 1
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):
        assert sweeps.sweep()["overdue_resolution"] == 0
    reasons = sorted(SupervisionOrder.objects.filter(case=case).values_list("reason", flat=True))
    assert reasons == ["overdue_resolution", "overdue_response"]
    assert all(o.issued_by is None and o.due for o in SupervisionOrder.objects.filter(case=case))
    handler_messages = InboxMessage.objects.filter(user=people.handler, case=case)
    assert handler_messages.count() >= 2
    case.refresh_from_db()
    assert case.time_left().colour == "red"


def test_overdue_counts_in_the_rollups_until_closed(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.accept(
            services.dispatch(report(description="消防通道堵塞"), people.dispatcher, city.dept),
            people.handler,
        )
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        sweeps.sweep()
    rollups.process_pending()
    assert rollups.figures(city.street).overdue_open == 1
    with time_machine.travel(at(2026, 3, 3, 11, 0), tick=False):
        case = services.mark_handled(case, people.handler, "已清理")
        case = services.verify(case, people.grid_worker, passed=True)
    rollups.process_pending()
    f = rollups.figures(city.street)
    assert f.overdue_open == 0 and f.closed == 1 and f.closed_on_time == 0
    assert f.on_time_rate == 0.0
    assert GridRollup.objects.filter(area=city.grid).get().closed == 1


def test_a_reminder_comes_at_the_start_of_the_last_fifth(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 8, 30), tick=False):
        case = services.accept(
            services.dispatch(report(description="乱停车"), people.dispatcher, city.dept), people.handler
        )
        # resolve by Tue 17:30; the last fifth of 33 real hours starts 6.6 h before
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        assert sweeps.sweep()["remind"] == 0
    with time_machine.travel(at(2026, 3, 3, 11, 0), tick=False):
        assert sweeps.sweep()["remind"] == 1
        outbox.drain()
    assert InboxMessage.objects.filter(user=people.handler, case=case, text__contains=case.ref).exists()
    with time_machine.travel(at(2026, 3, 3, 12, 0), tick=False):
        assert sweeps.sweep()["remind"] == 0


def test_on_hold_cases_are_not_flagged_and_their_review_date_reminds(city, people, report):
    from datetime import date

    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
        services.put_on_hold(case, people.dispatcher, until=date(2026, 3, 20), reason="待预算")
    with time_machine.travel(at(2026, 3, 19, 9, 0), tick=False):
        counts = sweeps.sweep()
    assert counts == {"remind": 0, "escalate": 0, "overdue_response": 0, "overdue_resolution": 0}
    with time_machine.travel(at(2026, 3, 20, 9, 0), tick=False):
        assert sweeps.sweep()["remind"] == 1
    assert Case.objects.get(pk=case.pk).state == State.ON_HOLD


def test_the_sweep_bumps_the_version_so_a_stale_action_conflicts(city, people, report):
    import pytest

    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = report(description="楼道灯坏了")
        seen = case.version
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):
        sweeps.sweep()
        with pytest.raises(services.CaseConflict):
            services.register(case, people.grid_worker, expected_version=seen)


def test_a_backlog_is_worked_off_in_short_batches(city, people, report):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        cases = [report(description="楼道灯坏了") for _ in range(5)]
    with time_machine.travel(at(2026, 3, 4, 9, 1), tick=False):
        totals, rounds = sweeps.sweep_all(batch=2)
        outbox.drain()
    assert totals["escalate"] == 5 and rounds == 3
    assert all(Case.objects.get(pk=c.pk).level == CaseLevel.BRANCH for c in cases)
    assert CaseEvent.objects.filter(action="auto_escalate").count() == 5
    # one message per case for the branch secretary, although the batches ran in the same minute
    with translation.override(settings.LANGUAGE_CODE):
        label = action_label("auto_escalate")
    escalated = InboxMessage.objects.filter(user=people.secretary, text__contains=label)
    assert sorted(escalated.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
