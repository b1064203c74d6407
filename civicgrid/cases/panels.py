"""Panels that apps above cases add to the staff case page (cases imports none of them).

A provider is a function (request, case) -> list of {"template": ..., ...}; each panel is included
on the case page with the panel as `panel`. Deliberation uses it to show the topic a case raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

CASE_PANEL_PROVIDERS: list[Callable[[HttpRequest, Any], list[dict]]] = []


def case_panels(request: HttpRequest, case: Any) -> list[dict]:
    panels: list[dict] = []
    for provider in CASE_PANEL_PROVIDERS:
        panels.extend(provider(request, case) or [])
    return panels
