"""Search over the cases a person may see: by reference or words, state, category, area, department,
channel, overdue and date range; paginated, and never beyond the person's scope."""

import pytest
from django.urls import reverse

from civicgrid.cases import services

from .conftest import at


def search(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("cases:search"), params)
    assert response.status_code == 200
    return response


def refs(response):
    return {c.ref for c in response.context["page"].object_list}


def test_search_finds_by_reference_or_words(client, people, report):
    parking = report(description="小区门口乱停车")
    lamp = report(description="楼道路灯不亮")
    assert refs(search(client, people.dispatcher, q=lamp.ref)) == {lamp.ref}
    assert refs(search(client, people.dispatcher, q="乱停车")) == {parking.ref}


def test_filters_by_state_category_department_and_channel(client, city, people, report, cats):
    parking = services.dispatch(report(category=cats.parking), people.dispatcher, city.dept)
    rubbish = report(category=cats.rubbish)
    hotline = services.intake(
        channel="hotline", description="噪音扰民", area=city.grid2, by=people.dispatcher
    ).case
    assert refs(search(client, people.dispatcher, state="dispatched")) == {parking.ref}
    assert refs(search(client, people.dispatcher, category=cats.rubbish.pk)) == {rubbish.ref}
    assert refs(search(client, people.dispatcher, category=cats.city_top.pk)) == {parking.ref}
    assert refs(search(client, people.dispatcher, department=city.dept.pk)) == {parking.ref}
    assert refs(search(client, people.dispatcher, channel="hotline")) == {hotline.ref}


def test_filters_by_area_overdue_and_date_range(client, city, people, report, monday_morning):
    first = report()
    monday_morning.move_to(at(2026, 3, 5, 9, 0))
    other_grid = report(unit=city.unit3)
    assert refs(search(client, people.dispatcher, area=city.grid2.code)) == {other_grid.ref}
    assert refs(search(client, people.dispatcher, area=city.community.code)) == {first.ref}
    assert refs(search(client, people.dispatcher, reported_from="2026-03-05")) == {other_grid.ref}
    assert refs(search(client, people.dispatcher, reported_to="2026-03-02")) == {first.ref}
    assert refs(search(client, people.dispatcher, overdue="on")) == {first.ref}


def test_search_never_reaches_beyond_the_scope(client, city, people, report):
    mine = report()
    report(unit=city.unit3)
    assert refs(search(client, people.grid_worker)) == {mine.ref}
    dispatched = services.dispatch(report(), people.dispatcher, city.dept2)
    assert refs(search(client, people.handler)) == set()
    assert refs(search(client, people.other_handler)) == {dispatched.ref}


def test_results_are_paginated_with_the_filters_kept(client, people, report):
    for i in range(30):
        report(description=f"乱停车 {i}")
    first = search(client, people.dispatcher, q="乱停车")
    assert first.context["page"].paginator.count == 30 and len(first.context["page"].object_list) == 25
    assert "q=%E4%B9%B1%E5%81%9C%E8%BD%A6&amp;page=2" in first.content.decode()
    second = search(client, people.dispatcher, q="乱停车", page=2)
    assert len(second.context["page"].object_list) == 5


def test_the_search_page_runs_a_bounded_number_of_queries(
    client, people, report, django_assert_max_num_queries
):
    for i in range(30):
        report(description=f"乱停车 {i}")
    client.force_login(people.dispatcher)
    # a fixed number, whatever the rows: the page's own, the top bar's (one look-up per app)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("cases:search"), {"q": "乱停车", "overdue": ""})
    assert response.status_code == 200


def test_filters_by_kind_and_any_open_state(client, city, people, report):
    """The command centre's 'emergencies open' and 'open now' drill down through these two filters."""
    emergency = services.intake(
        channel="hotline", description="燃气泄漏", kind="emergency", area=city.grid2, by=people.dispatcher
    ).case
    ordinary = report()
    refused = services.not_accept(report(), people.dispatcher, "不属于受理范围")
    assert refs(search(client, people.dispatcher, kind="emergency")) == {emergency.ref}
    assert refs(search(client, people.dispatcher, state="open", kind="emergency")) == {emergency.ref}
    open_now = refs(search(client, people.dispatcher, state="open"))
    assert {emergency.ref, ordinary.ref} <= open_now and refused.ref not in open_now
    page = search(client, people.dispatcher, kind="no-such-kind")
    assert not page.context["form"].is_valid() and "kind" in page.context["form"].errors


@pytest.mark.parametrize("number", [None, "1", "2", "3", "4", "99", "0", "-1", "x", "2.0", ""])
def test_a_page_from_one_scan_is_the_paginators_page(people, report, monkeypatch, number):
    from django.core.paginator import Paginator
    from django.db.models import F

    from civicgrid.cases import policy
    from civicgrid.cases.views import staff

    monkeypatch.setattr(staff, "PAGE_SIZE", 3)
    for i in range(8):
        report(description=f"乱停车 {i}")
    report(description="垃圾满溢")
    qs = services.filter_cases(policy.visible_cases(people.dispatcher), text="乱停车")
    ordering = (F("reported_at").desc(), "-pk")
    ours = staff.one_scan_page(qs, ordering, number)
    theirs = Paginator(qs.order_by(*ordering), 3).get_page(number)
    assert [c.pk for c in ours.object_list] == [c.pk for c in theirs.object_list]
    assert (ours.number, ours.paginator.count, ours.paginator.num_pages) == (
        theirs.number,
        theirs.paginator.count,
        theirs.paginator.num_pages,
    )
    assert (ours.has_next(), ours.has_previous()) == (theirs.has_next(), theirs.has_previous())


def test_a_search_with_no_match_is_one_empty_page(people):
    from django.db.models import F

    from civicgrid.cases import policy
    from civicgrid.cases.views import staff

    page = staff.one_scan_page(policy.visible_cases(people.dispatcher), (F("reported_at").desc(), "-pk"), "3")
    assert (list(page.object_list), page.number, page.paginator.count, page.paginator.num_pages) == (
        [],
        1,
        0,
        1,
    )
