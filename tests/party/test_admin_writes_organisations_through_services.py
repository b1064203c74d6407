"""Party organisations recorded in the admin go through party.services (the 三有 set-up checks,
the secretary's role) and leave an audit row; level, area, parent and compounds are read-only."""

import pytest
from django.urls import reverse

from civicgrid.core.models import AuditEntry
from civicgrid.party.models import OrgLevel, PartyOrganization
from civicgrid.people.models import Role


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


def add(client, **data):
    base = {"level": "", "name": "", "parent": "", "area": "", "secretary": "", "set_up_on": ""}
    return client.post(
        reverse("admin:party_partyorganization_add"), {**base, "filed_with_street_on": "", **data}
    )


def test_a_committee_added_in_the_admin_is_audited(admin_client, city, people):
    response = add(
        admin_client, level=OrgLevel.COMMUNITY_COMMITTEE, name="葛岭社区党委", area=city.community2.pk
    )
    assert response.status_code == 302
    org = PartyOrganization.objects.get(name="葛岭社区党委")
    assert org.jurisdiction == "330106"
    entry = AuditEntry.objects.get(action="party.organization.create")
    assert entry.actor == people.admin and entry.after["level"] == OrgLevel.COMMUNITY_COMMITTEE


def test_a_branch_added_in_the_admin_is_set_up_by_the_service(
    admin_client, city, people, compounds, committee
):
    compound = compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))
    response = add(
        admin_client,
        level=OrgLevel.BRANCH,
        name="翠苑党支部",
        area=city.community.pk,
        compounds=[compound.pk],
        secretary=people.outsider.pk,
        set_up_on="2026-03-01",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    branch = PartyOrganization.objects.get(level=OrgLevel.BRANCH)
    assert branch.parent == committee and branch.name == "翠苑党支部"
    assert people.outsider.roles.filter(role=Role.BRANCH_SECRETARY, area=city.community).exists()
    entry = AuditEntry.objects.get(action="party.branch.set_up")
    assert entry.after["compounds"] == [compound.pk] and entry.actor == people.admin


def test_a_branch_for_a_compound_that_already_has_one_is_refused(
    admin_client, city, people, compounds, committee
):
    compound = compounds.add("翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))
    data = dict(level=OrgLevel.BRANCH, name="x", area=city.community.pk, compounds=[compound.pk])
    data.update(secretary=people.outsider.pk, set_up_on="2026-03-01")
    assert add(admin_client, **data).status_code == 302
    response = add(admin_client, **{**data, "name": "y"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert PartyOrganization.objects.filter(level=OrgLevel.BRANCH).count() == 1


def test_renaming_in_the_admin_is_audited_and_the_structure_is_read_only(admin_client, committee):
    url = reverse("admin:party_partyorganization_change", args=[committee.pk])
    form = admin_client.get(url).context["adminform"].form
    assert {"level", "area", "parent", "compounds", "is_joint", "jurisdiction"}.isdisjoint(form.fields)
    data = {"name": "宝石社区党委（新）", "secretary": "", "set_up_on": "", "filed_with_street_on": ""}
    assert admin_client.post(url, data).status_code == 302
    committee.refresh_from_db()
    assert committee.name == "宝石社区党委（新）"
    entry = AuditEntry.objects.get(action="party.organization.change")
    assert (entry.before, entry.after) == ({"name": "宝石社区党委"}, {"name": "宝石社区党委（新）"})
