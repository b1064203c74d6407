"""Cases through the REST API: what a staff screen can do, the API can do, under cases.policy.

Every write calls cases.services (the same functions as the web pages), so permissions, the state
machine, history rows and outbox rows are identical. Each transition is its own endpoint taking
`expected_version`; a stale version or a state that forbids the move answers 409.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from civicgrid.areas.models import Area
from civicgrid.cases import policy as case_policy
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Attachment, Case, Category, ExtensionRequest
from civicgrid.cases.workflow import Channel, Kind, State
from civicgrid.core import pii
from civicgrid.people.models import Department

from . import cases_serializers as s
from .base import ApiListView, ApiView

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A key of the client's choosing (≤ 64 characters): a retry with the same key returns "
    "the case made the first time instead of a second one.",
)

FILTERS = [
    OpenApiParameter(
        "state", OpenApiTypes.STR, description="Comma-separated states, e.g. dispatched,in_progress."
    ),
    OpenApiParameter(
        "category", OpenApiTypes.STR, description="Category code; a top category includes its subs."
    ),
    OpenApiParameter("area", OpenApiTypes.STR, description="Area code: cases at or below this area."),
    OpenApiParameter("department", OpenApiTypes.STR, description="Lead department, by id or code."),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values, description="Intake channel."),
    OpenApiParameter(
        "kind", OpenApiTypes.STR, enum=Kind.values, description="Kind of case (e.g. emergency)."
    ),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="true: only cases past their deadline."),
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Reference code, or text in the title, description or address."
    ),
    OpenApiParameter("reported_after", OpenApiTypes.DATE, description="Reported on or after this day."),
    OpenApiParameter("reported_before", OpenApiTypes.DATE, description="Reported on or before this day."),
]

LIST_RELATED = ("category", "department")
DETAIL_RELATED = ("category", "department", "grid", "building", "unit")


def _bool(raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValidationError({"overdue": [_("Use true or false.")]})


def _date(params, name: str):
    raw = params.get(name)
    if not raw:
        return None
    field = serializers.DateField()
    try:
        return field.to_internal_value(raw)
    except serializers.ValidationError as error:
        raise ValidationError({name: error.detail}) from None


def filter_cases(qs, params):
    """The API's query parameters, checked, then the one filter of cases.services."""
    states = [x.strip() for x in (params.get("state") or "").split(",") if x.strip()]
    unknown = [x for x in states if x not in State.values]
    if unknown:
        raise ValidationError({"state": [_("Unknown state: %(s)s.") % {"s": ", ".join(unknown)}]})
    category = area = department = None
    if params.get("category"):
        category = Category.objects.filter(code=params["category"]).first()
        if category is None:
            raise ValidationError({"category": [pgettext("api", "Unknown category.")]})
    if params.get("area"):
        area = Area.objects.filter(code=params["area"]).first()
        if area is None:
            raise ValidationError({"area": [_("Unknown area.")]})
    if params.get("department"):
        raw = params["department"]
        department = Department.objects.filter(
            Q(code=raw) | Q(pk=int(raw) if raw.isdigit() else None)
        ).first()
        if department is None:
            raise ValidationError({"department": [_("Unknown department.")]})
    if params.get("channel") and params["channel"] not in Channel.values:
        raise ValidationError({"channel": [pgettext("api", "Unknown channel.")]})
    if params.get("kind") and params["kind"] not in Kind.values:
        raise ValidationError({"kind": [_("Unknown kind of case.")]})
    return case_services.filter_cases(
        qs,
        text=params.get("q") or "",
        states=states,
        category=category,
        area=area,
        department=department,
        channel=params.get("channel") or "",
        kind=params.get("kind") or "",
        overdue=_bool(params.get("overdue")),
        reported_from=_date(params, "reported_after"),
        reported_to=_date(params, "reported_before"),
    )


def visible(request):
    return case_policy.visible_cases(request.user, Case.objects.all())


def get_case(request, pk) -> Case:
    """A case the caller may see (404 otherwise, so ids of others' cases reveal nothing)."""
    return get_object_or_404(visible(request).select_related(*DETAIL_RELATED), pk=pk)


def detail(request, pk: int) -> dict:
    case = get_object_or_404(
        Case.objects.select_related(*DETAIL_RELATED).prefetch_related(
            "attachments", "extension_requests", "assisting"
        ),
        pk=pk,
    )
    return s.CaseDetailSerializer(case, context={"request": request}).data


