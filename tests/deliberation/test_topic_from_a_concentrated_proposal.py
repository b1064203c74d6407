"""An accepted concentrated-problem proposal (cases) is picked up by deliberation as a topic."""

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Category
from civicgrid.deliberation.services import topics

TEXTS = [
    "小区东门晚上车辆乱停，消防通道被堵",
    "东门车辆乱停堵住消防通道",
    "晚上东门乱停车，消防通道堵了",
    "车辆乱停，东门消防通道被占",
    "东门口车辆乱停放，堵塞消防通道",
]


def test_the_concentrated_case_of_an_accepted_proposal_becomes_a_topic(city, people):
    parking = Category.objects.get(code="0403")
    for t in TEXTS:
        case_services.intake(channel="resident_app", description=t, category=parking, unit=city.unit)
    (p,) = case_services.propose_clusters(community=city.community)
    p = case_services.accept_proposal(p, people.secretary, note="东门停车难")
    topic = topics.raise_from_cases(
        [p.concentrated_case], people.secretary, title="东门停车难", description="五位居民反映东门消防通道被占"
    )
    assert list(topic.case_links.values_list("case_id", flat=True)) == [p.concentrated_case_id]
