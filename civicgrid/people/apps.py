from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "civicgrid.people"
    label = "people"
    verbose_name = _("People and roles")

    def ready(self):
        from civicgrid.areas.signals import area_paths_moved
        from civicgrid.core import nav
        from civicgrid.core.views import HOME_PANEL_PROVIDERS

        from . import policy
        from .services import follow_area_paths
        from .views import role_home_panels

        area_paths_moved.connect(follow_area_paths, dispatch_uid="people-follow-area-paths")

        if role_home_panels not in HOME_PANEL_PROVIDERS:
            HOME_PANEL_PROVIDERS.append(role_home_panels)
        # The area browser is for people who hold a role over an area (not residents or departments).
        nav.register(_("Areas"), "areas:browse", visible=lambda user: bool(policy.home_areas(user)), order=10)
        nav.register(_("Access log"), "people:access_log", visible=policy.is_admin, order=90)
