"""Every write of the indices app: indicator versions, peer groups, published issues, colour rules,
admission requests and grid tasks. Each checks permission (policy.py), runs in a transaction, locks
what two people could change at once, and leaves history (versions and issues are history
themselves: they are only ever added; admission requests write AdmissionEvent rows).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Role

from . import formulas, metrics, policy, reports, scoring
from .models import (
    AdmissionEvent,
    AdmissionRequest,
    AdmissionState,
    AreaPeerGroup,
    ColourRule,
    GridTask,
    IndexDefinition,
    IndexIssue,
    IndexVersion,
    IssueEntry,
    PeerGroup,
)


class Conflict(Exception):
    """Someone else changed the record first."""


def _require(user, allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this here."))


# --- indices ---------------------------------------------------------------------------------


def create_index(
    *, code: str, name: str, owner: Area, level: str, indicators: list[dict], by=None, months: int = 3
) -> IndexDefinition:
    """A new index with its first version (used by set-up and the demo; `by` None = the system)."""
    if by is not None:
        _require(by, policy.may(by, "edit_index", owner))
    with transaction.atomic():
        index = IndexDefinition.objects.create(
            code=code, name=name, owner=owner, level=level, months=months, jurisdiction=owner.jurisdiction
        )
        save_version(index, indicators, by=by, note=_("first version"))
    return index


def save_version(index: IndexDefinition, indicators: list[dict], *, by, note: str = "") -> IndexVersion:
    """Save changed indicators as the index's next version; the earlier versions stay as they were."""
    if by is not None:
        _require(by, policy.may(by, "edit_index", index.owner))
    problems = scoring.validate(indicators, metrics.names())
    if problems:
        raise ValidationError(problems)
    clean = [
        {
            "code": d["code"].strip(),
            "name": d["name"].strip(),
            "name_en": (d.get("name_en") or "").strip(),
            "formula": d["formula"].strip(),
            "direction": d["direction"],
            "unit": (d.get("unit") or "").strip(),
            "weight": float(d["weight"]),
        }
        for d in indicators
    ]
    with transaction.atomic():
        locked = IndexDefinition.objects.select_for_update().get(pk=index.pk)
        last = locked.versions.order_by("-number").first()
        if last and last.indicators == clean:
            raise ValidationError(
                [_("Nothing changed: the indicators are those of version %(n)s.") % {"n": last.number}]
            )
        return IndexVersion.objects.create(
            index=locked,
            number=(last.number + 1) if last else 1,
            indicators=clean,
            note=note[:300],
            created_by=by,
        )


def rollback_version(index: IndexDefinition, *, by) -> IndexVersion:
    """Make the previous version's indicators current again (as a new version: history stays whole)."""
    versions = list(index.versions.order_by("-number")[:2])
    if len(versions) < 2:
        raise ValidationError([_("There is no earlier version to go back to.")])
    return save_version(
        index, versions[1].indicators, by=by, note=_("back to version %(n)s") % {"n": versions[1].number}
    )


def create_peer_group(*, code: str, name: str, level: str, name_en: str = "", order: int = 0) -> PeerGroup:
    group, _created = PeerGroup.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "level": level, "order": order}
    )
    return group


def set_peer_group(area: Area, group: PeerGroup, *, by=None) -> AreaPeerGroup:
    if by is not None:
        _require(by, policy.may(by, "set_peer_group", area))
    if group.level != area.level:
        raise ValidationError([_("The type “%(type)s” is for another level of area.") % {"type": group.name}])
    link, _created = AreaPeerGroup.objects.update_or_create(
        area=area, defaults={"group": group, "jurisdiction": area.jurisdiction}
    )
    return link


