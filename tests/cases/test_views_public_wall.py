"""The public problem wall and echo wall (问题墙 + 回音壁): open to all, counts, no personal data."""

import pytest
from django.urls import reverse

from civicgrid.cases import rollups, services
from civicgrid.cases.models import Category
from civicgrid.cases.workflow import Rating, State


@pytest.fixture
def wall_cases(city, people):
    """Cases across the street: closed and rated, in progress, merely submitted, not public."""
    c = {}
    closed = services.intake(
        channel="resident_app",
        description="我叫张晓明，电话13812345678，3单元502室门口的消防通道被堵",
        unit=city.unit,
        by=people.resident_user,
        contact_name="张晓明",
        contact_phone="13812345678",
    ).case
    closed = services.register(closed, people.grid_worker)
    closed = services.dispatch(closed, people.dispatcher, city.dept)
    closed = services.accept(closed, people.handler)
    closed = services.mark_handled(closed, people.handler, "已联系张晓明（13812345678），清理了通道")
    closed = services.verify(closed, people.grid_worker, passed=True)
    c["closed"] = services.rate(closed, people.resident_user, rating=Rating.SATISFIED, comment="谢谢")
    c["open"] = services.intake(
        channel="hotline",
        description="葛岭路段路面坑洼",
        area=city.grid2,
        by=people.dispatcher,
        contact_name="李大爷",
        contact_phone="0571-87654321",
    ).case
    c["submitted"] = services.intake(
        channel="resident_app", description="刚刚提交的问题", unit=city.unit
    ).case
    c["petition"] = services.intake(
        channel="petition_letter",
        description="信访：反映拆迁补偿",
        category=Category.objects.get(code="0102"),
        area=city.grid,
        by=people.dispatcher,
    ).case
    c["settled"] = services.settle_on_spot(
        by=people.grid_worker, description="楼道杂物堆放", result="已协助住户清理", unit=city.unit
    ).case
    rollups.process_pending()
    return c


def test_the_wall_opens_without_login_and_shows_counts_and_public_cases(client, city, wall_cases):
    response = client.get(reverse("cases:wall", args=[city.street.code]))
    assert response.status_code == 200
    html = response.content.decode()
    totals = response.context["totals"]
    # Raised: all five (aggregates include cases not listed); done: the closed and the settled one.
    assert (totals["raised"], totals["done"], totals["in_progress"]) == (5, 2, 3)
    assert totals["satisfaction"] == 1.0
    assert (
        wall_cases["closed"].ref in html
        and wall_cases["open"].ref in html
        and wall_cases["settled"].ref in html
    )
    assert "已协助住户清理" in html and "城管执法中队" in html
    # Not listed: a report nobody has registered yet, and a petition (category not public).
    assert wall_cases["submitted"].ref not in html and "刚刚提交的问题" not in html
    assert wall_cases["petition"].ref not in html and "拆迁补偿" not in html
    # Per community.
    children = {row["area"].code: row for row in response.context["children"]}
    assert children[city.community.code]["raised"] == 4 and children[city.community2.code]["raised"] == 1


def test_the_wall_shows_no_personal_data(client, city, people, wall_cases):
    for show in ("all", "open", "done"):
        html = client.get(reverse("cases:wall", args=[city.street.code]), {"show": show}).content.decode()
        for personal in (
            "张晓明",
            "晓明",
            "13812345678",
            "138****5678",
            "0571-87654321",
            "87654321",
            "502室",
            "502",
            "李大爷",
        ):
            assert personal not in html, (show, personal)
        for username in ("resident", "gridworker", "dispatcher", "handler"):
            assert f">{username}<" not in html and f" {username} " not in html
    html = client.get(reverse("cases:wall", args=[city.street.code]), {"show": "done"}).content.decode()
    assert "消防通道被堵" in html and "清理了通道" in html  # the matter and what was done stay readable
    assert "宝石社区 · 宝石一网格" in html  # a coarse place: community and grid, no building or room
    assert "1幢" not in html and "1单元" not in html


