"""Rewards: redeem points for an item (the code the resident shows is confirmed at the shop), a
cancellation gives the points back and puts the item back, and stock never goes below zero."""

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.volunteering import ledger, services
from civicgrid.volunteering.models import PointsTransaction, RedemptionState, TxKind

from .conftest import at


@pytest.fixture
def earned(make_activity, residents, people, scheme):
    """张晓明 and 王芳 earn 2 points each."""
    activity = make_activity(start=at(2026, 6, 6, 9))
    with time_machine.travel(at(2026, 6, 1), tick=False):
        signups = [
            services.sign_up(activity, residents.a, residents.a_user),
            services.sign_up(activity, residents.c, residents.c_user),
        ]
    for signup in signups:
        services.check_in(signup, people.community_staff, at=at(2026, 6, 6, 9))
        services.check_out(signup, people.community_staff, at=at(2026, 6, 6, 11))
    services.confirm_all(activity, people.community_staff)
    return scheme


def test_redeem_then_the_shop_confirms_the_code(earned, shop, residents):
    reward = services.add_reward(shop, earned, "大米 5 斤", 2, 3, shop.keeper)
    redemption = services.redeem(reward, residents.a, residents.a_user)
    reward.refresh_from_db()
    assert reward.stock == 2 and redemption.state == RedemptionState.REQUESTED
    assert ledger.find_holder_account(earned, residents.a).balance == 0
    services.confirm_redemption(shop, redemption.code.lower(), shop.keeper)
    redemption.refresh_from_db()
    assert redemption.state == RedemptionState.CONFIRMED and redemption.confirmed_by == shop.keeper
    with pytest.raises(services.RewardConflict):
        services.confirm_redemption(shop, redemption.code, shop.keeper)


def test_not_enough_points_changes_nothing(earned, shop, residents):
    reward = services.add_reward(shop, earned, "理发一次", 5, 3, shop.keeper)
    with pytest.raises(services.RewardConflict):
        services.redeem(reward, residents.a, residents.a_user)
    reward.refresh_from_db()
    assert reward.stock == 3 and not PointsTransaction.objects.filter(kind=TxKind.REDEMPTION).exists()


def test_the_last_item_goes_to_the_first_and_the_second_is_told_it_is_out_of_stock(earned, shop, residents):
    reward = services.add_reward(shop, earned, "洗衣液", 1, 1, shop.keeper)
    services.redeem(reward, residents.a, residents.a_user)
    with pytest.raises(services.RewardConflict) as exc:
        services.redeem(reward, residents.c, residents.c_user)
    assert "stock" in str(exc.value) or "兑完" in str(exc.value) or "库存" in str(exc.value)
    reward.refresh_from_db()
    assert reward.stock == 0
    assert ledger.find_holder_account(earned, residents.c).balance == 2


def test_a_cancellation_reverses_the_points_and_restocks(earned, shop, residents):
    reward = services.add_reward(shop, earned, "洗衣液", 2, 1, shop.keeper)
    redemption = services.redeem(reward, residents.a, residents.a_user)
    services.cancel_redemption(redemption, residents.a_user)
    reward.refresh_from_db()
    redemption.refresh_from_db()
    assert reward.stock == 1 and redemption.state == RedemptionState.CANCELLED
    assert ledger.find_holder_account(earned, residents.a).balance == 2
    cancellation = PointsTransaction.objects.get(kind=TxKind.CANCELLATION)
    assert cancellation.reverses_id == redemption.transaction_id
    with pytest.raises(services.RewardConflict):
        services.cancel_redemption(redemption, residents.a_user)
    assert ledger.check(earned) == []


def test_after_the_hand_over_only_the_shop_takes_an_item_back_with_a_reason(earned, shop, residents):
    reward = services.add_reward(shop, earned, "洗衣液", 2, 1, shop.keeper)
    redemption = services.redeem(reward, residents.a, residents.a_user)
    services.confirm_redemption(shop, redemption.code, shop.keeper)
    with pytest.raises(services.RewardConflict):
        services.cancel_redemption(redemption, residents.a_user)
    with pytest.raises(ValidationError):
        services.cancel_redemption(redemption, shop.keeper)
    services.cancel_redemption(redemption, shop.keeper, "包装破损，退回")
    assert ledger.find_holder_account(earned, residents.a).balance == 2


def test_another_shop_cannot_confirm_the_code(earned, shop, residents, city, people):
    other = services.create_shop(
        city.community, "另一家店", people.community_staff, keepers=[residents.c_user]
    )
    reward = services.add_reward(shop, earned, "洗衣液", 2, 1, shop.keeper)
    redemption = services.redeem(reward, residents.a, residents.a_user)
    with pytest.raises(ValidationError):
        services.confirm_redemption(other, redemption.code, residents.c_user)
    with pytest.raises(PermissionDenied):
        services.confirm_redemption(shop, redemption.code, residents.c_user)


def test_stock_below_zero_is_impossible_in_the_database(earned, shop):
    from django.db import IntegrityError, transaction

    from civicgrid.volunteering.models import Reward

    reward = services.add_reward(shop, earned, "洗衣液", 2, 0, shop.keeper)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(stock=-1)