def publish_issue(index: IndexDefinition, *, by, period_end: date | None = None) -> IndexIssue:
    """Freeze the current version's scores and ranks as the next issue (第N期), with the change since
    the last issue. A published issue is never changed: later data changes leave it as it was."""
    if by is not None:
        _require(by, policy.may(by, "publish_issue", index.owner))
    with transaction.atomic():
        locked = IndexDefinition.objects.select_for_update().get(pk=index.pk)
        version = locked.current
        if version is None:
            raise ValidationError([_("The index has no indicators yet.")])
        start, end = reports.period_for(locked, period_end)
        lines = reports.lines(locked, version.indicators, start, end)
        if not lines:
            raise ValidationError([_("There are no areas of this level to rank.")])
        previous = locked.issues.order_by("-number").first()
        before = {}
        if previous is not None:
            before = {e.area_id: e for e in previous.entries.all()}
        issue = IndexIssue.objects.create(
            index=locked,
            version=version,
            number=(previous.number + 1) if previous else 1,
            period_start=start,
            period_end=end,
            published_by=by,
            jurisdiction=locked.jurisdiction,
        )
        entries = []
        for ln in lines:
            old = before.get(ln.area.pk)
            same_group = old is not None and old.group_code == ln.group_code
            entries.append(
                IssueEntry(
                    issue=issue,
                    area=ln.area,
                    area_name=ln.area.name,
                    group_code=ln.group_code,
                    group_name=ln.group_name,
                    values=ln.values,
                    scores=ln.scores,
                    score=ln.score,
                    rank=ln.rank,
                    group_size=ln.group_size,
                    score_change=round(ln.score - old.score, 2) if old is not None else None,
                    rank_change=(old.rank - ln.rank) if same_group else None,
                    jurisdiction=ln.area.jurisdiction,
                )
            )
        IssueEntry.objects.bulk_create(entries)
    return issue


def save_colour_rule(rule: ColourRule, *, by=None) -> ColourRule:
    """Check a colour rule (formula, thresholds in order) and save it."""
    if by is not None:
        _require(by, policy.may(by, "edit_colours", rule.owner))
    check_colour_rule(rule)
    rule.jurisdiction = rule.owner.jurisdiction
    rule.save()
    return rule


def check_colour_rule(rule: ColourRule) -> None:
    """ValidationError (translated) when the formula or the order of the thresholds is wrong."""
    try:
        formulas.parse(rule.formula, metrics.names())
    except formulas.FormulaError as e:
        raise ValidationError({"formula": [str(e)]}) from None
    cuts = [rule.red, rule.orange, rule.yellow, rule.blue]
    ordered = sorted(cuts, reverse=rule.direction == "lower_better")
    if cuts != ordered:
        raise ValidationError(
            [
                _(
                    "Thresholds must run from red to blue: falling when lower is better, rising when higher is better."
                )
            ]
        )


# --- grid-affairs admission ------------------------------------------------------------------


def _event(request: AdmissionRequest, action: str, before: str, by, note: str = "") -> None:
    AdmissionEvent.objects.create(
        request=request, action=action, from_state=before, to_state=request.state, actor=by, note=note[:500]
    )


def file_request(
    *,
    department: Department,
    by,
    title: str,
    kind: str,
    description: str,
    grids: list[Area],
    hours_per_grid: Decimal,
    funding_yuan: Decimal,
    people: int,
    starts_on: date,
    ends_on: date,
) -> AdmissionRequest:
    """A department asks for grid workers' time; the district decides."""
    _require(by, policy.may_file_admission(by, department))
    problems = []
    if not grids:
        problems.append(_("Choose the grids the task is for."))
    outside = [g for g in grids if g.level != Level.GRID or not g.path.startswith(department.area.path)]
    if outside:
        problems.append(
            _("These are not grids in the department's area: %(names)s.")
            % {"names": ", ".join(g.name for g in outside)}
        )
    if ends_on < starts_on:
        problems.append(_("The end date is before the start date."))
    if hours_per_grid <= 0:
        problems.append(_("Say how many hours a month the task takes per grid."))
    if funding_yuan <= 0 and people <= 0:
        problems.append(
            _("A task pushed down to grids must bring funding or people with it (费随事转、人随事走).")
        )
    district = department.area if department.area.level == Level.DISTRICT else _district_of(department.area)
    if district is None:
        problems.append(_("The department belongs to no district."))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        request = AdmissionRequest.objects.create(
            district=district,
            department=department,
            title=title.strip()[:120],
            kind=kind,
            description=description.strip(),
            hours_per_grid=hours_per_grid,
            funding_yuan=funding_yuan,
            people=people,
            starts_on=starts_on,
            ends_on=ends_on,
            filed_by=by,
            jurisdiction=district.jurisdiction,
        )
        request.grids.set(grids)
        _event(request, "filed", "", by)
    return request


