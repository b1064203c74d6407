"""The closed loop's rules are data in cases/workflow.py: every action names scope rules that
cases/policy.py knows, and the state a rating leads to is read from RATING_TARGETS."""

import pytest

from civicgrid.cases import policy, workflow
from civicgrid.cases.workflow import MAX_REOPENS, Rating, State


@pytest.mark.parametrize("action", sorted(workflow.TRANSITIONS))
def test_every_action_names_scope_rules_the_policy_knows(action):
    transition = workflow.TRANSITIONS[action]
    assert transition.scope and set(transition.scope) <= set(policy.SCOPE_RULES)


def test_an_unsatisfied_rating_reopens_until_the_limit_then_the_case_stays_closed():
    assert workflow.rating_target(Rating.UNSATISFIED, 0) == State.REWORK
    assert workflow.rating_target(Rating.UNSATISFIED, MAX_REOPENS) is None
    assert workflow.rating_target(Rating.SATISFIED, 0) is None
    assert workflow.rating_target(Rating.BASICALLY, 0) is None
