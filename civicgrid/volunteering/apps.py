from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "civicgrid.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering and points")

    def ready(self):
        from . import registration

        registration.register()
