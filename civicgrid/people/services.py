"""Writes to people and roles go through here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Household, Level
from civicgrid.core import audit

from . import policy
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


ROLE_AUDIT_FIELDS = (
    "user_id",
    "role",
    "area_id",
    "department_id",
    "elected_on",
    "published_on",
    "appointed_on",
    "ended_on",
)
DATE_FIELDS = ("elected_on", "published_on", "appointed_on", "ended_on")


def _require_role_manager(by: Any, permission: str) -> None:
    """Role assignments made by a person (the admin) need an administrator or the model permission."""
    if by is not None and not (policy.is_admin(by) or by.has_perm(permission)):
        raise PermissionDenied(_("Only an administrator assigns roles."))


def check_dates(role: str, elected_on, published_on, appointed_on, ended_on) -> None:
    if role in ELECTED_ROLES and appointed_on and not (elected_on and published_on):
        raise ValidationError(
            _("A building leader or unit steward is appointed only after election and publication.")
        )
    started = appointed_on or published_on or elected_on
    if ended_on and started and ended_on < started:
        raise ValidationError(_("A role ends after it begins."))


def check_assignment(role: str, *, area: Area | None, department: Department | None, **dates: Any) -> None:
    """Raise a ValidationError when this assignment may not be made (nothing is written)."""
    expected = ROLE_LEVEL.get(role)
    if expected and (area is None or area.level != expected):
        raise ValidationError(_("This role is held over a %(level)s.") % {"level": Level(expected).label})
    if role == Role.DEPARTMENT_HANDLER and department is None:
        raise ValidationError(_("A department handler needs a department."))
    if role != Role.ADMINISTRATOR and role != Role.DEPARTMENT_HANDLER and area is None:
        raise ValidationError(_("This role needs an area."))
    check_dates(role, *(dates.get(f) for f in DATE_FIELDS))


def _forget_roles(user: Any) -> None:
    if hasattr(user, "_civicgrid_roles"):
        del user._civicgrid_roles


def assign_role(
    user,
    role: str,
    *,
    area: Area | None = None,
    department: Department | None = None,
    elected_on: date | None = None,
    published_on: date | None = None,
    appointed_on: date | None = None,
    by: Any = None,
) -> RoleAssignment:
    """Give `user` a role over an area or a department; audited (`by`: who assigns it)."""
    _require_role_manager(by, "people.add_roleassignment")
    check_assignment(
        role,
        area=area,
        department=department,
        elected_on=elected_on,
        published_on=published_on,
        appointed_on=appointed_on,
    )
    jurisdiction = (area or department).jurisdiction if (area or department) else ""
    with transaction.atomic():
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
        audit.record(
            actor=by,
            action="people.role.assign",
            subject=assignment,
            after=audit.snapshot(assignment, ROLE_AUDIT_FIELDS),
        )
    _forget_roles(user)
    return assignment


@transaction.atomic
def change_role_dates(assignment: RoleAssignment, *, by: Any, **dates: date | None) -> RoleAssignment:
    """Record an election, publication, appointment or end date of a role (ending it: `ended_on`).

    Who holds which role over what does not change here: end the assignment and assign anew.
    """
    _require_role_manager(by, "people.change_roleassignment")
    unknown = set(dates) - set(DATE_FIELDS)
    if unknown:
        raise ValueError(f"change_role_dates changes only dates, not {sorted(unknown)}")
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    before = audit.snapshot(assignment, ROLE_AUDIT_FIELDS)
    for field, value in dates.items():
        setattr(assignment, field, value)
    check_dates(assignment.role, *(getattr(assignment, f) for f in DATE_FIELDS))
    assignment.save(update_fields=list(dates) or None)
    audit.record(
        actor=by,
        action="people.role.change",
        subject=assignment,
        before=before,
        after=audit.snapshot(assignment, ROLE_AUDIT_FIELDS),
    )
    _forget_roles(assignment.user)
    return assignment


@transaction.atomic
def remove_role(assignment: RoleAssignment, *, by: Any) -> None:
    """Delete a role assignment made in error (a role that ended keeps its row: `ended_on`)."""
    _require_role_manager(by, "people.delete_roleassignment")
    before = audit.snapshot(assignment, ROLE_AUDIT_FIELDS)
    pk, user = assignment.pk, assignment.user
    assignment.delete()
    assignment.pk = pk
    audit.record(actor=by, action="people.role.remove", subject=assignment, before=before)
    _forget_roles(user)


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


def follow_area_paths(sender: Any = None, *, old_prefix: str, new_prefix: str, **kwargs: Any) -> None:
    """Receiver of areas' `area_paths_moved`: residents keep their household's path."""
    Resident.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
    )
