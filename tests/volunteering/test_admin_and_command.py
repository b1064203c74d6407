"""The admin shows the ledger read-only; the check command says the ledger is sound or fails."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from civicgrid.volunteering import ledger
from civicgrid.volunteering.models import PointsAccount

from .conftest import at


@pytest.fixture
def awarded(make_activity, residents):
    activity = make_activity(start=at(2026, 6, 6))
    ledger.award(activity, residents.a, 120)
    return activity


def test_the_admin_lists_the_ledger_but_offers_no_change(client, people, awarded):
    client.force_login(people.admin)
    assert client.get(reverse("admin:volunteering_pointstransaction_changelist")).status_code == 200
    assert client.get(reverse("admin:volunteering_pointstransaction_add")).status_code == 403
    assert client.get(reverse("admin:party_whistlecall_changelist")).status_code == 200


def test_the_check_command_passes_then_fails_on_a_tampered_cache(awarded, residents, scheme):
    out = StringIO()
    call_command("check_points_ledger", stdout=out)
    assert "sound" in out.getvalue()
    PointsAccount.objects.filter(resident=residents.a).update(balance=99)
    with pytest.raises(CommandError):
        call_command("check_points_ledger", stdout=StringIO())


def test_bad_rules_are_refused_clearly(city, people):
    from django.core.exceptions import ValidationError

    from civicgrid.volunteering import services

    for rules in ({"points_per_hour": -1}, {"cap": {"period": "week", "points": 3}}, {"colour": "red"}, []):
        with pytest.raises(ValidationError):
            services.create_scheme(city.community, "x", rules, people.community_staff)
