"""The phone forms. Each carries a client key made when the form is shown (or by the phone when it
queues an item offline), so that the server can tell a resend from a new item."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Household
from civicgrid.cases.models import Category
from civicgrid.cases.photos import MAX_PHOTOS, clean_photo
from civicgrid.core.pii import mask_name

from .models import ConsentWay, HouseholdType, Met, Period


def new_client_key() -> str:
    return str(uuid.uuid4())


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked by cases/photos.py (type, size, EXIF stripped)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "multiple": True})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS})
        return [clean_photo(f) for f in files]


class KeyedForm(forms.Form):
    client_key = forms.CharField(max_length=64, widget=forms.HiddenInput, required=False)


def household_label(h: Household, head: str | None) -> str:
    unit = h.unit
    building = unit.parent if unit.parent_id else None
    place = f"{building.name if building else ''}{unit.name}{h.number}"
    return f"{place} · {mask_name(head)}" if head else place


def household_choices(households, heads: dict[int, str]) -> list[tuple[str, str]]:
    return [(str(h.pk), household_label(h, heads.get(h.pk))) for h in households]


class HouseholdChoiceField(forms.ChoiceField):
    """A household of the worker's grid, shown masked (room and the head's masked name)."""

    def __init__(self, households, heads, **kwargs):
        households = list(households)
        self.by_id = {str(h.pk): h for h in households}
        super().__init__(choices=[("", "—"), *household_choices(households, heads)], **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.by_id.get(value) if value else None


class HouseholdsField(forms.MultipleChoiceField):
    def __init__(self, households, heads, **kwargs):
        households = list(households)
        self.by_id = {str(h.pk): h for h in households}
        super().__init__(choices=household_choices(households, heads), **kwargs)

    def clean(self, value):
        return [self.by_id[v] for v in super().clean(value)]


class UnitChoiceField(forms.ChoiceField):
    def __init__(self, units, **kwargs):
        units = list(units)
        self.by_id = {str(u.pk): u for u in units}
        choices = [("", _("— the grid as a whole —"))] + [
            (str(u.pk), f"{u.parent.name}{u.name}") for u in units
        ]
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.by_id.get(value) if value else None


def category_field():
    return forms.ModelChoiceField(
        Category.objects.filter(active=True, parent__isnull=False).select_related("parent").order_by("code"),
        required=False,
        label=_("Category"),
        empty_label=pgettext_lazy("fieldwork", "— suggested from the description —"),
    )


class VisitForm(KeyedForm):
    NEED_ACTIONS = (
        ("none", _("Nothing to hand on")),
        ("case", _("Make it a case for handling")),
        ("errand", _("Run it as an errand for the resident (便民代办)")),
    )
    visited_on = forms.DateField(label=_("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"}))
    met = forms.ChoiceField(choices=Met.choices, label=_("Who was met"), widget=forms.RadioSelect)
    heard = forms.CharField(
        label=_("What was heard"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(
        label=_("Needs raised"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    need_action = forms.ChoiceField(
        choices=NEED_ACTIONS, initial="none", label=_("The need"), widget=forms.RadioSelect, required=False
    )
    consent_way = forms.ChoiceField(
        choices=[("", "—"), *ConsentWay.choices], required=False, label=_("Resident's consent to the errand")
    )
    follow_up = forms.CharField(label=pgettext_lazy("fieldwork", "Follow-up"), required=False, max_length=500)
    follow_up_on = forms.DateField(
        label=_("Follow up by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    photos = PhotosField(label=_("Photos (go with the case or errand)"))

    def __init__(self, *args, households=(), heads=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"] = HouseholdChoiceField(
            list(households),
            heads or {},
            label=_("Household"),
            error_messages={
                "invalid_choice": _(
                    "This household is not in your grid; you can record visits only in your own grid."
                )
            },
        )
        self.fields["category"] = category_field()
        self.fields["visited_on"].initial = timezone.localdate()


class DiaryForm(KeyedForm):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(
        label=pgettext_lazy("fieldwork", "Notes"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, households=(), heads=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"] = HouseholdsField(
            households,
            heads or {},
            required=False,
            label=_("Households concerned"),
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )
        self.fields["day"].initial = timezone.localdate()


class ReportForm(KeyedForm):
    description = forms.CharField(
        label=pgettext_lazy("fieldwork", "What is the matter?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": pgettext_lazy("fieldwork", "Describe the matter in a few words.")},
    )
    settled = forms.BooleanField(
        label=pgettext_lazy("fieldwork", "Settled on the spot (general matter)"), required=False
    )
    result = forms.CharField(label=_("What was done"), required=False, max_length=2000)
    emergency = forms.BooleanField(
        label=_("Emergency: alert community, street and district at once"), required=False
    )
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    patrol_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    photos = PhotosField(label=_("Photos"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = category_field()
        self.fields["unit"] = UnitChoiceField(units, required=False, label=_("Building and unit"))

    def clean(self):
        data = super().clean()
        if data.get("settled") and not (data.get("result") or "").strip():
            self.add_error("result", pgettext_lazy("fieldwork", "Say what was done on the spot."))
        return data


class PatrolForm(KeyedForm):
    at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=pgettext_lazy("fieldwork", "Note"), required=False, max_length=500)


class ErrandForm(KeyedForm):
    request = forms.CharField(
        label=_("What the resident asked for"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    consent_way = forms.ChoiceField(
        choices=[("", "—"), *ConsentWay.choices],
        label=_("How the resident gave their consent"),
        error_messages={
            "required": _("Record how the resident gave their consent before running an errand for them.")
        },
    )
    consent_note = forms.CharField(label=_("Consent note"), required=False, max_length=200)

    def __init__(self, *args, households=(), heads=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"] = HouseholdChoiceField(list(households), heads or {}, label=_("Household"))
        self.fields["category"] = category_field()


class QuotaForm(forms.Form):
    household_type = forms.ChoiceField(choices=HouseholdType.choices, widget=forms.HiddenInput)
    period = forms.ChoiceField(choices=Period.choices, label=pgettext_lazy("fieldwork", "Period"))
    visits = forms.IntegerField(min_value=1, max_value=31, label=_("Visits"))
