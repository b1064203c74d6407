""" "Overdue" has one definition (cases.models.overdue_q): the API's ?overdue filter, the staff
search, the red on the pages, the sweep's flags and the figures all agree on the same cases."""

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicgrid.cases import rollups, services, sweeps
from civicgrid.cases.models import Case, is_overdue

from .conftest import at


def test_the_api_the_search_the_pages_the_sweep_and_the_figures_agree_on_what_is_overdue(
    client, city, people, cats, report, monday_morning
):
    # Monday 09:00. 消防通道 gives 2 h to respond and 8 h to resolve, 乱停车 4 h and 16 h.
    late_result = services.accept(
        services.dispatch(report(category=cats.fire_lane), people.dispatcher, city.dept), people.handler
    )
    late_response = services.dispatch(report(category=cats.parking), people.dispatcher, city.dept)
    in_time = services.accept(
        services.dispatch(report(category=cats.parking), people.dispatcher, city.dept), people.handler
    )
    handled = services.mark_handled(
        services.accept(
            services.dispatch(report(category=cats.fire_lane), people.dispatcher, city.dept), people.handler
        ),
        people.handler,
        "已清理",
    )
    held = services.accept(
        services.dispatch(report(category=cats.fire_lane), people.dispatcher, city.dept), people.handler
    )
    from datetime import date

    services.put_on_hold(held, people.dispatcher, until=date(2026, 4, 1), reason="等待施工")

    now = at(2026, 3, 3, 10, 0)  # Tuesday 10:00: 9 working hours later
    monday_morning.move_to(now)
    sweeps.sweep()
    rollups.process_pending()

    expected = {late_result.pk, late_response.pk}
    assert set(Case.objects.overdue().values_list("pk", flat=True)) == expected

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=people.dispatcher)[0].key}")
    listed = api.get("/api/v1/cases/", {"overdue": "true"}).json()["results"]
    assert {row["id"] for row in listed} == expected
    not_listed = api.get("/api/v1/cases/", {"overdue": "false"}).json()["results"]
    assert {row["id"] for row in not_listed} == {in_time.pk, handled.pk, held.pk}

    client.force_login(people.dispatcher)
    page = client.get(reverse("cases:search"), {"overdue": "on"}).context["page"]
    assert {c.pk for c in page.object_list} == expected

    # The pages show red exactly for these cases.
    every = Case.objects.all()
    assert {c.pk for c in every if c.time_left(now).colour == "red"} == expected
    assert {c.pk for c in every if is_overdue(c, now)} == expected

    # The sweep flagged the same cases (a supervision order each), and the figures count the late result.
    assert set(Case.objects.filter(response_overdue_at__isnull=False).values_list("pk", flat=True)) == {
        late_response.pk
    }
    assert set(Case.objects.filter(resolution_overdue_at__isnull=False).values_list("pk", flat=True)) == {
        late_result.pk
    }
    assert rollups.figures(city.street).overdue_open == 1
    assert rollups.figures(city.grid).overdue_open == 1
