"""PNG plots of verl's step metrics and of ``medu1 analyze`` tables (matplotlib, Agg backend).

verl's metrics are read by :mod:`med_u1.training.metrics` (its file logger's JSONL or its
console logger's lines); a run folder's attempts are merged by :mod:`med_u1.training.run_folder`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from med_u1.analysis.behaviour import STAGES
from med_u1.errors import UserError
from med_u1.training.metrics import by_step, read_metrics_lines
from med_u1.training.run_folder import FIRST_METRICS as METRICS_FILE
from med_u1.training.run_folder import RunFolder

REWARD_KEYS = ("critic/score/mean", "critic/rewards/mean")
LENGTH_KEY = "response_length/mean"
COMPONENT_KEY = re.compile(r"^val-(?:aux|core)/(?P<source>.+)/(?P<part>score|format|length|acc)/mean@1$")


def read_metrics(path: Path) -> dict[int, dict[str, float]]:
    """verl's metrics by step: a run folder (every attempt's file), a file-logger file or a console log."""
    folder = RunFolder(path)
    if path.is_dir() and folder.metrics_files():
        steps = folder.step_metrics()
    elif path.is_file():
        steps = by_step(read_metrics_lines(path))
    else:
        raise UserError(f"{path}: no metrics file (give a run folder with {METRICS_FILE} or a metrics/console log file)")
    if not steps:
        raise UserError(f"{path}: no verl step metrics found")
    return steps


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def series(steps: dict[int, dict[str, float]], key: str) -> tuple[list[int], list[float]]:
    xs = [step for step in sorted(steps) if key in steps[step]]
    return xs, [steps[step][key] for step in xs]


def save(figure, path: Path) -> Path:
    """Write ``figure`` as a PNG (integer steps on every x axis) and close it."""
    from matplotlib.ticker import FixedLocator, MaxNLocator

    for axis in figure.axes:
        if not isinstance(axis.xaxis.get_major_locator(), FixedLocator):  # stage bars keep their labels
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot().close(figure)
    return path


def plot_reward_and_length(steps: dict[int, dict[str, float]], path: Path) -> Path | None:
    """Training reward (left axis) and mean response length in tokens (right axis) against step."""
    reward_key = next((key for key in REWARD_KEYS if any(key in m for m in steps.values())), None)
    if reward_key is None and not any(LENGTH_KEY in m for m in steps.values()):
        return None
    plt = pyplot()
    figure, left = plt.subplots(figsize=(6.4, 3.6))
    if reward_key:
        xs, ys = series(steps, reward_key)
        left.plot(xs, ys, "o-", color="tab:blue", label=reward_key)
    left.set_xlabel("training step")
    left.set_ylabel(f"reward ({reward_key})" if reward_key else "reward", color="tab:blue")
    right = left.twinx()
    xs, ys = series(steps, LENGTH_KEY)
    right.plot(xs, ys, "s--", color="tab:orange", label=LENGTH_KEY)
    right.set_ylabel("response length (tokens)", color="tab:orange")
    left.set_title("Reward and response length")
    return save(figure, path)


def components_by_source(steps: dict[int, dict[str, float]]) -> dict[str, dict[str, str]]:
    """``source -> part -> metric key`` for verl's per-source validation metrics."""
    found: dict[str, dict[str, str]] = {}
    for metrics in steps.values():
        for key in metrics:
            match = COMPONENT_KEY.match(key)
            if match:
                found.setdefault(match.group("source"), {})[match.group("part")] = key
    return found


COMPONENT_PARTS = ("score", "format", "length", "acc")
_LINE_STYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D")


def distinct_line_style(index: int) -> dict:
    """Line, marker and size of the ``index``-th series of a panel: hollow markers shrinking from
    one series to the next and a dash pattern each, so series that coincide stay visible."""
    return {
        "linestyle": _LINE_STYLES[index % len(_LINE_STYLES)],
        "marker": _MARKERS[index % len(_MARKERS)],
        "markersize": 10 - 2 * (index % len(_MARKERS)),
        "markerfacecolor": "none",
        "markeredgewidth": 1.5,
        "linewidth": 1.5,
    }


