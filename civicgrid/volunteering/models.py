"""Volunteering and the moral bank (道德银行): schemes, the points ledger, activities, rewards,
co-building lists (共建) and the figures' rollup table.

The ledger (see ledger.py) is double-entry and append-only: a `PointsTransaction` groups
`PointsEntry` rows whose amounts sum to zero; a person's (or household's) balance is the sum of its
entries. `PointsDraw` rows record which earlier credits (lots) a debit used, oldest first, so
expiry takes what is left of the oldest lots.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Household
from civicgrid.core.models import JurisdictionModel
from civicgrid.party.models import PartyOrganization, PostType
from civicgrid.people.models import Resident

# ------------------------------------------------------------------------------------ schemes


class PointsScheme(JurisdictionModel):
    """A points scheme of a community or street; its rules are data (validated by rules.py)."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    rules = models.JSONField(_("rules"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("points scheme")
        verbose_name_plural = _("points schemes")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.area_id:
            self.path = self.area.path
            self.jurisdiction = self.jurisdiction or self.area.jurisdiction
        super().save(*args, **kwargs)


# ------------------------------------------------------------------------------------- ledger


class AccountKind(models.TextChoices):
    PERSON = "person", _("resident")
    HOUSEHOLD = "household", _("household (pooled)")
    ISSUANCE = "issuance", _("scheme issuance")
    REDEMPTION = "redemption", _("redemption sink")
    EXPIRY = "expiry", _("expiry sink")


HOLDER_KINDS = (AccountKind.PERSON, AccountKind.HOUSEHOLD)


class PointsAccount(JurisdictionModel):
    scheme = models.ForeignKey(PointsScheme, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=12, choices=AccountKind.choices)
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="points_accounts"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="points_accounts"
    )
    # The lowest balance allowed; None: unbounded (the issuance account goes negative as it issues).
    floor = models.IntegerField(_("floor"), null=True, blank=True, default=0)
    # A cache of the sum of the entries, written in the same transaction; ledger.check() compares.
    balance = models.IntegerField(_("balance (cached)"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "resident"], condition=Q(kind="person"), name="points_person_account_once"
            ),
            models.UniqueConstraint(
                fields=["scheme", "household"],
                condition=Q(kind="household"),
                name="points_household_account_once",
            ),
            models.UniqueConstraint(
                fields=["scheme", "kind"],
                condition=Q(kind__in=["issuance", "redemption", "expiry"]),
                name="points_system_account_once",
            ),
            models.CheckConstraint(
                condition=Q(floor__isnull=True) | Q(balance__gte=models.F("floor")),
                name="points_balance_above_floor",
            ),
        ]

    def __str__(self) -> str:
        holder = self.resident or self.household or self.get_kind_display()
        return f"{self.scheme} · {holder}"


class TxKind(models.TextChoices):
    AWARD = "award", _("award")
    REDEMPTION = "redemption", _("redemption")
    CANCELLATION = "cancellation", _("cancellation")
    REVERSAL = "reversal", _("reversal")
    EXPIRY = "expiry", _("expiry")


