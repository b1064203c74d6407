"""Every view declares who may reach it: one of a few access policies, set by a decorator or a class
attribute from this module. tests/core/test_every_route_has_a_policy.py walks the URL conf and fails
on any route whose view declares none (see docs/architecture.md "Access policies").

The policy is the door, not the room: a `signed_in` view still asks its app's policy.py what this user
may see of this object (scope, department, own reports); a `public` view shows only what anyone may
see (masked, no personal data).

    PUBLIC     anyone, signed in or not (the resident's report page, the problem wall, Open311 reads)
    SIGNED_IN  a signed-in user (Django's login_required); the view then applies its app's policy
    KEYED      reached without a session by whoever holds a secret — a private follow link, an API key
               or token — which the view itself checks before showing anything
    API        a REST view: its DRF permission_classes decide (IsAuthenticated unless it is public)
    ADMIN      Django's admin site (staff, with its own permission checks)
"""

from __future__ import annotations

from functools import wraps

from django.contrib.admin import AdminSite
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import RedirectView

PUBLIC = "public"
SIGNED_IN = "signed-in"
KEYED = "keyed"
API = "api"
ADMIN = "admin"
POLICIES = (PUBLIC, SIGNED_IN, KEYED, API, ADMIN)

ATTRIBUTE = "access_policy"


def _tag(view, policy: str):
    setattr(view, ATTRIBUTE, policy)
    return view


def public_view(view):
    """Anyone may open this view, signed in or not; it must show no unmasked personal data."""
    return _tag(view, PUBLIC)


def keyed_view(view):
    """Opened with a secret the view checks (follow-link token, API key or token), not a session."""
    return _tag(view, KEYED)


def signed_in_view(view):
    """Only a signed-in user (others go to the login page); the view checks its app's policy."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return _tag(wrapped, SIGNED_IN)


class ApiPolicyMixin:
    """A REST (DRF) view whose permission_classes decide; IsAuthenticated unless declared public."""

    access_policy = API


class PublicViewMixin:
    """A class-based view anyone may open."""

    access_policy = PUBLIC


class SignedInViewMixin(LoginRequiredMixin):
    """A class-based view for signed-in users only."""

    access_policy = SIGNED_IN


def policy_of(callback) -> str | None:
    """The access policy a resolved URL callback declares, or None when it declares none."""
    for holder in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        policy = getattr(holder, ATTRIBUTE, None) if holder is not None else None
        if policy in POLICIES:
            return policy
    # Django's admin: AdminSite and ModelAdmin wrap every page in admin_view (staff + permissions);
    # the admin's own login and logout are methods of the site.
    if (
        getattr(callback, "admin_site", None) is not None
        or getattr(callback, "model_admin", None) is not None
    ):
        return ADMIN
    inner = callback
    while inner is not None:  # a method of the admin site or a model admin, behind admin_view()
        if isinstance(getattr(inner, "__self__", None), AdminSite | BaseModelAdmin):
            return ADMIN
        inner = getattr(inner, "__wrapped__", None)
    if getattr(callback, "view_class", None) is RedirectView:  # a bare redirect shows nothing
        return PUBLIC
    return None
