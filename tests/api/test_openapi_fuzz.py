"""Schemathesis generates requests from the OpenAPI document of /api/v1/ and calls the app in
process (WSGI): no combination it tries may make the server fail, and every answer must match the
document (status codes, content types, bodies). The example budget is small to keep CI quick;
raise CIVICGRID_FUZZ_EXAMPLES locally for a deeper run."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.cases import services
from civicgrid.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
EXAMPLES = int(os.environ.get("CIVICGRID_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def one_connection():
    """Called through WSGI, Django would close the database connection after each request, and with
    it the test's transaction on PostgreSQL; Django's own test client unhooks the same signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(city, people, settings, one_connection):
    """An administrator's token (every operation reachable) over a street with a few cases."""
    settings.CIVICGRID_API_USER_RATE = "100000/min"
    services.intake(channel="resident_app", description="消防通道被堵", unit=city.unit)
    case = services.intake(channel="resident_app", description="路灯不亮", area=city.grid).case
    services.dispatch(case, people.dispatcher, city.dept)
    return Token.objects.create(user=people.admin).key


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail_or_stray_from_its_document(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
