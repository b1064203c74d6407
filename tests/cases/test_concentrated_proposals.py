"""Concentrated problems (集中突出): clusters proposed to the community's branch, accepted into one
case for deliberation or dismissed with a reason; who may see and decide."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from civicgrid.cases import services
from civicgrid.cases.models import Case, ClusterProposal, ClusterRule, InboxMessage, ProposalState
from civicgrid.cases.workflow import Kind, State
from civicgrid.core import outbox

TEXTS = [
    "小区东门晚上车辆乱停，消防通道被堵",
    "东门车辆乱停堵住消防通道",
    "晚上东门乱停车，消防通道堵了",
    "车辆乱停，东门消防通道被占",
    "东门口车辆乱停放，堵塞消防通道",
]


@pytest.fixture
def five(city, report, cats):
    return [report(description=t, category=cats.parking, unit=city.unit) for t in TEXTS]


def test_five_alike_reports_are_proposed_once(city, people, five, report, cats):
    report(description="垃圾桶满了没人清运", category=cats.rubbish, unit=city.unit)
    made = services.propose_clusters(community=city.community)
    assert len(made) == 1
    p = made[0]
    assert set(p.cases.all()) == set(five) and p.state == ProposalState.PROPOSED
    assert p.community == city.community and p.category_id == cats.parking.top_id
    assert InboxMessage.objects.filter(user=people.secretary).exists()
    assert services.propose_clusters(community=city.community) == []  # not twice


def test_four_are_not_enough_and_the_threshold_is_data(city, report, cats):
    for t in TEXTS[:4]:
        report(description=t, category=cats.parking, unit=city.unit)
    assert services.propose_clusters(community=city.community) == []
    ClusterRule.objects.create(area=city.street, min_cases=4, days=30, similarity=50)
    assert len(services.propose_clusters(community=city.community)) == 1


def test_the_command_and_the_periodic_job(city, five, capsys):
    assert "cases.clusters" in outbox.periodic_jobs()
    call_command("find_clusters", community=city.community.code)
    assert "1 new proposals" in capsys.readouterr().out
    assert ClusterProposal.objects.count() == 1


def test_accept_links_the_cases_to_one_concentrated_case(city, people, five):
    (p,) = services.propose_clusters(community=city.community)
    p = services.accept_proposal(p, people.secretary, note="停车难，提交议事")
    main = Case.objects.get(pk=p.concentrated_case_id)
    assert main.pk == five[0].pk
    assert main.kind == Kind.CONCENTRATED and main.flagged_for_deliberation_at
    others = Case.objects.filter(pk__in=[c.pk for c in five[1:]])
    assert all(c.state == State.MERGED and c.merged_into_id == main.pk for c in others)
    assert p.state == ProposalState.ACCEPTED and p.decided_by == people.secretary
    with pytest.raises(services.ProposalConflict):
        services.dismiss_proposal(p, people.secretary, reason="晚了")


def test_deliberation_can_take_the_accepted_case(city, people, five):
    (p,) = services.propose_clusters(community=city.community)
    services.accept_proposal(p, people.secretary)
    assert Case.objects.filter(kind=Kind.CONCENTRATED, state__in=["submitted"], pk=five[0].pk).exists()


def test_dismiss_needs_a_reason(city, people, five):
    (p,) = services.propose_clusters(community=city.community)
    with pytest.raises(ValidationError):
        services.dismiss_proposal(p, people.secretary, reason="  ")
    p.refresh_from_db()
    assert p.state == ProposalState.PROPOSED
    p = services.dismiss_proposal(p, people.secretary, reason="是不同地点的车")
    assert p.state == ProposalState.DISMISSED and p.reason == "是不同地点的车"
    assert not Case.objects.filter(kind=Kind.CONCENTRATED).exists()


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("secretary", True),
        ("community_staff", True),
        ("dispatcher", True),
        ("supervisor", True),
        ("grid_worker", False),
        ("leader", False),
        ("handler", False),
        ("resident_user", False),
        ("other_grid_worker", False),
    ],
)
def test_who_decides(city, people, five, who, may):
    (p,) = services.propose_clusters(community=city.community)
    user = getattr(people, who)
    if may:
        services.dismiss_proposal(p, user, reason="不是集中问题")
    else:
        with pytest.raises(PermissionDenied):
            services.dismiss_proposal(p, user, reason="不是集中问题")


def test_the_page_lists_and_decides(client, city, people, five):
    (p,) = services.propose_clusters(community=city.community)
    client.force_login(people.secretary)
    page = client.get(reverse("cases:proposals")).content.decode()
    assert f'id="proposal-{p.pk}"' in page and "accept-form" in page
    assert "13812345678" not in page
    bad = client.post(reverse("cases:decide_proposal", args=[p.pk, "dismiss"]), {"reason": ""})
    assert bad.status_code == 302
    p.refresh_from_db()
    assert p.state == ProposalState.PROPOSED
    client.post(reverse("cases:decide_proposal", args=[p.pk, "accept"]), {"note": ""})
    p.refresh_from_db()
    assert p.state == ProposalState.ACCEPTED


def test_the_page_is_read_only_for_the_leader_and_closed_to_residents(client, city, people, five):
    (p,) = services.propose_clusters(community=city.community)
    client.force_login(people.leader)
    page = client.get(reverse("cases:proposals")).content.decode()
    assert f'id="proposal-{p.pk}"' in page and "accept-form" not in page
    assert (
        client.post(reverse("cases:decide_proposal", args=[p.pk, "dismiss"]), {"reason": "x"}).status_code
        == 403
    )
    client.force_login(people.resident_user)
    assert client.get(reverse("cases:proposals")).status_code == 403
    client.force_login(people.other_grid_worker)  # next door's grid: not this community
    assert (
        client.post(reverse("cases:decide_proposal", args=[p.pk, "dismiss"]), {"reason": "x"}).status_code
        == 404
    )
    client.logout()
    assert client.get(reverse("cases:proposals")).status_code == 302
