"""Open311 GeoReport v2 under /open311/v2/: every endpoint in .json and .xml.

Reading is public (rate-limited per IP, or per key when an api_key is given); posting needs an
api_key. A POST goes through cases.services.intake, exactly like the resident's report page.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connections, router
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.cases import services as case_services
from civicgrid.cases.models import REF_RE, Case, CaseEvent, Category
from civicgrid.cases.workflow import FINAL_STATES, OPEN_STATES, Channel
from civicgrid.core.dbrouter import replica_reads
from civicgrid.people.models import Department

from . import presenters
from .http import Context, Open311Error, districts, endpoint
from .renderers import render

MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_PAGE = 1000  # a 90-day window holds fewer; deeper pages would only make the database skip rows
# Without an Idempotency-Key header, an identical body from the same client within this window
# is taken as a retry (see docs/api.md "Retries").
RETRY_WINDOW_SECONDS = 600
IDEMPOTENCY_KEY_MAX = 64


def _base_url(request) -> str:
    return request.build_absolute_uri(reverse("open311:root"))


@replica_reads
@endpoint()
def discovery(request, ctx: Context):
    changeset = presenters.changeset()
    return render(
        ctx.fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": getattr(settings, "CIVICGRID_OPEN311_CONTACT", "")
            or _("Ask the district command centre (指挥中心) that runs this server."),
            "key_service": getattr(settings, "CIVICGRID_OPEN311_KEY_SERVICE", "")
            or _(
                "API keys are issued per client by the server's administrators (admin → Open311 API clients)."
            ),
            "endpoints": [
                {
                    "specification": presenters.SPECIFICATION,
                    "url": _base_url(request).rstrip("/"),
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@replica_reads
@endpoint()
def service_list(request, ctx: Context):
    return render(
        ctx.fmt, "services", [presenters.service(c) for c in presenters.services_by_code().values()]
    )


def _service(code: str) -> Category:
    category = presenters.services_by_code().get(code)
    if category is None:
        raise Open311Error(404, _("service_code “%(code)s” was not found.") % {"code": code})
    return category


@replica_reads
@endpoint()
def service_definition(request, ctx: Context, service_code: str):
    return render(ctx.fmt, "service_definition", presenters.service_definition(_service(service_code)))


# --- POST requests -------------------------------------------------------------------------------


def _float(params, name: str, low: float, high: float) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None
    if not low <= value <= high:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    return value


def _answers(params, category: Category) -> dict:
    """attribute[code]=value (attribute[code][]=v1&attribute[code][]=v2 for multivaluelist), checked
    against the service definition."""
    answers: dict = {}
    errors: list[str] = []
    definition = {a["code"]: a for a in presenters.attributes(category)}
    given = {key[len("attribute[") :].split("]")[0] for key in params if key.startswith("attribute[")}
    for code in sorted(given - set(definition)):
        errors.append(_("attribute[%(code)s] is not part of this service's definition.") % {"code": code})
    for code, attr in definition.items():
        if not attr["variable"]:
            continue
        values = [
            v.strip() for v in params.getlist(f"attribute[{code}][]") + params.getlist(f"attribute[{code}]")
        ]
        values = [v for v in values if v]
        if not values:
            if attr["required"]:
                errors.append(
                    _("attribute[%(code)s] is required: %(question)s")
                    % {"code": code, "question": attr["description"]}
                )
            continue
        datatype = attr["datatype"]
        if datatype != "multivaluelist" and len(values) > 1:
            errors.append(_("attribute[%(code)s] takes one value.") % {"code": code})
            continue
        if datatype in presenters.LIST_TYPES:
            keys = [v["key"] for v in attr["values"]]
            if any(v not in keys for v in values):
                errors.append(
                    _("attribute[%(code)s] must be one of: %(keys)s.")
                    % {"code": code, "keys": ", ".join(keys)}
                )
                continue
            answers[code] = values if datatype == "multivaluelist" else values[0]
        elif datatype == "number":
            try:
                number = float(values[0])
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                errors.append(_("attribute[%(code)s] must be a number.") % {"code": code})
                continue
            answers[code] = int(number) if number.is_integer() else number
        elif datatype == "datetime":
            if _parse_w3(values[0]) is None:
                errors.append(_("attribute[%(code)s] must be an ISO 8601 date and time.") % {"code": code})
                continue
            answers[code] = values[0]
        elif datatype == "string" and ("\n" in values[0] or "\r" in values[0]):
            errors.append(_("attribute[%(code)s] must be a single line.") % {"code": code})
        else:
            answers[code] = values[0][:2000]
    if errors:
        raise Open311Error(400, *errors)
    return answers


def _idempotency_key(request, ctx: Context) -> tuple[str, list[str]]:
    """The client key for intake, and the older keys a retry may have been stored under.

    An `Idempotency-Key` header wins: the same key from the same client always answers with the
    same request. Without it, the body (minus api_key) is hashed: an identical body within
    RETRY_WINDOW_SECONDS (this window or the one before) counts as a retry.
    """
    header = request.headers.get("Idempotency-Key", "").strip()
    if header:
        if len(header) > IDEMPOTENCY_KEY_MAX:
            raise Open311Error(
                400, _("Idempotency-Key is longer than %(n)d characters.") % {"n": IDEMPOTENCY_KEY_MAX}
            )
        return f"{ctx.client.pk}:{header}", []
    items = sorted((k, v) for k in ctx.params for v in ctx.params.getlist(k) if k != "api_key")
    digest = hashlib.sha256(repr(items).encode("utf-8")).hexdigest()[:32]
    slot = int(time.time() // RETRY_WINDOW_SECONDS)
    return f"{ctx.client.pk}:b{slot}:{digest}", [f"{ctx.client.pk}:b{slot - 1}:{digest}"]


def _case_with_key(keys: list[str]) -> int | None:
    """The id of a case stored under one of these client keys (the unique index finds it), or None.
    One plain statement: building the ORM query cost more than running it."""
    connection = connections[router.db_for_read(Case)]
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn(Case._meta.pk.column)} FROM {qn(Case._meta.db_table)} "
        f"WHERE {qn(Case._meta.get_field('client_key').column)} IN ({', '.join(['%s'] * len(keys))}) LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, keys)
        row = cursor.fetchone()
    return row[0] if row else None


def _contact_name(params) -> str:
    first = (params.get("first_name") or "").strip()
    last = (params.get("last_name") or "").strip()
    if first and last and not (first + last).isascii():
        return last + first  # Chinese order: family name first
    return " ".join(p for p in (first, last) if p)


def _created(case: Case, status: int, fmt: str):
    return _answer_created(case.ref, case.category, status, fmt)


def _answer_created(ref: str, category: Category, status: int, fmt: str):
    body = [
        {"service_request_id": ref, "service_notice": presenters.service_notice(category), "account_id": None}
    ]
    return render(fmt, "service_requests", body, status=status)


def _post_request(request, ctx: Context):
    params = ctx.params
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    category = _service(code)
    if ctx.jurisdiction is None:
        raise Open311Error(400, _("This server holds no jurisdiction yet."))
    lat = _float(params, "lat", -90, 90)
    lng = _float(params, "long", -180, 180)
    if (lat is None) != (lng is None):
        raise Open311Error(400, _("lat and long must be sent together."))
    address = (params.get("address_string") or "").strip()
    address_id = (params.get("address_id") or "").strip()
    if lat is None and not address and not address_id:
        raise Open311Error(400, _("A location is required: lat and long, address_string or address_id."))
    description = (params.get("description") or "").strip()
    if len(description) > 4000:
        raise Open311Error(400, _("description is limited to 4,000 characters."))
    answers = _answers(params, category)
    email = (params.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email is not a valid email address.")) from None
    district = districts()[ctx.jurisdiction]
    place: dict = {"area": district}
    if address_id:
        found = Area.objects.filter(code=address_id, path__startswith=district.path).first()
        if found is None:
            raise Open311Error(
                404, _("address_id “%(id)s” was not found in this jurisdiction.") % {"id": address_id}
            )
        place = {{Level.UNIT: "unit", Level.BUILDING: "building"}.get(found.level, "area"): found}
    client_key, older_keys = _idempotency_key(request, ctx)
    if older_keys:
        # This window's key too: a retry is answered without running intake into the unique index.
        earlier = _case_with_key([f"{Channel.OPEN311}:{key}" for key in [client_key, *older_keys]])
        if earlier is not None:
            # A retry's answer needs the reference and the service only: no whole case to load.
            row = (
                Case.objects.filter(pk=earlier)
                .values("id", "reported_at", "jurisdiction", "category_id")
                .get()
            )
            return _answer_created(
                presenters.ref_of(row), presenters.category_by_id(row["category_id"]), 200, ctx.fmt
            )
    extra = {"client": ctx.client.pk, "attributes": answers} if answers else {"client": ctx.client.pk}
    media_url = (params.get("media_url") or "").strip()
    if media_url:
        extra["media_url"] = media_url[:500]
    try:
        result = case_services.intake(
            channel=Channel.OPEN311,
            # A report without a description is still a report: its service's name says what it is.
            description=description or presenters.category_name(category),
            category=category,
            lng=lng,
            lat=lat,
            address=address,
            contact_name=_contact_name(params),
            contact_phone=(params.get("phone") or "").strip(),
            contact_email=email,
            photos=request.FILES.getlist("media"),
            client_key=client_key,
            extra=extra,
            **place,
        )
    except ValidationError as error:
        raise Open311Error(400, *error.messages) from None
    except PermissionDenied as error:
        raise Open311Error(403, str(error)) from None
    return _created(result.case, 201 if result.created else 200, ctx.fmt)


# --- GET requests --------------------------------------------------------------------------------


def _parse_w3(raw: str) -> datetime | None:
    raw = raw.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _date_param(params, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    moment = _parse_w3(raw)
    if moment is None:
        raise Open311Error(
            400, _("%(name)s must be a W3C date and time, e.g. 2010-01-01T00:00:00Z.") % {"name": name}
        )
    return moment


def _int_param(params, name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a whole number.") % {"name": name}) from None
    if not low <= value <= high:
        raise Open311Error(
            400,
            _("%(name)s must be between %(low)d and %(high)d.") % {"name": name, "low": low, "high": high},
        )
    return value


def _comma_list(params, name: str) -> list[str]:
    return [item.strip() for raw in params.getlist(name) for item in raw.split(",") if item.strip()]


def _readable(ctx: Context):
    """Cases a client may read: public ones, plus those its own api_key posted."""
    readable = Q(public=True)
    if ctx.client is not None:
        readable |= Q(client_key__startswith=f"{Channel.OPEN311}:{ctx.client.pk}:")
    qs = Case.objects.filter(readable)
    if ctx.jurisdiction:
        qs = qs.filter(jurisdiction=ctx.jurisdiction)
    return qs


def _rows(qs, start: int = 0, stop: int | None = None) -> list[dict]:
    """The cases (newest first, qs[start:stop]) as value rows: no model objects, so a page stays cheap."""
    rows = qs.order_by("-reported_at", "-id").values(*presenters.ROW_FIELDS, "updated_at")
    return list(rows[start:stop])


# The page query of GET requests.json on PostgreSQL, as one hand-written statement: the same rows,
# filters and order as `_rows(qs, …)` over the ORM filters of `_get_requests` (the tests compare
# the two), without building and compiling the ORM query for every request (about 2 ms of a
# page's CPU); the last-change time is the case's own `updated_at` (no look-up in the history).
_PAGE_COLUMNS = tuple(f for f in presenters.ROW_FIELDS if f != "department__name")


def _qn(name: str) -> str:
    """PostgreSQL's quoting of a table or column name (as its backend's quote_name)."""
    return name if name.startswith('"') else f'"{name}"'


@lru_cache(maxsize=256)
def _page_sql(filters: tuple[str, ...]) -> str:
    qn = _qn
    case, dept = Case._meta, Department._meta
    col = {name: qn(case.get_field(name).column) for name in _PAGE_COLUMNS}
    columns = ", ".join(f"c.{col[name]} AS {qn(name)}" for name in _PAGE_COLUMNS)
    department = qn(case.get_field("department").column)
    where = " AND ".join(filters)
    return (
        f"SELECT p.*, d.{qn(dept.get_field('name').column)} AS {qn('department__name')} "
        f"FROM (SELECT {columns}, c.{qn(case.get_field('updated_at').column)} AS {qn('updated_at')}, "
        f"c.{department} AS {qn('department_id')} FROM {qn(case.db_table)} c "
        f"WHERE {where} ORDER BY c.{col['reported_at']} DESC, c.{col['id']} DESC LIMIT %s OFFSET %s) p "
        f"LEFT OUTER JOIN {qn(dept.db_table)} d ON d.{qn(dept.pk.column)} = p.{qn('department_id')} "
        f"ORDER BY p.{qn('reported_at')} DESC, p.{qn('id')} DESC"
    )


def _fast_timestamps(cursor) -> None:
    """Load this cursor's timestamps with psycopg's own (compiled, where installed) loader.

    Django registers a Python loader for timestamptz that replaces the time zone of each value
    with the connection's: a page of 50 loads 200 of them, a tenth of its CPU. psycopg's loader
    gives the same moments in the connection's time zone (UTC as Django sets it); every reader of
    the page converts them to local time (w3, ref_of)."""
    from psycopg import adapters
    from psycopg.postgres import types
    from psycopg.pq import Format

    oid = types["timestamptz"].oid
    cursor.cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))


def _hand_written_page() -> bool:
    return connections[router.db_for_read(Case)].vendor == "postgresql"


def _page_rows(
    ctx: Context,
    category_ids: list[int] | None,
    states: tuple[str, ...] | None,
    start: datetime,
    end: datetime,
    offset: int,
    limit: int,
) -> list[dict]:
    """One page of `_readable(ctx)` with these filters, newest first, as `_rows` answers it."""
    qn = _qn
    field = {name: "c." + qn(Case._meta.get_field(name).column) for name in ("public", "client_key")}
    filters: list[str] = []
    params: list = []
    if ctx.client is not None:
        filters.append(f"({field['public']} OR {field['client_key']}::text LIKE %s)")
        params.append(f"{Channel.OPEN311}:{ctx.client.pk}:%")
    else:
        filters.append(field["public"])
    for name, values in (("category", category_ids), ("state", states)):
        if values is not None:
            filters.append(
                f"c.{qn(Case._meta.get_field(name).column)} IN ({', '.join(['%s'] * len(values))})"
            )
            params.extend(values)
    if ctx.jurisdiction:
        filters.append(f"c.{qn(Case._meta.get_field('jurisdiction').column)} = %s")
        params.append(ctx.jurisdiction)
    reported_at = "c." + qn(Case._meta.get_field("reported_at").column)
    filters += [f"{reported_at} >= %s", f"{reported_at} <= %s"]
    params += [start, end, limit, offset]
    with connections[router.db_for_read(Case)].cursor() as cursor:
        _fast_timestamps(cursor)
        cursor.execute(_page_sql(tuple(filters)), params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        del row["department_id"]
    return rows


def _by_refs(qs, refs: list[str]):
    """Cases with these public reference codes (year-district-number); malformed ones match nothing."""
    q = Q(pk__in=[])
    for ref in refs:
        match = REF_RE.match(ref)
        if match and int(match.group(3)) < 2**63:
            year, jurisdiction, number = match.groups()
            q |= Q(pk=int(number), jurisdiction=jurisdiction, reported_at__year=int(year))
    return qs.filter(q)


def _answer_requests(ctx: Context, rows: list[dict], extensions: bool):
    names = presenters.place_names(rows)
    mains = presenters.main_cases(rows)
    memo = presenters.Memo()
    events: dict[int, list] = {}
    if extensions:
        public = CaseEvent.objects.filter(case_id__in=[r["id"] for r in rows], public=True).order_by(
            "at", "id"
        )
        for event in public.values("case_id", "at", "action", "note"):
            events.setdefault(event["case_id"], []).append(event)
    return render(
        ctx.fmt,
        "service_requests",
        [
            presenters.request(
                row, names, memo, mains.get(row["id"]), events.get(row["id"], []) if extensions else None
            )
            for row in rows
        ],
    )


def _plain(states) -> tuple[str, ...]:
    """State values as plain strings (a database driver may write an enum member by its name)."""
    return tuple(str(getattr(state, "value", state)) for state in states)


def _get_requests(request, ctx: Context):
    params = ctx.params
    extensions = (params.get("extensions") or "").strip().lower() == "true"
    qs = _readable(ctx)
    ids = _comma_list(params, "service_request_id")
    if ids:
        if len(ids) > MAX_PAGE_SIZE:
            raise Open311Error(
                400, _("Ask for at most %(n)d service_request_id at once.") % {"n": MAX_PAGE_SIZE}
            )
        rows = _rows(_by_refs(qs, ids))
        return _answer_requests(ctx, rows, extensions)
    codes = _comma_list(params, "service_code")
    category_ids = None
    if codes:
        # Ids from the cached service list (codes of retired categories too): no join in the query.
        known = {c.code: c.pk for c in presenters.all_categories()}
        category_ids = [known[code] for code in codes if code in known]
        qs = qs.filter(category_id__in=category_ids)
    statuses = _comma_list(params, "status")
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise Open311Error(400, _("status must be open or closed (comma-separated)."))
    states = None
    if set(statuses) == {"open"}:
        states = _plain(OPEN_STATES)
    elif set(statuses) == {"closed"}:
        states = _plain(FINAL_STATES)
    if states is not None:
        qs = qs.filter(state__in=states)
    start = _date_param(params, "start_date")
    end = _date_param(params, "end_date")
    if start and end and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start and end and end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    if start is None and end is None:
        end = timezone.now()
        start = end - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    page = _int_param(params, "page", 1, 1, MAX_PAGE)
    page_size = _int_param(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = (page - 1) * page_size
    if category_ids == []:
        rows = []  # only unknown service codes: nothing to find
    elif _hand_written_page():
        rows = _page_rows(ctx, category_ids, states, start, end, offset, page_size)
    else:
        rows = _rows(qs, offset, offset + page_size)
    return _answer_requests(ctx, rows, extensions)


@replica_reads
@endpoint(methods=("GET", "POST"))
def requests(request, ctx: Context):
    if request.method == "POST":
        if ctx.client is None:
            raise Open311Error(403, _("api_key was not provided: this method needs an API key."))
        return _post_request(request, ctx)
    return _get_requests(request, ctx)


@replica_reads
@endpoint()
def request_detail(request, ctx: Context, service_request_id: str):
    extensions = (ctx.params.get("extensions") or "").strip().lower() == "true"
    rows = _rows(_by_refs(_readable(ctx), [service_request_id]))
    if not rows:
        raise Open311Error(404, _("service_request_id “%(id)s” was not found.") % {"id": service_request_id})
    return _answer_requests(ctx, rows, extensions)


@replica_reads
@endpoint()
def token(request, ctx: Context, token: str):
    """A token is the Idempotency-Key a client sent with its POST; only that client can look it up."""
    if ctx.client is None:
        raise Open311Error(403, _("Send the api_key that posted the request to look up its token."))
    case = Case.objects.filter(client_key=f"{Channel.OPEN311}:{ctx.client.pk}:{token}").first()
    if case is None:
        raise Open311Error(404, _("token “%(token)s” was not found.") % {"token": token})
    return render(ctx.fmt, "service_requests", [{"service_request_id": case.ref, "token": token}])
