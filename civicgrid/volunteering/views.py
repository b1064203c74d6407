"""Pages of the volunteering app: the resident's phone pages (points, history, activities, what
they can redeem, the code to show), the organiser's activity page (the check-in code, the roll,
hours), the shop's page (type the code), and the figures. Every write calls services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Level
from civicgrid.core.access import signed_in_view
from civicgrid.party.models import PartyOrganization, PostType
from civicgrid.people import policy as people_policy

from . import ledger, policy, rollups, services
from .models import (
    AccountKind,
    Activity,
    ActivityState,
    OrganiserKind,
    PointsAccount,
    PointsScheme,
    Redemption,
    RedemptionState,
    Reward,
    Shop,
    SignUp,
    SignUpState,
)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _ancestor_paths(path: str) -> list[str]:
    return [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]


def street_path(path: str) -> str:
    """The street's path above a deeper path (city/district/street/…)."""
    return "/".join(path.split("/")[:3]) + "/" if path.count("/") >= 3 else path


# ----------------------------------------------------------------------------- resident pages


def _resident_or_403(request):
    resident = policy.resident_of(request.user)
    if resident is None:
        raise PermissionDenied(_("These pages are for residents with an account."))
    return resident


def _accounts(resident):
    return list(
        PointsAccount.objects.filter(ledger.holder_filter(resident)).select_related("scheme", "household")
    )


def _schemes_for(resident):
    return PointsScheme.objects.filter(active=True, path__in=_ancestor_paths(resident.path))


@signed_in_view
def mine(request):
    """The resident's points on a phone: balance, what they can redeem, their sign-ups, history."""
    resident = _resident_or_403(request)
    accounts = _accounts(resident)
    balances = {a.scheme_id: a for a in accounts}
    rewards = list(
        Reward.objects.filter(active=True, scheme__in=_schemes_for(resident), stock__gt=0)
        .select_related("shop", "scheme")
        .order_by("price", "name")
    )
    for reward in rewards:
        account = balances.get(reward.scheme_id)
        reward.affordable = bool(account and account.balance >= reward.price)
    now = timezone.now()
    signups = list(
        SignUp.objects.filter(resident=resident, activity__ends_at__gte=now - timedelta(days=1))
        .exclude(state=SignUpState.WITHDRAWN)
        .select_related("activity")
        .order_by("activity__starts_at")
    )
    history = []
    for account in accounts:
        history += list(ledger.history(account)[:30])
    history.sort(key=lambda e: (e.at, e.pk), reverse=True)
    redemptions = list(
        Redemption.objects.filter(resident=resident, state=RedemptionState.REQUESTED).select_related(
            "reward__shop"
        )
    )
    return render(
        request,
        "volunteering/mine.html",
        {
            "resident": resident,
            "accounts": accounts,
            "rewards": rewards,
            "signups": signups,
            "history": history[:30],
            "redemptions": redemptions,
            "pooled": any(a.kind == AccountKind.HOUSEHOLD for a in accounts),
        },
    )


@signed_in_view
def activities(request):
    """Activities open for sign-up near the resident; for organisers, the ones in their scope."""
    now = timezone.now()
    resident = policy.resident_of(request.user)
    qs = Activity.objects.filter(state=ActivityState.OPEN, ends_at__gte=now).select_related("place")
    organise_paths = people_policy.scope_paths(request.user, policy.ORGANISE_ROLES)
    if resident is not None and not organise_paths:
        qs = qs.filter(
            Q(path__in=_ancestor_paths(resident.path)) | Q(path__startswith=street_path(resident.path))
        )
    elif organise_paths:
        qs = qs.filter(people_policy.path_q(organise_paths) | Q(organiser=request.user))
    else:
        raise PermissionDenied
    mine_ids = set()
    if resident is not None:
        mine_ids = set(
            SignUp.objects.filter(resident=resident)
            .exclude(state=SignUpState.WITHDRAWN)
            .values_list("activity_id", flat=True)
        )
    items = list(qs.order_by("starts_at")[:100])
    for a in items:
        a.signed_up = a.pk in mine_ids
    return render(
        request,
        "volunteering/activities.html",
        {"activities": items, "may_organise": bool(organise_paths) and people_policy.can_edit(request.user)},
    )


# ----------------------------------------------------------------------------- an activity


class ActivityForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    organiser_kind = forms.ChoiceField(label=gettext_lazy("Organiser"), choices=OrganiserKind.choices)
    organiser_name = forms.CharField(label=gettext_lazy("Organiser name"), max_length=100, required=False)
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Party branch"), queryset=PartyOrganization.objects.none(), required=False
    )
    post_type = forms.ChoiceField(label=gettext_lazy("Post type"), choices=PostType.choices)
    place = forms.ModelChoiceField(label=gettext_lazy("Place"), queryset=Area.objects.none())
    address = forms.CharField(label=gettext_lazy("Meeting point"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), min_value=0.25, max_value=24, decimal_places=2, initial=2
    )
    capacity = forms.IntegerField(label=gettext_lazy("Places"), min_value=1, max_value=1000, initial=10)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        paths = people_policy.scope_paths(user, policy.ORGANISE_ROLES)
        # Communities, grids and buildings in the organiser's scope (at most 500 offered).
        places = Area.objects.filter(
            people_policy.path_q(paths), level__in=[Level.COMMUNITY, Level.GRID, Level.BUILDING]
        ).order_by("path")
        self.fields["place"].queryset = Area.objects.filter(
            pk__in=list(places.values_list("pk", flat=True)[:500])
        ).order_by("path")
        self.fields["branch"].queryset = PartyOrganization.objects.filter(
            people_policy.path_q(paths, "area__path")
        )


@signed_in_view
def activity_new(request):
    if not policy.ORGANISE_ROLES & people_policy.roles(request.user) or not people_policy.can_edit(
        request.user
    ):
        raise PermissionDenied
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scheme = services.scheme_for(data["place"])
        if scheme is None:
            messages.error(request, _("No points scheme covers this place yet."))
        else:
            starts = data["starts_at"]
            try:
                activity = services.create_activity(
                    title=data["title"],
                    description=data["description"],
                    organiser_kind=data["organiser_kind"],
                    organiser_name=data["organiser_name"],
                    branch=data["branch"],
                    post_type=data["post_type"],
                    place=data["place"],
                    address=data["address"],
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=int(data["hours"] * 60)),
                    capacity=data["capacity"],
                    scheme=scheme,
                    by=request.user,
                )
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("The activity is open for sign-up."))
                return redirect("volunteering:activity", activity.pk)
    return render(request, "volunteering/activity_new.html", {"form": form})


@signed_in_view
def activity(request, pk):
    activity = get_object_or_404(Activity.objects.select_related("place", "scheme"), pk=pk)
    runs = policy.can_run_activity(request.user, activity)
    resident = policy.resident_of(request.user)
    if not runs and resident is None:
        raise PermissionDenied
    signup = SignUp.objects.filter(activity=activity, resident=resident).first() if resident else None
    roll = []
    if runs:
        roll = list(
            activity.signups.exclude(state=SignUpState.WITHDRAWN)
            .select_related("resident")
            .order_by("state", "signed_up_at", "id")
        )
        for s in roll:
            s.measured = services.activities.measured_minutes(s)
    places = activity.signups.filter(state=SignUpState.PLACE).count()
    waiting = activity.signups.filter(state=SignUpState.WAITING).count()
    position = None
    if signup and signup.state == SignUpState.WAITING:
        position = (
            activity.signups.filter(state=SignUpState.WAITING)
            .filter(
                Q(signed_up_at__lt=signup.signed_up_at)
                | Q(signed_up_at=signup.signed_up_at, id__lt=signup.id)
            )
            .count()
            + 1
        )
    rules = ledger.scheme_rules.validate_rules(activity.scheme.rules)
    return render(
        request,
        "volunteering/activity.html",
        {
            "activity": activity,
            "runs": runs,
            "signup": signup,
            "roll": roll,
            "places_taken": places,
            "places_free": max(activity.capacity - places, 0),
            "waiting": waiting,
            "position": position,
            "rules": rules,
            "bonus": rules["bonus_by_post_type"].get(activity.post_type, 0),
            "is_open": activity.state == ActivityState.OPEN,
        },
    )


def _act(request, pk, fn, success):
    activity = get_object_or_404(Activity, pk=pk)
    try:
        fn(activity)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if success:
            messages.success(request, success)
    return redirect("volunteering:activity", activity.pk)


@require_POST
@signed_in_view
def activity_sign_up(request, pk):
    resident = _resident_or_403(request)

    def fn(activity):
        s = services.sign_up(activity, resident, request.user)
        if s.state == SignUpState.WAITING:
            messages.info(
                request,
                _("The places are taken: you are on the waiting list and will be told if one comes free."),
            )
        else:
            messages.success(request, _("You have a place. Thank you!"))

    return _act(request, pk, fn, None)


@require_POST
@signed_in_view
def activity_withdraw(request, pk):
    resident = _resident_or_403(request)

    def fn(activity):
        signup = get_object_or_404(SignUp, activity=activity, resident=resident)
        services.withdraw(signup, request.user)

    return _act(request, pk, fn, _("You have withdrawn."))


@require_POST
@signed_in_view
def activity_check_in(request, pk):
    code = request.POST.get("code", "")
    return _act(
        request, pk, lambda a: services.check_in_by_code(a, code, request.user), _("Checked in. Welcome!")
    )


@require_POST
@signed_in_view
def activity_check_out(request, pk):
    code = request.POST.get("code", "")
    return _act(
        request,
        pk,
        lambda a: services.check_out_by_code(a, code, request.user),
        _("Checked out. The organiser confirms your hours."),
    )


