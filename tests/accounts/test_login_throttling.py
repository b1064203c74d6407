"""Wrong passwords lock an account from one address (django-axes): the lockout page says so in the
reader's language, the administrator sees the lock in the admin and lifts it."""

import pytest
from axes.models import AccessAttempt


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def _fail(client, username="dispatcher", times=3, url="/login/"):
    return [client.post(url, {"username": username, "password": "wrong"}).status_code for _ in range(times)]


def test_three_wrong_passwords_lock_the_account_even_for_the_right_one(people, client):
    assert _fail(client, times=2) == [200, 200]
    assert _fail(client, times=1) == [429]
    locked = client.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("language,text", [("zh-hans", "登录失败次数过多"), ("en", "Too many failed logins")])
def test_the_lockout_page_is_translated(people, client, language, text):
    _fail(client)
    response = client.post(
        "/login/", {"username": "dispatcher", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 429
    assert text in response.content.decode()


def test_the_lock_is_per_account_and_address(people, client):
    _fail(client)
    other_account = client.post("/login/", {"username": "leader", "password": "pw-leader"})
    assert other_account.status_code == 302
    client.post("/logout/")
    other_address = client.post(
        "/login/", {"username": "dispatcher", "password": "pw-dispatcher"}, REMOTE_ADDR="198.51.100.7"
    )
    assert other_address.status_code == 302


def test_the_admin_login_is_throttled_too(people, client):
    statuses = _fail(client, username="admin", url="/admin/login/")
    assert statuses[-1] == 429


def test_the_administrator_sees_the_lock_and_lifts_it(people, client):
    _fail(client)
    attempt = AccessAttempt.objects.get(username="dispatcher")
    assert attempt.ip_address == "127.0.0.1" and attempt.failures_since_start == 3

    admin = type(client)()
    admin.force_login(people.admin)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "dispatcher" in listing.content.decode()
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()

    unlocked = client.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"})
    assert unlocked.status_code == 302
