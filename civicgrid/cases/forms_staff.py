"""Forms of the staff pages: the search filters and one small form per action on a case.

Every action form carries the case version the person saw (`expected_version`, hidden), so that when
two people act on the same case at once the services let one win and raise CaseConflict for the other.
`perform()` calls the matching function in cases/services/; the forms never write themselves.
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.people.models import Department

from . import services
from .forms import PhotosField
from .models import Case, Category, ExtensionRequest, ExtensionStatus
from .workflow import OPEN_STATES, AttachmentKind, Channel, Kind, Rating, State

TEXT_MAX = 300


def category_choices(include_top: bool = False) -> list:
    """Active categories grouped under their top category (one query)."""
    groups: dict[int, list] = {}
    tops = []
    for c in Category.objects.filter(active=True).order_by("sort", "code"):
        if c.parent_id is None:
            tops.append(c)
            groups.setdefault(c.pk, [])
        else:
            groups.setdefault(c.parent_id, []).append((c.pk, f"{c.code} {c.name}"))
    out = []
    for top in tops:
        subs = groups.get(top.pk, [])
        if include_top:
            subs = [(top.pk, _("%(name)s (all)") % {"name": top.name}), *subs]
        if subs:
            out.append((f"{top.code} {top.name}", subs))
    return out


# ---------------------------------------------------------------- action forms


def conflict_if_stale(case: Case, version: int) -> None:
    """Raise CaseConflict when the case has changed since the person loaded it."""
    if Case.objects.filter(pk=case.pk).values_list("version", flat=True).first() != version:
        raise services.CaseConflict()


class ActionForm(forms.Form):
    """Base of the action forms: the case it acts on, who acts, and the version they saw."""

    action = ""  # the services function's workflow action (TRANSITIONS key)
    title: str | Promise = ""
    submit: str | Promise = _("Save")
    # Forms with two outcomes name a hidden choice field and a button for each value instead of `submit`.
    button_field = ""
    buttons: tuple = ()
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, user, **kwargs):
        kwargs.setdefault("prefix", self.key())
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("expected_version", case.version)
        super().__init__(*args, **kwargs)
        self.case = case
        self.user = user

    @classmethod
    def key(cls) -> str:
        return cls.action

    @classmethod
    def policy_actions(cls) -> list[str]:
        """The workflow actions this form may perform (for the permission check before it runs)."""
        return [cls.action]

    def perform(self, version: int):
        """Call the cases service for this action. Every form in ACTION_FORMS overrides it (a test
        checks), so the base class refuses rather than silently doing nothing."""
        raise NotImplementedError(f"{type(self).__name__} does not say which service it calls")

    @property
    def version(self) -> int:
        return self.cleaned_data["expected_version"]


def _note(label=None, required=False, rows=2, help_text=""):
    return forms.CharField(
        label=label or pgettext_lazy("cases", "Note"),
        required=required,
        max_length=TEXT_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RegisterForm(ActionForm):
    action = "register"
    title = _("Register (立案)")
    submit = _("Register")
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    note = _note()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.initial.setdefault("category", self.case.category_id)
        self.initial.setdefault("kind", self.case.kind)

    def perform(self, version):
        d = self.cleaned_data
        category = d["category"] if d["category"] and d["category"] != self.case.category_id else None
        kind = d["kind"] if d["kind"] != self.case.kind else None
        return services.register(
            self.case, self.user, category=category, kind=kind, note=d["note"], expected_version=version
        )


class NotAcceptForm(ActionForm):
    action = "not_accept"
    title = _("Not accept (不予受理)")
    submit = _("Do not accept")
    reason = _note(
        pgettext_lazy("cases", "Reason"), required=True, help_text=_("The reporter sees this reason.")
    )

    def perform(self, version):
        return services.not_accept(
            self.case, self.user, self.cleaned_data["reason"], expected_version=version
        )


class DispatchForm(ActionForm):
    """The dispatcher's one screen: the suggested lead and assisting departments, confirm or change."""

    action = "dispatch"
    title = _("Dispatch (派遣)")
    submit = _("Dispatch")
    department = forms.ModelChoiceField(label=_("Lead department (主办)"), queryset=Department.objects.none())
    assisting = forms.ModelMultipleChoiceField(
        label=_("Assisting departments (协办)"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False)
    note = _note(_("Instructions for the department"))

    def __init__(self, *args, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.case
        qs = Department.objects.filter(active=True, jurisdiction=case.jurisdiction).order_by("code")
        extra = [d.pk for d in ([suggestion.department, *suggestion.assisting] if suggestion else []) if d]
        if case.department_id:
            extra.append(case.department_id)
        if extra:
            qs = (qs | Department.objects.filter(pk__in=extra)).distinct().order_by("code")
        self.fields["department"].queryset = qs
        self.fields["assisting"].queryset = qs
        self.fields["category"].choices = category_choices()
        self.suggestion = suggestion
        self.initial.setdefault("category", case.category_id)
        if suggestion and suggestion.department:
            self.initial.setdefault("department", suggestion.department.pk)
            self.initial.setdefault("assisting", [d.pk for d in suggestion.assisting])
        elif case.department_id:
            self.initial.setdefault("department", case.department_id)

    def clean(self):
        data = super().clean()
        lead = data.get("department")
        if lead and lead in (data.get("assisting") or []):
            data["assisting"] = [d for d in data["assisting"] if d.pk != lead.pk]
        return data

    def perform(self, version):
        d = self.cleaned_data
        category = d["category"] if d["category"] and d["category"] != self.case.category_id else None
        return services.dispatch(
            self.case,
            self.user,
            d["department"],
            assisting=list(d["assisting"]),
            note=d["note"],
            category=category,
            expected_version=version,
        )


class AcceptForm(ActionForm):
    action = "accept"
    title = _("Accept (签收)")
    submit = _("Accept and start")
    note = _note()

    def perform(self, version):
        return services.accept(self.case, self.user, note=self.cleaned_data["note"], expected_version=version)


class ReturnForm(ActionForm):
    action = "return_to_dispatcher"
    title = _("Return to the dispatcher (退单)")
    submit = _("Return")
    reason = _note(_("Why it is not your department's"), required=True)

    def perform(self, version):
        return services.return_to_dispatcher(
            self.case, self.user, self.cleaned_data["reason"], expected_version=version
        )


class RequestExtensionForm(ActionForm):
    action = "request_extension"
    title = _("Ask for an extension (延期)")
    submit = _("Ask for more time")
    hours = forms.IntegerField(
        label=_("Extra working hours"), min_value=1, max_value=400, help_text=_("8 hours = one working day.")
    )
    reason = _note(pgettext_lazy("cases", "Reason"), required=True)

    def perform(self, version):
        d = self.cleaned_data
        return services.request_extension(
            self.case, self.user, d["hours"], d["reason"], expected_version=version
        )


class DecideExtensionForm(ActionForm):
    action = "decide_extension"
    title = _("Decide on the extension request")
    button_field = "decision"
    buttons = (("grant", _("Grant"), "primary"), ("refuse", _("Refuse"), ""))
    request = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("grant", _("Grant")), ("refuse", _("Refuse"))], widget=forms.HiddenInput
    )
    note = _note()

    def __init__(self, *args, pending: ExtensionRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        if pending is not None:
            self.initial.setdefault("request", pending.pk)

    def clean_request(self):
        pk = self.cleaned_data["request"]
        if not ExtensionRequest.objects.filter(
            pk=pk, case_id=self.case.pk, status=ExtensionStatus.PENDING
        ).exists():
            raise ValidationError(_("This extension request has already been decided."))
        return pk

    def perform(self, version):
        d = self.cleaned_data
        return services.decide_extension(
            d["request"], self.user, grant=d["decision"] == "grant", note=d["note"], expected_version=version
        )


class PutOnHoldForm(ActionForm):
    action = "put_on_hold"
    title = _("Put on hold (挂账)")
    submit = _("Put on hold")
    until = forms.DateField(label=_("Review date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = _note(_("Why it cannot be solved now"), required=True)

    def perform(self, version):
        d = self.cleaned_data
        return services.put_on_hold(
            self.case, self.user, until=d["until"], reason=d["reason"], expected_version=version
        )


class ResumeForm(ActionForm):
    action = "resume"
    title = _("Resume")
    submit = _("Resume handling")
    note = _note()

    def perform(self, version):
        return services.resume(self.case, self.user, note=self.cleaned_data["note"], expected_version=version)


class MarkHandledForm(ActionForm):
    action = "mark_handled"
    title = _("Mark handled (处置完毕)")
    submit = _("Report the result")
    result = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The reporter sees this result."),
    )
    photos = PhotosField()

    def perform(self, version):
        d = self.cleaned_data
        return services.mark_handled(
            self.case, self.user, d["result"], photos=d["photos"], expected_version=version
        )


class VerifyForm(ActionForm):
    action = "verify"
    title = _("Verify (核查)")
    button_field = "passed"
    buttons = (("pass", _("Passed: close the case"), "primary"), ("fail", _("Failed: back for rework"), ""))
    passed = forms.ChoiceField(
        choices=[("pass", _("Passed: close the case")), ("fail", _("Failed: back for rework"))],
        widget=forms.HiddenInput,
    )
    note = _note(_("What you found"))
    photos = PhotosField()

    @classmethod
    def policy_actions(cls):
        return ["verify_pass", "verify_fail"]

    def perform(self, version):
        d = self.cleaned_data
        return services.verify(
            self.case,
            self.user,
            passed=d["passed"] == "pass",
            note=d["note"],
            photos=d["photos"],
            expected_version=version,
        )


class RateForm(ActionForm):
    action = "rate"
    title = _("Record the reporter's rating (回访)")
    submit = _("Record rating")
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = _note(_("What the reporter said"))

    def perform(self, version):
        d = self.cleaned_data
        return services.rate(
            self.case, self.user, rating=d["rating"], comment=d["comment"], expected_version=version
        )


class ReopenForm(ActionForm):
    action = "reopen"
    title = _("Reopen (重办)")
    submit = _("Reopen")
    note = _note(_("Why it is reopened"), required=True)

    def perform(self, version):
        return services.reopen(self.case, self.user, note=self.cleaned_data["note"], expected_version=version)


class EscalateForm(ActionForm):
    action = "escalate"
    title = _("Escalate one level up")
    submit = _("Escalate")
    note = _note()

    def perform(self, version):
        return services.escalate(
            self.case, self.user, note=self.cleaned_data["note"], expected_version=version
        )


class SuperviseForm(ActionForm):
    action = "supervise"
    title = _("Supervise (督办)")
    submit = _("Issue the order")
    note = _note(_("What must be done"), required=True)
    due = forms.DateTimeField(
        label=_("Act by"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: one working day from now."),
    )

    def clean_due(self):
        due = self.cleaned_data["due"]
        if due is not None and due <= timezone.now():
            raise ValidationError(_("Pick a time in the future."))
        return due

    def perform(self, version):
        d = self.cleaned_data
        return services.supervise(
            self.case, self.user, note=d["note"], due=d["due"], expected_version=version
        )


class MergeForm(ActionForm):
    """合并: pick possible duplicates (or give a reference code) to merge into this case."""

    action = "merge"
    title = _("Merge duplicates into this case (合并)")
    submit = _("Merge")
    duplicates = forms.TypedMultipleChoiceField(
        label=_("Possible duplicates"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    ref = forms.CharField(label=_("Or a reference code"), max_length=40, required=False)
    note = _note()

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.fields["duplicates"].choices = [(c.pk, f"{c.ref} · {c.title}") for c in self.candidates]

    def clean(self):
        data = super().clean()
        ids = set(data.get("duplicates") or [])
        ref = (data.get("ref") or "").strip()
        if ref:
            other = services.get_by_ref(ref)
            if other is None:
                self.add_error("ref", _("No case has this reference code."))
            else:
                ids.add(other.pk)
        ids.discard(self.case.pk)
        if not ids and not self.errors:
            raise ValidationError(_("Pick at least one other case to merge."))
        data["ids"] = sorted(ids)
        return data

    @classmethod
    def policy_actions(cls):
        return ["merge"]  # checked by the service on each duplicate (the action moves them)

    def perform(self, version):
        # The service locks the cases it moves; this checks that the main case is as the person saw it.
        conflict_if_stale(self.case, version)
        return services.merge(self.cleaned_data["ids"], self.case, self.user, note=self.cleaned_data["note"])


class CommentForm(ActionForm):
    action = "comment"
    title = _("Comment")
    submit = _("Add comment")
    text = forms.CharField(label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    public = forms.BooleanField(
        label=_("Public: the reporter sees it"), required=False, help_text=_("Otherwise staff only.")
    )

    def perform(self, version):
        d = self.cleaned_data
        return services.comment(self.case, self.user, d["text"], public=d["public"], expected_version=version)


class FlagForm(ActionForm):
    action = "flag_for_deliberation"
    title = _("Flag for resident deliberation (集中突出)")
    submit = _("Flag")
    note = _note(_("What should be deliberated"), required=True)

    def perform(self, version):
        return services.flag_for_deliberation(
            self.case, self.user, note=self.cleaned_data["note"], expected_version=version
        )


class AttachmentForm(ActionForm):
    action = "add_attachment"
    title = _("Add photos")
    submit = _("Upload")
    photos = PhotosField(required=True)
    kind = forms.ChoiceField(label=_("Photos of"), choices=AttachmentKind.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault(
            "kind", AttachmentKind.HANDLING if self.case.state != State.SUBMITTED else AttachmentKind.REPORT
        )

    def perform(self, version):
        d = self.cleaned_data
        for i, photo in enumerate(d["photos"]):
            services.add_attachment(
                self.case, self.user, photo, kind=d["kind"], expected_version=version if i == 0 else None
            )
        return self.case


# The order in which a case page offers its actions: the usual next step first.
ACTION_FORMS: dict[str, type[ActionForm]] = {
    f.key(): f
    for f in (
        DispatchForm,
        RegisterForm,
        AcceptForm,
        MarkHandledForm,
        VerifyForm,
        DecideExtensionForm,
        ResumeForm,
        ReturnForm,
        RequestExtensionForm,
        PutOnHoldForm,
        NotAcceptForm,
        RateForm,
        ReopenForm,
        SuperviseForm,
        EscalateForm,
        MergeForm,
        FlagForm,
        AttachmentForm,
        CommentForm,
    )
}
# Workflow action → the form that performs it.
FORM_FOR_ACTION = {a: f for f in ACTION_FORMS.values() for a in f.policy_actions()}


# ---------------------------------------------------------------- contact details and search


UNMASK_REASONS = [
    ("callback", _("calling the reporter back about the case")),
    ("site", _("arranging a visit on site")),
    ("other", _("other (explain below)")),
]


class UnmaskContactForm(forms.Form):
    reason = forms.ChoiceField(label=pgettext_lazy("cases", "Reason"), choices=[("", "—"), *UNMASK_REASONS])
    note = forms.CharField(label=pgettext_lazy("cases", "Note"), max_length=150, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not (data.get("note") or "").strip():
            self.add_error("note", pgettext_lazy("cases", "Say why you need the full details."))
        return data


# The state filter's "any open state" (what the command centre's "open now" links to).
OPEN = "open"


def search_states(value: str | None) -> list[str]:
    """The states a search's state choice stands for."""
    if not value:
        return []
    return list(OPEN_STATES) if value == OPEN else [value]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Reference or words"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    area = forms.ChoiceField(label=_("Area"), required=False)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    reported_from = forms.DateField(
        label=_("Reported from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reported_to = forms.DateField(
        label=_("Reported to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, areas=(), departments=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        any_ = [("", _("any"))]
        self.fields["state"].choices = any_ + [(OPEN, _("any open state"))] + list(State.choices)
        self.fields["kind"].choices = any_ + list(Kind.choices)
        self.fields["channel"].choices = any_ + list(Channel.choices)
        self.fields["category"].choices = any_ + category_choices(include_top=True)
        self.fields["area"].choices = any_ + [(a.code, a.indented_name) for a in areas]
        self.fields["department"].choices = any_ + [(d.pk, d.name) for d in departments]

    def clean(self):
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and start > end:
            self.add_error("reported_to", _("The end date is before the start date."))
        return data

    @staticmethod
    def day_start(day) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))
