"""The schemas and the XML comparison are themselves checked against the spec's printed examples."""

import pytest

from . import spec_examples as ex
from .conformance import assert_xml_matches_json, validate

EXAMPLES = [
    ("discovery", ex.DISCOVERY_XML, ex.DISCOVERY_JSON, "discovery"),
    ("services", ex.SERVICES_XML, ex.SERVICES_JSON, "services"),
    ("service_definition", ex.SERVICE_DEFINITION_XML, ex.SERVICE_DEFINITION_JSON, "service_definition"),
    ("request_created", ex.POST_RESPONSE_XML, ex.POST_RESPONSE_JSON, "service_requests"),
    ("token", ex.TOKEN_XML, ex.TOKEN_JSON, "service_requests"),
    ("requests", ex.REQUESTS_XML, ex.REQUESTS_JSON, "service_requests"),
    ("errors", ex.ERRORS_XML, ex.ERRORS_JSON, "errors"),
]


@pytest.mark.parametrize("schema,xml,json_value,root", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_spec_example_satisfies_its_schema_and_its_xml_says_the_same(schema, xml, json_value, root):
    validate(schema, json_value)
    assert_xml_matches_json(xml, json_value, root)


def test_a_numeric_id_breaks_the_schema():
    with pytest.raises(AssertionError, match="not of type 'string'"):
        validate("requests", [dict(ex.REQUESTS_JSON[0], service_request_id=638344)])


def test_personal_data_in_a_request_breaks_the_schema():
    with pytest.raises(AssertionError, match="phone"):
        validate("requests", [dict(ex.REQUESTS_JSON[0], phone="13812345678")])


def test_a_request_and_a_token_together_break_the_post_schema():
    with pytest.raises(AssertionError):
        validate("request_created", [{"service_request_id": "1", "token": "abc"}])


def test_a_list_attribute_without_values_breaks_the_definition_schema():
    attribute = dict(ex.SERVICE_DEFINITION_JSON["attributes"][0])
    del attribute["values"]
    with pytest.raises(AssertionError, match="values"):
        validate("service_definition", {"service_code": "DMV66", "attributes": [attribute]})


def test_xml_that_disagrees_with_its_json_is_caught():
    with pytest.raises(AssertionError, match="Chrysler"):
        assert_xml_matches_json(
            ex.SERVICE_DEFINITION_XML.replace("Chrysler", "Dodge"),
            ex.SERVICE_DEFINITION_JSON,
            "service_definition",
        )
