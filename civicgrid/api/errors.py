"""Every error of the REST API has a clear JSON body: {"detail": "...", "code": "..."} and, for
invalid input, the offending fields under "errors".

Exceptions raised by the services are mapped here, so views just call the services: a stale
expected_version (CaseConflict) and a move the case's state forbids (IllegalTransition) are 409,
a permission refusal 403, a validation error 400.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from civicgrid.cases.services import CaseConflict
from civicgrid.cases.workflow import IllegalTransition
from civicgrid.core.access import public_view

log = logging.getLogger("civicgrid.api")


def _messages(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in error.message_dict.items()}
    return [str(m) for m in error.messages]


def handle(exc, context):
    if isinstance(exc, CaseConflict):
        return Response({"detail": str(exc), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IllegalTransition):
        return Response({"detail": str(exc), "code": "illegal_transition"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        messages = _messages(exc)
        if isinstance(messages, dict):
            detail = _("The request has invalid fields.")
            return Response(
                {"detail": detail, "code": "invalid", "errors": messages}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response({"detail": " ".join(messages), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        # A fault of ours, not of the request: logged in full, answered with a body like the others
        # (in DEBUG the exception propagates to Django's debug page instead).
        if settings.DEBUG:
            return None
        log.error("API request failed", exc_info=exc)
        return Response(
            {
                "detail": _("The server failed to process this request; it has been logged."),
                "code": "server_error",
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _("The request has invalid fields."), "code": "invalid", "errors": data}
    elif isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", None) or exc.default_code}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["retry_after"] = int(exc.wait)
    return response


@public_view
@csrf_exempt
def not_found(request, *args, **kwargs):
    """A path under /api/ that names nothing."""
    return JsonResponse(
        {"detail": _("There is no such address in this API; see /api/v1/docs/."), "code": "not_found"},
        status=404,
    )
