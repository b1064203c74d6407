"""Indices (六和指数 and others), peer groups, published issues (第N期), five-colour rules, and
grid-affairs admission (网格事务准入).

What the rules are lives in data: an index's indicators are a versioned list (formula, direction,
unit, weight), the colour thresholds are rows, the peer group of a town is a row. Every write goes
through services.py; published issues and their entries are never changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Level
from civicgrid.core.models import JurisdictionModel
from civicgrid.people.models import Department


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher_better", _("higher is better")
    LOWER_BETTER = "lower_better", _("lower is better")


class PeerGroup(models.Model):
    """A type of place ranked only against its own kind: the five town types, or community types."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("name in English"), max_length=60, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["level", "order", "code"]
        verbose_name = _("peer group")
        verbose_name_plural = _("peer groups")

    def __str__(self) -> str:
        return self.name


class AreaPeerGroup(JurisdictionModel):
    """The peer group (type) of one street, town or community."""

    area = models.OneToOneField(
        Area, on_delete=models.CASCADE, related_name="peer_group_link", verbose_name=_("area")
    )
    group = models.ForeignKey(
        PeerGroup, on_delete=models.PROTECT, related_name="areas", verbose_name=_("peer group")
    )

    class Meta:
        verbose_name = _("type of an area")
        verbose_name_plural = _("types of areas")

    def __str__(self) -> str:
        return f"{self.area} · {self.group}"


class IndexDefinition(JurisdictionModel):
    """An index a district publishes over the areas of one level below it (streets, communities)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="indices", verbose_name=_("owned by (district)")
    )
    level = models.CharField(_("ranks areas of level"), max_length=10, choices=Level.choices)
    months = models.PositiveSmallIntegerField(
        _("months per issue"), default=3, help_text=_("How many months of figures one issue reads.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("index")
        verbose_name_plural = _("indices")

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> IndexVersion | None:
        return self.versions.order_by("-number").first()


class IndexVersion(models.Model):
    """One version of an index's indicators; a change makes a new version, old ones stay as they were.

    `indicators` is a list of {"code", "name", "name_en", "formula", "direction", "unit", "weight"}.
    """

    index = models.ForeignKey(
        IndexDefinition, on_delete=models.CASCADE, related_name="versions", verbose_name=_("index")
    )
    number = models.PositiveIntegerField(_("version"))
    indicators = models.JSONField(_("indicators"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["index", "-number"]
        constraints = [models.UniqueConstraint(fields=["index", "number"], name="index_version_unique")]
        verbose_name = _("index version")
        verbose_name_plural = _("index versions")

    def __str__(self) -> str:
        return f"{self.index} v{self.number}"


class IndexIssue(JurisdictionModel):
    """A published issue (第N期): a frozen snapshot of the scores and ranks; never changed."""

    index = models.ForeignKey(
        IndexDefinition, on_delete=models.PROTECT, related_name="issues", verbose_name=_("index")
    )
    version = models.ForeignKey(
        IndexVersion, on_delete=models.PROTECT, related_name="issues", verbose_name=_("version")
    )
    number = models.PositiveIntegerField(_("issue number"))
    period_start = models.DateField(_("from month"))
    period_end = models.DateField(_("to month"))
    published_at = models.DateTimeField(pgettext_lazy("indices", "published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("by")
    )

    class Meta:
        ordering = ["index", "-number"]
        constraints = [models.UniqueConstraint(fields=["index", "number"], name="index_issue_unique")]
        verbose_name = _("index issue")
        verbose_name_plural = _("index issues")

    def __str__(self) -> str:
        return f"{self.index} #{self.number}"


class IssueEntry(JurisdictionModel):
    """One area's frozen line in an issue: raw values, normalised scores, score and rank in its type."""

    issue = models.ForeignKey(IndexIssue, on_delete=models.CASCADE, related_name="entries")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    area_name = models.CharField(max_length=100)
    group_code = models.CharField(max_length=40)
    group_name = models.CharField(max_length=60)
    values = models.JSONField(default=dict)  # indicator code → raw value (None: no data)
    scores = models.JSONField(default=dict)  # indicator code → 0..100 within the peer group
    score = models.FloatField()
    rank = models.PositiveIntegerField()  # within the peer group, 1 = best
    group_size = models.PositiveIntegerField()
    score_change = models.FloatField(null=True)  # since the previous issue (None: not in it)
    rank_change = models.IntegerField(null=True)  # positive: moved up

    class Meta:
        ordering = ["issue", "group_code", "rank", "area_name"]
        constraints = [models.UniqueConstraint(fields=["issue", "area"], name="issue_entry_unique")]


