import re

import pytest
from django.core.cache import cache

from civicgrid.core import ratelimit
from civicgrid.open311 import services
from civicgrid.open311.models import ApiClient


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_key_is_stored_only_as_its_hash(db):
    client, key = services.create_client(name="City app", jurisdiction_ids=["330106"])
    stored = ApiClient.objects.get(pk=client.pk)
    assert key not in (stored.key_hash, stored.key_prefix)
    assert stored.key_hash == services.hash_key(key)
    assert key.startswith(stored.key_prefix)
    assert len(key) >= 40


def test_a_key_finds_its_client_and_a_wrong_key_finds_none(db):
    client, key = services.create_client(name="City app")
    assert services.find_client(key) == client
    assert services.find_client(key + "x") is None
    assert services.find_client("") is None


def test_a_revoked_key_is_recognised_but_not_active(db):
    client, key = services.create_client(name="City app")
    services.revoke(client)
    found = services.find_client(key)
    assert found == client
    assert not found.is_active


def test_rotating_a_key_retires_the_old_one(db):
    client, old = services.create_client(name="City app")
    new = services.issue_key(client)
    assert new != old
    assert services.find_client(old) is None
    assert services.find_client(new) == client


def test_a_client_with_no_jurisdictions_may_post_anywhere_else_only_to_its_own(db):
    anywhere, _ = services.create_client(name="A")
    one, _ = services.create_client(name="B", jurisdiction_ids=["330106"])
    assert anywhere.allows_jurisdiction("330108")
    assert one.allows_jurisdiction("330106")
    assert not one.allows_jurisdiction("330108")


def test_the_fixed_window_counter_stops_at_the_limit():
    verdicts = [ratelimit.hit("test-bucket", limit=3) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert verdicts[0].remaining == 2
    assert 1 <= verdicts[-1].retry_after <= 60


def test_windows_of_different_buckets_do_not_share_counts():
    assert ratelimit.hit("bucket-a", limit=1).allowed
    assert ratelimit.hit("bucket-b", limit=1).allowed
    assert not ratelimit.hit("bucket-a", limit=1).allowed


def test_the_admin_shows_a_new_key_once_and_stores_its_hash(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(admin)
    response = client.post(
        "/admin/open311/apiclient/add/",
        {
            "name": "Hotline bridge",
            "contact": "ops@example.org",
            "jurisdiction_ids": '["330106"]',
            "rate_limit_per_minute": "120",
        },
        follow=True,
    )
    assert response.status_code == 200
    created = ApiClient.objects.get(name="Hotline bridge")
    shown = [str(m) for m in response.context["messages"]]
    keys = [k for m in shown for k in re.findall(re.escape(created.key_prefix) + r"[A-Za-z0-9_-]+", m)]
    assert len(keys) == 1
    assert services.find_client(keys[0]) == created
    assert created.created_by == admin
    page = client.get(f"/admin/open311/apiclient/{created.pk}/change/")
    assert keys[0] not in page.content.decode()


def test_the_admin_revokes_keys_with_an_action(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(admin)
    api_client, key = services.create_client(name="Partner")
    client.post(
        "/admin/open311/apiclient/",
        {"action": "revoke_keys", "_selected_action": [api_client.pk]},
    )
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None


def test_the_command_line_issues_rotates_and_revokes_keys(db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "open311_client",
        "Hotline bridge",
        "--jurisdiction",
        "330106",
        "--rate",
        "30",
        stdout=out,
        stderr=io.StringIO(),
    )
    key = out.getvalue().strip()
    client = services.find_client(key)
    assert client.name == "Hotline bridge" and client.jurisdiction_ids == ["330106"]
    assert client.rate_limit_per_minute == 30
    out = io.StringIO()
    call_command("open311_client", "Hotline bridge", "--rotate", stdout=out, stderr=io.StringIO())
    new_key = out.getvalue().strip()
    assert services.find_client(key) is None and services.find_client(new_key) == client
    call_command("open311_client", "Hotline bridge", "--revoke", stdout=io.StringIO())
    assert not services.find_client(new_key).is_active
