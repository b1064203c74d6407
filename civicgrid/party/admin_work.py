"""Read-only admin pages for posts, calls, 双报到 and the star snapshots (their writes are the
service modules posts.py, calls.py, dual.py and pioneer.py). Registered from PartyConfig.ready,
so party/admin.py stays as it is."""

from django.contrib import admin

from .models import BranchPost, CallReport, HomeRegistration, PioneerSnapshot, PostHolding, WhistleCall


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BranchPostAdmin(ReadOnly):
    list_display = ["label", "branch", "post_type", "retired_on"]
    list_filter = ["post_type"]


class PostHoldingAdmin(ReadOnly):
    list_display = ["post", "member", "started_on", "ends_on", "ended_on", "via_home_registration"]
    raw_id_fields = ["member"]


class WhistleCallAdmin(ReadOnly):
    list_display = ["task", "issuer", "members_needed", "deadline", "state", "filled_at", "closed_at"]
    list_filter = ["state"]


class CallReportAdmin(ReadOnly):
    list_display = ["call", "member", "reported_at", "checked_in_at", "checked_out_at"]
    raw_id_fields = ["member"]


class HomeRegistrationAdmin(ReadOnly):
    list_display = ["member", "own_organization", "community", "registered_on", "ended_on"]
    raw_id_fields = ["member"]


class PioneerSnapshotAdmin(ReadOnly):
    list_display = ["branch", "quarter", "published_at"]


def register() -> None:
    for model, model_admin in (
        (BranchPost, BranchPostAdmin),
        (PostHolding, PostHoldingAdmin),
        (WhistleCall, WhistleCallAdmin),
        (CallReport, CallReportAdmin),
        (HomeRegistration, HomeRegistrationAdmin),
        (PioneerSnapshot, PioneerSnapshotAdmin),
    ):
        if not admin.site.is_registered(model):
            admin.site.register(model, model_admin)
