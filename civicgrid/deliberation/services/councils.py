"""The community's council (1+7+X) and its seats."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.areas.models import Level

from .. import policy, procedures
from ..models import Council, CouncilSeat
from ..workflow import SeatKind


def council_for(community, *, create: bool = True) -> Council | None:
    """The community's council; created with the default procedure when missing."""
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("Topics belong to a community or village."))
    council = Council.objects.filter(community=community).first()
    if council is None and create:
        try:
            with transaction.atomic():
                council = Council.objects.create(
                    community=community, procedure=procedures.default_for(community)
                )
        except IntegrityError:
            council = Council.objects.get(community=community)
    return council


@transaction.atomic
def set_procedure(community, by, procedure) -> Council:
    if not policy.runs(by, community.path):
        raise PermissionDenied(_("You may not change this community's council."))
    if not procedure.active:
        raise ValidationError(_("This procedure is not in use."))
    council = Council.objects.select_for_update().get(pk=council_for(community).pk)
    council.procedure = procedure
    council.save(update_fields=["procedure"])
    return council


@transaction.atomic
def add_seat(community, by, *, kind: str, holder: str, user=None, department=None, topic=None) -> CouncilSeat:
    """Seat a member: the secretary, one of the seven standing seats, or an X seat for one topic."""
    if not policy.runs(by, community.path):
        raise PermissionDenied(_("You may not change this community's council."))
    if kind not in SeatKind.values:
        raise ValidationError(_("Unknown seat."))
    holder = (holder or "").strip()[:60]
    if not holder:
        raise ValidationError(_("Say who holds the seat."))
    x_seat = kind in (SeatKind.STAKEHOLDER, SeatKind.DEPARTMENT)
    if x_seat and topic is None:
        raise ValidationError(_("A stakeholder or department seat belongs to one topic."))
    if not x_seat and topic is not None:
        raise ValidationError(_("Standing seats belong to the council, not to one topic."))
    council = council_for(community)
    if kind == SeatKind.SECRETARY and council.seats.filter(kind=kind, active=True).exists():
        raise ValidationError(_("The council already has its secretary."))
    return CouncilSeat.objects.create(
        council=council, kind=kind, holder=holder, user=user, department=department, topic=topic
    )


def members_for(topic) -> list[CouncilSeat]:
    """The council 1+7+X for a topic: the secretary, the standing seats, the topic's own X seats."""
    council = council_for(topic.community)
    seats = council.seats.filter(active=True).select_related("user", "department")
    return [s for s in seats if s.topic_id is None or s.topic_id == topic.pk]
