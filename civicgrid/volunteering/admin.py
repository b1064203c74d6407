"""Admin pages: read-only views of what only the services and the ledger write (the points ledger
is append-only: no add, change or delete here; corrections are reversals through the services)."""

from django.contrib import admin

from civicgrid.core.admin import ReadOnlyAdmin

from .models import (
    Activity,
    CoBuildingUnit,
    Need,
    PointsAccount,
    PointsEntry,
    PointsScheme,
    PointsTransaction,
    Project,
    Redemption,
    Resource,
    Reward,
    Shop,
    SignUp,
)


@admin.register(PointsScheme)
class PointsSchemeAdmin(ReadOnlyAdmin):
    list_display = ["name", "area", "active", "created_at"]


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "scheme", "kind", "resident", "household", "balance", "floor"]
    list_filter = ["kind"]
    raw_id_fields = ["resident", "household"]


class EntryInline(admin.TabularInline):
    model = PointsEntry
    fields = ["account", "amount", "expires_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PointsTransaction)
class PointsTransactionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "scheme", "kind", "at", "reason", "activity", "reverses"]
    list_filter = ["kind"]
    inlines = [EntryInline]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "organiser_name", "post_type", "starts_at", "capacity", "state"]
    list_filter = ["state", "post_type", "organiser_kind"]
    search_fields = ["title"]


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ["activity", "resident", "state", "checked_in_at", "checked_out_at", "confirmed_minutes"]
    raw_id_fields = ["activity", "resident"]


@admin.register(Shop)
class ShopAdmin(ReadOnlyAdmin):
    list_display = ["name", "area"]


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = ["name", "shop", "price", "stock", "active"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["reward", "resident", "points", "state", "requested_at", "confirmed_at"]
    list_filter = ["state"]
    raw_id_fields = ["resident"]


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(ReadOnlyAdmin):
    list_display = ["name", "area"]


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "resource_type", "area", "active"]


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "resource_type", "state"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "unit", "community", "state", "agreed_on", "finished_on"]
