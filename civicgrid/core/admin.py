from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLog, AuditEntry, CalendarDay, OutboxEvent


class PermanentRecordAdmin(admin.ModelAdmin):
    """Evidence is shown, never added, changed or deleted here: not even a superuser may."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(AccessLog)
class AccessLogAdmin(PermanentRecordAdmin):
    """Read-only: the access log is evidence, never edited."""

    list_display = ["at", "user", "subject_type", "subject_id", "fields", "reason", "ip"]
    list_filter = ["subject_type"]
    search_fields = ["user__username", "subject_id", "reason"]
    date_hierarchy = "at"


@admin.register(AuditEntry)
class AuditEntryAdmin(PermanentRecordAdmin):
    """Read-only: who changed what through the services, with the values before and after."""

    list_display = ["at", "actor_name", "action", "subject_type", "subject_repr"]
    list_filter = ["action", "subject_type"]
    search_fields = ["actor_name", "subject_id", "subject_repr", "action"]
    date_hierarchy = "at"


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "created_at", "available_at", "done_at", "attempts"]
    list_filter = ["topic"]
    readonly_fields = ["topic", "payload", "created_at", "done_at", "attempts", "last_error"]
