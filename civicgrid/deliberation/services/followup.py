"""Follow-up (跟踪落实): tasks with owners and milestones; progress rolls up to the topic. A case
linked to a task closes with it; when every task is done the topic is carried out and the cases
that raised it are closed, with the result fed back to their reporters (through the cases services)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.cases import services as case_services
from civicgrid.cases.workflow import IllegalTransition, State

from .. import rollups
from ..models import Milestone, Task, TopicCase
from ..workflow import Action, StepKind, TopicStatus
from .common import Locked, StepRefused, event, require


def _in_follow_up(m: Locked) -> None:
    if m.step.step.kind != StepKind.FOLLOW_UP:
        raise StepRefused(_("Tasks belong to the follow-up step."))


@transaction.atomic
def add_task(
    topic,
    by,
    *,
    title: str,
    owner_label: str,
    owner=None,
    department=None,
    due_on=None,
    case=None,
    milestones=(),
) -> Task:
    title = require(title, _("Name the task."), 120)
    owner_label = require(owner_label, _("Say who owns the task."), 60)
    m = Locked(topic, Action.IMPLEMENT, by)
    _in_follow_up(m)
    if case is not None and not case.path.startswith(m.topic.path):
        raise ValidationError(_("The case is not in this topic's community."))
    task = Task.objects.create(
        topic=m.topic,
        title=title,
        owner=owner,
        owner_label=owner_label,
        department=department,
        due_on=due_on,
        case=case,
    )
    for item in milestones:
        title_m, due = (item, None) if isinstance(item, str) else item
        Milestone.objects.create(task=task, title=require(title_m, _("Name the milestone."), 120), due_on=due)
    _roll_up(m)
    event(m.topic, "task_added", by, title, data={"task": task.pk})
    m.save("progress")
    return task


def task_progress(task: Task) -> int:
    if task.done_at:
        return 100
    milestones = list(task.milestones.all())
    if milestones:
        return int(100 * sum(1 for x in milestones if x.done_at) / len(milestones))
    return task.progress


def _roll_up(m: Locked) -> int:
    tasks = list(m.topic.tasks.prefetch_related("milestones"))
    m.topic.progress = int(sum(task_progress(t) for t in tasks) / len(tasks)) if tasks else 0
    return m.topic.progress


def _locked_task(task, by) -> tuple[Locked, Task]:
    task = Task.objects.get(pk=task.pk)
    m = Locked(task.topic_id, Action.IMPLEMENT, by, task=task)
    _in_follow_up(m)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.done_at:
        raise StepRefused(_("This task is already done."))
    return m, task


@transaction.atomic
def report_progress(task, by, *, progress: int, note: str = "") -> Task:
    """The owner (or the community) reports how far a task without milestones has got."""
    m, task = _locked_task(task, by)
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise ValidationError(
            _("Progress is a percentage from 0 to 99; finish the task to reach 100.")
        ) from None
    if not 0 <= progress < 100:
        raise ValidationError(_("Progress is a percentage from 0 to 99; finish the task to reach 100."))
    if task.milestones.exists():
        raise ValidationError(_("This task's progress comes from its milestones."))
    task.progress = progress
    task.save(update_fields=["progress"])
    _roll_up(m)
    event(m.topic, "progress_reported", by, note, data={"task": task.pk, "progress": progress})
    m.save("progress")
    return task


@transaction.atomic
def complete_milestone(milestone, by) -> Milestone:
    milestone = Milestone.objects.select_related("task").get(pk=milestone.pk)
    m, task = _locked_task(milestone.task, by)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_at:
        raise StepRefused(_("This milestone is already reached."))
    milestone.done_at = m.now
    milestone.save(update_fields=["done_at"])
    _roll_up(m)
    event(
        m.topic, "milestone_reached", by, milestone.title, data={"task": task.pk, "milestone": milestone.pk}
    )
    m.save("progress")
    return milestone


def close_case(case, by, result: str) -> str:
    """Close a case with `result` fed back to its reporter, through the cases services.
    Returns "" when closed (or already final), else why it could not be closed (left to its handler)."""
    from civicgrid.cases.models import Case

    case = Case.objects.get(pk=case.pk)
    if case.state in (State.CLOSED, State.MERGED, State.NOT_ACCEPTED):
        return ""
    try:
        with transaction.atomic():
            if case.state == State.SUBMITTED:
                case = case_services.register(case, by)
            if case.state == State.ON_HOLD:
                case = case_services.resume(case, by, note=result[:200])
            if case.state in (State.REGISTERED, State.DISPATCHED):
                case = case_services.accept(case, by)
            if case.state in (State.IN_PROGRESS, State.REWORK):
                case = case_services.mark_handled(case, by, result)
            if case.state == State.HANDLED:
                case = case_services.verify(case, by, passed=True, note=result[:200])
    except (PermissionDenied, IllegalTransition, ValidationError, case_services.CaseConflict) as exc:
        message = getattr(exc, "messages", None)
        return (" ".join(message) if message else str(exc))[:300]
    return (
        ""
        if case.state == State.CLOSED
        else _("The case is %(state)s.") % {"state": case.get_state_display()}
    )


@transaction.atomic
def complete_task(task, by, *, result: str) -> Task:
    """The task is done; its case closes with it; the last task done carries the topic out."""
    result = require(result, pgettext("deliberation", "Say what was done."), 2000)
    m, task = _locked_task(task, by)
    task.done_at = m.now
    task.progress = 100
    task.save(update_fields=["done_at", "progress"])
    task.milestones.filter(done_at__isnull=True).update(done_at=m.now)
    data = {"task": task.pk}
    if task.case_id:
        data["case_problem"] = close_case(task.case, by, result)
    _roll_up(m)
    event(m.topic, "task_done", by, result, data=data)
    m.save("progress")
    if not m.topic.tasks.filter(done_at__isnull=True).exists():
        _carry_out(m, result)
    return task


def _carry_out(m: Locked, result: str) -> None:
    topic = m.topic
    topic.status = TopicStatus.CARRIED_OUT
    topic.carried_out_at = m.now
    topic.result = result
    topic.progress = 100
    feedback = _("Resolved by resident deliberation, topic %(ref)s “%(title)s”: %(result)s") % {
        "ref": topic.ref,
        "title": topic.title,
        "result": result,
    }
    problems = {}
    for link in (
        TopicCase.objects.select_for_update()
        .filter(topic=topic, closed_at__isnull=True)
        .select_related("case")
    ):
        problem = close_case(link.case, m.by, feedback[:2000])
        if problem:
            link.close_note = problem
            problems[link.case_id] = problem
        else:
            link.closed_at = m.now
            link.close_note = ""
        link.save(update_fields=["closed_at", "close_note"])
    m.step.outcome = str(_("carried out"))
    m.step.save(update_fields=["outcome"])
    rollups.bump(topic, carried_out=1, days_to_carried_out=rollups.days_between(topic.raised_at, m.now))
    event(topic, "carried_out", m.by, result, data={"cases_left_open": problems})
    m.save("status", "carried_out_at", "result", "progress")


__all__ = [
    "add_task",
    "report_progress",
    "complete_milestone",
    "complete_task",
    "close_case",
    "task_progress",
]
