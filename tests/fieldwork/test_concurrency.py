"""A phone that sends the same queued item twice at the same moment (two tabs, a retry racing the
first send): one row is made, both sends get it back. PostgreSQL only (SQLite serialises writers)."""

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.fieldwork import services
from civicgrid.fieldwork.models import Errand, FieldReport, Visit

from ..cases.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two overlapping writers: PostgreSQL"),
]


def test_the_same_visit_sent_twice_at_once_is_saved_once(people, homes):
    def send():
        return services.record_visit(
            people.grid_worker,
            homes.alone.pk,
            visited_on=timezone.localdate(),
            met="head",
            client_key="race-visit-0001",
        )

    results = race(send, send)
    assert all(isinstance(r, services.Saved) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].row.pk == results[1].row.pk
    assert Visit.objects.count() == 1


def test_the_same_report_sent_twice_at_once_makes_one_case(people, city):
    def send():
        return services.report(
            people.grid_worker, description="井盖缺失", unit=city.unit.pk, client_key="race-report-0001"
        )

    results = race(send, send)
    assert all(isinstance(r, services.Saved) for r in results), results
    assert FieldReport.objects.count() == 1 and Case.objects.count() == 1


def test_two_people_closing_one_errand_at_once_close_it_once(people, homes):
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代缴医保", consent_way="phone"
    ).row
    seen = errand.version
    results = race(
        lambda: services.close_errand(errand, people.grid_worker, result="已代缴", expected_version=seen),
        lambda: services.close_errand(
            errand, people.community_staff, result="社区已代缴", expected_version=seen
        ),
    )
    assert sum(isinstance(r, Errand) for r in results) == 1, results
    errand.refresh_from_db()
    assert errand.state == "done" and errand.version == seen + 1
    assert Case.objects.get(pk=errand.case_id).state == "closed"
