"""Deliberation pages.

Public (no login, no personal data): the community's page (topics, resolutions in publication,
progress) and each topic's public page, which is also the resident's phone page (support, comment,
object, answer the questionnaire, once logged in as a resident of the community).
Staff: the topic list, the topic's council page with the actions its current step allows, the meeting
page (attendance, motions, votes, minutes), topics from concentrated cases, joint meetings, figures.

Every POST calls one service; a refusal is shown as a message and changes nothing.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.models import Area, Compound, Level
from civicgrid.cases import policy as case_policy
from civicgrid.cases.models import Case
from civicgrid.cases.workflow import OPEN_STATES, Kind
from civicgrid.core.access import public_view, signed_in_view
from civicgrid.people import policy as people_policy

from . import policy, rollups, services
from .models import (
    Invitation,
    JointMeeting,
    Meeting,
    Milestone,
    Motion,
    Objection,
    ResearchKind,
    Survey,
    Task,
    Topic,
)
from .services.joint import statuses
from .workflow import Action, JointParty, StepKind, TopicStatus, VoteChoice

ERRORS = (PermissionDenied, ValidationError, services.TopicConflict)


def _message(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do this on this topic.")


def _community(code: str) -> Area:
    return get_object_or_404(Area, code=code, level=Level.COMMUNITY)


def _steps(topic) -> list[dict]:
    """The procedure's steps with the topic's position on them (for the step bar)."""
    visited = {s.step_id: s for s in topic.steps.all()}
    out = []
    for step in topic.procedure.steps.order_by("order"):
        row = visited.get(step.pk)
        out.append(
            {
                "step": step,
                "current": step.order == topic.step_order,
                "done": row is not None and row.ended_at is not None,
                "row": row,
            }
        )
    return out


def _public_context(topic) -> dict:
    publication = services.current_publication(topic)
    return {
        "topic": topic,
        "steps": _steps(topic),
        "current": services.current_step(topic),
        "cases_count": topic.case_links.count(),
        "surveys": [(s, services.counts(s)) for s in topic.surveys.all()],
        "publication": publication,
        "objections": list(topic.objections.order_by("at")),
        "tasks": [(t, services.task_progress(t)) for t in topic.tasks.prefetch_related("milestones")],
        "comments": list(topic.comments.order_by("at")),
        "history": list(services.history(topic, public_only=True)),
        "now": timezone.now(),
    }


# --- public pages ----------------------------------------------------------------------------


@public_view
def community_page(request, code: str):
    """The community's public deliberation page: no names, no phone numbers, no room numbers."""
    community = _community(code)
    topics = list(
        Topic.objects.filter(community=community).select_related("procedure").order_by("-raised_at")
    )
    in_publication = [
        t
        for t in topics
        if t.is_open
        and (p := services.current_publication(t)) is not None
        and p.ends_at > timezone.now()
        and t.step_code == services.current_step(t).step.code
        and services.current_step(t).step.kind == StepKind.PUBLISH
    ]
    return render(
        request,
        "deliberation/public/community.html",
        {
            "community": community,
            "open_topics": [t for t in topics if t.is_open],
            "carried_out": [t for t in topics if t.status == TopicStatus.CARRIED_OUT],
            "declined": [t for t in topics if t.status == TopicStatus.DECLINED],
            "in_publication": in_publication,
            "figures": rollups.figures(community),
            "can_propose": policy.can_propose_in(request.user, community),
        },
    )


