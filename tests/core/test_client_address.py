"""The client's address: REMOTE_ADDR when served directly; behind a trusted proxy, the right-most
forwarded address that is not one of our proxies; a header from anyone else is ignored. Rate limits,
the login lockout and the access log all use it."""

import pytest
import time_machine
from django.test import RequestFactory

from civicgrid.core.clientaddr import client_ip

rf = RequestFactory()


def _ip(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(rf.get("/", **meta))


def test_served_directly_the_address_is_remote_addr_and_the_header_is_ignored(settings):
    settings.CIVICGRID_TRUSTED_PROXIES = []
    assert _ip("203.0.113.5", "198.51.100.1") == "203.0.113.5"


def test_behind_a_trusted_proxy_the_forwarded_client_is_used(settings):
    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert _ip("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert _ip("127.0.0.1", "198.51.100.1, 10.1.2.3") == "198.51.100.1"  # two of our proxies


def test_addresses_a_client_wrote_into_the_header_are_not_believed(settings):
    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    assert _ip("127.0.0.1", "1.2.3.4, 198.51.100.1") == "198.51.100.1"


def test_a_request_not_from_a_proxy_cannot_choose_its_address(settings):
    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    assert _ip("203.0.113.5", "198.51.100.1") == "203.0.113.5"


def test_garbage_in_the_header_falls_back_to_the_proxy(settings):
    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    assert _ip("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert _ip("127.0.0.1", "") == "127.0.0.1"
    assert _ip("127.0.0.1", "[2001:db8::7]:443") == "2001:db8::7"


@time_machine.travel("2026-12-03 10:00:05+08:00", tick=False)  # one fixed window for the counts
def test_anonymous_report_limits_count_each_client_behind_the_proxy(settings, client, city):
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.cases.views.public import _anonymous_report_allowed

    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR = 2

    def allowed(forwarded):
        request = rf.post("/cases/report/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        request.user = AnonymousUser()
        return _anonymous_report_allowed(request)

    assert [allowed("198.51.100.1") for _ in range(3)] == [True, True, False]
    assert allowed("198.51.100.2") is True  # another resident behind the same proxy


def test_the_access_log_records_the_forwarded_client(settings, people):
    from civicgrid.core.pii import log_unmasked_view

    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    request = rf.get("/people/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    row = log_unmasked_view(
        user=people.grid_worker, subject=people.resident, fields=["phone"], reason="visit", request=request
    )
    assert row.ip == "198.51.100.9"


@pytest.mark.parametrize("path", ["/login/", "/api/v1/auth/token/"])
def test_the_login_lockout_is_per_forwarded_client(settings, client, people, path):
    from axes.models import AccessAttempt

    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(path, {"username": "dispatcher", "password": "no"}, HTTP_X_FORWARDED_FOR="198.51.100.3")
    assert AccessAttempt.objects.get(username="dispatcher").ip_address == "198.51.100.3"
    locked = client.post(
        path, {"username": "dispatcher", "password": "pw-dispatcher"}, HTTP_X_FORWARDED_FOR="198.51.100.3"
    )
    assert locked.status_code in (403, 429)
    other = client.post(
        path, {"username": "dispatcher", "password": "pw-dispatcher"}, HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert other.status_code in (200, 302)


@time_machine.travel("2026-12-03 10:00:05+08:00", tick=False)
def test_the_api_throttle_counts_the_forwarded_client(settings, client, db):
    settings.CIVICGRID_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.CIVICGRID_API_ANON_RATE = "2/min"
    one = [client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code for _ in range(3)]
    assert one == [200, 200, 429]
    assert client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
