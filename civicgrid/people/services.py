"""Writes to people and roles go through here."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Household, Level

from .models import Department, Resident, Role, RoleAssignment

# Roles whose holders are elected by residents, publicised, then appointed.
ELECTED_ROLES = {Role.BUILDING_LEADER, Role.UNIT_STEWARD}
# The area level each area role is expected at (None: any level).
ROLE_LEVEL = {
    Role.UNIT_STEWARD: Level.UNIT,
    Role.BUILDING_LEADER: Level.BUILDING,
    Role.GRID_WORKER: Level.GRID,
}


def create_user(username: str, password: str | None = None, **fields):
    User = get_user_model()
    user = User(username=username, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def assign_role(
    user,
    role: str,
    *,
    area: Area | None = None,
    department: Department | None = None,
    elected_on: date | None = None,
    published_on: date | None = None,
    appointed_on: date | None = None,
) -> RoleAssignment:
    expected = ROLE_LEVEL.get(role)
    if expected and (area is None or area.level != expected):
        raise ValidationError(_("This role is held over a %(level)s.") % {"level": Level(expected).label})
    if role == Role.DEPARTMENT_HANDLER and department is None:
        raise ValidationError(_("A department handler needs a department."))
    if role != Role.ADMINISTRATOR and role != Role.DEPARTMENT_HANDLER and area is None:
        raise ValidationError(_("This role needs an area."))
    if role in ELECTED_ROLES and appointed_on and not (elected_on and published_on):
        raise ValidationError(
            _("A building leader or unit steward is appointed only after election and publication.")
        )
    jurisdiction = (area or department).jurisdiction if (area or department) else ""
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        area=area,
        department=department,
        elected_on=elected_on,
        published_on=published_on,
        appointed_on=appointed_on,
        jurisdiction=jurisdiction,
    )
    if hasattr(user, "_civicgrid_roles"):
        del user._civicgrid_roles
    return assignment


def create_department(
    *, code: str, name: str, area: Area, serves: list[Area] | None = None, email: str = ""
) -> Department:
    dept = Department.objects.create(
        code=code, name=name, area=area, email=email, jurisdiction=area.jurisdiction
    )
    if serves:
        dept.served_areas.set(serves)
    return dept


def create_resident(*, household: Household | None, name: str, **fields) -> Resident:
    resident = Resident(household=household, name=name, **fields)
    if household is None and not resident.jurisdiction:
        raise ValueError("a resident without a household needs a jurisdiction")
    resident.save()
    return resident


def bulk_create_users(users: list[dict], password: str | None = None) -> list:
    """Create many accounts at once (the demo's grid workers). They share one password, hashed
    once: hashing is deliberately slow, and thousands of hashes would take minutes."""
    User = get_user_model()
    hashed = make_password(password)
    objs = [User(password=hashed, **fields) for fields in users]
    return User.objects.bulk_create(objs, batch_size=2000)


def bulk_assign_roles(assignments: list[tuple]) -> list[RoleAssignment]:
    """Assign many (user, role, area) triples at once, with the same level checks as assign_role.

    Only for roles held over an area without election dates (grid workers, community staff …).
    """
    rows = []
    for user, role, area in assignments:
        if area is None or role in ELECTED_ROLES:
            raise ValueError(f"bulk_assign_roles takes roles held over an area without election: {role}")
        expected = ROLE_LEVEL.get(role)
        if expected and area.level != expected:
            raise ValidationError(_("This role is held over a %(level)s.") % {"level": Level(expected).label})
        rows.append(RoleAssignment(user=user, role=role, area=area, jurisdiction=area.jurisdiction))
    return RoleAssignment.objects.bulk_create(rows, batch_size=2000)
