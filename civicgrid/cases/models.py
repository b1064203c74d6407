"""The closed loop's data: categories, dispatch rules, cases and their history, and the rollups.

Every write goes through cases/services/; states and moves are in cases/workflow.py.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area
from civicgrid.core.models import JurisdictionModel
from civicgrid.people.models import Department, Resident

from .workflow import (
    LEVEL_STATES,
    OPEN_STATES,
    RESPOND_STATES,
    RUNNING_STATES,
    AttachmentKind,
    CaseLevel,
    Channel,
    Kind,
    Rating,
    State,
)


class Category(models.Model):
    """Two-level tree of grid-event categories, each with its default handling and time limits."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    default_department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default department"),
    )
    default_level = models.CharField(
        _("default handling level"), max_length=16, choices=CaseLevel.choices, default=CaseLevel.GRID
    )
    respond_hours = models.PositiveIntegerField(_("hours to respond (working)"), default=8)
    resolve_hours = models.PositiveIntegerField(_("hours to resolve (working)"), default=40)
    public = models.BooleanField(
        _("shown publicly"), default=True, help_text=_("Whether its cases may appear on the problem wall.")
    )
    auto_dispatch = models.BooleanField(
        _("dispatch automatically"),
        default=False,
        help_text=_("Send reports straight to the department of the matching dispatch rule."),
    )
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Space-separated words that suggest it.")
    )
    # Extra questions (Open311 service definition attributes): a list of
    # {code, datatype, required, description, order, values: [{key, name}]}.
    questions = models.JSONField(_("extra questions"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    # Possible duplicates (cases/duplicates.py): how near and how recent; empty: the parent's, else
    # the defaults there.
    duplicate_metres = models.PositiveIntegerField(
        _("duplicate radius (m)"),
        null=True,
        blank=True,
        help_text=_("Open cases this near count as possible duplicates. Empty: the parent category's."),
    )
    duplicate_days = models.PositiveIntegerField(
        _("duplicate window (days)"),
        null=True,
        blank=True,
        help_text=_("Open cases reported this many days back count. Empty: the parent category's."),
    )

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    @property
    def top_id(self) -> int:
        return self.parent_id or self.pk


def derived_jurisdiction():
    """The `jurisdiction` of a row that takes it from its area or case (filled on write, never typed)."""
    return models.CharField(_("jurisdiction"), max_length=12, db_index=True, editable=False)


class DispatchRule(JurisdictionModel):
    """(category, area) → lead department and assisting ones. The deepest matching area wins;
    a rule for the parent category applies when the sub-category has none.

    It carries its area's jurisdiction (the tenant key), set on every save."""

    jurisdiction = derived_jurisdiction()

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="dispatch_rules", verbose_name=_("category")
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="dispatch_rules", verbose_name=_("area")
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="lead_rules", verbose_name=_("lead department")
    )
    assisting = models.ManyToManyField(
        Department, blank=True, related_name="assisting_rules", verbose_name=_("assisting departments")
    )
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Among rules for the same category and area, the highest wins.")
    )

    class Meta:
        ordering = ["category__code", "area__path", "-priority"]
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch rules")

    def __str__(self) -> str:
        return f"{self.category} @ {self.area.name} → {self.department}"

    def save(self, *args, **kwargs):
        self.jurisdiction = self.area.jurisdiction
        super().save(*args, **kwargs)


# "Overdue", defined once. A case runs a clock while its result is owed (RESOLUTION_PENDING); while
# it waits in the dispatcher's or a department's hands for its first response (RESPONSE_CLOCK), the
# clock that matters is respond_due, otherwise resolve_due. It is overdue once that clock has
# passed. `overdue_q` / `CaseQuerySet.overdue()` (API filter, staff search and queues), `is_overdue`
# and deadlines.time_status (the red on every page) read these lookups; so does the sweep's
# resolution step below (SWEEP_RESOLVE), whose flag the figures count as overdue_open.
RESOLUTION_PENDING = {"handled_at__isnull": True, "state__in": RUNNING_STATES}
RESPONSE_CLOCK = {
    "respond_due__isnull": False,
    "responded_at__isnull": True,
    "state__in": (State.REGISTERED, State.DISPATCHED),
}


