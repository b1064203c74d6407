"""Who must prove a second factor (a TOTP code or a recovery code) after their password.

Everyone who can see unmasked personal data or administer: the roles people.policy lets unmask
(grid worker, community staff, branch secretary, administrator), department handlers (they may see
the contact details of the cases they lead, cases.policy.can_view_contact), and every account that
can open the admin site (staff or superuser).
"""

from __future__ import annotations

from civicgrid.people import policy as people_policy
from civicgrid.people.models import Role

TWO_FACTOR_ROLES = frozenset(people_policy.UNMASK_ROLES | {Role.DEPARTMENT_HANDLER, Role.ADMINISTRATOR})


def two_factor_required(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return people_policy.has_role(user, *TWO_FACTOR_ROLES)
