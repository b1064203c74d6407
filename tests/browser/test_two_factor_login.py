"""A grid worker logs in with a password, sets up an authenticator from the QR page, keeps the
recovery codes, and on the next login enters the authenticator's code; a recovery code works too."""

import base64

import pytest

from .conftest import totp_code

pytestmark = pytest.mark.browser


def _password(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    with page.expect_navigation():
        page.click("main form button.primary")


def _log_out(page):
    with page.expect_navigation():
        page.click("header form.inline button")


def test_a_grid_worker_sets_up_two_factor_and_logs_in_with_codes(page, live_server, people, shot):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _password(page, live_server, "gridworker")
    assert "/account/two-factor/set-up/" in page.url
    assert page.locator("#totp-qr svg").count() == 1  # the QR code is drawn on the server
    shot(page, "two-factor-set-up")
    secret = page.inner_text("#totp-secret").strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))

    page.fill("input[name=code]", "123456" if totp_code(key) != "123456" else "654321")
    with page.expect_navigation():
        page.click("#enrol-form button.primary")
    assert page.locator("p.error").count() == 1  # a wrong code: still on the set-up page
    page.wait_for_timeout(1100)  # django-otp makes the next try wait a second after a failure

    page.fill("input[name=code]", totp_code(key))
    with page.expect_navigation():
        page.click("#enrol-form button.primary")
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    with page.expect_navigation():
        page.click("main a.button.primary")
    assert page.url.rstrip("/") == live_server.url
    _log_out(page)

    _password(page, live_server, "gridworker")
    assert "/account/verify/" in page.url
    device = TOTPDevice.objects.get(user=people.grid_worker)
    page.fill("input[name=code]", totp_code(key, device.last_t))
    with page.expect_navigation():
        page.click("#verify-form button.primary")
    assert "/account/" not in page.url
    page.goto(f"{live_server.url}/people/households/{people.resident.household_id}/")
    assert "/account/" not in page.url and page.locator("main h1").count() >= 1
    _log_out(page)

    _password(page, live_server, "gridworker")
    page.fill("input[name=code]", codes[0])
    with page.expect_navigation():
        page.click("#verify-form button.primary")
    assert "/account/" not in page.url
    assert page.locator("ul.messages li").count() == 1  # "you used a recovery code; 9 are left"
