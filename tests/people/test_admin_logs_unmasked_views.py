"""The admin's resident form shows personal data in full, so opening it is logged like any unmasked view."""

from civicgrid.core.models import AccessLog


def test_opening_a_resident_in_the_admin_writes_the_access_log(client, people):
    client.force_login(people.admin)
    response = client.get(f"/admin/people/resident/{people.resident.pk}/change/")
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    entry = AccessLog.objects.get()
    assert entry.user == people.admin
    assert entry.subject_type == "people.resident" and entry.subject_id == str(people.resident.pk)
    assert "phone" in entry.fields and entry.path.startswith("/admin/")


def test_the_admin_list_shows_masked_data_and_logs_nothing(client, people):
    client.force_login(people.admin)
    body = client.get("/admin/people/resident/").content.decode()
    assert "张*明" in body and "138****5678" in body and "13812345678" not in body
    assert not AccessLog.objects.exists()
