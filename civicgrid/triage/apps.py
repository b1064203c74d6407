from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "civicgrid.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self):
        # Outbox handlers (suggest on report, record decisions), the daily retrain, the case panel,
        # the top-bar link.
        from .registration import register

        register()
