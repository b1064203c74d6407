"""Indicators are versioned data: a change is a new version, previewed before it is saved, undone in one step."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.indices import reports, services

from .conftest import INDICATORS


def test_a_change_is_saved_as_the_next_version_and_the_old_one_stays(index, people):
    changed = [dict(INDICATORS[0], weight=90), INDICATORS[1]]
    v2 = services.save_version(index, changed, by=people.supervisor, note="更重视按期办结")
    assert v2.number == 2 and index.current == v2
    assert index.versions.get(number=1).indicators[0]["weight"] == 60.0
    assert v2.created_by == people.supervisor


def test_saving_the_same_indicators_again_is_refused(index, people):
    with pytest.raises(ValidationError, match="Nothing changed"):
        services.save_version(index, INDICATORS, by=people.supervisor)


def test_bad_indicators_are_refused_with_every_problem_named_and_nothing_saved(index, people):
    bad = [
        {"code": "a", "name": "甲", "formula": "nonsense_figure", "direction": "higher_better", "weight": 1},
        {"code": "a", "name": "", "formula": "closed", "direction": "sideways", "weight": 0},
    ]
    with pytest.raises(ValidationError) as e:
        services.save_version(index, bad, by=people.supervisor)
    text = " ".join(e.value.messages)
    for expected in ("Unknown figure", "used twice", "no name", "higher is better", "weight"):
        assert expected in text
    assert index.versions.count() == 1


def test_rollback_makes_the_previous_indicators_current_as_a_new_version(index, people):
    services.save_version(index, [INDICATORS[0]], by=people.supervisor)
    v3 = services.rollback_version(index, by=people.supervisor)
    assert v3.number == 3 and v3.indicators == index.versions.get(number=1).indicators


@pytest.mark.parametrize("who", ["leader", "dispatcher", "community_staff", "handler", "outsider"])
def test_only_the_district_changes_indicators(index, people, who):
    with pytest.raises(PermissionDenied):
        services.save_version(index, [INDICATORS[0]], by=getattr(people, who))


def test_the_preview_shows_the_effect_of_a_change_before_it_is_saved(index, march, monkeypatch):
    monkeypatch.setattr(reports, "period_for", lambda idx, end=None: (march_month(), march_month()))
    only_overdue = [dict(INDICATORS[1], weight=1)]
    rows = {r.area.code: r for r in reports.preview(index, only_overdue)}
    assert set(rows) == {"330106001001", "330106001002"}
    # 葛岭 has the one overdue case: with overdue alone it ranks last; 宝石 first.
    assert rows["330106001002"].rank_draft == 2 and rows["330106001001"].rank_draft == 1
    assert index.versions.count() == 1


def march_month():
    from .conftest import MARCH

    return MARCH
