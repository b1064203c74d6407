from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Outbox handlers (notifications, rollups) and the worker's periodic jobs (sweeps).
        from civicgrid.areas.signals import area_paths_moved

        from . import notify, sweeps, web_registration  # noqa: F401
        from .area_paths import follow_area_paths
        from .staff_registration import register as register_staff_pages

        area_paths_moved.connect(follow_area_paths, dispatch_uid="cases-follow-area-paths")
        register_staff_pages()
        web_registration.register()  # residents' pages, the problem wall, intake pages
