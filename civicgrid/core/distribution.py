"""How civicgrid's tables would be spread over Citus, with `jurisdiction` (the district code, decision
0004) as the distribution column: the one data structure that docs/operations.md "Past one machine:
Citus" explains and tests/core/test_distribution_keys.py checks against every model.

Every table is one of:

- distributed by jurisdiction: every model with a `jurisdiction` column, unless listed below;
- a child waiting for its column (CHILD_TABLES): no `jurisdiction` yet, but every row belongs to one
  parent row of a distributed table, whose jurisdiction it takes; the column is added (and back-filled
  from the parent) in the migration to Citus;
- a reference table (REFERENCE_TABLES): copied whole to every node, so that any shard may join it;
  small, read everywhere, rarely written;
- a local table (LOCAL_TABLES): only on the coordinator, never joined with shards.

Citus asks of a distributed table that its primary key and every unique constraint include the
distribution column, and that a foreign key between two distributed tables include it on both sides.
Today every distributed table's key is Django's `id`; at the migration it becomes (jurisdiction, id)
(Django 5.2 has CompositePrimaryKey, but no foreign key may point at one yet, so the migration
changes the constraints in SQL and Django keeps seeing `id`, which stays unique on its own because
one sequence numbers every shard). A unique constraint that holds an FK to a distributed parent, or to
a reference row that carries a jurisdiction itself (an area, an index), is widened to (jurisdiction, …)
with the same meaning, since the row's jurisdiction is that parent's (the services set it so).
The unique constraints that are neither are listed in GLOBAL_UNIQUES, each with the decision taken.
"""

from __future__ import annotations

DISTRIBUTION_COLUMN = "jurisdiction"

_AUTH = "Django's sign-in and permission tables: every app points at users, and one person may act in several districts"

REFERENCE_TABLES: dict[str, str] = {
    "auth.User": _AUTH + " (a write to it — a login's last_login — goes to every node: keep them rare)",
    "auth.Group": _AUTH,
    "auth.Permission": _AUTH,
    "auth.Group_permissions": _AUTH,
    "auth.User_groups": _AUTH,
    "auth.User_user_permissions": _AUTH,
    "contenttypes.ContentType": "Django's model registry, read by permissions everywhere",
    "core.CalendarDay": "the official calendar, one for the country; every deadline reads it",
    "areas.Area": (
        "the area tree: every row of every app points into it, and its upper levels (city, province) "
        "belong to no one district; rarely written, a few million rows for a province"
    ),
    "areas.Compound": "areas point at their compound (a reference table may point only at reference tables)",
    "people.Department": (
        "a city-level department serves several districts and a case may be sent across districts; "
        "some thousands of rows"
    ),
    "people.Department_served_areas": "between two reference tables",
    "cases.Category": "the catalogue of case categories, read by every intake and figure",
    "cases.WebhookEndpoint": "a handful of configured receivers",
    "cases.ClusterRule": "concentrated-problem thresholds as data: a row per area that sets its own",
    "deliberation.Procedure": "procedures as data (六步议事, 四议两公开): a handful of rows",
    "deliberation.ProcedureStep": "the steps of the procedures above",
    "indices.PeerGroup": "peer groups are defined once for a city",
    "indices.IndexDefinition": "index formulas: a few dozen rows, read with every issue in every district",
    "indices.IndexVersion": "the versions of the formulas above",
    "open311.ApiClient": "an API client may post to several jurisdictions; looked up by key hash on every call",
}

LOCAL_TABLES: dict[str, str] = {
    "sessions.Session": "sign-in sessions, read and written by the web processes only",
    "authtoken.Token": "API tokens, looked up by key on every call before any shard is asked",
    "axes.AccessAttempt": "login lockout counters",
    "axes.AccessAttemptExpiration": "login lockout counters",
    "axes.AccessFailureLog": "login lockout log",
    "axes.AccessLog": "login log",
    "otp_totp.TOTPDevice": "two-factor devices",
    "otp_static.StaticDevice": "two-factor recovery codes",
    "otp_static.StaticToken": "two-factor recovery codes",
    "admin.LogEntry": "Django admin's own log",
    "core.PeriodicLease": "which worker runs each periodic job: a few rows, one per job",
    "core.AccessLog": (
        "the personal-data access log: append-only, read by its own page; it has no jurisdiction "
        "column yet (to be added, from the unmasked row, if it outgrows the coordinator)"
    ),
    "demo.DemoRun": "the demo loader's bookkeeping",
    "triage.TriageModel": (
        "the trained classifier's versions (a few MiB each): the worker trains and the suggestion job reads"
        " it on the coordinator; suggestions name its version by number, not by a foreign key"
    ),
}

