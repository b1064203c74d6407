"""Triage in the admin: the model versions (read-only but for the activate action, which goes through
services and is audited), the thresholds (written through services.set_threshold), suggestions and
decisions (read-only records)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Decision, Suggestion, Threshold, TriageModel


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "active",
        "created_at",
        "training_size",
        "classes",
        "accuracy",
        "macro_f1",
        "top3_accuracy",
        "train_seconds",
        "note",
    )
    readonly_fields = [f.name for f in TriageModel._meta.fields if f.name != "blob"]
    exclude = ("blob",)
    actions = ["activate_version", "roll_back"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("blob")

    @admin.action(description=_("Put the selected version in use"))
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        row = services.activate(queryset.first(), by=request.user)
        self.message_user(request, _("Model version %(v)d is now in use.") % {"v": row.version})

    @admin.action(description=_("Roll back to the previous version"))
    def roll_back(self, request, queryset):
        try:
            row = services.rollback(by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return
        self.message_user(
            request, _("Rolled back: model version %(v)d is in use again.") % {"v": row.version}
        )


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("jurisdiction", "category", "enabled", "min_confidence", "updated_at", "updated_by")
    list_filter = ("enabled", "jurisdiction")
    fields = ("jurisdiction", "category", "enabled", "min_confidence")

    def get_readonly_fields(self, request, obj=None):
        return ("jurisdiction", "category") if obj else ()

    def save_model(self, request, obj, form, change):
        try:
            saved = services.set_threshold(
                by=request.user,
                jurisdiction=obj.jurisdiction,
                category=obj.category,
                enabled=obj.enabled,
                min_confidence=obj.min_confidence,
            )
        except (ValidationError, PermissionDenied) as exc:
            raise PermissionDenied(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        obj.pk = saved.pk


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnly):
    list_display = (
        "case",
        "rank",
        "category",
        "confidence",
        "department",
        "department_source",
        "model_version",
    )
    list_select_related = ("category", "department")
    raw_id_fields = ("case",)


@admin.register(Decision)
class DecisionAdmin(ReadOnly):
    list_display = (
        "case",
        "category",
        "department",
        "outcome",
        "suggested_rank",
        "model_version",
        "decided_at",
    )
    list_filter = ("outcome",)
    list_select_related = ("category", "department")
    raw_id_fields = ("case",)
