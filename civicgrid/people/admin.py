from django.contrib import admin

from .models import Department, Resident, RoleAssignment


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "area", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["area"]
    filter_horizontal = ["served_areas"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    """The list shows masked data only; the change form is for administrators."""

    list_display = ["masked_name", "masked_phone", "gender", "birth_year", "is_party_member", "household"]
    list_filter = ["gender", "is_party_member"]
    raw_id_fields = ["household", "user"]
    readonly_fields = ["path"]


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