# A child without its own jurisdiction column: model label -> the FK to the parent whose jurisdiction
# it takes (a distributed table, or another child).
CHILD_TABLES: dict[str, str] = {
    "party.PartyOrganization_compounds": "partyorganization",
    "party.PioneerScore": "snapshot",
    "party.CallEvent": "call",
    "cases.DispatchRule_assisting": "dispatchrule",
    "cases.Case_assisting": "case",
    "deliberation.CouncilSeat": "council",
    "deliberation.TopicStep": "topic",
    "deliberation.Support": "topic",
    "deliberation.Comment": "topic",
    "deliberation.TopicCase": "topic",
    "deliberation.ResearchNote": "topic",
    "deliberation.Survey": "topic",
    "deliberation.SurveyAnswer": "survey",
    "deliberation.Invitation": "meeting",
    "deliberation.Motion": "meeting",
    "deliberation.Vote": "motion",
    "deliberation.LegalReview": "topic",
    "deliberation.Publication": "topic",
    "deliberation.Objection": "topic",
    "deliberation.Task": "topic",
    "deliberation.Milestone": "task",
    "volunteering.PointsDraw": "entry",
    "volunteering.Shop_keepers": "shop",
    "volunteering.CoBuildingUnit_paired_communities": "cobuildingunit",
    "volunteering.CoBuildingUnit_contacts": "cobuildingunit",
    "volunteering.ProjectEvent": "project",
    "indices.AdmissionRequest_grids": "admissionrequest",
    "indices.AdmissionEvent": "request",
    "mediation.Session_present": "session",
    "fieldwork.DiaryEntry_households": "diaryentry",
    "cases.ClusterProposal_cases": "clusterproposal",
}

# Unique constraints of distributed tables that neither include jurisdiction nor hold an FK to a
# distributed parent: (model label, the constraint's fields) -> the decision.
GLOBAL_UNIQUES: dict[tuple[str, tuple[str, ...]], str] = {
    ("cases.Case", ("follow_token_hash",)): (
        "widen to (jurisdiction, follow_token_hash): a follow link is opened without knowing the "
        "district, so at the migration the token gets the jurisdiction as a prefix (old links: one "
        "look-up across shards, then a redirect)"
    ),
    ("cases.Case", ("client_key",)): (
        "widen to (jurisdiction, client_key): a retry of a report carries the same place and so "
        "reaches the same district; the same key sent for two districts would make two cases"
    ),
    ("mediation.Dispute", ("ref",)): "widen to (jurisdiction, ref): a dispute number is issued per district",
    ("volunteering.Redemption", ("code",)): (
        "widen to (jurisdiction, code): a redemption code is checked at a shop, which knows its district"
    ),
    ("fieldwork.Patrol", ("worker", "client_key")): (
        "widen to (jurisdiction, worker, client_key): the worker's phone retries within one grid"
    ),
    ("fieldwork.Patrol", ("worker",)): (
        "one open patrol per worker: widen to (jurisdiction, worker), i.e. per worker and district "
        "(a grid worker works in one district)"
    ),
    ("fieldwork.FieldReport", ("worker", "client_key")): "as Patrol: retries stay in one district",
    ("fieldwork.Errand", ("worker", "client_key")): "as Patrol: retries stay in one district",
    ("fieldwork.Visit", ("worker", "client_key")): "as Patrol: retries stay in one district",
    ("fieldwork.DiaryEntry", ("worker", "client_key")): "as Patrol: retries stay in one district",
    ("cases.CaseFollower", ("token_hash",)): (
        "as the case's own follow link: widen to (jurisdiction, token_hash), the token prefixed with it"
    ),
    ("cases.ClusterProposal", ("signature",)): (
        "widen to (jurisdiction, signature): a cluster's reports lie in one community, so in one district"
    ),
    ("people.Resident", ("user",)): (
        "one resident record per account: widen to (jurisdiction, user); a person who moves district "
        "gets their record moved (people.services), never two at once"
    ),
}

# Foreign keys between distributed tables whose two rows may lie in different jurisdictions: they
# cannot be constraints on Citus (the column stays; the services keep them right).
CROSS_SHARD_FOREIGN_KEYS: dict[str, str] = {
    "indices.IssueEntry.issue": (
        "an issue belongs to the index owner's jurisdiction (a city), its entries to each area's district; "
        "at the migration the entries take the issue's jurisdiction instead, so each issue is one shard"
    ),
    "party.WhistleCall.case": "a call may be issued by a street for a case of another district's department",
    "deliberation.Task.case": "a follow-up task may point at a case handled by a district department elsewhere",
}


def kind_of(label: str, has_jurisdiction: bool) -> str:
    """'reference', 'local', 'child' or 'distributed' for a model label."""
    if label in REFERENCE_TABLES:
        return "reference"
    if label in LOCAL_TABLES:
        return "local"
    if label in CHILD_TABLES:
        return "child"
    return "distributed" if has_jurisdiction else "unclassified"
