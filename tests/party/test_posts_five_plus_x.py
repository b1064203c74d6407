"""Posts "5+X": five fixed posts per branch, X posts it chooses, holders with terms."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.party import dual, posts
from civicgrid.party.models import FIXED_POST_TYPES, PostType


def test_a_branch_gets_the_five_fixed_posts_once(branch, staff):
    first = posts.ensure_fixed_posts(branch, staff.secretary)
    again = posts.ensure_fixed_posts(branch, staff.secretary)
    assert sorted(p.post_type for p in first) == sorted(FIXED_POST_TYPES) and len(again) == 5


def test_an_x_post_is_chosen_by_the_branch_and_titles_are_unique(branch, staff):
    post = posts.add_x_post(branch, "加装电梯联络员", staff.secretary)
    assert post.post_type == PostType.BRANCH_CHOSEN and post.label == "加装电梯联络员"
    with pytest.raises(ValidationError):
        posts.add_x_post(branch, "加装电梯联络员", staff.secretary)
    with pytest.raises(ValidationError):
        posts.add_x_post(branch, "  ", staff.secretary)


def test_members_hold_posts_for_a_term_and_stand_down(branch, staff, members):
    patrol = next(
        p
        for p in posts.ensure_fixed_posts(branch, staff.secretary)
        if p.post_type == PostType.SECURITY_PATROL
    )
    holding = posts.assign_holder(
        patrol, members.a, staff.secretary, started_on=date(2026, 1, 1), ends_on=date(2028, 12, 31)
    )
    with pytest.raises(ValidationError):
        posts.assign_holder(patrol, members.a, staff.secretary, started_on=date(2026, 2, 1))
    posts.stand_down(holding, staff.secretary, date(2026, 6, 30))
    holding.refresh_from_db()
    assert holding.ended_on == date(2026, 6, 30)


def test_a_member_registered_here_by_shuangbaodao_may_hold_a_post(branch, staff, members, city):
    care = next(
        p
        for p in posts.ensure_fixed_posts(branch, staff.secretary)
        if p.post_type == PostType.CARE_MUTUAL_AID
    )
    with pytest.raises(ValidationError):
        posts.assign_holder(care, members.c, staff.secretary, started_on=date(2026, 3, 1))
    dual.register_at_home(members.c, members.elsewhere, city.community, members.c_user, on=date(2026, 2, 1))
    holding = posts.assign_holder(care, members.c, staff.secretary, started_on=date(2026, 3, 1))
    assert holding.via_home_registration


def test_only_the_branch_sets_its_posts(branch, members, people):
    with pytest.raises(PermissionDenied):
        posts.add_x_post(branch, "楼道长", members.a_user)
    with pytest.raises(PermissionDenied):
        posts.ensure_fixed_posts(branch, people.leader)  # leaders read, they do not write


def test_the_fixed_posts_stay_and_an_x_post_retires_with_its_holders(branch, staff, members):
    fixed = posts.ensure_fixed_posts(branch, staff.secretary)[0]
    with pytest.raises(ValidationError):
        posts.retire_post(fixed, staff.secretary, date(2026, 6, 1))
    x = posts.add_x_post(branch, "垃圾分类督导", staff.secretary)
    holding = posts.assign_holder(x, members.b, staff.secretary, started_on=date(2026, 1, 1))
    posts.retire_post(x, staff.secretary, date(2026, 6, 1))
    holding.refresh_from_db()
    assert holding.ended_on == date(2026, 6, 1)
