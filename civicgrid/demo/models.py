"""What the demo generator has put in this database, so a second run reuses it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DemoRun(models.Model):
    """The one record of the generated demo city (there is at most one row).

    `steps` lists the registered steps (see registry.py) whose data is in place; a step that is
    registered later (a new app) is generated on the next `civicgrid demo` without a rebuild.
    """

    scale = models.CharField(_("scale"), max_length=10)
    seed = models.IntegerField(_("seed"))
    started_at = models.DateTimeField(pgettext_lazy("demo", "started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    steps = models.JSONField(_("steps done"), default=list)

    class Meta:
        verbose_name = _("demo run")
        verbose_name_plural = _("demo runs")

    def __str__(self) -> str:
        return f"demo {self.scale} seed {self.seed}"
