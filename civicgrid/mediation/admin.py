"""Read-only admin views of mediation: every change goes through mediation/services.py, so the
admin shows rows and never edits the fields the services own (and never shows parties unmasked)."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdmin

from .models import Centre, CentreStaff, Dispute, DisputeEvent, DisputeRollup, Mediator


@admin.register(Centre)
class CentreAdmin(ReadOnlyAdmin):
    list_display = ["name", "level", "area", "active"]
    list_filter = ["level", "active"]
    search_fields = ["name"]


@admin.register(CentreStaff)
class CentreStaffAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "centre", "since", "ended_on"]
    list_filter = ["role"]


@admin.register(Mediator)
class MediatorAdmin(ReadOnlyAdmin):
    list_display = ["name", "pool", "centre", "max_open", "unavailable_until", "active"]
    list_filter = ["pool", "active"]
    exclude = ["household", "organisation"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
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
class DisputeEventAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "action", "from_state", "to_state", "actor", "at"]
    list_filter = ["action"]


@admin.register(DisputeRollup)
class DisputeRollupAdmin(ReadOnlyAdmin):
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
