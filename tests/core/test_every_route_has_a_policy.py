"""Every route of the URL conf declares an access policy (civicgrid/core/access.py), and what a view
declares matches what it does: signed-in views send strangers to the login page, REST views ask for
authentication unless they say they are public."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny, IsAuthenticated

from civicgrid.core import access


def routes(patterns=None, prefix="", namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry.callback


ALL = list(routes())


def test_the_url_conf_has_routes_to_check():
    assert len(ALL) > 80


def test_every_route_declares_an_access_policy():
    missing = [
        f"{route} ({callback.__module__}.{callback.__name__})"
        for route, _, callback in ALL
        if access.policy_of(callback) is None
    ]
    assert not missing, "routes without an access policy (see docs/architecture.md):\n" + "\n".join(missing)


def test_admin_routes_are_the_admin_sites_own():
    admin_routes = [(route, cb) for route, ns, cb in ALL if ns == "admin"]
    assert admin_routes
    for route, callback in admin_routes:
        assert access.policy_of(callback) in (access.ADMIN, access.PUBLIC), route


def _rest_class(callback):
    return getattr(callback, "cls", None)


REST = [(route, cb) for route, _, cb in ALL if _rest_class(cb) is not None]


@pytest.mark.parametrize("route,callback", REST, ids=[route for route, _ in REST])
def test_rest_views_permissions_match_their_declared_policy(route, callback):
    cls = _rest_class(callback)
    permissions = list(cls.permission_classes)
    if access.policy_of(callback) == access.PUBLIC:
        assert not any(issubclass(p, IsAuthenticated) for p in permissions), route
    else:
        assert access.policy_of(callback) == access.API, route
        assert permissions and not any(p is AllowAny for p in permissions), route
        assert any(issubclass(p, IsAuthenticated) for p in permissions), route


def _sample_path(route: str) -> str | None:
    """A concrete path for a route (placeholders filled), or None for regular expressions."""
    if "^" in route or "(?P" in route:
        return None
    import re

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", route)


@pytest.mark.django_db
def test_signed_in_views_send_a_stranger_to_the_login_page(client):
    checked = 0
    for route, _namespace, callback in ALL:
        if access.policy_of(callback) != access.SIGNED_IN:
            continue
        path = _sample_path(route)
        if path is None:
            continue
        response = client.get(path)
        if response.status_code == 405:  # POST-only: the method check comes first
            response = client.post(path)
        assert response.status_code == 302, (route, response.status_code)
        assert response["Location"].startswith("/login/"), route
        checked += 1
    assert checked > 20
