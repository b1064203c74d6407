"""Party organisations: the branch formation rule (三有) and setting up compound branches.

The rule: a compound (小区) with property management, a fence and at least three resident Party
members ("三有") gets its own branch; compounds lacking any of them ("三无") are joined with their
neighbours into one joint branch. A branch is set up by decision of the community Party committee,
its secretary is appointed or elected, and the result is filed with the street.

Who counts as a resident Party member of a compound: a resident of a household in a unit of one of
the compound's buildings who is marked as a Party member or holds any Party membership.

Who is a neighbour. Two compounds of the same community are neighbours when some building of one
lies within `NEIGHBOUR_DISTANCE_M` of some building of the other (building points), or when they
have buildings in the same grid (which also works where building points are missing). How
`propose_branches` groups a community's compounds that have no branch yet:

1. each 三有 compound: its own branch;
2. 三无 compounds: neighbours are joined, closest pairs first, as long as the joint branch stays
   within `MAX_MEMBERS` (a branch has "generally no more than 50" members, by the Party branch work
   regulations); without that limit each connected group of 三无 neighbours becomes one branch;
3. a group that still cannot stand alone (a single 三无 compound, or fewer than three Party members
   altogether: the Party constitution's minimum for a branch) joins the group, or the existing
   branch, of the nearest compound (closest buildings; same grid counts as near), preferring one
   that stays within `MAX_MEMBERS`;
4. a group with no located compound near it at all is left as proposed, with a note that the
   community committee decides.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Area, Compound, Level
from civicgrid.core import audit
from civicgrid.core.geo import EARTH_RADIUS_M
from civicgrid.people import policy as people_policy
from civicgrid.people.models import Resident, Role
from civicgrid.people.services import assign_role

from . import policy
from .models import OrgLevel, PartyOrganization

# The Party constitution: a primary organisation needs at least three full members.
MIN_MEMBERS = 3
# A branch generally has no more than 50 members (Party branch work regulations).
MAX_MEMBERS = 50
# Buildings this close (metres) make two compounds neighbours.
NEIGHBOUR_DISTANCE_M = 300.0

OWN = "own"  # one 三有 compound, a new branch of its own
JOINT = "joint"  # several compounds, a new joint branch
JOIN = "join"  # compounds joining a branch that already exists


# ------------------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class CompoundAssessment:
    """The three conditions of the 三有 rule for one compound."""

    compound: Compound
    has_property_management: bool
    has_fence: bool
    party_members: int

    @property
    def enough_members(self) -> bool:
        return self.party_members >= MIN_MEMBERS

    @property
    def qualifies(self) -> bool:
        """三有: all three conditions hold, so the compound gets its own branch."""
        return self.has_property_management and self.has_fence and self.enough_members

    @property
    def conditions_met(self) -> int:
        return sum((self.has_property_management, self.has_fence, self.enough_members))

    @property
    def missing(self) -> list[str]:
        """The conditions that do not hold, as words for people."""
        gaps = []
        if not self.has_property_management:
            gaps.append(_("no property management"))
        if not self.has_fence:
            gaps.append(_("not fenced"))
        if not self.enough_members:
            gaps.append(_("fewer than %(min)d resident Party members") % {"min": MIN_MEMBERS})
        return gaps

    @property
    def missing_text(self) -> str:
        return _names_separator().join(self.missing)


def _party_members_q() -> Q:
    return Q(is_party_member=True) | Q(party_memberships__isnull=False)


def party_member_count(compound: Compound) -> int:
    """Resident Party members living in the compound's buildings."""
    return (
        Resident.objects.filter(household__unit__parent__compound=compound)
        .filter(_party_members_q())
        .values("pk")
        .distinct()
        .count()
    )


def assess_compound(compound: Compound) -> CompoundAssessment:
    return CompoundAssessment(
        compound=compound,
        has_property_management=compound.has_property_management,
        has_fence=compound.has_fence,
        party_members=party_member_count(compound),
    )


