"""Cases and categories as GeoReport v2 data: what a client may read, never personal data.

Reporter names, phones, emails, accounts and devices never appear; free text (descriptions, notes)
is passed through `public_text`, which masks phone numbers, ID numbers and email addresses that a
resident may have typed in; the location is named from the area tree (community, grid, building),
never from a free-text address, which may carry a room number.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import NamedTuple

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.cases.models import Case, Category
from civicgrid.cases.workflow import FINAL_STATES, State, action_label
from civicgrid.core import caches, pii

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# Every pattern above needs seven digits in a row or an @: text with neither has nothing to mask.
_MAYBE_PERSONAL = re.compile(r"\d{7}|@")


def public_text(text: str | None) -> str | None:
    """Free text with phone numbers, ID numbers and email addresses masked; None when empty."""
    if not text:
        return None
    if not _MAYBE_PERSONAL.search(text):
        return text
    text = _ID_NUMBER.sub(lambda m: pii.mask_id_number(m.group()), text)
    text = _PHONE.sub(lambda m: pii.mask_phone(m.group()), text)
    return _EMAIL.sub("***@***", text)


def w3(moment: datetime | None) -> str | None:
    """W3C datetime with the offset, in the server's time zone, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def status_of(state: str) -> str:
    return "closed" if state in FINAL_STATES else "open"


# --- services ------------------------------------------------------------------------------------


def category_name(category: Category) -> str:
    if category.name_en and (get_language() or "").startswith("en"):
        return category.name_en
    return category.name


def service_notice(category: Category) -> str:
    return _(
        "Taken on within %(respond)d working hours and resolved within %(resolve)d working hours; "
        "the street's command centre follows it to a verified close."
    ) % {"respond": category.respond_hours, "resolve": category.resolve_hours}


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category_name(category),
        "description": service_notice(category),
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": ", ".join(category.keywords.split()) or None,
        "group": category_name(category.parent) if category.parent_id else None,
    }


def services_queryset():
    """What can be reported: active sub-categories (the top ones are their groups)."""
    return (
        Category.objects.filter(active=True, parent__isnull=False, parent__active=True)
        .select_related("parent")
        .order_by("parent__sort", "parent__code", "sort", "code")
    )


# The service list, kept per process by the rule of core.caches (every POST needs its category):
# cleared when the category catalogue changes.
def _load_services() -> dict:
    return {
        "by_code": {c.code: c for c in services_queryset()},
        "by_id": {c.pk: c for c in Category.objects.all()},
    }


_services = caches.TimedValue("open311.services", _load_services, topics=[caches.CATEGORIES])


def _services_cache() -> dict:
    return _services.get()


def services_by_code() -> dict[str, Category]:
    """Service code → category, in the order of the service list."""
    return _services_cache()["by_code"]


def all_categories():
    """Every category (active or not), from the per-process cache."""
    return _services_cache()["by_id"].values()


def category_by_id(pk: int) -> Category:
    """Any category (active or not) by id, from the same per-process cache."""
    found = _services_cache()["by_id"].get(pk)
    if found is None:
        found = Category.objects.get(pk=pk)
        _services_cache()["by_id"][pk] = found
    return found


def attribute(question: dict, position: int) -> dict:
    datatype = question.get("datatype") or "string"
    out = {
        "variable": bool(question.get("variable", True)),
        "code": str(question["code"]),
        "datatype": datatype,
        "required": bool(question.get("required", False)),
        "datatype_description": question.get("datatype_description") or None,
        "order": int(question.get("order") or position),
        "description": str(question.get("description") or question["code"]),
    }
    if datatype in LIST_TYPES:
        out["values"] = [
            {"key": str(v["key"]), "name": str(v.get("name") or v["key"])} for v in question["values"]
        ]
    return out


def attributes(category: Category) -> list[dict]:
    found = [attribute(q, i) for i, q in enumerate(category.questions or [], start=1)]
    return sorted(found, key=lambda a: a["order"])


