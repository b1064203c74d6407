"""The audit log and the personal-data access log are evidence: nobody adds, changes or deletes
their rows through the application, the admin included, a superuser included."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from civicgrid.core import audit
from civicgrid.core.models import AccessLog, AuditEntry, RecordIsPermanent
from civicgrid.core.pii import log_unmasked_view

MODELS = [AccessLog, AuditEntry]


@pytest.fixture
def rows(people):
    access = log_unmasked_view(
        user=people.grid_worker, subject=people.resident, fields=["phone"], reason="入户走访"
    )
    entry = audit.record(
        actor=people.admin, action="people.role.assign", subject=people.resident, after={"role": "x"}
    )
    return {AccessLog: access, AuditEntry: entry}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_add_change_or_delete_permission_exists_to_grant(db, model):
    codenames = set(
        Permission.objects.filter(
            content_type__app_label="core", content_type__model=model._meta.model_name
        ).values_list("codename", flat=True)
    )
    assert codenames == {f"view_{model._meta.model_name}"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_admin_refuses_a_superuser_every_write(people, rows, model):
    request = RequestFactory().get("/admin/")
    request.user = people.admin
    model_admin = admin.site._registry[model]
    obj = rows[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert "delete_selected" not in model_admin.get_actions(request)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_pages_show_the_rows_but_writes_are_forbidden(client, people, rows, model):
    client.force_login(people.admin)
    obj = rows[model]
    name = f"admin:core_{model._meta.model_name}"
    assert client.get(reverse(f"{name}_changelist")).status_code == 200
    assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200  # read-only view
    assert client.get(reverse(f"{name}_add")).status_code == 403
    assert client.post(reverse(f"{name}_change", args=[obj.pk]), {"reason": "edited"}).status_code == 403
    assert client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse(f"{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists()
    obj.refresh_from_db()
    assert obj.reason != "edited"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_orm_refuses_to_change_or_delete_a_row(rows, model):
    obj = rows[model]
    obj.reason = "edited"
    with pytest.raises(RecordIsPermanent):
        obj.save()
    with pytest.raises(RecordIsPermanent):
        obj.delete()
    with pytest.raises(RecordIsPermanent):
        model.objects.filter(pk=obj.pk).update(reason="edited")
    with pytest.raises(RecordIsPermanent):
        model.objects.filter(pk=obj.pk).delete()
    obj.refresh_from_db()
    assert obj.reason != "edited"


def test_an_audit_row_keeps_only_the_fields_that_changed(people):
    entry = audit.record(
        actor=people.admin,
        action="areas.area.change",
        subject=people.resident,
        before={"name": "旧", "code": "1"},
        after={"name": "新", "code": "1"},
    )
    assert (entry.before, entry.after) == ({"name": "旧"}, {"name": "新"})
    assert entry.actor == people.admin and entry.actor_name == "admin"
    assert entry.subject_type == "people.resident" and entry.subject_id == str(people.resident.pk)