def assess_compounds(community: Area) -> list[CompoundAssessment]:
    """Every compound of a community, assessed with one counting query."""
    compounds = list(Compound.objects.filter(community=community).order_by("name", "pk"))
    counts = dict(
        Resident.objects.filter(household__unit__parent__compound__community=community)
        .filter(_party_members_q())
        .values_list("household__unit__parent__compound")
        .annotate(n=Count("pk", distinct=True))
    )
    return [
        CompoundAssessment(c, c.has_property_management, c.has_fence, counts.get(c.pk, 0)) for c in compounds
    ]


# -------------------------------------------------------------------------------- the proposals


@dataclass
class BranchProposal:
    """A branch the community committee may set up (or compounds it may add to a branch)."""

    kind: str  # OWN, JOINT or JOIN
    compounds: list[CompoundAssessment]
    branch: PartyOrganization | None = None  # for JOIN: the branch they join
    notes: list[str] = field(default_factory=list)

    @property
    def party_members(self) -> int:
        own = sum(a.party_members for a in self.compounds)
        return own + (branch_member_count(self.branch) if self.branch else 0)

    @property
    def compound_names(self) -> str:
        return _names_separator().join(a.compound.name for a in self.compounds)

    @property
    def suggested_name(self) -> str:
        if self.branch:
            return self.branch.name
        return branch_name([a.compound for a in self.compounds])

    @property
    def kind_label(self) -> str:
        return {OWN: _("own branch"), JOINT: _("joint branch"), JOIN: _("join an existing branch")}[self.kind]


def _names_separator() -> str:
    return pgettext("between names in a list", ", ")


def branch_name(compounds: list[Compound]) -> str:
    names = _names_separator().join(c.name for c in compounds)
    if len(compounds) > 1:
        return _("%(names)s joint Party branch") % {"names": names}
    return _("%(names)s Party branch") % {"names": names}


def branch_member_count(branch: PartyOrganization) -> int:
    """Resident Party members living in the compounds a branch already covers."""
    return (
        Resident.objects.filter(household__unit__parent__compound__in=branch.compounds.all())
        .filter(_party_members_q())
        .values("pk")
        .distinct()
        .count()
    )


@dataclass
class _Group:
    members: list[CompoundAssessment]
    notes: list[str] = field(default_factory=list)
    branch: PartyOrganization | None = None  # an existing branch (only ever a merge target)
    branch_compound_ids: list[int] = field(default_factory=list)
    existing_members: int = 0
    stuck: bool = False  # cannot stand alone and nothing is near enough to join

    def compound_ids(self) -> list[int]:
        return [a.compound.pk for a in self.members] + self.branch_compound_ids

    def party_total(self) -> int:
        return self.existing_members + sum(a.party_members for a in self.members)

    def can_stand_alone(self) -> bool:
        if self.branch is not None:
            return True
        if len(self.members) == 1:
            return self.members[0].qualifies
        return self.party_total() >= MIN_MEMBERS

    def label(self) -> str:
        return self.branch.name if self.branch else self.members[0].compound.name


class _Geography:
    """Building points and grids of each compound, for neighbour tests and distances."""

    def __init__(self, compound_ids: list[int]) -> None:
        points: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.grids: dict[int, set[int]] = defaultdict(set)
        buildings = Area.objects.filter(level=Level.BUILDING, compound_id__in=compound_ids).values_list(
            "compound_id", "parent_id", "lng", "lat"
        )
        for compound_id, grid_id, lng, lat in buildings:
            self.grids[compound_id].add(grid_id)
            if lng is not None and lat is not None:
                points[compound_id].append((lng, lat))
        # Local metres (equirectangular; exact enough within a community) for fast distances.
        self.metres: dict[int, np.ndarray] = {}
        for compound_id, pts in points.items():
            lng, lat = np.asarray(pts, dtype=float).T
            self.metres[compound_id] = np.column_stack(
                [np.radians(lng) * np.cos(np.radians(lat)) * EARTH_RADIUS_M, np.radians(lat) * EARTH_RADIUS_M]
            )
        self._cache: dict[tuple[int, int], float] = {}

    def distance(self, a: int, b: int) -> float:
        """Metres between the closest buildings; 0 when they share a grid; inf when unknown."""
        key = (min(a, b), max(a, b))
        if key not in self._cache:
            if self.grids[a] & self.grids[b]:
                value = 0.0
            elif a in self.metres and b in self.metres:
                gaps = self.metres[a][:, None, :] - self.metres[b][None, :, :]
                value = float(np.sqrt((gaps**2).sum(axis=2)).min())
            else:
                value = float("inf")
            self._cache[key] = value
        return self._cache[key]

    def neighbours(self, a: int, b: int) -> bool:
        return self.distance(a, b) <= NEIGHBOUR_DISTANCE_M


