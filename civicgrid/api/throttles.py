"""Rate limits of the REST API (DRF throttling over the default cache).

Each rate ("N/min") comes from the setting of the same name when set, else the environment
(CIVICGRID_API_ANON_RATE, CIVICGRID_API_USER_RATE, CIVICGRID_API_LOGIN_RATE), else the defaults below.
"""

import os

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


def configured(name: str, default: str) -> str:
    return getattr(settings, name, None) or os.environ.get(name) or default


class AnonThrottle(AnonRateThrottle):
    """Requests without a token (the schema, the docs page, the token endpoint), per client IP."""

    def get_rate(self):
        return configured("CIVICGRID_API_ANON_RATE", "60/min")


class UserThrottle(UserRateThrottle):
    """Requests with a token or a session, per user."""

    def get_rate(self):
        return configured("CIVICGRID_API_USER_RATE", "1200/min")


class LoginThrottle(SimpleRateThrottle):
    """Password attempts for a token, per client IP: slow enough to make guessing pointless."""

    scope = "api-login"

    def get_rate(self):
        return configured("CIVICGRID_API_LOGIN_RATE", "10/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


DEFAULT_THROTTLES = [AnonThrottle, UserThrottle]
