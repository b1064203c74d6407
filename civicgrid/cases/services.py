"""Every write to a case goes through these functions (web pages, API, Open311, admin, worker, demo).

Each one checks permission (cases/policy.py), opens a transaction, locks the case row
(`select_for_update`), compares `expected_version` when the caller names the version it saw
(CaseConflict if someone acted in between), moves the state as workflow.TRANSITIONS allows
(IllegalTransition otherwise), writes the CaseEvent history row (with its rollup delta) and the outbox
row that triggers notifications. The functions return the updated case.

Errors callers should catch: PermissionDenied, IllegalTransition, CaseConflict, ValidationError.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time as _time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core import geo, outbox
from civicgrid.core.models import OutboxEvent
from civicgrid.core.workcalendar import add_working_hours, day_start, working_hours_between
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Department, Resident, Role

from . import policy, rollups, workflow
from .deadlines import level_due, reminder_time, start_clock
from .models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    DispatchRule,
    ExtensionRequest,
    ExtensionStatus,
    SupervisionOrder,
    overdue_q,
)
from .seed import DEFAULT_CATEGORY, ERRAND_CATEGORY
from .workflow import (
    RETURN_WINDOW_HOURS,
    STAFF_CHANNELS,
    AttachmentKind,
    CaseLevel,
    Channel,
    IllegalTransition,
    Kind,
    Rating,
    State,
)

__all__ = [
    "CaseConflict",
    "IllegalTransition",
    "IntakeResult",
    "Suggestion",
    "intake",
    "settle_on_spot",
    "register",
    "not_accept",
    "dispatch",
    "suggest_dispatch",
    "accept",
    "return_to_dispatcher",
    "request_extension",
    "decide_extension",
    "put_on_hold",
    "resume",
    "mark_handled",
    "verify",
    "rate",
    "reopen",
    "escalate",
    "supervise",
    "merge",
    "flag_for_deliberation",
    "comment",
    "add_attachment",
    "find_possible_duplicates",
    "triage",
    "case_for_token",
    "get_by_ref",
    "filter_cases",
]

DESCRIPTION_MAX = 4000


class CaseConflict(Exception):
    """Someone else acted on the case after the caller loaded it (optimistic check)."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("Someone else has already acted on this case. Reload it and try again.")
        )


class IntakeResult(NamedTuple):
    case: Case
    created: bool
    token: str | None  # the raw follow token, to give to the reporter once


@dataclass
class Suggestion:
    department: Department | None
    assisting: list[Department] = field(default_factory=list)
    rule: DispatchRule | None = None
    source: str = ""  # "rule", "parent rule", "category default" or ""


# --- in-process caches of categories, rules and areas (invalidated on change) ---------------------

CACHE_SECONDS = 60
_lock = threading.Lock()
_cache: dict = {"loaded": 0.0}


def _forget(*args, **kwargs) -> None:
    with _lock:
        _cache.clear()
        _cache["loaded"] = 0.0


def _load() -> dict:
    cache = _cache
    if cache.get("categories") is not None and _time.monotonic() - cache["loaded"] < CACHE_SECONDS:
        return cache
    with _lock:
        categories = {c.pk: c for c in Category.objects.select_related("parent")}
        by_code = {c.code: c for c in categories.values()}
        keywords = []
        for c in categories.values():
            if c.active and c.parent_id and c.keywords:
                for word in c.keywords.split():
                    keywords.append((word, c))
        keywords.sort(key=lambda item: -len(item[0]))
        rules: dict[int, list] = {}
        for r in DispatchRule.objects.select_related("area").prefetch_related("assisting"):
            rules.setdefault(r.category_id, []).append(
                (r.area.path, r.priority, r.department_id, [d.pk for d in r.assisting.all()], r.pk)
            )
        for lst in rules.values():
            lst.sort(key=lambda x: (-len(x[0]), -x[1]))
        areas = {
            a["id"]: a
            for a in Area.objects.filter(level=Level.GRID).values(
                "id", "path", "jurisdiction", "level", "code"
            )
        }
        cache.update(
            categories=categories,
            by_code=by_code,
            keywords=keywords,
            rules=rules,
            grids=areas,
            loaded=_time.monotonic(),
        )
    return cache


for _model in (Category, DispatchRule):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"cases-cache-save-{_model.__name__}")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"cases-cache-delete-{_model.__name__}")
m2m_changed.connect(_forget, sender=DispatchRule.assisting.through, dispatch_uid="cases-cache-m2m")
post_save.connect(_forget, sender=Area, dispatch_uid="cases-cache-area-save")
post_delete.connect(_forget, sender=Area, dispatch_uid="cases-cache-area-delete")


def get_category(value) -> Category:
    """A category from an instance, an id (int) or a code (str); cached."""
    if isinstance(value, Category):
        return _load()["categories"].get(value.pk, value)
    for attempt in range(2):
        cache = _load()
        found = cache["categories"].get(value) if isinstance(value, int) else cache["by_code"].get(str(value))
        if found is not None:
            return found
        if attempt == 0:
            _forget()
    raise ValidationError(_("Unknown category."))


def triage(description: str, category=None) -> Category:
    """The category given, else the first sub-category whose keyword occurs in the text, else 其他."""
    if category:
        return get_category(category)
    text = description or ""
    for word, cat in _load()["keywords"]:
        if word in text:
            return cat
    return get_category(DEFAULT_CATEGORY)


def _suggest_ids(category: Category, path: str) -> tuple[int | None, list[int], int | None, str]:
    rules = _load()["rules"]
    for cat_id, source in ((category.pk, "rule"), (category.parent_id, "parent rule")):
        if not cat_id:
            continue
        for area_path, _prio, dept_id, assisting, rule_id in rules.get(cat_id, ()):
            if path.startswith(area_path):
                return dept_id, assisting, rule_id, source
    default = category.default_department_id or (
        category.parent.default_department_id if category.parent else None
    )
    return default, [], None, "category default" if default else ""


