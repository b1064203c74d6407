"""The client's address, the one definition used by rate limits, the login lockout, intake and the
access log.

Served directly, it is REMOTE_ADDR. Behind the reverse proxy docs/operations.md prescribes, REMOTE_ADDR
is the proxy's own address, so the real client comes from the header the proxy sets (by default
X-Forwarded-For) — but only when the request really came from a configured trusted proxy
(CIVICGRID_TRUSTED_PROXIES: addresses or networks). The header is read from the right: each proxy
appends the address it saw, so the right-most address that is not one of our proxies is the client;
anything to its left was written by the client and is not trusted.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:5123"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in net for net in networks)


def trusted_proxies() -> tuple:
    return _networks(tuple(getattr(settings, "CIVICGRID_TRUSTED_PROXIES", ()) or ()))


def client_ip(request) -> str:
    """The client's IP address as text ("" when nothing usable is known)."""
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    networks = trusted_proxies()
    if not _trusted(remote, networks):
        return str(remote) if remote is not None else ""
    header = getattr(settings, "CIVICGRID_PROXY_HEADER", "HTTP_X_FORWARDED_FOR")
    hops = [h for h in (request.META.get(header, "") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # a malformed hop: stop at the last proxy we trust
        if not _trusted(address, networks):
            return str(address)
    # Only our proxies (or nothing) in the header: the request came from a proxy itself.
    return str(remote)