def pending(case: Case, lookups: dict) -> bool:
    """Whether a case in memory matches lookups such as RESOLUTION_PENDING (isnull and in only)."""
    for key, value in lookups.items():
        name, op = key.rsplit("__", 1)
        current = getattr(case, name)
        if (op == "isnull" and (current is None) != value) or (op == "in" and current not in value):
            return False
    return True


def overdue_q(now=None) -> Q:
    """The cases past the deadline that matters now (see RESPONSE_CLOCK)."""
    now = now or timezone.now()
    respond = Q(**RESPONSE_CLOCK)
    return Q(**RESOLUTION_PENDING) & (
        (respond & Q(respond_due__lt=now)) | (~respond & Q(resolve_due__lt=now))
    )


def clock_of(case: Case) -> tuple:
    """(due, "respond" or "resolve") of the clock that matters now, or (None, "") without one."""
    if not pending(case, RESOLUTION_PENDING):
        return None, ""
    if pending(case, RESPONSE_CLOCK):
        return case.respond_due, "respond"
    return (case.resolve_due, "resolve") if case.resolve_due else (None, "")


def is_overdue(case: Case, now=None) -> bool:
    """`overdue_q` for one case in memory."""
    due, _which = clock_of(case)
    return due is not None and due < (now or timezone.now())


# What each sweep step looks at (cases/sweeps.py); the partial indexes below hold exactly these rows,
# so a sweep reads only the cases that are due, however many cases are open. The response step
# supervises a missing response from the report on (also while submitted or returned), earlier than
# the page's respond clock; the resolution step takes the RESOLUTION_PENDING cases not flagged yet.
SWEEP_LEVEL = Q(level_due__isnull=False, state__in=LEVEL_STATES)
SWEEP_REMIND = Q(remind_at__isnull=False, state__in=OPEN_STATES)
# The command centre's open emergencies under an area: a few in a thousand cases.
OPEN_EMERGENCY = Q(kind=Kind.EMERGENCY, state__in=OPEN_STATES)
SWEEP_RESPOND = Q(
    respond_due__isnull=False,
    responded_at__isnull=True,
    response_overdue_at__isnull=True,
    state__in=RESPOND_STATES,
)
SWEEP_RESOLVE = Q(resolve_due__isnull=False, resolution_overdue_at__isnull=True, **RESOLUTION_PENDING)

REF_RE = re.compile(r"^(\d{4})-(\d{1,12})-(\d{6,})$")


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=RUNNING_STATES + (State.ON_HOLD,))

    def overdue(self, now=None):
        """Cases past the deadline that matters now (the one rule: `overdue_q`)."""
        return self.filter(overdue_q(now))

    def by_ref(self, ref: str):
        """Cases with this public reference code (at most one)."""
        m = REF_RE.match((ref or "").strip())
        if not m:
            return self.none()
        year, jurisdiction, number = m.groups()
        return self.filter(pk=int(number), jurisdiction=jurisdiction, reported_at__year=int(year))


