"""The command centre: now, today, heat, the league table, colours and the latest issue; drill-down
to the cases behind a figure, for those who may see them."""

import pytest

from civicgrid.indices import services
from civicgrid.indices.models import ColourRule

from .conftest import MARCH


def test_the_command_centre_shows_what_is_open_and_overdue_now(client, people, march, city):
    client.force_login(people.leader)
    page = client.get(f"/dashboard/command/{city.street.code}/")
    assert page.status_code == 200
    live = client.get(f"/dashboard/command/{city.street.code}/live/").json()
    # March: 3 accepted, 2 closed → 1 open (D, overdue); nothing today.
    assert (live["open"], live["overdue"], live["emergency"]) == (1, 1, 0)
    html = page.content.decode()
    assert "/cases/work/search/?area=330106001&amp;overdue=on" in html
    assert "城管执法中队" in html and "水务所" in html  # the league table


def test_the_overdue_figure_drills_down_to_the_overdue_cases_the_viewer_may_see(client, people, march, city):
    client.force_login(people.leader)
    page = client.get("/cases/work/search/", {"area": city.street.code, "overdue": "on"})
    assert page.status_code == 200
    assert march.d.ref in page.content.decode()
    assert march.a.ref not in page.content.decode()


@pytest.mark.parametrize(
    "who, status",
    [
        ("leader", 200),
        ("supervisor", 200),
        ("dispatcher", 200),
        ("handler", 403),
        ("grid_worker", 403),
        ("resident_user", 403),
        ("outsider", 403),
    ],
)
def test_who_may_open_the_street_command_centre(client, people, city, who, status):
    client.force_login(getattr(people, who))
    assert client.get(f"/dashboard/command/{city.street.code}/").status_code == status
    assert client.get(f"/dashboard/command/{city.street.code}/live/").status_code == status


def test_a_street_leader_cannot_open_the_districts_command_centre(client, people, city):
    client.force_login(people.leader)
    assert client.get(f"/dashboard/command/{city.district.code}/").status_code == 403


def test_the_big_screen_refreshes_itself_from_a_script_file(client, people, city):
    client.force_login(people.leader)
    html = client.get(f"/dashboard/command/{city.street.code}/?screen=1").content.decode()
    assert 'data-refresh="60"' in html and "dashboard/command.js" in html and "<script>" not in html


def test_red_communities_and_the_latest_issue_are_on_the_command_centre(client, people, march, index, city):
    services.save_colour_rule(
        ColourRule(
            owner=city.district,
            level="community",
            name="逾期",
            formula="overdue_open",
            direction="lower_better",
            red=1,
            orange=0.8,
            yellow=0.6,
            blue=0.4,
            months=1,
        )
    )
    issue = services.publish_issue(index, by=people.supervisor, period_end=MARCH)
    client.force_login(people.leader)
    html = client.get(f"/dashboard/command/{city.street.code}/").content.decode()
    assert '/indices/colours/330106001002/" class="red-area"' in html
    assert f"/indices/index/liuhe/issue/{issue.number}/" in html


def test_open_now_and_emergencies_drill_down_to_the_open_cases_behind_them(client, people, march, city):
    client.force_login(people.leader)
    html = client.get(f"/dashboard/command/{city.street.code}/").content.decode()
    assert f"/cases/work/search/?area={city.street.code}&amp;state=open&amp;kind=emergency" in html
    page = client.get("/cases/work/search/", {"area": city.street.code, "state": "open"})
    live = client.get(f"/dashboard/command/{city.street.code}/live/").json()
    assert page.context["page"].paginator.count == live["open"]
