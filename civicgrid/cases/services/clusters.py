"""Concentrated problems (集中突出): clusters of alike reports in one community are proposed to the
community's Party branch (ClusterProposal); accepted, the reports are merged into one case flagged
for deliberation (reusing `flag_for_deliberation` and `merge`); dismissed, with a reason.

`propose_clusters()` is the worker's periodic job (`cases.clusters`) and `civicgrid find_clusters`.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Level
from civicgrid.core import outbox
from civicgrid.people.models import Role, RoleAssignment

from .. import policy
from ..duplicates import find_clusters
from ..models import Case, ClusterProposal, InboxMessage, ProposalState
from ..workflow import OPEN_STATES
from .loop import flag_for_deliberation, merge
from .moves import Actor, CaseConflict, _actor, _require

CLUSTER_SECONDS = 3600  # the worker looks for clusters every hour


class ProposalConflict(CaseConflict):
    def __init__(self) -> None:
        super().__init__(_("Someone else has just decided this proposal. Reload the page."))


def _taken_case_ids(community: Area) -> set[int]:
    """Cases already in a proposal that is open or accepted: never proposed twice."""
    return set(
        ClusterProposal.cases.through.objects.filter(
            clusterproposal__path=community.path,
            clusterproposal__state__in=[ProposalState.PROPOSED, ProposalState.ACCEPTED],
        ).values_list("case_id", flat=True)
    )


def _tell_branch(proposal: ClusterProposal, case: Case) -> None:
    """An inbox message to the community's branch secretaries and staff."""
    users = set(
        RoleAssignment.objects.filter(
            role__in=[Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF],
            area__path=proposal.path,
            ended_on__isnull=True,
        ).values_list("user_id", flat=True)
    )
    text = _("Concentrated problem proposed: %(n)s reports on “%(theme)s”.") % {
        "n": proposal.cases.count(),
        "theme": proposal.theme[:60],
    }
    InboxMessage.objects.bulk_create(
        [
            InboxMessage(
                user_id=u,
                case=case,
                jurisdiction=proposal.jurisdiction,
                text=text[:300],
                created_at=timezone.now(),
            )
            for u in sorted(users)
        ]
    )


def propose_clusters(*, community: Area | None = None, now: datetime | None = None) -> list[ClusterProposal]:
    """Find clusters in every community (or one) and write a proposal for each new one."""
    communities = [community] if community is not None else list(Area.objects.filter(level=Level.COMMUNITY))
    made: list[ClusterProposal] = []
    for com in communities:
        taken = _taken_case_ids(com)
        for cluster in find_clusters(com, now=now):
            cases = [c for c in cluster.cases if c.pk not in taken]
            if len(cases) < len(cluster.cases):
                continue  # part of it is proposed already; the rest waits for the next run
            try:
                with transaction.atomic():
                    p = ClusterProposal.objects.create(
                        community=com,
                        path=com.path,
                        jurisdiction=com.jurisdiction,
                        category_id=cluster.category_id,
                        theme=cluster.theme,
                        signature=cluster.signature,
                        proposed_at=now or timezone.now(),
                    )
                    p.cases.set(cases)
                    _tell_branch(p, cases[0])
            except IntegrityError:
                continue  # the same cluster proposed meanwhile (another worker)
            taken |= {c.pk for c in cases}
            made.append(p)
    return made


@outbox.periodic(CLUSTER_SECONDS, name="cases.clusters")
def _periodic_clusters() -> int:
    return len(propose_clusters())


def _locked(proposal: ClusterProposal | int, by: Actor) -> ClusterProposal:
    pk = proposal.pk if isinstance(proposal, ClusterProposal) else int(proposal)
    p = ClusterProposal.objects.select_for_update().get(pk=pk)
    if not policy.can_decide_proposal(by, p.path):
        raise PermissionDenied(_("Only the community's branch or staff, or a dispatcher, can decide this."))
    if p.state != ProposalState.PROPOSED:
        raise ProposalConflict()
    return p


@transaction.atomic
def accept_proposal(proposal: ClusterProposal | int, by: Actor, *, note: str = "") -> ClusterProposal:
    """Accept: the earliest open report becomes the concentrated case (flagged for deliberation),
    the others are merged into it. The proposal row is locked first, then every case in id order
    (as `merge` does), so two deciders never both win and never deadlock."""
    p = _locked(proposal, by)
    ids = list(p.cases.values_list("pk", flat=True))
    cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    open_cases = sorted(
        (c for c in cases if c.state in OPEN_STATES and c.merged_into_id is None),
        key=lambda c: (c.reported_at, c.pk),
    )
    if len(open_cases) < 2:
        raise ValidationError(
            _("Fewer than two of these reports are still open: dismiss the proposal instead.")
        )
    main = open_cases[0]
    text = (note or "").strip() or p.theme
    flag_for_deliberation(main, by, note=text[:200])
    merge([c.pk for c in open_cases[1:]], main, by, note=text[:200])
    p.state = ProposalState.ACCEPTED
    p.decided_by = _actor(by)
    p.decided_at = timezone.now()
    p.reason = (note or "").strip()[:300]
    p.concentrated_case = main
    p.save(update_fields=["state", "decided_by", "decided_at", "reason", "concentrated_case"])
    return p


@transaction.atomic
def dismiss_proposal(proposal: ClusterProposal | int, by: Actor, *, reason: str) -> ClusterProposal:
    reason = _require(reason, _("Say why this is not a concentrated problem."))
    p = _locked(proposal, by)
    p.state = ProposalState.DISMISSED
    p.decided_by = _actor(by)
    p.decided_at = timezone.now()
    p.reason = reason[:300]
    p.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    return p
