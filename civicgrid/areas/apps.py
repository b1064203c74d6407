from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "civicgrid.areas"
    label = "areas"
    verbose_name = _("Areas and households")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Area
        from .signals import area_written

        post_save.connect(area_written, sender=Area, dispatch_uid="civicgrid.areas.written.save")
        post_delete.connect(area_written, sender=Area, dispatch_uid="civicgrid.areas.written.delete")
