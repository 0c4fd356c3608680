"""matplotlib PNG plots: accuracy per benchmark across runs, accuracy against thinking budget,
and response-length histograms against the requested budget."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from med_u1.evaluation.benchmarks import column_order, label_of
from med_u1.evaluation.report import Row, table_columns


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    from med_u1.io import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=120))
    _pyplot().close(figure)
    return path


def accuracy_per_benchmark(rows: Sequence[Row], path: Path) -> Path:
    """Grouped bars: one group per benchmark, one bar per row, 95% intervals where known."""
    plt = _pyplot()
    columns = table_columns(rows)
    width = 0.8 / max(len(rows), 1)
    figure, axes = plt.subplots(figsize=(min(14.0, max(6.0, 1.3 * len(columns) + 2)), 4.5))
    for index, row in enumerate(rows):
        xs, ys, errors, has_interval = [], [], [[], []], False
        for position, column in enumerate(columns):
            if column not in row.accuracy:
                continue
            xs.append(position - 0.4 + width * (index + 0.5))
            ys.append(row.accuracy[column])
            low, high = (row.details.get(column) or {}).get("accuracy_ci95", (None, None))
            has_interval = has_interval or low is not None
            errors[0].append(ys[-1] - 100 * low if low is not None else 0)
            errors[1].append(100 * high - ys[-1] if high is not None else 0)
        axes.bar(xs, ys, width, yerr=errors if has_interval else None, capsize=2, label=row.label)
    axes.set_xticks(range(len(columns)), [label_of(c) for c in columns], rotation=30, ha="right")
    axes.set_ylabel("accuracy (%)")
    axes.set_ylim(0, 100)
    axes.legend(fontsize="small")
    axes.set_title("Accuracy per benchmark (error bars: 95% bootstrap intervals)")
    return _save(figure, path)


def accuracy_vs_budget(results: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Accuracy against the requested budget, one line per benchmark (None without a sweep)."""
    swept = [r for r in results if r.get("budget") is not None]
    if not swept:
        return None
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    by_benchmark: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in swept:
        by_benchmark[record["benchmark"]].append(record)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, name in enumerate(column_order(list(by_benchmark))):
        for kind, keep in (("exact", lambda b: b > 0), ("maximum", lambda b: b < 0)):
            points = sorted((abs(r["budget"]), 100 * r["accuracy"]) for r in by_benchmark[name] if keep(r["budget"]))
            if points:
                axes.plot(*zip(*points), marker="o", color=colours[index % len(colours)],
                          linestyle="-" if kind == "exact" else "--", label=f"{label_of(name)} ({kind})")
    axes.set_xscale("log", base=2)
    axes.set_xlabel("thinking budget N (tokens; dashed: maximum budgets)")
    axes.set_ylabel("accuracy (%)")
    axes.set_ylim(0, 100)
    axes.legend(fontsize="small")
    axes.set_title("Accuracy against thinking budget")
    return _save(figure, path)


def length_vs_budget(score_rows: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Histograms of response tokens, one per requested budget, with the budget marked (None without budgets)."""
    by_budget: dict[int, list[int]] = defaultdict(list)
    for row in score_rows:
        budget = row.get("num_tokens")
        if budget is not None and budget != -1 and row.get("response_tokens") is not None:
            by_budget[budget].append(row["response_tokens"])
    if not by_budget:
        return None
    plt = _pyplot()
    budgets = sorted(by_budget, key=abs)[:12]  # a sampled budget per row (training-style data) gives many
    figure, axes = plt.subplots(figsize=(6, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    import numpy as np

    bins = np.histogram_bin_edges([n for b in budgets for n in by_budget[b]] + [abs(b) for b in budgets], bins=30)
    for index, budget in enumerate(budgets):
        colour = colours[index % len(colours)]
        label = f"N={budget}" if budget > 0 else f"max {-budget}"
        axes.hist(by_budget[budget], bins=bins, alpha=0.45, color=colour, label=label)
        axes.axvline(abs(budget), color=colour, linestyle="--")
    axes.set_xlabel("response tokens (dashed: requested budget)")
    axes.set_ylabel("generations")
    axes.legend(fontsize="small")
    axes.set_title("Response length against requested budget")
    return _save(figure, path)


def run_plots(rows: Sequence[Row], results: Sequence[dict[str, Any]], score_rows: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """Every plot of one run that its data allows, in ``folder``."""
    made = [
        accuracy_per_benchmark(rows, folder / "accuracy_per_benchmark.png"),
        accuracy_vs_budget(results, folder / "accuracy_vs_budget.png"),
        length_vs_budget(score_rows, folder / "length_vs_budget.png"),
    ]
    return [p for p in made if p is not None]
