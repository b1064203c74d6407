"""The points ledger (道德银行): double-entry, append-only, exact to the last point.

- Every movement is a `PointsTransaction` whose `PointsEntry` amounts sum to zero: an award moves
  points from the scheme's issuance account to a resident's (or a pooled household's) account; a
  redemption moves them to the redemption sink; expiry to the expiry sink.
- The whole system sums to zero (the issuance account is the negative of everything issued).
- Balances are sums of entries. Each account carries a cached `balance`, written in the same
  transaction under a row lock; `check()` compares every cache with its entries.
- Nothing is edited or deleted: a mistake is reversed by a new transaction (with a reason) that
  carries the opposite entries; a transaction is reversed at most once.
- An award is made once per (activity, person): a unique constraint, so a double check-out or two
  organisers confirming at once still make one award.
- A holder's balance never goes below its floor (0): a debit that would is refused.
- Caps: points awarded per account and period (the scheme's rule) are clipped at the cap.
- Expiry (optional): each credit is a lot with an expiry date; debits use the lots that expire
  first (oldest first), recorded as `PointsDraw` rows; `expire()` moves what is left of expired
  lots to the expiry sink by a ledger transaction.

Only this module writes the ledger's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.people.models import Resident

from . import rules as scheme_rules
from .models import (
    HOLDER_KINDS,
    AccountKind,
    Activity,
    PointsAccount,
    PointsDraw,
    PointsEntry,
    PointsScheme,
    PointsTransaction,
    TxKind,
)

PERIOD_LABELS = {
    "month": lambda: pgettext("volunteering", "month"),
    "quarter": lambda: _("quarter"),
    "year": lambda: _("year"),
}
SYSTEM_FLOORS = {AccountKind.ISSUANCE: None, AccountKind.REDEMPTION: 0, AccountKind.EXPIRY: 0}


class LedgerError(ValidationError):
    """A movement the ledger refuses (not enough points, already reversed, …); nothing is written."""


# ------------------------------------------------------------------------------------ accounts


def system_account(scheme: PointsScheme, kind: str) -> PointsAccount:
    account, _created = PointsAccount.objects.get_or_create(
        scheme=scheme,
        kind=kind,
        resident=None,
        household=None,
        defaults={"floor": SYSTEM_FLOORS[kind], "jurisdiction": scheme.jurisdiction},
    )
    return account


def holder_account(scheme: PointsScheme, resident: Resident) -> PointsAccount:
    """The account a resident earns into: their own, or their household's when the scheme pools."""
    pooled = scheme_rules.validate_rules(scheme.rules)["pool_households"] and resident.household_id
    lookup = (
        {"kind": AccountKind.HOUSEHOLD, "household_id": resident.household_id}
        if pooled
        else {"kind": AccountKind.PERSON, "resident": resident}
    )
    try:
        with transaction.atomic():
            account, _created = PointsAccount.objects.get_or_create(
                scheme=scheme, **lookup, defaults={"floor": 0, "jurisdiction": scheme.jurisdiction}
            )
    except IntegrityError:  # created by a concurrent first award
        account = PointsAccount.objects.get(scheme=scheme, **lookup)
    return account


def find_holder_account(scheme: PointsScheme, resident: Resident) -> PointsAccount | None:
    pooled = scheme_rules.validate_rules(scheme.rules)["pool_households"] and resident.household_id
    if pooled:
        return PointsAccount.objects.filter(
            scheme=scheme, kind=AccountKind.HOUSEHOLD, household_id=resident.household_id
        ).first()
    return PointsAccount.objects.filter(scheme=scheme, kind=AccountKind.PERSON, resident=resident).first()


def balance(account: PointsAccount) -> int:
    """The balance derived from the entries (the truth; `account.balance` is its cache)."""
    return account.entries.aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def lots(account: PointsAccount, *, on: date | None = None):
    """Credits of a holder's account with points left, first to be used first (soonest expiry,
    then oldest). Each carries `left`."""
    qs = (
        PointsEntry.objects.filter(account=account, amount__gt=0)
        .annotate(used=Coalesce(Sum("draws__amount"), Value(0), output_field=IntegerField()))
        .annotate(left=F("amount") - F("used"))
        .filter(left__gt=0)
    )
    if on is not None:
        qs = qs.filter(expires_on__lte=on)
    return qs.order_by(F("expires_on").asc(nulls_last=True), "at", "id")


