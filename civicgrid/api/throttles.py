"""Rate limits of the REST API: DRF throttle classes over a fixed-window counter in the default cache
(core.ratelimit), one increment per request whatever the rate (DRF's own throttles keep a list of
every request's time per client, which costs more the higher the rate).

Each rate ("N/min", "N/hour", …) comes from the setting of the same name when set, else the
environment (CIVICGRID_API_ANON_RATE, CIVICGRID_API_USER_RATE, CIVICGRID_API_LOGIN_RATE), else the
defaults below.
"""

import os

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from civicgrid.core import ratelimit
from civicgrid.core.clientaddr import client_ip


def configured(name: str, default: str) -> str:
    return getattr(settings, name, None) or os.environ.get(name) or default


class FixedWindowThrottle(SimpleRateThrottle):
    setting: str
    default: str

    def get_rate(self):
        return configured(self.setting, self.default)

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.verdict = ratelimit.hit(key, self.num_requests, self.duration)
        return self.verdict.allowed

    def wait(self):
        return self.verdict.retry_after

    def get_ident(self, request):
        """The client's address as core.clientaddr sees it (the trusted proxy's header, if any)."""
        return client_ip(request) or "unknown"


class AnonThrottle(FixedWindowThrottle):
    """Requests without a token (the schema, the docs page, the token endpoint), per client address."""

    scope = "api-anon"
    setting, default = "CIVICGRID_API_ANON_RATE", "60/min"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return f"{self.scope}:{self.get_ident(request)}"


class UserThrottle(FixedWindowThrottle):
    """Requests with a token or a session, per user."""

    scope = "api-user"
    setting, default = "CIVICGRID_API_USER_RATE", "1200/min"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return f"{self.scope}:{request.user.pk}"


class LoginThrottle(FixedWindowThrottle):
    """Password attempts for a token, per client address: slow enough to make guessing pointless."""

    scope = "api-login"
    setting, default = "CIVICGRID_API_LOGIN_RATE", "10/min"

    def get_cache_key(self, request, view):
        return f"{self.scope}:{self.get_ident(request)}"


DEFAULT_THROTTLES = [AnonThrottle, UserThrottle]
