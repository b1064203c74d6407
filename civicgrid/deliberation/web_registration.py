"""Top-bar link, home-page panel and the case-page panel of deliberation (called from ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _sees_deliberation(user) -> bool:
    from civicgrid.people import policy as people_policy

    return bool(people_policy.roles(user))


def home_panels(request, role) -> list[dict]:
    from . import policy
    from .models import Topic
    from .workflow import TopicStatus

    user = request.user
    topics = policy.visible_topics(user, Topic.objects.filter(status=TopicStatus.OPEN)).select_related(
        "community"
    )
    latest = list(topics.order_by("-raised_at")[:4])
    if not latest and not policy.communities_run_by(user).exists():
        return []
    return [{"title": _("Resident deliberation"), "template": "deliberation/panels/home.html", "order": 40,
             "topics": latest}]  # fmt: skip


def case_panels(request, case) -> list[dict]:
    """The topic a case belongs to, on the case page (the link is kept on deliberation's side)."""
    from .models import TopicCase

    link = TopicCase.objects.filter(case=case).select_related("topic").first()
    if link is None:
        return []
    return [{"template": "deliberation/panels/case.html", "link": link, "topic": link.topic}]


def register() -> None:
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS

    nav.register(_("Deliberation"), "deliberation:index", visible=_sees_deliberation, order=40)
    if home_panels not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(home_panels)
    try:
        from civicgrid.cases.panels import CASE_PANEL_PROVIDERS
    except ImportError:  # a cases app without the panel hook: the case page simply shows no topic
        return
    if case_panels not in CASE_PANEL_PROVIDERS:
        CASE_PANEL_PROVIDERS.append(case_panels)
