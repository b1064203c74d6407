"""A district adds its own procedure as data; the admin's check refuses an incomplete one; a
community's council switches to it and its new topics follow its steps and vote rules."""

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.deliberation import procedures, services
from civicgrid.deliberation.models import Procedure, ProcedureStep
from civicgrid.deliberation.services import StepRefused
from civicgrid.deliberation.workflow import Action as A
from civicgrid.deliberation.workflow import Majority, StepKind


def make_procedure(code="three_steps", steps=None):
    proc = Procedure.objects.create(code=code, name="三步快议", name_en="Three quick steps", jurisdiction="330106",
                                    support_threshold=1)  # fmt: skip
    for order, (step_code, kind, allows) in enumerate(steps or [], start=1):
        ProcedureStep.objects.create(procedure=proc, order=order, code=step_code, name=step_code, kind=kind,
                                     allows=allows, majority=Majority.SIMPLE, publication_days=3)  # fmt: skip
    return proc


QUICK = [
    ("collect", StepKind.COLLECT, [A.PROPOSE, A.SUPPORT]),
    ("decide", StepKind.DECIDE, [A.DECIDE]),
    ("meeting", StepKind.MEETING, [A.MEET, A.VOTE, A.REVIEW]),
    ("publish", StepKind.PUBLISH, [A.OBJECT, A.ANSWER]),
    ("follow_up", StepKind.FOLLOW_UP, [A.IMPLEMENT]),
]


def test_the_check_lists_what_an_incomplete_procedure_lacks(db):
    proc = make_procedure(steps=[("talk", StepKind.MEETING, ["vote", "dance"])])
    problems = procedures.validate_procedure(proc)
    assert len(problems) == 5 and any("dance" in p for p in problems)
    assert procedures.validate_procedure(make_procedure("quick", QUICK)) == []


def test_a_council_follows_a_district_procedure(city, people, council, residents, frozen):
    proc = make_procedure(steps=QUICK)
    with pytest.raises(PermissionDenied):
        services.set_procedure(city.community, people.resident_user, proc)
    services.set_procedure(city.community, people.community_staff, proc)
    topic = services.propose(
        city.community, people.resident_user, title="健身器材更新", description="器材老化"
    )
    services.support(topic, residents[0])
    topic = services.advance(topic, people.community_staff)
    topic = services.take_up(topic, people.community_staff, reason="安全隐患")
    assert topic.step_code == "meeting"  # no research step in this procedure
    with pytest.raises(StepRefused):
        services.comment(topic, people.resident_user, "同意")  # this procedure's meeting takes no comments
