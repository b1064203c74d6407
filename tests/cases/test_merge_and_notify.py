"""Merging duplicates, and the notifications the worker sends (inbox, email, signed webhooks)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from civicgrid.cases import services
from civicgrid.cases.models import Case, InboxMessage, WebhookEndpoint
from civicgrid.cases.notify import sign
from civicgrid.cases.workflow import State
from civicgrid.core import outbox
from civicgrid.core.models import OutboxEvent


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_duplicates_follow_the_main_case_and_their_reporters_hear_its_feedback(city, people):
    main = services.intake(
        channel="resident_app", description="路灯不亮", unit=city.unit, by=people.resident_user
    ).case
    dup = services.intake(
        channel="hotline",
        description="路灯不亮",
        area=city.street,
        by=people.dispatcher,
        contact_email="a@example.org",
    ).case
    main_after = services.merge([dup], main, people.dispatcher, note="同一路灯")
    dup.refresh_from_db()
    assert dup.state == State.MERGED and dup.merged_into == main_after
    assert dup.shown_state == State.SUBMITTED
    case = services.dispatch(main, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    outbox.drain()
    mail.outbox.clear()
    InboxMessage.objects.all().delete()
    services.mark_handled(case, people.handler, "已更换灯泡")
    outbox.drain()
    dup.refresh_from_db()
    assert dup.shown_state == State.HANDLED
    assert InboxMessage.objects.filter(user=people.resident_user, case=main).exists()
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert "已更换灯泡" in mail.outbox[0].body


def test_merging_into_a_merged_case_goes_to_its_main_case(city, people, report):
    a, b, c = report(), report(), report()
    services.merge([b], a, people.dispatcher)
    services.merge([c], b, people.dispatcher)
    assert Case.objects.get(pk=c.pk).merged_into_id == a.pk


def test_merge_needs_other_cases_and_an_open_main_case(city, people, report):
    a, b = report(), report()
    with pytest.raises(ValidationError):
        services.merge([a], a, people.dispatcher)
    services.not_accept(b, people.grid_worker, "无效")
    with pytest.raises(ValidationError):
        services.merge([a], b, people.dispatcher)


def test_dispatch_reaches_the_department_by_inbox_and_email(city, people, report):
    case = report()
    outbox.drain()
    mail.outbox.clear()
    services.dispatch(case, people.dispatcher, city.dept, assisting=[city.dept2])
    outbox.drain()
    assert set(InboxMessage.objects.filter(case=case).values_list("user__username", flat=True)) >= {
        "handler",
        "handler2",
    }
    assert [m.to for m in mail.outbox] == [["cg@example.org"]]


def test_an_emergency_reaches_community_street_and_district_at_once(city, people):
    services.intake(
        channel="grid_patrol", description="燃气泄漏", unit=city.unit, by=people.grid_worker, kind="emergency"
    )
    outbox.drain()
    notified = set(InboxMessage.objects.values_list("user__username", flat=True))
    assert {"community", "dispatcher", "supervisor"} <= notified


def test_a_new_report_is_announced_in_words_not_by_its_outbox_topic(city, people):
    services.intake(
        channel="grid_patrol", description="燃气泄漏", unit=city.unit, by=people.grid_worker, kind="emergency"
    )
    outbox.drain()
    texts = list(InboxMessage.objects.values_list("text", flat=True))
    assert texts and all("reported" not in t for t in texts)
    assert all("上报" in t for t in texts)


def test_the_reporter_hears_that_a_case_was_not_accepted(city, people, report):
    case = report()
    services.not_accept(case, people.grid_worker, "属于物业合同纠纷")
    outbox.drain()
    msg = InboxMessage.objects.get(user=people.resident_user, case=case)
    assert "属于物业合同纠纷" in msg.text


def test_inbox_messages_can_be_marked_read(city, people, report):
    services.not_accept(report(), people.grid_worker, "重复")
    outbox.drain()
    assert services.mark_inbox_read(people.resident_user) == 1
    assert not InboxMessage.objects.filter(read_at__isnull=True, user=people.resident_user).exists()


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture
def receiver():
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver.received
    server.shutdown()


def test_webhooks_are_signed_with_hmac_sha256(city, people, report, receiver):
    url, received = receiver
    WebhookEndpoint.objects.create(name="SMS", url=url, secret="s3cret", topics=["case.dispatch"])
    case = report()
    services.dispatch(case, people.dispatcher, city.dept)
    outbox.drain()
    assert len(received) == 1
    headers, body = received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Civicgrid-Signature"] == expected == sign("s3cret", body)
    payload = json.loads(body)
    assert payload["topic"] == "case.dispatch" and payload["case"] == case.ref
    assert "contact" not in body.decode() and "13812345678" not in body.decode()
    assert WebhookEndpoint.objects.get().last_status == "HTTP 204"


def test_a_failing_webhook_is_retried_on_its_own(city, people, report):
    WebhookEndpoint.objects.create(name="down", url="http://127.0.0.1:9/none", secret="x")
    case = report()
    outbox.drain()
    delivery = OutboxEvent.objects.filter(topic="webhook.deliver").first()
    assert delivery.attempts == 1 and delivery.done_at is None and delivery.last_error
    assert OutboxEvent.objects.get(topic="case.reported").done_at is not None
    assert InboxMessage.objects.filter(case=case).count() == 1  # not sent twice by the retry


def test_rows_hanging_off_a_case_carry_its_jurisdiction(city, people, report):
    from civicgrid.cases.models import CaseEvent, ExtensionRequest, SupervisionOrder

    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.request_extension(case, people.handler, 8, "需要协调")
    services.supervise(case, people.supervisor, note="请加快")
    for model in (CaseEvent, ExtensionRequest, SupervisionOrder):
        assert set(model.objects.filter(case=case).values_list("jurisdiction", flat=True)) == {"330106"}, (
            model
        )
