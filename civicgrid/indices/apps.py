from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicesConfig(AppConfig):
    name = "civicgrid.indices"
    label = "indices"
    verbose_name = _("Indices and grid-affairs admission")

    def ready(self):
        from civicgrid.core import nav

        from . import policy

        nav.register(_("Indices"), "indices:index", visible=policy.can_read_indices, order=32)
        nav.register(_("Grid affairs"), "indices:admission", visible=policy.sees_admission, order=34)

        from civicgrid.fieldwork import tasks

        from .reports import my_day_tasks

        tasks.register(my_day_tasks)
