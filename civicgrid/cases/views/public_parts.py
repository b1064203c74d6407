"""Parts that the residents' pages, the problem wall and the intake pages share: the public timeline, the time-left
indicator, the place pickers' data, and free text with personal details taken out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Area, Level
from civicgrid.core.workcalendar import working_hours_between
from civicgrid.people.models import Department, Role, RoleAssignment
from civicgrid.people.policy import ROLE_PRIORITY

from ..models import Case, CaseEvent
from ..workflow import INTAKE_ACTIONS, SYSTEM_ACTIONS, CaseLevel, Channel, Rating, State

# --- free text for the public ----------------------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d){8}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"(?<!\d)\d{7,}(?!\d)")
# Room numbers: "301室", "1-2-301", "2单元301", "502号房".
_ROOM = re.compile(
    r"\d{3,4}\s*(?:室|号房|房间)|(?<!\d)\d{1,3}-\d{1,3}-\d{3,4}(?!\d)|(?<=单元)\s*\d{3,4}(?!\d)"
)
# "我叫张三", "联系人：李四", "姓名 王五"; "王先生", "刘阿姨".
_NAMED = re.compile(r"(我叫|联系人|姓名|报告人|反映人|户主)\s*[:：]?\s*[\u4e00-\u9fff]{2,3}")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_TITLED = re.compile(f"[{_SURNAMES}](?=(?:先生|女士|阿姨|大爷|大妈|大伯|师傅|老师|奶奶|爷爷|老伯))")


def public_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text fit for the public: phones, ID numbers, emails, long numbers, room numbers and
    (known or introduced) names removed. Used on the problem wall and on follow pages."""
    if not text:
        return ""
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = text.replace(name, "**")
    text = _ID_NUMBER.sub("***", text)
    text = _EMAIL.sub("***", text)
    text = _PHONE.sub("***", text)
    text = _LONG_NUMBER.sub("***", text)
    text = _ROOM.sub("***", text)
    text = _NAMED.sub(lambda m: m.group(1) + "**", text)
    text = _TITLED.sub("*", text)
    return text


def case_names(case: Case) -> list[str]:
    """Names known to belong to a case's people (removed from its public text); the reporting
    resident's name is read when the query annotated it as `reporter_name`."""
    return [n for n in (case.contact_name, getattr(case, "reporter_name", "")) if n]


# --- who did it: role or department, never a person's name ---------------------------------------


