"""A 矛盾纠纷 case handed to mediation: the case page shows its dispute, the dispute page its case,
and the case follows the dispute to its close."""

import pytest
from django.urls import reverse

from civicgrid.cases import services as cases_services
from civicgrid.cases.models import CaseEvent, InboxMessage
from civicgrid.core import outbox
from civicgrid.mediation import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute_case(city, people):
    case = cases_services.intake(
        channel="household_visit",
        description="楼上漏水到楼下，协商不成",
        category="0701",
        unit=city.unit,
        by=people.grid_worker,
    ).case
    return cases_services.accept(case, people.community_staff)


def hand_over(med, people, case, by=None):
    return services.intake(
        centre=med.community_centre,
        by=by or people.community_staff,
        channel="case",
        case=case,
        dispute_type="neighbours",
        summary=case.description,
        parties=[{"side": "applicant", "name": "张晓明"}, {"side": "respondent", "name": "李建华"}],
    )


def test_the_case_and_the_dispute_link_to_each_other_on_their_pages(client, med, people, dispute_case):
    d = hand_over(med, people, dispute_case)
    assert d.case == dispute_case and d.channel == "case"
    assert CaseEvent.objects.filter(
        case=dispute_case, action="comment", note__contains=d.ref, public=True
    ).exists()
    client.force_login(people.community_staff)
    case_page = client.get(reverse("cases:staff_case", args=[dispute_case.pk])).content.decode()
    assert reverse("mediation:dispute", args=[d.pk]) in case_page and d.ref in case_page
    client.force_login(med.staff["community"])
    dispute_page = client.get(reverse("mediation:dispute", args=[d.pk])).content.decode()
    assert (
        reverse("cases:staff_case", args=[dispute_case.pk]) in dispute_page
        and dispute_case.ref in dispute_page
    )


def test_a_case_is_handed_over_once_and_only_to_a_centre_that_serves_its_area(med, people, dispute_case):
    hand_over(med, people, dispute_case)
    with pytest.raises(services.ValidationError):
        hand_over(med, people, dispute_case)
    with pytest.raises(services.ValidationError):
        services.intake(
            centre=med.other_centre,
            by=people.community_staff,
            channel="case",
            case=dispute_case,
            dispute_type="neighbours",
            summary="x",
            parties=[{"side": "applicant", "name": "甲"}, {"side": "respondent", "name": "乙"}],
        )
    with pytest.raises(services.PermissionDenied):
        hand_over(med, people, dispute_case, by=people.outsider)


def test_the_case_is_marked_handled_with_the_outcome_when_the_dispute_closes(med, people, dispute_case):
    services.add_staff(
        med.community_centre, people.community_staff
    )  # the community worker sits on the committee
    d = hand_over(med, people, dispute_case)
    services.assign(d, med.committee, people.community_staff)
    services.mark_failed(d, people.community_staff, reason="被申请人拒绝调解", route="litigation")
    dispute_case.refresh_from_db()
    assert (
        dispute_case.state == "handled"
        and d.ref in dispute_case.result
        and "被申请人拒绝调解" in dispute_case.result
    )


def test_the_case_holders_hear_of_the_outcome_when_the_closer_cannot_act_on_the_case(
    med, people, dispute_case
):
    d = hand_over(med, people, dispute_case)
    services.assign(d, med.committee, med.staff["community"])
    services.withdraw(d, med.staff["community"], reason="双方自行和解")
    outbox.drain()
    dispute_case.refresh_from_db()
    assert dispute_case.state == "in_progress"
    assert InboxMessage.objects.filter(user=people.community_staff, text__contains="双方自行和解").exists()


def test_the_case_page_offers_the_handover_to_those_who_hold_the_case(client, med, people, dispute_case):
    client.force_login(people.community_staff)
    page = client.get(reverse("cases:staff_case", args=[dispute_case.pk])).content.decode()
    assert reverse("mediation:from_case", args=[dispute_case.pk]) in page
    r = client.get(reverse("mediation:from_case", args=[dispute_case.pk]))
    assert r.status_code == 200 and dispute_case.ref in r.content.decode()