def _place(data: dict) -> dict:
    return {key: data.get(key) for key in ("lng", "lat", "crs", "building", "unit", "area", "address")}


def _intake_answer(result, *, follow_token: str | None) -> Response:
    """201 with the new case's row, or 200 with the case a retried Idempotency-Key made first."""
    case = (
        Case.objects.select_related(*LIST_RELATED).get(pk=result.case.pk)
        if not result.created
        else result.case
    )
    body = s.IntakeResultSerializer(
        case, context={"created": result.created, "follow_token": follow_token}
    ).data
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 64:
        raise ValidationError({"Idempotency-Key": [_("At most 64 characters.")]})
    return f"api:{request.user.pk}:{key}" if key else None


@extend_schema(tags=["cases"])
class CaseList(ApiListView):
    """Cases the caller may see (their scope's, their department's, their own reports), newest first."""

    serializer_class = s.CaseListSerializer

    def get_queryset(self):
        qs = visible(self.request).select_related(*LIST_RELATED)
        return filter_cases(qs, self.request.query_params).order_by("-reported_at", "-id")

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Take a case in (intake)",
        request=s.IntakeSerializer,
        responses={201: s.IntakeResultSerializer, 200: s.IntakeResultSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        """Report a case through any channel the caller may use (hotline, patrol, petition desk, …).
        Answers 201 with the new case, or 200 with the first one for a retried Idempotency-Key."""
        form = s.IntakeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result = case_services.intake(
            channel=data["channel"],
            description=data["description"],
            title=data["title"],
            category=data.get("category"),
            kind=data.get("kind"),
            is_errand=data["is_errand"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            photos=data["photos"],
            by=request.user,
            client_key=_idempotency_key(request),
            **_place(data),
        )
        return _intake_answer(result, follow_token=result.token)


@extend_schema(tags=["cases"])
class SettleOnSpot(ApiView):
    @extend_schema(
        summary="Record a matter settled on the spot (一般性) as a closed case",
        request=s.SettleOnSpotSerializer,
        responses={201: s.IntakeResultSerializer, 200: s.IntakeResultSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        form = s.SettleOnSpotSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result = case_services.settle_on_spot(
            by=request.user,
            description=data["description"],
            result=data["result"],
            category=data.get("category"),
            photos=data["photos"],
            client_key=_idempotency_key(request),
            **_place(data),
        )
        return _intake_answer(result, follow_token=None)


@extend_schema(
    tags=["cases"],
    parameters=[
        OpenApiParameter("description", OpenApiTypes.STR),
        OpenApiParameter("category", OpenApiTypes.STR, description="Category code."),
        OpenApiParameter("lng", OpenApiTypes.DOUBLE),
        OpenApiParameter("lat", OpenApiTypes.DOUBLE),
        OpenApiParameter("grid", OpenApiTypes.STR, description="Grid code."),
        OpenApiParameter("address", OpenApiTypes.STR),
    ],
    responses=s.CaseListSerializer(many=True),
)
class PossibleDuplicates(ApiView):
    """Open cases that look like the one being entered (the hotline's warning), among those the
    caller may see."""

    def get(self, request):
        params = request.query_params
        bad = sorted(k for k in ("category", "description", "grid", "address") if "\x00" in params.get(k, ""))
        if bad:  # PostgreSQL stores and compares no NUL character: a clear 400, not a server error
            raise ValidationError({k: [_("Null characters are not allowed.")] for k in bad})
        form = s.PlaceMixin(data={k: params.get(k) for k in ("lng", "lat") if params.get(k)})
        form.is_valid(raise_exception=True)
        category = params.get("category") or None
        if category and not Category.objects.filter(code=category).exists():
            raise ValidationError({"category": [pgettext("api", "Unknown category.")]})
        grid = Area.objects.filter(code=params["grid"]).first() if params.get("grid") else None
        found = case_services.find_possible_duplicates(
            category=category,
            description=params.get("description", ""),
            lng=form.validated_data.get("lng"),
            lat=form.validated_data.get("lat"),
            grid=grid,
            address=params.get("address", ""),
        )
        ids = [c.pk for c in found]
        cases = visible(request).filter(pk__in=ids).select_related(*LIST_RELATED).order_by("-reported_at")
        return Response(s.CaseListSerializer(cases, many=True).data)


@extend_schema(tags=["cases"], responses=s.CaseDetailSerializer)
class CaseDetail(ApiView):
    """One case with its whole timeline, photos, pending extension requests and the actions the
    caller can take now."""

    def get(self, request, pk: int):
        get_case(request, pk)
        return Response(detail(request, pk))


@extend_schema(tags=["cases"], responses=s.ContactSerializer)
class CaseContact(ApiView):
    """The reporter's contact details unmasked: for staff who work the case in its area; every call
    is written to the personal-data access log."""

    def get(self, request, pk: int):
        case = get_case(request, pk)
        if not case_policy.can_view_contact(request.user, case):
            raise PermissionDenied(_("You may not see this reporter's contact details."))
        pii.log_unmasked_view(
            user=request.user,
            subject=case,
            fields=["contact_name", "contact_phone", "contact_email"],
            reason="API: case contact",
            request=request,
        )
        return Response(
            {
                "contact_name": case.contact_name,
                "contact_phone": case.contact_phone,
                "contact_email": case.contact_email,
            }
        )


# --- transitions: one endpoint per action --------------------------------------------------------


class CaseAction(ApiView):
    """POST the action's fields with `expected_version`; answers with the updated case."""

    conflict_possible = True
    form_class: type[serializers.Serializer]
    run = staticmethod(lambda case, user, data: None)  # set by action(): the service call

    def post(self, request, pk: int):
        case = get_case(request, pk)
        form = self.form_class(data=request.data)
        form.is_valid(raise_exception=True)
        type(self).run(case, request.user, form.validated_data)
        return Response(detail(request, pk))


def action(name: str, form_class, summary: str, perform):
    """A CaseAction subclass for one service function, documented as its own operation."""

    def post(self, request, pk: int):
        return CaseAction.post(self, request, pk)

    post.__doc__ = summary
    documented = extend_schema(
        tags=["case actions"],
        operation_id=f"cases_{name}",
        summary=summary,
        request=form_class,
        responses=s.CaseDetailSerializer,
    )(post)
    class_name = "Case" + name.title().replace("_", "")
    return type(
        class_name,
        (CaseAction,),
        {"form_class": form_class, "run": staticmethod(perform), "post": documented},
    )


def _v(data) -> int:
    return data["expected_version"]


def _decide_extension(case, user, data):
    request = ExtensionRequest.objects.filter(pk=data["request"], case=case).first()
    if request is None:
        raise ValidationError({"request": [_("No such extension request on this case.")]})
    case_services.decide_extension(
        request, user, grant=data["grant"], note=data["note"], expected_version=_v(data)
    )


def _merge(case, user, data):
    main = visible_case_or_400(user, data["into"])
    case_services.merge([case], main, user, note=data["note"])


def visible_case_or_400(user, pk: int) -> Case:
    main = case_policy.visible_cases(user, Case.objects.all()).filter(pk=pk).first()
    if main is None:
        raise ValidationError({"into": [_("No such case among those you can see.")]})
    return main


ACTIONS = {
    "register": action(
        "register",
        s.RegisterSerializer,
        "Register (立案) a submitted case, optionally correcting its category or kind",
        lambda c, u, d: case_services.register(
            c, u, category=d.get("category"), kind=d.get("kind"), note=d["note"], expected_version=_v(d)
        ),
    ),
    "not-accept": action(
        "not_accept",
        s.ReasonSerializer,
        "Not accept (不予受理), with a reason the reporter sees",
        lambda c, u, d: case_services.not_accept(c, u, d["reason"], expected_version=_v(d)),
    ),
    "dispatch": action(
        "dispatch",
        s.DispatchSerializer,
        "Dispatch (派遣) to a lead department with optional assisting ones",
        lambda c, u, d: case_services.dispatch(
            c,
            u,
            d["department"],
            assisting=d["assisting"],
            note=d["note"],
            category=d.get("category"),
            expected_version=_v(d),
        ),
    ),
    "accept": action(
        "accept",
        s.NoteSerializer,
        "Accept: the handler takes the case on (the response)",
        lambda c, u, d: case_services.accept(c, u, note=d["note"], expected_version=_v(d)),
    ),
    "return": action(
        "return_to_dispatcher",
        s.ReasonSerializer,
        "Return to the dispatcher (退单): not this department's matter",
        lambda c, u, d: case_services.return_to_dispatcher(c, u, d["reason"], expected_version=_v(d)),
    ),
    "request-extension": action(
        "request_extension",
        s.ExtensionAskSerializer,
        "Ask for an extension (延期) of so many working hours",
        lambda c, u, d: case_services.request_extension(
            c, u, d["hours"], d["reason"], expected_version=_v(d)
        ),
    ),
    "decide-extension": action(
        "decide_extension",
        s.ExtensionDecisionSerializer,
        "Grant or refuse a pending extension request",
        _decide_extension,
    ),
    "put-on-hold": action(
        "put_on_hold",
        s.HoldSerializer,
        "Put on hold (挂账) until a review date; the clock stops",
        lambda c, u, d: case_services.put_on_hold(
            c, u, until=d["until"], reason=d["reason"], expected_version=_v(d)
        ),
    ),
    "resume": action(
        "resume",
        s.NoteSerializer,
        "Resume a case on hold",
        lambda c, u, d: case_services.resume(c, u, note=d["note"], expected_version=_v(d)),
    ),
    "mark-handled": action(
        "mark_handled",
        s.HandledSerializer,
        "Mark handled: record the result (and photos), fed back to the reporter",
        lambda c, u, d: case_services.mark_handled(
            c, u, d["result"], photos=d["photos"], expected_version=_v(d)
        ),
    ),
    "verify": action(
        "verify",
        s.VerifySerializer,
        "Verify (核查): pass closes the case, fail sends it back as rework",
        lambda c, u, d: case_services.verify(
            c, u, passed=d["passed"], note=d["note"], photos=d["photos"], expected_version=_v(d)
        ),
    ),
    "rate": action(
        "rate",
        s.RateSerializer,
        "Rate a closed case (回访评价); unsatisfied reopens it once",
        lambda c, u, d: case_services.rate(
            c, u, rating=d["rating"], comment=d["comment"], expected_version=_v(d)
        ),
    ),
    "reopen": action(
        "reopen",
        s.RequiredNoteSerializer,
        "Reopen a closed case (supervisor)",
        lambda c, u, d: case_services.reopen(c, u, note=d["note"], expected_version=_v(d)),
    ),
    "escalate": action(
        "escalate",
        s.NoteSerializer,
        "Escalate one level up the chain",
        lambda c, u, d: case_services.escalate(c, u, note=d["note"], expected_version=_v(d)),
    ),
    "supervise": action(
        "supervise",
        s.SuperviseSerializer,
        "Issue a supervision order (督办)",
        lambda c, u, d: case_services.supervise(
            c, u, note=d["note"], due=d.get("due"), expected_version=_v(d)
        ),
    ),
    "merge": action(
        "merge", s.MergeSerializer, "Merge this case (合并) into a main case it duplicates", _merge
    ),
    "flag-for-deliberation": action(
        "flag_for_deliberation",
        s.RequiredNoteSerializer,
        "Flag for resident deliberation (集中突出)",
        lambda c, u, d: case_services.flag_for_deliberation(c, u, note=d["note"], expected_version=_v(d)),
    ),
}


@extend_schema(tags=["cases"])
class CaseComments(ApiView):
    conflict_possible = True

    @extend_schema(request=s.CommentSerializer, responses={201: s.EventSerializer})
    def post(self, request, pk: int):
        """Add a comment to the timeline (public ones are shown to the reporter)."""
        case = get_case(request, pk)
        form = s.CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        event = case_services.comment(
            case,
            request.user,
            data["text"],
            public=data["public"],
            expected_version=data.get("expected_version"),
        )
        return Response(
            s.EventSerializer(event, context={"reporter_user_id": case.reporter_user_id}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["cases"])
class CaseAttachments(ApiView):
    conflict_possible = True

    @extend_schema(responses=s.AttachmentSerializer(many=True))
    def get(self, request, pk: int):
        """The case's photos."""
        case = get_case(request, pk)
        attachments = Attachment.objects.filter(case=case).order_by("at", "id")
        return Response(s.AttachmentSerializer(attachments, many=True, context={"request": request}).data)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentUploadSerializer}, responses={201: s.AttachmentSerializer}
    )
    def post(self, request, pk: int):
        """Upload a photo (multipart): images only, size capped, metadata stripped, as on the web page."""
        case = get_case(request, pk)
        form = s.AttachmentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        attachment = case_services.add_attachment(
            case, request.user, data["file"], kind=data["kind"], expected_version=data.get("expected_version")
        )
        return Response(
            s.AttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