def propose_branches(community: Area) -> list[BranchProposal]:
    """How the community's compounds without a branch should be organised (see the module doc)."""
    assessments = assess_compounds(community)
    existing = list(
        PartyOrganization.objects.filter(level=OrgLevel.BRANCH, compounds__community=community)
        .distinct()
        .prefetch_related("compounds")
        .order_by("name", "pk")
    )
    organised = {c.pk for b in existing for c in b.compounds.all()}
    todo = [a for a in assessments if a.compound.pk not in organised]
    geo = _Geography([a.compound.pk for a in assessments])

    existing_groups = [
        _Group(
            [],
            branch=b,
            branch_compound_ids=[c.pk for c in b.compounds.all()],
            existing_members=branch_member_count(b),
        )
        for b in existing
    ]
    return _plan(todo, existing_groups, geo)


def _by_name(a: CompoundAssessment):
    return (a.compound.name, a.compound.pk)


def _neighbour_groups(assessments: list[CompoundAssessment], geo: _Geography) -> list[_Group]:
    """Join neighbours, closest pairs first, while a group stays within MAX_MEMBERS (union-find)."""
    parent = list(range(len(assessments)))
    members = [a.party_members for a in assessments]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = [
        (geo.distance(assessments[i].compound.pk, assessments[j].compound.pk), i, j)
        for i, j in itertools.combinations(range(len(assessments)), 2)
    ]
    for gap, i, j in sorted(pairs):
        if gap > NEIGHBOUR_DISTANCE_M:
            break
        ri, rj = root(i), root(j)
        if ri != rj and members[ri] + members[rj] <= MAX_MEMBERS:
            parent[ri] = rj
            members[rj] += members[ri]
    groups: dict[int, list[CompoundAssessment]] = defaultdict(list)
    for i, a in enumerate(assessments):
        groups[root(i)].append(a)
    return [_Group(sorted(group, key=_by_name)) for group in groups.values()]


# ------------------------------------------------------------------------------------ the writes


def create_organization(
    *,
    level: str,
    name: str,
    area: Area,
    parent: PartyOrganization | None = None,
    set_up_on: date | None = None,
    by=None,
) -> PartyOrganization:
    """A street working committee or community Party committee (branches: `set_up_branch`)."""
    expected = {OrgLevel.STREET_COMMITTEE: Level.STREET, OrgLevel.COMMUNITY_COMMITTEE: Level.COMMUNITY}
    if level not in expected:
        raise ValidationError(_("Branches are set up with the branch set-up service."))
    if area.level != expected[level]:
        raise ValidationError(
            _("This organisation belongs to a %(level)s.") % {"level": Level(expected[level]).label}
        )
    _require_org_manager(by)
    with transaction.atomic():
        org = PartyOrganization.objects.create(
            level=level,
            name=name,
            area=area,
            parent=parent,
            set_up_on=set_up_on,
            jurisdiction=area.jurisdiction,
        )
        _audit(by, "party.organization.create", org, None)
    return org


def community_committee(community: Area) -> PartyOrganization:
    committee = (
        PartyOrganization.objects.filter(level=OrgLevel.COMMUNITY_COMMITTEE, area=community)
        .order_by("pk")
        .first()
    )
    if committee is None:
        raise ValidationError(
            _("%(community)s has no community Party committee yet.") % {"community": community.name}
        )
    return committee


