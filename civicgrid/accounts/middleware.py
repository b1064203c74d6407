"""After the password, a second factor: users who must have one (policy.two_factor_required) reach
nothing but the verify and enrol pages (and log out, switch language) until this session is verified.

Runs after django-otp's OTPMiddleware, which gives request.user its is_verified().
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import devices, policy

# URL names an unverified session may still open.
EXEMPT = {"logout", "set_language", "healthz", "accounts:verify", "accounts:enrol", "admin:logout"}
JSON_PREFIXES = ("/api/", "/open311/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT:
            return None
        if not policy.two_factor_required(user):
            return None
        if request.path.startswith(JSON_PREFIXES):
            return JsonResponse(
                {"detail": _("This account needs a second factor: sign in on the web page and verify it.")},
                status=403,
            )
        target = "accounts:verify" if devices.confirmed_authenticator(user) else "accounts:enrol"
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
