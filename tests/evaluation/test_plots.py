"""The evaluation plots read at a glance: zero accuracies are labelled, budget sweeps keep every
benchmark visible, length histograms do not blend. Figures are caught before they are saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from med_u1.evaluation import plots
from med_u1.evaluation.report import Row


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures the plot functions draw, kept open instead of written."""
    caught: list = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: caught.append(figure) or path)
    return caught


def test_a_zero_accuracy_is_written_where_its_bar_would_stand(figures) -> None:
    rows = [Row("base", {"medqa": 0.0, "pubmedqa": 40.0}), Row("tuned", {"medqa": 25.0, "pubmedqa": 0.0})]
    plots.accuracy_per_benchmark(rows, Path("a.png"))
    texts = [(text.get_text(), round(text.get_position()[0], 2)) for text in figures[0].axes[0].texts]
    assert texts == [("0", -0.2), ("0", 1.2)]  # base on medqa, tuned on pubmedqa; none for the non-zero bars


def sweep(benchmark: str, budget: int, accuracy: float) -> dict:
    return {"benchmark": benchmark, "budget": budget, "accuracy": accuracy}


def test_budget_kinds_get_their_own_panel_and_equal_points_stand_apart(figures) -> None:
    results = [sweep(name, budget, 0.0) for name in ("medqa", "pubmedqa", "medcalc") for budget in (32, -16)]
    results += [sweep("medqa", None, 0.5), sweep("medqa", -1, 0.5)]  # the prompts' own budget and "no budget": not swept
    plots.accuracy_vs_budget(results, Path("b.png"))
    exact, maximum = figures[0].axes[:2]
    assert [exact.get_title(), maximum.get_title()] == [title for _, title in plots.BUDGET_KINDS]
    for axes, budget in ((exact, 32), (maximum, 16)):
        lines = axes.get_lines()
        assert len(lines) == 3
        xs = [line.get_xdata()[0] for line in lines]
        assert len(set(xs)) == 3 and min(xs) < budget < max(xs)  # spread around N, not on top of each other
        assert len({line.get_marker() for line in lines}) == 3
        assert [text.get_text() for text in axes.texts] == ["0", "0", "0"]


def test_only_no_budget_rows_draw_no_sweep(figures) -> None:
    assert plots.accuracy_vs_budget([sweep("medqa", -1, 0.2), sweep("medqa", None, 0.3)], Path("c.png")) is None
    assert figures == []


def test_each_budget_has_its_own_histogram_panel(figures) -> None:
    scores = [{"num_tokens": budget, "response_tokens": tokens} for budget in (256, -128) for tokens in (100, 120, 300)]
    scores.append({"num_tokens": -1, "response_tokens": 50})  # no budget: not drawn
    plots.length_vs_budget(scores, Path("d.png"))
    visible = [axes for axes in figures[0].axes if axes.get_visible()]
    assert [axes.get_title() for axes in visible] == ["exact N=256 (3 generations)", "maximum N=128 (3 generations)"]
    for axes in visible:
        assert sum(patch.get_height() for patch in axes.patches) == 3
