"""The synthetic demo city, generated (never hand-written) and deterministic for a seed.

city 示范市 (330100) → districts → streets → communities → grids (N residential, a few X
commercial; about 300 households each) → buildings (points inside their grid) → units →
households → residents (synthetic names, phones and ID numbers; 5–8 % Party members).
Alongside: compounds (小区) with and without property management and a fence, so the 三有 rule
has both outcomes; Party organisations (street working committee → community committees →
compound branches, own or joint → building groups) with the members' memberships; functional
departments at street and district level; the demo accounts (accounts.py).

Shapes come from one jittered lattice of roads (geometry.py): every grid is a cell, and every
area above is a block of cells, so children tile their parent exactly.

Rows go in through core.bulk.BulkLoader: COPY on PostgreSQL, bulk_create elsewhere. At city
scale (10,000 grids, 3 million households) only the first two members of each household (the
head and, where there is one, the spouse) are generated, to keep the database near 6 million
residents; the smaller scales generate whole households.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Area, Compound, GridKind, Household, Level
from civicgrid.areas.services import label_point
from civicgrid.core.bulk import BulkLoader
from civicgrid.core.models import AccessLog, AuditEntry
from civicgrid.party.models import OrgLevel, PartyMembership, PartyOrganization
from civicgrid.party.services import CompoundFacts, plan_branches_in_bulk
from civicgrid.people.models import Department, Resident, Role, RoleAssignment
from civicgrid.people.services import assign_role, bulk_assign_roles, bulk_create_users

from . import geometry
from .accounts import ACCOUNTS, DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, demo_email, grid_worker_username
from .names import (
    COMPOUND_SUFFIXES_NEW,
    COMPOUND_SUFFIXES_OLD,
    PLAZA_SUFFIXES,
    PersonMaker,
    cn_number,
)
from .registry import DemoContext


@dataclass(frozen=True)
class Scale:
    name: str
    cols: int  # the lattice of grids, west to east …
    rows: int  # … and south to north
    districts: int
    streets: int  # in all
    communities: tuple[int, int]  # per street, at least … at most
    x_share: float  # share of grids that are commercial (X)
    residents_cap: int | None  # most residents generated per household (None: everyone)
    batch_size: int = 5000


SCALES = {
    # For tests: one street, two communities, six grids (one of them X), ~1,800 households.
    "tiny": Scale("tiny", 3, 2, 1, 1, (2, 2), 0.17, None),
    # One street: 8 communities, 40 grids, ~12,000 households.
    "small": Scale("small", 8, 5, 1, 1, (8, 8), 0.1, None),
    # One district: 5 streets, 300 grids, ~90,000 households.
    "medium": Scale("medium", 20, 15, 1, 5, (7, 9), 0.1, None, batch_size=10_000),
    # A city: 12 districts, 190 streets, 10,000 grids, ~3 million households.
    "city": Scale("city", 100, 100, 12, 190, (6, 8), 0.08, 2, batch_size=20_000),
}
DEFAULT_SCALE = "small"
DEFAULT_SEED = 2024

CITY_CODE, CITY_NAME = "330100", "示范市"
CENTRE = (120.13, 30.27)  # lng, lat: near Hangzhou
DISTRICT_NAMES = "清波 望江 云溪 梅林 桂山 凤起 龙泉 湖墅 翠苑 金沙 白马 玉皇".split()
STREET_DEPARTMENTS = (
    ("CG", "城管执法中队"),
    ("SJ", "市场监管所"),
    ("ZJ", "住建物业办"),
    ("SW", "水务站"),
    ("HW", "环卫所"),
    ("PCS", "派出所"),
    ("XF", "消防救援站"),
    ("LD", "劳动保障所"),
    ("MZ", "民政社会救助站"),
    ("WS", "社区卫生服务中心"),
    ("JJ", "交警中队"),
    ("YJ", "应急管理站"),
    ("SF", "司法所"),
)
DISTRICT_DEPARTMENTS = (
    ("CGJ", "城管局"),
    ("SJJ", "市场监管局"),
    ("ZJJ", "住建局"),
    ("WJJ", "卫健局"),
    ("YJJ", "应急管理局"),
    ("MZJ", "民政局"),
)
HANDLER_DEPARTMENT = "CG"  # the demo handler works in the street's 城管执法中队

AREA_COLUMNS = [
    "id", "level", "parent_id", "code", "name", "path", "kind", "shape", "lng", "lat", "floors",
    "compound_id", "households_count", "jurisdiction",
]  # fmt: skip
COMPOUND_COLUMNS = ["id", "community_id", "name", "has_property_management", "has_fence", "jurisdiction"]
HOUSEHOLD_COLUMNS = ["id", "unit_id", "grid_id", "path", "number", "address", "jurisdiction"]
RESIDENT_COLUMNS = [
    "id", "household_id", "path", "user_id", "name", "gender", "birth_year", "phone", "id_number",
    "is_party_member", "relation", "jurisdiction",
]  # fmt: skip
DEPARTMENT_COLUMNS = ["id", "code", "name", "area_id", "email", "active", "jurisdiction"]
ORG_COLUMNS = [
    "id", "level", "name", "parent_id", "area_id", "is_joint", "secretary_id", "set_up_on",
    "filed_with_street_on", "jurisdiction",
]  # fmt: skip
MEMBERSHIP_COLUMNS = [
    "id",
    "resident_id",
    "organization_id",
    "joined_on",
    "registered_where_living",
    "jurisdiction",
]

# Household sizes 1–5 (cumulative weights): about 2.7 people per household.
SIZE_CUM_WEIGHTS = (15, 45, 75, 90, 100)


@dataclass(eq=False)
class Node:
    """An area of the plan, city to grid, before it is written."""

    id: int
    level: str
    code: str
    name: str
    parent: Node | None
    block: geometry.Block
    jurisdiction: str
    kind: str = ""
    households: int = 0
    character: str = ""  # grids: old (walk-ups), new (towers) or mixed neighbourhood
    children: list[Node] = field(default_factory=list)

    @property
    def path(self) -> str:
        return (self.parent.path if self.parent else "") + self.code + "/"


@dataclass(eq=False)
class CompoundInfo:
    id: int
    name: str
    old: bool
    has_property_management: bool
    has_fence: bool
    members: list[tuple[int, int]] = field(default_factory=list)  # (resident id, building id)
    buildings: dict[int, str] = field(default_factory=dict)  # building id → name
    points: list[tuple[float, float]] = field(default_factory=list)  # building points (lng, lat)
    grid_ids: set[int] = field(default_factory=set)


# ---------------------------------------------------------------- the plan: city to grids


def plan_city(scale: Scale, rng: random.Random, maker: PersonMaker, loader: BulkLoader) -> Node:
    """The tree of areas down to grids, with codes, names, blocks of the lattice and sizes."""

    def node(level, code, name, parent, block, jurisdiction, **extra) -> Node:
        n = Node(loader.next_id(Area), level, code, name, parent, block, jurisdiction, **extra)
        if parent:
            parent.children.append(n)
        return n

    whole = (0, 0, scale.cols, scale.rows)
    city = node(Level.CITY, CITY_CODE, CITY_NAME, None, whole, CITY_CODE)
    street_counts = geometry.partition(scale.streets, scale.districts, rng)
    street_names: set[str] = set()
    community_names: set[str] = set()
    for d, (d_block, n_streets) in enumerate(
        zip(geometry.split_block(whole, scale.districts, rng), street_counts, strict=True)
    ):
        code = f"3301{d + 2:02d}"
        district = node(
            Level.DISTRICT, code, DISTRICT_NAMES[d % len(DISTRICT_NAMES)] + "区", city, d_block, code
        )
        for s, s_block in enumerate(geometry.split_block(d_block, n_streets, rng)):
            street = node(
                Level.STREET,
                f"{code}{s + 1:03d}",
                maker.place(street_names) + "街道",
                district,
                s_block,
                code,
            )
            cells_in_street = (s_block[2] - s_block[0]) * (s_block[3] - s_block[1])
            n_communities = min(rng.randint(*scale.communities), cells_in_street)
            grids: list[Node] = []
            for c, c_block in enumerate(geometry.split_block(s_block, n_communities, rng)):
                name = maker.place(community_names)
                community = node(
                    Level.COMMUNITY, f"{street.code}{c + 1:03d}", name + "社区", street, c_block, code
                )
                for g, (col, row) in enumerate(geometry.cells(c_block)):
                    grids.append(
                        node(
                            Level.GRID,
                            f"{community.code}{g + 1:03d}",
                            "",
                            community,
                            (col, row, col + 1, row + 1),
                            code,
                        )
                    )
            commercial = set(rng.sample(range(len(grids)), round(scale.x_share * len(grids))))
            if len(commercial) == len(grids):
                commercial.discard(0)
            for i, grid in enumerate(grids):
                if i in commercial:
                    grid.kind = GridKind.COMMERCIAL
                    grid.households = rng.randint(150, 300)
                else:
                    grid.kind = GridKind.RESIDENTIAL
                    grid.households = max(240, min(360, round(rng.gauss(300, 25))))
                    grid.character = rng.choices(("old", "new", "mixed"), weights=(45, 35, 20))[0]
            for community in street.children:
                short = community.name.removesuffix("社区")
                n_seen = x_seen = 0
                x_total = sum(1 for g in community.children if g.kind == GridKind.COMMERCIAL)
                for grid in community.children:
                    if grid.kind == GridKind.COMMERCIAL:
                        x_seen += 1
                        grid.name = f"{short}商圈{cn_number(x_seen) if x_total > 1 else ''}网格"
                    else:
                        n_seen += 1
                        grid.name = f"{short}第{cn_number(n_seen)}网格"
    return city


def walk(node: Node):
    yield node
    for child in node.children:
        yield from walk(child)


def demo_grid(city: Node) -> Node:
    """The grid the main demo accounts work in: the first residential grid of the first street."""
    street = city.children[0].children[0]
    return next(g for c in street.children for g in c.children if g.kind == GridKind.RESIDENTIAL)


# ---------------------------------------------------------------- generation


def generate(ctx: DemoContext) -> None:
    scale: Scale = ctx.scale
    rng = ctx.rng("city")
    maker = PersonMaker(rng)
    today = timezone.localdate()
    loader = BulkLoader(batch_size=scale.batch_size)
    loader.table(Compound, COMPOUND_COLUMNS)
    loader.table(Area, AREA_COLUMNS)
    loader.table(Department, DEPARTMENT_COLUMNS)
    loader.table(Department.served_areas.through, ["id", "department_id", "area_id"])
    loader.table(Household, HOUSEHOLD_COLUMNS)
    loader.table(Resident, RESIDENT_COLUMNS)
    loader.table(PartyOrganization, ORG_COLUMNS)
    loader.table(PartyOrganization.compounds.through, ["id", "partyorganization_id", "compound_id"])
    loader.table(PartyMembership, MEMBERSHIP_COLUMNS)

    with ctx.progress.phase(_("areas: city to grids")) as phase:
        city = plan_city(scale, rng, maker, loader)
        lattice = geometry.make_lattice(rng, scale.cols, scale.rows, CENTRE)
        for node in walk(city):
            shape = lattice.polygon(node.block)
            lng, lat = label_point(shape)
            loader.add(
                Area,
                (
                    node.id, node.level, node.parent.id if node.parent else None, node.code, node.name,
                    node.path, node.kind, shape, lng, lat, None, None, node.households, node.jurisdiction,
                ),
            )  # fmt: skip
            phase.add(str(Level(node.level).label))
        loader.flush()

    districts = city.children
    streets = [s for d in districts for s in d.children]
    with ctx.progress.phase(_("departments")) as phase:
        for unit_node, catalogue in [(d, DISTRICT_DEPARTMENTS) for d in districts] + [
            (s, STREET_DEPARTMENTS) for s in streets
        ]:
            for suffix, name in catalogue:
                dept_id = loader.next_id(Department)
                code = f"{unit_node.code}-{suffix}"
                email = f"{code.lower()}@{DEMO_EMAIL_DOMAIN}"
                loader.add(
                    Department,
                    (dept_id, code, unit_node.name + name, unit_node.id, email, True, unit_node.jurisdiction),
                )
                loader.add(
                    Department.served_areas.through,
                    (loader.next_id(Department.served_areas.through), dept_id, unit_node.id),
                )
                phase.add(_("departments"))
        loader.flush()

    total_households = sum(g.households for g in walk(city) if g.level == Level.GRID)
    households_label = pgettext("demo", "households")
    with ctx.progress.phase(
        _("buildings, households, residents, Party"), expected=(households_label, total_households)
    ) as phase:
        filler = Filler(loader, maker, rng, scale, today, phase, lattice)
        for street in streets:
            filler.street(street)
        loader.flush()

    with ctx.progress.phase(_("accounts")) as phase:
        create_accounts(city, maker, today, phase)


class Filler:
    """Fills grids with buildings, units, households and residents, then sets up the Party tree."""

    def __init__(self, loader, maker, rng, scale, today, phase, lattice):
        self.loader, self.maker, self.rng, self.scale = loader, maker, rng, scale
        self.today, self.phase, self.lattice = today, phase, lattice
        self.labels = {
            "buildings": _("buildings"),
            "units": _("units"),
            "households": pgettext("demo", "households"),
            "residents": _("residents"),
            "compounds": _("compounds"),
            "Party organisations": _("Party organisations"),
            "memberships": pgettext("demo", "Party memberships"),
        }

    def street(self, street: Node) -> None:
        committee = self.org(
            OrgLevel.STREET_COMMITTEE, street.name + "党工委", None, street.id, street.jurisdiction
        )
        for community in street.children:
            community_committee = self.org(
                OrgLevel.COMMUNITY_COMMITTEE,
                community.name + "党委",
                committee,
                community.id,
                community.jurisdiction,
            )
            compounds: list[CompoundInfo] = []
            used_names: set[str] = set()
            for grid in community.children:
                if grid.kind == GridKind.COMMERCIAL:
                    self.commercial_grid(grid, used_names)
                else:
                    compounds += self.residential_grid(grid, community, used_names)
            self.branches(community, community_committee, compounds)

    # -- Party

    def org(
        self, level, name, parent_id, area_id, jurisdiction, is_joint=False, set_up_on=None, filed_on=None
    ):
        org_id = self.loader.next_id(PartyOrganization)
        self.loader.add(
            PartyOrganization,
            (org_id, level, name, parent_id, area_id, is_joint, None, set_up_on, filed_on, jurisdiction),
        )
        self.phase.add(self.labels["Party organisations"])
        return org_id

    def branches(self, community: Node, committee_id: int, compounds: list[CompoundInfo]) -> None:
        """Set up the branches the 三有 rule gives (party.services, over the facts held here): a
        compound with property management, a fence and at least three resident Party members gets
        its own branch; neighbouring compounds lacking any are joined into a joint branch."""
        by_id = {c.id: c for c in compounds}
        facts = [
            CompoundFacts(
                pk=c.id,
                name=c.name,
                has_property_management=c.has_property_management,
                has_fence=c.has_fence,
                party_members=len(c.members),
                grid_ids=frozenset(c.grid_ids),
                points=tuple(c.points),
            )
            for c in compounds
        ]
        groups = [[by_id[pk] for pk in group] for group in plan_branches_in_bulk(facts)]
        rng, today = self.rng, self.today
        for group in groups:
            set_up_on = today - timedelta(days=rng.randint(200, 2000))
            filed_on = set_up_on + timedelta(days=rng.randint(3, 20))
            is_joint = len(group) > 1
            name = ("、".join(c.name for c in group) + "联合党支部") if is_joint else group[0].name + "党支部"
            branch_id = self.org(
                OrgLevel.BRANCH,
                name,
                committee_id,
                community.id,
                community.jurisdiction,
                is_joint,
                set_up_on,
                filed_on,
            )
            through = PartyOrganization.compounds.through
            for compound in group:
                self.loader.add(through, (self.loader.next_id(through), branch_id, compound.id))
            for compound in group:
                by_building: dict[int, list[int]] = {}
                for resident_id, building_id in compound.members:
                    by_building.setdefault(building_id, []).append(resident_id)
                    self.membership(resident_id, branch_id, community)
                for building_id, members in by_building.items():
                    if len(members) >= 3:
                        group_id = self.org(
                            OrgLevel.BUILDING_GROUP,
                            compound.buildings[building_id] + "党小组",
                            branch_id,
                            building_id,
                            community.jurisdiction,
                            set_up_on=set_up_on + timedelta(days=rng.randint(10, 120)),
                        )
                        for resident_id in members:
                            self.membership(resident_id, group_id, community)

    def membership(self, resident_id: int, org_id: int, community: Node) -> None:
        joined = self.today - timedelta(days=self.rng.randint(30, 3000))
        elsewhere = self.rng.random() < 0.25  # 双报到: works elsewhere, also registered here
        self.loader.add(
            PartyMembership,
            (
                self.loader.next_id(PartyMembership),
                resident_id,
                org_id,
                joined,
                elsewhere,
                community.jurisdiction,
            ),
        )
        self.phase.add(self.labels["memberships"])

    # -- grids

    def residential_grid(self, grid: Node, community: Node, used_names: set[str]) -> list[CompoundInfo]:
        rng = self.rng
        n_compounds = rng.randint(1, 2) if grid.character == "new" else rng.randint(2, 3)
        weights = [rng.uniform(0.6, 1.4) for _ in range(n_compounds)]
        shares = [max(20, round(grid.households * w / sum(weights))) for w in weights]
        shares[-1] = grid.households - sum(shares[:-1])
        compounds: list[tuple[CompoundInfo, list[tuple[int, int, int, int]]]] = []
        for share in shares:
            old = grid.character == "old" or (grid.character == "mixed" and rng.random() < 0.5)
            suffixes = COMPOUND_SUFFIXES_OLD if old else COMPOUND_SUFFIXES_NEW
            name = self.maker.place(used_names) + rng.choice(suffixes)
            if old:  # 老旧小区: often no property company, often open
                pm, fence = rng.random() < 0.35, rng.random() < 0.45
            else:
                pm, fence = rng.random() < 0.95, rng.random() < 0.9
            info = CompoundInfo(self.loader.next_id(Compound), name, old, pm, fence)
            self.loader.add(Compound, (info.id, community.id, name, pm, fence, grid.jurisdiction))
            self.phase.add(self.labels["compounds"])
            compounds.append((info, building_specs(share, old, rng)))
        spots = iter(geometry.building_spots(sum(len(specs) for _, specs in compounds), rng))
        serial = 0
        for info, specs in compounds:
            for number, (floors, units, per_floor, count) in enumerate(specs, start=1):
                serial += 1
                building_name = f"{info.name}{number}幢"
                building_id = self.building(grid, serial, building_name, floors, info.id, next(spots))
                info.buildings[building_id] = building_name
                info.points.append(self._building_point)
                info.grid_ids.add(grid.id)
                prefix = f"{community.name}{info.name}{number}幢"
                for unit_no, unit_id, unit_path, rooms in self.units(
                    grid, serial, units, floors, per_floor, count
                ):
                    for room in rooms:
                        household_id = self.household(
                            grid, unit_id, unit_path, room, f"{prefix}{unit_no}单元{room}室"
                        )
                        self.residents(household_id, unit_path, grid, info, building_id)
        return [info for info, _ in compounds]

    def commercial_grid(self, grid: Node, used_names: set[str]) -> None:
        rng = self.rng
        plaza = self.maker.place(used_names) + rng.choice(PLAZA_SUFFIXES)
        n_buildings = rng.randint(2, 5)
        spots = iter(geometry.building_spots(n_buildings, rng))
        counts = geometry.partition(grid.households, n_buildings, rng)
        for serial, count in enumerate(counts, start=1):
            floors = rng.randint(3, 28)
            per_floor = max(1, math.ceil(count / floors))
            floors = math.ceil(count / per_floor)
            name = f"{plaza}{chr(ord('A') + serial - 1)}座"
            self.building(grid, serial, name, floors, None, next(spots))
            for _no, unit_id, unit_path, rooms in self.units(grid, serial, 1, floors, per_floor, count):
                for room in rooms:  # outlets: shops and offices, no residents
                    self.household(grid, unit_id, unit_path, room, f"{name}{room}室")

    def building(self, grid: Node, serial: int, name: str, floors: int, compound_id, spot) -> int:
        building_id = self.loader.next_id(Area)
        lng, lat = self.lattice.point_in_cell(grid.block[0], grid.block[1], *spot)
        code = f"{grid.code}B{serial:02d}"
        self.loader.add(
            Area,
            (
                building_id, Level.BUILDING, grid.id, code, name, f"{grid.path}{code}/", "", None, lng, lat,
                floors, compound_id, 0, grid.jurisdiction,
            ),
        )  # fmt: skip
        self._building = (building_id, code, f"{grid.path}{code}/")
        self._building_point = (lng, lat)
        self.phase.add(self.labels["buildings"])
        return building_id

    def units(self, grid: Node, serial: int, units: int, floors: int, per_floor: int, count: int):
        """Yield (unit number, id, path, room numbers) for each unit of the building just added;
        rooms fill floor by floor across units, so only the top floor may be part-empty."""
        building_id, building_code, building_path = self._building
        rooms: list[list[str]] = [[] for _ in range(units)]
        left = count
        for floor in range(1, floors + 1):
            for u in range(units):
                for position in range(1, per_floor + 1):
                    if left:
                        rooms[u].append(f"{floor}{position:02d}")
                        left -= 1
        for u in range(units):
            unit_id = self.loader.next_id(Area)
            code = f"{building_code}U{u + 1}"
            path = f"{building_path}{code}/"
            self.loader.add(
                Area,
                (
                    unit_id, Level.UNIT, building_id, code, f"{u + 1}单元", path, "", None, None, None, None,
                    None, 0, grid.jurisdiction,
                ),
            )  # fmt: skip
            self.phase.add(self.labels["units"])
            yield u + 1, unit_id, path, rooms[u]

    def household(self, grid: Node, unit_id: int, unit_path: str, room: str, address: str) -> int:
        household_id = self.loader.next_id(Household)
        self.loader.add(
            Household, (household_id, unit_id, grid.id, unit_path, room, address, grid.jurisdiction)
        )
        self.phase.add(self.labels["households"])
        return household_id

    def residents(self, household_id: int, path: str, grid: Node, compound: CompoundInfo, building_id: int):
        rng, maker, year = self.rng, self.maker, self.today.year
        members = household_members(rng, compound.old)
        if self.scale.residents_cap:
            members = members[: self.scale.residents_cap]
        party_rate = 0.09 if compound.old else 0.065
        district_code = grid.code[:6]
        for relation, gender, age in members:
            resident_id = self.loader.next_id(Resident)
            birth_year = year - age
            is_member = age >= 18 and rng.random() < party_rate
            self.loader.add(
                Resident,
                (
                    resident_id, household_id, path, None, maker.name(gender), gender, birth_year,
                    maker.phone() if age >= 16 else "", maker.id_number(district_code, birth_year, gender),
                    is_member, relation, grid.jurisdiction,
                ),
            )  # fmt: skip
            if is_member:
                compound.members.append((resident_id, building_id))
        self.phase.add(self.labels["residents"], len(members))


def building_specs(households: int, old: bool, rng: random.Random) -> list[tuple[int, int, int, int]]:
    """(floors, units, flats per floor per unit, households) of buildings holding `households`."""
    specs = []
    left = households
    while left > 0:
        if old:  # six-storey walk-ups
            floors, units, per_floor = rng.choice((5, 6, 6, 6, 7)), rng.randint(2, 3), 2
        else:  # towers
            floors, units, per_floor = rng.randint(11, 26), rng.randint(1, 2), rng.choice((2, 2, 3, 4))
        capacity = floors * units * per_floor
        if capacity >= left:
            floors = math.ceil(left / (units * per_floor))
            specs.append((floors, units, per_floor, left))
            left = 0
        else:
            specs.append((floors, units, per_floor, capacity))
            left -= capacity
    return specs


def household_members(rng: random.Random, old: bool) -> list[tuple[str, str, int]]:
    """(relation, gender, age) of the people of one household, the head first."""
    size = rng.choices((1, 2, 3, 4, 5), cum_weights=SIZE_CUM_WEIGHTS)[0]
    head_age = rng.randint(32, 90) if old else rng.randint(25, 75)
    head_gender = "M" if rng.random() < 0.6 else "F"
    members = [("户主", head_gender, head_age)]
    if size >= 2:
        members.append(("配偶", "F" if head_gender == "M" else "M", max(20, head_age + rng.randint(-5, 5))))
    for _child in range(min(size - 2, 2)):
        child_age = head_age - rng.randint(24, 36)
        if child_age < 0:
            break
        members.append(("子女", rng.choice("MF"), child_age))
    if size == 5 and head_age < 65:
        members.append(("父母", rng.choice("MF"), min(98, head_age + rng.randint(24, 32))))
    return members


# ---------------------------------------------------------------- accounts


def create_accounts(city: Node, maker: PersonMaker, today: date, phase) -> None:
    """The main demo accounts (one per role) and a grid worker for every other grid."""
    grid = Area.objects.get(code=demo_grid(city).code)
    community, street = grid.parent, grid.parent.parent
    district = street.parent
    in_grid = Resident.objects.filter(path__startswith=grid.path)
    leader_resident = in_grid.filter(is_party_member=True, birth_year__lte=today.year - 30).order_by(
        "path", "id"
    )[0]
    building = Area.objects.get(code=leader_resident.path.rstrip("/").split("/")[-2])
    unit = building.children.order_by("code")[0]
    steward_resident = (
        in_grid.filter(path=unit.path, birth_year__lte=today.year - 25)
        .exclude(pk=leader_resident.pk)
        .order_by("id")[0]
    )
    home_resident = (
        in_grid.filter(relation="户主")
        .exclude(pk__in=[leader_resident.pk, steward_resident.pk])
        .exclude(path__startswith=building.path)
        .order_by("path", "id")[0]
    )
    linked = {"resident": home_resident, "steward": steward_resident, "buildingleader": leader_resident}
    grids = list(Area.objects.filter(level=Level.GRID).exclude(pk=grid.pk).order_by("code"))
    specs = [
        {
            "username": a.username,
            "first_name": linked[a.username].name
            if a.username in linked
            else maker.name(maker.rng.choice("MF")),
            "is_staff": a.role == Role.ADMINISTRATOR,
            "is_superuser": a.role == Role.ADMINISTRATOR,
        }
        for a in ACCOUNTS
    ] + [
        {"username": grid_worker_username(g.code), "first_name": maker.name(maker.rng.choice("MF"))}
        for g in grids
    ]
    for spec in specs:
        spec["email"] = demo_email(spec["username"])
    users = bulk_create_users(specs, DEMO_PASSWORD)  # one password hash for all
    by_name = {u.username: u for u in users}
    for username, resident in linked.items():
        Resident.objects.filter(pk=resident.pk).update(user=by_name[username])
    elected = today - timedelta(days=400)
    dates = {
        "elected_on": elected,
        "published_on": elected + timedelta(days=7),
        "appointed_on": elected + timedelta(days=10),
    }
    scope = {
        "unit": {"area": unit, **dates},
        "building": {"area": building, **dates},
        "grid": {"area": grid},
        "community": {"area": community},
        "street": {"area": street},
        "district": {"area": district},
        "department": {"department": Department.objects.get(code=f"{street.code}-{HANDLER_DEPARTMENT}")},
        "": {},
    }
    for account in ACCOUNTS:
        assign_role(by_name[account.username], account.role, **scope[account.scope])
        phase.add(_("accounts"))
    PartyOrganization.objects.filter(level=OrgLevel.BRANCH, compounds=building.compound_id).update(
        secretary=by_name["secretary"]
    )
    workers = users[len(ACCOUNTS) :]
    bulk_assign_roles([(w, Role.GRID_WORKER, g) for w, g in zip(workers, grids, strict=True)])
    phase.add(_("accounts"), len(workers))


# ---------------------------------------------------------------- cleanup

# Base tables, children before parents (foreign keys are deferred, but this keeps DELETE cheap).
BASE_TABLES = [
    PartyMembership,
    PartyOrganization.compounds.through,
    PartyOrganization,
    RoleAssignment,
    Resident,
    Department.served_areas.through,
    Department,
    Household,
    Area,
    Compound,
]


def cleanup(ctx: DemoContext) -> None:
    """Delete every area, household, resident, department, Party organisation and role
    assignment, and the demo accounts (with their access log entries)."""
    quote = connection.ops.quote_name
    tables = [quote(m._meta.db_table) for m in BASE_TABLES]
    with ctx.progress.phase(_("deleting the demo city")) as phase, connection.cursor() as cursor:
        truncated = False
        if connection.vendor == "postgresql":
            # Areas and compounds point at each other: check at commit, whatever ran before.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            try:  # fast, unless another app's table still points at these (then DELETE below)
                with transaction.atomic():
                    cursor.execute("TRUNCATE " + ", ".join(tables))
                truncated = True
            except DatabaseError:
                truncated = False
        if not truncated:
            for model, table in zip(BASE_TABLES, tables, strict=True):
                cursor.execute(f"DELETE FROM {table}")
                label = (
                    model._meta.db_table if model._meta.auto_created else str(model._meta.verbose_name_plural)
                )
                phase.add(label, max(cursor.rowcount, 0))
        demo_users = get_user_model().objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN)
        # The demo's own synthetic accounts go, with their access-log and audit rows (append-only
        # tables: nothing else may delete from them).
        AccessLog.objects.filter(user__in=demo_users).purge_synthetic_rows()
        AuditEntry.objects.filter(actor__in=demo_users).purge_synthetic_rows()
        phase.add(_("accounts"), demo_users.count())
        demo_users.delete()
