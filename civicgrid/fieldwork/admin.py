"""Admin: fieldwork rows are read-only here; every change goes through fieldwork/services.py (the
pages). The diary's text is not shown in the admin at all: it is read through the logged unmask on
the community's diary page."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdmin

from .models import DiaryEntry, Errand, FieldReport, FieldworkEvent, GridMonth, Patrol, Visit, VisitQuota


@admin.register(VisitQuota)
class VisitQuotaAdmin(ReadOnlyAdmin):
    list_display = ["community", "household_type", "visits", "period", "updated_at"]
    list_filter = ["household_type", "period"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_on", "grid", "household", "worker", "met", "case", "errand"]
    list_filter = ["met", "visited_on"]
    fields = ["visited_on", "grid", "household", "worker", "met", "case", "errand", "patrol", "created_at"]
    list_select_related = ["grid", "household", "worker", "case"]


@admin.register(DiaryEntry)
class DiaryEntryAdmin(ReadOnlyAdmin):
    list_display = ["day", "grid", "worker", "created_at"]
    fields = ["day", "grid", "worker", "created_at"]  # never the text


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ended_at", "grid", "worker"]


@admin.register(FieldReport)
class FieldReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "patrol", "worker"]


@admin.register(Errand)
class ErrandAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "grid", "request", "state", "consent_way", "done_at"]
    list_filter = ["state", "consent_way"]


@admin.register(FieldworkEvent)
class FieldworkEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "subject", "subject_id", "action", "actor"]
    list_filter = ["subject", "action"]


@admin.register(GridMonth)
class GridMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "grid", "visits", "quota_due", "quota_met", "errands_done"]
