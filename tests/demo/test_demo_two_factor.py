"""The demo stays usable with two-factor login: its staff accounts share a published demo key, the
demo prints it, and `civicgrid demo_code` gives the code that the verify page accepts."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts.policy import two_factor_required
from civicgrid.demo import registry
from civicgrid.demo.accounts import DEMO_PASSWORD

from .conftest import run_demo

pytestmark = pytest.mark.two_factor_flow


@pytest.fixture
def demo_with_two_factor(db, monkeypatch):
    monkeypatch.setattr(
        registry, "_steps", {n: registry._steps[n] for n in ("city",)} | {"two_factor": _step()}
    )
    return run_demo(scale="tiny")


def _step():
    from civicgrid.demo.steps import two_factor

    return registry.Step("two_factor", two_factor.generate, two_factor.cleanup, 5)


def test_every_demo_account_that_needs_it_has_the_demo_authenticator(demo_with_two_factor):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(email__endswith="demo.civicgrid.invalid")
    needing = {u.pk for u in users if two_factor_required(u)}
    assert needing
    assert set(TOTPDevice.objects.values_list("user_id", flat=True)) == needing
    assert "civicgrid demo_code" in demo_with_two_factor
    assert "MNUXM2LDM5ZGSZBNMRSW23ZNN5XGY6JB" in demo_with_two_factor


def test_the_printed_code_passes_the_verify_page(demo_with_two_factor, client):
    client.post("/login/", {"username": "gridworker", "password": DEMO_PASSWORD})
    out = StringIO()
    call_command("demo_code", stdout=out, stderr=StringIO())
    response = client.post("/account/verify/", {"code": out.getvalue().strip(), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