# --------------------------------------------------------------------------------- posting


@dataclass
class Leg:
    account: PointsAccount
    amount: int
    expires_on: date | None = None
    # For a debit on a holder's account: the lots to use, [(lot entry, amount)]; default oldest first.
    draw_from: list[tuple[PointsEntry, int]] | None = None
    prefer_lot: PointsEntry | None = None


def _lock(accounts: list[PointsAccount]) -> dict[int, PointsAccount]:
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in PointsAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _allocate(
    account: PointsAccount, points: int, prefer: PointsEntry | None
) -> list[tuple[PointsEntry, int]]:
    available = list(lots(account))
    if prefer is not None:
        available.sort(key=lambda lot: lot.pk != prefer.pk)
    plan, need = [], points
    for lot in available:
        if need == 0:
            break
        take = min(lot.left, need)
        plan.append((lot, take))
        need -= take
    if need:
        raise LedgerError(_("Not enough points."))
    return plan


def _post(
    scheme: PointsScheme,
    kind: str,
    legs: list[Leg],
    *,
    by=None,
    reason: str = "",
    at: datetime | None = None,
    activity: Activity | None = None,
    resident: Resident | None = None,
    reverses: PointsTransaction | None = None,
) -> PointsTransaction:
    """Write one balanced transaction; the caller holds `transaction.atomic()`."""
    legs = [leg for leg in legs if leg.amount != 0]
    if any(not isinstance(leg.amount, int) or isinstance(leg.amount, bool) for leg in legs):
        raise LedgerError(_("Points are whole numbers."))
    if sum(leg.amount for leg in legs) != 0:
        raise LedgerError(_("A movement of points must balance."))
    at = at or timezone.now()
    locked = _lock([leg.account for leg in legs])
    for leg in legs:
        leg.account = locked[leg.account.pk]
    deltas: dict[int, int] = {}
    for leg in legs:
        deltas[leg.account.pk] = deltas.get(leg.account.pk, 0) + leg.amount
    for pk, delta in deltas.items():
        account = locked[pk]
        if account.floor is not None and account.balance + delta < account.floor:
            raise LedgerError(_("Not enough points."))
    tx = PointsTransaction.objects.create(
        scheme=scheme,
        kind=kind,
        at=at,
        by=by,
        reason=reason[:200],
        reverses=reverses,
        activity=activity,
        resident=resident,
        jurisdiction=scheme.jurisdiction,
    )
    for leg in legs:
        holder = leg.account.kind in HOLDER_KINDS
        entry = PointsEntry.objects.create(
            transaction=tx,
            account=leg.account,
            amount=leg.amount,
            at=at,
            expires_on=leg.expires_on if holder and leg.amount > 0 else None,
            jurisdiction=scheme.jurisdiction,
        )
        if holder and leg.amount < 0:
            plan = leg.draw_from or _allocate(leg.account, -leg.amount, leg.prefer_lot)
            if sum(n for _lot, n in plan) != -leg.amount:
                raise LedgerError(_("A movement of points must balance."))
            PointsDraw.objects.bulk_create([PointsDraw(lot=lot, entry=entry, amount=n) for lot, n in plan])
    for pk, delta in deltas.items():
        PointsAccount.objects.filter(pk=pk).update(balance=F("balance") + delta)
        locked[pk].balance += delta
    return tx


# ---------------------------------------------------------------------------------- movements


