"""Read-only admin views of mediation: every change goes through mediation/services.py, so the
admin shows rows and never edits the fields the services own (and never shows parties unmasked)."""

from django.contrib import admin

from .models import Centre, CentreStaff, Dispute, DisputeEvent, DisputeRollup, Mediator


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Centre)
class CentreAdmin(ReadOnly):
    list_display = ["name", "level", "area", "active"]
    list_filter = ["level", "active"]
    search_fields = ["name"]


@admin.register(CentreStaff)
class CentreStaffAdmin(ReadOnly):
    list_display = ["user", "role", "centre", "since", "ended_on"]
    list_filter = ["role"]


@admin.register(Mediator)
class MediatorAdmin(ReadOnly):
    list_display = ["name", "pool", "centre", "max_open", "unavailable_until", "active"]
    list_filter = ["pool", "active"]
    exclude = ["household", "organisation"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnly):
    list_display = ["ref", "summary", "dispute_type", "state", "centre", "received_at", "closed_at"]
    list_filter = ["state", "dispute_type", "level", "channel"]
    search_fields = ["ref"]
    fields = [
        "ref",
        "centre",
        "level",
        "channel",
        "dispute_type",
        "summary",
        "state",
        "urgency",
        "received_at",
        "due_at",
        "closed_at",
        "version",
    ]


@admin.register(DisputeEvent)
class DisputeEventAdmin(ReadOnly):
    list_display = ["dispute", "action", "from_state", "to_state", "actor", "at"]
    list_filter = ["action"]


@admin.register(DisputeRollup)
class DisputeRollupAdmin(ReadOnly):
    list_display = [
        "month",
        "centre",
        "dispute_type",
        "taken_in",
        "closed",
        "agreed",
        "failed",
        "performed",
        "came_back",
    ]
    list_filter = ["level", "dispute_type"]
