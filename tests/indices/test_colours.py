"""Five colours from threshold rules as data: the worst rule sets the colour, and the page says why."""

import pytest
from django.core.exceptions import ValidationError

from civicgrid.areas.models import Level
from civicgrid.indices import metrics, reports, scoring, services
from civicgrid.indices.models import ColourRule


def rule(owner, **kw):
    data = dict(
        owner=owner,
        level=Level.COMMUNITY,
        name="逾期",
        formula="overdue_open",
        direction="lower_better",
        red=3,
        orange=2,
        yellow=1,
        blue=0.5,
    )
    data.update(kw)
    return ColourRule(**data)


@pytest.mark.parametrize(
    "value, colour", [(5, "red"), (3, "red"), (2.5, "orange"), (1, "yellow"), (0.7, "blue"), (0, "green")]
)
def test_lower_is_better_thresholds(city, value, colour):
    assert scoring.rule_colour(rule(city.district), value) == colour


@pytest.mark.parametrize(
    "value, colour", [(0.5, "red"), (0.65, "orange"), (0.8, "yellow"), (0.85, "blue"), (0.95, "green")]
)
def test_higher_is_better_thresholds(city, value, colour):
    r = rule(city.district, direction="higher_better", red=0.6, orange=0.7, yellow=0.8, blue=0.9)
    assert scoring.rule_colour(r, value) == colour


def test_the_worst_rule_sets_the_colour_and_is_the_reason(city):
    rules = [
        rule(city.district, name="逾期"),
        rule(
            city.district,
            name="满意率",
            formula="satisfaction_rate",
            direction="higher_better",
            red=0.6,
            orange=0.7,
            yellow=0.8,
            blue=0.9,
        ),
    ]
    result = scoring.colour_of(rules, {"overdue_open": 1, "satisfaction_rate": 0.5}, metrics.names())
    assert result.colour == "red"
    assert [r[0] for r in result.reasons] == ["满意率"]
    assert (
        scoring.colour_of(rules, {"overdue_open": None, "satisfaction_rate": None}, metrics.names()).colour
        is None
    )


def test_rules_are_checked_before_they_are_saved(city):
    with pytest.raises(ValidationError, match="Unknown figure"):
        services.save_colour_rule(rule(city.district, formula="people_watched"))
    with pytest.raises(ValidationError, match="red to blue"):
        services.save_colour_rule(rule(city.district, red=1, orange=2))
    assert not ColourRule.objects.exists()


def test_the_map_colours_each_community_from_its_own_figures(city, march):
    # Frozen on 2026-03-10: the rule reads this month, March.
    services.save_colour_rule(rule(city.district, months=1, red=1, orange=0.8, yellow=0.6, blue=0.4))
    coloured = {c.area.code: c.result for c in reports.colour_map(city.street, Level.COMMUNITY)}
    assert coloured["330106001002"].colour == "red"  # 葛岭: one case past its time limit
    assert coloured["330106001002"].reasons == [("逾期", 1.0, "red")]
    assert coloured["330106001001"].colour == "green"
