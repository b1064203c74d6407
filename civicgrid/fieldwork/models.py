"""The grid worker's day: household visits and their quotas, the visit diary (民情日记), patrol
rounds, errands (便民代办), and the monthly figures.

Every row belongs to a grid: it carries `jurisdiction` (the district code) and the grid's `path`
for prefix scope checks. Rows a phone may send twice carry the phone's `client_key`, unique per
worker, so that a resend finds the first row instead of making a second one.

A patrol stores its start and end only: civicgrid records no movement trace. Reports made during a
round keep their own place (the case's point, building or unit), nothing in between.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Household
from civicgrid.core.models import JurisdictionModel

from .workflow import ErrandState


class HouseholdType(models.TextChoices):
    """What a household is for the visit quota, derived from the registry (people.Resident)."""

    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")  # 独居老人
    ELDERLY = "elderly", _("elderly household")  # 老年户 (every member 60 or over)
    GENERAL = "general", _("other households")
    UNREGISTERED = "unregistered", _("no registered residents")  # empty, rented out, not yet recorded


class Period(models.TextChoices):
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")


class Met(models.TextChoices):
    HEAD = "head", _("the head of household")
    MEMBER = "member", _("another member")
    RELATIVE = "relative", _("a relative or carer")
    NOBODY = "nobody", _("nobody at home")


class ConsentWay(models.TextChoices):
    IN_PERSON = "in_person", _("in person, signed")
    PHONE = "phone", _("by phone, recorded")
    FAMILY = "family", _("by a family member with authority")


class VisitQuota(JurisdictionModel):
    """How often a community wants each type of household visited (set by its staff, as data)."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="visit_quotas", verbose_name=_("community")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    household_type = models.CharField(_("household type"), max_length=16, choices=HouseholdType.choices)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    visits = models.PositiveSmallIntegerField(_("visits per period"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("visit quota")
        verbose_name_plural = _("visit quotas")
        constraints = [
            models.UniqueConstraint(fields=["community", "household_type"], name="fieldwork_quota_unique"),
            models.CheckConstraint(condition=Q(visits__gte=1), name="fieldwork_quota_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.get_household_type_display()} · {self.visits} {self.get_period_display()}"


class Patrol(JurisdictionModel):
    """One patrol round (巡查): when it started and ended, and nothing about the way walked."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("grid worker"),
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("grid"))
    path = models.CharField(_("path"), max_length=255, db_index=True)
    started_at = models.DateTimeField(pgettext_lazy("fieldwork", "started"))
    ended_at = models.DateTimeField(pgettext_lazy("fieldwork", "ended"), null=True, blank=True)
    note = models.CharField(pgettext_lazy("fieldwork", "note"), max_length=500, blank=True)
    client_key = models.CharField(
        pgettext_lazy("fieldwork", "client key"), max_length=64, null=True, blank=True
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("patrol round")
        verbose_name_plural = _("patrol rounds")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_key"], name="fieldwork_patrol_client_key"),
            models.UniqueConstraint(
                fields=["worker"], condition=Q(ended_at__isnull=True), name="fieldwork_one_open_patrol"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} {self.started_at:%Y-%m-%d %H:%M}"


class FieldReport(JurisdictionModel):
    """A case reported (or settled on the spot) from the field through these pages: the link from the
    worker's client key to the case, and to the patrol round it was made on."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A case is never deleted in the loop (only the demo's cleanup does): the link goes with it.
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="field_report", verbose_name=_("case")
    )
    patrol = models.ForeignKey(
        Patrol,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("patrol"),
    )
    path = models.CharField(_("path"), max_length=255, db_index=True)
    client_key = models.CharField(
        pgettext_lazy("fieldwork", "client key"), max_length=64, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_key"], name="fieldwork_report_client_key")
        ]