def suggest_dispatch(case: Case) -> Suggestion:
    """The dispatcher's suggestion: the deepest matching rule for the category (then its parent)."""
    dept_id, assisting, rule_id, source = _suggest_ids(get_category(case.category_id), case.path)
    if not dept_id:
        return Suggestion(None)
    depts = Department.objects.in_bulk([dept_id, *assisting])
    return Suggestion(
        depts.get(dept_id),
        [depts[i] for i in assisting if i in depts],
        DispatchRule.objects.filter(pk=rule_id).first() if rule_id else None,
        source,
    )


# --- helpers -----------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_for_key(scoped_key: str) -> str:
    """A retried submission with the same client key gets back the same follow token."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"case-follow:{scoped_key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def case_for_token(token: str) -> Case | None:
    """The case a private follow link points to, or None."""
    if not token or len(token) > 100:
        return None
    return Case.objects.filter(follow_token_hash=_hash(token)).first()


def get_by_ref(ref: str) -> Case | None:
    return Case.objects.by_ref(ref).first()


def _case_id(case) -> int:
    return case.pk if isinstance(case, Case) else int(case)


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _level_of(user) -> str | None:
    """The highest chain level the user holds (for reports by stewards and leaders)."""
    held = people_policy.roles(user)
    for level in reversed(workflow.LEVEL_ORDER):
        if workflow.LEVEL_ROLE[workflow.CaseLevel(level)] in held:
            return level
    return None


def _event(
    case: Case,
    action: str,
    by,
    from_state: str,
    to_state: str,
    note: str = "",
    *,
    public=None,
    data: dict | None = None,
    before=None,
    at=None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        **_event_fields(
            case, action, by, from_state, to_state, note, public=public, data=data, before=before, at=at
        ),
    )


def history_row(
    *,
    jurisdiction: str,
    action: str,
    by=None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    public: bool | None = None,
    data: dict | None = None,
    at: datetime | None = None,
    rollup_pending: bool = False,
) -> dict:
    """Every column of a history row (CaseEvent) but the case, by field name: the one builder that
    the services, the one-statement intake and the sweep's set-based INSERT all use."""
    if public is None:
        transition = workflow.TRANSITIONS.get(action)
        public = transition.public if transition else True
    return {
        "jurisdiction": jurisdiction,
        "actor": _actor(by),
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
        "at": at or _now(),
        "public": public,
        "data": dict(data or {}),
        "rollup_pending": rollup_pending,
    }


def _event_fields(
    case: Case, action: str, by, from_state: str, to_state: str, note: str = "", *, public, data, before, at
) -> dict:
    """The columns of a history row (all but the case), with the rollup delta the action makes."""
    data = dict(data or {})
    change = rollups.delta(before, rollups.contribution(case))
    if change:
        data["rollup"] = change
    return history_row(
        jurisdiction=case.jurisdiction,
        action=action,
        by=by,
        from_state=from_state,
        to_state=to_state,
        note=note,
        public=public,
        data=data,
        at=at,
        rollup_pending=bool(change),
    )


def _emit(case: Case, action: str, event: CaseEvent, **extra) -> None:
    outbox.emit(
        f"case.{action}",
        {"case": case.pk, "event": event.pk, "state": case.state, **extra},
        jurisdiction=case.jurisdiction,
    )


class _Move:
    """Context for one action on one case: lock, checks, then `finish()` writes history and outbox."""

    def __init__(self, case, action: str, by, expected_version: int | None, *, system: bool = False):
        self.action = action
        self.by = by
        self.case = Case.objects.select_for_update().select_related("category").get(pk=_case_id(case))
        if expected_version is not None and int(expected_version) != self.case.version:
            raise CaseConflict()
        if not system:
            policy.check(by, action, self.case)
        self.from_state = self.case.state
        self.to_state = workflow.check(action, self.case.state)
        self.before = rollups.contribution(self.case)
        self.now = _now()

    def finish(
        self, note: str = "", *, to_state: str | None = None, public=None, data=None, emit=True, **emit_extra
    ) -> Case:
        case = self.case
        case.state = to_state or self.to_state
        case.version += 1
        case.save()
        event = _event(
            case,
            self.action,
            self.by,
            self.from_state,
            case.state,
            note,
            public=public,
            data=data,
            before=self.before,
            at=self.now,
        )
        if emit:
            _emit(case, self.action, event, **emit_extra)
        return case