def awarded_in_period(account: PointsAccount, period: str, day: date) -> int:
    """Net points awarded to an account for activities held in the period containing `day`."""
    start, end = scheme_rules.period_bounds(period, day)
    return PointsEntry.objects.filter(
        account=account,
        transaction__kind=TxKind.AWARD,
        transaction__reversed_by__isnull=True,
        transaction__activity__starts_at__date__gte=start,
        transaction__activity__starts_at__date__lt=end,
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def award(
    activity: Activity, resident: Resident, minutes: int, *, by=None, at: datetime | None = None
) -> PointsTransaction:
    """Award the points for `minutes` of confirmed service; once per (activity, person).

    A second call returns the first award unchanged. The cap of the scheme clips the amount (an
    award clipped to nothing is still recorded, with no entries, so it stays once)."""
    existing = PointsTransaction.objects.filter(
        kind=TxKind.AWARD, activity=activity, resident=resident
    ).first()
    if existing:
        return existing
    scheme = activity.scheme
    rules = scheme_rules.validate_rules(scheme.rules)
    points = scheme_rules.points_for(rules, minutes, activity.post_type)
    at = at or timezone.now()
    try:
        with transaction.atomic():
            account = holder_account(scheme, resident)
            issuance = system_account(scheme, AccountKind.ISSUANCE)
            _lock([account])
            reason = _("%(minutes)d minutes confirmed") % {"minutes": minutes}
            if rules["cap"]:
                day = timezone.localtime(activity.starts_at).date()
                room = max(
                    rules["cap"]["points"] - awarded_in_period(account, rules["cap"]["period"], day), 0
                )
                if points > room:
                    reason = _("%(minutes)d minutes confirmed; capped at %(cap)d points per %(period)s") % {
                        "minutes": minutes,
                        "cap": rules["cap"]["points"],
                        "period": PERIOD_LABELS[rules["cap"]["period"]](),
                    }
                    points = room
            expires = scheme_rules.expiry_date(rules, timezone.localtime(at).date())
            return _post(
                scheme,
                TxKind.AWARD,
                [Leg(issuance, -points), Leg(account, points, expires_on=expires)],
                by=by,
                reason=reason,
                at=at,
                activity=activity,
                resident=resident,
            )
    except IntegrityError:
        # The unique constraint (activity, resident): a concurrent award won; it is the award.
        return PointsTransaction.objects.get(kind=TxKind.AWARD, activity=activity, resident=resident)


def spend(
    account: PointsAccount, points: int, *, by=None, reason: str = "", at: datetime | None = None
) -> PointsTransaction:
    """Move points from a holder's account to the redemption sink (oldest lots first)."""
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LedgerError(_("Points are whole numbers above zero."))
    if account.kind not in HOLDER_KINDS:
        raise LedgerError(_("Only a resident's or household's points can be spent."))
    with transaction.atomic():
        sink = system_account(account.scheme, AccountKind.REDEMPTION)
        return _post(
            account.scheme,
            TxKind.REDEMPTION,
            [Leg(account, -points), Leg(sink, points)],
            by=by,
            reason=reason,
            at=at,
            resident=account.resident,
        )


def reverse(
    original: PointsTransaction,
    reason: str,
    *,
    by=None,
    kind: str = TxKind.REVERSAL,
    at: datetime | None = None,
) -> PointsTransaction:
    """Undo a movement by a new one with the opposite entries (and a reason); at most once.

    Points given back to a holder return to the lots they came from (with their expiry dates);
    points taken back from a holder come from the reversed award's own lot first."""
    if not reason.strip():
        raise LedgerError(_("Say why the movement is reversed."))
    if original.kind not in (TxKind.AWARD, TxKind.REDEMPTION):
        raise LedgerError(_("Only awards and redemptions can be reversed."))
    with transaction.atomic():
        original = PointsTransaction.objects.select_for_update().get(pk=original.pk)
        if PointsTransaction.objects.filter(reverses=original).exists():
            raise LedgerError(_("This movement has already been reversed."))
        legs: list[Leg] = []
        for entry in original.entries.select_related("account").order_by("id"):
            holder = entry.account.kind in HOLDER_KINDS
            if holder and entry.amount < 0:  # give back, to the lots it used
                for draw in entry.drawn.select_related("lot").order_by("id"):
                    legs.append(Leg(entry.account, draw.amount, expires_on=draw.lot.expires_on))
            elif holder and entry.amount > 0:  # take back, from its own lot first
                legs.append(Leg(entry.account, -entry.amount, prefer_lot=entry))
            else:
                legs.append(Leg(entry.account, -entry.amount))
        try:
            with transaction.atomic():
                return _post(
                    original.scheme,
                    kind,
                    legs,
                    by=by,
                    reason=reason,
                    at=at,
                    resident=original.resident,
                    reverses=original,
                )
        except IntegrityError as exc:
            raise LedgerError(_("This movement has already been reversed.")) from exc


def expire(scheme: PointsScheme, today: date, *, at: datetime | None = None) -> list[PointsTransaction]:
    """Move what is left of every lot expired by `today` to the expiry sink, one transaction per
    account; returns them."""
    done = []
    account_ids = (
        PointsEntry.objects.filter(
            account__scheme=scheme, account__kind__in=HOLDER_KINDS, amount__gt=0, expires_on__lte=today
        )
        .values_list("account_id", flat=True)
        .distinct()
    )
    for account_id in sorted(set(account_ids)):
        with transaction.atomic():
            account = _lock([PointsAccount(pk=account_id)])[account_id]
            plan = [(lot, lot.left) for lot in lots(account, on=today)]
            total = sum(n for _lot, n in plan)
            if not total:
                continue
            sink = system_account(scheme, AccountKind.EXPIRY)
            done.append(
                _post(
                    scheme,
                    TxKind.EXPIRY,
                    [Leg(account, -total, draw_from=plan), Leg(sink, total)],
                    reason=_("points earned before %(day)s expired") % {"day": today.isoformat()},
                    at=at,
                    resident=account.resident,
                )
            )
    return done


# ------------------------------------------------------------------------------------- checks


@dataclass
class Problem:
    what: str
    detail: str


def check(scheme: PointsScheme | None = None) -> list[Problem]:
    """Everything the ledger promises, verified from the entries: each transaction and the whole
    system sum to zero, every cached balance equals its entries, no holder below its floor, no lot
    drawn beyond its amount. Returns the problems found (none: the ledger is sound)."""
    problems: list[Problem] = []
    entries = PointsEntry.objects.all()
    accounts = PointsAccount.objects.all()
    if scheme is not None:
        entries = entries.filter(account__scheme=scheme)
        accounts = accounts.filter(scheme=scheme)
    total = entries.aggregate(t=Coalesce(Sum("amount"), 0))["t"]
    if total != 0:
        problems.append(Problem("system", f"entries sum to {total}"))
    unbalanced = (
        entries.values("transaction_id")
        .annotate(t=Sum("amount"))
        .exclude(t=0)
        .values_list("transaction_id", "t")
    )
    problems += [Problem("transaction", f"#{tx} sums to {t}") for tx, t in unbalanced]
    derived = dict(entries.values("account_id").annotate(t=Sum("amount")).values_list("account_id", "t"))
    for account in accounts:
        truth = derived.get(account.pk, 0)
        if account.balance != truth:
            problems.append(
                Problem("balance", f"account #{account.pk}: cached {account.balance}, entries {truth}")
            )
        if account.floor is not None and truth < account.floor:
            problems.append(Problem("floor", f"account #{account.pk}: {truth} below {account.floor}"))
    over = (
        entries.filter(amount__gt=0)
        .annotate(used=Sum("draws__amount"))
        .filter(used__gt=F("amount"))
        .values_list("pk", flat=True)
    )
    problems += [Problem("lot", f"entry #{pk} drawn beyond its amount") for pk in over]
    debit_gaps = (
        entries.filter(amount__lt=0, account__kind__in=HOLDER_KINDS)
        .annotate(drawn_total=Coalesce(Sum("drawn__amount"), 0))
        .exclude(drawn_total=-F("amount"))
        .values_list("pk", flat=True)
    )
    problems += [Problem("draws", f"debit #{pk} is not fully drawn from lots") for pk in debit_gaps]
    return problems


def history(account: PointsAccount):
    """The entries of an account, newest first, with their transactions."""
    return account.entries.select_related("transaction", "transaction__activity").order_by("-at", "-id")


def holder_filter(resident: Resident) -> Q:
    """The accounts whose points a resident may see and spend: their own and their household's."""
    q = Q(kind=AccountKind.PERSON, resident=resident)
    if resident.household_id:
        q |= Q(kind=AccountKind.HOUSEHOLD, household_id=resident.household_id)
    return q
