"""After the password, staff who can unmask reach nothing until they pass the second factor: they
set up an authenticator (QR code drawn on the server), get recovery codes, and later verify a code."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import code_for, code_from_secret

pytestmark = pytest.mark.two_factor_flow


def _secret(response) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', response.content.decode()).group(1)


def test_a_grid_worker_is_sent_to_set_up_an_authenticator_after_the_password(people, client, password_login):
    response = password_login("gridworker")
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0].startswith("/account/two-factor/set-up/")
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body
    assert re.fullmatch(r"[A-Z2-7]{32}", _secret(page))


def test_unverified_staff_reach_no_page_and_no_api(people, client, password_login):
    password_login("gridworker")
    assert client.get("/people/access-log/")["Location"].startswith("/account/two-factor/set-up/?next=")
    household = client.get(f"/people/households/{people.resident.household_id}/")
    assert household.status_code == 302
    api = client.get("/api/v1/cases/")
    assert api.status_code == 403
    assert "两步验证" in api.json()["detail"]


def test_setting_up_gives_ten_recovery_codes_and_a_verified_session(people, client, password_login):
    password_login("gridworker")
    page = client.get("/account/two-factor/set-up/")
    done = client.post("/account/two-factor/set-up/", {"code": code_from_secret(_secret(page)), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=people.grid_worker).count() == 10
    assert TOTPDevice.objects.get(user=people.grid_worker).confirmed
    assert client.get("/people/access-log/").status_code in (200, 403)  # the page itself decides now
    assert client.get("/").status_code == 200


def test_a_wrong_code_at_set_up_changes_nothing(people, client, password_login):
    password_login("gridworker")
    client.get("/account/two-factor/set-up/")
    response = client.post("/account/two-factor/set-up/", {"code": "000000"})
    assert response.status_code == 400
    assert "not right" in response.content.decode() or "不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=people.grid_worker, confirmed=True).exists()
    assert client.get("/")["Location"].startswith("/account/two-factor/set-up/")


@pytest.fixture
def enrolled(people):
    device = TOTPDevice.objects.create(user=people.handler, name="authenticator", confirmed=True)
    from civicgrid.accounts.devices import new_recovery_codes

    return device, new_recovery_codes(people.handler)


def test_an_enrolled_handler_verifies_a_code_and_goes_on(people, client, password_login, enrolled):
    device, _codes = enrolled
    response = password_login("handler")
    follow = client.get(response["Location"])
    assert follow["Location"].startswith("/account/verify/")
    verified = client.post("/account/verify/", {"code": code_for(device), "next": "/cases/work/"})
    assert verified.status_code == 302 and verified["Location"] == "/cases/work/"
    assert client.get("/cases/work/").status_code == 200


def test_a_code_cannot_be_used_twice(people, client, password_login, enrolled):
    device, _codes = enrolled
    password_login("handler")
    code = code_for(device)
    assert client.post("/account/verify/", {"code": code}).status_code == 302
    client.post("/logout/")
    password_login("handler")
    device.refresh_from_db()
    device.throttle_reset()
    assert client.post("/account/verify/", {"code": code}).status_code == 400


def test_a_recovery_code_works_once(people, client, password_login, enrolled):
    _device, codes = enrolled
    password_login("handler")
    assert client.post("/account/verify/", {"code": codes[0]}).status_code == 302
    assert StaticToken.objects.filter(device__user=people.handler).count() == 9
    client.post("/logout/")
    password_login("handler")
    assert client.post("/account/verify/", {"code": codes[0]}).status_code == 400


def test_new_recovery_codes_replace_the_old_ones(people, client, password_login, enrolled):
    device, codes = enrolled
    password_login("handler")
    client.post("/account/verify/", {"code": code_for(device)})
    page = client.post("/account/two-factor/recovery-codes/")
    fresh = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)


def test_a_next_link_to_another_site_is_ignored(people, client, password_login, enrolled):
    device, _codes = enrolled
    password_login("handler")
    response = client.post("/account/verify/", {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_dispatcher_needs_no_second_factor(people, client, password_login):
    password_login("dispatcher")
    assert client.get("/").status_code == 200


def test_the_admin_site_asks_for_the_second_factor_too(people, client):
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "pw-admin"})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/set-up/")


def test_an_api_token_needs_the_code_for_staff_who_unmask(people, client, enrolled):
    device, _codes = enrolled
    without = client.post("/api/v1/auth/token/", {"username": "handler", "password": "pw-handler"})
    assert without.status_code == 400
    assert "otp_token" in without.json()["errors"]
    with_code = client.post(
        "/api/v1/auth/token/",
        {"username": "handler", "password": "pw-handler", "otp_token": code_for(device)},
    )
    assert with_code.status_code == 200 and with_code.json()["token"]


@pytest.mark.parametrize("language,text", [("zh-hans", "两步验证"), ("en", "Two-factor login")])
def test_the_verify_page_speaks_both_languages(people, client, password_login, enrolled, language, text):
    password_login("handler")
    response = client.get("/account/verify/", HTTP_ACCEPT_LANGUAGE=language)
    assert text in response.content.decode()