class Colour(models.TextChoices):
    """Five colours, worst first. They describe places and the state of work, never people."""

    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    BLUE = "blue", _("blue")
    GREEN = "green", _("green")


class ColourRule(JurisdictionModel):
    """A threshold rule of the five-colour map for areas of one level under a district.

    `formula` is evaluated on the area's figures; with "lower is better" (a risk, e.g. overdue cases
    per 1,000 households) a value at or above `red` is red, at or above `orange` orange, and so on;
    with "higher is better" (a rate) a value at or below `red` is red, and so on. Below every
    threshold the rule says green. The area's colour is the worst its rules give.
    """

    owner = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="colour_rules")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80, blank=True)
    formula = models.CharField(_("formula"), max_length=300)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    red = models.FloatField(_("red at"))
    orange = models.FloatField(_("orange at"))
    yellow = models.FloatField(_("yellow at"))
    blue = models.FloatField(_("blue at"))
    months = models.PositiveSmallIntegerField(_("months of figures"), default=3)

    class Meta:
        ordering = ["owner", "level", "name"]
        verbose_name = _("five-colour rule")
        verbose_name_plural = _("five-colour rules")

    def __str__(self) -> str:
        return self.name


# --- grid-affairs admission (网格事务准入) --------------------------------------------------------


class TaskKind(models.TextChoices):
    SURVEY = "survey", _("survey")
    INSPECTION = "inspection", _("inspection round")
    DATA = "data", _("data collection")
    OTHER = "other", _("other")


class AdmissionState(models.TextChoices):
    PENDING = "pending", _("waiting for the district")
    APPROVED = "approved", _("approved: on the admission list")
    REFUSED = "refused", pgettext_lazy("indices", "refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("indices", "withdrawn")


class AdmissionRequest(JurisdictionModel):
    """A department asks for grid workers' time for a task (费随事转、人随事走)."""

    district = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("indices", "department"),
    )
    title = models.CharField(pgettext_lazy("indices", "task"), max_length=120)
    kind = models.CharField(pgettext_lazy("indices", "kind"), max_length=12, choices=TaskKind.choices)
    description = models.TextField(_("what grid workers would do"), max_length=2000)
    grids = models.ManyToManyField(Area, related_name="admission_requests", verbose_name=_("grids"))
    hours_per_grid = models.DecimalField(_("hours per grid per month"), max_digits=6, decimal_places=1)
    funding_yuan = models.DecimalField(
        _("funding that comes with it (yuan)"), max_digits=12, decimal_places=2
    )
    people = models.PositiveSmallIntegerField(_("people that come with it"), default=0)
    starts_on = models.DateField(pgettext_lazy("indices", "from"))
    ends_on = models.DateField(_("until"))
    state = models.CharField(
        _("state"), max_length=10, choices=AdmissionState.choices, default=AdmissionState.PENDING
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(pgettext_lazy("indices", "reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("grid-affairs admission request")
        verbose_name_plural = _("grid-affairs admission requests")

    def __str__(self) -> str:
        return self.title


class AdmissionEvent(models.Model):
    """History of a request: filed, approved, refused, withdrawn."""

    request = models.ForeignKey(AdmissionRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"


class GridTask(JurisdictionModel):
    """A task from the admission list given to a grid worker for one month."""

    request = models.ForeignKey(
        AdmissionRequest, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("admitted task")
    )
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="grid_tasks", verbose_name=_("grid")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="grid_tasks",
        verbose_name=pgettext_lazy("indices", "worker"),
    )
    month = models.DateField(_("month"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(pgettext_lazy("indices", "done"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "grid"]
        constraints = [
            models.UniqueConstraint(fields=["request", "grid", "month"], name="grid_task_once_a_month")
        ]
        indexes = [models.Index(fields=["grid", "month"], name="grid_task_grid_month")]
        verbose_name = _("grid task")
        verbose_name_plural = _("grid tasks")
