"""Open311 requests take the short middleware chain (civicgrid/core/machine.py), and every check that
applies to them still holds there: the api_key, its revocation, the rate limit, retries and the
security headers; the short chain serves no other page."""

import time

from django.test import RequestFactory

from civicgrid.cases.models import Case
from civicgrid.core import machine
from civicgrid.open311 import services as open311_services
from civicgrid.open311.models import ApiClient

from .test_post_requests import created

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def test_a_post_goes_through_the_short_chain_and_still_needs_a_valid_key(city, o311, post, short_chain):
    assert post(api_key="").status_code == 403
    assert post(api_key="not-a-key").status_code == 403
    created(post())
    assert short_chain == ["/open311/v2/requests.json"] * 3
    assert Case.objects.count() == 1


def test_the_short_chain_still_enforces_the_rate_limit(city, o311, post, short_chain):
    o311.client.rate_limit_per_minute = 1
    o311.client.save()
    assert [post(description=f"第{i}次").status_code for i in range(2)] == [201, 429]
    assert short_chain


def test_the_short_chain_still_answers_a_retry_with_the_first_case(city, o311, post, short_chain):
    first = created(post(headers={"Idempotency-Key": "app-7"}))
    again = created(post(headers={"Idempotency-Key": "app-7"}, description="改过的"), status=200)
    assert again["service_request_id"] == first["service_request_id"]
    body = {"description": "同一个请求", "device_id": "d-1"}
    assert (
        created(post(**body))["service_request_id"] == created(post(**body), status=200)["service_request_id"]
    )
    assert Case.objects.count() == 2


def test_a_staff_session_changes_nothing_for_open311(city, o311, post, client, people, short_chain):
    client.force_login(people.admin)
    assert post(api_key="").status_code == 403  # a session is no api_key
    created(post())
    assert len(short_chain) == 2


def test_the_short_chain_sends_the_security_headers_of_the_full_chain(city, client, short_chain):
    machine_answer = client.get("/open311/v2/services.json")
    page = client.get("/login/")
    assert short_chain == ["/open311/v2/services.json"]
    for name in SECURITY_HEADERS:
        assert machine_answer[name] == page[name], name
    assert machine_answer["Content-Language"] == "zh-hans"
    english = client.get("/open311/v2/services.json", headers={"Accept-Language": "en"})
    assert english["Content-Language"] == "en"


def test_the_short_chain_serves_no_staff_page(city, people):
    handler = machine.MachineHandler()
    for path in ("/cases/work/", "/admin/", "/", "/dashboard/", "/people/"):
        assert handler.handle(RequestFactory().get(path)).status_code == 404, path


def test_only_machine_requests_take_the_short_chain(rf):
    def request(path, **extra):
        return rf.get(path, **extra)

    token = {"HTTP_AUTHORIZATION": "Token abc"}
    assert machine.is_machine_request(request("/open311/v2/requests.json"))
    assert machine.is_machine_request(request("/api/v1/cases/", **token))
    assert not machine.is_machine_request(request("/api/v1/cases/"))  # no token: a browser's session
    with_session = request("/api/v1/cases/", **token)
    with_session.COOKIES["sessionid"] = "x"
    assert not machine.is_machine_request(with_session)
    assert not machine.is_machine_request(request("/api/v1/auth/token/", **token))  # a password login
    assert not machine.is_machine_request(request("/cases/work/", **token))
    assert not machine.is_machine_request(request("/admin/"))


def test_a_key_revoked_in_another_process_is_refused_within_the_cache_bound(city, o311, post, monkeypatch):
    now = [time.monotonic() + 10_000]  # later than any check this process made
    monkeypatch.setattr(open311_services.time, "monotonic", lambda: now[0])
    created(post())
    # Another process (another gunicorn worker, the admin) revokes: this process gets no signal.
    ApiClient.objects.filter(pk=o311.client.pk).update(revoked_at="2026-01-01T00:00:00Z")
    now[0] += open311_services.CLIENT_CACHE_SECONDS - 1
    assert post(description="还在缓存期内").status_code == 201  # the documented bound, not longer
    now[0] += 1
    assert post(description="过了缓存期").status_code == 403


def test_a_key_revoked_where_the_cache_is_shared_is_refused_within_a_second(city, o311, post, monkeypatch):
    from django.core.cache import cache

    now = [time.monotonic() + 10_000]  # later than any check this process made
    monkeypatch.setattr(open311_services.time, "monotonic", lambda: now[0])
    created(post())
    ApiClient.objects.filter(pk=o311.client.pk).update(revoked_at="2026-01-01T00:00:00Z")
    # What the revoking process's _forget writes into a shared cache (Redis): the version moves.
    cache.set(open311_services.VERSION_KEY, 12345, None)
    now[0] += open311_services.VERSION_CHECK_SECONDS
    assert post(description="已吊销").status_code == 403


def test_a_key_revoked_in_this_process_is_refused_at_once(city, o311, post):
    created(post())
    open311_services.revoke(o311.client)
    assert post(description="马上").status_code == 403
