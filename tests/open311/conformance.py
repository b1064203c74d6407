"""Checks shared by the Open311 tests: JSON Schema validation and XML ↔ JSON agreement.

XML and JSON follow the Spark convention of GeoReport v2: a plural element (<services>, <attributes>,
<values>, …) holds repeated singular children and maps to a JSON array; any other element with
children maps to an object; a leaf maps to a scalar, an empty leaf to null.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).parent / "schemas"

# Plural element → the singular element it repeats.
LISTS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def validate(name: str, data) -> None:
    """Raise AssertionError listing every violation of schema `name`."""
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def xml_to_tree(element: ElementTree.Element):
    """The XML element as nested lists/dicts of text (None for an empty leaf)."""
    children = list(element)
    if element.tag in LISTS:
        singular = LISTS[element.tag]
        assert all(child.tag == singular for child in children), (element.tag, [c.tag for c in children])
        return [xml_to_tree(child) for child in children]
    if not children:
        text = (element.text or "").strip()
        return text or None
    tags = [child.tag for child in children]
    assert len(tags) == len(set(tags)), f"repeated element in <{element.tag}>: {tags}"
    return {child.tag: xml_to_tree(child) for child in children}


def _agree(xml_value, json_value, where: str) -> None:
    if isinstance(json_value, list):
        assert isinstance(xml_value, list), f"{where}: XML {xml_value!r} is not a list"
        assert len(xml_value) == len(json_value), f"{where}: {len(xml_value)} vs {len(json_value)} items"
        for i, (x, j) in enumerate(zip(xml_value, json_value, strict=True)):
            _agree(x, j, f"{where}[{i}]")
    elif isinstance(json_value, dict):
        # An object with no members and an empty element are the same thing.
        if xml_value is None and not json_value:
            return
        assert isinstance(xml_value, dict), f"{where}: XML {xml_value!r} is not an object"
        assert set(xml_value) == set(json_value), f"{where}: keys {set(xml_value) ^ set(json_value)} differ"
        for key in json_value:
            _agree(xml_value[key], json_value[key], f"{where}.{key}")
    elif json_value is None or json_value == "":
        assert xml_value is None, f"{where}: XML {xml_value!r} should be empty"
    elif isinstance(json_value, bool):
        assert xml_value == ("true" if json_value else "false"), f"{where}: {xml_value!r} vs {json_value!r}"
    elif isinstance(json_value, int | float):
        assert xml_value is not None and float(xml_value) == float(json_value), f"{where}: {xml_value!r}"
    else:
        assert xml_value == str(json_value).strip(), f"{where}: {xml_value!r} vs {json_value!r}"


def assert_xml_matches_json(xml_text: str | bytes, json_value, root: str) -> None:
    """The XML document is well-formed, has `root` as its root element and says what the JSON says."""
    if isinstance(xml_text, bytes):
        assert xml_text.startswith(b"<?xml"), "the XML declaration must come first"
        element = ElementTree.fromstring(xml_text)
    else:
        element = ElementTree.fromstring(xml_text.strip().encode("utf-8"))
    assert element.tag == root, f"root element is <{element.tag}>, expected <{root}>"
    _agree(xml_to_tree(element), json_value, root)