def sparse_ticks(axis, positions: list[int], labels: list[str], most: int = 12) -> None:
    """At most ``most`` x tick labels, evenly spaced and always including the last position."""
    stride = max(1, -(-len(positions) // most))
    shown = positions[::stride]
    if shown and shown[-1] != positions[-1]:  # end on the last position, dropping a label too close to it
        shown = [*shown[:-1], positions[-1]] if positions[-1] - shown[-1] < stride / 2 else [*shown, positions[-1]]
    axis.set_xticks(shown, [labels[p] for p in shown])


def plot_components(steps: dict[int, dict[str, float]], path: Path) -> Path | None:
    """One panel per data source: validation score, format, length and accuracy against step."""
    sources = components_by_source(steps)
    if not sources:
        return None
    plt = pyplot()
    columns = min(2, len(sources))
    rows = (len(sources) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.0 * rows), squeeze=False)
    for axis, source in zip(axes.flat, sorted(sources)):
        for index, part in enumerate(COMPONENT_PARTS):
            if part in sources[source]:
                xs, ys = series(steps, sources[source][part])
                axis.plot(xs, ys, **distinct_line_style(index), label=part)
        axis.set_title(source, fontsize=9)
        axis.set_xlabel("step")
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[len(sources) :]:
        axis.set_visible(False)
    figure.suptitle("Validation reward components per data source (mean@1)")
    return save(figure, path)


def rows_by_series(rows: Iterable[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["series"], []).append(row)
    return grouped


def plot_stages(rows: list[dict], path: Path) -> Path | None:
    """Stacked stage shares (left axis) and self-verification rate (right axis) per step, a panel per series."""
    grouped = rows_by_series(rows)
    if not grouped:
        return None
    plt = pyplot()
    figure, axes = plt.subplots(len(grouped), 1, figsize=(7.0, 3.2 * len(grouped)), squeeze=False)
    for axis, (name, series_rows) in zip(axes.flat, grouped.items()):
        positions = list(range(len(series_rows)))
        bottom = [0.0] * len(series_rows)
        for stage in STAGES:
            shares = [row[f"stage:{stage}"] or 0.0 for row in series_rows]
            axis.bar(positions, shares, bottom=bottom, label=stage)
            bottom = [b + s for b, s in zip(bottom, shares)]
        sparse_ticks(axis, positions, [row["label"] for row in series_rows])
        axis.set_xlabel("step")
        axis.set_ylim(0, 1.05)
        axis.set_ylabel("share of responses")
        axis.set_title(f"MED-RLVR stages: {name}", fontsize=9)
        right = axis.twinx()
        (line,) = right.plot(
            positions, [row["self_verification_rate"] or 0.0 for row in series_rows], "k^-", label="self-verification rate"
        )
        right.set_ylim(0, 1.05)
        right.set_ylabel("self-verification rate")
        handles, labels = axis.get_legend_handles_labels()
        axis.legend([*handles, line], [*labels, line.get_label()], fontsize=6, loc="upper left", bbox_to_anchor=(1.12, 1.0))
    return save(figure, path)


#: How ``medu1 analyze`` counted response lengths (its ``tokens_counted`` field) -> axis wording.
LENGTH_UNITS = {
    "given": "tokens as generated",
    "tokenizer": "decoded text re-tokenised",
    "words": "white-space words",
}


def length_unit(rows: list[dict]) -> str:
    """What the rows' lengths count; several counters are named together."""
    counted = sorted({row.get("tokens_counted") or "words" for row in rows})
    return "; ".join(LENGTH_UNITS.get(value, "mixed counters") for value in counted)


def plot_behaviour(rows: list[dict], path: Path) -> Path | None:
    """Mean response length and reflection markers per 1,000 tokens against step, a line per series."""
    grouped = rows_by_series(rows)
    if not grouped:
        return None
    plt = pyplot()
    figure, (length_axis, marker_axis) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    for index, (name, series_rows) in enumerate(grouped.items()):
        steps = [row["step"] for row in series_rows]
        style = distinct_line_style(index)
        length_axis.plot(steps, [row["mean_tokens"] for row in series_rows], **style,
                         label=f"{name} ({length_unit(series_rows)})")
        marker_axis.plot(steps, [row["reflection_per_1k_tokens"] or 0.0 for row in series_rows], **style, label=name)
    length_axis.set_title("mean response length (legend: how it was counted)", fontsize=9)
    marker_axis.set_title("reflection markers per 1,000 tokens", fontsize=9)
    for axis in (length_axis, marker_axis):
        axis.set_xlabel("step")
        axis.legend(fontsize=7)
    return save(figure, path)


def plot_analysis(rows: list[dict], out_dir: Path) -> list[Path]:
    """The plots of ``medu1 analyze``'s per-step rows."""
    made = [plot_stages(rows, out_dir / "stages.png"), plot_behaviour(rows, out_dir / "behaviour.png")]
    return [path for path in made if path is not None]


def plot_run(metrics_source: Path, out_dir: Path, analysis_dir: Path | None = None) -> list[Path]:
    """The plots of ``medu1 plot``: reward and length, components per source, and stages when analysed."""
    steps = read_metrics(metrics_source)
    made = [
        plot_reward_and_length(steps, out_dir / "reward_length.png"),
        plot_components(steps, out_dir / "components.png"),
    ]
    if analysis_dir is not None:
        made.append(plot_stages(read_analysis_rows(analysis_dir), out_dir / "stages.png"))
    return [path for path in made if path is not None]


def read_analysis_rows(analysis_dir: Path) -> list[dict]:
    """The per-step rows of a ``medu1 analyze`` output folder (or its ``steps.json``)."""
    path = analysis_dir / "steps.json" if analysis_dir.is_dir() else analysis_dir
    try:
        return json.loads(path.read_text(encoding="utf-8"))["steps"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path}: not a `medu1 analyze` steps.json ({error})") from error
