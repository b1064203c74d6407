"""The agreement: drawn from the type's template, confirmed by every party before it can be marked
agreed, printable as a PDF with its Chinese text; judicial confirmation within 30 days."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from civicgrid.core import printing
from civicgrid.mediation import agreements, services
from civicgrid.mediation.models import Confirmation

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediating(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    s = services.schedule_session(
        d, med.committee_user, starts_at=services._now() + timedelta(hours=1), place="调解室"
    )
    services.record_session(
        s, med.committee_user, present=list(d.parties.all()), notes="双方到场", outcome="agreement"
    )
    d.refresh_from_db()
    return d


def test_each_type_has_its_own_template(med, take_in):
    labour = take_in(dispute_type="labour", summary="拖欠工资")
    neighbours = take_in()
    assert agreements.template_for(labour)["terms"] != agreements.template_for(neighbours)["terms"]
    assert agreements.template_for(labour)["facts"] == labour.facts


def test_an_agreement_cannot_be_marked_agreed_until_every_party_has_confirmed(med, mediating):
    d = mediating
    with pytest.raises(services.ValidationError):
        services.mark_agreed(d, med.committee_user)  # nothing drawn up yet
    services.draft_agreement(d, med.committee_user, facts="漏水", terms="修好防水层")
    first, second = d.parties.all()
    services.confirm_party(d, first, med.committee_user, method="signature")
    with pytest.raises(services.ValidationError) as exc:
        services.mark_agreed(d, med.committee_user)
    assert second.masked_name in str(exc.value)
    d.refresh_from_db()
    assert d.state == "mediating" and d.closed_at is None
    with pytest.raises(services.ValidationError):
        services.confirm_party(d, first, med.committee_user, method="window")  # only once
    services.confirm_party(d, second, med.committee_user, method="window")
    assert services.mark_agreed(d, med.committee_user).state == "agreed"


def test_redrawing_the_agreement_clears_the_confirmations(med, mediating):
    d = mediating
    services.draft_agreement(d, med.committee_user, facts="漏水", terms="修好防水层")
    services.confirm_party(d, d.parties.first(), med.committee_user, method="signature")
    services.draft_agreement(d, med.committee_user, facts="漏水", terms="修好防水层并赔偿500元")
    assert not Confirmation.objects.filter(agreement__dispute=d).exists()


def test_a_performance_date_in_the_past_is_refused(med, mediating):
    with pytest.raises(services.ValidationError):
        services.draft_agreement(
            mediating,
            med.committee_user,
            facts="x",
            terms="y",
            schedule=[{"date": date(2020, 1, 1), "what": "付款"}],
        )


def _text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_printed_agreement_carries_its_chinese_text(client, med, agreed):
    d = agreed()
    client.force_login(med.window)
    r = client.get(reverse("mediation:agreement_pdf", args=[d.pk]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = _text(r.content)
    for words in (
        "人民调解协议书",
        "张晓明",
        "李建华",
        "302室修好防水层",
        "修好防水层",
        "北山街道矛调中心",
        "王调解",
    ):
        assert words in text, words


def test_printing_falls_back_to_the_built_in_cid_font_on_a_bare_machine(monkeypatch):
    monkeypatch.setattr(printing, "FONT_CANDIDATES", ())
    monkeypatch.delenv("CIVICGRID_CJK_FONT", raising=False)
    printing.font_name.cache_clear()
    try:
        assert printing.font_name() == "STSong-Light"
        pdf = printing.render(title="人民调解协议书", blocks=[printing.Text("双方自愿达成如下协议")])
        assert "人民调解协议书" in _text(pdf) and "双方自愿达成如下协议" in _text(pdf)
    finally:
        printing.font_name.cache_clear()


def test_judicial_confirmation_is_referred_within_30_days_and_its_result_recorded(med, agreed):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False) as t:
        d = agreed()
        t.move_to(at(2026, 4, 10, 9, 0))
        with pytest.raises(services.ValidationError, match="30"):
            services.refer_judicial(d, med.window, court="西湖区人民法院", referred_on=date(2026, 4, 10))
        with pytest.raises(services.ValidationError):
            services.refer_judicial(d, med.window, court="西湖区人民法院", referred_on=date(2026, 3, 1))
        referral = services.refer_judicial(
            d, med.window, court="西湖区人民法院", referred_on=date(2026, 3, 20)
        )
        assert referral.result == "pending"
        with pytest.raises(services.ValidationError):
            services.refer_judicial(d, med.window, court="西湖区人民法院", referred_on=date(2026, 3, 21))
        referral = services.record_judicial_result(
            d, med.window, result="confirmed", result_on=date(2026, 4, 2)
        )
        assert referral.result == "confirmed"