@require_POST
@signed_in_view
def roll_tick(request, pk, signup_pk):
    """The organiser ticks the list: in, out, or confirm one person's minutes."""
    action = request.POST.get("action")

    def fn(activity):
        signup = get_object_or_404(SignUp, pk=signup_pk, activity=activity)
        if action == "in":
            services.check_in(signup, request.user)
        elif action == "out":
            services.check_out(signup, request.user)
        elif action == "confirm":
            raw = request.POST.get("minutes", "").strip()
            try:
                minutes = int(raw) if raw else None
            except ValueError as exc:
                raise ValidationError(_("Minutes are a whole number.")) from exc
            services.confirm_hours(signup, request.user, minutes=minutes)
        elif action == "withdraw":
            services.withdraw(signup, request.user)
        else:
            raise ValidationError(_("Unknown action."))

    return _act(request, pk, fn, _("Saved."))


@require_POST
@signed_in_view
def activity_confirm_all(request, pk):
    def fn(activity):
        n = services.confirm_all(activity, request.user)
        messages.success(request, _("Hours confirmed for %(n)d people; points are on their way.") % {"n": n})

    return _act(request, pk, fn, None)


# ----------------------------------------------------------------------------------- rewards


@require_POST
@signed_in_view
def redeem(request, pk):
    resident = _resident_or_403(request)
    reward = get_object_or_404(Reward, pk=pk)
    try:
        redemption = services.redeem(reward, resident, request.user)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("volunteering:mine")
    return redirect("volunteering:redemption", redemption.pk)


@signed_in_view
def redemption(request, pk):
    """The code the resident shows at the shop."""
    resident = _resident_or_403(request)
    item = get_object_or_404(Redemption.objects.select_related("reward__shop"), pk=pk, resident=resident)
    return render(request, "volunteering/redemption.html", {"redemption": item})


@require_POST
@signed_in_view
def redemption_cancel(request, pk):
    item = get_object_or_404(Redemption.objects.select_related("reward__shop"), pk=pk)
    try:
        services.cancel_redemption(item, request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Cancelled: the points are back."))
    if policy.resident_of(request.user) and policy.resident_of(request.user).pk == item.resident_id:
        return redirect("volunteering:mine")
    return redirect("volunteering:shop", item.reward.shop_id)


@signed_in_view
def shops(request):
    mine_ = list(Shop.objects.filter(keepers=request.user))
    paths = people_policy.scope_paths(request.user, policy.MANAGE_ROLES)
    managed = list(Shop.objects.filter(people_policy.path_q(paths))) if paths else []
    found = {s.pk: s for s in mine_ + managed}
    if len(found) == 1:
        return redirect("volunteering:shop", next(iter(found)))
    if not found:
        raise PermissionDenied
    return render(request, "volunteering/shops.html", {"shops": sorted(found.values(), key=lambda s: s.name)})


@signed_in_view
def shop(request, pk):
    item = get_object_or_404(Shop, pk=pk)
    if not policy.can_keep_shop(request.user, item):
        raise PermissionDenied
    if request.method == "POST":
        try:
            if request.POST.get("action") == "restock":
                reward = get_object_or_404(Reward, pk=request.POST.get("reward"), shop=item)
                try:
                    added = int(request.POST.get("added", ""))
                except ValueError:
                    raise ValidationError(_("Add a whole number of items, one or more.")) from None
                services.restock(reward, added, request.user)
                messages.success(request, _("Stock updated."))
            else:
                done = services.confirm_redemption(item, request.POST.get("code", ""), request.user)
                messages.success(
                    request,
                    _("Confirmed: hand over %(reward)s to %(name)s.")
                    % {"reward": done.reward.name, "name": done.resident.masked_name},
                )
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("volunteering:shop", item.pk)
    pending = Redemption.objects.filter(reward__shop=item, state=RedemptionState.REQUESTED).select_related(
        "reward", "resident"
    )
    recent = (
        Redemption.objects.filter(reward__shop=item)
        .exclude(state=RedemptionState.REQUESTED)
        .select_related("reward", "resident")[:20]
    )
    return render(
        request,
        "volunteering/shop.html",
        {"shop": item, "rewards": item.rewards.order_by("price"), "pending": pending, "recent": recent},
    )


# ----------------------------------------------------------------------------------- figures


@signed_in_view
def figures(request):
    paths = policy.figure_paths(request.user)
    if not paths:
        raise PermissionDenied
    months = rollups.month_options()
    start = _month_param(
        request.GET.get("from"), months[-12] if len(months) >= 12 else months[0] if months else None
    )
    end = _month_param(request.GET.get("to"), months[-1] if months else None)
    table = rollups.table(paths, start, end) if start and end else []
    return render(
        request,
        "volunteering/figures.html",
        {"table": table, "months": months, "start": start, "end": end, "totals": rollups.totals(table)},
    )


def _month_param(raw, default):
    if not raw:
        return default
    try:
        return datetime.strptime(raw[:7], "%Y-%m").date()
    except ValueError:
        return default
