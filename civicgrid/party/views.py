"""The branch plan of a community: each compound against the 三有 rule, the proposed own and joint
branches, the branches already set up; community staff record the committee's decisions here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Compound, Level
from civicgrid.core.access import signed_in_view
from civicgrid.people.models import Resident, Role

from . import policy, services
from .models import OrgLevel, PartyOrganization


def secretary_candidates(community: Area) -> list[tuple[object, str]]:
    """Users who may be appointed secretary: Party members living in the community who have an
    account, and the community's current branch secretaries. Names are shown masked."""
    residents = (
        Resident.objects.filter(path__startswith=community.path, user__isnull=False)
        .filter(Q(is_party_member=True) | Q(party_memberships__isnull=False))
        .select_related("user")
        .distinct()
    )
    found = {r.user.pk: (r.user, f"{r.masked_name} ({r.user.username})") for r in residents}
    holders = get_user_model().objects.filter(
        roles__role=Role.BRANCH_SECRETARY, roles__area=community, roles__ended_on__isnull=True
    )
    for user in holders:
        found.setdefault(user.pk, (user, user.get_full_name() or user.username))
    return sorted(found.values(), key=lambda pair: pair[1])


class SetUpBranchForm(forms.Form):
    compounds = forms.ModelMultipleChoiceField(
        queryset=Compound.objects.none(), label=gettext_lazy("Compounds")
    )
    name = forms.CharField(label=gettext_lazy("Branch name"), max_length=100, required=False)
    secretary = forms.TypedChoiceField(label=gettext_lazy("Secretary"), coerce=int)
    decided_on = forms.DateField(
        label=gettext_lazy("Decided by the community committee on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    filed_with_street_on = forms.DateField(
        label=gettext_lazy("Filed with the street on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, community: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compounds"].queryset = Compound.objects.filter(community=community)
        candidates = secretary_candidates(community)
        self.candidates = {user.pk: user for user, _label in candidates}
        self.fields["secretary"].choices = [("", "—")] + [(user.pk, label) for user, label in candidates]


class JoinBranchForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=PartyOrganization.objects.none())
    compounds = forms.ModelMultipleChoiceField(queryset=Compound.objects.none())

    def __init__(self, *args, community: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = PartyOrganization.objects.filter(
            level=OrgLevel.BRANCH, area=community
        )
        self.fields["compounds"].queryset = Compound.objects.filter(community=community)


class FileWithStreetForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=PartyOrganization.objects.none())
    filed_on = forms.DateField(label=gettext_lazy("Filed with the street on"))

    def __init__(self, *args, community: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = PartyOrganization.objects.filter(
            level=OrgLevel.BRANCH, area=community
        )


def _community(request, code: str) -> Area:
    community = get_object_or_404(Area, code=code, level=Level.COMMUNITY)
    if not policy.can_view_branch_plan(request.user, community):
        raise PermissionDenied
    return community


@signed_in_view
def plan_index(request):
    communities = list(policy.plan_communities(request.user))
    if len(communities) == 1:
        return redirect("party:plan", communities[0].code)
    if not communities:
        raise PermissionDenied
    return render(request, "party/plan_index.html", {"communities": communities})


@signed_in_view
def plan(request, code):
    community = _community(request, code)
    branches = list(
        PartyOrganization.objects.filter(level=OrgLevel.BRANCH, area=community)
        .select_related("secretary")
        .prefetch_related("compounds")
        .order_by("name")
    )
    branch_of = {c.pk: b for b in branches for c in b.compounds.all()}
    may_set_up = policy.can_set_up_branches(request.user, community)
    return render(
        request,
        "party/plan.html",
        {
            "community": community,
            "rows": [(a, branch_of.get(a.compound.pk)) for a in services.assess_compounds(community)],
            "proposals": services.propose_branches(community),
            "branches": branches,
            "may_set_up": may_set_up,
            "candidates": secretary_candidates(community) if may_set_up else [],
            "min_members": services.MIN_MEMBERS,
            "max_members": services.MAX_MEMBERS,
            "neighbour_m": int(services.NEIGHBOUR_DISTANCE_M),
        },
    )


def _act(request, community: Area, form: forms.Form, action) -> object:
    if not policy.can_set_up_branches(request.user, community):
        raise PermissionDenied
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("party:plan", community.code)
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("party:plan", community.code)


@require_POST
@signed_in_view
def set_up(request, code):
    community = _community(request, code)
    form = SetUpBranchForm(request.POST, community=community)

    def action(data):
        branch = services.set_up_branch(
            community,
            list(data["compounds"]),
            form.candidates.get(data["secretary"]),
            data["decided_on"],
            request.user,
            name=data["name"].strip(),
            filed_with_street_on=data["filed_with_street_on"],
        )
        messages.success(request, _("%(name)s is set up.") % {"name": branch.name})

    return _act(request, community, form, action)


@require_POST
@signed_in_view
def join(request, code):
    community = _community(request, code)
    form = JoinBranchForm(request.POST, community=community)

    def action(data):
        branch = services.join_branch(data["branch"], list(data["compounds"]), request.user)
        messages.success(request, _("The compounds now belong to %(name)s.") % {"name": branch.name})

    return _act(request, community, form, action)


@require_POST
@signed_in_view
def file(request, code):
    community = _community(request, code)
    form = FileWithStreetForm(request.POST, community=community)

    def action(data):
        branch = services.file_with_street(data["branch"], data["filed_on"], request.user)
        messages.success(request, _("%(name)s is recorded as filed with the street.") % {"name": branch.name})

    return _act(request, community, form, action)
