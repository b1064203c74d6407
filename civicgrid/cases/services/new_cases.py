"""Intake: every new case comes in here — `intake` (reports from every channel) and
`settle_on_spot` (a general matter recorded closed in one step).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, router, transaction
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core import geo
from civicgrid.people.models import Resident

from .. import policy, rollups, workflow
from ..deadlines import level_due, start_clock
from ..models import (
    Case,
    Category,
)
from ..workflow import (
    STAFF_CHANNELS,
    AttachmentKind,
    CaseLevel,
    Channel,
    Kind,
    State,
)
from .attachments import _clean_photos, _save_photo
from .catalogue import _errand_category, _grid_from_path, _grid_row, _load, _suggest_ids, triage
from .moves import Actor, CategoryRef, _actor, _emit, _event, _level_of, _now, _require
from .one_statement import _insert_report, _one_statement

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from ..photos import CleanPhoto

DESCRIPTION_MAX = 4000


class IntakeResult(NamedTuple):
    case: Case
    created: bool
    token: str | None  # the raw follow token, to give to the reporter once


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_for_key(scoped_key: str) -> str:
    """A retried submission with the same client key gets back the same follow token."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"case-follow:{scoped_key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _scoped_key(channel: str, client_key: str | None) -> str | None:
    """The stored idempotency key: the client's key, per channel."""
    return f"{channel}:{client_key.strip()}"[:80] if client_key and client_key.strip() else None


def _new_case(
    *,
    scoped_key: str | None,
    channel: str,
    kind: str,
    category: Category,
    description: str,
    title: str,
    lng: float | None,
    lat: float | None,
    address: str,
    reporter: Resident | None,
    level: str,
    now: datetime,
    public: bool,
    place: dict,
    **fields: object,
) -> tuple[Case, str]:
    """The one case builder of intake and settle_on_spot: a new, unsaved case with its follow
    token (derived from the client key, so a retry gets the same one), its place and its clocks
    started at `now`. Returns (case, raw follow token)."""
    token = _token_for_key(scoped_key) if scoped_key else secrets.token_urlsafe(24)
    description = description[:DESCRIPTION_MAX]
    case = Case(
        follow_token_hash=_hash(token),
        client_key=scoped_key,
        channel=channel,
        kind=kind,
        category=category,
        top_category_id=category.top_id,
        lng=lng,
        lat=lat,
        address=address[:200],
        title=(title or description.split("\n")[0])[:120],
        description=description,
        reporter=reporter,
        level=level,
        reported_at=now,
        reported_month=rollups.month_of(now),
        updated_at=now,  # its first history row's time
        public=public,
        **place,
        **fields,
    )
    start_clock(case, now)
    return case, token


def _save_once(case: Case, token: str, scoped_key: str | None, write: Callable[[], None]) -> IntakeResult:
    """Run `write` (the new case's inserts, atomic); when the client key is taken already (a retry,
    perhaps at the same moment), answer with the case made first. No look-up before: the unique
    index on client_key decides."""
    try:
        write()
    except IntegrityError:
        if scoped_key:
            existing = Case.objects.select_related("category").filter(client_key=scoped_key).first()
            if existing is not None:
                return IntakeResult(existing, False, _token_for_key(scoped_key))
        raise
    return IntakeResult(case, True, token)


def _place(
    *,
    lng: float | None,
    lat: float | None,
    crs: str,
    building: Area | int | None,
    unit: Area | int | None,
    area: Area | int | None,
    grid: Area | Mapping[str, Any] | None,
) -> tuple[dict, float | None, float | None]:
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
        if match and match.grid_id is not None:
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


def _initial_level(channel: str, kind: str, category: Category, by: Actor, has_grid: bool) -> str:
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
    by: Actor = None,
    category: CategoryRef | None = None,
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
    photos: Sequence[UploadedFile | CleanPhoto] = (),
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
    scoped_key = _scoped_key(channel, client_key)
    cleaned = _clean_photos(photos)
    if lng is None and lat is None:
        for photo in cleaned:
            if photo.lng is not None:
                lng, lat, crs = photo.lng, photo.lat, "wgs84"
                break
    address_match = None
    if address.strip() and lng is None and lat is None and building is None and unit is None:
        # Address text only: the place comes from the registry when the match is sure (else the
        # deepest area the candidates share, and the dispatcher picks the building).
        from .places import match_for_intake

        address_match, matched_place = match_for_intake(address, area)
        building, unit = matched_place.get("building"), matched_place.get("unit")
        area = matched_place.get("area", area)
        if "lng" in matched_place:
            lng, lat, crs = matched_place["lng"], matched_place["lat"], "wgs84"
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
    reporter_user = _actor(by) if channel not in STAFF_CHANNELS else None
    # The reporter's resident record: looked up below, or inside the one-statement insert.
    find_reporter = reporter is None and reporter_user is not None
    case, token = _new_case(
        scoped_key=scoped_key,
        channel=channel,
        kind=kind,
        category=cat,
        description=description,
        title=title,
        lng=lng,
        lat=lat,
        address=address,
        reporter=reporter,
        level=level,
        now=now,
        public=cat.public if public is None else bool(public and cat.public),
        place=place,
        is_errand=is_errand,
        reporter_user=reporter_user,
        contact_name=contact_name[:50],
        contact_phone=contact_phone[:20],
        contact_email=contact_email,
    )
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
    if one_statement:
        result = _save_once(
            case,
            token,
            scoped_key,
            lambda: _insert_report(
                case, by, channel, extra, now, kind, using, reporter_user if find_reporter else None
            ),
        )
        if address_match is not None and result.created:
            _record_match(result.case, address_match)
        return result

    def write() -> None:
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
            if address_match is not None:
                _record_match(case, address_match)

    return _save_once(case, token, scoped_key, write)


def _record_match(case: Case, match: Any) -> None:
    from .places import record_match

    used = match.best is not None and (
        case.building_id == match.best.building_id or case.grid_id == match.best.grid_id
    )
    record_match(case, match, used=used)


def settle_on_spot(
    *,
    by: Actor,
    description: str,
    result: str,
    category: CategoryRef | None = None,
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    building: Area | int | None = None,
    unit: Area | int | None = None,
    area: Area | int | None = None,
    address: str = "",
    reporter: Resident | None = None,
    photos: Sequence[UploadedFile | CleanPhoto] = (),
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
    scoped_key = _scoped_key(channel, client_key)
    cat = triage(description, category)
    now = _now()
    case, token = _new_case(
        scoped_key=scoped_key,
        channel=channel,
        kind=Kind.GENERAL,
        category=cat,
        description=description,
        title="",
        lng=lng,
        lat=lat,
        address=address,
        reporter=reporter,
        level=_level_of(by) or CaseLevel.GRID,
        now=now,
        public=cat.public,
        place=place,
        state=State.CLOSED,
        result=result,
        registered_at=now,
        responded_at=now,
        handled_at=now,
        verified_at=now,
        closed_at=now,
    )
    case.remind_at = None

    def write() -> None:
        with transaction.atomic():
            case.save(force_insert=True)
            event = _event(case, "settle_on_spot", by, "", State.CLOSED, result, public=True, at=now)
            for photo in cleaned:
                _save_photo(case, photo, by, AttachmentKind.HANDLING)
            _emit(case, "settled_on_spot", event)

    return _save_once(case, token, scoped_key, write)