def _district_of(area: Area) -> Area | None:
    codes = area.ancestor_codes()
    return Area.objects.filter(code__in=codes, level=Level.DISTRICT).first()


def decide_request(
    request: AdmissionRequest, *, by, approve: bool, reason: str = "", expected_version: int | None = None
) -> AdmissionRequest:
    """The district approves (the task joins the admission list of its grids) or refuses, with a reason."""
    _require(by, policy.may_decide_admission(by, request))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError([_("Say why the request is refused: the department reads it.")])
    with transaction.atomic():
        locked = AdmissionRequest.objects.select_for_update().get(pk=request.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(_("Someone else decided this request first."))
        if locked.state != AdmissionState.PENDING:
            raise ValidationError([_("This request has been decided already.")])
        before = locked.state
        locked.state = AdmissionState.APPROVED if approve else AdmissionState.REFUSED
        locked.decided_by, locked.decided_at, locked.reason = by, timezone.now(), reason[:500]
        locked.version += 1
        locked.save(update_fields=["state", "decided_by", "decided_at", "reason", "version"])
        _event(locked, "approved" if approve else "refused", before, by, reason)
    return locked


def withdraw_request(request: AdmissionRequest, *, by) -> AdmissionRequest:
    _require(by, policy.may_file_admission(by, request.department))
    with transaction.atomic():
        locked = AdmissionRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != AdmissionState.PENDING:
            raise ValidationError([_("Only a request that is still waiting can be withdrawn.")])
        before = locked.state
        locked.state = AdmissionState.WITHDRAWN
        locked.version += 1
        locked.save(update_fields=["state", "version"])
        _event(locked, "withdrawn", before, by)
    return locked


def admission_list(grid: Area, on: date | None = None):
    """The grid's admission list (准入清单): approved requests for this grid in force on a day."""
    on = on or timezone.localdate()
    return (
        AdmissionRequest.objects.filter(
            grids=grid, state=AdmissionState.APPROVED, starts_on__lte=on, ends_on__gte=on
        )
        .select_related("department")
        .order_by("title")
    )


def assign_task(request: AdmissionRequest, *, grid: Area, worker, month: date, by) -> GridTask:
    """Give a grid worker a task for a month; only tasks on the grid's admission list can be given."""
    _require(by, policy.may_assign_task(by, grid))
    month = date(month.year, month.month, 1)
    month_end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    on_list = AdmissionRequest.objects.filter(
        pk=request.pk,
        grids=grid,
        state=AdmissionState.APPROVED,
        starts_on__lt=month_end,
        ends_on__gte=month,
    ).exists()
    if not on_list:
        raise ValidationError(
            [
                _(
                    "“%(task)s” is not on the admission list (准入清单) of %(grid)s for %(month)s: "
                    "only tasks the district approved for this grid can be given to its grid worker."
                )
                % {"task": request.title, "grid": grid.name, "month": f"{month:%Y-%m}"}
            ]
        )
    works_here = any(
        a.role == Role.GRID_WORKER and a.area_id and grid.path.startswith(a.area.path)
        for a in people_policy.assignments(worker)
    )
    if not works_here:
        raise ValidationError(
            [_("%(name)s is not a grid worker of %(grid)s.") % {"name": worker, "grid": grid.name}]
        )
    with transaction.atomic():
        task, created = GridTask.objects.get_or_create(
            request=request,
            grid=grid,
            month=month,
            defaults={
                "worker": worker,
                "hours": request.hours_per_grid,
                "assigned_by": by,
                "jurisdiction": grid.jurisdiction,
            },
        )
        if not created:
            raise ValidationError(
                [_("This task is already given to this grid for %(month)s.") % {"month": f"{month:%Y-%m}"}]
            )
    return task


def complete_task(task: GridTask, *, by) -> GridTask:
    if task.worker_id != by.pk and not policy.may_assign_task(by, task.grid):
        raise PermissionDenied(_("You may not do this here."))
    with transaction.atomic():
        locked = GridTask.objects.select_for_update().get(pk=task.pk)
        if locked.done_at is None:
            locked.done_at = timezone.now()
            locked.save(update_fields=["done_at"])
    return locked