class Errand(JurisdictionModel):
    """便民代办: something a resident asked the grid worker to do for them. The errand is a case in
    the closed loop (cases: channel errand, is_errand); this row holds the consent and the steps."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="errand", verbose_name=_("case")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="errands",
        verbose_name=_("grid worker"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="errands", verbose_name=_("household")
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    path = models.CharField(_("path"), max_length=255, db_index=True)
    request = models.CharField(_("what the resident asked for"), max_length=500)
    state = models.CharField(
        _("state"), max_length=12, choices=ErrandState.choices, default=ErrandState.REQUESTED
    )
    consent_way = models.CharField(_("consent given"), max_length=12, choices=ConsentWay.choices)
    consent_at = models.DateTimeField(_("consent recorded"))
    consent_note = models.CharField(_("consent note"), max_length=200, blank=True)
    result = models.CharField(pgettext_lazy("fieldwork", "result"), max_length=500, blank=True)
    requested_at = models.DateTimeField(pgettext_lazy("fieldwork", "requested"), default=timezone.now)
    started_at = models.DateTimeField(pgettext_lazy("fieldwork", "started"), null=True, blank=True)
    done_at = models.DateTimeField(pgettext_lazy("fieldwork", "done"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    client_key = models.CharField(
        pgettext_lazy("fieldwork", "client key"), max_length=64, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = pgettext_lazy("fieldwork", "errand")
        verbose_name_plural = _("errands")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_key"], name="fieldwork_errand_client_key")
        ]
        indexes = [models.Index(fields=["grid", "state"])]

    def __str__(self) -> str:
        return self.request[:40]


class ErrandStep(JurisdictionModel):
    errand = models.ForeignKey(
        Errand,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=pgettext_lazy("fieldwork", "errand"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(pgettext_lazy("fieldwork", "step"), max_length=500)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("errand step")
        verbose_name_plural = _("errand steps")


class Visit(JurisdictionModel):
    """A household visit (入户走访): who was met, what was heard, the needs raised, the follow-ups."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("grid worker"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    path = models.CharField(_("path"), max_length=255, db_index=True)
    visited_on = models.DateField(_("visited on"))
    met = models.CharField(_("who was met"), max_length=10, choices=Met.choices)
    heard = models.TextField(_("what was heard"), max_length=2000, blank=True)
    needs = models.TextField(_("needs raised"), max_length=2000, blank=True)
    follow_up = models.CharField(pgettext_lazy("fieldwork", "follow-up"), max_length=500, blank=True)
    follow_up_on = models.DateField(_("follow up by"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done"), null=True, blank=True)
    patrol = models.ForeignKey(
        Patrol,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("patrol"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    errand = models.ForeignKey(
        Errand,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("fieldwork", "errand"),
    )
    client_key = models.CharField(
        pgettext_lazy("fieldwork", "client key"), max_length=64, null=True, blank=True
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_key"], name="fieldwork_visit_client_key")
        ]
        indexes = [
            models.Index(fields=["grid", "visited_on"]),
            models.Index(fields=["household", "visited_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class DiaryEntry(JurisdictionModel):
    """民情日记: the grid worker's own notes of a day, linked to the households they concern.

    Read by its author; community staff see how many entries there are, and the text only by a
    deliberate, logged unmask (core/pii.py). Never shown on public pages.
    """

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="diary",
        verbose_name=_("grid worker"),
    )
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    path = models.CharField(_("path"), max_length=255, db_index=True)
    day = models.DateField(_("day"))
    text = models.TextField(pgettext_lazy("fieldwork", "notes"), max_length=4000)
    households = models.ManyToManyField(Household, blank=True, related_name="+", verbose_name=_("households"))
    client_key = models.CharField(
        pgettext_lazy("fieldwork", "client key"), max_length=64, null=True, blank=True
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("diary entry")
        verbose_name_plural = _("visit diary")
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_key"], name="fieldwork_diary_client_key")
        ]
        indexes = [models.Index(fields=["worker", "day"])]

    def __str__(self) -> str:
        return f"{self.day}"


class FieldworkEvent(JurisdictionModel):
    """The history row every fieldwork service writes: who did what to which row, when."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    subject = models.CharField(_("subject"), max_length=16)  # visit, diary, patrol, report, errand, quota
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    action = models.CharField(_("action"), max_length=24)
    path = models.CharField(_("path"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("fieldwork history")
        verbose_name_plural = _("fieldwork history")
        indexes = [models.Index(fields=["subject", "subject_id"])]


class GridMonth(JurisdictionModel):
    """Rollup: a grid's month of fieldwork (the figures read this, never the visits).

    `quota_due` counts the visits owed by the quota periods that end in the month (weeks ending on a
    Sunday in it, the month, the quarter in its last month, the year in December); `quota_met` the
    visits made towards them, at most the quota per household and period.
    """

    month = models.DateField(_("month"))
    grid = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("grid"))
    path = models.CharField(_("path"), max_length=255, db_index=True)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    households_visited = models.PositiveIntegerField(_("households visited"), default=0)
    quota_due = models.PositiveIntegerField(_("visits owed by the quota"), default=0)
    quota_met = models.PositiveIntegerField(_("visits made towards the quota"), default=0)
    diary_entries = models.PositiveIntegerField(_("diary entries"), default=0)
    errands_opened = models.PositiveIntegerField(_("errands asked for"), default=0)
    errands_done = models.PositiveIntegerField(_("errands done"), default=0)
    patrols = models.PositiveIntegerField(_("patrol rounds"), default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["path", "month"]
        verbose_name = _("fieldwork month")
        verbose_name_plural = _("fieldwork months")
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="fieldwork_gridmonth_unique")]
