"""Scores are normalised and ranked within a peer group only, never across types."""

from types import SimpleNamespace

from civicgrid.indices import scoring

NAMES = frozenset({"rate", "overdue"})
INDICATORS = [
    scoring.Indicator("rate", "rate", "rate", "higher_better", 3),
    scoring.Indicator("overdue", "overdue", "overdue", "lower_better", 1),
]


def area(pk, code):
    return SimpleNamespace(pk=pk, code=code)


def test_each_area_is_ranked_only_against_its_own_type():
    a, b, c, d = area(1, "a"), area(2, "b"), area(3, "c"), area(4, "d")
    groups = {1: ("mountain", "山区"), 2: ("mountain", "山区"), 3: ("urban", "主城"), 4: ("urban", "主城")}
    metrics = {
        1: {"rate": 0.5, "overdue": 10},  # best of the mountain towns, worse than every urban one
        2: {"rate": 0.4, "overdue": 12},
        3: {"rate": 0.9, "overdue": 1},
        4: {"rate": 0.8, "overdue": 2},
    }
    lines = {ln.area.code: ln for ln in scoring.score(INDICATORS, [a, b, c, d], groups, metrics, NAMES)}
    assert (lines["a"].rank, lines["a"].group_size, lines["a"].score) == (1, 2, 100.0)
    assert (lines["b"].rank, lines["b"].score) == (2, 0.0)
    assert (lines["c"].rank, lines["c"].score) == (1, 100.0)
    assert (lines["d"].rank, lines["d"].score) == (2, 0.0)


def test_scores_are_weighted_min_max_within_the_group_and_ties_share_a_rank():
    areas = [area(i, f"x{i}") for i in range(1, 5)]
    groups = {i: ("t", "t") for i in range(1, 5)}
    metrics = {
        1: {"rate": 1.0, "overdue": 4},
        2: {"rate": 0.5, "overdue": 0},
        3: {"rate": 0.5, "overdue": 0},
        4: {"rate": 0.0, "overdue": 2},
    }
    lines = {ln.area.pk: ln for ln in scoring.score(INDICATORS, areas, groups, metrics, NAMES)}
    assert lines[1].scores == {"rate": 100.0, "overdue": 0.0}
    assert lines[1].score == 75.0  # (100 × 3 + 0 × 1) / 4
    assert lines[2].score == lines[3].score == 62.5  # (50 × 3 + 100) / 4
    assert [lines[i].rank for i in (1, 2, 3, 4)] == [1, 2, 2, 4]
    assert lines[4].score == 12.5


def test_an_area_without_data_scores_zero_on_that_indicator_and_equal_values_all_score_100():
    areas = [area(1, "a"), area(2, "b")]
    groups = {1: ("t", "t"), 2: ("t", "t")}
    metrics = {1: {"rate": None, "overdue": 3}, 2: {"rate": 0.7, "overdue": 3}}
    lines = {ln.area.pk: ln for ln in scoring.score(INDICATORS, areas, groups, metrics, NAMES)}
    assert lines[1].values["rate"] is None and lines[1].scores["rate"] == 0.0
    assert lines[2].scores == {"rate": 100.0, "overdue": 100.0}
    assert lines[1].scores["overdue"] == 100.0
