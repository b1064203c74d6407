"""Posts "5+X" (设岗定责): five fixed posts per branch (theory and policy explanation, security
patrol, civility persuasion, sanitation supervision, care and mutual aid) and X posts the branch
chooses; members hold them for a term. Every write of posts and holdings is here."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.people.models import Resident

from . import policy
from .models import (
    FIXED_POST_TYPES,
    BranchPost,
    HomeRegistration,
    OrgLevel,
    PartyMembership,
    PartyOrganization,
    PostHolding,
    PostType,
)


def _check(by, branch: PartyOrganization) -> None:
    if branch.level not in (OrgLevel.BRANCH, OrgLevel.COMMUNITY_COMMITTEE):
        raise ValidationError(_("Posts are set by a branch or a community Party committee."))
    if not policy.can_lead(by, branch):
        raise PermissionDenied(_("Only the branch sets its posts."))


def ensure_fixed_posts(branch: PartyOrganization, by) -> list[BranchPost]:
    """The five fixed posts of the branch (made once; calling again changes nothing)."""
    _check(by, branch)
    with transaction.atomic():
        have = set(branch.posts.filter(post_type__in=FIXED_POST_TYPES).values_list("post_type", flat=True))
        for post_type in FIXED_POST_TYPES:
            if post_type not in have:
                BranchPost.objects.create(
                    branch=branch, post_type=post_type, jurisdiction=branch.jurisdiction
                )
    return list(branch.posts.filter(post_type__in=FIXED_POST_TYPES))


def add_x_post(branch: PartyOrganization, title: str, by, duties: str = "") -> BranchPost:
    """An X post the branch chooses for its own compounds (e.g. 'lift-installation liaison')."""
    _check(by, branch)
    title = title.strip()
    if not title:
        raise ValidationError(_("An X post needs a title."))
    try:
        with transaction.atomic():
            return BranchPost.objects.create(
                branch=branch,
                post_type=PostType.BRANCH_CHOSEN,
                title=title,
                duties=duties.strip(),
                jurisdiction=branch.jurisdiction,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("The branch already has a post called %(title)s.") % {"title": title}
        ) from exc


def eligible_member_ids(branch: PartyOrganization) -> set[int]:
    """Members who may hold the branch's posts: its own members, and members who registered with
    its community where they live (双报到). Two indexed look-ups (an OR across the joins would scan
    every resident)."""
    own = PartyMembership.objects.filter(organization=branch).values_list("resident_id", flat=True)
    home = HomeRegistration.objects.filter(community=branch.area, ended_on__isnull=True).values_list(
        "member_id", flat=True
    )
    return set(own) | set(home)


def eligible_members(branch: PartyOrganization):
    return Resident.objects.filter(pk__in=eligible_member_ids(branch)).order_by("path", "pk")


def assign_holder(
    post: BranchPost, member: Resident, by, *, started_on: date, ends_on: date | None = None
) -> PostHolding:
    branch = post.branch
    _check(by, branch)
    if post.retired_on:
        raise ValidationError(_("This post is retired."))
    if ends_on and ends_on <= started_on:
        raise ValidationError(_("A term ends after it starts."))
    own = PartyMembership.objects.filter(organization=branch, resident=member).exists()
    home = HomeRegistration.objects.filter(
        community=branch.area, member=member, ended_on__isnull=True
    ).exists()
    if not (own or home):
        raise ValidationError(
            _("Only the branch's members, or members registered here (双报到), hold its posts.")
        )
    via_home = not own
    try:
        with transaction.atomic():
            return PostHolding.objects.create(
                post=post,
                member=member,
                started_on=started_on,
                ends_on=ends_on,
                via_home_registration=via_home,
                assigned_by=by,
                jurisdiction=branch.jurisdiction,
            )
    except IntegrityError as exc:
        raise ValidationError(_("This member already holds the post.")) from exc


def stand_down(holding: PostHolding, by, on: date) -> PostHolding:
    _check(by, holding.post.branch)
    with transaction.atomic():
        holding = PostHolding.objects.select_for_update().get(pk=holding.pk)
        if holding.ended_on:
            raise ValidationError(_("This member has already stood down from the post."))
        if on < holding.started_on:
            raise ValidationError(_("A term ends after it starts."))
        holding.ended_on = on
        holding.save(update_fields=["ended_on"])
    return holding


def retire_post(post: BranchPost, by, on: date) -> BranchPost:
    """An X post the branch no longer needs; its holders stand down the same day."""
    _check(by, post.branch)
    if post.post_type != PostType.BRANCH_CHOSEN:
        raise ValidationError(_("The five fixed posts stay."))
    with transaction.atomic():
        post.retired_on = on
        post.save(update_fields=["retired_on"])
        post.holdings.filter(ended_on__isnull=True).update(ended_on=on)
    return post
