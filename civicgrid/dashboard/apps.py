from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DashboardConfig(AppConfig):
    name = "civicgrid.dashboard"
    label = "dashboard"
    verbose_name = pgettext_lazy("dashboard", "Figures")

    def ready(self):
        from civicgrid.core import nav
        from civicgrid.core.views import HOME_PANEL_PROVIDERS
        from civicgrid.people import policy
        from civicgrid.people.models import Role

        from .figures import figure_areas
        from .views import leader_home_panel

        def reads_figures(user) -> bool:
            return policy.has_role(user, Role.DEPARTMENT_HANDLER) or bool(figure_areas(user))

        nav.register(
            pgettext_lazy("dashboard", "Figures"), "dashboard:index", visible=reads_figures, order=30
        )

        from civicgrid.indices.policy import command_areas

        from .command import COMMAND_LEVELS

        def runs_command(user) -> bool:
            return any(a.level in COMMAND_LEVELS for a in command_areas(user))

        nav.register(_("Command centre"), "dashboard:command_home", visible=runs_command, order=29)
        if leader_home_panel not in HOME_PANEL_PROVIDERS:
            HOME_PANEL_PROVIDERS.append(leader_home_panel)
