"""Party organisations alongside the administrative tree, and membership."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        verbose_name=_("parent"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="party_organizations", verbose_name=_("area")
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