def _require(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


# --- intake ------------------------------------------------------------------------------------


def _place(*, lng, lat, crs, building, unit, area, grid) -> tuple[dict, float | None, float | None]:
    """Resolve where a case is: (fields for the case, WGS84 lng, lat).

    A point is converted to WGS84 first, however the rest of the place is given (unit, building,
    area or the point alone, inside a grid or not): only WGS84 is stored."""
    from civicgrid.areas.lookup import find_grid, normalise_crs

    fields: dict = {}
    if lng is not None and lat is not None:
        try:
            gcj02 = normalise_crs(crs) == "gcj02"
        except ValueError:
            raise ValidationError(_("Give coordinates as wgs84 or gcj02.")) from None
        lng, lat = float(lng), float(lat)
        if gcj02:
            lng, lat = geo.gcj02_to_wgs84(lng, lat)
    if unit is not None:
        unit = unit if isinstance(unit, Area) else Area.objects.get(pk=unit)
        if unit.level != Level.UNIT:
            raise ValidationError(_("Pick a unit."))
        fields.update(
            unit_id=unit.pk, building_id=unit.parent_id, path=unit.path, jurisdiction=unit.jurisdiction
        )
        building_path = unit.path[: unit.path[:-1].rfind("/") + 1]
        grid = _grid_from_path(building_path[: building_path[:-1].rfind("/") + 1])
    elif building is not None:
        building = building if isinstance(building, Area) else Area.objects.get(pk=building)
        if building.level != Level.BUILDING:
            raise ValidationError(_("Pick a building."))
        fields.update(building_id=building.pk, path=building.path, jurisdiction=building.jurisdiction)
        grid = _grid_from_path(building.path[: building.path[:-1].rfind("/") + 1])
        if lng is None and building.lng is not None:
            lng, lat = building.lng, building.lat
    if grid is None and lng is not None and lat is not None:
        match = find_grid(lng, lat)
        if match:
            grid = _load()["grids"].get(match.grid_id) or _grid_row(match.grid_id)
    if isinstance(grid, Area):
        grid = {"id": grid.pk, "path": grid.path, "jurisdiction": grid.jurisdiction}
    if grid is not None:
        fields["grid_id"] = grid["id"]
        fields.setdefault("path", grid["path"])
        fields.setdefault("jurisdiction", grid["jurisdiction"])
    elif area is not None and "path" not in fields:
        area = area if isinstance(area, Area) else Area.objects.get(pk=area)
        if area.level == Level.GRID:
            fields["grid_id"] = area.pk
        fields.update(path=area.path, jurisdiction=area.jurisdiction)
    if "path" not in fields:
        raise ValidationError(_("Say where the problem is: a place on the map, a building, or an area."))
    return fields, lng, lat


def _grid_row(grid_id: int) -> dict | None:
    row = Area.objects.filter(pk=grid_id).values("id", "path", "jurisdiction").first()
    if row:
        _load()["grids"][grid_id] = row
    return row


def _grid_from_path(path: str) -> dict | None:
    for row in _load()["grids"].values():
        if row["path"] == path:
            return row
    return Area.objects.filter(path=path, level=Level.GRID).values("id", "path", "jurisdiction").first()


def _initial_level(channel: str, kind: str, category: Category, by, has_grid: bool) -> str:
    if kind == Kind.EMERGENCY:
        return CaseLevel.DISTRICT
    if channel in (
        Channel.HOTLINE,
        Channel.PETITION_LETTER,
        Channel.PETITION_VISIT,
        Channel.PETITION_ONLINE,
        Channel.DEPARTMENT_TRANSFER,
    ):
        return CaseLevel.STREET
    if channel == Channel.STEWARD and by is not None:
        own = _level_of(by)
        if own in (CaseLevel.UNIT, CaseLevel.BUILDING):
            return own
    if not has_grid:
        return CaseLevel.STREET
    default = category.default_level or CaseLevel.GRID
    # Reports start no higher than the category's level and no lower than the grid worker.
    order = workflow.LEVEL_ORDER
    return default if order.index(default) >= order.index(CaseLevel.GRID) else CaseLevel.GRID


def intake(
    *,
    channel: str,
    description: str,
    by=None,
    category=None,
    title: str = "",
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    building: Area | int | None = None,
    unit: Area | int | None = None,
    area: Area | int | None = None,
    address: str = "",
    reporter: Resident | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    photos: Sequence = (),
    client_key: str | None = None,
    kind: str | None = None,
    is_errand: bool = False,
    public: bool | None = None,
    extra: dict | None = None,
    reported_at: datetime | None = None,
) -> IntakeResult:
    """Take a case in. Returns (case, created, raw follow token).

    The place is a point (lng/lat, WGS84 or crs="gcj02"), a building or unit, or an area (for
    hotline calls without a point); EXIF location in a photo is used when none is given. The
    category is triaged from the description when not given. A retried submission with the same
    `client_key` (per channel) returns the case made the first time, with created=False.
    Staff channels (patrol, visit, hotline, petitions, transfers, errands) start registered.
    """
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel."))
    description = _require(description, _("Describe the problem."))[:DESCRIPTION_MAX]
    # No look-up first: the unique index on client_key catches a retry (see the except below).
    scoped_key = f"{channel}:{client_key.strip()}"[:80] if client_key and client_key.strip() else None
    cleaned = _clean_photos(photos)
    if lng is None and lat is None:
        for photo in cleaned:
            if photo.lng is not None:
                lng, lat, crs = photo.lng, photo.lat, "wgs84"
                break
    place, lng, lat = _place(lng=lng, lat=lat, crs=crs, building=building, unit=unit, area=area, grid=None)
    if not policy.can_intake(by, channel, place["path"]):
        raise PermissionDenied(_("You may not report through this channel here."))
    is_errand = bool(is_errand or channel == Channel.ERRAND)
    cat = _errand_category(description) if is_errand and category is None else triage(description, category)
    if cat.parent_id is None:
        children = [c for c in _load()["categories"].values() if c.parent_id == cat.pk and c.active]
        if children:
            cat = min(children, key=lambda c: (c.sort, c.code))
    kind = kind or Kind.COORDINATION
    if kind not in Kind.values:
        raise ValidationError(_("Unknown kind of case."))
    now = reported_at or _now()
    level = _initial_level(channel, kind, cat, by, "grid_id" in place)
    token = _token_for_key(scoped_key) if scoped_key else secrets.token_urlsafe(24)
    reporter_user = by if getattr(by, "is_authenticated", False) and channel not in STAFF_CHANNELS else None
    # The reporter's resident record: looked up below, or inside the one-statement insert.
    find_reporter = reporter is None and reporter_user is not None
    case = Case(
        follow_token_hash=_hash(token),
        client_key=scoped_key,
        channel=channel,
        kind=kind,
        is_errand=is_errand,
        category=cat,
        top_category_id=cat.top_id,
        lng=lng,
        lat=lat,
        address=address[:200],
        title=(title or description.split("\n")[0])[:120],
        description=description,
        reporter_user=reporter_user,
        reporter=reporter,
        contact_name=contact_name[:50],
        contact_phone=contact_phone[:20],
        contact_email=contact_email,
        level=level,
        reported_at=now,
        reported_month=rollups.month_of(now),
        public=cat.public if public is None else bool(public and cat.public),
        **place,
    )
    start_clock(case, now)
    if level in workflow.CHAIN_LEVELS:
        case.level_due = level_due(level, now)
    dept_id, assisting, _rule, _source = _suggest_ids(cat, case.path)
    case.suggested_department_id = dept_id
    case.state = workflow.initial_state(channel, kind)
    if case.state == State.REGISTERED:
        case.registered_at = now
    auto = cat.auto_dispatch and dept_id and kind != Kind.EMERGENCY
    if auto:
        case.state = workflow.check("dispatch", State.SUBMITTED)
        case.registered_at = case.dispatched_at = now
        case.department_id = dept_id
        case.level = CaseLevel.STREET
        case.level_due = None
    using = router.db_for_write(Case)
    one_statement = not auto and not cleaned and _one_statement(using)
    if find_reporter and not one_statement:
        case.reporter = Resident.objects.filter(user=reporter_user).first()
    try:
        if one_statement:
            _insert_report(
                case, by, channel, extra, now, kind, using, reporter_user if find_reporter else None
            )
            return IntakeResult(case, True, token)
        with transaction.atomic():
            case.save(force_insert=True)
            if auto and assisting:
                case.assisting.set(assisting)
            event = _event(
                case,
                "report",
                by,
                "",
                case.state,
                public=True,
                data={"channel": channel, **({"extra": extra} if extra else {})},
                at=now,
            )
            if auto:  # the rollups took the dispatched case with the report: no delta here
                _event(
                    case,
                    "dispatch",
                    None,
                    State.SUBMITTED,
                    State.DISPATCHED,
                    data={"department": dept_id, "automatic": True},
                    before=rollups.contribution(case),
                    at=now,
                )
            for photo in cleaned:
                _save_photo(case, photo, by, AttachmentKind.REPORT)
            _emit(case, "reported", event, kind=kind, emergency=kind == Kind.EMERGENCY, dispatched=bool(auto))
    except IntegrityError:
        if scoped_key:
            existing = Case.objects.filter(client_key=scoped_key).first()
            if existing is not None:
                return IntakeResult(existing, False, _token_for_key(scoped_key))
        raise
    return IntakeResult(case, True, token)


_REPORT_TEMPLATE: dict[str, tuple] = {}


def _one_statement(using: str) -> bool:
    """Whether the database takes a report's three rows in one statement (PostgreSQL does)."""
    return connections[using].vendor == "postgresql"


def _report_template(connection) -> tuple:
    """One statement writing a report's case, history row and outbox row (PostgreSQL): the three
    INSERTs the ORM would send, chained by their RETURNING ids, in one round trip. Returns the
    statement with a `{}` slot per value, the fields in slot order, and the sub-select that finds
    the reporting account's resident record as `Resident.objects.filter(user=…).first()` would."""
    if connection.alias not in _REPORT_TEMPLATE:
        qn = connection.ops.quote_name

        def columns(model, skip):
            return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]

        def names(fields):
            return ", ".join(qn(f.column) for f in fields)

        def slots(fields):
            return ", ".join(["{}"] * len(fields))

        case_fields = columns(Case, ())
        event_fields = columns(CaseEvent, {"case"})
        outbox_fields = columns(OutboxEvent, {"payload"})
        order = ", ".join(
            qn(Resident._meta.get_field(name.lstrip("-")).column) + (" DESC" if name[0] == "-" else "")
            for name in Resident._meta.ordering
        )
        find_reporter = (
            f"(SELECT {qn(Resident._meta.pk.column)} FROM {qn(Resident._meta.db_table)} "
            f"WHERE {qn(Resident._meta.get_field('user').column)} = %s ORDER BY {order} LIMIT 1)"
        )
        template = (
            f"WITH c AS (INSERT INTO {qn(Case._meta.db_table)} ({names(case_fields)}) "
            f"VALUES ({slots(case_fields)}) RETURNING {qn(Case._meta.pk.column)} AS id, "
            f"{qn(Case._meta.get_field('reporter').column)} AS reporter_id), "
            f"e AS (INSERT INTO {qn(CaseEvent._meta.db_table)} "
            f"({qn(CaseEvent._meta.get_field('case').column)}, {names(event_fields)}) "
            f"VALUES ((SELECT id FROM c), {slots(event_fields)}) "
            f"RETURNING {qn(CaseEvent._meta.pk.column)} AS id), "
            f"o AS (INSERT INTO {qn(OutboxEvent._meta.db_table)} "
            f"({qn(OutboxEvent._meta.get_field('payload').column)}, {names(outbox_fields)}) "
            "VALUES (jsonb_build_object('case', (SELECT id FROM c), 'event', (SELECT id FROM e)) || {}, "
            f"{slots(outbox_fields)})) "
            "SELECT (SELECT id FROM c), (SELECT reporter_id FROM c)"
        )
        _REPORT_TEMPLATE[connection.alias] = (
            template,
            case_fields,
            event_fields,
            outbox_fields,
            find_reporter,
        )
    return _REPORT_TEMPLATE[connection.alias]


