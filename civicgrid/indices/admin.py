"""Admin for the indices' data. Peer groups and colour rules are data a district edits here (saved
through services: the formula and the thresholds are checked); versions, issues and admission
requests are written only by the services and are read-only here.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from civicgrid.core.admin import ReadOnlyAdmin

from . import services
from .models import (
    AdmissionRequest,
    AreaPeerGroup,
    ColourRule,
    IndexDefinition,
    IndexIssue,
    IndexVersion,
    PeerGroup,
)


@admin.register(PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "level", "order"]


@admin.register(AreaPeerGroup)
class AreaPeerGroupAdmin(admin.ModelAdmin):
    list_display = ["area", "group", "jurisdiction"]
    raw_id_fields = ["area"]
    readonly_fields = ["jurisdiction"]

    def save_model(self, request, obj, form, change):
        services.set_peer_group(obj.area, obj.group, by=request.user)


class ColourRuleForm(forms.ModelForm):
    class Meta:
        model = ColourRule
        fields = [
            "owner",
            "level",
            "name",
            "name_en",
            "formula",
            "direction",
            "red",
            "orange",
            "yellow",
            "blue",
            "months",
        ]

    def clean(self):
        data = super().clean()
        rule = ColourRule(**{k: v for k, v in data.items() if k in {f.name for f in ColourRule._meta.fields}})
        if data.get("owner"):
            try:
                services.check_colour_rule(rule)
            except ValidationError as e:
                raise ValidationError(e.message_dict if hasattr(e, "error_dict") else e.messages) from None
        return data


@admin.register(ColourRule)
class ColourRuleAdmin(admin.ModelAdmin):
    form = ColourRuleForm
    list_display = ["name", "owner", "level", "formula", "direction", "red", "orange", "yellow", "blue"]
    raw_id_fields = ["owner"]

    def save_model(self, request, obj, form, change):
        services.save_colour_rule(obj, by=request.user)


@admin.register(IndexDefinition)
class IndexDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "owner", "level", "months"]
    readonly_fields = ["jurisdiction"]
    raw_id_fields = ["owner"]


@admin.register(IndexVersion)
class IndexVersionAdmin(ReadOnlyAdmin):
    list_display = ["index", "number", "created_at", "created_by", "note"]


@admin.register(IndexIssue)
class IndexIssueAdmin(ReadOnlyAdmin):
    list_display = ["index", "number", "period_start", "period_end", "published_at"]


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ReadOnlyAdmin):
    list_display = ["title", "department", "district", "state", "filed_at", "decided_at"]
    list_filter = ["state"]