def test_the_tabs_split_in_progress_from_done(client, city, wall_cases):
    url = reverse("cases:wall", args=[city.street.code])
    open_refs = {i["case"].ref for i in client.get(url, {"show": "open"}).context["items"]}
    done_refs = {i["case"].ref for i in client.get(url, {"show": "done"}).context["items"]}
    assert open_refs == {wall_cases["open"].ref}
    assert done_refs == {wall_cases["closed"].ref, wall_cases["settled"].ref}


def test_a_category_made_private_later_disappears_from_the_wall(client, city, wall_cases):
    top = Category.objects.get(pk=wall_cases["closed"].top_category_id)
    top.public = False
    top.save()
    html = client.get(reverse("cases:wall", args=[city.street.code])).content.decode()
    assert wall_cases["closed"].ref not in html


def test_a_community_wall_lists_its_own_cases_and_its_grids(client, city, wall_cases):
    response = client.get(reverse("cases:wall", args=[city.community2.code]))
    refs = {i["case"].ref for i in response.context["items"]}
    assert refs == {wall_cases["open"].ref}
    assert [row["area"].code for row in response.context["children"]] == [city.grid2.code]
    assert client.get(reverse("cases:wall", args=[city.building.code])).status_code == 404


def test_the_wall_is_paginated_and_its_queries_do_not_grow_with_the_page(
    client, city, people, django_assert_max_num_queries
):
    for i in range(45):
        case = services.intake(
            channel="grid_patrol", description=f"第{i}处井盖松动", area=city.grid, by=people.grid_worker
        ).case
        if i % 3 == 0:
            case = services.dispatch(case, people.dispatcher, city.dept)
            services.accept(case, people.handler)
    rollups.process_pending()
    url = reverse("cases:wall", args=[city.street.code])
    with django_assert_max_num_queries(12):
        first = client.get(url)
    assert len(first.context["items"]) == 20 and first.context["has_next"]
    with django_assert_max_num_queries(12):
        third = client.get(url, {"page": 3})
    assert len(third.context["items"]) == 5 and not third.context["has_next"]
    assert first.context["items"][0]["case"].reported_at >= third.context["items"][0]["case"].reported_at


def test_the_wall_index_goes_straight_to_the_only_street(client, city):
    response = client.get(reverse("cases:wall_index"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "cases:wall", args=[city.street.code]
    )


@pytest.mark.parametrize(
    "text, absent",
    [
        ("联系人：王建国 电话 139 1234 5678", ["王建国", "139 1234 5678"]),
        ("身份证330106198001011234", ["330106198001011234"]),
        ("1-2-301门口漏水", ["1-2-301"]),
        ("请联系刘阿姨", ["刘阿姨"]),
        ("邮箱 a.b@example.org", ["a.b@example.org"]),
    ],
)
def test_public_text_takes_out_personal_details(text, absent):
    from civicgrid.cases.views.public_parts import public_text

    shown = public_text(text)
    for item in absent:
        assert item not in shown
    assert shown.strip()


def test_states_of_cases_on_the_wall_read_as_residents_say_them(client, city, wall_cases):
    items = client.get(reverse("cases:wall", args=[city.street.code])).context["items"]
    by_ref = {i["case"].ref: i for i in items}
    assert by_ref[wall_cases["closed"].ref]["stage"]["key"] == "done"
    assert by_ref[wall_cases["open"].ref]["case"].state == State.REGISTERED


def test_with_several_streets_the_wall_index_lists_them_by_district(client, city):
    from civicgrid.areas.models import Level
    from civicgrid.areas.services import create_area

    other = create_area(level=Level.STREET, code="330106002", name="西溪街道", parent=city.district)
    response = client.get(reverse("cases:wall_index"))
    html = response.content.decode()
    assert response.status_code == 200 and "西湖区" in html
    assert (
        reverse("cases:wall", args=[city.street.code]) in html
        and reverse("cases:wall", args=[other.code]) in html
    )
