"""The second step of logging in: verify a code, or set up an authenticator; recovery codes."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.core.access import signed_in_view

from . import devices
from .forms import CodeForm


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@never_cache
@signed_in_view
def verify(request):
    """Enter the code the authenticator shows, or one of the recovery codes."""
    user = request.user
    if user.is_verified():
        return HttpResponseRedirect(_next(request))
    device = devices.confirmed_authenticator(user)
    if device is None:
        return HttpResponseRedirect(f"{reverse('accounts:enrol')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            matched = django_otp.match_token(user, form.cleaned_data["code"])
            if matched is not None:
                django_otp.login(request, matched)
                if matched.persistent_id != device.persistent_id:
                    messages.warning(
                        request,
                        _("You used a recovery code; %(left)d are left.")
                        % {"left": devices.recovery_codes_left(user)},
                    )
                return HttpResponseRedirect(_next(request))
            form.add_error("code", _("That code is not right, or has been used. Try the newest one."))
        status = 400
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)}, status=status)


@never_cache
@signed_in_view
def enrol(request):
    """Set up an authenticator: scan the QR code (or type the key), then confirm with one code."""
    user = request.user
    if devices.confirmed_authenticator(user) is not None:
        return HttpResponseRedirect(f"{reverse('accounts:verify')}?next={_next(request)}")
    device = devices.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
            devices.confirm(device)
            codes = devices.new_recovery_codes(user)
            django_otp.login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try the newest one.")
        )
        status = 400
    context = {
        "form": form,
        "next": _next(request),
        "qr_svg": devices.qr_svg(device),
        "secret": devices.secret_base32(device),
    }
    return render(request, "accounts/enrol.html", context, status=status)


@never_cache
@signed_in_view
def two_factor(request):
    """This account's second factor: whether it is set up, recovery codes left, a new set of codes."""
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "authenticator": devices.confirmed_authenticator(user),
            "codes_left": devices.recovery_codes_left(user),
        },
    )


@never_cache
@require_POST
@signed_in_view
def recovery_codes(request):
    """A fresh set of recovery codes (the old ones stop working); only in a verified session."""
    if not request.user.is_verified():
        return HttpResponseRedirect(f"{reverse('accounts:verify')}?next={reverse('accounts:two_factor')}")
    codes = devices.new_recovery_codes(request.user)
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:two_factor")}
    )


def lockout(request, original_response=None, credentials=None):
    """What django-axes shows after too many failed logins (AXES_LOCKOUT_CALLABLE)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)
