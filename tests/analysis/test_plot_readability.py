"""The analysis plots read at a glance: sparse step labels, series that coincide stay visible,
the length axis names its counter. Figures are caught before they are saved and inspected."""

from __future__ import annotations

from pathlib import Path

import pytest

from med_u1.analysis import plots
from med_u1.analysis.behaviour import STAGES


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures the plot functions draw, kept open instead of written."""
    caught: list = []
    monkeypatch.setattr(plots, "save", lambda figure, path: caught.append(figure) or path)
    return caught


def step_row(step: int, counted: str = "given", series: str = "validation") -> dict:
    row = {"series": series, "step": step, "label": str(step), "mean_tokens": 20.0 + step % 3,
           "tokens_counted": counted, "reflection_per_1k_tokens": 0.0, "self_verification_rate": 0.0}
    row.update({f"stage:{stage}": 1.0 if stage == STAGES[0] else 0.0 for stage in STAGES})
    return row


def test_forty_steps_get_at_most_a_dozen_labels_ending_on_the_last(figures) -> None:
    plots.plot_stages([step_row(step) for step in range(1, 41)], Path("stages.png"))
    labels = [tick.get_text() for tick in figures[0].axes[0].get_xticklabels()]
    assert 2 <= len(labels) <= 13 and labels[0] == "1" and labels[-1] == "40"
    assert len(labels) == len(set(labels))


def test_few_steps_keep_every_label(figures) -> None:
    plots.plot_stages([step_row(step) for step in (0, 5, 10)], Path("stages.png"))
    assert [tick.get_text() for tick in figures[0].axes[0].get_xticklabels()] == ["0", "5", "10"]


def test_component_lines_differ_in_dash_marker_and_size(figures) -> None:
    steps = {step: {f"val-aux/MedQA/{part}/mean@1": 0.0 for part in ("score", "format", "length")}
             | {"val-core/MedQA/acc/mean@1": 0.0} for step in range(3)}
    plots.plot_components(steps, Path("components.png"))
    lines = figures[0].axes[0].get_lines()
    assert len(lines) == 4  # four series on the same values: each must stay visible
    assert len({line.get_linestyle() for line in lines}) == 4
    assert len({line.get_marker() for line in lines}) == 4
    assert len({line.get_markersize() for line in lines}) == 4
    assert all(line.get_markerfacecolor() == "none" for line in lines)


@pytest.mark.parametrize("counted, unit", [
    ("given", "tokens as generated"), ("tokenizer", "decoded text re-tokenised"), ("words", "white-space words"),
])
def test_the_behaviour_plot_names_the_length_counter_of_each_series(figures, counted, unit) -> None:
    rows = [step_row(step, counted) for step in range(3)] + [step_row(step, "given", "rollouts") for step in range(3)]
    plots.plot_behaviour(rows, Path("behaviour.png"))
    labels = [text.get_text() for text in figures[0].axes[0].get_legend().get_texts()]
    assert labels == [f"validation ({unit})", "rollouts (tokens as generated)"]


def test_a_series_counted_two_ways_names_both() -> None:
    rows = [step_row(1, "given"), step_row(2, "tokenizer")]
    assert plots.length_unit(rows) == "tokens as generated; decoded text re-tokenised"