def service_definition(category: Category) -> dict:
    return {"service_code": category.code, "attributes": attributes(category)}


def changeset() -> str:
    """When the service list last changed: the last admin edit of a category (sortable)."""
    content_type = ContentType.objects.get_for_model(Category)
    last = LogEntry.objects.filter(content_type=content_type).order_by("-action_time").first()
    moment = last.action_time if last else datetime(2025, 1, 1, tzinfo=timezone.get_current_timezone())
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- requests ------------------------------------------------------------------------------------


# A case as GeoReport reads it: the columns of the case, and of the main case it may follow.
ROW_FIELDS = (
    "id",
    "jurisdiction",
    "reported_at",
    "state",
    "description",
    "not_accepted_reason",
    "result",
    "closed_at",
    "resolve_due",
    "path",
    "lat",
    "lng",
    "category_id",
    "merged_into_id",
    "department__name",
)
MAIN_FIELDS = (
    "id",
    "jurisdiction",
    "reported_at",
    "state",
    "not_accepted_reason",
    "result",
    "closed_at",
    "resolve_due",
    "merged_into_id",
    "department__name",
)


class _RefParts(NamedTuple):
    pk: int
    reported_at: datetime
    jurisdiction: str


def ref_of(row: dict) -> str:
    """The public reference code, computed exactly as Case.ref computes it."""
    return Case.ref.fget(_RefParts(row["id"], row["reported_at"], row["jurisdiction"]))


# Names of the places cases lie in, kept per process by the rule of core.caches (areas are renamed
# a few times a year): a page of requests then needs no query for its addresses.
PLACE_LEVELS = (Level.STREET, Level.COMMUNITY, Level.GRID, Level.BUILDING)
PLACES_MAX = 200_000
_places: dict[str, dict | None] = {}
# A case's path → its (address, address_id), worked out once per process from _places.
_addresses: dict[str, tuple[str | None, str | None]] = {}
_places_since = {"at": time.monotonic()}


def _forget_places(*args, **kwargs) -> None:
    _places.clear()
    _addresses.clear()
    _places_since["at"] = time.monotonic()


_places_registered = caches.register("open311.places", _forget_places, topics=[caches.AREAS])


def place_names(rows) -> dict[str, tuple[str | None, str | None]]:
    """Path → (address, address_id) for the paths of these cases: the names of the streets,
    communities, grids and buildings each lies in, from the most specific to the most general.

    Server threads share the caches and another may clear them at any moment: this request works
    from its own copy of the names it needs."""
    if time.monotonic() - _places_since["at"] >= _places_registered.max_age:
        _forget_places()
    out: dict[str, tuple[str | None, str | None]] = {}
    new_paths = []
    for path in {row["path"] for row in rows}:
        found = _addresses.get(path)
        if found is None:
            new_paths.append(path)
        else:
            out[path] = found
    if new_paths:
        codes = {c for path in new_paths for c in path.split("/") if c}
        names = {c: area for c in codes if (area := _places.get(c, _MISSING)) is not _MISSING}
        missing = codes - names.keys()
        if missing:
            if len(_places) > PLACES_MAX:
                _places.clear()
                _addresses.clear()
            found = Area.objects.filter(code__in=missing, level__in=PLACE_LEVELS).values(
                "code", "name", "level"
            )
            known = {area["code"]: area for area in found}
            for code in missing:
                names[code] = _places[code] = known.get(code)
        for path in new_paths:
            out[path] = _addresses[path] = _address(path, names)
    return out


_MISSING = object()


def _address(path: str, names: dict[str, dict | None]) -> tuple[str | None, str | None]:
    """(address, address_id) of a path, from the names of its codes."""
    known = [area for area in (names.get(c) for c in path.split("/") if c) if area]
    if not known:
        return None, None
    address = " ".join(area["name"] for area in reversed(known))
    return address, known[-1]["code"]


