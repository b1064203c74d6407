"""Personas built once for every test: a small street with two grids and the people who work it.

city 330100 → district 330106 → street 330106001 → community 330106001001
  → grid …001 (N) with building 01 → units 1, 2 → households;  grid …002 (X)
  → community 330106001002 → grid …001
"""

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area, create_household
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_department, create_resident, create_user

# The suite is not a production server: give it its own key, so that importing civicgrid.wsgi (the
# schemathesis tests do) does not refuse the demo key (civicgrid/core/startup.py).
if django_settings.SECRET_KEY == django_settings.DEMO_SECRET_KEY:
    django_settings.SECRET_KEY = "civicgrid-test-suite-only-" + "k" * 40


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Personas' passwords hash in microseconds: PBKDF2 costs ~0.3 s per user on a 2-core machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def square(x0, y0, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]],
    }


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(request, monkeypatch):
    """`client.force_login(user)` gives a session that has passed two-factor login as well.

    Staff who can unmask personal data must verify a TOTP code after the password
    (civicgrid/accounts); tests of other pages log in directly, so force_login also confirms a TOTP
    device for such a user and marks the session verified with it, as the verify page would.
    Tests of the two-factor step itself are marked `two_factor_flow` and get the plain force_login.
    """
    if request.node.get_closest_marker("two_factor_flow"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from civicgrid.accounts.policy import two_factor_required

        if two_factor_required(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in Django's cache, the indexes and catalogues in per-process caches
    (core/caches.py): start and end each test with both empty."""
    from django.core.cache import cache

    from civicgrid.core import caches

    cache.clear()
    caches.clear_all()  # an index built from another test's rows (rolled back since) is not this test's
    yield
    cache.clear()
    caches.clear_all()


@pytest.fixture
def city(db):
    t = SimpleNamespace()
    t.city = create_area(level=Level.CITY, code="330100", name="示范市")
    t.district = create_area(level=Level.DISTRICT, code="330106", name="西湖区", parent=t.city)
    t.street = create_area(
        level=Level.STREET,
        code="330106001",
        name="北山街道",
        parent=t.district,
        shape=square(120.10, 30.20, 0.03),
    )
    t.community = create_area(
        level=Level.COMMUNITY,
        code="330106001001",
        name="宝石社区",
        parent=t.street,
        shape=square(120.10, 30.20, 0.02),
    )
    t.community2 = create_area(
        level=Level.COMMUNITY,
        code="330106001002",
        name="葛岭社区",
        parent=t.street,
        shape=square(120.12, 30.20, 0.01),
    )
    t.grid = create_area(
        level=Level.GRID,
        code="330106001001001",
        name="宝石一网格",
        parent=t.community,
        kind="N",
        shape=square(120.10, 30.20),
    )
    t.grid_x = create_area(
        level=Level.GRID,
        code="330106001001002",
        name="宝石商圈网格",
        parent=t.community,
        kind="X",
        shape=square(120.11, 30.20),
    )
    t.grid2 = create_area(
        level=Level.GRID,
        code="330106001002001",
        name="葛岭一网格",
        parent=t.community2,
        kind="N",
        shape=square(120.12, 30.20),
    )
    t.building = create_area(
        level=Level.BUILDING,
        code="330106001001001B01",
        name="1幢",
        parent=t.grid,
        lng=120.105,
        lat=30.205,
        floors=6,
    )
    t.unit = create_area(level=Level.UNIT, code="330106001001001B01U1", name="1单元", parent=t.building)
    t.unit2 = create_area(level=Level.UNIT, code="330106001001001B01U2", name="2单元", parent=t.building)
    t.building2 = create_area(
        level=Level.BUILDING,
        code="330106001002001B01",
        name="葛岭1幢",
        parent=t.grid2,
        lng=120.125,
        lat=30.205,
        floors=5,
    )
    t.unit3 = create_area(level=Level.UNIT, code="330106001002001B01U1", name="1单元", parent=t.building2)
    t.household = create_household(unit=t.unit, number="101", address="宝石社区1幢1单元101")
    t.household2 = create_household(unit=t.unit3, number="201", address="葛岭社区1幢1单元201")
    t.dept = create_department(
        code="D-CG", name="城管执法中队", area=t.street, serves=[t.street], email="cg@example.org"
    )
    t.dept2 = create_department(code="D-SW", name="水务所", area=t.street, serves=[t.street])
    return t


@pytest.fixture
def people(city):
    """One user per role, each with a scope in the small street above."""
    p = SimpleNamespace()

    def user(name, role, **scope):
        u = create_user(name, "pw-" + name, email=f"{name}@example.org")
        if role:
            assign_role(u, role, **scope)
        return u

    p.resident_user = user("resident", Role.RESIDENT, area=city.grid)
    p.resident = create_resident(
        household=city.household,
        name="张晓明",
        gender="M",
        birth_year=1980,
        phone="13812345678",
        id_number="330106198001011234",
        user=p.resident_user,
    )
    p.steward = user("steward", Role.UNIT_STEWARD, area=city.unit)
    p.building_leader = user("leader_b", Role.BUILDING_LEADER, area=city.building)
    p.grid_worker = user("gridworker", Role.GRID_WORKER, area=city.grid)
    p.other_grid_worker = user("gridworker2", Role.GRID_WORKER, area=city.grid2)
    p.secretary = user("secretary", Role.BRANCH_SECRETARY, area=city.community)
    p.community_staff = user("community", Role.COMMUNITY_STAFF, area=city.community)
    p.dispatcher = user("dispatcher", Role.STREET_DISPATCHER, area=city.street)
    p.handler = user("handler", Role.DEPARTMENT_HANDLER, department=city.dept)
    p.other_handler = user("handler2", Role.DEPARTMENT_HANDLER, department=city.dept2)
    p.supervisor = user("supervisor", Role.DISTRICT_SUPERVISOR, area=city.district)
    p.leader = user("leader", Role.LEADER, area=city.street)
    p.admin = create_user("admin", "pw-admin", is_staff=True, is_superuser=True)
    p.outsider = user("outsider", None)
    return p


@pytest.fixture
def short_chain(monkeypatch):
    """The paths the machine endpoints' short middleware chain answered (core/machine.py)."""
    from civicgrid.core import machine

    seen = []
    handle = machine.MachineHandler.handle

    def spy(self, request):
        seen.append(request.path)
        return handle(self, request)

    monkeypatch.setattr(machine.MachineHandler, "handle", spy)
    return seen
