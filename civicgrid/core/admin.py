from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import outbox
from .models import AccessLog, AuditEntry, CalendarDay, OutboxEvent, PeriodicLease


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only an app's services write: shown here, never added, changed or deleted (the one
    read-only admin base every app uses)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PermanentRecordAdmin(ReadOnlyAdmin):
    """Evidence is shown, never added, changed or deleted here: not even a superuser may."""


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


class OutboxStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("pending", _("waiting")), ("dead", _("given up")), ("done", _("done"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "pending":
            return queryset.filter(done_at__isnull=True, dead_at__isnull=True)
        if self.value() == "dead":
            return queryset.filter(dead_at__isnull=False, done_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Background work, read-only; dead letters (given up after repeated failures) are retried
    with the action once their cause is fixed."""

    list_display = ["id", "topic", "created_at", "available_at", "done_at", "dead_at", "attempts"]
    list_filter = [OutboxStatusFilter, "topic"]
    readonly_fields = [
        "topic",
        "payload",
        "jurisdiction",
        "created_at",
        "available_at",
        "done_at",
        "dead_at",
        "attempts",
        "last_error",
    ]
    actions = ["retry_events"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected events that were given up"), permissions=["change"])
    def retry_events(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = outbox.retry(queryset.filter(dead_at__isnull=False), by=request.user)
        self.message_user(request, _("%(n)d events queued again.") % {"n": count}, messages.SUCCESS)


@admin.register(PeriodicLease)
class PeriodicLeaseAdmin(PermanentRecordAdmin):
    """Which worker last ran each periodic job, and until when it holds the job."""

    list_display = ["name", "holder", "started_at", "finished_at", "leased_until", "last_error"]
