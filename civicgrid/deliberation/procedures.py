"""The registry of deliberation procedures, as data.

Two ship with civicgrid: 六步议事 (six steps, for urban communities) and 四议两公开 (four
deliberations, two publications, for villages). They are loaded into `Procedure` / `ProcedureStep`
rows (by the migration, and again by `sync_builtin()`, which is idempotent), so that every topic
points at rows, and a district adds its own procedure in the admin the same way: steps in order,
each with a kind (workflow.StepKind: what it takes to leave it) and the actions it allows
(workflow.Action), a quorum and majority for its meetings, and a number of days for publication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .workflow import Action as A
from .workflow import Majority, StepKind

SIX_STEPS = "six_steps"
FOUR_TWO = "four_two"


@dataclass(frozen=True)
class StepSpec:
    code: str
    name: str
    name_en: str
    kind: str
    allows: tuple[str, ...]
    quorum: tuple[int, int, bool] = (1, 2, True)  # numerator, denominator, strict ("more than")
    majority: str = Majority.HALF_PRESENT
    publication_days: int = 7


@dataclass(frozen=True)
class ProcedureSpec:
    code: str
    name: str
    name_en: str
    description: str
    for_villages: bool
    support_threshold: int
    steps: tuple[StepSpec, ...] = field(default_factory=tuple)


REGISTRY: dict[str, ProcedureSpec] = {
    SIX_STEPS: ProcedureSpec(
        SIX_STEPS,
        "六步议事",
        "Six-step deliberation",
        "收集议题、确定议题、议前调研、召开会议、公开公示、跟踪落实。",
        for_villages=False,
        support_threshold=10,
        steps=(
            StepSpec(
                "collect", "收集议题", "Collect topics", StepKind.COLLECT, (A.PROPOSE, A.SUPPORT, A.COMMENT)
            ),
            StepSpec(
                "decide",
                "确定议题",
                "Decide which to take up",
                StepKind.DECIDE,
                (A.SUPPORT, A.COMMENT, A.DECIDE),
            ),
            StepSpec(
                "research",
                "议前调研",
                "Research before the meeting",
                StepKind.RESEARCH,
                (A.COMMENT, A.RESEARCH),
            ),
            # The council 1+7+X: more than half of its members present; more than half of those present for.
            StepSpec(
                "meeting",
                "召开会议",
                "Hold the meeting",
                StepKind.MEETING,
                (A.COMMENT, A.MEET, A.VOTE, A.REVIEW),
                quorum=(1, 2, True),
                majority=Majority.HALF_PRESENT,
            ),
            StepSpec(
                "publish",
                "公开公示",
                "Publish the result",
                StepKind.PUBLISH,
                (A.OBJECT, A.ANSWER, A.COMMENT),
                publication_days=7,
            ),
            StepSpec(
                "follow_up",
                "跟踪落实",
                "Follow up its implementation",
                StepKind.FOLLOW_UP,
                (A.IMPLEMENT, A.COMMENT),
            ),
        ),
    ),
    FOUR_TWO: ProcedureSpec(
        FOUR_TWO,
        "四议两公开",
        "Four deliberations, two publications",
        "党组织提议、村“两委”会议商议、党员大会审议、村民代表会议决议；决议公开、实施结果公开。",
        for_villages=True,
        support_threshold=5,
        steps=(
            StepSpec(
                "branch_proposes",
                "党组织提议",
                "The branch proposes",
                StepKind.COLLECT,
                (A.PROPOSE, A.SUPPORT, A.COMMENT),
            ),
            StepSpec(
                "committees_discuss",
                "“两委”会议商议",
                "The two committees discuss",
                StepKind.DECIDE,
                (A.COMMENT, A.RESEARCH, A.DECIDE),
            ),
            # 党员大会: more than half of the Party members entitled to vote present; more than half of them for.
            StepSpec(
                "party_members_review",
                "党员大会审议",
                "The Party members' meeting reviews",
                StepKind.MEETING,
                (A.COMMENT, A.MEET, A.VOTE),
                quorum=(1, 2, True),
                majority=Majority.HALF_ENTITLED,
            ),
            # 村民代表会议: at least two thirds of the representatives present; more than half of those present for.
            StepSpec(
                "representatives_decide",
                "村民代表会议决议",
                "The villagers' representatives decide",
                StepKind.MEETING,
                (A.COMMENT, A.MEET, A.VOTE, A.REVIEW),
                quorum=(2, 3, False),
                majority=Majority.HALF_PRESENT,
            ),
            StepSpec(
                "resolution_published",
                "决议公开",
                "The resolution is published",
                StepKind.PUBLISH,
                (A.OBJECT, A.ANSWER, A.COMMENT),
                publication_days=5,
            ),
            StepSpec(
                "implementation_published",
                "实施结果公开",
                "The implementation is published",
                StepKind.FOLLOW_UP,
                (A.IMPLEMENT, A.COMMENT),
            ),
        ),
    ),
}


def sync_builtin(procedure_model=None, step_model=None) -> None:
    """Create or update the built-in procedures' rows (also called from the migration with its
    historical models). Steps a topic already points at are updated in place, never deleted."""
    if procedure_model is None:
        from .models import Procedure as procedure_model
        from .models import ProcedureStep as step_model
    for spec in REGISTRY.values():
        proc, _ = procedure_model.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "description": spec.description,
                "for_villages": spec.for_villages,
                "builtin": True,
            },
            create_defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "description": spec.description,
                "for_villages": spec.for_villages,
                "builtin": True,
                "support_threshold": spec.support_threshold,
            },
        )
        for order, s in enumerate(spec.steps, start=1):
            step_model.objects.update_or_create(
                procedure=proc,
                code=s.code,
                defaults={
                    "order": order,
                    "name": s.name,
                    "name_en": s.name_en,
                    "kind": s.kind,
                    "allows": [str(a) for a in s.allows],
                    "quorum_num": s.quorum[0],
                    "quorum_den": s.quorum[1],
                    "quorum_strict": s.quorum[2],
                    "majority": str(s.majority),
                    "publication_days": s.publication_days,
                },
            )


def get(code: str):
    """The procedure row for `code`, loading the built-ins first when they are missing."""
    from .models import Procedure

    proc = Procedure.objects.filter(code=code).first()
    if proc is None and code in REGISTRY:
        sync_builtin()
        proc = Procedure.objects.get(code=code)
    return proc


def default_for(community):
    """The procedure a community's new topics follow when it has no council yet (villages: 四议两公开)."""
    return get(FOUR_TWO if "村" in (community.name or "") else SIX_STEPS)


def validate_procedure(procedure) -> list[str]:
    """What is wrong with a (district-made) procedure: the checks the admin runs before saving."""
    from django.utils.translation import gettext as _

    from .workflow import Action

    errors = []
    steps = list(procedure.steps.order_by("order"))
    kinds = [s.kind for s in steps]
    if not steps:
        return [_("A procedure needs steps.")]
    if kinds[0] != StepKind.COLLECT:
        errors.append(_("The first step must collect topics."))
    if kinds[-1] != StepKind.FOLLOW_UP:
        errors.append(_("The last step must follow up the implementation."))
    if StepKind.DECIDE not in kinds:
        errors.append(_("A procedure needs a step that decides which topics to take up."))
    if StepKind.MEETING not in kinds or StepKind.PUBLISH not in kinds:
        errors.append(_("A procedure needs a meeting and a publication."))
    for s in steps:
        unknown = set(s.allows or []) - set(Action.values)
        if unknown:
            errors.append(
                _("Step %(step)s allows unknown actions: %(actions)s")
                % {"step": s.code, "actions": ", ".join(sorted(unknown))}
            )
    return errors
