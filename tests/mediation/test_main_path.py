"""One dispute from the window to a performed agreement, through the real services."""

from datetime import timedelta

import pytest

from civicgrid.cases.models import InboxMessage
from civicgrid.core import outbox
from civicgrid.mediation import services
from civicgrid.mediation.models import DisputeEvent, FollowUp
from civicgrid.mediation.workflow import State

pytestmark = pytest.mark.django_db


def test_a_walk_in_dispute_goes_from_intake_to_a_performed_agreement(med, take_in, monday_morning):
    d = take_in(amount="1200")
    assert d.state == State.RECEIVED and d.ref.startswith("TJ2026-") and d.amount == 1200
    assert d.parties.count() == 2
    d = services.assign(d, med.committee, med.window, expected_version=d.version)
    assert d.state == State.ASSIGNED
    d = services.assign(d, med.lawyer, med.window)  # 联调: a second mediator joins
    assert d.state == State.ASSIGNED and d.assignments.count() == 2
    first = services.schedule_session(
        d, med.committee_user, starts_at=services._now() + timedelta(days=1), place="调解室"
    )
    assert "调解室" in first.notice_text and first.sms_text
    parties = list(d.parties.all())
    services.record_session(
        first, med.committee_user, present=parties[:1], notes="被申请人未到", outcome="adjourned"
    )
    second = services.schedule_session(
        d, med.lawyer_user, starts_at=services._now() + timedelta(days=2), place="调解室"
    )
    assert second.number == 2
    services.record_session(second, med.lawyer_user, present=parties, notes="达成一致", outcome="agreement")
    day = (services._now() + timedelta(days=7)).date()
    services.draft_agreement(
        d,
        med.committee_user,
        facts="漏水",
        terms="修好防水层，赔偿800元",
        schedule=[{"date": day, "what": "赔偿800元"}],
    )
    for p in parties:
        services.confirm_party(d, p, med.committee_user, method="window")
    d = services.mark_agreed(d, med.committee_user)
    assert d.state == State.AGREED and d.closed_at is not None
    fu = FollowUp.objects.get(dispute=d)
    assert fu.due_on == day
    services.record_follow_up(fu, med.committee_user, method="visit", performance="performed", note="已赔付")
    d.refresh_from_db()
    assert d.state == State.PERFORMED and d.performed_at is not None
    actions = list(DisputeEvent.objects.filter(dispute=d).values_list("action", flat=True))
    assert actions[:3] == ["intake", "assign", "add_mediator"] and actions[-1] == "record_follow_up"
    outbox.drain()
    # The session notice reached both mediators' inboxes with its SMS-ready text.
    for user in (med.committee_user, med.lawyer_user):
        assert InboxMessage.objects.filter(user=user, text__contains=first.sms_text[:30]).exists()


def test_a_failed_mediation_states_the_reason_and_the_route_onward(med, take_in):
    d = take_in(dispute_type="labour", summary="拖欠工资")
    services.assign(d, med.lawyer, med.window)
    d = services.mark_failed(d, med.lawyer_user, reason="用人单位拒不到场", route="arbitration")
    assert d.state == State.FAILED and d.route == "arbitration" and d.closed_at


def test_bad_input_is_refused_with_a_clear_reason_and_nothing_is_written(med, take_in):
    with pytest.raises(services.ValidationError, match="申请人|applicant"):
        take_in(parties=[{"side": "applicant", "name": "张三"}])
    with pytest.raises(services.ValidationError):
        take_in(channel="court", channel_ref="")
    with pytest.raises(services.ValidationError):
        take_in(amount="abc")
    assert not services.Dispute.objects.exists()
