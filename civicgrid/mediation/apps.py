from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "civicgrid.mediation"
    label = "mediation"
    verbose_name = _("Mediation")

    def ready(self):
        # Outbox handlers (notifications), the sweep (reminders, escalation), top-bar links, panels.
        from . import notify, sweeps  # noqa: F401
        from .registration import register

        register()
