"""Cases as the staff screens show them: the list row, the detail with its timeline, and the
inputs of intake and of each action. Contact details are masked here; unmasking is its own
endpoint (checked and logged)."""

from __future__ import annotations

import copy

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.areas.models import Area, Level
from civicgrid.cases import policy as case_policy
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Attachment, Case, CaseEvent, Category, ExtensionRequest
from civicgrid.cases.photos import MAX_PHOTOS
from civicgrid.cases.workflow import AttachmentKind, Channel, Kind, Rating, State, action_label
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

# --- output ----------------------------------------------------------------------------------------


class TimeLeftSerializer(serializers.Serializer):
    due = serializers.DateTimeField(allow_null=True)
    which = serializers.CharField(help_text="respond, resolve, or empty when no clock runs")
    colour = serializers.CharField(help_text="green, amber (last 20% of the time), red (overdue), or empty")
    share_left = serializers.FloatField(allow_null=True)


def _time_left(case: Case) -> dict:
    status = case.time_left()
    return {
        "due": status.due,
        "which": status.which,
        "colour": status.colour,
        "share_left": status.share_left,
    }


def _fresh(field):
    """A copy of an unbound field for one serializer to bind. DRF deep-copies a field by calling
    its __init__ again (most of the cost of making a serializer); a field without child fields
    keeps nothing a serializer changes but what bind() sets, so a shallow copy is a fresh field.
    Fields with children (lists, nested serializers, many-related) are deep-copied as DRF does:
    binding one rebinds its child."""
    if (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    ):
        return copy.deepcopy(field)
    return copy.copy(field)


class BuiltOnceMixin:
    """A ModelSerializer works out its fields from the model each time one is made (half of the
    cost of serialising one case), a Serializer deep-copies its declared ones: this works them out
    once per class and hands out fresh copies (`_fresh`)."""

    def get_fields(self):
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return {name: _fresh(field) for name, field in cls._built_fields.items()}


class CaseListSerializer(BuiltOnceMixin, serializers.ModelSerializer):
    ref = serializers.CharField(read_only=True, help_text="Public reference code (also the Open311 id).")
    state_name = serializers.SerializerMethodField()
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    time_left = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "ref",
            "version",
            "state",
            "state_name",
            "kind",
            "channel",
            "level",
            "category",
            "category_name",
            "department",
            "department_name",
            "title",
            "path",
            "address",
            "reported_at",
            "respond_due",
            "resolve_due",
            "closed_at",
            "time_left",
            "public",
        ]
        read_only_fields = fields

    def get_state_name(self, case) -> str:
        return str(State(case.state).label)

    @extend_schema_field(TimeLeftSerializer)
    def get_time_left(self, case):
        return _time_left(case)


class EventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "action", "label", "from_state", "to_state", "note", "public", "actor"]
        read_only_fields = fields

    def get_label(self, event) -> str:
        return action_label(event.action)

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event):
        """Who acted: a member of staff's display name; null for the system and for the reporter."""
        user = event.actor
        if user is None or event.actor_id == self.context.get("reporter_user_id"):
            return None
        return user.get_full_name() or user.get_username()


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "url", "content_type", "size", "width", "height", "kind", "at"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        request = self.context.get("request")
        url = reverse("cases:photo", args=[attachment.pk])
        return request.build_absolute_uri(url) if request else url


class ExtensionRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtensionRequest
        fields = ["id", "hours", "reason", "requested_at", "status", "decided_at", "decision_note"]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    building = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    contact_name = serializers.CharField(source="masked_contact_name", read_only=True)
    contact_phone = serializers.CharField(source="masked_contact_phone", read_only=True)
    timeline = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    extension_requests = ExtensionRequestSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "description",
            "lng",
            "lat",
            "grid",
            "building",
            "unit",
            "assisting",
            "suggested_department",
            "result",
            "not_accepted_reason",
            "rating",
            "rating_comment",
            "hold_until",
            "merged_into",
            "reopen_count",
            "rework_count",
            "contact_name",
            "contact_phone",
            "registered_at",
            "dispatched_at",
            "responded_at",
            "handled_at",
            "verified_at",
            "timeline",
            "attachments",
            "extension_requests",
            "available_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, case):
        """Every event for staff; only the public ones for the reporting resident."""
        user = self.context["request"].user
        events = list(case.events.select_related("actor").order_by("at", "id"))
        if case_policy.is_reporter(user, case) and not people_policy.roles(user) - {Role.RESIDENT}:
            events = [e for e in events if e.public]
        return EventSerializer(events, many=True, context={"reporter_user_id": case.reporter_user_id}).data

    def get_available_actions(self, case) -> list[str]:
        return case_policy.available_actions(self.context["request"].user, case)


class ContactSerializer(serializers.Serializer):
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    contact_email = serializers.CharField()


