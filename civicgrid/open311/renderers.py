"""GeoReport v2 output in JSON and XML, from the same Python data.

The XML follows the spec's examples (no namespace, UTF-8 declaration); JSON is its Spark-convention
mapping: a plural element (<services>) holding repeated singular ones (<service>) is a JSON array.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from django.http import HttpResponse

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# Plural element → the element each of its items is written as.
ITEM_TAG = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}

# Characters XML 1.0 cannot carry at all (a resident's text may contain them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, list):
        item_tag = ITEM_TAG[element.tag]
        for item in value:
            _fill(ElementTree.SubElement(element, item_tag), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), item)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, data)
    body = ElementTree.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """`root` names the XML root element; JSON ignores it (arrays and objects stand alone)."""
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    return HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))
