"""The read-replica router (civicgrid/core/dbrouter.py), on any database: which reads may go to the
replica, that no write ever does, and that reads fall back to the primary when the replica lags or is
down. The replica's health is a fake here; tests/core/test_streaming_replica.py runs a real one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from civicgrid.cases.models import Case, Category
from civicgrid.core import dbrouter
from civicgrid.core.dbrouter import (
    PIN_COOKIE,
    ReplicaHealth,
    ReplicaReadsMiddleware,
    ReplicaRouter,
    replica_reads,
    replica_reads_allowed,
)
from civicgrid.core.models import CalendarDay
from tests.core.test_every_route_has_a_policy import ALL


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeProbe:
    """Stands in for the replica: a lag in seconds, or an error when it is down."""

    def __init__(self, lag=0.0):
        self.lag = lag
        self.calls = 0

    def __call__(self, alias):
        self.calls += 1
        if isinstance(self.lag, Exception):
            raise self.lag
        return self.lag


class ConfiguredRouter(ReplicaRouter):
    """A router that believes a replica is configured and records every decision, but lets each
    query run on the primary (the only database of this test run)."""

    def __init__(self, lag=0.0):
        self.probe = FakeProbe(lag)
        self.clock = Clock()
        super().__init__(health=ReplicaHealth(max_lag=10, every=5, probe=self.probe, clock=self.clock))
        self.reads: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str]] = []

    def configured(self):
        return True

    def db_for_read(self, model, **hints):
        self.reads.append((model._meta.label, super().db_for_read(model, **hints)))
        return self.primary

    def db_for_write(self, model, **hints):
        alias = super().db_for_write(model, **hints)
        self.writes.append((model._meta.label, alias))
        return alias


@pytest.fixture
def router():
    router = ConfiguredRouter()
    with override_settings(DATABASE_ROUTERS=[router]):
        yield router


def test_reads_outside_a_declared_view_go_to_the_primary(router):
    assert router.read_alias(Case) == "default"


def test_reads_in_a_declared_view_go_to_the_replica_when_it_is_healthy(router):
    with replica_reads_allowed():
        assert router.read_alias(Case) == "replica"
        assert router.read_alias(Category) == "replica"


def test_without_a_replica_alias_every_read_goes_to_the_primary():
    plain = ReplicaRouter(health=ReplicaHealth(probe=FakeProbe()))
    with replica_reads_allowed():
        assert plain.read_alias(Case) == "default"


def test_a_write_never_goes_to_the_replica_and_the_reads_after_it_go_to_the_primary(router):
    with replica_reads_allowed():
        assert router.read_alias(Case) == "replica"
        assert router.db_for_write(Case) == "default"
        assert router.read_alias(Case) == "default"


@pytest.mark.django_db
def test_an_orm_write_in_a_replica_view_is_routed_to_the_primary(router):
    with replica_reads_allowed():
        CalendarDay.objects.create(date="2091-10-01", is_workday=False, name="国庆节")
        assert CalendarDay.objects.filter(date="2091-10-01").count() == 1
    assert router.writes and all(alias == "default" for _, alias in router.writes)
    assert router.reads[-1] == ("core.CalendarDay", "default")


@pytest.mark.django_db
def test_reads_inside_a_transaction_go_to_the_primary(router):
    with replica_reads_allowed():
        with transaction.atomic():
            assert router.read_alias(Case) == "default"
        assert router.read_alias(Case) == "replica"  # the test's own wrapping transaction does not count


def test_a_block_inside_a_replica_view_may_ask_for_the_primary(router):
    with replica_reads_allowed():
        with dbrouter.primary_only():
            assert router.read_alias(Case) == "default"
        assert router.read_alias(Case) == "replica"
        with dbrouter.primary_only():
            router.db_for_write(Case)
        assert router.read_alias(Case) == "default"  # the write in the block pins the request


def test_sign_in_tables_are_always_read_from_the_primary(router):
    with replica_reads_allowed():
        assert router.read_alias(Session) == "default"
        assert router.read_alias(get_user_model()) == "default"


def test_a_lagging_replica_is_not_read_until_it_catches_up(router):
    router.probe.lag = 30.0
    with replica_reads_allowed():
        assert router.read_alias(Case) == "default"
        router.probe.lag = 0.5
        assert router.read_alias(Case) == "default"  # the last probe holds for its period
        router.clock.now += 6
        assert router.read_alias(Case) == "replica"


def test_a_replica_that_is_down_is_not_read(router):
    router.probe.lag = ConnectionRefusedError("connection refused")
    with replica_reads_allowed():
        assert router.read_alias(Case) == "default"
    assert "refused" in router.health.last_error


def test_the_replica_is_probed_at_most_once_per_period(router):
    with replica_reads_allowed():
        for _ in range(50):
            router.read_alias(Case)
        router.clock.now += 6
        router.read_alias(Case)
    assert router.probe.calls == 2


# --- through the middleware -------------------------------------------------------------------------


def run_view(view, request):
    """The middleware around one view, as Django's handler calls it."""
    middleware = ReplicaReadsMiddleware(lambda req: middleware.process_view(req, view, (), {}) or view(req))
    return middleware(request)


