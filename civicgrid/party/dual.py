"""双报到: Party members whose organisation is elsewhere (where they work) also register with the
community where they live, and take posts or calls there. Their own organisation sees that they
registered (where, since when); what they did there is the home community's to see."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.people.models import Resident

from . import policy
from .models import HomeRegistration, PartyMembership, PartyOrganization


def register_at_home(
    member: Resident, own_organization: PartyOrganization, community: Area, by, *, on: date
) -> HomeRegistration:
    """The member registers (or the home community records it for them)."""
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("Members register with a community."))
    own = policy.member_of(by) == member
    home_staff = policy.leads_area(by, community.path)
    if not (own or home_staff):
        raise PermissionDenied(_("Members register themselves, or the community records it."))
    if not PartyMembership.objects.filter(resident=member, organization=own_organization).exists():
        raise ValidationError(_("The member does not belong to that organisation."))
    if own_organization.area.path.startswith(community.path):
        raise ValidationError(_("That organisation is already in this community."))
    try:
        with transaction.atomic():
            registration = HomeRegistration.objects.create(
                member=member,
                own_organization=own_organization,
                community=community,
                registered_on=on,
                registered_by=by,
                jurisdiction=community.jurisdiction,
            )
            PartyMembership.objects.filter(resident=member, organization=own_organization).update(
                registered_where_living=True
            )
    except IntegrityError as exc:
        raise ValidationError(_("Already registered with this community.")) from exc
    return registration


def end_registration(registration: HomeRegistration, by, *, on: date) -> HomeRegistration:
    own = policy.member_of(by) == registration.member
    home_staff = policy.leads_area(by, registration.path)
    if not (own or home_staff):
        raise PermissionDenied(_("Members end their own registration, or the community records it."))
    with transaction.atomic():
        registration = HomeRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.ended_on:
            raise ValidationError(_("This registration has already ended."))
        registration.ended_on = on
        registration.save(update_fields=["ended_on"])
    return registration


def reported_elsewhere(org: PartyOrganization, by):
    """What the member's own organisation sees: who registered where living, where, since when —
    no posts, calls or activities."""
    if not policy.can_read(by, org):
        raise PermissionDenied(_("Only the organisation sees its members' registrations."))
    return [
        {
            "member": r.member.masked_name,
            "community": r.community.name,
            "registered_on": r.registered_on,
            "ended_on": r.ended_on,
        }
        for r in HomeRegistration.objects.filter(own_organization=org).select_related("member", "community")
    ]


def registered_here(community: Area):
    return (
        HomeRegistration.objects.filter(community=community, ended_on__isnull=True)
        .select_related("member", "own_organization")
        .order_by("-registered_on")
    )
