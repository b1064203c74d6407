"""Admin: categories (the tree, time limits), dispatch rules, webhooks and extension requests are
edited here; cases are read-mostly, and the admin actions on them call the same services as the
web pages and the API."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import services
from .models import (
    Case,
    CaseEvent,
    Category,
    ClusterProposal,
    ClusterRule,
    DispatchRule,
    ExtensionRequest,
    ExtensionStatus,
    InboxMessage,
    SupervisionOrder,
    WebhookEndpoint,
)
from .services import CaseConflict, IllegalTransition


class TopLevelFilter(admin.SimpleListFilter):
    title = gettext_lazy("top category")
    parameter_name = "top"

    def lookups(self, request, model_admin):
        return [(c.pk, c.name) for c in Category.objects.filter(parent__isnull=True)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(parent_id=self.value()) | queryset.filter(pk=self.value())
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "tree_name",
        "code",
        "default_level",
        "default_department",
        "respond_hours",
        "resolve_hours",
        "public",
        "auto_dispatch",
        "active",
    ]
    list_editable = ["respond_hours", "resolve_hours", "public", "auto_dispatch", "active"]
    list_filter = [TopLevelFilter, "public", "active", "default_level"]
    search_fields = ["code", "name", "name_en", "keywords"]
    ordering = ["code"]
    list_per_page = 200
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "parent", "sort", "active"]}),
        (
            gettext_lazy("Handling"),
            {
                "fields": [
                    "default_level",
                    "default_department",
                    "respond_hours",
                    "resolve_hours",
                    "auto_dispatch",
                ]
            },
        ),
        (
            gettext_lazy("Triage and publication"),
            {"fields": ["keywords", "public", "questions", "duplicate_metres", "duplicate_days"]},
        ),
    ]

    @admin.display(description=gettext_lazy("category"), ordering="code")
    def tree_name(self, obj):
        return f"— {obj.name}" if obj.parent_id else obj.name


@admin.register(ClusterRule)
class ClusterRuleAdmin(admin.ModelAdmin):
    """When alike reports make a concentrated problem (集中突出): thresholds as data."""

    list_display = ["__str__", "area", "min_cases", "days", "similarity", "active"]
    raw_id_fields = ["area"]


@admin.register(ClusterProposal)
class ClusterProposalAdmin(admin.ModelAdmin):
    """Read-only: proposals are decided on the staff page, through the services."""

    list_display = ["theme", "community", "category", "state", "proposed_at", "decided_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in ClusterProposal._meta.fields] + ["cases"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "department", "priority"]
    list_filter = ["department"]
    search_fields = ["category__name", "area__name", "department__name"]
    raw_id_fields = ["area"]
    filter_horizontal = ["assisting"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = readonly_fields = ("at", "action", "from_state", "to_state", "actor", "note", "public")
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, fn, done_message):
    done = 0
    for case in queryset:
        try:
            fn(case)
        except (PermissionDenied, ValidationError, IllegalTransition, CaseConflict) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(request, f"{case.ref}: {text}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-mostly: changes go through the actions, which call cases/services/."""

    list_display = ["ref", "title", "state", "level", "category", "department", "reported_at", "resolve_due"]
    list_filter = ["state", "kind", "channel", "level", "top_category", "is_errand"]
    search_fields = ["=id", "title", "address"]
    date_hierarchy = "reported_at"
    list_select_related = ["category", "category__parent", "department"]
    inlines = [CaseEventInline]
    actions = ["register_cases", "escalate_cases", "supervise_cases"]
    exclude = ["contact_name", "contact_phone", "contact_email", "follow_token_hash", "client_key"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields if f.name not in self.exclude] + ["assisting"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Register the selected cases"))
    def register_cases(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.register(c, request.user),
            lambda n: ngettext("%d case registered.", "%d cases registered.", n) % n,
        )

    @admin.action(description=gettext_lazy("Escalate the selected cases one level"))
    def escalate_cases(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.escalate(c, request.user, note=_("escalated in the admin")),
            lambda n: ngettext("%d case escalated.", "%d cases escalated.", n) % n,
        )

    @admin.action(description=gettext_lazy("Issue a supervision order (督办) for the selected cases"))
    def supervise_cases(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.supervise(c, request.user, note=_("supervision order issued in the admin")),
            lambda n: ngettext("%d supervision order issued.", "%d supervision orders issued.", n) % n,
        )


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "hours", "reason", "requested_by", "requested_at", "status", "decided_by"]
    list_filter = ["status"]
    readonly_fields = [
        "case",
        "hours",
        "reason",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    actions = ["grant", "refuse"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, grant: bool):
        done = 0
        for req in queryset.filter(status=ExtensionStatus.PENDING):
            try:
                services.decide_extension(req, request.user, grant=grant)
            except (PermissionDenied, ValidationError, IllegalTransition, CaseConflict) as exc:
                self.message_user(request, f"{req.case.ref}: {exc}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, ngettext("%d request decided.", "%d requests decided.", done) % done)

    @admin.action(description=gettext_lazy("Grant the selected extension requests"))
    def grant(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=gettext_lazy("Refuse the selected extension requests"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    list_display = ["case", "reason", "issued_by", "at", "due", "note"]
    list_filter = ["reason"]
    readonly_fields = ["case", "reason", "issued_by", "at", "due", "note"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "last_status", "last_sent_at"]
    list_filter = ["active"]
    readonly_fields = ["last_status", "last_sent_at"]


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["user", "case", "text", "created_at", "read_at"]
    readonly_fields = ["user", "case", "text", "created_at", "read_at"]
    search_fields = ["user__username", "text"]

    def has_add_permission(self, request):
        return False
