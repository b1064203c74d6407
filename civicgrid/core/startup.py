"""Checks made before civicgrid serves requests: refuse to run a production server on the demo key."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEMO_KEY_MESSAGE = (
    "civicgrid refuses to start: CIVICGRID_SECRET_KEY is not set, so the demo secret key would sign "
    "sessions, follow links and webhooks, and anyone could forge them. Set CIVICGRID_SECRET_KEY to a "
    "long random value, e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))' "
    "(only a development server with CIVICGRID_DEBUG=1 may run on the demo key)."
)


def refuse_demo_secret_key() -> None:
    """Raise ImproperlyConfigured when DEBUG is off and SECRET_KEY is the demo key (or empty)."""
    demo = getattr(settings, "DEMO_SECRET_KEY", None)
    if not settings.DEBUG and (not settings.SECRET_KEY or settings.SECRET_KEY == demo):
        raise ImproperlyConfigured(DEMO_KEY_MESSAGE)
