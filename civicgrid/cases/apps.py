from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Outbox handlers (notifications, rollups) and the worker's periodic jobs (sweeps).
        from . import notify, sweeps, web_registration  # noqa: F401
        from .staff_registration import register as register_staff_pages

        register_staff_pages()
        web_registration.register()  # residents' pages, the problem wall, intake pages
