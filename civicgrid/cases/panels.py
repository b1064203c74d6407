"""Panels that apps above cases add to the staff case page (cases imports none of them).

A provider is a function (request, case) -> list of {"template": ..., ...}; each panel is included
on the case page with the panel as `panel`. Deliberation uses it to show the topic a case raised.
"""

CASE_PANEL_PROVIDERS: list = []


def case_panels(request, case) -> list[dict]:
    panels = []
    for provider in CASE_PANEL_PROVIDERS:
        panels.extend(provider(request, case) or [])
    return panels
