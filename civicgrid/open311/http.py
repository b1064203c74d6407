"""What every Open311 endpoint shares: the format suffix, errors as the spec's list, the api_key,
the jurisdiction_id and the rate limit.

    @endpoint(methods=("GET",))
    def services(request, ctx): ...   # ctx.fmt, ctx.client, ctx.jurisdiction, ctx.params
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.areas.models import Area, Level
from civicgrid.core import access, caches, ratelimit
from civicgrid.core.clientaddr import client_ip as _client_ip

from . import services
from .models import ApiClient
from .renderers import FORMATS, render


class Open311Error(Exception):
    """Answered as the spec's error list: [{code, description}, …] with the HTTP status."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers or {}


def error_response(fmt: str, status: int, descriptions, headers: dict | None = None):
    body = [{"code": status, "description": str(d)} for d in descriptions]
    response = render(fmt if fmt in FORMATS else "json", "errors", body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@dataclass
class Context:
    fmt: str
    params: dict  # query string for GET, form body for POST; lists kept for repeated keys
    client: ApiClient | None
    jurisdiction: str | None


def anon_rate_per_minute() -> int:
    """Reads without a key, per client address per minute (setting, else environment, else 120)."""
    name = "CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE"
    return int(getattr(settings, name, None) or os.environ.get(name) or 120)


def client_ip(request) -> str:
    return _client_ip(request) or "unknown"


def _authenticate(raw_key: str, required: bool) -> ApiClient | None:
    if not raw_key:
        if required:
            raise Open311Error(403, _("api_key was not provided: this method needs an API key."))
        return None
    client = services.find_client(raw_key)
    if client is None:
        raise Open311Error(403, _("Invalid api_key received: no client holds this key."))
    if not client.is_active:
        raise Open311Error(403, _("This api_key has been revoked."))
    return client


def _throttle(request, client: ApiClient | None) -> None:
    if client is not None:
        verdict = ratelimit.hit(f"open311:key:{client.pk}", client.rate_limit_per_minute)
    else:
        verdict = ratelimit.hit(f"open311:ip:{client_ip(request)}", anon_rate_per_minute())
    if not verdict.allowed:
        raise Open311Error(
            429,
            _("Too many requests: the limit is %(limit)d per minute; try again in %(seconds)d seconds.")
            % {"limit": verdict.limit, "seconds": verdict.retry_after},
            headers={"Retry-After": str(verdict.retry_after)},
        )


# The districts this server holds (its jurisdictions), kept per process by the rule of core.caches:
# they change a few times a year, and every Open311 request needs them.
def _load_districts() -> dict[str, Area]:
    return {a.code: a for a in Area.objects.filter(level=Level.DISTRICT).order_by("code")}


_districts = caches.TimedValue("open311.districts", _load_districts, topics=[caches.AREAS])


def districts() -> dict[str, Area]:
    """District code → district Area: the jurisdiction_ids this server holds."""
    return _districts.get()


def resolve_jurisdiction(raw: str) -> str | None:
    """The jurisdiction a request is about; required only when the server holds several."""
    raw = (raw or "").strip()
    held = districts()
    if raw:
        if raw not in held:
            raise Open311Error(404, _("jurisdiction_id “%(id)s” was not found.") % {"id": raw})
        return raw
    if len(held) > 1:
        raise Open311Error(
            400, _("jurisdiction_id was not provided: this server holds several jurisdictions.")
        )
    return next(iter(held), None)


def endpoint(methods=("GET",), key_required: bool = False):
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, fmt: str, **kwargs):
            if fmt not in FORMATS:
                return error_response(
                    "json", 404, [_("Format “%(fmt)s” is not offered: use .json or .xml.") % {"fmt": fmt}]
                )
            if request.method not in methods:
                return error_response(
                    fmt,
                    405,
                    [_("Method %(method)s is not allowed here.") % {"method": request.method}],
                    headers={"Allow": ", ".join(methods)},
                )
            source = request.POST if request.method == "POST" else request.GET
            try:
                client = _authenticate(source.get("api_key", "").strip(), key_required)
                _throttle(request, client)
                ctx = Context(fmt=fmt, params=source, client=client, jurisdiction=None)
                ctx.jurisdiction = resolve_jurisdiction(source.get("jurisdiction_id", ""))
                # A key restricted to some jurisdictions may post only there; reading is public.
                if (
                    request.method == "POST"
                    and client is not None
                    and ctx.jurisdiction
                    and not client.allows_jurisdiction(ctx.jurisdiction)
                ):
                    raise Open311Error(
                        403,
                        _("This api_key may not be used for jurisdiction “%(id)s”.")
                        % {"id": ctx.jurisdiction},
                    )
                return view(request, ctx, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, error.descriptions, error.headers)

        # Reads are public; a method that needs a key checks it above (access policy "keyed").
        return (access.keyed_view if key_required else access.public_view)(wrapper)

    return decorate
