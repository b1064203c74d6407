"""Panels that apps above cases add to the staff case page (cases imports none of them).

A provider is a function (request, case) -> a panel, a list of panels or None; a panel is a dict
{"template": ..., ...} whose template (a whole `<section class="card">`) is included on the case page
with the panel as `panel`. Deliberation shows the topic a case raised; mediation its dispute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

CASE_PANEL_PROVIDERS: list[Callable[[HttpRequest, Any], Any]] = []


def case_panels(request: HttpRequest, case: Any) -> list[dict]:
    panels: list[dict] = []
    for provider in CASE_PANEL_PROVIDERS:
        found = provider(request, case)
        if isinstance(found, dict):
            panels.append(found)
        elif found:
            panels.extend(found)
    return panels
