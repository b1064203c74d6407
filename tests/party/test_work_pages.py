"""The Party members' work pages render in Chinese and English, show masked names, and keep
to their readers: posts, calls (a case raises one by its reference), 双报到, the star board."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from civicgrid.party import calls, dual, pioneer, posts
from civicgrid.party.models import WhistleCall

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 10, 9, tzinfo=TZ)


@pytest.mark.parametrize("lang,word", [("zh-hans", "岗位"), ("en", "Posts of")])
def test_the_posts_page_lists_fixed_and_x_posts_with_masked_holders(
    client, branch, staff, members, lang, word
):
    patrol = posts.ensure_fixed_posts(branch, staff.secretary)[1]
    posts.assign_holder(patrol, members.a, staff.secretary, started_on=date(2026, 1, 1))
    posts.add_x_post(branch, "加装电梯联络员", staff.secretary)
    client.force_login(staff.secretary)
    text = client.get(
        reverse("party:org_posts", args=[branch.pk]), HTTP_ACCEPT_LANGUAGE=lang
    ).content.decode()
    assert word in text and "加装电梯联络员" in text and "赵*员" in text and "赵党员" not in text


def test_a_case_raises_a_call_by_its_reference_from_the_calls_page(client, branch, staff, city):
    from civicgrid.cases import services as case_services

    case = case_services.intake(channel="resident_app", description="消防通道被占", unit=city.unit).case
    client.force_login(staff.secretary)
    with time_machine.travel(NOW, tick=False):
        form = client.get(reverse("party:org_calls", args=[branch.pk]) + f"?case={case.ref}").content.decode()
        assert case.ref in form
        response = client.post(
            reverse("party:org_calls", args=[branch.pk]),
            {
                "task": "清理消防通道",
                "place": city.building.pk,
                "members_needed": "2",
                "deadline": (NOW + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                "case": case.ref,
            },
        )
    call = WhistleCall.objects.get()
    assert response.url == reverse("party:call", args=[call.pk]) and call.case == case


def test_an_unknown_case_reference_is_a_clear_error_and_no_call(client, branch, staff, city):
    client.force_login(staff.secretary)
    with time_machine.travel(NOW, tick=False):
        page = client.post(
            reverse("party:org_calls", args=[branch.pk]),
            {
                "task": "x",
                "place": city.building.pk,
                "members_needed": "1",
                "deadline": (NOW + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                "case": "2026-330106-999999",
            },
            follow=True,
        )
    assert not WhistleCall.objects.exists()
    assert "2026-330106-999999" in page.content.decode()


@pytest.mark.parametrize("lang,word", [("zh-hans", "报到"), ("en", "Report for this call")])
def test_a_member_reports_from_the_call_page(client, branch, staff, members, city, lang, word):
    with time_machine.travel(NOW, tick=False):
        call = calls.issue_call(
            branch, "清理楼道", city.building, 2, NOW + timedelta(hours=3), staff.secretary
        )
        client.force_login(members.a_user)
        page = client.get(reverse("party:call", args=[call.pk]), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert word in page
        client.post(reverse("party:call", args=[call.pk]), {"action": "report"})
        assert call.reports.filter(member=members.a).exists()
        assert call in [c for c in calls.open_calls_for(members.a)]
        index = client.get(reverse("party:work"), HTTP_ACCEPT_LANGUAGE=lang)
        assert index.status_code == 200 and "清理楼道" in index.content.decode()


def test_the_own_organisation_page_shows_that_they_reported_not_what_they_did(
    client, members, city, branch, staff
):
    dual.register_at_home(members.c, members.elsewhere, city.community, members.c_user, on=date(2026, 2, 1))
    with time_machine.travel(NOW, tick=False):
        call = calls.issue_call(
            branch.parent, "防汛值守", city.community, 2, NOW + timedelta(hours=3), staff.secretary
        )
        calls.report(call, members.c, members.c_user)
    client.force_login(members.elsewhere_secretary)
    text = client.get(reverse("party:reported_elsewhere", args=[members.elsewhere.pk])).content.decode()
    assert "孙*员" in text and "宝石社区" in text and "防汛值守" not in text
    client.force_login(staff.secretary)
    assert client.get(reverse("party:reported_elsewhere", args=[members.elsewhere.pk])).status_code == 403


@pytest.mark.parametrize("lang,word", [("zh-hans", "先锋"), ("en", "Pioneer stars")])
def test_the_board_shows_the_frozen_snapshot_only_with_members_who_earned_stars(
    client, branch, staff, members, lang, word
):
    patrol = posts.ensure_fixed_posts(branch, staff.secretary)[1]
    posts.assign_holder(patrol, members.a, staff.secretary, started_on=date(2026, 4, 1))
    pioneer.publish(branch, "2026Q2", staff.secretary, at=datetime(2026, 7, 1, 9, tzinfo=TZ))
    client.force_login(members.c_user)  # a member of another organisation does not read this board
    assert client.get(reverse("party:board", args=[branch.pk])).status_code == 403
    client.force_login(members.b_user)  # the branch's own member reads it (and is not listed on it)
    text = client.get(reverse("party:board", args=[branch.pk]), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert word in text and "2026Q2" in text and "赵*员" in text and "钱*员" not in text