def actor_labels(user_ids: Iterable[int]) -> dict[int, str]:
    """For each user, what the public may know of them: their department, or their role."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    today = timezone.localdate()
    held: dict[int, list[RoleAssignment]] = {}
    rows = (
        RoleAssignment.objects.filter(user_id__in=ids)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related("department")
        .only("user_id", "role", "department__name")
    )
    for a in rows:
        held.setdefault(a.user_id, []).append(a)
    labels = {}
    order = {role: i for i, role in enumerate(ROLE_PRIORITY)}
    for user_id in ids:
        assignments = sorted(held.get(user_id, []), key=lambda a: order.get(a.role, 99))
        if not assignments:
            labels[user_id] = _("staff")
            continue
        first = assignments[0]
        if first.role == Role.DEPARTMENT_HANDLER and first.department_id:
            labels[user_id] = first.department.name
        else:
            labels[user_id] = Role(first.role).label
    return labels


def _level_label(value) -> str:
    try:
        return CaseLevel(value).label
    except ValueError:
        return ""


def _department_names(events) -> dict[int, str]:
    ids = {e.data.get("department") for e in events if isinstance(e.data, dict)} - {None}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def timeline(case: Case, *, for_public: bool, events=None, labels=None, departments=None) -> list[dict]:
    """The public lines of a case's history: when, what, by which role or department, and the note.

    `for_public` (the problem wall) names the reporter neutrally; on the reporter's own follow page
    the reporter is "you". Notes written by staff have personal details taken out. `labels` and
    `departments` may be given when many cases are shown at once (see `timelines`).
    """
    if events is None:
        events = list(case.events.filter(public=True).order_by("at", "id"))
    if labels is None:
        labels = actor_labels(e.actor_id for e in events)
    if departments is None:
        departments = _department_names(events)
    names = case_names(case)
    lines = []
    for e in events:
        data = e.data if isinstance(e.data, dict) else {}
        if e.action in ("report", "rate") and (e.actor_id is None or e.actor_id == case.reporter_user_id):
            by = _("the reporter") if for_public else _("you")
        elif e.actor_id:
            by = labels.get(e.actor_id, _("staff"))
        elif e.action in SYSTEM_ACTIONS or e.action in ("dispatch",):
            by = _("the system")
        else:
            by = ""
        detail = ""
        if e.action == "dispatch" and data.get("department") in departments:
            detail = _("to %(department)s") % {"department": departments[data["department"]]}
        elif e.action in ("escalate", "auto_escalate") and isinstance(data.get("level"), list):
            detail = _("to the %(level)s") % {"level": _level_label(data["level"][-1])}
        elif e.action == "rate" and data.get("rating") in Rating.values:
            detail = Rating(data["rating"]).label
            if data.get("reopened"):
                detail += _(" · reopened to be handled again")
        elif e.action == "decide_extension" and "granted" in data:
            detail = _("more time granted") if data["granted"] else _("more time refused")
        elif e.action in INTAKE_ACTIONS and data.get("channel"):
            try:
                detail = Channel(data["channel"]).label
            except ValueError:
                detail = ""
        note = e.note or ""
        if e.action == "report":
            note = ""  # the report's own text is shown above the timeline
        lines.append(
            {
                "at": e.at,
                "action": e.action,
                "label": e.label,
                "by": by,
                "detail": detail,
                "note": public_text(note, names),
            }
        )
    return lines


# --- time left -----------------------------------------------------------------------------------


def time_left(case: Case, now: datetime | None = None) -> dict | None:
    """The time-left indicator: colour (green, amber, red), the deadline, the working hours left
    (negative when overdue) and the share of the time left, for a bar. None without a running clock."""
    status = case.time_left(now)
    if not status.colour or status.due is None:
        return None
    now = now or timezone.now()
    hours = working_hours_between(now, status.due)
    share = status.share_left if status.share_left is not None else 0
    return {
        "colour": status.colour,
        "due": status.due,
        "which": status.which,
        "hours": hours,
        "text": hours_text(hours),
        "percent": max(0, min(100, round(share * 100))),
        "overdue": hours < 0,
    }


def hours_text(hours: float) -> str:
    """Working time as people say it: "1 working day 3 h", "5 h", "40 min"."""
    left = abs(hours)
    days, rest = divmod(left, 8)
    days, whole = int(days), int(rest)
    if days:
        return (
            _("%(days)d working days %(hours)d h") % {"days": days, "hours": whole}
            if whole
            else _("%(days)d working days") % {"days": days}
        )
    if whole:
        return _("%(hours)d working hours") % {"hours": whole}
    return _("%(minutes)d minutes") % {"minutes": max(1, round(rest * 60))}


# --- states as residents read them -----------------------------------------------------------------

# The resident-facing word for each state (the staff words are in workflow.State).
RESIDENT_STATES = {
    State.SUBMITTED: "waiting",
    State.REGISTERED: "accepted",
    State.DISPATCHED: "accepted",
    State.RETURNED: "accepted",
    State.IN_PROGRESS: "working",
    State.ON_HOLD: "held",
    State.REWORK: "working",
    State.HANDLED: "checking",
    State.CLOSED: "done",
    State.NOT_ACCEPTED: "refused",
    State.MERGED: "merged",
}


def stage(state: str) -> dict:
    """A state in the resident's words: key, label (a sentence), short (for badges in lists), colour."""
    key = RESIDENT_STATES.get(state, "waiting")
    labels = {
        "waiting": (_("Received, waiting to be registered"), ""),
        "accepted": (_("Registered, being assigned"), ""),
        "working": (_("Being handled"), "amber"),
        "held": (_("On hold, to be reviewed"), "amber"),
        "checking": (_("Handled, being checked"), "ok"),
        "done": (_("Done"), "ok"),
        "refused": (_("Not accepted"), "red"),
        "merged": (_("Merged with a report of the same problem"), ""),
    }
    short = {
        "waiting": pgettext("case stage", "waiting"),
        "accepted": pgettext("case stage", "accepted"),
        "working": pgettext("case stage", "being handled"),
        "held": pgettext("case stage", "on hold"),
        "checking": pgettext("case stage", "being checked"),
        "done": pgettext("case stage", "done"),
        "refused": pgettext("case stage", "not accepted"),
        "merged": pgettext("case stage", "merged"),
    }
    label, colour = labels[key]
    return {"key": key, "label": label, "short": short[key], "colour": colour}


