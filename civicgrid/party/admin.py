from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civicgrid.core.admin import ReadOnlyAdmin

from . import services
from .models import CallEvent, OrgLevel, PartyMembership, PartyOrganization, PioneerScore, PioneerWeights


class PartyOrganizationForm(forms.ModelForm):
    class Meta:
        model = PartyOrganization
        fields = ["level", "name", "parent", "area", "compounds", *services.EDITABLE_ORG_FIELDS[1:]]

    def clean(self) -> dict:
        data = super().clean()
        services.check_organization_dates(data.get("set_up_on"), data.get("filed_with_street_on"))
        if self.instance.pk is None:
            level = data.get("level")
            if level == OrgLevel.BRANCH and not (data.get("compounds") and data.get("secretary")):
                raise ValidationError(_("A branch needs its compounds and a secretary."))
            if level == OrgLevel.BRANCH and not data.get("set_up_on"):
                raise ValidationError(_("Give the date of the decision setting the branch up."))
            if level == OrgLevel.BRANCH and data.get("area") is not None:
                services.check_compounds(data["area"], list(data["compounds"]))
                services.community_committee(data["area"])
            if level == OrgLevel.BUILDING_GROUP and not data.get("parent"):
                raise ValidationError(_("A building Party group belongs to a compound branch."))
        return data


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(admin.ModelAdmin):
    """Writes go through party.services (checked and audited): committees with
    `create_organization`, branches with `set_up_branch`, building groups with
    `set_up_building_group`; afterwards only the name, secretary and dates change here."""

    form = PartyOrganizationForm
    list_display = ["name", "level", "area", "is_joint", "set_up_on", "filed_with_street_on"]
    list_filter = ["level", "is_joint"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "area", "secretary"]
    filter_horizontal = ["compounds"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["is_joint", "jurisdiction"]
        return [*fixed, "level", "parent", "area", "compounds"] if obj is not None else fixed

    def save_model(self, request: HttpRequest, obj: PartyOrganization, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            edits = {f: data.get(f) for f in services.EDITABLE_ORG_FIELDS if f in form.changed_data}
            services.update_organization(obj, by=request.user, **edits)
            return
        level = data["level"]
        if level == OrgLevel.BRANCH:
            created = services.set_up_branch(
                data["area"],
                list(data["compounds"]),
                data["secretary"],
                data["set_up_on"],
                request.user,
                name=data["name"],
                filed_with_street_on=data.get("filed_with_street_on"),
            )
        elif level == OrgLevel.BUILDING_GROUP:
            created = services.set_up_building_group(
                data["parent"],
                data["area"],
                name=data["name"],
                by=request.user,
                set_up_on=data.get("set_up_on"),
            )
        else:
            created = services.create_organization(
                level=level,
                name=data["name"],
                area=data["area"],
                parent=data.get("parent"),
                set_up_on=data.get("set_up_on"),
                by=request.user,
            )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Compounds were set by the services; the form's many-to-many values are not written again.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: PartyOrganization) -> None:
        services.delete_organization(obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for org in queryset:
            services.delete_organization(org, by=request.user)


@admin.register(PartyMembership)
class PartyMembershipAdmin(admin.ModelAdmin):
    list_display = ["resident", "organization", "joined_on", "registered_where_living"]
    raw_id_fields = ["resident", "organization"]
    readonly_fields = ["jurisdiction"]

    def save_model(self, request: HttpRequest, obj: PartyMembership, form: Any, change: bool) -> None:
        obj.jurisdiction = obj.organization.jurisdiction
        super().save_model(request, obj, form, change)


# --- pioneer index and whistle-call history ---------------------------------------------------


@admin.register(PioneerWeights)
class PioneerWeightsAdmin(admin.ModelAdmin):
    """The pioneer index's weights and star thresholds are data the branch's district edits."""

    list_display = ["area", "valid_from", "jurisdiction"]
    raw_id_fields = ["area"]
    readonly_fields = ["jurisdiction"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.jurisdiction = obj.area.jurisdiction
        super().save_model(request, obj, form, change)


admin.site.register(PioneerScore, ReadOnlyAdmin)
admin.site.register(CallEvent, ReadOnlyAdmin)
