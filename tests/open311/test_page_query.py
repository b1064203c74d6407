"""PostgreSQL's hand-written page query of GET requests.json answers exactly what the ORM query does."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Category
from civicgrid.cases.workflow import FINAL_STATES, OPEN_STATES
from civicgrid.open311 import services as open311_services
from civicgrid.open311 import views
from civicgrid.open311.http import Context

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the hand-written page query is PostgreSQL's"
)


@pytest.fixture
def cases(city, people, o311, post):
    """Cases of two clients, public and not, open and closed, in two services, over three months."""
    other, other_key = open311_services.create_client(name="Other app", rate_limit_per_minute=1000)
    hidden = Category.objects.get(code="0403")
    hidden.public = False
    hidden.save()
    made = []
    for i in range(3):
        for key, code in itertools.product([o311.key, other_key], ["0501", "0403"]):
            extra = {} if code == "0501" else {"attribute[BLOCKED]": None}
            response = post(api_key=key, service_code=code, description=f"第{i}件 {code}", **extra)
            assert response.status_code == 201, response.content
            made.append(Case.objects.get(pk=int(response.json()[0]["service_request_id"].rsplit("-", 1)[1])))
    now = timezone.now()
    for n, case in enumerate(made):
        Case.objects.filter(pk=case.pk).update(reported_at=now - timedelta(days=7 * n))
    for case in made[::3]:
        case_services.register(case, people.grid_worker)
        case_services.dispatch(case, people.dispatcher, city.dept)
        case_services.accept(case, people.handler)
        case_services.mark_handled(case, people.handler, "已处置")
        case_services.verify(case, people.grid_worker, passed=True)
    return SimpleCases(o311.client, other, made)


class SimpleCases:
    def __init__(self, client, other, made):
        self.client, self.other, self.made = client, other, made


def test_the_page_query_answers_as_the_orm_query(cases, city):
    now = timezone.now()
    fire, parking = Category.objects.get(code="0501").pk, Category.objects.get(code="0403").pk
    windows = [(now - timedelta(days=90), now), (now - timedelta(days=40), now - timedelta(days=10))]
    compared = 0
    for client, category_ids, states, (start, end), (offset, limit) in itertools.product(
        [None, cases.client, cases.other],
        [None, [fire], [fire, parking]],
        [None, views._plain(OPEN_STATES), views._plain(FINAL_STATES)],
        windows,
        [(0, 50), (0, 2), (2, 3)],
    ):
        ctx = Context(fmt="json", params={}, client=client, jurisdiction="330106")
        qs = views._readable(ctx)
        if category_ids is not None:
            qs = qs.filter(category_id__in=category_ids)
        if states is not None:
            qs = qs.filter(state__in=states)
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        expected = views._rows(qs, offset, offset + limit)
        assert views._page_rows(ctx, category_ids, states, start, end, offset, limit) == expected
        compared += bool(expected)
    assert compared > 100  # most combinations find rows


def test_a_page_through_http_is_the_orm_page(cases, client, o311, monkeypatch):
    params = {"api_key": o311.key, "page_size": "2", "page": "2", "service_code": "0501,0403"}
    fast = client.get("/open311/v2/requests.json", params).json()
    monkeypatch.setattr(views, "_hand_written_page", lambda: False)
    slow = client.get("/open311/v2/requests.json", params).json()
    assert fast == slow and len(fast) == 2
