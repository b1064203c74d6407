"""Follow someone else's open case instead of reporting it again (关注): the resident becomes a
follower, with a private follow link of their own, and hears of its progress like its reporter."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Case, CaseFollower
from .moves import Actor, CaseRef, _actor, _case_id
from .new_cases import _hash


def _token_for_user(case_id: int, user_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"case-follower:{case_id}:{user_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def may_follow(case: Case) -> bool:
    """Open, public cases can be followed (a merged one: its main case is followed instead)."""
    return case.is_open and case.public and case.category.public


def follow_case(case: CaseRef, *, by: Actor = None, email: str = "") -> tuple[Case, str]:
    """Make the visitor a follower of the case (its main case when it was merged). Returns
    (the case followed, the raw private follow token). Following twice with one account is one
    follower with the same link."""
    c = Case.objects.select_related("category").get(pk=_case_id(case)).main_case
    if not may_follow(c):
        raise ValidationError(_("This case cannot be followed: it is closed or not public."))
    user = _actor(by)
    if user is not None and c.reporter_user_id == user.pk:
        raise ValidationError(_("You reported this case yourself: find it under My reports."))
    token = _token_for_user(c.pk, user.pk) if user is not None else secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            CaseFollower.objects.create(
                case=c,
                user=user,
                token_hash=_hash(token),
                email=(email or "").strip()[:254],
                jurisdiction=c.jurisdiction,
            )
    except IntegrityError:
        if user is None:
            raise
    return c, token


def case_for_follower_token(token: str) -> Case | None:
    if not token or len(token) > 100:
        return None
    return (
        Case.objects.filter(followers__token_hash=_hash(token))
        .select_related("category", "department")
        .first()
    )
