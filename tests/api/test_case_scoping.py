"""Who sees which cases and may take which action: role × scope, through the API."""

import pytest

from civicgrid.cases import services


@pytest.fixture
def cases(city, people, intake):
    """One case in each grid of the street, one dispatched to each department, one of the resident."""
    c = type("Cases", (), {})()
    c.grid1 = intake(area=city.grid, description="网格一的路灯不亮")
    c.grid2 = intake(area=city.grid2, description="网格二的垃圾满溢")
    c.mine = intake(by=people.resident_user, description="我家楼下的井盖缺失")
    c.dept1 = services.dispatch(
        intake(area=city.grid_x, description="商圈占道经营"), people.dispatcher, city.dept
    )
    c.dept2 = services.dispatch(
        intake(area=city.grid2, description="污水外溢"), people.dispatcher, city.dept2
    )
    return c


def listed(client, **params):
    response = client.get("/api/v1/cases/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


ALL = {"grid1", "grid2", "mine", "dept1", "dept2"}
VISIBLE = {
    "admin": ALL,
    "supervisor": ALL,
    "dispatcher": ALL,
    "leader": ALL,
    "community_staff": {"grid1", "mine", "dept1"},
    "grid_worker": {"grid1", "mine"},
    "other_grid_worker": {"grid2", "dept2"},
    "handler": {"dept1"},
    "other_handler": {"dept2"},
    "resident_user": {"mine"},
    "outsider": set(),
}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_role_lists_exactly_the_cases_of_its_scope(city, people, api, cases, persona):
    expected = {getattr(cases, name).pk for name in VISIBLE[persona]}
    assert listed(api(getattr(people, persona))) == expected


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_a_case_outside_the_scope_is_404_not_403(city, people, api, cases, persona):
    client = api(getattr(people, persona))
    for name in ALL - VISIBLE[persona]:
        response = client.get(f"/api/v1/cases/{getattr(cases, name).pk}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "persona,action,allowed",
    [
        ("grid_worker", "register", True),
        ("other_grid_worker", "register", False),
        ("handler", "register", False),
        ("leader", "register", False),
        ("resident_user", "register", False),
        ("dispatcher", "register", True),
    ],
)
def test_registering_is_for_area_staff_of_the_case_scope(city, people, api, cases, persona, action, allowed):
    case = cases.mine
    client = api(getattr(people, persona))
    response = client.post(
        f"/api/v1/cases/{case.pk}/{action}/", {"expected_version": case.version}, format="json"
    )
    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code in (403, 404)
        assert response.json()["detail"]


def test_only_the_lead_department_accepts(city, people, api, cases):
    version = cases.dept1.version
    refused = api(people.other_handler).post(
        f"/api/v1/cases/{cases.dept1.pk}/accept/", {"expected_version": version}, format="json"
    )
    assert refused.status_code == 404
    assert (
        api(people.handler)
        .post(f"/api/v1/cases/{cases.dept1.pk}/accept/", {"expected_version": version}, format="json")
        .status_code
        == 200
    )


def test_a_leader_reads_but_never_writes(city, people, api, cases):
    client = api(people.leader)
    assert client.get(f"/api/v1/cases/{cases.grid1.pk}/").status_code == 200
    response = client.post(
        f"/api/v1/cases/{cases.grid1.pk}/register/", {"expected_version": cases.grid1.version}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    comment = client.post(f"/api/v1/cases/{cases.grid1.pk}/comments/", {"text": "请关注"}, format="json")
    assert comment.status_code == 403 and comment.json()["detail"]
    assert client.get(f"/api/v1/cases/{cases.grid1.pk}/").json()["available_actions"] == []


def test_available_actions_follow_role_and_state(city, people, api, cases):
    detail = api(people.grid_worker).get(f"/api/v1/cases/{cases.grid1.pk}/").json()
    assert "register" in detail["available_actions"] and "dispatch" not in detail["available_actions"]
    detail = api(people.dispatcher).get(f"/api/v1/cases/{cases.grid1.pk}/").json()
    assert "dispatch" in detail["available_actions"]


def test_filters_and_search(city, people, api, cases):
    client = api(people.dispatcher)
    assert listed(client, state="dispatched") == {cases.dept1.pk, cases.dept2.pk}
    assert listed(client, state="submitted,registered") == {cases.grid1.pk, cases.grid2.pk, cases.mine.pk}
    assert listed(client, department=city.dept.code) == {cases.dept1.pk}
    assert listed(client, department=str(city.dept2.pk)) == {cases.dept2.pk}
    assert listed(client, area=city.grid2.code) == {cases.grid2.pk, cases.dept2.pk}
    assert listed(client, channel="resident_app") == {getattr(cases, n).pk for n in ALL}
    assert listed(client, q="井盖") == {cases.mine.pk}
    assert listed(client, q=cases.grid2.ref) == {cases.grid2.pk}
    assert listed(client, category=cases.grid1.category.code) >= {cases.grid1.pk}
    assert listed(client, category=cases.grid1.category.parent.code) >= {cases.grid1.pk}
    assert listed(client, overdue="true") == set()
    assert listed(client, overdue="false") == {getattr(cases, n).pk for n in ALL}
    assert listed(client, kind="coordination") == {getattr(cases, n).pk for n in ALL}
    assert listed(client, kind="emergency") == set()
    refused = client.get("/api/v1/cases/", {"kind": "no-such-kind"})
    assert refused.status_code == 400 and "kind" in refused.json()["errors"], refused.json()


def test_overdue_lists_cases_past_their_deadline(city, people, api, cases):
    import datetime

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() + datetime.timedelta(days=60)):
        assert listed(api(people.dispatcher), overdue="true") == {getattr(cases, n).pk for n in ALL}


@pytest.mark.parametrize(
    "params",
    [
        {"state": "lost"},
        {"category": "9999"},
        {"area": "1"},
        {"department": "none"},
        {"channel": "pigeon"},
        {"overdue": "maybe"},
        {"reported_after": "yesterday"},
        {"page": "99"},
    ],
)
def test_a_bad_filter_is_answered_with_a_clear_body(city, people, api, cases, params):
    response = api(people.dispatcher).get("/api/v1/cases/", params)
    assert response.status_code in (400, 404)
    assert response.json()["detail"] and response.json()["code"]