@public_view
def topic_public(request, pk: int):
    topic = get_object_or_404(Topic.objects.select_related("community", "procedure"), pk=pk)
    user = request.user
    ctx = _public_context(topic)
    household = getattr(getattr(user, "resident", None), "household", None) if user.is_authenticated else None
    ctx.update(
        {
            "can_support": policy.can(user, Action.SUPPORT, topic) and topic.proposed_by_id != user.pk,
            "supported": user.is_authenticated and topic.supports.filter(user=user).exists(),
            "can_comment": policy.can(user, Action.COMMENT, topic),
            "can_object": policy.can(user, Action.OBJECT, topic),
            "can_answer_survey": household is not None
            and policy.is_resident_of(user, topic)
            and policy.step_allows(topic, Action.RESEARCH),
            "answered": set(topic.surveys.filter(answers__household=household).values_list("pk", flat=True))
            if household
            else set(),
            "is_staff_viewer": policy.can_view_council_page(user, topic),
        }
    )
    return render(request, "deliberation/public/topic.html", ctx)


@signed_in_view
def propose(request):
    """A resident raises a topic from their phone (the branch uses the same form)."""
    user = request.user
    communities = [a for a in Area.objects.filter(path__in=policy.resident_community_paths(user))]
    communities += [c for c in policy.communities_run_by(user)[:50] if c not in communities]
    if not communities:
        raise PermissionDenied(_("You may raise topics only in your own community."))
    values = {"title": "", "description": "", "community": str(communities[0].pk)}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        community = next((c for c in communities if str(c.pk) == values["community"]), None)
        try:
            if community is None:
                raise ValidationError(_("Choose your community."))
            topic = services.propose(
                community, user, title=values["title"], description=values["description"]
            )
        except ERRORS as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Your topic is raised. Neighbours can now support it."))
            return redirect("deliberation:topic_public", topic.pk)
    return render(request, "deliberation/public/propose.html", {"communities": communities, "values": values})


@signed_in_view
@require_POST
def resident_act(request, pk: int, action: str):
    topic = get_object_or_404(Topic, pk=pk)
    user, post = request.user, request.POST
    try:
        if action == "support":
            services.support(topic, user)
            messages.success(request, _("Thank you for your support."))
        elif action == "comment":
            services.comment(topic, user, post.get("text", ""))
            messages.success(request, _("Your comment is posted."))
        elif action == "object":
            services.object_to(topic, user, text=post.get("text", ""))
            messages.success(request, _("Your objection is recorded; the community will answer it."))
        elif action == "answer_survey":
            survey = get_object_or_404(Survey, pk=post.get("survey"), topic=topic)
            household = getattr(getattr(user, "resident", None), "household", None)
            if household is None:
                raise PermissionDenied(_("You may answer only for your own household in this community."))
            choices = [_int(post.get(f"q{i}")) for i in range(len(survey.questions))]
            services.answer_survey(survey, user, household=household, choices=choices)
            messages.success(request, _("Thank you: your household's answer is counted."))
        else:
            raise Http404
    except ERRORS as exc:
        messages.error(request, _message(exc))
    return redirect(post.get("next") or reverse("deliberation:topic_public", args=[topic.pk]))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- staff pages -----------------------------------------------------------------------------


@signed_in_view
def index(request):
    user = request.user
    qs = policy.visible_topics(user, Topic.objects.select_related("community", "procedure"))
    status = request.GET.get("status", "open")
    if status in TopicStatus.values:
        qs = qs.filter(status=status)
    step = request.GET.get("step", "")
    if step:
        qs = qs.filter(step_code=step)
    runs_any = policy.communities_run_by(user).exists()
    compounds = (
        Compound.objects.filter(community__in=policy.communities_run_by(user)).select_related("community")[
            :200
        ]
        if runs_any
        else []
    )
    joint = [s for s in statuses(compounds) if s.overdue or s.remind]
    return render(
        request,
        "deliberation/staff/index.html",
        {
            "topics": list(qs.order_by("-raised_at")[:200]),
            "status": status,
            "step": step,
            "statuses": TopicStatus.choices,
            "runs_any": runs_any,
            "joint_due": joint,
            "home_communities": list(policy.communities_run_by(user)[:20]) if runs_any else [],
        },
    )


