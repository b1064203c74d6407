import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """api(user) → an APIClient sending that user's token (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def intake(city):
    """intake(**fields) → a case taken in through the real service (resident report in grid 1)."""
    from civicgrid.cases import services

    def make(**fields):
        fields.setdefault("channel", "resident_app")
        fields.setdefault("description", "小区门口有车辆乱停，占用消防通道")
        if not any(k in fields for k in ("lng", "building", "unit", "area")):
            fields["unit"] = city.unit
        return services.intake(**fields).case

    return make
