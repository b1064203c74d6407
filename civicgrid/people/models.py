"""Residents (only the personal data a case needs), departments, and role assignments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area, Household
from civicgrid.core import pii
from civicgrid.core.models import JurisdictionModel


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    UNIT_STEWARD = "unit_steward", _("unit steward")
    BUILDING_LEADER = "building_leader", _("building leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    BRANCH_SECRETARY = "branch_secretary", _("branch secretary")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    STREET_DISPATCHER = "street_dispatcher", _("street dispatcher")
    DEPARTMENT_HANDLER = "department_handler", _("department handler")
    DISTRICT_SUPERVISOR = "district_supervisor", _("district supervisor")
    LEADER = "leader", _("leader")
    ADMINISTRATOR = "administrator", _("administrator")


class Gender(models.TextChoices):
    FEMALE = "F", _("female")
    MALE = "M", _("male")


class Department(JurisdictionModel):
    """A functional department (职能部门) and the areas it serves."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("belongs to"),
    )
    served_areas = models.ManyToManyField(
        Area, related_name="served_by", blank=True, verbose_name=_("serves")
    )
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Resident(JurisdictionModel):
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    # Path of the household's unit (scope filter); empty for residents without a household.
    path = models.CharField(_("path"), max_length=255, db_index=True, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    is_party_member = models.BooleanField(_("Party member"), default=False)
    relation = models.CharField(_("relation to head of household"), max_length=20, blank=True)

    class Meta:
        ordering = ["path", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        return pii.mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return pii.mask_id_number(self.id_number)

    def save(self, *args, **kwargs):
        if self.household_id:
            self.path = self.household.path
            self.jurisdiction = self.jurisdiction or self.household.jurisdiction
        super().save(*args, **kwargs)


class RoleAssignment(JurisdictionModel):
    """A user holds a role over a scope: an area node (any level) or a department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, db_index=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("area"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("department"),
    )
    # Building leaders and unit stewards: elected by residents, publicised, then appointed.
    elected_on = models.DateField(_("elected on"), null=True, blank=True)
    published_on = models.DateField(_("publicised on"), null=True, blank=True)
    appointed_on = models.DateField(_("appointed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["user_id", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False)
                | models.Q(department__isnull=False)
                | models.Q(role="administrator"),
                name="role_has_scope",
            )
        ]

    def __str__(self) -> str:
        scope = self.area or self.department or "*"
        return f"{self.user} · {self.get_role_display()} · {scope}"

    @property
    def scope_path(self) -> str | None:
        return self.area.path if self.area_id else None