def _staff_topic(request, pk) -> Topic:
    topic = get_object_or_404(Topic.objects.select_related("community", "procedure"), pk=pk)
    if not policy.can_view_council_page(request.user, topic):
        raise PermissionDenied(_("You may not see this topic."))
    return topic


@signed_in_view
def topic_staff(request, pk: int):
    topic = _staff_topic(request, pk)
    user = request.user
    ctx = _public_context(topic)
    current = ctx["current"]
    ctx.update(
        {
            "actions": set(policy.available_actions(user, topic)),
            "kind": current.step.kind if current else "",
            "links": list(topic.case_links.select_related("case")),
            "notes": list(topic.research_notes.all()),
            "meetings": list(topic.meetings.order_by("scheduled_at")),
            "reviews": list(topic.legal_reviews.select_related("motion")),
            "passed": services.passed_motion(current) if current else None,
            "history": list(services.history(topic)),
            "members": services.members_for(topic),
            "research_kinds": ResearchKind.choices,
            "can_link": policy.runs(user, topic.path) and topic.is_open,
            "open_survey": topic.surveys.filter(closed_at__isnull=True).first(),
        }
    )
    return render(request, "deliberation/staff/topic.html", ctx)


def _date(value):
    return parse_date(value or "") if value else None


def _moment(value):
    if not value:
        return None
    moment = parse_datetime(value)
    if moment and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _survey_questions(text: str) -> list[dict]:
    """One question a line: "question | option | option …"."""
    out = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            out.append({"text": parts[0], "options": [p for p in parts[1:] if p]})
    return out


@signed_in_view
@require_POST
def staff_act(request, pk: int, action: str):
    topic = _staff_topic(request, pk)
    user, post = request.user, request.POST
    version = post.get("version") or None
    done = _("Done.")
    try:
        if action == "advance":
            services.advance(topic, user, note=post.get("note", ""), expected_version=version)
            done = _("The topic moved to the next step.")
        elif action == "take_up":
            services.take_up(topic, user, reason=post.get("reason", ""), expected_version=version)
            done = _("The topic is taken up.")
        elif action == "decline":
            services.decline(topic, user, reason=post.get("reason", ""), expected_version=version)
            done = _("The topic is declined; the reason is public.")
        elif action == "note":
            photo = request.FILES.get("photo")
            services.add_note(topic, user, kind=post.get("kind", ""), text=post.get("text", ""), photo=photo)
            done = _("The research note is recorded.")
        elif action == "survey":
            services.create_survey(topic, user, questions=_survey_questions(post.get("questions", "")))
            done = _("The questionnaire is open to the affected households.")
        elif action == "close_survey":
            services.close_survey(get_object_or_404(Survey, pk=post.get("survey"), topic=topic), user)
            done = _("The questionnaire is closed.")
        elif action == "schedule":
            meeting = services.schedule(
                topic,
                user,
                title=post.get("title", ""),
                scheduled_at=_moment(post.get("scheduled_at")),
                place=post.get("place", ""),
            )
            messages.success(request, _("The meeting is called; the council is invited."))
            return redirect("deliberation:meeting", meeting.pk)
        elif action == "review":
            services.review(topic, user, lawful=post.get("lawful") == "yes", opinion=post.get("opinion", ""))
            done = _("The legality review is recorded.")
        elif action == "answer":
            objection = get_object_or_404(Objection, pk=post.get("objection"), topic=topic)
            services.answer(objection, user, text=post.get("text", ""))
            done = _("The objection is answered.")
        elif action == "task":
            milestones = [m.strip() for m in post.get("milestones", "").splitlines() if m.strip()]
            case = None
            if post.get("case"):
                case = Case.objects.by_ref(post["case"].strip()).first()
                if case is None or not case_policy.can_view(user, case):
                    raise ValidationError(_("No case with that reference in your scope."))
            services.add_task(
                topic,
                user,
                title=post.get("title", ""),
                owner_label=post.get("owner_label", ""),
                due_on=_date(post.get("due_on")),
                milestones=milestones,
                case=case,
            )
            done = _("The task is added.")
        elif action == "progress":
            task = get_object_or_404(Task, pk=post.get("task"), topic=topic)
            services.report_progress(task, user, progress=post.get("progress"), note=post.get("note", ""))
            done = _("Progress is recorded.")
        elif action == "milestone":
            milestone = get_object_or_404(Milestone, pk=post.get("milestone"), task__topic=topic)
            services.complete_milestone(milestone, user)
            done = _("The milestone is reached.")
        elif action == "complete":
            task = get_object_or_404(Task, pk=post.get("task"), topic=topic)
            services.complete_task(task, user, result=post.get("result", ""))
            done = _("The task is done.")
        elif action == "link_case":
            case = Case.objects.by_ref(post.get("case", "").strip()).first()
            if case is None or not case_policy.can_view(user, case):
                raise ValidationError(_("No case with that reference in your scope."))
            services.link_case(topic, case, user)
            done = _("The case is linked to this topic.")
        elif action == "comment":
            services.comment(topic, user, post.get("text", ""))
            done = _("Your comment is posted.")
        else:
            raise Http404
    except ERRORS as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, done)
    return redirect("deliberation:topic", topic.pk)