def _check_compounds(community: Area, compounds: list[Compound]) -> None:
    if community.level != Level.COMMUNITY:
        raise ValidationError(_("Branches are set up within a community."))
    if not compounds:
        raise ValidationError(_("Choose at least one compound."))
    strangers = [c.name for c in compounds if c.community_id != community.pk]
    if strangers:
        raise ValidationError(
            _("Not compounds of %(community)s: %(names)s.")
            % {"community": community.name, "names": _names_separator().join(strangers)}
        )
    taken = sorted(
        Compound.objects.filter(pk__in=[c.pk for c in compounds], branches__level=OrgLevel.BRANCH)
        .values_list("name", flat=True)
        .distinct()
    )
    if taken:
        raise ValidationError(
            _("These compounds already have a branch: %(names)s.") % {"names": _names_separator().join(taken)}
        )


def _appoint_secretary(secretary, community: Area, appointed_on: date) -> None:
    """The secretary holds the branch secretary role over the community (unless already)."""
    held = secretary.roles.filter(role=Role.BRANCH_SECRETARY, area=community, ended_on__isnull=True).exists()
    if not held:
        assign_role(secretary, Role.BRANCH_SECRETARY, area=community, appointed_on=appointed_on)


@transaction.atomic
def set_up_branch(
    community: Area,
    compounds: list[Compound],
    secretary,
    decided_on: date,
    by,
    *,
    name: str = "",
    filed_with_street_on: date | None = None,
) -> PartyOrganization:
    """Record the community committee's decision setting up a compound branch.

    One compound makes an own branch, several a joint one; `secretary` is the appointed or elected
    secretary (a user), `decided_on` the date of the decision, and `filed_with_street_on` the date
    the result was filed with the street, when that is already done (else `file_with_street`).
    """
    if not policy.can_set_up_branches(by, community):
        raise PermissionDenied(_("Only the community can set up its Party branches."))
    compounds = list(compounds)
    _check_compounds(community, compounds)
    if secretary is None:
        raise ValidationError(_("A branch needs a secretary."))
    if filed_with_street_on and filed_with_street_on < decided_on:
        raise ValidationError(_("A branch is filed with the street after it is set up."))
    committee = community_committee(community)
    branch = PartyOrganization.objects.create(
        level=OrgLevel.BRANCH,
        name=name or branch_name(sorted(compounds, key=lambda c: (c.name, c.pk))),
        parent=committee,
        area=community,
        is_joint=len(compounds) > 1,
        secretary=secretary,
        set_up_on=decided_on,
        filed_with_street_on=filed_with_street_on,
        jurisdiction=community.jurisdiction,
    )
    branch.compounds.set(compounds)
    _appoint_secretary(secretary, community, decided_on)
    _audit(by, "party.branch.set_up", branch, None)
    return branch


@transaction.atomic
def join_branch(branch: PartyOrganization, compounds: list[Compound], by) -> PartyOrganization:
    """Add compounds to an existing branch of their community (it becomes a joint branch)."""
    if branch.level != OrgLevel.BRANCH:
        raise ValidationError(_("Compounds join a compound branch."))
    community = branch.area
    if not policy.can_set_up_branches(by, community):
        raise PermissionDenied(_("Only the community can set up its Party branches."))
    compounds = list(compounds)
    _check_compounds(community, compounds)
    before = org_snapshot(branch)
    branch.compounds.add(*compounds)
    branch.is_joint = branch.compounds.count() > 1
    branch.save(update_fields=["is_joint"])
    _audit(by, "party.branch.join", branch, before)
    return branch


def file_with_street(branch: PartyOrganization, filed_on: date, by) -> PartyOrganization:
    """Record that the branch's set-up was filed with the street (备案)."""
    if not policy.can_set_up_branches(by, branch.area):
        raise PermissionDenied(_("Only the community can set up its Party branches."))
    if branch.set_up_on and filed_on < branch.set_up_on:
        raise ValidationError(_("A branch is filed with the street after it is set up."))
    before = org_snapshot(branch)
    branch.filed_with_street_on = filed_on
    branch.save(update_fields=["filed_with_street_on"])
    _audit(by, "party.branch.file", branch, before)
    return branch


# ------------------------------------------------------------------ the rule over plain data


