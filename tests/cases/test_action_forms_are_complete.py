"""Every staff action form performs its action through a service of its own."""

from civicgrid.cases.forms_staff import ACTION_FORMS, ActionForm
from civicgrid.cases.workflow import TRANSITIONS


def test_every_action_form_overrides_perform():
    missing = [name for name, form in ACTION_FORMS.items() if form.perform is ActionForm.perform]
    assert missing == []


def test_every_action_form_names_real_workflow_actions():
    for form in ACTION_FORMS.values():
        assert set(form.policy_actions()) <= set(TRANSITIONS), form.__name__
