from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "civicgrid.deliberation"
    label = "deliberation"
    verbose_name = _("Resident deliberation")

    def ready(self):
        # The worker's periodic jobs (joint-meeting reminders), top-bar links, home and case panels.
        from . import sweeps, web_registration  # noqa: F401

        web_registration.register()