def test_a_get_of_a_declared_view_reads_from_the_replica(router):
    seen = []

    @replica_reads
    def figures(request):
        seen.append(router.read_alias(Case))
        return HttpResponse("ok")

    run_view(figures, RequestFactory().get("/figures/"))
    assert seen == ["replica"]


def test_a_view_not_declared_and_a_post_read_from_the_primary(router):
    seen = []

    def staff_page(request):
        seen.append(router.read_alias(Case))
        return HttpResponse("ok")

    run_view(staff_page, RequestFactory().get("/queue/"))
    run_view(replica_reads(staff_page), RequestFactory().post("/figures/"))
    assert seen == ["default", "default"]


@pytest.mark.django_db
def test_a_request_that_wrote_pins_its_client_to_the_primary(router):
    seen = []

    @replica_reads
    def counting_page(request):
        seen.append(router.read_alias(Case))
        CalendarDay.objects.create(date="2091-10-02", is_workday=False, name="国庆节")
        seen.append(router.read_alias(Case))
        return HttpResponse("ok")

    response = run_view(counting_page, RequestFactory().get("/figures/"))
    assert seen == ["replica", "default"]
    assert response.cookies[PIN_COOKIE]["max-age"] == 15
    assert response.cookies[PIN_COOKIE]["httponly"]

    seen.clear()
    pinned = RequestFactory().get("/figures/")
    pinned.COOKIES[PIN_COOKIE] = "1"

    @replica_reads
    def reading_page(request):
        seen.append(router.read_alias(Case))
        return HttpResponse("ok")

    response = run_view(reading_page, pinned)
    assert seen == ["default"]
    assert PIN_COOKIE not in response.cookies  # a read does not extend the pin


def test_a_not_found_from_the_replica_is_asked_again_of_the_primary(router):
    seen = []

    @replica_reads
    def detail(request):
        alias = router.read_alias(Case)
        seen.append(alias)
        if alias == "replica":
            return HttpResponse(status=404)  # not replayed yet
        return HttpResponse("found")

    response = run_view(detail, RequestFactory().get("/open311/v2/requests/X.json"))
    assert seen == ["replica", "default"]
    assert response.content == b"found"


@pytest.mark.django_db
def test_the_problem_wall_reads_cases_from_the_replica_and_a_staff_page_does_not(client, router, people):
    response = client.get(reverse("cases:wall_index"), follow=True)
    assert response.status_code == 200
    replica_models = {label for label, alias in router.reads if alias == "replica"}
    assert replica_models, router.reads
    assert not any(label.startswith(("auth.", "sessions.")) for label in replica_models)

    router.reads.clear()
    client.force_login(people.dispatcher)
    client.cookies.pop(PIN_COOKIE, None)
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    assert router.reads and all(alias == "default" for _, alias in router.reads)


def test_the_views_that_read_from_the_replica_are_the_figures_and_public_pages():
    declared = {
        f"{namespace}:{getattr(callback, '__name__', '?')}"
        for _, namespace, callback in ALL
        if dbrouter.declares_replica_reads(callback)
    }
    assert declared == {
        "cases:follow",
        "cases:wall",
        "cases:wall_index",
        "dashboard:area",
        "dashboard:area_export",
        "dashboard:command",
        "dashboard:command_home",
        "dashboard:command_live",
        "dashboard:index",
        "indices:colour_map",
        "indices:index_detail",
        "indices:index_list",
        "indices:issue_detail",
        "indices:issue_pdf",
        "indices:issue_xlsx",
        "open311:discovery",
        "open311:request_detail",
        "open311:requests",
        "open311:service_definition",
        "open311:service_list",
        "open311:token",
    }
