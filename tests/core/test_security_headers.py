"""Every page is sent with a strict Content-Security-Policy (no inline script), no sniffing, no
referrer to other sites, no framing; cookies are HttpOnly and SameSite, and Secure with HSTS when
civicgrid is served over TLS (CIVICGRID_TLS)."""

import os
import re
import subprocess
import sys

import pytest

PAGES = ["/login/", "/cases/report/", "/cases/wall/", "/api/v1/docs/", "/admin/login/", "/open311/v2/"]


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_security_headers(client, db, path):
    response = client.get(path)
    assert response.status_code == 200, path
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize(
    "path",
    [*PAGES, "/", "/cases/work/", "/areas/", "/dashboard/", "/dashboard/command/", "/indices/", "/admin/"],
)
def test_no_page_has_an_inline_script_or_handler(client, people, path):
    client.force_login(people.admin)
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
    assert not INLINE_HANDLER.search(html), (path, INLINE_HANDLER.search(html).group(0))


def test_the_session_and_csrf_cookies_are_httponly_and_samesite(client, people):
    response = client.post("/login/", {"username": "dispatcher", "password": "pw-dispatcher"})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    page = client.get("/cases/report/")
    csrf = page.cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


def _settings_under(env: dict) -> str:
    code = (
        "import civicgrid.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_HSTS_SECONDS', 0))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_TLS")}
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    ).stdout.split()


def test_tls_turns_on_secure_cookies_and_hsts():
    assert _settings_under({"CIVICGRID_TLS": "1"}) == ["True", "True", "31536000"]
    assert _settings_under({"CIVICGRID_TLS": "0"}) == ["False", "False", "0"]


def test_hsts_is_sent_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login/")
