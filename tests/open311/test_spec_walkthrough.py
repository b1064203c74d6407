"""The spec's own sequence, with its own sample data: list services, read a definition, POST the
spec's example body, query with the spec's sample URL, read the request, look up a token."""

from urllib.parse import parse_qsl

import pytest

from civicgrid.cases.models import Case, CaseEvent, Category

from . import spec_examples as ex
from .conformance import assert_xml_matches_json, validate


@pytest.fixture
def sample_service(city):
    """The spec's service 001 with the two attributes its example POST answers."""
    return Category.objects.create(
        code="001",
        name="Cans left out 24x7",
        name_en="Cans left out 24x7",
        parent=Category.objects.get(code="17"),
        keywords="lorem ipsum dolor",
        questions=[
            {
                "code": "WHISPAWN",
                "datatype": "string",
                "required": True,
                "description": "Tag number",
                "order": 1,
            },
            {
                "code": "WHISDORN",
                "datatype": "string",
                "required": False,
                "description": "Bin id",
                "order": 2,
            },
        ],
    )


def test_the_spec_sequence_with_its_sample_data(city, o311, sample_service, client):
    services = client.get("/open311/v2/services.xml", {"jurisdiction_id": "330106"})
    assert services.status_code == 200
    listed = client.get("/open311/v2/services.json", {"jurisdiction_id": "330106"}).json()
    validate("services", listed)
    assert_xml_matches_json(services.content, listed, "services")
    sample = next(s for s in listed if s["service_code"] == "001")
    assert sample["metadata"] is True and sample["keywords"] == "lorem, ipsum, dolor"

    definition = client.get("/open311/v2/services/001.json", {"jurisdiction_id": "330106"}).json()
    validate("service_definition", definition)
    assert [a["code"] for a in definition["attributes"]] == ["WHISPAWN", "WHISDORN"]

    # The example body as printed, with this server's key and jurisdiction in place of xyz/city.gov.
    form = dict(parse_qsl(ex.POST_REQUEST_BODY))
    form.update(api_key=o311.key, jurisdiction_id="330106", lat="30.205", long="120.105")
    created = client.post("/open311/v2/requests.json", form)
    assert created.status_code == 201, created.content
    answer = created.json()
    validate("request_created", answer)
    case = Case.objects.get()
    assert answer[0]["service_request_id"] == case.ref
    assert case.description == "A large sinkhole is destroying the street"
    assert case.contact_email == "smit333@sfgov.edu" and case.contact_name == "john smith"
    report = CaseEvent.objects.get(case=case, action="report")
    assert report.data["extra"]["attributes"] == {"WHISPAWN": "123456", "WHISDORN": "COISL001"}
    assert (
        report.data["extra"]["media_url"] == "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"
    )

    # The spec's sample query (2010, open) finds nothing here; the same query for today finds it.
    assert (
        client.get("/open311/v2/requests.json", {**ex.REQUESTS_QUERY, "jurisdiction_id": "330106"}).json()
        == []
    )
    found = client.get("/open311/v2/requests.json", {"status": "open", "jurisdiction_id": "330106"}).json()
    validate("requests", found)
    assert [r["service_request_id"] for r in found] == [case.ref]
    row = found[0]
    assert row["description"] == "A large sinkhole is destroying the street"
    for personal in ("smit333@sfgov.edu", "john", "smith", "111111111", "tt222111", "123456"):
        assert personal not in str(found)

    one = client.get(f"/open311/v2/requests/{case.ref}.xml", {"jurisdiction_id": "330106"})
    assert one.status_code == 200
    assert_xml_matches_json(one.content, found, "service_requests")


def test_the_spec_error_example_is_what_a_missing_key_gets(city, o311, client):
    response = client.post(
        "/open311/v2/requests.xml", {"service_code": "0501", "lat": "30.2", "long": "120.1"}
    )
    assert response.status_code == 403
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    errors = client.post("/open311/v2/requests.json", {"service_code": "0501"}).json()
    validate("errors", errors)
    assert_xml_matches_json(response.content, errors, "errors")
