"""The in-app inbox: notifications the worker writes for staff (and residents with an account).

The unread count shows next to the inbox link in the top bar (staff_registration.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from civicgrid.core.access import signed_in_view

from .. import services
from ..models import InboxMessage
from .staff import is_staff

PAGE_SIZE = 30


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()


@signed_in_view
def inbox(request):
    user = request.user
    qs = InboxMessage.objects.filter(user=user).select_related("case").order_by("-created_at", "-id")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/staff/inbox.html",
        {
            "page": page,
            "only_unread": only_unread,
            "unread": unread_count(user),
            "link_cases": is_staff(user),
        },
    )


@require_POST
@signed_in_view
def inbox_read(request):
    """Mark one message (`message`) or all unread ones (`all`) as read."""
    if request.POST.get("all"):
        n = services.mark_inbox_read(request.user)
        messages.success(
            request, ngettext("%(n)d message marked read.", "%(n)d messages marked read.", n) % {"n": n}
        )
    else:
        try:
            ids = [int(request.POST["message"])]
        except (KeyError, ValueError):
            ids = []
        services.mark_inbox_read(request.user, ids)
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("cases:inbox")
