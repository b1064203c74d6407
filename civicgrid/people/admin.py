from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civicgrid.core.pii import log_unmasked_view

from . import services
from .models import Department, Resident, RoleAssignment


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["area"]
    filter_horizontal = ["served_areas"]
    readonly_fields = ["jurisdiction"]

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        obj.jurisdiction = obj.area.jurisdiction  # as create_department sets it
        super().save_model(request, obj, form, change)


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    """The list shows masked data only; opening a resident's form shows it in full, so each opening is
    written to the access log first, like any other unmasked view."""

    list_display = ["masked_name", "masked_phone", "gender", "birth_year", "is_party_member", "household"]
    list_filter = ["gender", "is_party_member"]
    raw_id_fields = ["household", "user"]
    readonly_fields = ["path"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        resident = self.get_object(request, object_id)
        if resident is not None and self.has_view_or_change_permission(request, resident):
            log_unmasked_view(
                user=request.user,
                subject=resident,
                fields=["name", "phone", "id_number"],
                reason=_("administration form"),
                request=request,
            )
        return super().change_view(request, object_id, form_url, extra_context)


class RoleAssignmentForm(forms.ModelForm):
    """Validated by the same rules as `services.assign_role` / `change_role_dates`."""

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department", *services.DATE_FIELDS]

    def clean(self) -> dict:
        data = super().clean()
        dates = {f: data.get(f) for f in services.DATE_FIELDS}
        if self.instance.pk is None:
            services.check_assignment(
                data.get("role") or "", area=data.get("area"), department=data.get("department"), **dates
            )
        else:
            services.check_dates(self.instance.role, *dates.values())
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Writes go through people.services (checked and audited). Who holds which role over what
    is fixed once assigned: end the assignment (`ended on`) and assign anew."""

    form = RoleAssignmentForm
    list_display = [
        "user",
        "role",
        "area",
        "department",
        "elected_on",
        "published_on",
        "appointed_on",
        "ended_on",
    ]
    list_filter = ["role"]
    search_fields = ["user__username", "area__name", "department__name"]
    raw_id_fields = ["user", "area", "department"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["jurisdiction"]
        return [*fixed, "user", "role", "area", "department"] if obj is not None else fixed

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.change_role_dates(
                obj,
                by=request.user,
                **{f: data.get(f) for f in services.DATE_FIELDS if f in form.changed_data},
            )
            obj.refresh_from_db()
            return
        created = services.assign_role(
            data["user"],
            data["role"],
            area=data.get("area"),
            department=data.get("department"),
            elected_on=data.get("elected_on"),
            published_on=data.get("published_on"),
            appointed_on=data.get("appointed_on"),
            by=request.user,
        )
        if data.get("ended_on"):
            services.change_role_dates(created, by=request.user, ended_on=data["ended_on"])
        obj.pk, obj.jurisdiction = created.pk, created.jurisdiction
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        services.remove_role(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for assignment in queryset:
            services.remove_role(assignment, by=request.user)
