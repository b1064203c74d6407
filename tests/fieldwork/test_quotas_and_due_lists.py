"""Household types, quota periods and the due list, with time frozen on Wednesday 11 March 2026."""

from datetime import date

import pytest
import time_machine

from civicgrid.fieldwork import quotas, services
from civicgrid.fieldwork.models import HouseholdType, Period

from .conftest import at

pytestmark = pytest.mark.django_db


def test_household_types_come_from_the_residents_ages(homes, wednesday):
    types = quotas.household_types(
        [homes.general.pk, homes.alone.pk, homes.couple.pk, homes.empty.pk], date(2026, 3, 11)
    )
    assert types == {
        homes.general.pk: HouseholdType.GENERAL,
        homes.alone.pk: HouseholdType.ELDERLY_ALONE,
        homes.couple.pk: HouseholdType.ELDERLY,
        homes.empty.pk: HouseholdType.UNREGISTERED,
    }


def test_a_resident_without_a_recorded_birth_year_is_not_counted_elderly():
    assert quotas.classify([None], date(2026, 3, 11)) == HouseholdType.GENERAL


def test_periods_are_calendar_weeks_months_quarters_and_years():
    day = date(2026, 3, 11)
    assert quotas.period_bounds(Period.WEEK, day) == (date(2026, 3, 9), date(2026, 3, 15))
    assert quotas.period_bounds(Period.MONTH, day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert quotas.period_bounds(Period.QUARTER, day) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quotas.period_bounds(Period.YEAR, day) == (date(2026, 1, 1), date(2026, 12, 31))


def test_the_weeks_of_a_month_are_those_whose_sunday_falls_in_it():
    weeks = quotas.periods_ending_in(Period.WEEK, date(2026, 3, 1))
    assert [end for _start, end in weeks] == [date(2026, 3, d) for d in (1, 8, 15, 22, 29)]
    assert quotas.periods_ending_in(Period.QUARTER, date(2026, 2, 1)) == []
    assert quotas.periods_ending_in(Period.QUARTER, date(2026, 3, 1)) == [
        (date(2026, 1, 1), date(2026, 3, 31))
    ]


def test_the_due_list_puts_the_longest_unvisited_first_and_drops_those_visited_this_period(
    people, homes, city, wednesday
):
    gw = people.grid_worker
    services.record_visit(gw, homes.general, visited_on=date(2026, 2, 2), met="head")  # this quarter: done
    services.record_visit(gw, homes.couple, visited_on=date(2026, 2, 20), met="head")  # last month: due again
    services.record_visit(gw, homes.alone, visited_on=date(2026, 3, 6), met="head")  # last week: due again
    rows = quotas.grid_status(city.grid, date(2026, 3, 11))
    due = quotas.due_list(rows)
    assert [r.household.pk for r in due] == [homes.empty.pk, homes.couple.pk, homes.alone.pk]
    assert due[0].last_visit is None
    alone = next(r for r in due if r.household.pk == homes.alone.pk)
    assert alone.due_by == date(2026, 3, 15) and alone.period == Period.WEEK


def test_a_weekly_household_is_due_again_on_monday(people, homes, city, wednesday):
    services.record_visit(people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head")
    assert homes.alone.pk not in [
        r.household.pk for r in quotas.due_list(quotas.grid_status(city.grid, date(2026, 3, 11)))
    ]
    with time_machine.travel(at(2026, 3, 16, 9, 0), tick=False):
        due = quotas.due_list(quotas.grid_status(city.grid, date(2026, 3, 16)))
    assert homes.alone.pk in [r.household.pk for r in due]


def test_the_communitys_own_quota_replaces_the_default(people, homes, city, wednesday):
    services.set_quota(
        people.community_staff, city.community, household_type="general", period="month", visits=2
    )
    services.record_visit(people.grid_worker, homes.general, visited_on=date(2026, 3, 2), met="head")
    row = next(
        r for r in quotas.grid_status(city.grid, date(2026, 3, 11)) if r.household.pk == homes.general.pk
    )
    assert (row.period, row.quota, row.made, row.owed) == (Period.MONTH, 2, 1, 1)


def test_the_progress_bar_counts_at_most_the_quota_per_household(people, homes, city, wednesday):
    gw = people.grid_worker
    for day in (9, 10, 11):  # three visits in the week to a household owed one
        services.record_visit(gw, homes.alone, visited_on=date(2026, 3, day), met="head")
    p = quotas.progress(quotas.grid_status(city.grid, date(2026, 3, 11)))
    assert (p.owed, p.made, p.households, p.due_households) == (4, 1, 4, 3)
    assert p.percent == 25


def test_my_day_lists_the_households_due_oldest_first(client, people, homes, wednesday):
    services.record_visit(people.grid_worker, homes.couple, visited_on=date(2026, 2, 20), met="head")
    client.force_login(people.grid_worker)
    body = client.get("/fieldwork/").content.decode()
    due = body[body.index('id="due-list"') :]
    assert due.index("2单元301") < due.index("1单元201")  # never visited before last visited in February