@signed_in_view
def meeting_page(request, pk: int):
    meeting = get_object_or_404(Meeting.objects.select_related("topic__community", "step__step"), pk=pk)
    topic = meeting.topic
    user = request.user
    if not policy.can_view_council_page(user, topic):
        raise PermissionDenied(_("You may not see this meeting."))
    may_see_votes = policy.can_view_votes(user, topic)
    own = meeting.invitations.filter(user=user).first() if user.is_authenticated else None
    motions = list(meeting.motions.all())
    voted = set(own.cast_votes.values_list("motion_id", flat=True)) if own else set()
    return render(
        request,
        "deliberation/staff/meeting.html",
        {
            "meeting": meeting,
            "topic": topic,
            "invitations": list(meeting.invitations.all()),
            "motions": motions,
            "open_motion": next((m for m in motions if m.closed_at is None), None),
            "runs": policy.runs(user, topic.path),
            "can_meet": policy.can(user, Action.MEET, topic),
            "own": own,
            "voted": voted,
            "record": services.minutes_record(meeting) if may_see_votes else None,
            "may_see_votes": may_see_votes,
            "choices": VoteChoice.choices,
            "tally": services.tally(next(m for m in motions if m.closed_at is None), meeting.step.step)
            if any(m.closed_at is None for m in motions)
            else None,
        },
    )


@signed_in_view
@require_POST
def meeting_act(request, pk: int, action: str):
    meeting = get_object_or_404(Meeting, pk=pk)
    user, post = request.user, request.POST
    done = _("Done.")
    try:
        if action == "open":
            services.open_meeting(
                meeting, user, present=[int(i) for i in post.getlist("present") if i.isdigit()]
            )
            done = _("The meeting is open; attendance is recorded.")
        elif action == "invite":
            services.invite(meeting, user, label=post.get("label", ""), votes=post.get("votes") == "on")
            done = _("Invited.")
        elif action == "motion":
            services.put_motion(meeting, user, text=post.get("text", ""))
            done = _("The motion is put to the vote.")
        elif action == "vote":
            motion = get_object_or_404(Motion, pk=post.get("motion"), meeting=meeting)
            invitation = None
            if post.get("invitation"):
                invitation = get_object_or_404(Invitation, pk=post["invitation"], meeting=meeting)
            services.vote(motion, user, choice=post.get("choice", ""), invitation=invitation)
            done = _("The vote is recorded.")
        elif action == "close_vote":
            motion = get_object_or_404(Motion, pk=post.get("motion"), meeting=meeting)
            motion = services.close_vote(motion, user)
            done = _("The motion is passed.") if motion.passed else _("The motion is not passed.")
        elif action == "close":
            services.close_meeting(meeting, user, minutes=post.get("minutes", ""))
            done = _("The meeting is closed and its minutes are kept.")
        else:
            raise Http404
    except ERRORS as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, done)
    return redirect("deliberation:meeting", meeting.pk)


