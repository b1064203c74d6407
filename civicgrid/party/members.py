"""Membership of a Party organisation: enrol a member, the one write of memberships."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.people.models import Resident

from . import policy
from .models import PartyMembership, PartyOrganization


def enrol(member: Resident, organization: PartyOrganization, by, *, joined_on: date) -> PartyMembership:
    """Record that a Party member belongs to (has transferred their relationship to) `organization`."""
    if not policy.can_lead(by, organization):
        raise PermissionDenied(_("Only the organisation records its members."))
    if not member.is_party_member:
        raise ValidationError(_("Only Party members are enrolled."))
    try:
        with transaction.atomic():
            return PartyMembership.objects.create(
                resident=member,
                organization=organization,
                joined_on=joined_on,
                jurisdiction=organization.jurisdiction,
            )
    except IntegrityError as exc:
        raise ValidationError(_("Already a member of this organisation.")) from exc
