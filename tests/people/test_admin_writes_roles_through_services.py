"""Role assignments made in the admin go through people.services: the same checks as anywhere,
an audit row for each write, and who holds which role over what read-only once assigned."""

import pytest
from django.urls import reverse

from civicgrid.core.models import AuditEntry
from civicgrid.people.models import Role, RoleAssignment
from civicgrid.people.services import create_user


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


def add(client, **data):
    data = {"user": "", "role": "", "area": "", "department": "", **data}
    for field in ("elected_on", "published_on", "appointed_on", "ended_on"):
        data.setdefault(field, "")
    return client.post(reverse("admin:people_roleassignment_add"), data)


def test_a_role_assigned_in_the_admin_is_checked_scoped_and_audited(admin_client, city, people):
    newcomer = create_user("newcomer")
    response = add(admin_client, user=newcomer.pk, role=Role.GRID_WORKER, area=city.grid2.pk)
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert assignment.jurisdiction == "330106"
    entry = AuditEntry.objects.get(action="people.role.assign", subject_id=str(assignment.pk))
    assert entry.actor == people.admin
    assert entry.after["role"] == Role.GRID_WORKER and entry.after["area_id"] == city.grid2.pk


def test_a_role_over_the_wrong_level_is_refused_in_the_admin_with_nothing_written(admin_client, city):
    newcomer = create_user("newcomer")
    response = add(admin_client, user=newcomer.pk, role=Role.GRID_WORKER, area=city.community.pk)
    assert response.status_code == 200
    assert "该角色须对应一个网格" in response.content.decode() or response.context["adminform"].form.errors
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert not AuditEntry.objects.filter(actor__isnull=False).exists()


def test_ending_a_role_in_the_admin_records_before_and_after(admin_client, people):
    assignment = RoleAssignment.objects.get(user=people.grid_worker)
    url = reverse("admin:people_roleassignment_change", args=[assignment.pk])
    form = admin_client.get(url).context["adminform"].form
    assert {"user", "role", "area", "department", "jurisdiction"}.isdisjoint(form.fields)
    data = {
        "elected_on": "",
        "published_on": "",
        "appointed_on": "",
        "ended_on": "2026-05-01",
        "role": "leader",
    }
    assert admin_client.post(url, data).status_code == 302
    assignment.refresh_from_db()
    assert str(assignment.ended_on) == "2026-05-01" and assignment.role == Role.GRID_WORKER
    entry = AuditEntry.objects.get(action="people.role.change")
    assert (entry.before, entry.after) == ({"ended_on": None}, {"ended_on": "2026-05-01"})


def test_removing_a_role_in_the_admin_is_audited(admin_client, people):
    assignment = RoleAssignment.objects.get(user=people.steward)
    url = reverse("admin:people_roleassignment_delete", args=[assignment.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    entry = AuditEntry.objects.get(action="people.role.remove")
    assert entry.before["role"] == Role.UNIT_STEWARD and entry.actor == people.admin