@signed_in_view
def from_cases(request):
    """Topics from concentrated cases (集中突出): the flagged cases of the user's communities."""
    user = request.user
    communities = list(policy.communities_run_by(user)[:50])
    if not communities:
        raise PermissionDenied(_("You may not raise topics for a community."))
    cases = case_policy.visible_cases(
        user,
        Case.objects.filter(
            kind=Kind.CONCENTRATED, state__in=OPEN_STATES, deliberation_link__isnull=True
        ).filter(people_policy.path_q([c.path for c in communities])),
    ).order_by("-reported_at")[:100]
    values = {"title": "", "description": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        chosen = [c for c in cases if str(c.pk) in request.POST.getlist("cases")]
        try:
            topic = services.raise_from_cases(
                chosen, user, title=values["title"], description=values["description"]
            )
        except ERRORS as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The topic is raised from %(n)s cases.") % {"n": len(chosen)})
            return redirect("deliberation:topic", topic.pk)
    return render(request, "deliberation/staff/from_cases.html", {"cases": list(cases), "values": values})


@signed_in_view
def joint_meetings(request):
    user = request.user
    communities = policy.communities_run_by(user)
    if not communities.exists():
        raise PermissionDenied(_("You may not arrange joint meetings."))
    compounds = list(Compound.objects.filter(community__in=communities).select_related("community")[:300])
    if request.method == "POST":
        try:
            if request.POST.get("action") == "schedule":
                compound = get_object_or_404(
                    Compound, pk=request.POST.get("compound"), community__in=communities
                )
                services.schedule_joint_meeting(compound, user, scheduled_for=_date(request.POST.get("date")))
                messages.success(request, _("The joint meeting is scheduled."))
            elif request.POST.get("action") == "held":
                meeting = get_object_or_404(JointMeeting, pk=request.POST.get("meeting"))
                services.hold_joint_meeting(
                    meeting,
                    user,
                    held_on=_date(request.POST.get("held_on")),
                    parties=request.POST.getlist("parties"),
                    minutes=request.POST.get("minutes", ""),
                )
                messages.success(request, _("The joint meeting is recorded as held."))
            elif request.POST.get("action") == "topic":
                meeting = get_object_or_404(JointMeeting, pk=request.POST.get("meeting"))
                topic = services.raise_from_joint_meeting(
                    meeting,
                    user,
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                )
                messages.success(request, _("The topic is raised."))
                return redirect("deliberation:topic", topic.pk)
        except ERRORS as exc:
            messages.error(request, _message(exc))
        return redirect("deliberation:joint")
    meetings = JointMeeting.objects.filter(compound__in=compounds).order_by("-scheduled_for")[:100]
    return render(
        request,
        "deliberation/staff/joint.html",
        {
            "rows": statuses(compounds),
            "meetings": list(meetings.select_related("compound")),
            "parties": JointParty.choices,
            "today": date.today(),
        },
    )


@signed_in_view
def figures(request, code: str):
    area = get_object_or_404(Area, code=code)
    if not policy.can_view_figures(request.user, area):
        raise PermissionDenied(_("You may not see these figures."))
    return render(
        request,
        "deliberation/staff/figures.html",
        {"area": area, "figures": rollups.figures(area), "children": rollups.breakdown(area)},
    )


@signed_in_view
def note_photo(request, pk: int):
    """A research photo (checked and stripped of metadata when uploaded), for the council's page only."""
    from django.http import FileResponse

    from .models import ResearchNote

    note = get_object_or_404(ResearchNote.objects.select_related("topic"), pk=pk)
    if not note.photo or not policy.can_view_council_page(request.user, note.topic):
        raise Http404
    try:
        handle = note.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=note.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
