from django.contrib import admin

from .models import Area, Compound, Household


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "households_count", "jurisdiction"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "compound"]
    readonly_fields = ["path"]


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "has_property_management", "has_fence"]
    list_filter = ["has_property_management", "has_fence"]
    search_fields = ["name"]
    raw_id_fields = ["community"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["address", "number", "grid"]
    search_fields = ["address", "number"]
    raw_id_fields = ["unit", "grid"]
    readonly_fields = ["path"]
