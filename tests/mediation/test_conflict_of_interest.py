"""A mediator related to a party is refused with the reason: same household, same organisation,
or a declared conflict; proposals list them last with that reason."""

import pytest

from civicgrid.mediation import services
from civicgrid.mediation.models import Assignment

pytestmark = pytest.mark.django_db


def test_a_mediator_of_the_same_household_as_a_party_is_refused(med, take_in, city):
    med.committee.household = city.household
    med.committee.save()
    parties = [
        {"side": "applicant", "name": "张晓明", "household": city.household},
        {"side": "respondent", "name": "李建华"},
    ]
    d = take_in(parties=parties)
    with pytest.raises(services.ConflictOfInterest) as exc:
        services.assign(d, med.committee, med.window)
    assert "张*明" in str(exc.value) and ("同户" in str(exc.value) or "household" in str(exc.value))
    assert not Assignment.objects.filter(dispute=d).exists()


def test_a_mediator_of_the_same_organisation_as_a_party_is_refused(med, take_in):
    d = take_in(
        dispute_type="labour",
        parties=[
            {"side": "applicant", "name": "王五", "organisation": "明德律师事务所"},
            {"side": "respondent", "kind": "organisation", "name": "某建筑公司"},
        ],
    )
    with pytest.raises(services.ConflictOfInterest, match="明德律师事务所"):
        services.assign(d, med.lawyer, med.window)
    d2 = take_in(
        dispute_type="property",
        parties=[
            {"side": "applicant", "name": "赵六"},
            {"side": "respondent", "kind": "organisation", "name": "北山街道办"},
        ],
    )
    with pytest.raises(services.ConflictOfInterest, match="北山街道办"):
        services.assign(d2, med.committee, med.window)


def test_a_declared_conflict_refuses_the_mediator_and_takes_them_off_the_dispute(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    services.assign(d, med.deputy, med.window)
    services.declare_conflict(d, med.committee, med.committee_user, note="申请人是我的表亲")
    assert list(d.assignments.values_list("mediator_id", "lead")) == [(med.deputy.pk, True)]
    with pytest.raises(services.ConflictOfInterest, match="表亲"):
        services.assign(d, med.committee, med.window)


def test_proposals_rank_by_type_and_load_and_list_refused_mediators_last_with_the_reason(med, take_in):
    d = take_in(
        dispute_type="labour",
        parties=[
            {"side": "applicant", "name": "王五", "organisation": "明德律师事务所"},
            {"side": "respondent", "name": "某老板"},
        ],
    )
    proposals = services.propose(d)
    names = [p.mediator.name for p in proposals]
    assert names[0] == "钱调解员"  # a professional labour mediator from the county pool above
    last = proposals[-1]
    assert last.mediator == med.lawyer and "明德律师事务所" in last.refusal
    assert all(p.refusal is None for p in proposals[:-1])


def test_a_busy_or_unavailable_mediator_is_not_proposed(med, take_in, monday_morning):
    from datetime import date

    services.set_unavailable(med.deputy, date(2026, 3, 10), by=med.deputy_user)
    med.committee.max_open = 1
    med.committee.save()
    services.assign(take_in(), med.committee, med.window)
    d = take_in()
    by = {p.mediator.pk: p for p in services.propose(d)}
    assert "2026-03-10" in by[med.deputy.pk].refusal
    assert by[med.committee.pk].refusal and "1" in by[med.committee.pk].refusal
    with pytest.raises(services.ValidationError):
        services.assign(d, med.deputy, med.window)


def test_joint_mediation_adds_the_best_free_mediator_of_a_pool(med, take_in):
    d = take_in()
    services.assign(d, med.committee, med.window)
    services.add_from_pool(d, "deputy", med.window)
    assert set(d.assignments.values_list("mediator__pool", flat=True)) == {"committee", "deputy"}
    with pytest.raises(services.ValidationError):
        services.add_from_pool(d, "police", med.window)