def _plan(
    todo: list[CompoundAssessment], existing_groups: list[_Group], geo: _Geography
) -> list[BranchProposal]:
    """Steps 1-4 of the module doc: group the compounds without a branch (see `propose_branches`)."""
    groups: list[_Group] = []
    for a in todo:
        if a.qualifies:
            note = _(
                "%(name)s meets all three conditions: property management, a fence, %(n)d Party members."
            )
            groups.append(_Group([a], notes=[note % {"name": a.compound.name, "n": a.party_members}]))
    for group in _neighbour_groups([a for a in todo if not a.qualifies], geo):
        if len(group.members) > 1:
            group.notes.append(
                _("Neighbouring compounds that do not meet all three conditions are joined into one branch.")
            )
        groups.append(group)
    names = {a.compound.pk: a.compound.name for a in todo}
    for h in existing_groups:
        names.update((c.pk, c.name) for c in h.branch.compounds.all())

    def closest(g: _Group, h: _Group) -> tuple[float, str]:
        """Distance between the nearest compounds of two groups, and that compound of h."""
        return min(
            ((geo.distance(a, b), names[b]) for a in g.compound_ids() for b in h.compound_ids()),
            default=(float("inf"), ""),
        )

    # Groups that cannot stand alone join the nearest group or existing branch, one at a time;
    # each merge leaves one group fewer, so this ends.
    while weak := [g for g in groups if not g.stuck and not g.can_stand_alone()]:
        g = weak[0]
        others = [h for h in groups + existing_groups if h is not g]
        nearest = min(
            others,
            key=lambda h, g=g: (g.party_total() + h.party_total() > MAX_MEMBERS, closest(g, h), h.label()),
            default=None,
        )
        gap, nearest_name = closest(g, nearest) if nearest else (float("inf"), "")
        if gap == float("inf"):
            g.stuck = True
            g.notes.append(
                _("No neighbouring compound could be found; the community Party committee decides.")
            )
            continue
        groups.remove(g)
        for a in g.members:
            reason = a.missing_text or _("too few Party members together")
            nearest.notes.append(
                _("%(name)s (%(reason)s) joins the branch of the nearest compound, %(nearest)s.")
                % {"name": a.compound.name, "reason": reason, "nearest": nearest_name}
            )
        nearest.members.extend(g.members)
        nearest.notes.extend(n for n in g.notes if n not in nearest.notes)

    proposals = [
        BranchProposal(OWN if len(g.members) == 1 else JOINT, sorted(g.members, key=_by_name), notes=g.notes)
        for g in groups
    ]
    proposals += [
        BranchProposal(JOIN, sorted(g.members, key=_by_name), branch=g.branch, notes=g.notes)
        for g in existing_groups
        if g.members
    ]
    proposals.sort(key=lambda p: _by_name(p.compounds[0]))
    return proposals


@dataclass(frozen=True)
class CompoundFacts:
    """What the 三有 rule needs to know of a compound, for callers that hold it in memory (bulk loads)."""

    pk: int
    name: str
    has_property_management: bool
    has_fence: bool
    party_members: int
    grid_ids: frozenset[int] = frozenset()
    points: tuple[tuple[float, float], ...] = ()  # (lng, lat) of its buildings, WGS84


class _KnownGeography(_Geography):
    """The same neighbour tests and distances as `_Geography`, from facts instead of queries."""

    def __init__(self, facts: list[CompoundFacts]) -> None:  # not super().__init__: that queries
        self.grids = defaultdict(set, {f.pk: set(f.grid_ids) for f in facts})
        self.metres = {}
        for f in facts:
            if f.points:
                lng, lat = np.asarray(f.points, dtype=float).T
                self.metres[f.pk] = np.column_stack(
                    [
                        np.radians(lng) * np.cos(np.radians(lat)) * EARTH_RADIUS_M,
                        np.radians(lat) * EARTH_RADIUS_M,
                    ]
                )
        self._cache = {}


def plan_branches_in_bulk(facts: list[CompoundFacts]) -> list[list[int]]:
    """The branches `propose_branches` would propose for a community none of whose compounds has a
    branch yet, from facts held in memory (no query): a list of groups of compound pks, each group
    one branch (one compound: an own branch; several: a joint one). The demo city uses this."""
    assessments = [
        CompoundAssessment(
            Compound(pk=f.pk, name=f.name), f.has_property_management, f.has_fence, f.party_members
        )
        for f in facts
    ]
    proposals = _plan(assessments, [], _KnownGeography(facts))
    return [[a.compound.pk for a in p.compounds] for p in proposals]


