"""REST calls with a token and no session take the short middleware chain (civicgrid/core/machine.py);
the token, the permissions, the throttle and the retry rule still decide there. Calls with a session
(the browser) and the password login keep the full chain (CSRF, two-factor, axes)."""

from django.core.cache import cache

from civicgrid.cases.models import Case

REPORT = {"channel": "resident_app", "description": "楼下路灯不亮好几天了", "lng": 120.105, "lat": 30.205}


def test_a_token_report_goes_through_the_short_chain_with_its_checks(city, people, api, short_chain):
    resident = api(people.resident_user)
    first = resident.post("/api/v1/cases/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == 201, first.content
    again = resident.post("/api/v1/cases/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1
    stranger = api()
    stranger.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert stranger.post("/api/v1/cases/", REPORT, format="json").status_code == 401
    assert short_chain == ["/api/v1/cases/"] * 3


def test_the_throttle_still_holds_on_the_short_chain(city, people, api, settings, short_chain):
    settings.CIVICGRID_API_USER_RATE = "2/min"
    cache.clear()
    resident = api(people.resident_user)
    statuses = [resident.get("/api/v1/cases/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(short_chain) == 3


def test_a_session_and_the_password_login_keep_the_full_chain(city, people, client, short_chain):
    client.force_login(people.resident_user)
    assert client.get("/api/v1/cases/").status_code == 200
    client.logout()
    client.post("/api/v1/auth/token/", {"username": "resident", "password": "wrong"})
    assert short_chain == []


def test_the_short_chain_answers_with_the_security_headers(city, people, api, client, short_chain):
    answer = api(people.resident_user).get("/api/v1/cases/")
    page = client.get("/login/")
    assert short_chain == ["/api/v1/cases/"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert answer[name] == page[name], name
