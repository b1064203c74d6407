"""Who must pass a second factor after the password: every role that can see unmasked personal data
(people.policy.UNMASK_ROLES, department handlers for their cases' contacts) and every administrator;
residents, stewards, dispatchers and leaders, who see masked data only, need only the password."""

import pytest

from civicgrid.accounts.policy import two_factor_required


@pytest.mark.parametrize(
    "persona,required",
    [
        ("resident_user", False),
        ("steward", False),
        ("building_leader", False),
        ("grid_worker", True),
        ("secretary", True),
        ("community_staff", True),
        ("dispatcher", False),
        ("handler", True),
        ("supervisor", False),
        ("leader", False),
        ("admin", True),
        ("outsider", False),
    ],
)
def test_the_roles_that_can_unmask_or_administer_need_two_factor(people, persona, required):
    assert two_factor_required(getattr(people, persona)) is required


def test_a_staff_account_without_roles_needs_two_factor_for_the_admin_site(db):
    from civicgrid.people.services import create_user

    staff = create_user("clerk", "pw-clerk", is_staff=True)
    assert two_factor_required(staff)


def test_an_anonymous_visitor_needs_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not two_factor_required(AnonymousUser())
