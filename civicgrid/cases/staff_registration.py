"""Top-bar links and the home panel of the staff pages (called from CasesConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from civicgrid.core import nav
    from civicgrid.core.views import HOME_PANEL_PROVIDERS
    from civicgrid.people import policy as people_policy

    from .views.staff import is_staff
    from .views.staff_inbox import unread_count
    from .views.staff_queues import queue_home_panel

    def works_cases(user) -> bool:
        return is_staff(user) and people_policy.can_edit(user)

    nav.register(_("My cases"), "cases:queue", visible=works_cases, order=20)
    nav.register(_("Search cases"), "cases:search", visible=is_staff, order=22)

    def reads_proposals(user) -> bool:
        from .policy import PROPOSAL_READERS

        return people_policy.is_admin(user) or bool(people_policy.roles(user) & PROPOSAL_READERS)

    nav.register(_("Concentrated problems"), "cases:proposals", visible=reads_proposals, order=24)
    nav.register(
        _("Inbox"),
        "cases:inbox",
        visible=lambda user: bool(people_policy.roles(user)),
        order=80,
        badge=unread_count,
    )
    if queue_home_panel not in HOME_PANEL_PROVIDERS:
        HOME_PANEL_PROVIDERS.append(queue_home_panel)
