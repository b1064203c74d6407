"""Party organisations alongside the administrative tree, and membership."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Compound
from civicgrid.core.models import JurisdictionModel
from civicgrid.people.models import Resident


class OrgLevel(models.TextChoices):
    STREET_COMMITTEE = "street_committee", _("street Party working committee")
    COMMUNITY_COMMITTEE = "community_committee", _("community Party committee")
    BRANCH = "branch", _("compound Party branch")
    BUILDING_GROUP = "building_group", _("building Party group")


class PartyOrganization(JurisdictionModel):
    level = models.CharField(_("level"), max_length=24, choices=OrgLevel.choices)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=pgettext_lazy("party", "parent"),
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="party_organizations",
        verbose_name=pgettext_lazy("party", "area"),
    )
    # A branch covers one compound (三有) or several joined ones (三无 compounds joined with neighbours).
    compounds = models.ManyToManyField(
        Compound, blank=True, related_name="branches", verbose_name=_("compounds")
    )
    is_joint = models.BooleanField(_("joint branch"), default=False)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("secretary"),
    )
    set_up_on = models.DateField(_("set up on"), null=True, blank=True)
    filed_with_street_on = models.DateField(_("filed with the street on"), null=True, blank=True)

    class Meta:
        ordering = ["area__path", "level", "name"]
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")

    def __str__(self) -> str:
        return self.name


class PartyMembership(JurisdictionModel):
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="party_memberships", verbose_name=_("member")
    )
    organization = models.ForeignKey(
        PartyOrganization,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    joined_on = models.DateField(_("registered on"), null=True, blank=True)
    # 双报到: members who work elsewhere also register with the community where they live.
    registered_where_living = models.BooleanField(_("registered where living (双报到)"), default=False)

    class Meta:
        verbose_name = _("Party membership")
        verbose_name_plural = _("Party memberships")
        constraints = [models.UniqueConstraint(fields=["resident", "organization"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.organization}"


# ------------------------------------------------------------------------ posts 5+X (设岗定责)


class PostType(models.TextChoices):
    """The five fixed posts of "5+X" (shared with volunteering's activity post types), and X."""

    POLICY_EXPLANATION = "policy_explanation", _("theory and policy explanation")
    SECURITY_PATROL = "security_patrol", _("security patrol")
    CIVILITY_PERSUASION = "civility_persuasion", _("civility persuasion")
    SANITATION_SUPERVISION = "sanitation_supervision", _("sanitation supervision")
    CARE_MUTUAL_AID = "care_mutual_aid", _("care and mutual aid")
    BRANCH_CHOSEN = "x", _("chosen by the branch (X)")


FIXED_POST_TYPES = [t for t in PostType.values if t != PostType.BRANCH_CHOSEN]


class BranchPost(JurisdictionModel):
    """One post of a branch: one of the five fixed ones, or an X post the branch chose."""

    branch = models.ForeignKey(
        PartyOrganization, on_delete=models.CASCADE, related_name="posts", verbose_name=_("branch")
    )
    post_type = models.CharField(_("post type"), max_length=24, choices=PostType.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)

    class Meta:
        ordering = ["branch_id", "post_type", "title"]
        verbose_name = _("branch post")
        verbose_name_plural = _("branch posts")
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "post_type"],
                condition=~models.Q(post_type="x"),
                name="branch_fixed_post_once",
            ),
            models.UniqueConstraint(
                fields=["branch", "title"],
                condition=models.Q(post_type="x"),
                name="branch_x_post_title_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.title or str(self.get_post_type_display())


class PostHolding(JurisdictionModel):
    """A member holds a post for a term (started_on … ended_on; open-ended while ended_on is empty)."""

    post = models.ForeignKey(
        BranchPost, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("post")
    )
    member = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="post_holdings", verbose_name=_("member")
    )
    started_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"), null=True, blank=True)
    ended_on = models.DateField(_("stood down on"), null=True, blank=True)
    via_home_registration = models.BooleanField(_("via 双报到"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["post_id", "-started_on"]
        verbose_name = _("post holding")
        verbose_name_plural = _("post holdings")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member"], condition=models.Q(ended_on__isnull=True), name="post_held_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.post}"


# ------------------------------------------------------------------------- whistle calls (吹哨报到)


class CallState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", pgettext_lazy("whistle call", "closed")
    CANCELLED = "cancelled", _("cancelled")


class WhistleCall(JurisdictionModel):
    """A branch or community blows the whistle: a task, a place, members needed, a deadline."""

    issuer = models.ForeignKey(
        PartyOrganization, on_delete=models.PROTECT, related_name="calls", verbose_name=_("issued by")
    )
    task = models.CharField(_("task"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    place = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    members_needed = models.PositiveSmallIntegerField(_("members needed"))
    deadline = models.DateTimeField(_("report by"))
    state = models.CharField(_("state"), max_length=12, choices=CallState.choices, default=CallState.OPEN)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # When the last needed member reported (answered in time: filled_at <= deadline).
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("whistle call", "closed"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    # A case in the closed loop can raise a call (a lazy reference: party code never imports cases).
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="whistle_calls",
        verbose_name=_("raised by case"),
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("whistle call")
        verbose_name_plural = _("whistle calls")
        indexes = [models.Index(fields=["jurisdiction", "issued_at"], name="call_issued")]

    def __str__(self) -> str:
        return self.task

    def save(self, *args, **kwargs):
        if self.place_id and not self.path:
            self.path = self.place.path
        super().save(*args, **kwargs)

    @property
    def answered_in_time(self) -> bool:
        return self.filled_at is not None and self.filled_at <= self.deadline


class CallReport(JurisdictionModel):
    """A member reports for a call (报到), then checks in and out on site."""

    call = models.ForeignKey(
        WhistleCall, on_delete=models.CASCADE, related_name="reports", verbose_name=_("call")
    )
    member = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="call_reports", verbose_name=_("member")
    )
    reported_at = models.DateTimeField(pgettext_lazy("whistle call", "reported"), default=timezone.now)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    via_home_registration = models.BooleanField(_("via 双报到"), default=False)

    class Meta:
        ordering = ["call_id", "reported_at", "id"]
        verbose_name = _("call report")
        verbose_name_plural = _("call reports")
        constraints = [models.UniqueConstraint(fields=["call", "member"], name="call_report_once")]

    def __str__(self) -> str:
        return f"{self.member} → {self.call}"


# ------------------------------------------------------------------------------- 双报到


class HomeRegistration(JurisdictionModel):
    """A member whose organisation is elsewhere registers with the community where they live.

    Their own organisation sees that they registered (and when, where); not what they did there."""

    member = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="home_registrations", verbose_name=_("member")
    )
    own_organization = models.ForeignKey(
        PartyOrganization,
        on_delete=models.PROTECT,
        related_name="members_reported_elsewhere",
        verbose_name=_("own organisation"),
    )
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="home_registrations", verbose_name=_("home community")
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    registered_on = models.DateField(_("registered on"))
    ended_on = models.DateField(pgettext_lazy("party", "ended on"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-registered_on", "-id"]
        verbose_name = _("home registration (双报到)")
        verbose_name_plural = _("home registrations (双报到)")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=models.Q(ended_on__isnull=True),
                name="home_reg_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"

    def save(self, *args, **kwargs):
        if self.community_id:
            self.path = self.community.path
        super().save(*args, **kwargs)


# ------------------------------------------------------------------------- pioneer index (先锋指数)


class PioneerWeights(JurisdictionModel):
    """The weights of the pioneer index and the star thresholds for an area (data, not code).

    `weights`: factor → points per unit (e.g. {"posts_held": 10, "calls_answered": 5, ...});
    `stars`: ascending score thresholds for 1..5 stars (e.g. [10, 25, 45, 70, 100])."""

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=pgettext_lazy("party", "area")
    )
    weights = models.JSONField(_("weights"))
    stars = models.JSONField(_("star thresholds"))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["area_id", "-valid_from"]
        verbose_name = _("pioneer index weights")
        verbose_name_plural = _("pioneer index weights")


class PioneerSnapshot(JurisdictionModel):
    """A branch's quarterly star ratings, published once and frozen (never recomputed)."""

    branch = models.ForeignKey(
        PartyOrganization,
        on_delete=models.PROTECT,
        related_name="pioneer_snapshots",
        verbose_name=_("branch"),
    )
    quarter = models.CharField(_("quarter"), max_length=7)  # "2026Q3"
    period_start = models.DateField()
    period_end = models.DateField()  # exclusive
    weights = models.JSONField(_("weights used"))
    stars = models.JSONField(_("star thresholds used"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["branch_id", "-quarter"]
        verbose_name = _("pioneer star ratings")
        verbose_name_plural = _("pioneer star ratings")
        constraints = [models.UniqueConstraint(fields=["branch", "quarter"], name="pioneer_snapshot_once")]

    def __str__(self) -> str:
        return f"{self.branch} {self.quarter}"


class PioneerScore(models.Model):
    """One member's line in a frozen snapshot: the factor counts, the score and the stars."""

    snapshot = models.ForeignKey(PioneerSnapshot, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    member_label = models.CharField(max_length=60)  # the masked name, frozen with the snapshot
    factors = models.JSONField()
    score = models.PositiveIntegerField()
    stars = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["snapshot_id", "-stars", "member_label"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "member"], name="pioneer_score_once"),
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="pioneer_stars_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.member_label} {self.stars}★"


class CallEvent(models.Model):
    """History of a whistle call: issued, filled, closed or cancelled; who, when, a note."""

    call = models.ForeignKey(WhistleCall, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=12)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["call_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.call_id} {self.action}"
