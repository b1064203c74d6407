"""The branch plan page: community staff record decisions; supervisors read; others are kept out."""

from datetime import date

import pytest
from django.urls import reverse

from civicgrid.party.models import OrgLevel, PartyOrganization
from civicgrid.party.services import set_up_branch
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_resident, create_user


@pytest.fixture
def world(city, compounds, committee, staff):
    """Two 三无 neighbours and one 三有 compound in 宝石社区; a Party member with an account."""
    compounds.add("老宿舍", members=2, at=(120.108, 30.208))
    compounds.add("新村", members=1, at=(120.109, 30.208))
    cuiyuan = compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.101, 30.201))
    household = cuiyuan.buildings.get().children.get().households.first()
    candidate = create_user("cuiyuan-member")
    create_resident(household=household, name="王建国", is_party_member=True, user=candidate)
    return {"cuiyuan": cuiyuan, "candidate": candidate}


def plan_url(city):
    return reverse("party:plan", args=[city.community.code])


def user_with(role, area, name):
    user = create_user(name)
    assign_role(user, role, area=area)
    return user


def test_community_staff_see_the_rule_applied_and_can_record_a_set_up(client, city, world, staff):
    client.force_login(staff.recorder)
    page = client.get(plan_url(city)).content.decode()
    assert "老宿舍" in page and "新村" in page and "翠苑" in page
    assert page.count('action="/party/branches/330106001001/set-up"') == 2  # one joint, one own
    assert "王*国 (cuiyuan-member)" in page  # candidates are shown masked
    assert "王建国" not in page


def test_the_page_reads_in_chinese_by_default(client, city, world, staff):
    client.force_login(staff.recorder)
    page = client.get(plan_url(city)).content.decode()
    assert "宝石社区的党支部" in page
    assert "联合党支部" in page  # the proposed joint branch's name
    assert "党支部" in client.get("/").content.decode()  # the top-bar link


def test_recording_a_set_up_creates_the_branch(client, city, world, staff):
    client.force_login(staff.recorder)
    response = client.post(
        reverse("party:set_up", args=[city.community.code]),
        {
            "compounds": [world["cuiyuan"].pk],
            "name": "翠苑小区党支部",
            "secretary": world["candidate"].pk,
            "decided_on": "2024-03-01",
            "filed_with_street_on": "",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == plan_url(city)
    branch = PartyOrganization.objects.get(level=OrgLevel.BRANCH)
    assert (branch.name, branch.secretary, branch.set_up_on) == (
        "翠苑小区党支部",
        world["candidate"],
        date(2024, 3, 1),
    )
    assert "翠苑小区党支部" in response.content.decode()
    assert world["candidate"].roles.filter(role=Role.BRANCH_SECRETARY).exists()


def test_a_set_up_without_a_secretary_is_refused_with_a_message(client, city, world, staff):
    client.force_login(staff.recorder)
    response = client.post(
        reverse("party:set_up", args=[city.community.code]),
        {"compounds": [world["cuiyuan"].pk], "decided_on": "2024-03-01"},
        follow=True,
    )
    assert not PartyOrganization.objects.filter(level=OrgLevel.BRANCH).exists()
    assert 'class="msg-error"' in response.content.decode()


def test_a_refused_decision_is_explained(client, city, world, staff):
    set_up_branch(city.community, [world["cuiyuan"]], world["candidate"], date(2024, 3, 1), staff.recorder)
    client.force_login(staff.recorder)
    response = client.post(
        reverse("party:set_up", args=[city.community.code]),
        {"compounds": [world["cuiyuan"].pk], "secretary": world["candidate"].pk, "decided_on": "2024-04-01"},
        follow=True,
    )
    assert PartyOrganization.objects.filter(level=OrgLevel.BRANCH).count() == 1
    assert 'class="msg-error"' in response.content.decode()


def test_joining_and_filing_are_recorded(client, city, compounds, world, staff):
    branch = set_up_branch(
        city.community, [world["cuiyuan"]], world["candidate"], date(2024, 3, 1), staff.recorder
    )
    lone = compounds.add("孤楼", members=1, at=(120.115, 30.205), grid=city.grid_x)
    client.force_login(staff.recorder)
    client.post(
        reverse("party:join", args=[city.community.code]), {"branch": branch.pk, "compounds": [lone.pk]}
    )
    client.post(
        reverse("party:file", args=[city.community.code]), {"branch": branch.pk, "filed_on": "2024-03-10"}
    )
    branch.refresh_from_db()
    assert set(branch.compounds.all()) == {world["cuiyuan"], lone}
    assert branch.is_joint
    assert branch.filed_with_street_on == date(2024, 3, 10)


def test_a_street_leader_reads_the_plan_but_records_nothing(client, city, world):
    leader = user_with(Role.LEADER, city.street, "street-leader")
    client.force_login(leader)
    page = client.get(plan_url(city)).content.decode()
    assert "翠苑" in page and "/set-up" not in page
    response = client.post(
        reverse("party:set_up", args=[city.community.code]),
        {"compounds": [world["cuiyuan"].pk], "secretary": world["candidate"].pk, "decided_on": "2024-03-01"},
    )
    assert response.status_code == 403
    assert not PartyOrganization.objects.filter(level=OrgLevel.BRANCH).exists()


@pytest.mark.parametrize("role, scope", [(Role.GRID_WORKER, "grid"), (Role.COMMUNITY_STAFF, "community2")])
def test_people_outside_the_community_staff_and_supervisors_are_kept_out(client, city, world, role, scope):
    client.force_login(user_with(role, getattr(city, scope), f"outside-{role}"))
    assert client.get(plan_url(city)).status_code == 403


def test_the_index_leads_straight_to_a_single_community_and_refuses_others(client, city, world, staff):
    client.force_login(staff.recorder)
    response = client.get(reverse("party:plan_index"))
    assert response.status_code == 302 and response.url == plan_url(city)
    client.force_login(create_user("no-roles"))
    assert client.get(reverse("party:plan_index")).status_code == 403


def test_a_street_dispatcher_chooses_among_the_communities_of_the_street(client, city, world):
    client.force_login(user_with(Role.STREET_DISPATCHER, city.street, "street-dispatcher"))
    page = client.get(reverse("party:plan_index")).content.decode()
    assert "宝石社区" in page and "葛岭社区" in page
