"""Points schemes: create one, change its rules (data), reverse a movement, run expiry."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core import outbox

from .. import ledger, policy
from ..models import PointsScheme, PointsTransaction


def create_scheme(area: Area, name: str, rules: dict, by) -> PointsScheme:
    if not policy.can_manage(by, area):
        raise PermissionDenied(_("Only community staff set up a points scheme."))
    if area.level not in (Level.COMMUNITY, Level.STREET, Level.DISTRICT):
        raise ValidationError(_("A points scheme belongs to a community, street or district."))
    if not name.strip():
        raise ValidationError(_("A points scheme needs a name."))
    rules = ledger.scheme_rules.validate_rules(rules)
    with transaction.atomic():
        scheme = PointsScheme.objects.create(
            area=area, name=name.strip(), rules=rules, jurisdiction=area.jurisdiction
        )
        for kind in ledger.SYSTEM_FLOORS:
            ledger.system_account(scheme, kind)
    return scheme


def update_rules(scheme: PointsScheme, rules: dict, by) -> PointsScheme:
    """New rules apply to awards from now on; what was awarded stays as it was."""
    if not policy.can_manage(by, scheme.path):
        raise PermissionDenied(_("Only community staff change a points scheme."))
    rules = ledger.scheme_rules.validate_rules(rules)
    with transaction.atomic():
        scheme = PointsScheme.objects.select_for_update().get(pk=scheme.pk)
        scheme.rules = rules
        scheme.save(update_fields=["rules"])
    return scheme


def scheme_for(area: Area) -> PointsScheme | None:
    """The active scheme that covers an area: the nearest one above it (community before street)."""
    prefixes = [area.path[: i + 1] for i, ch in enumerate(area.path) if ch == "/"]
    return PointsScheme.objects.filter(active=True, path__in=prefixes).order_by("-path", "pk").first()


def reverse_movement(tx: PointsTransaction, reason: str, by) -> PointsTransaction:
    """Correct a mistake: a new transaction with the opposite entries and the reason."""
    if not policy.can_manage(by, tx.scheme.path):
        raise PermissionDenied(_("Only community staff correct the points ledger."))
    with transaction.atomic():
        reversal = ledger.reverse(tx, reason, by=by)
        if tx.resident_id:
            outbox.emit(
                "volunteering.points_reversed",
                {"transaction": reversal.pk},
                jurisdiction=tx.jurisdiction,
            )
    return reversal


def run_expiry(today: date | None = None) -> int:
    """Expire what is left of every expired lot in every scheme (a periodic job); returns how many
    accounts lost points."""
    today = today or timezone.localdate()
    n = 0
    for scheme in PointsScheme.objects.all():
        if ledger.scheme_rules.validate_rules(scheme.rules)["expiry_months"]:
            n += len(ledger.expire(scheme, today))
    return n
