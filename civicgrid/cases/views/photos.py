"""Case photos are served only to those who may see the case: staff in scope, the reporter, or
the holder of the case's private follow link. They may show faces, doors and number plates, so
they are never public files."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from civicgrid.core.access import keyed_view

from .. import policy, services
from ..models import Attachment


def _user(request):
    """The session user, or an API client's token user (the REST API links photos here)."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        found = None
    return found[0] if found else None


def _send(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@keyed_view
@require_GET
def photo(request, pk: int):
    attachment = get_object_or_404(Attachment.objects.select_related("case"), pk=pk)
    user = _user(request)
    if user is None or not policy.can_view(user, attachment.case):
        raise Http404
    return _send(attachment)


@keyed_view
@require_GET
def follow_photo(request, token: str, pk: int):
    """A photo of the followed case or of the main case it was merged into."""
    case = services.case_for_token(token)
    if case is None:
        raise Http404
    allowed = {case.pk, case.merged_into_id} - {None}
    attachment = get_object_or_404(Attachment, pk=pk, case_id__in=allowed)
    return _send(attachment)