@lru_cache(maxsize=64)
def _report_sql(template: str, slots: tuple[str, ...]) -> str:
    return template.format(*slots)


def _slot(value) -> str:
    """NULL, TRUE, FALSE and '' are written into the statement (a new report has many): psycopg
    parses a statement once and reuses the parse only when it has at most 50 parameters."""
    if value is None:
        return "NULL"
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if value.__class__ is str and not value:
        return "''"
    return "%s"


def _insert_report(
    case: Case, by, channel: str, extra, now, kind: str, using: str, reporter_user=None
) -> None:
    """intake's writes on PostgreSQL (no photos, no automatic dispatch): the same rows as
    `case.save()`, `_event(…)` and `_emit(…)`, sent as one statement (atomic by itself)."""
    connection = connections[using]
    template, case_fields, event_fields, outbox_fields, find_reporter = _report_template(connection)
    event = CaseEvent(
        **_event_fields(
            case,
            "report",
            by,
            "",
            case.state,
            public=True,
            data={"channel": channel, **({"extra": extra} if extra else {})},
            before=None,
            at=now,
        )
    )
    emitted_at = timezone.now()  # as outbox.emit stamps its row
    row = OutboxEvent(
        topic="case.reported",
        jurisdiction=case.jurisdiction or "",
        created_at=emitted_at,
        available_at=emitted_at,
    )
    payload = {"state": case.state, "kind": kind, "emergency": kind == Kind.EMERGENCY, "dispatched": False}
    values = [f.get_db_prep_save(f.pre_save(case, True), connection) for f in case_fields]
    slots = [_slot(value) for value in values]
    if reporter_user is not None:
        at = next(i for i, f in enumerate(case_fields) if f.name == "reporter")
        values[at], slots[at] = reporter_user.pk, find_reporter
    for value in (
        *(f.get_db_prep_save(f.pre_save(event, True), connection) for f in event_fields),
        OutboxEvent._meta.get_field("payload").get_db_prep_save(payload, connection),
        *(f.get_db_prep_save(f.pre_save(row, True), connection) for f in outbox_fields),
    ):
        values.append(value)
        slots.append(_slot(value))
    params = [value for value, slot in zip(values, slots, strict=True) if "%s" in slot]
    sql = _report_sql(template, tuple(slots))
    # Inside a caller's transaction a savepoint keeps it usable when the client key is taken.
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        case.pk, reporter_id = cursor.fetchone()
    if reporter_user is not None:
        case.reporter_id = reporter_id
    case._state.adding = False
    case._state.db = using


