"""Working-time arithmetic on the official calendar (08:30–12:00, 13:00–17:30; 8 hours a day)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.core import workcalendar as wc
from civicgrid.core.models import CalendarDay

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


pytestmark = pytest.mark.django_db


def test_the_2026_schedule_is_seeded():
    assert not wc.is_workday(date(2026, 1, 1))
    assert wc.is_workday(date(2026, 1, 4))  # Sunday worked for New Year
    assert not wc.is_workday(date(2026, 2, 16))  # Spring Festival, a Monday
    assert wc.is_workday(date(2026, 2, 14)) and wc.is_workday(date(2026, 2, 28))  # swapped Saturdays
    assert not wc.is_workday(date(2026, 10, 7)) and wc.is_workday(date(2026, 10, 10))
    assert wc.is_workday(date(2026, 9, 20))
    assert not wc.is_workday(date(2027, 10, 1)) and not wc.is_workday(date(2027, 5, 1))
    assert wc.is_workday(date(2026, 3, 2)) and not wc.is_workday(date(2026, 3, 7))


def test_a_day_has_eight_working_hours():
    assert wc.HOURS_PER_DAY == 8
    assert wc.working_hours_between(at(2026, 3, 2, 0, 0), at(2026, 3, 3, 0, 0)) == 8


def test_adding_hours_within_a_day_skips_lunch():
    assert wc.add_working_hours(at(2026, 3, 2, 9, 0), 2) == at(2026, 3, 2, 11, 0)
    assert wc.add_working_hours(at(2026, 3, 2, 11, 0), 2) == at(2026, 3, 2, 14, 0)
    assert wc.add_working_hours(at(2026, 3, 2, 12, 30), 1) == at(2026, 3, 2, 14, 0)


def test_a_limit_ending_at_closing_time_is_that_evening():
    assert wc.add_working_hours(at(2026, 3, 2, 8, 30), 8) == at(2026, 3, 2, 17, 30)


def test_friday_afternoon_plus_a_day_is_monday():
    assert wc.add_working_hours(at(2026, 3, 6, 16, 0), 8) == at(2026, 3, 9, 16, 0)


def test_hours_started_at_night_count_from_the_next_morning():
    assert wc.add_working_hours(at(2026, 3, 2, 20, 0), 1) == at(2026, 3, 3, 9, 30)


def test_a_deadline_across_the_spring_festival_waits_for_the_holiday():
    # Friday 2026-02-13 16:00 + 16 working hours: Sat 02-14 is a swapped working day,
    # then 02-15..23 are off; the limit falls on Tuesday 02-24.
    start = at(2026, 2, 13, 16, 0)
    assert wc.add_working_hours(start, 2) == at(2026, 2, 14, 9, 0)  # the swapped Saturday works
    assert wc.add_working_hours(start, 16) == at(2026, 2, 24, 16, 0)


def test_national_day_and_the_swapped_saturday_after_it():
    # Wednesday 09-30 17:00 + 1 h: 10-01..07 are off, next working day is Thursday 10-08.
    assert wc.add_working_hours(at(2026, 9, 30, 17, 0), 1) == at(2026, 10, 8, 9, 0)
    # Friday 10-09 17:00 + 1 h lands on the swapped Saturday 10-10.
    assert wc.add_working_hours(at(2026, 10, 9, 17, 0), 1) == at(2026, 10, 10, 9, 0)


def test_the_calendar_cache_follows_changes():
    day = date(2026, 3, 9)  # a Monday
    assert wc.is_workday(day)
    CalendarDay.objects.create(date=day, is_workday=False, name="test")
    assert not wc.is_workday(day)
    CalendarDay.objects.filter(date=day).get().delete()
    assert wc.is_workday(day)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        wc.add_working_hours(datetime(2026, 3, 2, 9, 0), 1)


def test_working_days_for_review_dates():
    assert wc.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert wc.next_workday(date(2026, 3, 7)) == date(2026, 3, 9)


moments = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 11, 30)).map(
    lambda d: d.replace(tzinfo=TZ, microsecond=0)
)
hours = st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda h: round(h, 2))
quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@quick
@given(moments, hours)
def test_adding_then_measuring_gives_back_the_hours(start, h):
    end = wc.add_working_hours(start, h)
    assert end >= start
    assert wc.working_hours_between(start, end) == pytest.approx(h, abs=1e-6)


@quick
@given(moments, hours, hours)
def test_adding_is_additive(start, a, b):
    stepwise = wc.add_working_hours(wc.add_working_hours(start, a), b)
    assert abs((stepwise - wc.add_working_hours(start, a + b)).total_seconds()) < 1e-3


@quick
@given(moments, hours)
def test_a_positive_limit_ends_inside_working_time_on_a_working_day(start, h):
    end = wc.add_working_hours(start, h)
    if h > 0:
        local = end.astimezone(TZ)
        assert wc.is_workday(local.date())
        t = local.time()
        assert any(p_start <= t <= p_end for p_start, p_end in wc.PERIODS)


@quick
@given(moments, moments)
def test_measuring_is_antisymmetric_and_bounded_by_real_time(a, b):
    forward = wc.working_hours_between(a, b)
    assert forward == pytest.approx(-wc.working_hours_between(b, a), abs=1e-9)
    assert abs(forward) <= abs((b - a) / timedelta(hours=1)) + 1e-9


@quick
@given(moments, hours)
def test_more_hours_never_end_earlier(start, h):
    assert wc.add_working_hours(start, h) <= wc.add_working_hours(start, h + 0.5)
