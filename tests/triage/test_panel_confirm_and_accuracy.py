"""The suggestions panel on the staff case page, the one-click confirm (through the cases services),
the decision rows, the 30-day accuracy figure, and the access policy of every triage view."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.cases import services as cases_services
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import State
from civicgrid.core import outbox
from civicgrid.triage import services
from civicgrid.triage.models import Decision, Outcome, Suggestion

TEXT = "小区门口乱停车，把路都堵了"


def page(client, user, case):
    client.force_login(user)
    return client.get(reverse("cases:staff_case", args=[case.pk]))


def test_the_dispatcher_sees_three_suggestions_and_confirms_one(client, city, people, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    response = page(client, people.dispatcher, case)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="triage"' in body
    assert body.count('class="triage-suggestion"') == 3
    assert body.count("triage:confirm") == 0 and body.count('class="primary confirm"') == 3
    response = client.post(
        reverse("triage:confirm", args=[case.pk]), {"rank": 1, "expected_version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.category == cats.parking and case.department == city.dept
    decision = Decision.objects.get(case=case)
    assert decision.outcome == Outcome.CONFIRMED and decision.suggested_rank == 1
    assert decision.decided_by == people.dispatcher
    outbox.drain()  # the dispatch event's handler leaves the confirmation as it is
    assert Decision.objects.get(case=case).outcome == Outcome.CONFIRMED


def test_a_stale_confirm_changes_nothing(client, city, people, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    services.suggestions(case)
    cases_services.comment(case, people.dispatcher, "看过了")
    client.force_login(people.dispatcher)
    response = client.post(reverse("triage:confirm", args=[case.pk]), {"rank": 1, "expected_version": 1})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and not Decision.objects.filter(case=case).exists()


def test_without_a_department_confirm_registers_the_category(client, city, people, cats, report):
    case = report(description="垃圾桶满了好几天没人清运", category=cats.other)
    services.suggestions(case)
    client.force_login(people.dispatcher)
    client.post(reverse("triage:confirm", args=[case.pk]), {"rank": 1, "expected_version": case.version})
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.category == cats.rubbish and case.department is None


def test_a_dispatchers_own_choice_is_recorded_against_the_suggestions(city, people, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    outbox.drain()
    cases_services.dispatch(case, people.dispatcher, city.dept2, category=cats.rubbish)
    outbox.drain()
    decision = Decision.objects.get(case=case)
    assert decision.outcome == Outcome.MANUAL and decision.category == cats.rubbish
    assert decision.suggested_rank in (2, 3, None)


def test_accuracy_over_the_last_30_days_per_category(client, city, people, cats, rule, report):
    hits = [report(description=TEXT, category=cats.other) for _ in range(3)]
    miss = report(description=TEXT, category=cats.other)
    old = report(description=TEXT, category=cats.other)
    for case in [*hits, miss, old]:
        services.suggestions(case)
    for case in hits:
        services.confirm(case, 1, by=people.dispatcher)
    cases_services.dispatch(miss, people.dispatcher, city.dept, category=cats.fire_lane)
    services.confirm(old, 1, by=people.dispatcher)
    outbox.drain()
    Decision.objects.filter(case=old).update(decided_at=timezone.now() - timedelta(days=31))
    rows, total = services.accuracy(people.dispatcher)
    by_code = {r.category.code: r for r in rows}
    assert by_code["0403"].decisions == 3 and by_code["0403"].top1_share == 1.0
    assert by_code["0501"].decisions == 1 and by_code["0501"].top1 == 0
    assert total.decisions == 4 and total.top1 == 3
    # Next door's dispatcher counts none of these.
    from civicgrid.people.models import Role
    from civicgrid.people.services import assign_role, create_user

    other = create_user("far", "pw-far")
    assign_role(other, Role.STREET_DISPATCHER, area=city.grid2)
    assert services.accuracy(other) == ([], None)
    client.force_login(people.dispatcher)
    body = client.get(reverse("triage:index")).content.decode()
    assert 'id="accuracy"' in body and "100%" in body


def test_closed_cases_get_no_new_suggestions(client, city, people, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED)
    case.refresh_from_db()
    page(client, people.dispatcher, case)
    assert not Suggestion.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    "who,index,thresholds",
    [
        ("dispatcher", 200, 403),
        ("supervisor", 200, 200),
        ("admin", 200, 200),
        ("grid_worker", 403, 403),
        ("handler", 403, 403),
        ("resident_user", 403, 403),
        ("outsider", 403, 403),
    ],
)
def test_access_policy_of_the_triage_pages(client, city, people, who, index, thresholds):
    client.force_login(getattr(people, who))
    assert client.get(reverse("triage:index")).status_code == index
    assert client.get(reverse("triage:thresholds")).status_code == thresholds
    assert client.post(reverse("triage:rollback")).status_code == (302 if who == "admin" else 403)


def test_strangers_go_to_the_login_page_and_others_cannot_confirm(client, city, people, cats, rule, report):
    case = report(description=TEXT, category=cats.other)
    services.suggestions(case)
    for name in ("index", "thresholds", "rollback"):
        response = client.get(reverse(f"triage:{name}"))
        assert response.status_code in (302, 405)
    url = reverse("triage:confirm", args=[case.pk])
    assert "/login/" in client.post(url, {"rank": 1, "expected_version": 1})["Location"]
    client.force_login(people.other_grid_worker)  # cannot see the case: 404
    assert client.post(url, {"rank": 1, "expected_version": case.version}).status_code == 404
    client.force_login(people.grid_worker)  # sees it, may not dispatch: 403, nothing changes
    assert client.post(url, {"rank": 1, "expected_version": case.version}).status_code == 403
    case.refresh_from_db()
    assert case.state == State.SUBMITTED
    # The grid worker may register (a suggestion without a department) but not dispatch.
    items = {i["row"].rank: i for i in _panel(people.grid_worker, case)["items"]}
    assert not items[1]["can_confirm"]
    assert all(i["can_confirm"] == (i["row"].department is None) for i in items.values())


def _panel(user, case):
    from django.test import RequestFactory

    from civicgrid.triage.views import case_panel

    request = RequestFactory().get("/")
    request.user = user
    return case_panel(request, case)


def test_the_district_sets_a_threshold_on_its_page(client, city, people, cats):
    client.force_login(people.supervisor)
    url = reverse("triage:thresholds")
    response = client.post(
        url,
        {
            "district": city.district.code,
            "category": cats.parking.pk,
            "enabled": "on",
            "min_confidence": "0.85",
        },
    )
    assert response.status_code == 302
    from civicgrid.triage.models import Threshold

    row = Threshold.objects.get(category=cats.parking)
    assert row.enabled and row.min_confidence == 0.85 and row.jurisdiction == city.district.code
    response = client.post(
        url, {"district": city.district.code, "category": cats.parking.pk, "min_confidence": "7"}
    )
    assert response.status_code == 400
    row.refresh_from_db()
    assert row.enabled and row.min_confidence == 0.85


def test_the_admin_lists_models_and_thresholds(client, city, people, history):
    history(2)
    services.train(by=people.admin)
    client.force_login(people.admin)
    for name in ("triagemodel", "threshold", "suggestion", "decision"):
        assert client.get(reverse(f"admin:triage_{name}_changelist")).status_code == 200
