"""Admin: procedures and their steps are data a district edits here (checked before saving);
councils and seats are set up here; topics and everything that happens to them are read-only (only
the services change them)."""

from django import forms
from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdmin

from . import procedures
from .models import (
    Council,
    CouncilSeat,
    JointMeeting,
    Procedure,
    ProcedureStep,
    Topic,
    TopicCase,
    TopicEvent,
    TopicRollup,
    TopicStep,
)
from .workflow import Action


class StepForm(forms.ModelForm):
    allows = forms.MultipleChoiceField(
        choices=Action.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ProcedureStep
        fields = [
            "procedure", "order", "code", "kind", "name", "name_en", "allows",
            "quorum_num", "quorum_den", "quorum_strict", "majority", "publication_days",
        ]  # fmt: skip


class StepInline(admin.StackedInline):
    model = ProcedureStep
    form = StepForm
    extra = 0
    fields = [
        ("order", "code", "kind"),
        ("name", "name_en"),
        "allows",
        ("quorum_num", "quorum_den", "quorum_strict", "majority"),
        "publication_days",
    ]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "jurisdiction",
        "for_villages",
        "support_threshold",
        "builtin",
        "active",
    ]
    inlines = [StepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        problems = procedures.validate_procedure(form.instance)
        if problems:
            form.instance.active = False
            form.instance.save(update_fields=["active"])
            for p in problems:
                self.message_user(request, p, level="warning")


class SeatInline(admin.TabularInline):
    model = CouncilSeat
    extra = 0
    autocomplete_fields = ["user"]
    raw_id_fields = ["topic", "department"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["community", "procedure", "jurisdiction"]
    raw_id_fields = ["community"]
    inlines = [SeatInline]


class TopicStepInline(admin.TabularInline):
    model = TopicStep
    extra = 0
    can_delete = False
    readonly_fields = ["step", "started_at", "started_by", "ended_at", "ended_by", "outcome"]

    def has_add_permission(self, request, obj=None):
        return False


class TopicCaseInline(admin.TabularInline):
    model = TopicCase
    extra = 0
    can_delete = False
    readonly_fields = ["case", "raised", "linked_at", "closed_at", "close_note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = [
        "ref",
        "title",
        "community",
        "procedure",
        "step_code",
        "status",
        "supports_count",
        "progress",
        "raised_at",
    ]
    list_filter = ["status", "procedure", "source"]
    search_fields = ["title", "description"]
    inlines = [TopicStepInline, TopicCaseInline]


@admin.register(TopicEvent)
class TopicEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "topic", "action", "actor", "public"]
    list_filter = ["action"]


@admin.register(JointMeeting)
class JointMeetingAdmin(ReadOnlyAdmin):
    list_display = ["compound", "scheduled_for", "held_on"]


@admin.register(TopicRollup)
class TopicRollupAdmin(ReadOnlyAdmin):
    list_display = ["area", "month", "raised", "taken_up", "resolved", "carried_out", "days_to_carried_out"]
