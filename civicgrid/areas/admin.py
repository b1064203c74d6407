from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import Area, Compound, Household


class AreaForm(forms.ModelForm):
    """Checked by the area services' own rules before anything is written."""

    class Meta:
        model = Area
        fields = ["level", "parent", "code", "name", *services.EDITABLE_FIELDS]

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk is not None and not self.errors:
            services.check_move(self.instance, parent=data.get("parent"), code=data.get("code") or "")
        return data


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Writes go through areas.services (audited): a new parent or code moves the area, and the
    paths of everything below it follow (`move_area`)."""

    form = AreaForm
    list_display = ["code", "name", "level", "kind", "households_count", "jurisdiction"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "compound"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Kept by the services: the path from the codes, the district key, the household count.
        fixed = ["path", "jurisdiction", "households_count"]
        return [*fixed, "level"] if obj is not None else fixed

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.create_area(
                level=data["level"],
                code=data["code"],
                name=data["name"],
                parent=data.get("parent"),
                by=request.user,
                **{f: data.get(f) for f in services.EDITABLE_FIELDS if f != "name"},
            )
            obj.pk, obj.path, obj.jurisdiction = created.pk, created.path, created.jurisdiction
            obj._state.adding = False
            return
        changed = set(form.changed_data)
        if changed & {"parent", "code"}:
            services.move_area(obj, by=request.user, parent=data.get("parent"), code=data["code"])
        edits = {f: data.get(f) for f in services.EDITABLE_FIELDS if f in changed}
        if edits:
            services.update_area(obj, by=request.user, **edits)
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Area) -> None:
        services.delete_area(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for area in queryset.order_by("-path"):  # children before their parents
            services.delete_area(area, by=request.user)


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "has_property_management", "has_fence"]
    list_filter = ["has_property_management", "has_fence"]
    search_fields = ["name"]
    raw_id_fields = ["community"]
    readonly_fields = ["jurisdiction"]

    def save_model(self, request: HttpRequest, obj: Compound, form: Any, change: bool) -> None:
        if obj.community_id:
            obj.jurisdiction = obj.community.jurisdiction
        super().save_model(request, obj, form, change)


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """New households go through `create_household` (their grid and the grid's count follow)."""

    list_display = ["address", "number", "grid"]
    search_fields = ["address", "number"]
    raw_id_fields = ["unit", "grid"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["path", "grid", "jurisdiction"]
        return [*fixed, "unit"] if obj is not None else fixed

    def save_model(self, request: HttpRequest, obj: Household, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = services.create_household(
            unit=data["unit"], number=data["number"], address=data.get("address", "")
        )
        obj.pk, obj.grid, obj.path, obj.jurisdiction = (
            created.pk,
            created.grid,
            created.path,
            created.jurisdiction,
        )
        obj._state.adding = False
