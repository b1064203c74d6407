from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "civicgrid.fieldwork"
    label = "fieldwork"
    verbose_name = _("Fieldwork")

    def ready(self):
        from . import rollups, web_registration  # noqa: F401  (outbox handlers, nav, home panel)

        web_registration.register()