# ------------------------------------------------------- administration (the admin site) and audit

ORG_AUDIT_FIELDS = (
    "level",
    "name",
    "parent_id",
    "area_id",
    "is_joint",
    "secretary_id",
    "set_up_on",
    "filed_with_street_on",
)
EDITABLE_ORG_FIELDS = ("name", "secretary", "set_up_on", "filed_with_street_on")


def org_snapshot(org: PartyOrganization) -> dict:
    data = audit.snapshot(org, ORG_AUDIT_FIELDS)
    if org.pk is not None:
        data["compounds"] = sorted(org.compounds.values_list("pk", flat=True))
    return data


def _audit(by, action: str, org: PartyOrganization, before: dict | None) -> None:
    audit.record(actor=by, action=action, subject=org, before=before, after=org_snapshot(org))


def _require_org_manager(by) -> None:
    """Organisations recorded by a person (the admin) need an administrator."""
    if by is not None and not people_policy.is_admin(by):
        raise PermissionDenied(_("Only an administrator records Party organisations here."))


def check_organization_dates(set_up_on: date | None, filed_with_street_on: date | None) -> None:
    if set_up_on and filed_with_street_on and filed_with_street_on < set_up_on:
        raise ValidationError(_("A branch is filed with the street after it is set up."))


@transaction.atomic
def update_organization(org: PartyOrganization, *, by, **changes) -> PartyOrganization:
    """Rename an organisation, record its set-up or filing date, or give it a (new) secretary.

    Its level, area, parent and compounds change only through the set-up services. Audited.
    """
    unknown = set(changes) - set(EDITABLE_ORG_FIELDS)
    if unknown:
        raise ValueError(f"update_organization does not change {sorted(unknown)}")
    org = PartyOrganization.objects.select_for_update().get(pk=org.pk)
    if org.level == OrgLevel.BRANCH:
        if not policy.can_set_up_branches(by, org.area):
            raise PermissionDenied(_("Only the community can set up its Party branches."))
    else:
        _require_org_manager(by)
    before = org_snapshot(org)
    for field_name, value in changes.items():
        setattr(org, field_name, value)
    check_organization_dates(org.set_up_on, org.filed_with_street_on)
    org.save(update_fields=list(changes) or None)
    if "secretary" in changes and org.secretary is not None and org.level == OrgLevel.BRANCH:
        _appoint_secretary(org.secretary, org.area, org.set_up_on or timezone.localdate())
    _audit(by, "party.organization.change", org, before)
    return org


@transaction.atomic
def set_up_building_group(
    branch: PartyOrganization, building: Area, *, name: str, by, set_up_on: date | None = None
) -> PartyOrganization:
    """A building Party group (党小组) under a compound branch, for one of its buildings. Audited."""
    if branch.level != OrgLevel.BRANCH:
        raise ValidationError(_("A building Party group belongs to a compound branch."))
    if building.level != Level.BUILDING or building.compound_id not in set(
        branch.compounds.values_list("pk", flat=True)
    ):
        raise ValidationError(_("Choose a building of one of the branch's compounds."))
    if not policy.can_set_up_branches(by, branch.area):
        raise PermissionDenied(_("Only the community can set up its Party branches."))
    group = PartyOrganization.objects.create(
        level=OrgLevel.BUILDING_GROUP,
        name=name,
        parent=branch,
        area=building,
        set_up_on=set_up_on,
        jurisdiction=building.jurisdiction,
    )
    _audit(by, "party.group.set_up", group, None)
    return group


@transaction.atomic
def delete_organization(org: PartyOrganization, *, by) -> None:
    """Delete an organisation recorded in error (one without members or sub-organisations)."""
    _require_org_manager(by)
    before = org_snapshot(org)
    pk = org.pk
    org.delete()
    org.pk = pk
    audit.record(actor=by, action="party.organization.delete", subject=org, before=before)


def check_compounds(community: Area, compounds: list[Compound]) -> None:
    """Raise a ValidationError when these compounds may not form a new branch of `community`."""
    _check_compounds(community, compounds)
