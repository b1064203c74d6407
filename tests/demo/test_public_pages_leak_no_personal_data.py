"""A crawler over everything the public can reach in the tiny demo — the pages anyone may open (and
every public link on them), the public API documents and every Open311 answer — finds no resident's
name, phone number, ID number or home address that is in the database."""

import json
import re
from collections import deque
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from civicgrid.areas.models import Area, Household, Level
from civicgrid.cases.models import Case, Category
from civicgrid.core import access
from civicgrid.people.models import Resident

MAX_PAGES = 600


@pytest.fixture
def only_the_city_step():
    """Override the demo tests' fixture: here every demo step runs (the cases fill the walls)."""


@pytest.fixture
def demo(db, settings):
    settings.CIVICGRID_OPEN311_ANON_RATE_PER_MINUTE = 1_000_000  # one crawler, many answers
    call_command("demo", scale="tiny", stdout=StringIO())


def personal_data() -> dict[str, str]:
    """Every name, phone, ID number and home address of a person, → what it is (for the message)."""
    found = {}
    for name, phone, id_number in Resident.objects.values_list("name", "phone", "id_number"):
        if len(name) >= 2:
            found[name] = "resident name"
        if phone:
            found[phone] = "resident phone"
        if id_number:
            found[id_number] = "ID number"
    for name, phone in Case.objects.values_list("contact_name", "contact_phone"):
        if len(name) >= 2:
            found[name] = "reporter name"
        if phone:
            found[phone] = "reporter phone"
    for address in Household.objects.exclude(address="").values_list("address", flat=True):
        found[address] = "home address"
    return found


def _public(path: str) -> bool:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return access.policy_of(match.func) == access.PUBLIC


def seeds() -> list[str]:
    areas = Area.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]).values_list("code", flat=True)
    grid = Area.objects.filter(level=Level.GRID).exclude(lng=None).first()
    community = Area.objects.filter(level=Level.COMMUNITY).first()
    pages = [
        "/login/",
        "/cases/report/",
        "/cases/wall/",
        "/api/v1/schema/",
        "/api/v1/docs/",
        f"/cases/report/places/?area={community.pk}",
        f"/cases/report/where/?lng={grid.lng}&lat={grid.lat}",
        *(f"/cases/wall/{code}/" for code in areas),
    ]
    for fmt in ("json", "xml"):
        pages += [
            f"/open311/v2/discovery.{fmt}",
            f"/open311/v2/services.{fmt}",
            f"/open311/v2/requests.{fmt}",
        ]
        pages += [
            f"/open311/v2/services/{c}.{fmt}" for c in Category.objects.values_list("code", flat=True)[:20]
        ]
        pages += [f"/open311/v2/requests.{fmt}?status=closed", f"/open311/v2/requests.{fmt}?status=open"]
    return pages


def test_no_public_page_or_answer_shows_a_persons_data(demo, client):
    secrets = personal_data()
    assert len(secrets) > 100  # the demo has residents, reporters and homes to protect
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    queue, seen, leaks, open311_ids = deque(seeds()), set(), [], set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or not hasattr(response, "content"):
            continue
        body = response.content.decode("utf-8", "replace")
        leaks += [(path, secrets[m.group(0)], m.group(0)) for m in pattern.finditer(body)]
        if path.startswith("/open311/v2/requests.json"):
            open311_ids |= {row["service_request_id"] for row in json.loads(body)}
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = href.replace("&amp;", "&")
            if href not in seen and _public(href) and not href.startswith("/static/"):
                queue.append(href)
        if not queue and open311_ids:
            queue.extend(f"/open311/v2/requests/{i}.json" for i in sorted(open311_ids)[:150])
            open311_ids = set()
    assert not leaks, leaks[:10]
    walls = [p for p in seen if p.startswith("/cases/wall/")]
    singles = [p for p in seen if re.match(r"/open311/v2/requests/[^/]+\.json$", p)]
    print(
        f"scanned {len(seen)} public pages and answers ({len(walls)} wall pages, {len(singles)} Open311 requests)"
    )
    assert len(seen) >= 60 and walls and singles
