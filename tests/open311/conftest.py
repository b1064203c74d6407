"""Open311 fixtures: an API client with its key, a category with extra questions, a POST helper."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from civicgrid.cases.models import Category
from civicgrid.open311 import services as open311_services

from .conformance import assert_xml_matches_json, validate

QUESTIONS = [
    {
        "code": "BLOCKED",
        "datatype": "singlevaluelist",
        "required": True,
        "description": "What blocks the lane?",
        "order": 1,
        "values": [{"key": "car", "name": "汽车"}, {"key": "bike", "name": "电动车"}],
    },
    {"code": "SINCE", "datatype": "datetime", "required": False, "description": "Since when?", "order": 2},
    {
        "code": "COUNT",
        "datatype": "number",
        "required": False,
        "description": "How many vehicles?",
        "order": 3,
    },
    {
        "code": "FLOORS",
        "datatype": "multivaluelist",
        "required": False,
        "description": "Which floors?",
        "order": 4,
        "values": [{"key": "1", "name": "一楼"}, {"key": "2", "name": "二楼"}, {"key": "3", "name": "三楼"}],
    },
    {"code": "PLATE", "datatype": "string", "required": False, "description": "Plate number", "order": 5},
    {"code": "MORE", "datatype": "text", "required": False, "description": "Anything else", "order": 6},
]


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def o311(city):
    """The API client of a city app, its key, and a category with every kind of extra question."""
    t = SimpleNamespace()
    t.client, t.key = open311_services.create_client(
        name="City app", jurisdiction_ids=["330106"], rate_limit_per_minute=1000
    )
    t.fire_lane = Category.objects.get(code="0501")
    t.fire_lane.questions = QUESTIONS
    t.fire_lane.save()
    t.parking = Category.objects.get(code="0403")
    return t


@pytest.fixture
def get(client):
    """get(path, schema, root, expect=200, **params) → the JSON answer, validated against `schema`
    (or the errors schema), after checking that the .xml answer says the same."""

    def fetch(path, schema, root, expect=200, **params):
        json_response = client.get(f"/open311/v2/{path}.json", params)
        assert json_response.status_code == expect, json_response.content
        assert json_response["Content-Type"] == "application/json; charset=utf-8"
        data = json_response.json()
        validate(schema if expect < 400 else "errors", data)
        xml_response = client.get(f"/open311/v2/{path}.xml", params)
        assert xml_response.status_code == expect
        assert xml_response["Content-Type"] == "text/xml; charset=utf-8"
        assert_xml_matches_json(xml_response.content, data, root if expect < 400 else "errors")
        return data

    return fetch


@pytest.fixture
def post(client, o311):
    """post(fmt="json", **form) → response; the api_key and a place are filled in unless given."""

    def send(fmt="json", headers=None, **form):
        form.setdefault("api_key", o311.key)
        form.setdefault("service_code", "0501")
        form.setdefault("attribute[BLOCKED]", "car")
        if not any(k in form for k in ("lat", "address_string", "address_id")):
            form["lat"], form["long"] = "30.205", "120.105"
        form = {k: v for k, v in form.items() if v is not None}
        return client.post(f"/open311/v2/requests.{fmt}", form, headers=headers or {})

    return send
