"""The administrative tree: city → district → street → community → grid → building → unit,
then households. One `Area` table holds every node, so scope checks are one prefix test on `path`.

Codes follow the national unit-grid pattern: 6-digit district admin code + 3 street + 3 community
+ 3 grid serial (15 digits for a grid); buildings and units extend the grid code.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import JurisdictionModel


class Level(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street / town")
    COMMUNITY = "community", _("community / village")
    GRID = "grid", _("grid")
    BUILDING = "building", _("building")
    UNIT = "unit", _("unit")


LEVEL_ORDER = [choice for choice in Level.values]
CHILD_LEVEL = dict(zip(LEVEL_ORDER, LEVEL_ORDER[1:], strict=False))


class GridKind(models.TextChoices):
    RESIDENTIAL = "N", _("residential (N)")
    COMMERCIAL = "X", _("commercial (X)")


class AreaQuerySet(models.QuerySet):
    def within(self, area: "Area"):
        """This area and everything below it."""
        return self.filter(path__startswith=area.path)

    def grids(self):
        return self.filter(level=Level.GRID)


class Area(JurisdictionModel):
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Materialised path of codes ("330106/330106001/…/"): `path__startswith` selects a subtree.
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("grid kind"), max_length=1, choices=GridKind.choices, blank=True)
    # GeoJSON geometry (WGS84): a Polygon/MultiPolygon for city..grid, none for buildings/units.
    shape = models.JSONField(_("shape (GeoJSON)"), null=True, blank=True)
    # A point (WGS84) for a building; the label point for other areas.
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    compound = models.ForeignKey(
        "Compound",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="buildings",
        verbose_name=_("compound"),
    )
    households_count = models.PositiveIntegerField(_("households"), default=0)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + self.code + "/"
        if not self.jurisdiction:
            self.jurisdiction = jurisdiction_for(self)
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]

    def ancestors(self):
        """Ancestors from the top down (excluding self)."""
        codes = self.ancestor_codes()[:-1]
        by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def is_within(self, other: "Area") -> bool:
        return self.path.startswith(other.path)

    def grid(self):
        """The grid this node lies in (itself for a grid), or None above grid level."""
        if self.level == Level.GRID:
            return self
        if self.level in (Level.BUILDING, Level.UNIT):
            return next((a for a in self.ancestors() if a.level == Level.GRID), None)
        return None


def jurisdiction_for(area: Area) -> str:
    """The district code above (or at) this node; a city is its own jurisdiction."""
    node = area
    while node is not None:
        if node.level in (Level.DISTRICT, Level.CITY):
            return node.code[:12]
        node = node.parent
    return area.code[:6]


class Compound(JurisdictionModel):
    """A residential compound (小区); the 三有 rule decides whether it gets its own Party branch."""

    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="compounds",
        verbose_name=_("community"),
        limit_choices_to={"level": Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=100)
    has_property_management = models.BooleanField(_("has property management"), default=False)
    has_fence = models.BooleanField(_("is fenced"), default=False)

    class Meta:
        ordering = ["community__path", "name"]
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name


class Household(JurisdictionModel):
    unit = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("unit"),
        limit_choices_to={"level": Level.UNIT},
    )
    # Denormalised for fast counts and scope filters; kept in step by the services.
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="grid_households",
        verbose_name=_("grid"),
        limit_choices_to={"level": Level.GRID},
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    number = models.CharField(_("room number"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["path", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="household_unique_number")]

    def __str__(self) -> str:
        return self.address or self.number

    def save(self, *args, **kwargs):
        self.path = self.unit.path
        if not self.jurisdiction:
            self.jurisdiction = self.unit.jurisdiction
        super().save(*args, **kwargs)
