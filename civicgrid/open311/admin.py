from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import ApiClient


def _show_key_once(request, client: ApiClient, raw_key: str) -> None:
    messages.warning(
        request,
        _("API key for “%(name)s”: %(key)s — copy it now: it is stored hashed and will not be shown again.")
        % {"name": client.name, "key": raw_key},
    )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "key_prefix",
        "jurisdiction_ids",
        "rate_limit_per_minute",
        "key_issued_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact", "key_prefix"]
    readonly_fields = ["key_prefix", "key_issued_at", "revoked_at", "created_at", "created_by"]
    fields = [
        "name",
        "contact",
        "jurisdiction_ids",
        "rate_limit_per_minute",
        "key_prefix",
        "key_issued_at",
        "revoked_at",
        "created_at",
        "created_by",
    ]
    actions = ["revoke_keys", "rotate_key"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        _show_key_once(request, obj, services.issue_key(obj, by=request.user))

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            services.revoke(client, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Issue a new key (the old one stops working)"))
    def rotate_key(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one client to issue a new key."), messages.ERROR)
            return
        client = queryset.get()
        _show_key_once(request, client, services.issue_key(client, by=request.user))
