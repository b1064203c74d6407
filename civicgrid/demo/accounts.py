"""The demo accounts: one per role, all with the same password, and one grid worker per grid.

`civicgrid demo` prints them at the end; `account_table()` gives the same table to other
commands (e.g. `civicgrid serve`) and the README lists them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from civicgrid.people.models import Role, RoleAssignment

DEMO_PASSWORD = "civicgrid-demo"
# Every demo account has an address here (.invalid never delivers), which is how --rebuild finds them.
DEMO_EMAIL_DOMAIN = "demo.civicgrid.invalid"
GRID_WORKER_PREFIX = "gw_"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    zh: str  # the role as people call it, in Chinese …
    en: str  # … and in English
    scope: str  # what the account holds: unit, building, grid, community, street, district, department


ACCOUNTS = (
    DemoAccount("resident", Role.RESIDENT, "居民", "resident", "grid"),
    DemoAccount("steward", Role.UNIT_STEWARD, "单元管家", "unit steward", "unit"),
    DemoAccount("buildingleader", Role.BUILDING_LEADER, "楼栋长", "building leader", "building"),
    DemoAccount("gridworker", Role.GRID_WORKER, "网格员", "grid worker", "grid"),
    DemoAccount("secretary", Role.BRANCH_SECRETARY, "小区党支部书记", "branch secretary", "community"),
    DemoAccount("community", Role.COMMUNITY_STAFF, "社区工作者", "community staff", "community"),
    DemoAccount("dispatcher", Role.STREET_DISPATCHER, "街道指挥中心调度员", "street dispatcher", "street"),
    DemoAccount("handler", Role.DEPARTMENT_HANDLER, "职能部门处置员", "department handler", "department"),
    DemoAccount(
        "supervisor", Role.DISTRICT_SUPERVISOR, "区指挥中心督办员", "district supervisor", "district"
    ),
    DemoAccount("leader", Role.LEADER, "街道领导（只读）", "leader (read-only)", "street"),
    DemoAccount("admin", Role.ADMINISTRATOR, "系统管理员", "administrator", ""),
)
BY_ROLE = {a.role: a for a in ACCOUNTS}

# Accounts a later demo step adds for roles held outside people.Role (mediation's mediator and centre
# head): each step registers a function returning [role in Chinese, in English, username, scope]
# rows for the accounts it made; account_rows() lists them after the role accounts.
EXTRA_ACCOUNT_ROWS: list = []


def register_accounts(rows_fn) -> None:
    if rows_fn not in EXTRA_ACCOUNT_ROWS:
        EXTRA_ACCOUNT_ROWS.append(rows_fn)


@dataclass(frozen=True)
class CouncilAccount:
    """A seat of the demo community's deliberation council 1+7+X (no role: a seat; demo/steps/deliberation)."""

    username: str
    seat: str  # deliberation.workflow.SeatKind value
    zh: str
    en: str


COUNCIL_ACCOUNTS = (
    CouncilAccount("council_legal", "legal", "法治副书记（议事会法律席）", "legal steward (council)"),
    CouncilAccount("council_branch", "branch", "议事会党支部委员", "council: Party branch"),
    CouncilAccount(
        "council_residents", "residents_committee", "议事会居委会委员", "council: residents' committee"
    ),
    CouncilAccount(
        "council_supervision", "supervision", "议事会居务监督委员", "council: supervision committee"
    ),
    CouncilAccount("council_deputy", "deputies", "议事会人大代表", "council: deputy"),
    CouncilAccount("council_organisations", "organisations", "议事会社会组织代表", "council: organisations"),
    CouncilAccount("council_respected", "respected", "议事会乡贤", "council: respected resident"),
)


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def grid_worker_username(grid_code: str) -> str:
    """The demo grid worker of every grid but the one `gridworker` holds: gw_<grid code>."""
    return GRID_WORKER_PREFIX + grid_code


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) and Latin text."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _scope_text(assignment: RoleAssignment | None) -> str:
    if assignment is None:
        return _("everything")
    if assignment.department_id:
        return f"{assignment.department.name} ({assignment.department.code})"
    if assignment.area_id:
        area = assignment.area
        return f"{area.get_level_display()} {area.name} ({area.code})"
    return _("everything")


def account_rows() -> list[list[str]]:
    """[role in Chinese, role in English, username, password, scope] of each demo account present."""
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=[a.username for a in ACCOUNTS])
    }
    held = {
        (r.user_id, r.role): r
        for r in RoleAssignment.objects.filter(user__in=users.values()).select_related("area", "department")
    }
    rows = []
    for account in ACCOUNTS:
        user = users.get(account.username)
        if user is None:
            continue
        assignment = held.get((user.pk, account.role))
        rows.append([account.zh, account.en, account.username, DEMO_PASSWORD, _scope_text(assignment)])
    from civicgrid.demo.steps import load_all

    load_all()  # the steps register their extra accounts when imported
    for rows_fn in EXTRA_ACCOUNT_ROWS:
        rows += [[zh, en, username, DEMO_PASSWORD, scope] for zh, en, username, scope in rows_fn()]
    council = get_user_model().objects.filter(username__in=[a.username for a in COUNCIL_ACCOUNTS])
    present = set(council.values_list("username", flat=True))
    for account in COUNCIL_ACCOUNTS:
        if account.username in present:
            rows.append([account.zh, account.en, account.username, DEMO_PASSWORD, _("council seat")])
    return rows


def account_table() -> str:
    """The demo accounts as a printable table, or "" when this database has no demo data."""
    rows = account_rows()
    if not rows:
        return ""
    workers = get_user_model().objects.filter(username__startswith=GRID_WORKER_PREFIX)
    sample = workers.order_by("username").values_list("username", flat=True).first()
    table = format_table([_("role"), "", _("username"), _("password"), _("scope")], rows)
    if sample:
        table += "\n" + _(
            "Every other grid has its own grid worker, gw_<grid code> (e.g. %(example)s; %(count)s "
            "accounts), with the same password."
        ) % {"example": sample, "count": f"{workers.count():,}"}
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from civicgrid.demo.steps.two_factor import DEMO_DEVICE_NAME, demo_secret

    if TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME).exists():
        table += "\n\n" + _(
            "Staff who can see personal data (grid worker, secretary, community staff, handler, admin and "
            "every gw_ account) also enter a two-factor code after the password. Demo only: they all share "
            "the published key %(key)s; add it to any authenticator app, or print the current code with "
            "`civicgrid demo_code`."
        ) % {"key": demo_secret()}
    return table
