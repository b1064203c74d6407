"""Users read the loop in Chinese by default."""

import pytest
from django.utils import translation

from civicgrid.cases import workflow
from civicgrid.cases.services import CaseConflict, IllegalTransition
from civicgrid.cases.workflow import State


def test_the_illegal_move_message_is_translated():
    with translation.override("zh-hans"):
        with pytest.raises(IllegalTransition) as info:
            workflow.check("verify_pass", State.SUBMITTED)
        assert str(info.value) == "处于“待受理”状态的事件不能进行“核查通过并结案”操作。"


def test_the_conflict_message_is_translated():
    with translation.override("zh-hans"):
        assert str(CaseConflict()) == "其他人已经处理了该事件，请刷新后重试。"
    with translation.override("en"):
        assert "Someone else has already acted on this case" in str(CaseConflict())


def test_every_state_and_action_has_a_chinese_label():
    with translation.override("zh-hans"):
        for state in State:
            assert not state.label.isascii(), state
        for action in workflow.TRANSITIONS:
            assert not workflow.action_label(action).isascii(), action
        for action in [*workflow.SYSTEM_ACTIONS, *workflow.INTAKE_ACTIONS]:
            assert not workflow.action_label(action).isascii(), action
