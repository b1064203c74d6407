"""Each role's queue: what lands in which tab, the counts on the tabs, the order by time left (amber
before the limit, red after), and a bounded number of queries however many cases there are."""

import pytest
from django.urls import reverse

from civicgrid.cases import services
from civicgrid.cases.workflow import Rating

from .conftest import at


def queue(client, user, tab=None):
    client.force_login(user)
    url = reverse("cases:queue") + (f"?tab={tab}" if tab else "")
    response = client.get(url)
    assert response.status_code == 200
    return response


def refs(response):
    return [c.ref for c in response.context["page"].object_list]


def counts(response):
    return {t["key"]: t["count"] for t in response.context["tabs"]}


def test_the_dispatcher_has_tabs_for_dispatch_returns_extensions_and_holds(
    client, city, people, rule, report, monday_morning
):
    waiting = report(description="门口乱停车")  # a rule names a department: waits for dispatch
    returned = services.dispatch(report(), people.dispatcher, city.dept)
    returned = services.return_to_dispatcher(returned, people.handler, "不属于本部门")
    extended = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.request_extension(extended, people.handler, 8, "需协调")
    held = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.put_on_hold(held, people.dispatcher, until=at(2026, 3, 4).date(), reason="等待改造")

    response = queue(client, people.dispatcher)
    assert [t["key"] for t in response.context["tabs"]] == [
        "dispatch",
        "returned",
        "extensions",
        "hold_review",
    ]
    assert counts(response) == {"dispatch": 1, "returned": 1, "extensions": 1, "hold_review": 0}
    assert refs(response) == [waiting.ref]
    assert refs(queue(client, people.dispatcher, "returned")) == [returned.ref]
    assert refs(queue(client, people.dispatcher, "extensions")) == [extended.ref]
    monday_morning.move_to(at(2026, 3, 4, 9, 0))
    assert refs(queue(client, people.dispatcher, "hold_review")) == [held.ref]


def test_the_department_sees_what_was_dispatched_to_it_and_what_it_handles(client, city, people, report):
    incoming = services.dispatch(report(), people.dispatcher, city.dept, assisting=[city.dept2])
    working = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.dispatch(report(), people.dispatcher, city.dept2)  # another department's

    response = queue(client, people.handler)
    assert counts(response) == {"incoming": 1, "handling": 1, "assisting": 0}
    assert refs(response) == [incoming.ref]
    assert refs(queue(client, people.handler, "handling")) == [working.ref]
    client.logout()
    other = queue(client, people.other_handler, "assisting")
    assert refs(other) == [incoming.ref]
    assert counts(other)["incoming"] == 1


def test_the_grid_worker_sees_their_grid_at_their_level_and_cases_to_verify(client, city, people, report):
    mine = report()
    report(unit=city.unit3)  # another grid
    to_verify = services.mark_handled(
        services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler),
        people.handler,
        "已处理",
    )
    response = queue(client, people.grid_worker)
    assert counts(response) == {"my_level": 1, "verify": 1}
    assert refs(response) == [mine.ref]
    assert refs(queue(client, people.grid_worker, "verify")) == [to_verify.ref]


def test_the_supervisor_sees_overdue_supervised_and_unsatisfied(client, city, people, report, monday_morning):
    late = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    supervised = report()
    services.supervise(supervised, people.dispatcher, note="请尽快")
    closed = services.verify(
        services.mark_handled(
            services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler),
            people.handler,
            "已处理",
        ),
        people.grid_worker,
        passed=True,
    )
    closed.reopen_count = 1  # already reopened once: the next unsatisfied rating goes to the supervisor
    closed.save(update_fields=["reopen_count"])
    services.rate(closed, people.resident_user, rating=Rating.UNSATISFIED, comment="没解决")

    monday_morning.move_to(at(2026, 3, 10, 9, 0))  # past every limit of the open cases
    response = queue(client, people.supervisor)
    assert [t["key"] for t in response.context["tabs"]] == ["overdue", "supervised", "unsatisfied"]
    assert late.ref in refs(response) and supervised.ref in refs(response)
    assert refs(queue(client, people.supervisor, "supervised")) == [supervised.ref]
    assert refs(queue(client, people.supervisor, "unsatisfied")) == [closed.ref]


def test_cases_are_sorted_by_time_left_amber_before_the_limit_red_after(
    client, people, report, cats, monday_morning
):
    slow = report(category=cats.parking)  # resolve in 16 working hours
    fast = report(category=cats.fire_lane)  # resolve in 8
    response = queue(client, people.grid_worker)
    assert refs(response) == [fast.ref, slow.ref]
    assert [c.clock["colour"] for c in response.context["page"].object_list] == ["green", "green"]

    fast.refresh_from_db()
    start, due = fast.clock_started_at, fast.resolve_due
    monday_morning.move_to(due - (due - start) * 0.1)  # in the last tenth of its time
    rows = queue(client, people.grid_worker).context["page"].object_list
    assert [(c.ref, c.clock["colour"]) for c in rows] == [(fast.ref, "amber"), (slow.ref, "green")]
    monday_morning.move_to(due + (due - start) * 0.01)  # just past its limit
    response = queue(client, people.grid_worker)
    rows = response.context["page"].object_list
    assert rows[0].ref == fast.ref and rows[0].clock["colour"] == "red"
    assert 'class="red"' in response.content.decode()


def test_the_queue_page_runs_a_bounded_number_of_queries(
    client, city, people, rule, report, django_assert_max_num_queries
):
    for i in range(40):
        case = report(description=f"门口乱停车 {i}")
        if i % 2:
            services.dispatch(case, people.dispatcher, city.dept, assisting=[city.dept2])
    client.force_login(people.dispatcher)
    # a fixed number, whatever the rows: the page's own (the extension requests' tab counted on its
    # own), the top bar's (one look-up per app)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200 and len(response.context["page"].object_list) == 20
    client.force_login(people.handler)
    # the same, the assisting tab counted on its own
    with django_assert_max_num_queries(14):
        assert client.get(reverse("cases:queue")).status_code == 200


def test_leaders_have_no_queue_and_land_on_the_figures(client, people):
    client.force_login(people.leader)
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 302 and response.url == reverse("dashboard:index")


def test_residents_have_no_staff_queue(client, people):
    client.force_login(people.resident_user)
    assert client.get(reverse("cases:queue")).status_code == 403


@pytest.mark.parametrize("who", ["dispatcher", "handler", "grid_worker", "supervisor"])
def test_the_home_page_shows_the_queue_panel(client, people, report, who):
    report()
    client.force_login(getattr(people, who))
    page = client.get(reverse("home")).content.decode()
    assert reverse("cases:queue") in page