def _errand_category(description: str) -> Category:
    errand = get_category(ERRAND_CATEGORY)
    children = sorted(
        (c for c in _load()["categories"].values() if c.parent_id == errand.pk and c.active),
        key=lambda c: (c.sort, c.code),
    )
    for child in children:
        if any(word in description for word in child.keywords.split()):
            return child
    return children[0] if children else errand


def settle_on_spot(
    *,
    by,
    description: str,
    result: str,
    category=None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    building=None,
    unit=None,
    area=None,
    address: str = "",
    reporter: Resident | None = None,
    photos: Sequence = (),
    client_key: str | None = None,
    channel: str = Channel.GRID_PATROL,
) -> IntakeResult:
    """A general matter (一般性) settled on the spot: recorded in one step as a closed case."""
    result = _require(result, _("Say what was done."))
    description = _require(description, _("Describe the problem."))
    cleaned = _clean_photos(photos)
    place, lng, lat = _place(lng=lng, lat=lat, crs=crs, building=building, unit=unit, area=area, grid=None)
    if not policy.can_settle_on_spot(by, place["path"]):
        raise PermissionDenied(
            _("Only the steward, building leader or grid worker of this place can do this.")
        )
    # No look-up first: the unique index on client_key catches a retry (see the except below).
    scoped_key = f"{channel}:{client_key.strip()}"[:80] if client_key and client_key.strip() else None
    cat = triage(description, category)
    now = _now()
    token = _token_for_key(scoped_key) if scoped_key else secrets.token_urlsafe(24)
    case = Case(
        follow_token_hash=_hash(token),
        client_key=scoped_key,
        channel=channel,
        kind=Kind.GENERAL,
        category=cat,
        top_category_id=cat.top_id,
        lng=lng,
        lat=lat,
        address=address[:200],
        title=description.split("\n")[0][:120],
        description=description[:DESCRIPTION_MAX],
        reporter=reporter,
        level=_level_of(by) or CaseLevel.GRID,
        state=State.CLOSED,
        result=result,
        reported_at=now,
        reported_month=rollups.month_of(now),
        registered_at=now,
        responded_at=now,
        handled_at=now,
        verified_at=now,
        closed_at=now,
        public=cat.public,
        **place,
    )
    start_clock(case, now)
    case.remind_at = None
    try:
        with transaction.atomic():
            case.save(force_insert=True)
            event = _event(case, "settle_on_spot", by, "", State.CLOSED, result, public=True, at=now)
            for photo in cleaned:
                _save_photo(case, photo, by, AttachmentKind.HANDLING)
            _emit(case, "settled_on_spot", event)
    except IntegrityError:
        if scoped_key:
            existing = Case.objects.filter(client_key=scoped_key).first()
            if existing is not None:
                return IntakeResult(existing, False, _token_for_key(scoped_key))
        raise
    return IntakeResult(case, True, token)


# --- photos ------------------------------------------------------------------------------------


def _clean(upload):
    """A checked photo; one already checked (a CleanPhoto, e.g. by a form) is taken as it is."""
    from .photos import CleanPhoto, clean_photo

    return upload if isinstance(upload, CleanPhoto) else clean_photo(upload)


def _clean_photos(uploads: Sequence) -> list:
    """The checked photos of one action; more than MAX_PHOTOS is refused before any is decoded."""
    from .photos import MAX_PHOTOS

    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS})
    return [_clean(u) for u in uploads]


def _save_photo(case: Case, photo, by, kind: str) -> Attachment:
    attachment = Attachment(
        jurisdiction=case.jurisdiction,
        case=case,
        content_type=photo.content_type,
        size=len(photo.content),
        width=photo.width,
        height=photo.height,
        kind=kind,
        uploaded_by=_actor(by),
    )
    attachment.file.save(f"{secrets.token_hex(8)}.{photo.extension}", ContentFile(photo.content), save=False)
    attachment.save()
    return attachment


def add_attachment(
    case, by, upload, *, kind: str = AttachmentKind.REPORT, expected_version=None
) -> Attachment:
    """Attach a photo (checked, metadata stripped) to a case."""
    photo = _clean(upload)
    with transaction.atomic():
        move = _Move(case, "add_attachment", by, expected_version)
        attachment = _save_photo(move.case, photo, by, kind)
        move.finish(data={"attachment": attachment.pk, "kind": kind}, emit=False)
    return attachment


# --- the loop ----------------------------------------------------------------------------------


@transaction.atomic
def register(
    case, by, *, category=None, kind: str | None = None, note: str = "", expected_version: int | None = None
) -> Case:
    """立案: take a submitted case into the loop (optionally correcting its category or kind)."""
    move = _Move(case, "register", by, expected_version)
    c = move.case
    data = {}
    if category is not None:
        _recategorise(c, get_category(category), data)
    if kind:
        if kind not in Kind.values:
            raise ValidationError(_("Unknown kind of case."))
        data["kind"] = [c.kind, kind]
        c.kind = kind
    c.registered_at = move.now
    return move.finish(note, data=data)


def _recategorise(c: Case, cat: Category, data: dict) -> None:
    if cat.pk == c.category_id:
        return
    data["category"] = [c.category_id, cat.pk]
    c.category = cat
    c.top_category_id = cat.top_id
    c.public = c.public and cat.public
    start_clock(c, c.clock_started_at or c.reported_at, respond=c.responded_at is None)
    dept_id, *_rest = _suggest_ids(cat, c.path)
    c.suggested_department_id = dept_id


@transaction.atomic
def not_accept(case, by, reason: str, *, expected_version: int | None = None) -> Case:
    """不予受理, with a reason that the reporter sees."""
    reason = _require(reason, _("Give the reason, the reporter will see it."))
    move = _Move(case, "not_accept", by, expected_version)
    c = move.case
    c.not_accepted_reason = reason[:300]
    c.level_due = c.remind_at = None
    return move.finish(reason, public=True)


