"""A fresh deployment (no history, no model) routes from its first report: the category catalogue's
names and keywords give the top-3 suggestions, and the department comes from the dispatch rule."""

from civicgrid.core import outbox
from civicgrid.triage import services
from civicgrid.triage.models import Suggestion, TriageModel


def test_first_report_of_a_fresh_deployment_gets_the_right_category_and_rule_department(
    city, people, cats, rule, report
):
    assert not TriageModel.objects.exists()
    case = report(description="楼下有人乱停车，把路都堵了", category=cats.other)  # reported as 其他
    outbox.drain()
    rows = list(Suggestion.objects.filter(case=case).order_by("rank"))
    assert [r.rank for r in rows] == [1, 2, 3]
    assert rows[0].category == cats.parking
    assert rows[0].model_version == 0 and rows[0].cold_weight == 1.0
    assert rows[0].department == city.dept and rows[0].department_source == "parent rule"
    assert rows[0].confidence > rows[1].confidence >= rows[2].confidence
    assert abs(sum(r.confidence for r in rows)) <= 1.0 + 1e-6


def test_cold_start_tells_fire_lanes_rubbish_and_e_bikes_apart(city, cats, rule, report):
    expected = {
        "消防通道被堵塞了": "0501",
        "垃圾清运不及时，垃圾桶满了": "1701",
        "有人飞线给电动车充电": "0503",
    }
    for text, code in expected.items():
        case = report(description=text, category=cats.other)
        top = services.compute(case)[0]
        assert top.category.code == code, text


def test_without_a_rule_the_suggestion_says_it_is_handled_in_the_chain(city, cats, report):
    case = report(description="垃圾清运不及时，垃圾桶满了", category=cats.other)
    top = services.compute(case)[0]
    assert top.category == cats.rubbish
    assert top.department is None and top.department_source == ""
