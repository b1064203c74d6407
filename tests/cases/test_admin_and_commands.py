"""The admin pages (categories, rules, cases with service actions) and the management commands."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from civicgrid.cases import rollups
from civicgrid.cases.models import Case, ExtensionRequest, ExtensionStatus, SupervisionOrder
from civicgrid.cases.workflow import State


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


@pytest.mark.parametrize(
    "model", ["category", "dispatchrule", "case", "extensionrequest", "supervisionorder", "webhookendpoint"]
)
def test_admin_lists_open(admin_client, rule, report, model):
    report()
    assert admin_client.get(reverse(f"admin:cases_{model}_changelist")).status_code == 200


def test_the_case_page_in_the_admin_is_read_only_with_its_history(admin_client, report):
    case = report(contact_phone="13912345678", contact_name="王小红")
    response = admin_client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    assert "13912345678" not in response.content.decode()  # contact details are not shown there
    assert "王小红" not in response.content.decode()
    assert "report" in response.content.decode()  # the history inline


def test_admin_actions_go_through_the_services(admin_client, people, report):
    case = report()
    url = reverse("admin:cases_case_changelist")
    admin_client.post(url, {"action": "register_cases", "_selected_action": [case.pk]})
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED
    admin_client.post(url, {"action": "supervise_cases", "_selected_action": [case.pk]})
    assert SupervisionOrder.objects.get(case=case).issued_by == people.admin


def test_extension_requests_are_decided_in_the_admin(admin_client, city, people, report):
    from civicgrid.cases import services

    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    request = services.request_extension(case, people.handler, 8, "需要协调")
    admin_client.post(
        reverse("admin:cases_extensionrequest_changelist"),
        {"action": "grant", "_selected_action": [request.pk]},
    )
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.GRANTED


def test_the_sweep_and_rebuild_commands(city, report):
    report()
    out = StringIO()
    call_command("sweep", stdout=out)
    assert "escalate 0" in out.getvalue() and "rolled up 1 events" in out.getvalue()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "rebuilt from 1 cases" in out.getvalue()
    assert rollups.figures(city.street).reported == 1