class PointsTransaction(JurisdictionModel):
    """One movement of points: its entries sum to zero. Never edited; reversed by a new one."""

    scheme = models.ForeignKey(PointsScheme, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=14, choices=TxKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(pgettext_lazy("volunteering", "reason"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # Awards: once per (activity, person), by a unique constraint.
    activity = models.ForeignKey(
        "Activity", on_delete=models.PROTECT, null=True, blank=True, related_name="awards"
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "resident"], condition=Q(kind="award"), name="points_award_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class PointsEntry(JurisdictionModel):
    """One side of a movement: a signed integer amount on one account."""

    transaction = models.ForeignKey(PointsTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.IntegerField(_("points"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    # Credits to a holder's account are lots; they may expire (the scheme's rule decides).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [models.Index(fields=["account", "at"], name="points_entry_account_at")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="points_entry_not_zero")]


class PointsDraw(models.Model):
    """A debit entry used `amount` points of an earlier credit (a lot), oldest lots first."""

    lot = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="draws")
    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="drawn")
    amount = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="points_draw_positive")]

    def __str__(self) -> str:
        return f"{self.amount} from #{self.lot_id} by #{self.entry_id}"


# --------------------------------------------------------------------------------- activities


class OrganiserKind(models.TextChoices):
    COMMUNITY = "community", _("community")
    BRANCH = "branch", _("Party branch")
    SOCIAL_ORGANISATION = "social_org", _("social organisation")


class ActivityState(models.TextChoices):
    OPEN = "open", _("open for sign-up")
    FINISHED = "finished", _("hours confirmed")
    CANCELLED = "cancelled", _("cancelled")


class Activity(JurisdictionModel):
    title = models.CharField(pgettext_lazy("volunteering", "title"), max_length=120)
    description = models.TextField(pgettext_lazy("volunteering", "description"), blank=True)
    organiser_kind = models.CharField(_("organiser"), max_length=12, choices=OrganiserKind.choices)
    organiser_name = models.CharField(_("organiser name"), max_length=100)
    branch = models.ForeignKey(
        PartyOrganization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    post_type = models.CharField(_("post type"), max_length=24, choices=PostType.choices)
    place = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("meeting point"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    scheme = models.ForeignKey(PointsScheme, on_delete=models.PROTECT, related_name="activities")
    state = models.CharField(
        _("state"), max_length=12, choices=ActivityState.choices, default=ActivityState.OPEN
    )
    # Shown on the organiser's phone; residents type it to check in and out on site.
    checkin_code = models.CharField(_("check-in code"), max_length=8)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("hours confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["jurisdiction", "starts_at"], name="activity_starts")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.place_id:
            self.path = self.place.path
            self.jurisdiction = self.jurisdiction or self.place.jurisdiction
        super().save(*args, **kwargs)


class SignUpState(models.TextChoices):
    PLACE = "place", _("has a place")
    WAITING = "waiting", _("on the waiting list")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SignUp(JurisdictionModel):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="activity_signups")
    state = models.CharField(_("state"), max_length=10, choices=SignUpState.choices)
    signed_up_at = models.DateTimeField(_("signed up"), default=timezone.now)
    offered_at = models.DateTimeField(_("place given from the waiting list"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    checked_in_at = models.DateTimeField(pgettext_lazy("volunteering", "checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(pgettext_lazy("volunteering", "checked out"), null=True, blank=True)
    confirmed_minutes = models.PositiveIntegerField(_("confirmed minutes"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("hours confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["activity_id", "signed_up_at", "id"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [models.UniqueConstraint(fields=["activity", "resident"], name="signup_once")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.activity}"

    @property
    def confirmed_hours(self) -> float | None:
        return None if self.confirmed_minutes is None else round(self.confirmed_minutes / 60, 2)


# ------------------------------------------------------------------------------------ rewards


class Shop(JurisdictionModel):
    """A community shop (or service provider) that takes points."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    keepers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="points_shops")

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.area_id:
            self.path = self.area.path
            self.jurisdiction = self.jurisdiction or self.area.jurisdiction
        super().save(*args, **kwargs)


class RewardKind(models.TextChoices):
    GOODS = "goods", _("goods")
    SERVICE = "service", _("service")


class Reward(JurisdictionModel):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="rewards")
    scheme = models.ForeignKey(PointsScheme, on_delete=models.PROTECT, related_name="rewards")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=RewardKind.choices, default=RewardKind.GOODS)
    price = models.PositiveIntegerField(_("points price"))
    stock = models.IntegerField(_("in stock"))
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["price", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="reward_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionState(models.TextChoices):
    REQUESTED = "requested", _("waiting for the shop")
    CONFIRMED = "confirmed", _("handed over")
    CANCELLED = "cancelled", _("cancelled")


class Redemption(JurisdictionModel):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(_("points"))
    code = models.CharField(pgettext_lazy("volunteering", "code"), max_length=8, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=RedemptionState.choices)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    transaction = models.OneToOneField(PointsTransaction, on_delete=models.PROTECT, related_name="redemption")

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")


# ------------------------------------------------------------------------------ co-building


class ResourceType(models.TextChoices):
    VENUE = "venue", _("venue")
    VOLUNTEERS = "volunteers", _("volunteers")
    FUNDS = "funds", _("funds")
    EXPERTISE = "expertise", _("expertise (legal, medical, …)")
    GOODS = "goods", _("goods and equipment")
    TRAINING = "training", _("training and education")


class CoBuildingUnit(JurisdictionModel):
    """An agency, company or school paired with communities (共建单位 / 包联单位)."""

    name = models.CharField(_("name"), max_length=120)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("located in"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    paired_communities = models.ManyToManyField(Area, blank=True, related_name="cobuilding_units")
    contacts = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cobuilding_units")

    class Meta:
        ordering = ["name"]
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.area_id:
            self.path = self.area.path
            self.jurisdiction = self.jurisdiction or self.area.jurisdiction
        super().save(*args, **kwargs)


class Resource(JurisdictionModel):
    """资源清单: what a unit offers, and where (an area: the street, or one community)."""

    unit = models.ForeignKey(CoBuildingUnit, on_delete=models.CASCADE, related_name="resources")
    resource_type = models.CharField(_("type"), max_length=12, choices=ResourceType.choices)
    title = models.CharField(pgettext_lazy("volunteering", "title"), max_length=120)
    description = models.TextField(pgettext_lazy("volunteering", "description"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("offered in"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    active = models.BooleanField(_("on offer"), default=True)
    listed_at = models.DateTimeField(_("listed"), default=timezone.now)

    class Meta:
        ordering = ["unit_id", "title"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.area_id:
            self.path = self.area.path
        super().save(*args, **kwargs)


class NeedState(models.TextChoices):
    OPEN = "open", pgettext_lazy("volunteering", "open")
    PAIRED = "paired", _("paired with a project")
    MET = "met", _("met")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Need(JurisdictionModel):
    """需求清单: what a community needs."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    resource_type = models.CharField(_("type"), max_length=12, choices=ResourceType.choices)
    title = models.CharField(pgettext_lazy("volunteering", "title"), max_length=120)
    description = models.TextField(pgettext_lazy("volunteering", "description"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=NeedState.choices, default=NeedState.OPEN)
    listed_at = models.DateTimeField(_("listed"), default=timezone.now)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-listed_at", "-id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.community_id:
            self.path = self.community.path
            self.jurisdiction = self.jurisdiction or self.community.jurisdiction
        super().save(*args, **kwargs)


class ProjectState(models.TextChoices):
    AGREED = "agreed", pgettext_lazy("co-building project", "agreed")
    IN_PROGRESS = "in_progress", pgettext_lazy("volunteering", "in progress")
    DONE = "done", pgettext_lazy("volunteering", "done")
    DROPPED = "dropped", _("dropped")


class Project(JurisdictionModel):
    """项目清单: a project pairing a need with a unit's resource, with its status and result."""

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="projects")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="projects")
    unit = models.ForeignKey(CoBuildingUnit, on_delete=models.PROTECT, related_name="projects")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    title = models.CharField(pgettext_lazy("volunteering", "title"), max_length=120)
    state = models.CharField(
        _("state"), max_length=12, choices=ProjectState.choices, default=ProjectState.AGREED
    )
    agreed_on = models.DateField(_("agreed on"))
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    result = models.TextField(pgettext_lazy("volunteering", "result"), blank=True)

    class Meta:
        ordering = ["-agreed_on", "-id"]
        verbose_name = _("co-building project")
        verbose_name_plural = _("co-building projects")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.community_id:
            self.path = self.community.path
            self.jurisdiction = self.jurisdiction or self.community.jurisdiction
        super().save(*args, **kwargs)


class ProjectEvent(models.Model):
    """History of a project: every status change, with who, when and a note."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["project_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


# ------------------------------------------------------------------------------------ figures


class Metric(models.TextChoices):
    VOLUNTEER_MINUTES = "volunteer_minutes", _("volunteer hours")
    PARTICIPANTS = "participants", _("participants")
    CALLS = "calls", _("whistle calls")
    CALLS_IN_TIME = "calls_in_time", _("calls answered in time")
    POINTS_AWARDED = "points_awarded", _("points awarded")
    POINTS_REDEEMED = "points_redeemed", _("points redeemed")


class VolunteeringCount(JurisdictionModel):
    """Rollup: one metric for one community and one month (participants are distinct per month)."""

    metric = models.CharField(max_length=20, choices=Metric.choices)
    community = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    month = models.DateField()  # first day of the month
    value = models.BigIntegerField()

    class Meta:
        ordering = ["month", "path", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "community", "month"], name="volunteering_count_once")
        ]