def _place(row: dict, names: dict[str, tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """(address, address_id) of a row, from place_names()."""
    return names[row["path"]]


def status_notes(main: dict, label) -> str | None:
    if main["state"] == State.NOT_ACCEPTED:
        return public_text(main["not_accepted_reason"])
    if main["state"] == State.CLOSED:
        return public_text(main["result"]) or label(main["state"])
    return label(main["state"])


def main_cases(rows) -> dict[int, dict]:
    """For merged duplicates (合并): id of the duplicate → its main case's row (MAIN_FIELDS), following
    a chain of merges to its end. One query, made only when the page has a merged case."""
    merged = {row["id"]: row["merged_into_id"] for row in rows if row["merged_into_id"]}
    if not merged:
        return {}
    mains: dict[int, dict] = {}
    wanted = set(merged.values())
    while wanted:
        found = Case.objects.filter(pk__in=wanted).values(*MAIN_FIELDS)
        mains.update({row["id"]: row for row in found})
        wanted = {row["merged_into_id"] for row in found if row["merged_into_id"]} - mains.keys()
    out = {}
    for case_id, main_id in merged.items():
        seen = set()
        while mains[main_id]["merged_into_id"] and main_id not in seen:
            seen.add(main_id)
            main_id = mains[main_id]["merged_into_id"]
        out[case_id] = mains[main_id]
    return out


class Memo:
    """What every row of one answer shares, worked out once: category names and notices, state names."""

    def __init__(self):
        self.categories: dict[int, tuple[Category, str, str]] = {}
        self.labels: dict[str, str] = {}

    def category(self, pk: int) -> tuple[Category, str, str]:
        if pk not in self.categories:
            category = category_by_id(pk)
            self.categories[pk] = (category, category_name(category), service_notice(category))
        return self.categories[pk]

    def label(self, state: str) -> str:
        if state not in self.labels:
            self.labels[state] = str(State(state).label)
        return self.labels[state]


def request(
    row: dict, names: dict[str, dict], memo: Memo, main: dict | None = None, events: list | None = None
) -> dict:
    """One request. `main` is the main case a merged duplicate follows; `events` (public timeline
    rows) are given when extensions are asked for."""
    address, address_id = _place(row, names)
    category, name, notice = memo.category(row["category_id"])
    main = main or row
    notes = status_notes(main, memo.label)
    if main is not row:
        notes = _("Merged into %(ref)s: %(notes)s") % {"ref": ref_of(main), "notes": notes}
    updated = (
        main["closed_at"] if main["state"] == State.CLOSED and main["closed_at"] else row.get("updated_at")
    )
    data = {
        "service_request_id": ref_of(row),
        "status": status_of(main["state"]),
        "status_notes": notes,
        "service_name": name,
        "service_code": category.code,
        "description": public_text(row["description"]),
        "agency_responsible": main["department__name"],
        "service_notice": notice,
        "requested_datetime": w3(row["reported_at"]),
        "updated_datetime": w3(updated or row["reported_at"]),
        "expected_datetime": w3(main["resolve_due"]),
        "address": address,
        "address_id": address_id,
        "zipcode": None,
        "lat": round(row["lat"], 6) if row["lat"] is not None else None,
        "long": round(row["lng"], 6) if row["lng"] is not None else None,
        "media_url": None,
    }
    if events is not None:
        data["extended_attributes"] = {
            "state": row["state"],
            "state_name": memo.label(row["state"]),
            "department": main["department__name"],
            "deadline": w3(main["resolve_due"]),
        }
        data["notes"] = [
            {
                "datetime": w3(event["at"]),
                "description": public_text(
                    f"{action_label(event['action'])}: {event['note']}"
                    if event["note"]
                    else action_label(event["action"])
                ),
                "type": event["action"],
            }
            for event in events
        ]
    return data
