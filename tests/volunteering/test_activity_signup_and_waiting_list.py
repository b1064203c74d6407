"""Sign-up: a place while places are free, then the waiting list; a freed place goes to the next in
line, who is told in their inbox."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from civicgrid.cases.models import InboxMessage
from civicgrid.core import outbox
from civicgrid.volunteering import services
from civicgrid.volunteering.models import SignUpState

from .conftest import at


@pytest.fixture
def full_activity(make_activity, residents):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity(capacity=1)
        first = services.sign_up(activity, residents.a, residents.a_user)
        second = services.sign_up(activity, residents.b, residents.b_user)
        third = services.sign_up(activity, residents.c, residents.c_user)
    return activity, first, second, third


def test_the_first_gets_the_place_and_the_others_wait_in_order(full_activity):
    _activity, first, second, third = full_activity
    assert [first.state, second.state, third.state] == [
        SignUpState.PLACE,
        SignUpState.WAITING,
        SignUpState.WAITING,
    ]


def test_a_freed_place_goes_to_the_next_in_line_who_is_told(full_activity, residents):
    activity, first, second, third = full_activity
    with time_machine.travel(at(2026, 6, 2), tick=False):
        services.withdraw(first, residents.a_user)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.state == SignUpState.PLACE and second.offered_at is not None
    assert third.state == SignUpState.WAITING
    outbox.drain()
    message = InboxMessage.objects.get(user=residents.b_user)
    assert activity.title in message.text


def test_signing_up_twice_is_refused_clearly(full_activity, residents):
    activity, *_rest = full_activity
    with time_machine.travel(at(2026, 6, 1), tick=False), pytest.raises(services.ActivityConflict) as exc:
        services.sign_up(activity, residents.a, residents.a_user)
    assert "already" in str(exc.value) or "已" in str(exc.value)


def test_nobody_signs_up_someone_else(make_activity, residents):
    with time_machine.travel(at(2026, 6, 1), tick=False):
        activity = make_activity()
        with pytest.raises(PermissionDenied):
            services.sign_up(activity, residents.b, residents.a_user)


def test_a_withdrawn_resident_may_sign_up_again_at_the_back_of_the_line(full_activity, residents):
    activity, first, second, third = full_activity
    with time_machine.travel(at(2026, 6, 2), tick=False):
        services.withdraw(first, residents.a_user)
        again = services.sign_up(activity, residents.a, residents.a_user)
    assert again.pk == first.pk and again.state == SignUpState.WAITING


def test_no_sign_up_after_the_activity_ended(make_activity, residents):
    activity = make_activity()
    with time_machine.travel(at(2026, 6, 7), tick=False), pytest.raises(services.ActivityConflict):
        services.sign_up(activity, residents.a, residents.a_user)
