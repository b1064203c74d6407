"""Recording a visit: in the worker's own grid, not in the future, once per client key."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.fieldwork import services
from civicgrid.fieldwork.models import FieldworkEvent, Visit

pytestmark = pytest.mark.django_db

KEY = "0b6f4c1e-5a1d-4b8e-9a55-1d6b2b1f0a01"


def test_a_visit_is_recorded_with_its_history_row(people, homes, wednesday):
    saved = services.record_visit(
        people.grid_worker,
        homes.alone,
        visited_on=date(2026, 3, 11),
        met="head",
        heard="腿脚不便",
        client_key=KEY,
    )
    assert saved.created
    visit = saved.row
    assert visit.grid_id == homes.alone.grid_id and visit.path == homes.alone.path
    assert FieldworkEvent.objects.filter(subject="visit", subject_id=visit.pk, action="record").count() == 1


def test_a_resent_visit_returns_the_first_row_and_adds_nothing(people, homes, wednesday):
    first = services.record_visit(
        people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head", client_key=KEY
    )
    again = services.record_visit(
        people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head", client_key=KEY
    )
    assert not again.created and again.row.pk == first.row.pk
    assert Visit.objects.count() == 1
    assert FieldworkEvent.objects.filter(subject="visit").count() == 1


def test_the_same_client_key_from_another_worker_is_another_item(people, homes, city, wednesday):
    services.record_visit(
        people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head", client_key=KEY
    )
    services.record_visit(
        people.other_grid_worker, city.household2, visited_on=date(2026, 3, 11), met="head", client_key=KEY
    )
    assert Visit.objects.count() == 2


def test_a_visit_outside_the_workers_grid_is_refused(people, homes, wednesday):
    with pytest.raises(PermissionDenied, match="not in your grid"):
        services.record_visit(people.grid_worker, homes.outside, visited_on=date(2026, 3, 11), met="head")
    assert not Visit.objects.exists()


def test_a_visit_dated_in_the_future_is_refused(people, homes, wednesday):
    with pytest.raises(ValidationError) as exc:
        services.record_visit(people.grid_worker, homes.alone, visited_on=date(2026, 3, 12), met="head")
    assert "future" in " ".join(exc.value.messages)
    assert not Visit.objects.exists()


def test_a_visit_written_down_too_late_is_refused(people, homes, wednesday):
    with pytest.raises(ValidationError):
        services.record_visit(people.grid_worker, homes.alone, visited_on=date(2025, 12, 1), met="head")


def test_community_staff_cannot_record_a_visit_as_grid_worker(people, homes, wednesday):
    with pytest.raises(PermissionDenied):
        services.record_visit(people.community_staff, homes.alone, visited_on=date(2026, 3, 11), met="head")


def test_a_malformed_client_key_is_refused(people, homes, wednesday):
    with pytest.raises(ValidationError, match="malformed"):
        services.record_visit(
            people.grid_worker, homes.alone, visited_on=date(2026, 3, 11), met="head", client_key="a b"
        )
