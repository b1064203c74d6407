"""One dispute in a real browser: walk-in intake at the street centre's window → a mediator
assigned from the proposals → two sessions (the first adjourned, the second agreed) → the agreement
drawn up from its template, confirmed by both parties, closed and printed → the follow-up visit.

Hooks: intake `#intake-form` (party rows `p0-…`, `p1-…`), proposals `button.assign`, `#schedule-form`,
`#record-form`, `#draft-form`, `form.confirm-party`, `#mark-agreed`, `#print-agreement`,
`form.follow-up-form`, the state badge `#state`, errors `#error`.
"""

import io
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civicgrid.core.workcalendar import add_working_days
from civicgrid.mediation.models import Dispute
from tests.mediation.conftest import build_mediation

pytestmark = pytest.mark.browser


@pytest.fixture
def med(city, people):
    return build_mediation(city, people)


def slot(days: int, hour: int) -> str:
    day = add_working_days(timezone.localdate(), days)
    return datetime.combine(day, time(hour, 0)).strftime("%Y-%m-%dT%H:%M")


def test_a_walk_in_dispute_through_two_sessions_to_a_printed_agreement_and_a_follow_up(
    page, live_server, login, med, shot
):
    login(page, "window_street")
    page.goto(f"{live_server.url}/mediation/intake/")
    form = page.locator("#intake-form")
    form.locator("select[name=centre]").select_option(str(med.street_centre.pk))
    form.locator("select[name=dispute_type]").select_option("neighbours")
    form.locator("input[name=summary]").fill("楼上漏水到楼下，协商不成")
    form.locator("textarea[name=facts]").fill("302室卫生间漏水，202室天花板受损。")
    form.locator("input[name=amount]").fill("1500")
    form.locator("input[name=p0-name]").fill("张晓明")
    form.locator("input[name=p0-phone]").fill("13812345678")
    form.locator("input[name=p1-name]").fill("李建华")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    dispute = Dispute.objects.get()
    assert f"/mediation/d/{dispute.pk}/" in page.url
    expect(page.locator("#parties")).to_contain_text("张*明")
    expect(page.locator("#parties")).not_to_contain_text("张晓明")

    with page.expect_navigation():
        page.locator("button.assign").first.click()
    expect(page.locator("#state")).to_contain_text("已分派调解员")
    expect(page.locator("#mediators")).to_contain_text("王调解")

    for n, (hour, present, outcome) in enumerate(
        [(9, ["张*明"], "adjourned"), (14, ["张*明", "李*华"], "agreement")], start=1
    ):
        sched = page.locator("#schedule-form")
        sched.locator("input[name=starts_at]").fill(slot(n, hour))
        sched.locator("input[name=place]").fill("北山街道矛调中心第一调解室")
        with page.expect_navigation():
            sched.locator("button[type=submit]").click()
        expect(page.locator("#sessions")).to_contain_text(f"第 {n} 次调解")
        record = page.locator("#record-form")
        for name in present:
            record.get_by_label(name).check()
        record.locator("textarea[name=notes]").fill(
            "被申请人未到场，改期。" if outcome == "adjourned" else "双方同意修复防水层并赔偿。"
        )
        record.locator("select[name=outcome]").select_option(outcome)
        with page.expect_navigation():
            record.locator("button[type=submit]").click()
    expect(page.locator("#state")).to_contain_text("调解中")

    draft = page.locator("#draft-form")
    expect(draft.locator("textarea[name=terms]")).not_to_be_empty()  # the type's template
    draft.locator("textarea[name=terms]").fill(
        "一、302室于约定日期前修复卫生间防水层。\n二、302室赔偿202室天花板修复费用人民币800元。"
    )
    pay_day = (timezone.localdate() + timedelta(days=14)).isoformat()
    draft.locator("input[name=date0]").fill(pay_day)
    draft.locator("input[name=what0]").fill("修复防水层并赔偿800元")
    with page.expect_navigation():
        draft.locator("button[type=submit]").click()

    with page.expect_navigation():
        page.locator("#mark-agreed").click()  # not yet: nobody has confirmed
    expect(page.locator("#error")).to_contain_text("尚未确认")
    for _ in range(2):
        with page.expect_navigation():
            page.locator("form.confirm-party button").first.click()
    with page.expect_navigation():
        page.locator("#mark-agreed").click()
    expect(page.locator("#state")).to_contain_text("调解成功")

    href = page.locator("#print-agreement").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "人民调解协议书" in text and "张晓明" in text and "赔偿202室天花板修复费用" in text

    follow = page.locator("form.follow-up-form")
    follow.locator("select[name=method]").select_option("visit")
    follow.locator("select[name=performance]").select_option("performed")
    follow.locator("input[name=note]").fill("已修复并赔付")
    with page.expect_navigation():
        follow.locator("button[type=submit]").click()
    expect(page.locator("#state")).to_contain_text("协议已履行")
    shot(page, "mediation-performed")
    dispute.refresh_from_db()
    assert dispute.state == "performed" and dispute.sessions.count() == 2