# --- place pickers ---------------------------------------------------------------------------------

PLACES_LIMIT = 3000


def buildings_under(area: Area) -> list[dict]:
    """Buildings (with their units) within an area, in code order: one query."""
    if area.level == Level.UNIT:
        rows = Area.objects.filter(pk__in=[area.parent_id, area.pk])
    elif area.level == Level.BUILDING:
        rows = Area.objects.filter(Q(pk=area.pk) | Q(parent_id=area.pk))
    else:
        rows = Area.objects.filter(level__in=(Level.BUILDING, Level.UNIT), path__startswith=area.path)
    buildings: dict[int, dict] = {}
    units: list = []
    for a in rows.order_by("path").values("id", "name", "level", "parent_id")[:PLACES_LIMIT]:
        if a["level"] == Level.BUILDING:
            buildings[a["id"]] = {"id": a["id"], "name": a["name"], "units": []}
        else:
            units.append(a)
    for u in units:
        if u["parent_id"] in buildings:
            buildings[u["parent_id"]]["units"].append({"id": u["id"], "name": u["name"]})
    return list(buildings.values())


def communities_by_street() -> list[dict]:
    """Every community, grouped by street (for the resident's community list): one query."""
    streets: dict[int, dict] = {}
    rows = (
        Area.objects.filter(level=Level.COMMUNITY)
        .select_related("parent")
        .only("id", "name", "code", "parent__id", "parent__name", "parent__code")
        .order_by("code")
    )
    for c in rows:
        street = streets.setdefault(
            c.parent_id,
            {
                "name": c.parent.name if c.parent else "",
                "code": c.parent.code if c.parent else "",
                "communities": [],
            },
        )
        street["communities"].append({"id": c.pk, "name": c.name, "code": c.code})
    return sorted(streets.values(), key=lambda s: s["code"])


# --- links -----------------------------------------------------------------------------------------


def staff_case_url(case: Case) -> str | None:
    """The staff case page of a case (urls_staff.py)."""
    try:
        return reverse("cases:staff_case", args=[case.pk])
    except NoReverseMatch:
        return None


def timelines(cases: list[Case], *, for_public: bool = True) -> None:
    """Set `case.timeline` on each case with three queries in all (events, roles, departments)."""
    by_case: dict[int, list] = {c.pk: [] for c in cases}
    if by_case:
        for e in CaseEvent.objects.filter(case_id__in=list(by_case), public=True).order_by("at", "id"):
            by_case[e.case_id].append(e)
    events = [e for lst in by_case.values() for e in lst]
    labels = actor_labels(e.actor_id for e in events)
    departments = _department_names(events)
    for c in cases:
        c.timeline = timeline(
            c, for_public=for_public, events=by_case[c.pk], labels=labels, departments=departments
        )


def category_groups() -> list[dict]:
    """Active sub-categories grouped under their top category, for a select: one query."""
    from ..models import Category

    groups: dict[int, dict] = {}
    rows = (
        Category.objects.filter(active=True, parent__isnull=False, parent__active=True)
        .select_related("parent")
        .order_by("parent__sort", "parent__code", "sort", "code")
    )
    for c in rows:
        groups.setdefault(c.parent_id, {"name": c.parent.name, "children": []})["children"].append(c)
    return list(groups.values())
