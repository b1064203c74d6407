"""Working-time arithmetic on the Chinese official calendar.

A working day has two periods, 08:30–12:00 and 13:00–17:30 local time: 8 working hours, so a limit of
"5 working days" is 40 working hours. Monday to Friday are working days, Saturday and Sunday are not,
except where `CalendarDay` says otherwise: statutory holidays on weekdays are days off, and weekend
days worked in exchange (调休) are working days. The State Council publishes each year's schedule in
the autumn before; an administrator enters it in the admin (Core › Calendar days).

The calendar is read once per process and cached for CACHE_SECONDS; saving or deleting a CalendarDay
clears the cache of the process that saved it at once (the `calendar` topic of core.caches, fired by
the signals below), other processes (the worker, other web workers) pick the change up within
CACHE_SECONDS.

All functions take and return aware datetimes; the arithmetic is done in the local time zone.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from . import caches

# The working periods of a day, local time.
PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))
HOURS_PER_DAY = (
    sum(
        (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds
        for start, end in PERIODS
    )
    / 3600.0
)
# A whole working day's working time (the periods' lengths on the wall clock, as the walk counts them).
WORKING_DAY = sum(
    (datetime.combine(date.min, end) - datetime.combine(date.min, start) for start, end in PERIODS),
    timedelta(0),
)
# Bound on how far the arithmetic walks (a sanity limit, far beyond any real time limit).
MAX_DAYS = 3660


CACHE_SECONDS = caches.DEFAULT_MAX_AGE  # the one staleness rule of core.caches
_cache: dict = {"days": None, "loaded": 0.0}


def _exceptions() -> dict[date, bool]:
    days = _cache["days"]
    if days is None or _time.monotonic() - _cache["loaded"] > CACHE_SECONDS:
        from .models import CalendarDay

        days = dict(CalendarDay.objects.values_list("date", "is_workday"))
        _cache["days"], _cache["loaded"] = days, _time.monotonic()
    return days


def invalidate(*args, **kwargs) -> None:
    """Forget the cached calendar (called when a CalendarDay changes)."""
    _cache["days"] = None


def _calendar_written(sender=None, **kwargs) -> None:
    caches.invalidate(caches.CALENDAR, sender=sender)


caches.register("core.workcalendar", invalidate, topics=[caches.CALENDAR], max_age=CACHE_SECONDS)
post_save.connect(_calendar_written, sender="core.CalendarDay", dispatch_uid="workcalendar-save")
post_delete.connect(_calendar_written, sender="core.CalendarDay", dispatch_uid="workcalendar-delete")


def is_workday(day: date) -> bool:
    override = _exceptions().get(day)
    if override is not None:
        return override
    return day.weekday() < 5


def _local(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("working-time arithmetic needs an aware datetime")
    return timezone.localtime(moment)


def _at(day: date, t: time, tz) -> datetime:
    return datetime.combine(day, t).replace(tzinfo=tz)


def _periods_of(day: date, tz):
    return [(_at(day, start, tz), _at(day, end, tz)) for start, end in PERIODS]


def day_start(day: date) -> datetime:
    """The moment a day's working time begins (08:30 local), e.g. for a review on that day."""
    return timezone.make_aware(datetime.combine(day, PERIODS[0][0]))


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` working hours after `start`.

    Starting outside working time counts from the next working period. A result that falls exactly
    on the end of a period is that end (17:30 rather than the next morning).
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    started = _local(start)
    tz = started.tzinfo
    remaining = timedelta(hours=hours)
    day = started.date()
    local: datetime | None = started
    first = True
    for _ in range(MAX_DAYS):
        if is_workday(day):
            if not first and remaining > WORKING_DAY:
                # A later working day starts at midnight, before its first period: all of its
                # working time is used up and the end lies beyond it (a day at a time, as below).
                remaining -= WORKING_DAY
            else:
                if local is None:
                    local = _at(day, time(0, 0), tz)
                for p_start, p_end in _periods_of(day, tz):
                    if local > p_end:
                        continue
                    begin = max(local, p_start)
                    available = p_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
        first = False
        day += timedelta(days=1)
        local = None  # midnight of the next day, made only when its periods are walked
    raise ValueError("working-time limit too far ahead")


def working_hours_between(a: datetime, b: datetime) -> float:
    """Working hours from `a` to `b` (negative when b is before a)."""
    if b < a:
        return -working_hours_between(b, a)
    a_local, b_local = _local(a), _local(b)
    tz = a_local.tzinfo
    b_local = b_local.astimezone(tz)
    total = timedelta(0)
    day = a_local.date()
    last = b_local.date()
    if (last - day).days > MAX_DAYS:
        raise ValueError("interval too long")
    while day <= last:
        if is_workday(day):
            for p_start, p_end in _periods_of(day, tz):
                begin = max(p_start, a_local)
                end = min(p_end, b_local)
                if end > begin:
                    total += end - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600.0


def next_workday(day: date) -> date:
    """The first working day on or after `day`."""
    for _ in range(MAX_DAYS):
        if is_workday(day):
            return day
        day += timedelta(days=1)
    raise ValueError("no working day ahead")


def add_working_days(day: date, days: int) -> date:
    """The working day `days` working days after `day` (review dates, hold-until dates)."""
    for _ in range(days):
        day = next_workday(day + timedelta(days=1))
    return day
