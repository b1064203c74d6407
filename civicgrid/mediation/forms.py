"""Forms of the mediation pages; they only clean input, the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .workflow import (
    Channel,
    ConfirmMethod,
    DisputeType,
    FollowUpMethod,
    JudicialResult,
    PartyKind,
    PartySide,
    Performance,
    Pool,
    Route,
    SessionOutcome,
    Urgency,
)

PARTY_ROWS = 4
SCHEDULE_ROWS = 3


class IntakeForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"))
    channel = forms.ChoiceField(label=_("Came in"), choices=Channel.choices, initial=Channel.WALK_IN)
    channel_ref = forms.CharField(label=_("Referral number (police, court)"), max_length=60, required=False)
    dispute_type = forms.ChoiceField(label=_("Type"), choices=DisputeType.choices)
    summary = forms.CharField(label=_("In one line"), max_length=120)
    facts = forms.CharField(label=_("Facts"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    amount = forms.DecimalField(
        label=_("Amount at stake (yuan)"), required=False, min_value=0, decimal_places=2, max_digits=14
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def __init__(self, *args, centres=None, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].queryset = centres
        if case is not None:
            self.fields.pop("channel")
            self.fields.pop("channel_ref")


class PartyForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=PartySide.choices)
    kind = forms.ChoiceField(
        label=pgettext_lazy("mediation", "Kind"), choices=PartyKind.choices, initial=PartyKind.PERSON
    )
    name = forms.CharField(label=pgettext_lazy("mediation", "Name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    organisation = forms.CharField(label=_("Works at / organisation"), max_length=100, required=False)


def party_forms(data=None, initial_sides=True):
    out = []
    for i in range(PARTY_ROWS):
        side = PartySide.APPLICANT if i % 2 == 0 else PartySide.RESPONDENT
        out.append(PartyForm(data, prefix=f"p{i}", initial={"side": side}))
    return out


class AssignForm(forms.Form):
    mediator = forms.IntegerField(widget=forms.HiddenInput)


class PoolForm(forms.Form):
    pool = forms.ChoiceField(label=_("Pool"), choices=Pool.choices)


class DeclareForm(forms.Form):
    mediator = forms.ModelChoiceField(queryset=None, label=_("Mediator"))
    note = forms.CharField(label=_("Relation to a party"), max_length=200)


class ScheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    non_working_day = forms.BooleanField(label=_("On a non-working day"), required=False)
    override_reason = forms.CharField(label=_("Why on a non-working day"), max_length=200, required=False)

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class RecordSessionForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput)
    present = forms.MultipleChoiceField(
        label=_("Present"), widget=forms.CheckboxSelectMultiple, required=False
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=SessionOutcome.choices)

    def __init__(self, *args, parties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(p.pk), p.masked_name) for p in parties]


class AgreementForm(forms.Form):
    facts = forms.CharField(
        label=_("Facts and the matter in dispute"), widget=forms.Textarea(attrs={"rows": 4})
    )
    terms = forms.CharField(label=_("Terms agreed"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(SCHEDULE_ROWS):
            self.fields[f"date{i}"] = forms.DateField(
                label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"what{i}"] = forms.CharField(label=_("What is due"), max_length=200, required=False)

    def schedule(self):
        return [
            {"date": self.cleaned_data.get(f"date{i}"), "what": self.cleaned_data.get(f"what{i}", "")}
            for i in range(SCHEDULE_ROWS)
        ]

    def schedule_rows(self):
        return [(self[f"date{i}"], self[f"what{i}"]) for i in range(SCHEDULE_ROWS)]


class ConfirmForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("How"), choices=ConfirmMethod.choices)


class FailForm(forms.Form):
    reason = forms.CharField(label=_("Why it failed"), max_length=300)
    route = forms.ChoiceField(label=_("Route onward for the parties"), choices=Route.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("mediation", "Reason"), max_length=300)


class JudicialForm(forms.Form):
    court = forms.CharField(label=_("Court"), max_length=100)
    referred_on = forms.DateField(label=_("Applied on"), widget=forms.DateInput(attrs={"type": "date"}))


class JudicialResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Decision"),
        choices=[(v, label) for v, label in JudicialResult.choices if v != JudicialResult.PENDING],
    )
    result_on = forms.DateField(label=_("Decided on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=pgettext_lazy("mediation", "Note"), max_length=200, required=False)


class FollowUpForm(forms.Form):
    follow_up = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("How"), choices=FollowUpMethod.choices)
    performance = forms.ChoiceField(label=_("Performance"), choices=Performance.choices)
    note = forms.CharField(label=pgettext_lazy("mediation", "Note"), max_length=300, required=False)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("mediation", "Comment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Why you need the full details"), max_length=200)


class FiguresForm(forms.Form):
    start = forms.DateField(
        label=_("From month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    end = forms.DateField(
        label=_("To month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    centre = forms.ModelChoiceField(queryset=None, label=_("Centre"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    dispute_type = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, *args, centres=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .workflow import Level

        self.fields["centre"].queryset = centres
        self.fields["level"].choices = [("", _("all levels")), *Level.choices]
        self.fields["dispute_type"].choices = [("", _("all types")), *DisputeType.choices]
