"""The short middleware chain of the machine endpoints (Open311, token-authenticated REST calls).

A client of /open311/ (an api_key) or of /api/ with `Authorization: Token …` and no session cookie
has no session, no CSRF token, no messages, no two-factor session and no login form: the full chain
of settings.MIDDLEWARE (sessions, CSRF, auth, OTP, two-factor, messages, axes, whitenoise, django-csp
building its policy anew for every response) costs it CPU and checks nothing. `MachineRoutes`, first
in settings.MIDDLEWARE, sends those requests through MACHINE_MIDDLEWARE instead; every other request
goes through the full chain as before.

What still applies to a machine request is kept, in the short chain or in the view:
- the view's own checks: the api_key or token, rate limits, idempotency (Open311's `endpoint`,
  DRF's authentication, permission and throttle classes) — the short chain changes none of them;
- the security headers (SecurityMiddleware: nosniff, referrer policy, COOP, HSTS and the TLS
  redirect; X-Frame-Options and the same Content-Security-Policy header, built once per process from
  settings.CONTENT_SECURITY_POLICY: no machine view sets a per-response policy or a nonce);
- the language from Accept-Language or the language cookie (LocaleMiddleware), CommonMiddleware
  (disallowed user agents, Content-Length), and the replica routing (ReplicaReadsMiddleware);
- only views of the machine namespaces (MACHINE_NAMESPACES): anything else a machine path resolves
  to answers 404 here, so no staff page is served without its session, CSRF and two-factor checks.

Not short-chained: the REST token endpoint (a password login: axes counts and locks out attempts),
and an /api/ request with a session cookie or without a token (the browser's API use: the session,
CSRF and two-factor middleware decide).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotFound
from django.utils.module_loading import import_string

# The chain machine requests take, outermost first (each entry's reason is in the module docstring).
MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "civicgrid.core.dbrouter.ReplicaReadsMiddleware",
    "civicgrid.core.machine.MachineHeaders",
    "civicgrid.core.machine.MachineViewsOnly",
]
# Paths whose every request is a machine request (an Open311 client sends no session).
MACHINE_PREFIXES = ("/open311/",)
# Paths whose requests are machine requests when they carry a token and no session cookie.
TOKEN_PREFIXES = ("/api/",)
# …except these: the token endpoint takes a password (django-axes' lockout needs the full chain).
FULL_CHAIN_PREFIXES = ("/api/v1/auth/",)
TOKEN_SCHEME = "token "
# URL namespaces the short chain serves; any other view answers 404 through it.
MACHINE_NAMESPACES = frozenset({"open311", "api"})


def is_machine_request(request: HttpRequest) -> bool:
    """Whether this request takes the short chain (the rules above, in one place)."""
    path = request.path_info
    if path.startswith(MACHINE_PREFIXES):
        return True
    if not path.startswith(TOKEN_PREFIXES) or path.startswith(FULL_CHAIN_PREFIXES):
        return False
    if not request.META.get("HTTP_AUTHORIZATION", "")[: len(TOKEN_SCHEME)].lower() == TOKEN_SCHEME:
        return False
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


class MachineHandler(BaseHandler):
    """Django's request handling (URL resolving, view middleware, exceptions to responses) over
    MACHINE_MIDDLEWARE instead of settings.MIDDLEWARE; synchronous, as civicgrid is served."""

    def __init__(self, middleware: list[str] | None = None):
        self.middleware = list(MACHINE_MIDDLEWARE if middleware is None else middleware)
        self._build_chain()

    def _build_chain(self) -> None:
        """The synchronous chain (civicgrid is served over WSGI), as BaseHandler.load_middleware."""
        self._view_middleware: list[Callable] = []
        self._template_response_middleware: list[Callable] = []
        self._exception_middleware: list[Callable] = []
        # BaseHandler._get_response: resolve the URL, view middleware, the view, exceptions.
        handler: Callable = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(self.middleware):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        """The response through the short chain (the outer handler set the URL conf and logs)."""
        return self._middleware_chain(request)


class MachineRoutes:
    """First in settings.MIDDLEWARE: machine requests take the short chain, the others the full one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.machine = MachineHandler()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_machine_request(request):
            return self.machine.handle(request)
        return self.get_response(request)


class MachineHeaders:
    """X-Frame-Options and the Content-Security-Policy of the full chain, the policy built once."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def headers(self) -> dict[str, str]:
        from csp.constants import HEADER, HEADER_REPORT_ONLY
        from csp.utils import build_policy

        out = {"X-Frame-Options": getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()}
        for name, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
            policy = build_policy(report_only=report_only)
            if policy:
                out[name] = policy
        return out

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # As django-csp: with DEBUG on, Django's debug pages for 404 and 500 get no policy.
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        for name, value in self.headers.items():
            if name not in response and not (debug_page and name != "X-Frame-Options"):
                response[name] = value
        return response


class MachineViewsOnly:
    """The short chain serves the machine namespaces' views only: anything else answers 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        namespace = match.namespaces[0] if match is not None and match.namespaces else ""
        if namespace not in MACHINE_NAMESPACES:
            return HttpResponseNotFound()
        return None