@transaction.atomic
def dispatch(
    case,
    by,
    department: Department | int,
    *,
    assisting: Iterable = (),
    note: str = "",
    category=None,
    expected_version: int | None = None,
) -> Case:
    """派遣 to a lead department (主办) with optional assisting ones (协办)."""
    move = _Move(case, "dispatch", by, expected_version)
    c = move.case
    dept = (
        department if isinstance(department, Department) else Department.objects.filter(pk=department).first()
    )
    if dept is None or not dept.active:
        raise ValidationError(_("Pick an active department."))
    assisting_ids = sorted({d.pk if isinstance(d, Department) else int(d) for d in assisting} - {dept.pk})
    data = {"department": dept.pk, "assisting": assisting_ids}
    if category is not None:
        _recategorise(c, get_category(category), data)
    if c.department_id and c.department_id != dept.pk:
        data["previous_department"] = c.department_id
    c.department = dept
    c.registered_at = c.registered_at or move.now
    c.dispatched_at = move.now
    c.level = (
        CaseLevel.DISTRICT
        if people_policy.has_role(by, Role.DISTRICT_SUPERVISOR)
        and not people_policy.has_role(by, Role.STREET_DISPATCHER)
        else CaseLevel.STREET
    )
    c.level_due = None
    if c.responded_at is None:
        c.respond_due = add_working_hours(move.now, c.category.respond_hours)
    c.assisting.set(assisting_ids)
    return move.finish(note, data=data, department=dept.pk)


@transaction.atomic
def accept(case, by, *, note: str = "", expected_version: int | None = None) -> Case:
    """The department (or the holder at the case's level) takes the case on: the response."""
    move = _Move(case, "accept", by, expected_version)
    c = move.case
    if c.responded_at is None:
        c.responded_at = move.now
    if c.state == State.REGISTERED and not c.department_id:
        own = _level_of(by)
        if own and workflow.LEVEL_ORDER.index(own) > workflow.LEVEL_ORDER.index(c.level):
            c.level = own
            c.level_due = level_due(own, move.now)
    return move.finish(note)


@transaction.atomic
def return_to_dispatcher(case, by, reason: str, *, expected_version: int | None = None) -> Case:
    """退单: not this department's matter; within RETURN_WINDOW_HOURS working hours of dispatch."""
    reason = _require(reason, _("Say why the case is not your department's."))
    move = _Move(case, "return_to_dispatcher", by, expected_version)
    c = move.case
    if c.dispatched_at and working_hours_between(c.dispatched_at, move.now) > RETURN_WINDOW_HOURS:
        raise ValidationError(
            _(
                "A case can be returned only within %(hours)d working hours of its dispatch; ask for an extension or handle it."
            )
            % {"hours": RETURN_WINDOW_HOURS}
        )
    data = {"department": c.department_id}
    c.department = None
    c.assisting.clear()
    c.level = CaseLevel.STREET
    return move.finish(reason, data=data, public=False)


@transaction.atomic
def request_extension(
    case, by, hours: int, reason: str, *, expected_version: int | None = None
) -> ExtensionRequest:
    """延期: ask the dispatcher for more working hours."""
    reason = _require(reason, _("Say why more time is needed."))
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the extra time in working hours.")) from None
    if not 1 <= hours <= 400:
        raise ValidationError(_("Give the extra time in working hours (1 to 400)."))
    move = _Move(case, "request_extension", by, expected_version)
    if move.case.extension_requests.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("An extension request for this case is already waiting for a decision."))
    request = ExtensionRequest.objects.create(
        jurisdiction=move.case.jurisdiction,
        case=move.case,
        hours=hours,
        reason=reason[:300],
        requested_by=_actor(by),
        requested_at=move.now,
    )
    move.finish(reason, data={"request": request.pk, "hours": hours}, request=request.pk)
    return request


@transaction.atomic
def decide_extension(
    request: ExtensionRequest | int, by, *, grant: bool, note: str = "", expected_version: int | None = None
) -> ExtensionRequest:
    """Grant (moving resolve_due by the hours asked) or refuse an extension request."""
    req = ExtensionRequest.objects.select_for_update().get(
        pk=request.pk if isinstance(request, ExtensionRequest) else request
    )
    if req.status != ExtensionStatus.PENDING:
        raise ValidationError(_("This extension request has already been decided."))
    move = _Move(req.case_id, "decide_extension", by, expected_version)
    c = move.case
    req.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
    req.decided_by = _actor(by)
    req.decided_at = move.now
    req.decision_note = note[:300]
    req.save()
    data = {"request": req.pk, "granted": bool(grant), "hours": req.hours}
    if grant:
        old_due = c.resolve_due
        base = (
            max(c.resolve_due or move.now, move.now)
            if c.resolution_overdue_at
            else (c.resolve_due or move.now)
        )
        c.resolve_due = add_working_hours(base, req.hours)
        c.resolution_overdue_at = None
        c.remind_at = reminder_time(move.now, c.resolve_due)
        c.reminded_at = None
        data["resolve_due"] = [old_due.isoformat() if old_due else None, c.resolve_due.isoformat()]
    move.finish(note, data=data, request=req.pk, granted=bool(grant))
    return req


@transaction.atomic
def put_on_hold(case, by, *, until: date, reason: str, expected_version: int | None = None) -> Case:
    """挂账: cannot be solved now; the clock stops until `resume`, reviewed on `until`."""
    reason = _require(reason, _("Say why the case cannot be solved now."))
    move = _Move(case, "put_on_hold", by, expected_version)
    c = move.case
    if until is None or until <= timezone.localdate(move.now):
        raise ValidationError(_("Pick a review date in the future."))
    c.held_at = move.now
    c.hold_until = until
    c.resolution_overdue_at = None
    c.level_due = None
    c.remind_at = day_start(until)  # the review date's first working minute
    c.reminded_at = None
    return move.finish(reason, data={"until": until.isoformat()})


