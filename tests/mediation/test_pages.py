"""The mediation pages render for the people who work them, in Chinese and in English, and the
action forms drive the services (bad input: a clear error, nothing changed)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.core.models import AccessLog
from civicgrid.mediation import services
from civicgrid.mediation.models import Dispute

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("lang,word", [("zh-hans", "调解"), ("en", "Mediation")])
def test_every_page_renders_in_both_languages(client, med, agreed, lang, word):
    d = agreed()
    login(client, med.window)
    client.cookies["django_language"] = lang
    headers = {"HTTP_ACCEPT_LANGUAGE": lang}
    for url in [
        reverse("mediation:index"),
        reverse("mediation:index") + "?state=all",
        reverse("mediation:intake"),
        reverse("mediation:dispute", args=[d.pk]),
        reverse("mediation:figures"),
        reverse("home"),
    ]:
        r = client.get(url, **headers)
        assert r.status_code == 200, url
        assert word in r.content.decode(), url


def test_walk_in_intake_through_the_form_creates_the_dispute_and_masks_the_parties(client, med):
    login(client, med.window)
    data = {
        "centre": med.street_centre.pk,
        "channel": "walk_in",
        "dispute_type": "neighbours",
        "summary": "邻居装修噪音扰民",
        "facts": "夜间施工",
        "amount": "",
        "urgency": "risk",
        "p0-side": "applicant",
        "p0-kind": "person",
        "p0-name": "张晓明",
        "p0-phone": "13812345678",
        "p1-side": "respondent",
        "p1-kind": "person",
        "p1-name": "李建华",
        "p1-phone": "",
        "p2-side": "applicant",
        "p2-kind": "person",
        "p3-side": "respondent",
        "p3-kind": "person",
    }
    r = client.post(reverse("mediation:intake"), data)
    assert r.status_code == 302
    d = Dispute.objects.get()
    assert d.urgency == "risk" and d.parties.count() == 2
    page = client.get(r["Location"]).content.decode()
    assert "张*明" in page and "张晓明" not in page and "138****5678" in page


def test_a_bad_intake_shows_the_reason_and_writes_nothing(client, med):
    login(client, med.window)
    r = client.post(
        reverse("mediation:intake"),
        {
            "centre": med.street_centre.pk,
            "channel": "court",
            "dispute_type": "labour",
            "summary": "欠薪",
            "urgency": "normal",
            "p0-side": "applicant",
            "p0-kind": "person",
            "p0-name": "张三",
            "p1-side": "respondent",
            "p1-kind": "organisation",
            "p1-name": "某公司",
            "p2-side": "applicant",
            "p2-kind": "person",
            "p3-side": "respondent",
            "p3-kind": "person",
        },
    )
    assert r.status_code == 400
    assert "referral number" in r.content.decode() or "编号" in r.content.decode()
    assert not Dispute.objects.exists()


def test_revealing_the_parties_logs_each_view_and_printing_logs_too(client, med, agreed):
    d = agreed()
    login(client, med.committee_user)
    r = client.post(reverse("mediation:reveal", args=[d.pk]), {"reason": "通知当事人"})
    assert r.status_code == 200 and "张晓明" in r.content.decode()
    assert AccessLog.objects.filter(user=med.committee_user, subject_type="mediation.party").count() == 2
    r = client.get(reverse("mediation:agreement_pdf", args=[d.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert AccessLog.objects.filter(user=med.committee_user, subject_type="mediation.party").count() == 4


def test_the_action_forms_walk_a_dispute_and_a_session_in_the_past_is_refused(client, med, take_in):
    d = take_in()
    login(client, med.window)
    r = client.post(
        reverse("mediation:act", args=[d.pk, "assign"]), {"mediator": med.committee.pk, "version": d.version}
    )
    assert r.status_code == 302
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(reverse("mediation:act", args=[d.pk, "schedule"]), {"starts_at": past, "place": "调解室"})
    assert r.status_code == 400 and ("past" in r.content.decode() or "过去" in r.content.decode())
    assert not d.sessions.exists()
    r = client.post(reverse("mediation:act", args=[d.pk, "agreed"]), {})
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.state == "assigned"


def test_a_stale_form_gets_a_conflict_not_a_second_action(client, med, take_in):
    d = take_in()
    login(client, med.window)
    services.assign(d, med.committee, med.head)
    r = client.post(
        reverse("mediation:act", args=[d.pk, "withdraw"]), {"reason": "双方和解", "version": d.version}
    )
    assert r.status_code == 409
    d.refresh_from_db()
    assert d.state == "assigned"
