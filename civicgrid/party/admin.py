from django.contrib import admin

from .models import PartyMembership, PartyOrganization


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "area", "is_joint", "set_up_on", "filed_with_street_on"]
    list_filter = ["level", "is_joint"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "area", "secretary"]
    filter_horizontal = ["compounds"]


@admin.register(PartyMembership)
class PartyMembershipAdmin(admin.ModelAdmin):
    list_display = ["resident", "organization", "joined_on", "registered_where_living"]
    raw_id_fields = ["resident", "organization"]
