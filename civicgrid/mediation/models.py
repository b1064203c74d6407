"""Mediation centres, their staff and mediators, disputes and their parties, sessions, agreements,
judicial confirmation, follow-up visits, history, and the monthly rollup the figures read.

Staff and mediator membership lives here (linked to the user and the area), not in people.Role:
mediation roles are held per centre, and people's roles are a fixed list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Household
from civicgrid.core import pii
from civicgrid.core.models import JurisdictionModel

from .workflow import (
    Channel,
    ConfirmMethod,
    DisputeType,
    FollowUpMethod,
    JudicialResult,
    Level,
    PartyKind,
    PartySide,
    Performance,
    Pool,
    Route,
    SessionOutcome,
    State,
    Urgency,
)


class Centre(JurisdictionModel):
    """A mediation centre (矛调中心 / 人民调解委员会) owned by an area: community, street or county."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path", "id"]
        verbose_name = _("mediation centre")
        verbose_name_plural = _("mediation centres")

    def __str__(self) -> str:
        return self.name


class StaffRole(models.TextChoices):
    HEAD = "head", _("centre head")  # 中心主任
    STAFF = "staff", _("centre staff")  # 窗口工作人员


class CentreStaff(JurisdictionModel):
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="staff", verbose_name=_("centre")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=8, choices=StaffRole.choices, default=StaffRole.STAFF)
    since = models.DateField(_("since"), default=timezone.localdate)
    ended_on = models.DateField(pgettext_lazy("mediation", "ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("centre staff")
        verbose_name_plural = _("centre staff")
        constraints = [models.UniqueConstraint(fields=["centre", "user", "role"], name="centre_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.centre}"


class Mediator(JurisdictionModel):
    """A mediator on a centre's roster, from one of the pools (多元化解)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="mediators", verbose_name=_("centre")
    )
    name = models.CharField(_("name"), max_length=50)
    pool = models.CharField(_("pool"), max_length=16, choices=Pool.choices)
    # Types the mediator is good at (empty: any type).
    types = models.JSONField(_("types"), default=list, blank=True)
    # For the conflict-of-interest check: where the mediator lives and works.
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("mediation", "household"),
    )
    organisation = models.CharField(pgettext_lazy("mediation", "organisation"), max_length=100, blank=True)
    max_open = models.PositiveSmallIntegerField(_("most open disputes at once"), default=6)
    unavailable_until = models.DateField(_("unavailable until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["centre_id", "name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        constraints = [models.UniqueConstraint(fields=["user", "centre"], name="mediator_unique_per_centre")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_pool_display()})"


class Dispute(JurisdictionModel):
    ref = models.CharField(_("reference"), max_length=32, unique=True)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("centre")
    )
    path = models.CharField(_("path"), max_length=255, editable=False)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, editable=False)
    channel = models.CharField(pgettext_lazy("mediation", "channel"), max_length=10, choices=Channel.choices)
    channel_ref = models.CharField(_("referral number"), max_length=60, blank=True)
    dispute_type = models.CharField(_("type"), max_length=12, choices=DisputeType.choices)
    summary = models.CharField(_("summary"), max_length=120)
    facts = models.TextField(_("facts"), blank=True)
    amount = models.DecimalField(
        _("amount at stake (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RECEIVED)
    # A case of the closed loop handed to mediation: the case follows the dispute to its close.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    came_back_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="came_back",
        verbose_name=_("came back from"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    received_month = models.DateField(_("received month"), editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    due_at = models.DateTimeField(_("settle by"))
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalated_at = models.DateTimeField(pgettext_lazy("mediation", "escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    performed_at = models.DateTimeField(_("performed"), null=True, blank=True)
    failure_reason = models.CharField(_("reason for failure"), max_length=300, blank=True)
    route = models.CharField(_("route onward"), max_length=16, choices=Route.choices, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [
            models.Index(fields=["centre", "state"], name="dispute_centre_state"),
            models.Index(fields=["case"], name="dispute_case"),
            models.Index(
                fields=["remind_at"],
                name="dispute_remind_due",
                condition=Q(reminded_at__isnull=True, state__in=["received", "assigned", "mediating"]),
            ),
            models.Index(
                fields=["due_at"],
                name="dispute_escalate_due",
                condition=Q(escalated_at__isnull=True, state__in=["received", "assigned", "mediating"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.summary}"

    def save(self, *args, **kwargs):
        if self.received_at:
            self.received_month = timezone.localdate(self.received_at).replace(day=1)
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in ("received", "assigned", "mediating")


class Party(JurisdictionModel):
    """A party to a dispute: only what the dispute needs (a name, a phone to reach them)."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="parties", verbose_name=_("dispute")
    )
    side = models.CharField(_("side"), max_length=10, choices=PartySide.choices)
    kind = models.CharField(
        pgettext_lazy("mediation", "kind"), max_length=12, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # A person's household (when known) and employer / organisation: the conflict-of-interest check.
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("mediation", "household"),
    )
    organisation = models.CharField(pgettext_lazy("mediation", "organisation"), max_length=100, blank=True)

    class Meta:
        ordering = ["dispute_id", "side", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        # An organisation's name is not personal data.
        return self.name if self.kind == PartyKind.ORGANISATION else pii.mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone)


class Assignment(JurisdictionModel):
    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("dispute")
    )
    mediator = models.ForeignKey(
        Mediator, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("mediator")
    )
    lead = models.BooleanField(_("lead mediator"), default=True)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )

    class Meta:
        ordering = ["dispute_id", "-lead", "assigned_at"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["dispute", "mediator"], name="assignment_unique")]


