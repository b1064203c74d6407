"""Intake forms: the resident's one-step report, the grid worker's field report, the hotline and
petition desk. They check what people type and hand clean values to cases/services/ (which
checks permission and writes); photos are checked here with the same `photos.clean_photo` the
services use, so a bad file is refused with a message on its own field and nothing is saved.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area, Level

from . import photos as photo_checks
from .workflow import Channel, Rating

CLIENT_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


def new_client_key() -> str:
    """A fresh idempotency key, put in a hidden field when the form is shown."""
    return uuid.uuid4().hex


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; each is checked (image type, size, readable), its EXIF location read
    and its metadata stripped by `photos.clean_photo`. Cleans to a list of `CleanPhoto`."""

    widget = MultiplePhotoInput

    def __init__(self, *args, max_photos: int = photo_checks.MAX_PHOTOS, **kwargs):
        self.max_photos = max_photos
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp")

    def clean(self, data, initial=None):
        uploads = [d for d in (data if isinstance(data, (list, tuple)) else [data]) if d]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > self.max_photos:
            raise ValidationError(
                _("Attach at most %(count)d photos.") % {"count": self.max_photos}, code="too_many"
            )
        cleaned, errors = [], []
        for upload in uploads:
            name = getattr(upload, "name", "") or _("a file")
            try:
                cleaned.append(photo_checks.clean_photo(upload))
            except ValidationError as exc:
                errors.extend(f"{name}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors, code="invalid_photo")
        return cleaned


class ClientKeyField(forms.CharField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=64, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        # A missing or malformed key (an old page, a script) still reports; it just isn't idempotent.
        return value if CLIENT_KEY_RE.match(value or "") else new_client_key()


def clean_phone(value: str) -> str:
    value = (value or "").strip()
    if value and not PHONE_RE.match(value):
        raise ValidationError(_("Enter a phone number of digits only, such as 13812345678 or 0571-87654321."))
    return value


class PlaceMixin(forms.Form):
    """Where the problem is: the browser's location (WGS84), a building or unit picked from a list
    narrowed by community (or by the user's own areas), or a typed address within an area."""

    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    building = forms.ModelChoiceField(
        Area.objects.filter(level=Level.BUILDING), required=False, label=_("Building")
    )
    unit = forms.ModelChoiceField(Area.objects.filter(level=Level.UNIT), required=False, label=_("Unit"))
    address = forms.CharField(
        required=False,
        max_length=200,
        label=_("Address or landmark"),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    # The field that holds the area the building list is narrowed by ("community" or "area").
    area_field = "area"

    def clean_place(self, data: dict) -> None:
        """Check the place fields together; sets data["place_area"] (the narrowing area or None)."""
        lng, lat = data.get("lng"), data.get("lat")
        if (lng is None) != (lat is None):
            self.add_error(None, _("The location came through incomplete. Tap “Use my location” again."))
            data["lng"] = data["lat"] = None
        area = data.get(self.area_field)
        building, unit = data.get("building"), data.get("unit")
        if unit is not None:
            if building is not None and unit.parent_id != building.pk:
                self.add_error("unit", _("This unit is not in the building you picked."))
            building = building or unit.parent
        if building is not None and area is not None and not building.path.startswith(area.path):
            self.add_error("building", _("This building is not in the area you picked."))
        data["place_area"] = area

    def has_place(self, data: dict, photos=()) -> bool:
        return bool(
            (data.get("lng") is not None and data.get("lat") is not None)
            or data.get("building")
            or data.get("unit")
            or data.get(self.area_field)
            or any(p.lng is not None for p in photos)
        )

    def place_kwargs(self) -> dict:
        """Keyword arguments for services.intake / settle_on_spot."""
        d = self.cleaned_data
        area, building, unit = d.get(self.area_field), d.get("building"), d.get("unit")
        # A steward's unit or a building leader's building is the place itself, not just an area.
        if area is not None and area.level == Level.UNIT and unit is None:
            unit, area = area, None
        elif area is not None and area.level == Level.BUILDING and building is None and unit is None:
            building, area = area, None
        return {
            "lng": d.get("lng"),
            "lat": d.get("lat"),
            "crs": "wgs84",  # the browser's geolocation gives WGS84
            "building": building,
            "unit": unit,
            "area": area,
            "address": d.get("address", ""),
        }


class ContactMixin(forms.Form):
    contact_name = forms.CharField(
        required=False,
        max_length=50,
        label=_("What should we call you?"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        required=False,
        max_length=20,
        label=_("Phone"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = forms.EmailField(
        required=False, label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data.get("contact_phone"))

    def contact_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "contact_name": d.get("contact_name", "").strip(),
            "contact_phone": d.get("contact_phone", ""),
            "contact_email": d.get("contact_email", ""),
        }


class ReportForm(PlaceMixin, ContactMixin):
    """The resident's one-step report (一键上报): no account needed."""

    description = forms.CharField(
        max_length=4000,
        label=_("What is the problem?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the problem in a few words.")},
    )
    photos = PhotosField(label=_("Photos"))
    community = forms.ModelChoiceField(
        Area.objects.filter(level=Level.COMMUNITY), required=False, label=_("Community")
    )
    client_key = ClientKeyField()

    area_field = "community"
    field_order = [
        "description",
        "photos",
        "lng",
        "lat",
        "community",
        "building",
        "unit",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
        "client_key",
    ]

    def clean(self):
        data = super().clean()
        self.clean_place(data)
        if data.get("address", "").strip() and not (
            data.get("community") or data.get("building") or data.get("unit") or data.get("lng") is not None
        ):
            self.add_error("community", _("Choose the community too, so that the right people get it."))
        elif "photos" in data and not self.has_place(data, data.get("photos") or ()):
            self.add_error(
                None,
                _(
                    "Say where the problem is: tap “Use my location”, pick the building, "
                    "or choose the community and type the address."
                ),
            )
        return data


class AreaChoiceField(forms.ModelChoiceField):
    """An area among the ones given (the user's own grids, their community's or street's areas)."""

    def __init__(self, areas, **kwargs):
        self.areas = list(areas)
        super().__init__(Area.objects.filter(pk__in=[a.pk for a in self.areas]), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        by_id = {str(a.pk): a for a in self.areas}
        area = by_id.get(str(value))
        if area is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return area


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def category_field(label=None) -> CategoryChoiceField:
    from .models import Category

    return CategoryChoiceField(
        Category.objects.filter(active=True, parent__isnull=False).select_related("parent"),
        required=False,
        label=label or _("Category"),
        empty_label=_("— suggested from the description —"),
    )


class FieldReportForm(PlaceMixin, ContactMixin):
    """A grid worker's (or steward's, building leader's) report from a patrol or household visit."""

    REPORT, SETTLED, ERRAND = "report", "settled", "errand"
    MODES = (
        (REPORT, _("Report a problem for handling")),
        (SETTLED, _("Settled on the spot (general matter)")),
        (ERRAND, _("Errand for a resident (便民代办)")),
    )
    CHANNELS = (
        (Channel.GRID_PATROL, Channel.GRID_PATROL.label),
        (Channel.HOUSEHOLD_VISIT, Channel.HOUSEHOLD_VISIT.label),
    )

    mode = forms.ChoiceField(choices=MODES, initial=REPORT, widget=forms.RadioSelect, label=_("What is it?"))
    channel = forms.ChoiceField(
        choices=CHANNELS, initial=Channel.GRID_PATROL, widget=forms.RadioSelect, label=_("Found on")
    )
    description = forms.CharField(
        max_length=4000,
        label=_("What is the matter?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Describe the matter in a few words.")},
    )
    result = forms.CharField(
        required=False, max_length=2000, label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2})
    )
    emergency = forms.BooleanField(
        required=False, label=_("Emergency: alert community, street and district at once")
    )
    photos = PhotosField(label=_("Photos"))
    client_key = ClientKeyField()

    def __init__(self, *args, areas=(), steward: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if steward:  # a unit steward or building leader reports as such (their own level of the chain)
            channel = self.fields["channel"]
            assert isinstance(channel, forms.ChoiceField)
            channel.choices = [(Channel.STEWARD, Channel.STEWARD.label)]
            self.fields["channel"].initial = Channel.STEWARD
        self.fields["area"] = AreaChoiceField(areas, required=False, label=_("Area"), empty_label=None)
        self.fields["category"] = category_field()
        self.fields["contact_name"].label = _("Resident's name")
        self.fields["contact_phone"].label = _("Resident's phone")
        del self.fields["contact_email"]

    def clean(self):
        data = super().clean()
        self.clean_place(data)
        mode = data.get("mode")
        if mode == self.SETTLED and not (data.get("result") or "").strip():
            self.add_error("result", _("Say what was done on the spot."))
        if "photos" in data and not self.has_place(data, data.get("photos") or ()):
            self.add_error("area", _("Pick the area, or use your location."))
        return data


class DeskForm(PlaceMixin, ContactMixin):
    """The hotline operator's and petition desk's entry for a caller or a letter."""

    CHANNELS = tuple(
        (c.value, c.label)
        for c in (
            Channel.HOTLINE,
            Channel.PETITION_LETTER,
            Channel.PETITION_VISIT,
            Channel.PETITION_ONLINE,
            Channel.DEPARTMENT_TRANSFER,
        )
    )

    channel = forms.ChoiceField(choices=CHANNELS, label=_("Channel"))
    external_ref = forms.CharField(
        required=False,
        max_length=40,
        label=_("Ticket or letter number"),
        help_text=_("The 12345 ticket, the letter's or the transferring department's number, if any."),
    )
    description = forms.CharField(
        max_length=4000,
        label=_("What the caller or letter says"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write down what the caller or letter says.")},
    )
    emergency = forms.BooleanField(
        required=False, label=_("Emergency: alert community, street and district at once")
    )
    client_key = ClientKeyField()
    # Set once the operator has seen the possible duplicates and still wants a new case.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, areas=(), channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"] = AreaChoiceField(
            areas,
            required=True,
            label=_("Area"),
            error_messages={"required": _("Pick the area the matter is in.")},
        )
        self.fields["category"] = category_field()
        if channels is not None:
            self.fields["channel"].choices = [c for c in self.CHANNELS if c[0] in channels]
        self.fields["contact_name"].label = _("Caller's or writer's name")
        self.fields["contact_phone"].label = _("Caller's phone")
        self.order_fields(
            [
                "channel",
                "external_ref",
                "contact_name",
                "contact_phone",
                "contact_email",
                "description",
                "category",
                "area",
                "building",
                "unit",
                "address",
                "emergency",
            ]
        )

    def clean(self):
        data = super().clean()
        self.clean_place(data)
        return data


class RatingForm(forms.Form):
    """回访评价: the reporter's rating of a closed case."""

    rating = forms.ChoiceField(
        choices=Rating.choices,
        widget=forms.RadioSelect,
        label=_("How satisfied are you with the result?"),
        error_messages={"required": _("Choose satisfied, basically satisfied or unsatisfied.")},
    )
    comment = forms.CharField(
        required=False, max_length=300, label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("rating") == Rating.UNSATISFIED and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Tell us what is still wrong, so that it can be put right."))
        return data
