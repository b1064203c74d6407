from django.contrib import admin
from django.utils.translation import gettext as _

from civicgrid.core.pii import log_unmasked_view

from .models import Department, Resident, RoleAssignment


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["area"]
    filter_horizontal = ["served_areas"]


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


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
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