@transaction.atomic
def resume(case, by, *, note: str = "", expected_version: int | None = None) -> Case:
    """Take a case off hold; its deadlines move by the working time it spent on hold."""
    move = _Move(case, "resume", by, expected_version)
    c = move.case
    if c.held_at:
        for name in ("resolve_due", "respond_due"):
            due = getattr(c, name)
            if due is None or due <= c.held_at:
                continue
            left = working_hours_between(c.held_at, due)
            setattr(c, name, add_working_hours(move.now, left))
    c.held_at = None
    c.hold_until = None
    if not c.department_id and c.level in workflow.CHAIN_LEVELS:
        c.level_due = level_due(c.level, move.now)
    c.remind_at = (
        reminder_time(move.now, c.resolve_due) if c.resolve_due and c.resolve_due > move.now else None
    )
    c.reminded_at = None
    return move.finish(note)


@transaction.atomic
def mark_handled(
    case, by, result: str, *, photos: Sequence = (), expected_version: int | None = None
) -> Case:
    """处置完毕: the result is recorded and fed back to the reporter; verification follows."""
    result = _require(result, _("Say what was done."))
    cleaned = _clean_photos(photos)
    move = _Move(case, "mark_handled", by, expected_version)
    c = move.case
    c.result = result
    c.handled_at = move.now
    if c.responded_at is None:
        c.responded_at = move.now
    c.level_due = c.remind_at = None
    for photo in cleaned:
        _save_photo(c, photo, by, AttachmentKind.HANDLING)
    return move.finish(result)


@transaction.atomic
def verify(
    case, by, *, passed: bool, note: str = "", photos: Sequence = (), expected_version: int | None = None
) -> Case:
    """核查: pass closes the case (结案); fail sends it back to the handler as rework (返工)."""
    if not passed:
        note = _require(note, _("Say what is still wrong."))
    cleaned = _clean_photos(photos)
    move = _Move(case, "verify_pass" if passed else "verify_fail", by, expected_version)
    c = move.case
    c.verified_at = move.now
    if passed:
        c.closed_at = move.now
        c.remind_at = c.level_due = None
    else:
        c.rework_count += 1
        c.handled_at = None
        c.closed_at = None
        c.remind_at = (
            reminder_time(move.now, c.resolve_due) if c.resolve_due and c.resolve_due > move.now else None
        )
    for photo in cleaned:
        _save_photo(c, photo, by, AttachmentKind.VERIFICATION)
    return move.finish(note)