# --- input -----------------------------------------------------------------------------------------


# A serializer copies its fields for every request (DRF's deepcopy re-runs each field's __init__):
# the relational fields below build their querysets only when one is used, not on every copy.


class CategoryField(serializers.SlugRelatedField):
    """An active category by its code, found in the per-process catalogue of cases (a query only
    for a code the catalogue does not hold)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return Category.objects.filter(active=True)

    def to_internal_value(self, data):
        if isinstance(data, str | int) and not isinstance(data, bool):
            found = case_services.categories_by_code().get(str(data))
            if found is not None:
                if not found.active:
                    self.fail("does_not_exist", slug_name=self.slug_field, value=data)
                return found
        return super().to_internal_value(data)


class AreaCodeField(serializers.SlugRelatedField):
    def __init__(self, levels=None, **kwargs):
        kwargs.setdefault("slug_field", "code")
        self.levels = levels
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = Area.objects.all()
        return queryset.filter(level__in=self.levels) if self.levels else queryset


class DepartmentField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Department.objects.filter(active=True))
        super().__init__(**kwargs)


class PlaceMixin(BuiltOnceMixin, serializers.Serializer):
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=["wgs84", "gcj02"], default="wgs84")
    building = AreaCodeField(levels=[Level.BUILDING], required=False, allow_null=True)
    unit = AreaCodeField(levels=[Level.UNIT], required=False, allow_null=True)
    area = AreaCodeField(
        required=False, allow_null=True, help_text="Any area code, e.g. a grid or a community."
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, data):
        data = super().validate(data)
        if (data.get("lng") is None) != (data.get("lat") is None):
            raise serializers.ValidationError({"lat": [_("lng and lat go together.")]})
        return data


class IntakeSerializer(PlaceMixin):
    channel = serializers.ChoiceField(choices=Channel.choices)
    description = serializers.CharField(max_length=4000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    category = CategoryField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    is_errand = serializers.BooleanField(default=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, default=list
    )


class IntakeResultSerializer(CaseListSerializer):
    """What intake answers: the case's row (its detail is one GET away), whether it was made now or
    found (a retried Idempotency-Key), and the private follow token for the reporter."""

    description = serializers.CharField(read_only=True)
    result = serializers.CharField(read_only=True)
    created = serializers.SerializerMethodField()
    follow_token = serializers.SerializerMethodField(
        help_text="The private follow link's token, for the reporter (only when the case was made now)."
    )

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + ["description", "result", "created", "follow_token"]
        read_only_fields = fields

    def get_created(self, case) -> bool:
        return self.context["created"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_follow_token(self, case):
        return self.context.get("follow_token") if self.context["created"] else None


class SettleOnSpotSerializer(PlaceMixin):
    description = serializers.CharField(max_length=4000)
    result = serializers.CharField(max_length=4000)
    category = CategoryField(required=False, allow_null=True)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, default=list
    )


class VersionedSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        min_value=1, help_text="The case's `version` as you read it; 409 if it has changed since."
    )


class NoteSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RequiredNoteSerializer(VersionedSerializer):
    note = serializers.CharField(max_length=2000)


class ReasonSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=300)


class RegisterSerializer(NoteSerializer):
    category = CategoryField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)


class DispatchSerializer(NoteSerializer):
    department = DepartmentField()
    assisting = DepartmentField(many=True, required=False, default=list)
    category = CategoryField(required=False, allow_null=True)


class ExtensionAskSerializer(ReasonSerializer):
    hours = serializers.IntegerField(min_value=1, max_value=400, help_text="Extra working hours.")


class ExtensionDecisionSerializer(NoteSerializer):
    request = serializers.IntegerField(min_value=1, help_text="The id of the pending extension request.")
    grant = serializers.BooleanField()


class HoldSerializer(ReasonSerializer):
    until = serializers.DateField(help_text="Review date (in the future).")

    def validate_until(self, value):
        if value <= timezone.localdate():
            raise serializers.ValidationError(pgettext("api", "Pick a review date in the future."))
        return value


class HandledSerializer(VersionedSerializer):
    result = serializers.CharField(max_length=4000)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, default=list
    )


class VerifySerializer(NoteSerializer):
    passed = serializers.BooleanField()
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, default=list
    )


class RateSerializer(VersionedSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class SuperviseSerializer(RequiredNoteSerializer):
    due = serializers.DateTimeField(required=False, allow_null=True)


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="The id of the main case this one duplicates.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CommentSerializer(VersionedSerializer):
    text = serializers.CharField(max_length=2000)
    public = serializers.BooleanField(default=False, help_text="Shown to the reporter when true.")
    expected_version = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG or WebP photo; metadata is stripped.")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, default=AttachmentKind.REPORT)
    expected_version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
