"""Rewards: community shops, their catalogue, redemption confirmed at the shop by a code,
cancellation (which reverses the points and puts the item back)."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.core import outbox
from civicgrid.people.models import Resident

from .. import ledger, policy
from ..models import PointsScheme, Redemption, RedemptionState, Reward, RewardKind, Shop, TxKind

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class RewardConflict(ValidationError):
    """Out of stock, already handed over, already cancelled: nothing changed."""


def create_shop(area: Area, name: str, by, *, keepers=(), address: str = "") -> Shop:
    if not policy.can_manage(by, area):
        raise PermissionDenied(_("Only community staff list shops that take points."))
    if not name.strip():
        raise ValidationError(_("A shop needs a name."))
    with transaction.atomic():
        shop = Shop.objects.create(
            area=area, name=name.strip(), address=address, jurisdiction=area.jurisdiction
        )
        shop.keepers.set(keepers)
    return shop


def add_reward(
    shop: Shop, scheme: PointsScheme, name: str, price: int, stock: int, by, *, kind: str = RewardKind.GOODS
) -> Reward:
    if not policy.can_keep_shop(by, shop):
        raise PermissionDenied(_("Only the shop or community staff change its catalogue."))
    errors = []
    if not name.strip():
        errors.append(_("A reward needs a name."))
    if isinstance(price, bool) or not isinstance(price, int) or price < 1:
        errors.append(_("A points price is a whole number above zero."))
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        errors.append(_("Stock is a whole number, zero or more."))
    if kind not in RewardKind.values:
        errors.append(_("Choose goods or a service."))
    if not shop.path.startswith(scheme.path):
        errors.append(_("The points scheme does not cover this shop."))
    if errors:
        raise ValidationError(errors)
    return Reward.objects.create(
        shop=shop,
        scheme=scheme,
        name=name.strip(),
        price=price,
        stock=stock,
        kind=kind,
        jurisdiction=shop.jurisdiction,
    )


def restock(reward: Reward, added: int, by) -> Reward:
    if not policy.can_keep_shop(by, reward.shop):
        raise PermissionDenied(_("Only the shop or community staff change its catalogue."))
    if isinstance(added, bool) or not isinstance(added, int) or added < 1:
        raise ValidationError(_("Add a whole number of items, one or more."))
    with transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + added)
    reward.refresh_from_db()
    return reward


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(6))


def redeem(reward: Reward, resident: Resident, by) -> Redemption:
    """Spend points on a reward: the points leave at once, one item is held for the resident, and a
    code is shown that the shop types to hand it over. One item left and two residents at once:
    exactly one gets it (the reward row is locked; the stock can never go below zero)."""
    if policy.resident_of(by) != resident:
        raise PermissionDenied(_("Residents redeem their own points."))
    with transaction.atomic():
        reward = Reward.objects.select_for_update().select_related("scheme", "shop").get(pk=reward.pk)
        if not reward.active:
            raise RewardConflict(_("This reward is no longer offered."))
        if reward.stock < 1:
            raise RewardConflict(_("Sorry, this reward is out of stock."))
        account = ledger.find_holder_account(reward.scheme, resident)
        if account is None or account.balance < reward.price:
            raise RewardConflict(_("Not enough points."))
        try:
            tx = ledger.spend(
                account, reward.price, by=by, reason=_("redeemed: %(name)s") % {"name": reward.name}
            )
        except ledger.LedgerError as exc:
            raise RewardConflict(exc.messages) from exc
        taken = Reward.objects.filter(pk=reward.pk, stock__gte=1).update(stock=F("stock") - 1)
        if taken != 1:
            raise RewardConflict(_("Sorry, this reward is out of stock."))
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    redemption = Redemption.objects.create(
                        reward=reward,
                        resident=resident,
                        account=account,
                        points=reward.price,
                        code=_new_code(),
                        state=RedemptionState.REQUESTED,
                        transaction=tx,
                        jurisdiction=reward.jurisdiction,
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 32**6 codes
            raise RewardConflict(_("Please try again."))
        outbox.emit("volunteering.redeemed", {"redemption": redemption.pk}, jurisdiction=reward.jurisdiction)
    return redemption


def confirm_redemption(shop: Shop, code: str, by) -> Redemption:
    """The shop types the code the resident shows and hands the item over."""
    if not policy.can_keep_shop(by, shop):
        raise PermissionDenied(_("Only the shop confirms its redemptions."))
    code = (code or "").strip().upper()
    with transaction.atomic():
        redemption = (
            Redemption.objects.select_for_update()
            .filter(code=code, reward__shop=shop)
            .select_related("reward")
            .first()
        )
        if redemption is None:
            raise ValidationError(_("No redemption at this shop has that code."))
        if redemption.state == RedemptionState.CONFIRMED:
            raise RewardConflict(_("This code has already been used."))
        if redemption.state == RedemptionState.CANCELLED:
            raise RewardConflict(_("This redemption was cancelled."))
        redemption.state, redemption.confirmed_at, redemption.confirmed_by = (
            RedemptionState.CONFIRMED,
            timezone.now(),
            by,
        )
        redemption.save(update_fields=["state", "confirmed_at", "confirmed_by"])
        outbox.emit(
            "volunteering.handed_over", {"redemption": redemption.pk}, jurisdiction=redemption.jurisdiction
        )
    return redemption


def cancel_redemption(redemption: Redemption, by, reason: str = "") -> Redemption:
    """Cancel: the points come back (a cancellation entry in the ledger) and the item goes back in
    stock. The resident may cancel before the hand-over; the shop or community staff also after it
    (an item brought back), with a reason."""
    resident = policy.resident_of(by)
    own = resident is not None and resident.pk == redemption.resident_id
    keeper = policy.can_keep_shop(by, redemption.reward.shop)
    if not (own or keeper):
        raise PermissionDenied(_("You may not cancel this redemption."))
    with transaction.atomic():
        redemption = (
            Redemption.objects.select_for_update()
            .select_related("reward", "transaction")
            .get(pk=redemption.pk)
        )
        if redemption.state == RedemptionState.CANCELLED:
            raise RewardConflict(_("This redemption was cancelled."))
        if redemption.state == RedemptionState.CONFIRMED and not keeper:
            raise RewardConflict(_("Already handed over: ask the shop."))
        if redemption.state == RedemptionState.CONFIRMED and not reason.strip():
            raise ValidationError(_("Say why a handed-over item is taken back."))
        ledger.reverse(
            redemption.transaction,
            reason.strip() or _("cancelled before the hand-over"),
            by=by,
            kind=TxKind.CANCELLATION,
        )
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
        redemption.state, redemption.cancelled_at = RedemptionState.CANCELLED, timezone.now()
        redemption.save(update_fields=["state", "cancelled_at"])
    return redemption