def rate(
    case,
    by=None,
    *,
    rating: str,
    comment: str = "",
    token: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """回访评价 by the reporter (an account, or the follow link's token) or by staff recording a
    call-back. Unsatisfied reopens the case once (重办); after that it goes to the supervisor."""
    if rating not in Rating.values:
        raise ValidationError(_("Choose satisfied, basically satisfied or unsatisfied."))
    with transaction.atomic():
        by_token = False
        if token is not None and not getattr(by, "is_authenticated", False):
            target = case_for_token(token)
            if target is None or target.pk != _case_id(case):
                raise PermissionDenied(_("This follow link is not valid."))
            by_token = True
        move = _Move(case, "rate", by, expected_version, system=by_token)
        c = move.case
        if c.rated_at and c.closed_at and c.rated_at >= c.closed_at:
            raise ValidationError(_("This case has already been rated."))
        c.rating = rating
        c.rating_comment = comment[:300]
        c.rated_at = move.now
        data: dict = {"rating": rating}
        to_state = workflow.rating_target(rating, c.reopen_count)
        if to_state == State.REWORK:
            c.reopen_count += 1
            c.rework_count += 1
            _reopen_fields(c, move.now)
            data["reopened"] = True
        elif rating in workflow.RATING_TARGETS:  # reopened often enough: to the supervisor
            SupervisionOrder.objects.create(
                jurisdiction=c.jurisdiction,
                case=c,
                issued_by=None,
                reason="unsatisfied",
                note=comment[:300],
                at=move.now,
                due=add_working_hours(move.now, workflow.UNSATISFIED_SUPERVISION_HOURS),
            )
            data["to_supervisor"] = True
        return move.finish(comment, to_state=to_state, data=data, public=True, rating=rating)


def _reopen_fields(c: Case, now: datetime) -> None:
    c.closed_at = None
    c.verified_at = None
    c.handled_at = None
    c.remind_at = reminder_time(now, c.resolve_due) if c.resolve_due and c.resolve_due > now else None


@transaction.atomic
def reopen(case, by, *, note: str, expected_version: int | None = None) -> Case:
    """A supervisor reopens a closed case (after a second unsatisfied rating, say)."""
    note = _require(note, _("Say why the case is reopened."))
    move = _Move(case, "reopen", by, expected_version)
    c = move.case
    c.reopen_count += 1
    c.rework_count += 1
    _reopen_fields(c, move.now)
    return move.finish(note)


@transaction.atomic
def escalate(case, by, *, note: str = "", expected_version: int | None = None) -> Case:
    """One level up the chain (unit steward → building leader → grid worker → branch → community →
    street → district). Past the community it goes to the street's dispatcher."""
    move = _Move(case, "escalate", by, expected_version)
    c = move.case
    data = _raise_level(c, move.now)
    if data is None:
        raise ValidationError(_("This case is already at the top level."))
    return move.finish(note, data=data)


def _raise_level(c: Case, now: datetime) -> dict | None:
    up = workflow.next_level(c.level)
    if up is None:
        return None
    data = {"level": [c.level, up]}
    c.level = up
    c.level_due = level_due(up, now)
    c.escalated_at = now
    return data


@transaction.atomic
def supervise(
    case, by, *, note: str, due: datetime | None = None, expected_version: int | None = None
) -> SupervisionOrder:
    """督办 by hand: an order to act, by `due` (default: one working day)."""
    note = _require(note, _("Say what must be done."))
    move = _Move(case, "supervise", by, expected_version)
    order = SupervisionOrder.objects.create(
        jurisdiction=move.case.jurisdiction,
        case=move.case,
        issued_by=_actor(by),
        reason="manual",
        note=note[:300],
        due=due or add_working_hours(move.now, workflow.SUPERVISION_HOURS),
        at=move.now,
    )
    move.finish(note, data={"order": order.pk}, order=order.pk)
    return order


@transaction.atomic
def merge(duplicates: Iterable, into, by, *, note: str = "") -> Case:
    """合并: duplicates follow the main case from now on; their reporters get its feedback.

    Every case involved is locked at once, in the order of its id, so two merges over the same cases
    (A into B while B into A) never deadlock: one waits for the other, then finds the cases changed
    and gets CaseConflict."""
    wanted = {_case_id(d) for d in duplicates}
    chain = _main_chain(_case_id(into))  # into, and the cases it was merged into, unlocked
    locked = {
        c.pk: c for c in Case.objects.select_for_update().filter(pk__in=wanted | set(chain)).order_by("pk")
    }
    if chain[-1] not in locked:
        raise Case.DoesNotExist("No case to merge into.")
    main = locked[chain[-1]]
    if main.merged_into_id is not None or _main_chain(_case_id(into)) != chain:
        raise CaseConflict(_("Someone else has just merged these cases. Reload them and try again."))
    if main.state in (State.NOT_ACCEPTED, State.MERGED):
        raise ValidationError(_("A case can only be merged into a case that is being handled or closed."))
    ids = sorted(wanted - {main.pk})
    if not ids:
        raise ValidationError(_("Pick at least one other case to merge."))
    for dup_id in ids:
        move = _Move(dup_id, "merge", by, None)
        move.case.merged_into = main
        move.case.level_due = move.case.remind_at = None
        move.finish(note, data={"into": main.pk}, into=main.pk)
    main.version += 1
    main.save(update_fields=["version"])
    before = rollups.contribution(main)  # the main case's own figures do not change
    _event(
        main, "merge", by, main.state, main.state, note, public=False, data={"duplicates": ids}, before=before
    )
    return main


def _main_chain(case_id: int) -> list[int]:
    """The case and the cases it follows (merged into), ending at its main case."""
    chain = [case_id]
    while True:
        nxt = Case.objects.filter(pk=chain[-1]).values_list("merged_into_id", flat=True).first()
        if nxt is None or nxt in chain:
            return chain
        chain.append(nxt)


@transaction.atomic
def flag_for_deliberation(case, by, *, note: str, expected_version: int | None = None) -> Case:
    """集中突出: many residents raise it; flag it for resident deliberation (协商议事)."""
    note = _require(note, _("Say what should be deliberated."))
    move = _Move(case, "flag_for_deliberation", by, expected_version)
    c = move.case
    c.kind = Kind.CONCENTRATED
    c.flagged_for_deliberation_at = move.now
    c.deliberation_note = note[:200]
    return move.finish(note)


@transaction.atomic
def comment(case, by, text: str, *, public: bool = False, expected_version: int | None = None) -> CaseEvent:
    """A note on the case's timeline (public ones are shown to the reporter)."""
    text = _require(text, _("Write a comment."))
    move = _Move(case, "comment", by, expected_version)
    move.finish(text[:2000], public=bool(public))
    return move.case.events.order_by("-id").first()


# --- duplicates --------------------------------------------------------------------------------

DUPLICATE_DAYS = 14
DUPLICATE_METRES = 150


def find_possible_duplicates(
    *,
    category=None,
    description: str = "",
    lng: float | None = None,
    lat: float | None = None,
    grid: Area | int | None = None,
    address: str = "",
    days: int = DUPLICATE_DAYS,
    metres: float = DUPLICATE_METRES,
    exclude: int | None = None,
    limit: int = 10,
):
    """Open cases that look like this one (the hotline's warning): same category in the same grid,
    or nearby (within `metres`), or at the same address, reported in the last `days` days."""
    since = _now() - timedelta(days=days)
    qs = Case.objects.open().filter(reported_at__gte=since).exclude(state=State.MERGED)
    cat = triage(description, category) if (category or description) else None
    place = Q(pk__in=[])
    if address.strip():
        place |= Q(address=address.strip())
    if lng is not None and lat is not None:
        dlat = metres / 111_320.0
        dlng = metres / (111_320.0 * max(math.cos(math.radians(float(lat))), 0.01))
        near = Q(
            lng__range=(float(lng) - dlng, float(lng) + dlng),
            lat__range=(float(lat) - dlat, float(lat) + dlat),
        )
        place |= near if cat is None else near & Q(top_category_id=cat.top_id)
    if grid is not None and cat is not None:
        place |= Q(grid_id=grid.pk if isinstance(grid, Area) else int(grid), category_id=cat.pk)
    qs = qs.filter(place)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("category").order_by("-reported_at")[:limit]


# --- queries ----------------------------------------------------------------------------------


def filter_cases(
    qs,
    *,
    text: str = "",
    states: Iterable[str] = (),
    category: Category | int | None = None,
    area: Area | None = None,
    department: Department | int | None = None,
    channel: str = "",
    overdue: bool | None = None,
    reported_from: date | None = None,
    reported_to: date | None = None,
    now: datetime | None = None,
):
    """The case filters of the staff search and the API list, once (both check their own input).

    `text` is a reference code or words in the title, description or address; a top category
    includes its sub-categories; `overdue` True keeps, False drops the cases `Case.objects.overdue()`
    holds; the dates are local days, both included."""
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(pk__in=Case.objects.by_ref(text).values("pk"))
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(address__icontains=text)
        )
    states = list(states)
    if states:
        qs = qs.filter(state__in=states)
    if category is not None:
        pk = category.pk if isinstance(category, Category) else int(category)
        qs = qs.filter(Q(category_id=pk) | Q(top_category_id=pk))
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if department is not None:
        qs = qs.filter(department_id=department.pk if isinstance(department, Department) else int(department))
    if channel:
        qs = qs.filter(channel=channel)
    if overdue is not None:
        qs = qs.filter(overdue_q(now)) if overdue else qs.exclude(overdue_q(now))
    if reported_from:
        qs = qs.filter(reported_at__gte=_day_start(reported_from))
    if reported_to:
        qs = qs.filter(reported_at__lt=_day_start(reported_to + timedelta(days=1)))
    return qs


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# --- the in-app inbox --------------------------------------------------------------------------


def mark_inbox_read(user, message_ids: Iterable[int] | None = None) -> int:
    """Mark a user's own inbox messages read: the ones named, or all unread ones. Returns how many."""
    from .models import InboxMessage

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in to read your inbox."))
    qs = InboxMessage.objects.filter(user=user, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=[int(i) for i in message_ids])
    return qs.update(read_at=_now())
