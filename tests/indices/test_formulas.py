"""Indicator formulas: arithmetic over figures, checked before they are saved, never invented."""

import pytest

from civicgrid.indices import formulas

NAMES = frozenset({"closed", "reported", "households", "on_time_rate"})


def value(text, **values):
    return formulas.evaluate(formulas.parse(text, NAMES), values)


def test_arithmetic_over_figures():
    assert value("closed / reported * 100", closed=3, reported=4) == 75.0
    assert value("-(closed - reported) + 1", closed=3, reported=4) == 2.0
    assert value("max(closed, 10) - min(reported, 2)", closed=3, reported=4) == 8.0


def test_a_figure_without_data_makes_no_data_unless_default_covers_it():
    assert value("on_time_rate * 100", on_time_rate=None) is None
    assert value("default(on_time_rate, 1) * 100", on_time_rate=None) == 100.0
    assert value("default(on_time_rate, 1) * 100", on_time_rate=0.5) == 50.0


def test_division_by_zero_is_no_data():
    assert value("closed / households", closed=3, households=0) is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("closed +", "not a valid"),
        ("unknown_figure * 2", "Unknown figure"),
        ("closed.__class__", "other than"),
        ("__import__('os')", "Only min"),
        ("closed ** 2", "Only +"),
        ("'text'", "Only numbers"),
        ("default(closed)", "default()"),
        ("closed if reported else 0", "other than"),
    ],
)
def test_a_bad_formula_is_refused_with_a_reason(text, message):
    with pytest.raises(formulas.FormulaError, match=message):
        formulas.parse(text, NAMES)
