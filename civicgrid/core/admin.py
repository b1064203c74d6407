from django.contrib import admin

from .models import AccessLog, CalendarDay, OutboxEvent


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the access log is evidence, never edited."""

    list_display = ["at", "user", "subject_type", "subject_id", "fields", "reason", "ip"]
    list_filter = ["subject_type"]
    search_fields = ["user__username", "subject_id", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "created_at", "available_at", "done_at", "attempts"]
    list_filter = ["topic"]
    readonly_fields = ["topic", "payload", "created_at", "done_at", "attempts", "last_error"]
