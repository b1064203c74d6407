"""Two dispatchers press “dispatch” on the same page at the same instant, through the web: one wins,
the other is shown the conflict message and the case as it now is (PostgreSQL: row locks)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.people.models import Role
from civicgrid.people.services import assign_role, create_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write transaction, so two writers never overlap; run on PostgreSQL",
    ),
]


def test_two_dispatchers_at_once_through_the_web(city, people, rule):
    second = create_user("dispatcher2", "pw-dispatcher2")
    assign_role(second, Role.STREET_DISPATCHER, area=city.street)
    case = services.intake(channel="resident_app", description="门口乱停车", unit=city.unit).case
    seen = case.version
    url = reverse("cases:staff_act", args=[case.pk, "dispatch"])
    clients = []
    for user, dept in ((people.dispatcher, city.dept), (second, city.dept2)):
        client = Client()
        client.force_login(user)
        clients.append((client, {"dispatch-expected_version": seen, "dispatch-department": dept.pk}))
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def press(i):
        client, data = clients[i]
        try:
            barrier.wait()
            responses[i] = client.post(url, data)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert all(r is not None and r.status_code == 302 for r in responses), responses
    texts = [" ".join(str(m) for m in r.wsgi_request._messages) for r in responses]
    conflicted = [t for t in texts if "其他人已先处理了此案件" in t or "Someone else acted" in t]
    assert len(conflicted) == 1, texts
    case = Case.objects.get(pk=case.pk)
    assert case.version == seen + 1
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
