"""Browser tests: Playwright for Python driving Debian's Chromium (never `playwright install`).

Fixtures for every app's browser tests:
  browser       one headless Chromium for the session
  page          a fresh desktop-sized context per test, in Chinese (zh-hans)
  phone_page    a fresh phone-sized context (390×844, touch) per test, in Chinese
  login         login(page, username, password=None) signs in through the real login form
                (the conftest personas' password is "pw-<username>"), then, for staff who need
                two-factor login, through the real second step: it sets up an authenticator on the
                enrol page (reading the key shown there) or enters the current TOTP code
  totp_code     totp_code(secret_bytes, last_t=-1) the authenticator's code for now (RFC 6238)
  shot          shot(page, name) saves a full-page screenshot under $CIVICGRID_SCREENSHOTS, if set

Tests use pytest-django's `live_server` (transactional; the in-memory SQLite test database is shared
with the server thread). A transactional test empties every table when it ends, data migrations'
rows too (the working-day calendar, seeded categories): `page` and `phone_page` therefore ask for a
serialized rollback, which puts those rows back before each browser test. Mark tests
`@pytest.mark.browser`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would then refuse the test's own
# (synchronous) database calls as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ZH_HEADERS = {"Accept-Language": "zh-Hans,zh;q=0.9"}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def _serialized_contents(django_db_setup, django_db_blocker):
    """The test databases' serialized contents, read before Playwright starts.

    While Playwright's event loop runs in this thread, Django hands the test code new connection
    objects (its connections are thread- and loop-local), which lack `_test_serialized_contents`.
    """
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(autouse=True)
def _serialized_rollback_survives_playwright(_serialized_contents):
    """Give the current connection objects the contents the serialized rollback restores."""
    from django.db import connections

    for alias, contents in _serialized_contents.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser(_serialized_contents):
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); CI does"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


def _page(browser, **options):
    context = browser.new_context(locale="zh-CN", extra_http_headers=ZH_HEADERS, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback):
    context, page = _page(browser, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, django_db_serialized_rollback):
    context, page = _page(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


def totp_code(key: bytes, last_t: int = -1) -> str:
    """The six-digit code an authenticator app shows now for `key` (RFC 6238, 30 s steps).

    A device accepts each time step once (django-otp remembers the last one used) and one step of
    drift: when this step was used already, the next step's code is given, or we wait for it.
    """
    import time

    from django_otp.oath import hotp

    now_t = int(time.time()) // 30
    if last_t >= now_t + 1:
        time.sleep(30 - time.time() % 30 + 0.2)
        now_t += 1
    step = max(now_t, last_t + 1)
    return f"{hotp(key, step, digits=6):06d}"  # TOTP is HOTP of the time step


@pytest.fixture(name="totp_code")
def totp_code_fixture():
    return totp_code


def pass_second_factor(page, username: str) -> None:
    """On the verify or enrol page after the password: enter a right code, as a person would."""
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    if "/account/two-factor/set-up/" in page.url:
        secret = page.inner_text("#totp-secret").strip()
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        page.fill("input[name=code]", totp_code(key))
        with page.expect_navigation():
            page.click("#enrol-form button.primary")
        assert page.locator("#recovery-codes li").count() == 10
        with page.expect_navigation():
            page.click("main a.button.primary")
    elif "/account/verify/" in page.url:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.fill("input[name=code]", totp_code(device.bin_key, device.last_t))
        with page.expect_navigation():
            page.click("#verify-form button.primary")
    assert "/account/" not in page.url, f"two-factor login failed for {username}"


@pytest.fixture
def login(live_server):
    def login(page, username: str, password: str | None = None):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password or f"pw-{username}")
        with page.expect_navigation():
            page.click("main form button.primary")
        assert "/login/" not in page.url, f"login failed for {username}"
        pass_second_factor(page, username)
        return page

    return login


@pytest.fixture
def shot():
    folder = os.environ.get("CIVICGRID_SCREENSHOTS")

    def shot(page, name: str):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return shot
