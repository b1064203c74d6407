"""Outbox handlers, the worker's retrain, the case-page panel and the top-bar link (TriageConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicgrid.core import outbox

from . import rules

SUGGEST_TOPIC = "triage.suggest"


def enabled() -> bool:
    return getattr(settings, "TRIAGE_ENABLED", True)


def on_reported(event) -> None:
    """A new report: suggestions are made by a worker event of their own, so that a failure there
    never holds back the report's notifications (and is retried on its own)."""
    if enabled() and event.payload.get("case"):
        outbox.emit(SUGGEST_TOPIC, {"case": event.payload["case"]}, jurisdiction=event.jurisdiction)


def on_suggest(event) -> None:
    from . import services

    services.suggest_for_report(int(event.payload["case"]))


def on_decided(event) -> None:
    from . import services

    if event.payload.get("case"):
        services.record_decision(int(event.payload["case"]), event.payload.get("event"))


def retrain() -> None:
    from . import services

    if enabled():
        services.retrain_if_grown()


def register() -> None:
    from civicgrid.cases.panels import CASE_PANEL_PROVIDERS
    from civicgrid.core import nav

    from . import policy, views

    outbox.handler("case.reported")(on_reported)
    outbox.handler(SUGGEST_TOPIC)(on_suggest)
    outbox.handler("case.dispatch")(on_decided)
    outbox.handler("case.register")(on_decided)
    outbox.periodic(rules.RETRAIN_SECONDS, name="triage.retrain")(retrain)
    nav.register(_("Triage"), "triage:index", visible=policy.can_view_triage, order=25)
    if views.case_panel not in CASE_PANEL_PROVIDERS:
        CASE_PANEL_PROVIDERS.append(views.case_panel)