class DeclaredConflict(JurisdictionModel):
    """A mediator says they are related to a party of a dispute (declared conflict of interest)."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="declared_conflicts", verbose_name=_("dispute")
    )
    mediator = models.ForeignKey(
        Mediator, on_delete=models.CASCADE, related_name="+", verbose_name=_("mediator")
    )
    note = models.CharField(pgettext_lazy("mediation", "note"), max_length=200)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")


class Session(JurisdictionModel):
    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("dispute")
    )
    number = models.PositiveSmallIntegerField(pgettext_lazy("mediation", "number"))
    starts_at = models.DateTimeField(pgettext_lazy("mediation", "starts"))
    place = models.CharField(_("place"), max_length=120)
    non_working_day = models.BooleanField(_("on a non-working day"), default=False)
    override_reason = models.CharField(_("why on a non-working day"), max_length=200, blank=True)
    notice_text = models.TextField(_("notice"), blank=True)
    sms_text = models.CharField(_("SMS text"), max_length=300, blank=True)
    held_at = models.DateTimeField(pgettext_lazy("mediation", "held"), null=True, blank=True)
    present = models.ManyToManyField(
        Party, blank=True, related_name="+", verbose_name=pgettext_lazy("mediation", "present")
    )
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=SessionOutcome.choices, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled by"),
    )

    class Meta:
        ordering = ["dispute_id", "number"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [models.UniqueConstraint(fields=["dispute", "number"], name="session_unique_number")]


class Agreement(JurisdictionModel):
    """人民调解协议书: parties, facts, terms and the performance schedule; every party confirms it."""

    dispute = models.OneToOneField(
        Dispute, on_delete=models.CASCADE, related_name="agreement", verbose_name=_("dispute")
    )
    facts = models.TextField(_("facts and the matter in dispute"))
    terms = models.TextField(_("terms agreed"))
    # [{"date": "YYYY-MM-DD", "what": "…"}], the performance schedule.
    schedule = models.JSONField(_("performance schedule"), default=list, blank=True)
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    agreed_at = models.DateTimeField(_("agreed"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")


class Confirmation(JurisdictionModel):
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("agreement")
    )
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("party")
    )
    method = models.CharField(_("how"), max_length=10, choices=ConfirmMethod.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="confirmation_once")]


class JudicialReferral(JurisdictionModel):
    """司法确认: the parties apply to the court within 30 days of the agreement."""

    dispute = models.OneToOneField(
        Dispute, on_delete=models.CASCADE, related_name="judicial", verbose_name=_("dispute")
    )
    court = models.CharField(_("court"), max_length=100)
    referred_on = models.DateField(_("applied on"))
    result = models.CharField(
        _("result"), max_length=10, choices=JudicialResult.choices, default=JudicialResult.PENDING
    )
    result_on = models.DateField(_("result on"), null=True, blank=True)
    note = models.CharField(pgettext_lazy("mediation", "note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")


class FollowUp(JurisdictionModel):
    """A check on the performance of the agreement on one of its dates (回访)."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("dispute")
    )
    due_on = models.DateField(_("due on"))
    what = models.CharField(_("what is due"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    method = models.CharField(_("how"), max_length=6, choices=FollowUpMethod.choices, blank=True)
    performance = models.CharField(_("performance"), max_length=10, choices=Performance.choices, blank=True)
    note = models.CharField(pgettext_lazy("mediation", "note"), max_length=300, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["dispute_id", "due_on", "id"]
        verbose_name = pgettext_lazy("mediation", "follow-up")
        verbose_name_plural = _("follow-ups")


class DisputeEvent(JurisdictionModel):
    """History: every move with actor, from, to, note and time."""

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="events", verbose_name=_("dispute")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=10, blank=True)
    to_state = models.CharField(_("to"), max_length=10, blank=True)
    note = models.TextField(pgettext_lazy("mediation", "note"), blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("dispute history")
        verbose_name_plural = _("dispute history")


class DisputeRollup(JurisdictionModel):
    """Monthly counters per (centre × type) of the disputes received that month (the cohort).

    level and path are the centre's, copied so that figures per level and per area read this table
    alone. Kept current by the services in the transaction of each change; `rollups.rebuild()`
    recomputes it from the disputes.
    """

    month = models.DateField(_("month"))
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    path = models.CharField(_("path"), max_length=255)
    dispute_type = models.CharField(_("type"), max_length=12, choices=DisputeType.choices)
    taken_in = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    agreed = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    performed = models.IntegerField(default=0)
    came_back = models.IntegerField(default=0)
    from_cases = models.IntegerField(default=0)
    close_days = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("dispute rollup")
        verbose_name_plural = _("dispute rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "centre", "dispute_type", "jurisdiction"], name="dispute_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["month", "level"], name="dispute_rollup_month_level")]


class CloseDaysCount(JurisdictionModel):
    """How many disputes of a cohort (month × centre × type) closed after exactly `days` days:
    the histogram the median days to close is read from."""

    month = models.DateField(_("month"))
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    path = models.CharField(_("path"), max_length=255)
    dispute_type = models.CharField(_("type"), max_length=12, choices=DisputeType.choices)
    days = models.PositiveIntegerField(_("days"))
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("days-to-close count")
        verbose_name_plural = _("days-to-close counts")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "centre", "dispute_type", "days", "jurisdiction"], name="close_days_key"
            )
        ]
