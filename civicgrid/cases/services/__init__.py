"""Every write to a case goes through these functions (web pages, API, Open311, admin, worker, demo).

Each one checks permission (cases/policy.py), opens a transaction, locks the case row
(`select_for_update`), compares `expected_version` when the caller names the version it saw
(CaseConflict if someone acted in between), moves the state as workflow.TRANSITIONS allows
(IllegalTransition otherwise), writes the CaseEvent history row (with its rollup delta) and the outbox
row that triggers notifications. The functions return the updated case.

Errors callers should catch: PermissionDenied, IllegalTransition, CaseConflict, ValidationError.

The package, one module per part of the work (import the functions from here):

- `moves.py`       the move/emit machinery (`_Move`, `history_row`, `CaseConflict`)
- `catalogue.py`   categories and dispatch rules held in process, `triage`, `suggest_dispatch`
- `new_cases.py`   intake: `intake` and `settle_on_spot`, with the one case builder they share
- `one_statement.py`  PostgreSQL's one-statement write of a new report
- `attachments.py` photos: counted, checked, stored; `add_attachment`
- `loop.py`        the transitions of workflow.TRANSITIONS, one function per action
- `queries.py`     follow token and reference look-ups, possible duplicates, `filter_cases`
- `inbox.py`       `mark_inbox_read`
"""

from __future__ import annotations

# Names the single-module services.py had in its namespace, kept so that callers keep working
# (patching one of the private helpers must now name the module that defines it).
from ..models import (  # noqa: F401
    Attachment,
    Case,
    CaseEvent,
    Category,
    DispatchRule,
    ExtensionRequest,
    SupervisionOrder,
)
from ..workflow import (  # noqa: F401
    AttachmentKind,
    CaseLevel,
    Channel,
    IllegalTransition,
    Kind,
    Rating,
    State,
)
from .attachments import _clean, _save_photo, add_attachment  # noqa: F401
from .catalogue import (  # noqa: F401
    CACHE_SECONDS,
    Suggestion,
    _forget,
    _load,
    categories_by_code,
    get_category,
    suggest_dispatch,
    triage,
)
from .clusters import ProposalConflict, accept_proposal, dismiss_proposal, propose_clusters
from .followers import case_for_follower_token, follow_case, may_follow
from .inbox import mark_inbox_read
from .loop import (
    accept,
    comment,
    decide_extension,
    dispatch,
    escalate,
    flag_for_deliberation,
    mark_handled,
    merge,
    not_accept,
    put_on_hold,
    rate,
    register,
    reopen,
    request_extension,
    resume,
    return_to_dispatcher,
    supervise,
    verify,
)
from .moves import CaseConflict, _emit, _event, _Move, _now, history_row, mark_changed_from_history  # noqa: F401
from .new_cases import DESCRIPTION_MAX, IntakeResult, _place, intake, settle_on_spot  # noqa: F401
from .one_statement import _one_statement  # noqa: F401
from .places import match_for_intake, pick_place
from .queries import (
    case_for_token,
    filter_cases,
    find_possible_duplicates,
    get_by_ref,
)

__all__ = [
    "CaseConflict",
    "IllegalTransition",
    "IntakeResult",
    "Suggestion",
    "intake",
    "settle_on_spot",
    "register",
    "not_accept",
    "dispatch",
    "suggest_dispatch",
    "accept",
    "return_to_dispatcher",
    "request_extension",
    "decide_extension",
    "put_on_hold",
    "resume",
    "mark_handled",
    "verify",
    "rate",
    "reopen",
    "escalate",
    "supervise",
    "merge",
    "flag_for_deliberation",
    "comment",
    "add_attachment",
    "find_possible_duplicates",
    "triage",
    "case_for_token",
    "get_by_ref",
    "filter_cases",
    "get_category",
    "categories_by_code",
    "history_row",
    "mark_changed_from_history",
    "mark_inbox_read",
    "ProposalConflict",
    "accept_proposal",
    "dismiss_proposal",
    "propose_clusters",
    "follow_case",
    "may_follow",
    "case_for_follower_token",
    "match_for_intake",
    "pick_place",
    "DESCRIPTION_MAX",
]