class Case(JurisdictionModel):
    """A case (事件/工单): anything a resident, grid worker, hotline or petition raises.

    On PostgreSQL the table is partitioned by ranges of the case number, which grows with time
    (migration 0009, cases/partitions.py); there the two unique constraints below are kept as
    PostgreSQL allows on a partitioned table: the client key in a side table filled by a trigger
    (globally unique), the follow token per partition (random, and derived from the client key
    where there is one)."""

    # Scoped by district like every row, but looked up with the area's path: a plain index, no
    # pattern index (never searched by prefix).
    jurisdiction = models.CharField(_("jurisdiction"), max_length=12)
    # Unique through Meta.constraints (so PostgreSQL gets no extra pattern index: never searched by prefix).
    follow_token_hash = models.CharField(_("follow link (hashed)"), max_length=64, editable=False)
    client_key = models.CharField(_("client key"), max_length=80, null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COORDINATION)
    is_errand = models.BooleanField(_("errand (代办)"), default=False)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    # Denormalised for the rollups: the top-level category.
    top_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # read only by the rollups, month by month
        verbose_name=_("top category"),
    )
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="grid_cases",
        verbose_name=_("grid"),
        null=True,
        blank=True,
    )
    # Buildings and units are found through `path` (prefix), so these need no index of their own.
    building = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        verbose_name=_("building"),
    )
    unit = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        verbose_name=_("unit"),
    )
    # Path of the deepest known place (unit, building, grid or the area given): scope filters by
    # prefix (index case_path_prefix).
    path = models.CharField(_("path"), max_length=255)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    title = models.CharField(pgettext_lazy("cases", "title"), max_length=120, blank=True)
    description = models.TextField(_("description"))
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_cases",
        db_index=False,  # a partial index (Meta): most cases have no account behind them
        verbose_name=_("reported by"),
    )
    reporter = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        db_index=False,  # a partial index (Meta)
        verbose_name=_("reporting resident"),
    )
    # Personal data only where the case needs it; masked wherever shown.
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)

    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    level = models.CharField(_("level"), max_length=16, choices=CaseLevel.choices, default=CaseLevel.GRID)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_cases",
        db_index=False,  # case_department_state leads with it
        verbose_name=_("lead department"),
    )
    assisting = models.ManyToManyField(
        Department, blank=True, related_name="assisting_cases", verbose_name=_("assisting departments")
    )
    suggested_department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("suggested department"),
    )

    # Deadlines, in real time, computed from working hours.
    respond_due = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    level_due = models.DateTimeField(_("level time limit"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    # When the limits started to count (for the amber share).
    clock_started_at = models.DateTimeField(_("clock started"), null=True, blank=True)

    # Facts.
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    reported_month = models.DateField(_("reported month"), editable=False)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    held_at = models.DateTimeField(_("put on hold"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    response_overdue_at = models.DateTimeField(_("response overdue since"), null=True, blank=True)
    resolution_overdue_at = models.DateTimeField(_("resolution overdue since"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("last escalated"), null=True, blank=True)
    flagged_for_deliberation_at = models.DateTimeField(_("flagged for deliberation"), null=True, blank=True)
    deliberation_note = models.CharField(_("deliberation note"), max_length=200, blank=True)

    result = models.TextField(pgettext_lazy("cases", "result"), blank=True)
    not_accepted_reason = models.CharField(_("reason not accepted"), max_length=300, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=300, blank=True)
    hold_until = models.DateField(_("review date"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,  # a partial index (Meta): few cases are merged
        verbose_name=_("merged into"),
    )
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("reworked"), default=0)
    public = models.BooleanField(_("shown publicly"), default=True)
    # Bumped at every change of the case; an action may name the version it saw (optimistic check).
    version = models.PositiveIntegerField(_("version"), default=1)
    # The time of its latest history row (Open311's updated_datetime), written with that row, so a
    # page of cases needs no look-up in the history's partitions.
    updated_at = models.DateTimeField(_("last changed"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["follow_token_hash"], name="case_follow_token_unique"),
            models.UniqueConstraint(fields=["client_key"], name="case_client_key_unique"),
        ]
        indexes = [
            models.Index(fields=["path"], name="case_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["state", "path"], name="case_state_path"),
            models.Index(fields=["department", "state"], name="case_department_state"),
            models.Index(fields=["reported_at"], name="case_reported_at"),
            models.Index(fields=["jurisdiction"], name="case_jurisdiction"),
            # Foreign keys that most cases leave empty: index only the rows that have one.
            models.Index(
                fields=["reporter_user"], name="case_reporter_user", condition=Q(reporter_user__isnull=False)
            ),
            models.Index(fields=["reporter"], name="case_reporter", condition=Q(reporter__isnull=False)),
            models.Index(
                fields=["merged_into"], name="case_merged_into", condition=Q(merged_into__isnull=False)
            ),
            # The sweep's indexes: each covers exactly the rows a sweep step looks at.
            models.Index(fields=["level_due"], name="case_sweep_level", condition=SWEEP_LEVEL),
            models.Index(fields=["remind_at"], name="case_sweep_remind", condition=SWEEP_REMIND),
            models.Index(fields=["respond_due"], name="case_sweep_respond", condition=SWEEP_RESPOND),
            models.Index(fields=["resolve_due"], name="case_sweep_resolve", condition=SWEEP_RESOLVE),
            # The duplicate finder's box around a point, over the open cases (the case page's merge
            # candidates: 40 ms → 4 at a tenth of a province).
            models.Index(fields=["lat", "lng"], name="case_open_place", condition=Q(state__in=OPEN_STATES)),
            models.Index(
                fields=["path"],
                name="case_open_emergency",
                condition=OPEN_EMERGENCY,
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        """Public reference code: year-district-number, e.g. 2026-330106-000123."""
        if not self.pk:
            return ""
        year = timezone.localtime(self.reported_at).year
        return f"{year}-{self.jurisdiction}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.NOT_ACCEPTED, State.MERGED)

    @property
    def main_case(self) -> Case:
        """The case this one follows: its main case when merged (合并), else itself."""
        case: Case = self
        seen = set()
        while case.merged_into is not None and case.pk not in seen:
            seen.add(case.pk)
            case = case.merged_into
        return case

    @property
    def shown_state(self) -> str:
        """The state to show: a merged duplicate shows its main case's state."""
        return self.main_case.state

    @property
    def masked_contact_name(self) -> str:
        from civicgrid.core.pii import mask_name

        return mask_name(self.contact_name)

    @property
    def masked_contact_phone(self) -> str:
        from civicgrid.core.pii import mask_phone

        return mask_phone(self.contact_phone)

    def time_left(self, now=None):
        """(due, colour, share_left): the deadline that matters now and how close it is.

        colour is "green", "amber" (in the last AMBER_SHARE of the time) or "red" (past it);
        None for cases without a running clock.
        """
        from .deadlines import time_status

        return time_status(self, now)


class CaseEvent(JurisdictionModel):
    """One line of a case's history: who did what, from which state to which, when and why.

    Like every row that hangs off a case, it carries the case's jurisdiction (the tenant key)."""

    # Indexed by (case, at) below.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", db_index=False, verbose_name=_("case")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    public = models.BooleanField(_("public"), default=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Set while the event's contribution to the rollups has not yet been added (see rollups.py).
    rollup_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case history")
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at"),
            models.Index(fields=["at"], name="caseevent_at"),
            models.Index(fields=["id"], name="caseevent_rollup_pending", condition=Q(rollup_pending=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        from .workflow import action_label

        return action_label(self.action)


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.localtime()
    return f"cases/{now:%Y/%m}/{instance.case_id}-{filename}"


class Attachment(JurisdictionModel):
    """A photo of a case. Only images (JPEG, PNG, WebP) with metadata stripped are kept."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=AttachmentKind.choices, default=AttachmentKind.REPORT
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.file.name or ""


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")


class ExtensionRequest(JurisdictionModel):
    """延期: the handler asks for more working hours; the dispatcher grants or refuses."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="extension_requests", verbose_name=_("case")
    )
    hours = models.PositiveIntegerField(_("extra working hours"))
    reason = models.CharField(pgettext_lazy("cases", "reason"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"{self.case_id} +{self.hours}h {self.status}"


class SupervisionOrder(JurisdictionModel):
    """督办: an order to act on a case, issued by a supervisor or automatically when overdue."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="supervision_orders", verbose_name=_("case")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("cases", "issued by"),
        help_text=_("Empty when issued automatically."),
    )
    reason = models.CharField(pgettext_lazy("cases", "reason"), max_length=32, default="manual")
    note = models.CharField(_("note"), max_length=300, blank=True)
    due = models.DateTimeField(_("act by"), null=True, blank=True)
    at = models.DateTimeField(pgettext_lazy("cases", "issued"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")

    def __str__(self) -> str:
        return f"{self.case_id} {self.reason} {self.at:%Y-%m-%d}"


class InboxMessage(JurisdictionModel):
    """An in-app notification for a member of staff (or a resident with an account).

    It carries its case's jurisdiction (the tenant key), like every row that hangs off a case."""

    jurisdiction = derived_jurisdiction()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox", verbose_name=_("user")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox")
        indexes = [
            models.Index(fields=["user", "created_at"], name="inbox_user_created"),
            models.Index(fields=["user"], name="inbox_unread", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs):
        if not self.jurisdiction and self.case_id:
            self.jurisdiction = self.case.jurisdiction
        super().save(*args, **kwargs)


class WebhookEndpoint(models.Model):
    """An integration (an SMS gateway, say) that receives case events as signed JSON posts.

    The body is signed with HMAC-SHA256 under `secret`; the signature is sent in the
    `X-Civicgrid-Signature: sha256=<hex>` header.
    """

    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("URL"))
    secret = models.CharField(_("secret"), max_length=128)
    topics = models.JSONField(
        _("topics"), default=list, blank=True, help_text=_("Event topics to send; empty means all.")
    )
    active = models.BooleanField(_("active"), default=True)
    last_status = models.CharField(_("last result"), max_length=120, blank=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


ROLLUP_COUNTERS = [
    "reported", "not_accepted", "merged", "settled_on_spot", "responded", "responded_on_time", "closed",
    "closed_on_time", "closed_reworked", "closed_unsatisfied", "overdue_open", "on_hold", "rated",
    "satisfied", "basically", "unsatisfied", "close_seconds",
]  # fmt: skip  (RollupCounts' counter columns, in their order; cases/rollups.py COUNTERS)


class RollupCounts(JurisdictionModel):
    """Counters of the cases reported in one month (the cohort), kept current by the worker.

    A row carries its area's own jurisdiction (a city's row the city's code, a street's row its
    district's), and the unique key includes it, as Citus requires of the distribution column; it comes
    last in the key so that figures, which read by area and month, still use the key's index.
    See cases/rollups.py for what each counter means and how the rates are computed.
    """

    month = models.DateField(_("month"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    reported = models.IntegerField(default=0)
    not_accepted = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    settled_on_spot = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    responded_on_time = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    closed_reworked = models.IntegerField(default=0)
    closed_unsatisfied = models.IntegerField(default=0)
    overdue_open = models.IntegerField(default=0)
    on_hold = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basically = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    close_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CategoryRollup(RollupCounts):
    """Monthly counters per (area node of the case's ancestry, city down to community) × top category.
    Grids have no category rows: their monthly totals are in GridRollup, their splits come from the
    cases (see cases/rollups.py, "Grain")."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=_("category")
    )

    class Meta:
        verbose_name = _("category rollup")
        verbose_name_plural = _("category rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "month", "category", "jurisdiction"], name="category_rollup_key"
            ),
        ]
        # The rebuild replaces one month at a time.
        indexes = [models.Index(fields=["month"], name="category_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} area {self.area_id} category {self.category_id}"


class DepartmentRollup(RollupCounts):
    """Monthly counters per (area node of the case's ancestry, city down to community) × lead department."""

    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("cases", "department"),
    )

    class Meta:
        verbose_name = _("department rollup")
        verbose_name_plural = _("department rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "month", "department", "jurisdiction"], name="department_rollup_key"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "month"], name="department_rollup_dept"),
            models.Index(fields=["month"], name="department_rollup_month"),
            # An area's split by department, read by (area, month) with an index-only scan: the
            # counters ride in the index (PostgreSQL INCLUDE; elsewhere a plain index). A city's
            # rows of a month lie scattered over the month's pages (each of its 1,755 departments'
            # rows was made when its first case came): 13,000 heap pages for a year before (0090).
            models.Index(fields=["area", "month"], include=ROLLUP_COUNTERS + ["department"], name="department_rollup_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} area {self.area_id} department {self.department_id}"


class ReturnRollup(JurisdictionModel):
    """Returns (退单) per month of the return × area node of the case's ancestry (city down to community)
    × the department that returned the case: the command centre's league counts returns by the time
    they happened and by who returned, not by the case's cohort (see cases/rollups.py, "Returns")."""

    month = models.DateField(_("month"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("cases", "department"),
    )
    returns = models.IntegerField(_("returns"), default=0)

    class Meta:
        verbose_name = _("returns rollup")
        verbose_name_plural = _("returns rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "month", "department", "jurisdiction"], name="return_rollup_key"
            ),
        ]
        indexes = [models.Index(fields=["month"], name="return_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} area {self.area_id} department {self.department_id}: {self.returns}"


class GridRollup(RollupCounts):
    """Monthly counters per grid, all categories and departments together (one row a grid a month)."""

    class Meta:
        verbose_name = _("grid rollup")
        verbose_name_plural = _("grid rollups")
        constraints = [
            models.UniqueConstraint(fields=["area", "month", "jurisdiction"], name="grid_rollup_key"),
        ]
        indexes = [models.Index(fields=["month"], name="grid_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} grid {self.area_id}"


class CaseFollower(JurisdictionModel):
    """A resident who follows someone else's case instead of reporting it again (关注): they get
    its progress through their own private follow link, their inbox or their email."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers", verbose_name=_("case"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followed_cases",
        verbose_name=_("account"),
    )
    token_hash = models.CharField(_("follow link (hashed)"), max_length=64, unique=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("followed at"), default=timezone.now)

    class Meta:
        verbose_name = _("case follower")
        verbose_name_plural = _("case followers")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"], condition=Q(user__isnull=False), name="case_follower_once_per_user"
            )
        ]


class PlaceMatch(JurisdictionModel):
    """How a report's address text was matched to the registry (areas/addresses.py): the match,
    its level and confidence, the candidates, and the dispatcher's pick when it was not sure."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="place_match", verbose_name=_("case")
    )
    text = models.CharField(_("address text"), max_length=200)
    status = models.CharField(_("match"), max_length=12)  # matched | ambiguous | none
    level = models.CharField(_("level"), max_length=12, blank=True)
    confidence = models.FloatField(_("confidence"), default=0.0)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    used = models.BooleanField(_("used for the place"), default=False)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("picked by"),
    )
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("address match")
        verbose_name_plural = _("address matches")


class ClusterRule(models.Model):
    """When similar cases in one community make a concentrated problem (集中突出), as data: the
    rule of the nearest area above the community applies; with none, the defaults in
    cases/duplicates.py."""

    area = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Applies to the communities under it; empty: everywhere."),
    )
    min_cases = models.PositiveSmallIntegerField(_("at least this many reports"), default=5)
    days = models.PositiveSmallIntegerField(_("within this many days"), default=30)
    similarity = models.PositiveSmallIntegerField(
        _("text similarity (0–100)"), default=50, help_text=_("How alike two reports must read.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("concentrated-problem rule")
        verbose_name_plural = _("concentrated-problem rules")

    def __str__(self) -> str:
        return f"{self.area or '*'}: {self.min_cases} / {self.days}"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("cluster proposal", "proposed")
    ACCEPTED = "accepted", pgettext_lazy("cluster proposal", "accepted")
    DISMISSED = "dismissed", pgettext_lazy("cluster proposal", "dismissed")


class ClusterProposal(JurisdictionModel):
    """Similar reports in one community, proposed to its Party branch as one concentrated problem.
    Accepted: the reports are merged into one case flagged for deliberation; dismissed: with a reason."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    theme = models.CharField(_("theme"), max_length=120)
    cases = models.ManyToManyField(Case, related_name="cluster_proposals", verbose_name=_("cases"))
    # The sorted case ids: the same cluster is proposed once.
    signature = models.CharField(_("signature"), max_length=64, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    concentrated_case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concentrated case"),
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("concentrated-problem proposal")
        verbose_name_plural = _("concentrated-problem proposals")
