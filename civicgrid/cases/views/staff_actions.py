"""The one handler behind every action form on the case page.

Order of checks: the user may see the case here (else 404); their role and scope allow the action
(else 403, nothing changes); the version they saw is still the case's version (else the conflict
message and the case as it is now); then the service runs, which checks all of this again under a
row lock, so that of two people acting at once one wins and the other gets the same message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.people import policy as people_policy

from .. import policy, services
from ..forms_staff import ACTION_FORMS
from ..models import Case, ExtensionRequest, ExtensionStatus
from ..workflow import IllegalTransition
from .staff import case_for, case_page, merge_candidates, staff_can_view, staff_required


def conflict_message() -> str:
    return _("Someone else acted on this case first; here is its current state.")


@require_POST
@staff_required
def act(request, pk: int, action: str):
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    user = request.user
    case = case_for(user, pk)
    if policy.is_read_only(user) and not people_policy.is_admin(user):
        raise PermissionDenied
    if action != "merge" and not any(
        _allowed_scope(user, name, case) for name in form_class.policy_actions()
    ):
        raise PermissionDenied
    kwargs = {"case": case, "user": user}
    if action == "merge":
        kwargs["candidates"] = merge_candidates(user, case)
    if action == "decide_extension":
        kwargs["pending"] = ExtensionRequest.objects.filter(case=case, status=ExtensionStatus.PENDING).first()
    form = form_class(request.POST, request.FILES, **kwargs)
    if not form.is_valid():
        stale = form.errors.get("expected_version") is None and _is_stale(case, form)
        if stale:
            return _conflict(request, case)
        return case_page(request, case, bound=form, status=400)
    if form.version != case.version:
        return _conflict(request, case)
    try:
        form.perform(form.version)
    except services.CaseConflict:
        return _conflict(request, case)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
        return redirect("cases:staff_case", pk=case.pk)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return case_page(request, case_for(user, pk), bound=form, status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": form_class.title})
    # A department that returned a case no longer sees it: back to the queue then.
    if not staff_can_view(user, Case.objects.get(pk=case.pk)):
        return redirect("cases:queue")
    return redirect("cases:staff_case", pk=case.pk)


def _allowed_scope(user, action: str, case) -> bool:
    """Role and scope (not state: a stale page should get the conflict message, not a 403)."""
    try:
        policy.check(user, action, case)
    except PermissionDenied:
        return False
    return True


def _is_stale(case, form) -> bool:
    try:
        return int(form.data.get(form.add_prefix("expected_version"))) != case.version
    except (TypeError, ValueError):
        return False


def _conflict(request, case):
    messages.error(request, conflict_message())
    return redirect("cases:staff_case", pk=case.pk)
