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
    """Grouped bars: one group per benchmark, one bar per row, 95% intervals where known.
    A zero accuracy has no bar to see, so it is written as "0" where its bar would stand."""
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
        bars = axes.bar(xs, ys, width, yerr=errors if has_interval else None, capsize=2, label=row.label)
        colour = bars.patches[0].get_facecolor() if bars.patches else None
        for x, y in zip(xs, ys):
            if y == 0:
                axes.text(x, 0.5, "0", color=colour, ha="center", va="bottom", fontsize=7, fontweight="bold")
    axes.set_xticks(range(len(columns)), [label_of(c) for c in columns], rotation=30, ha="right")
    axes.set_ylabel("accuracy (%)")
    axes.set_ylim(0, 100)
    axes.legend(fontsize="small")
    axes.set_title("Accuracy per benchmark (error bars: 95% bootstrap intervals; 0 marks a zero accuracy)")
    return _save(figure, path)


BUDGET_KINDS = (("exact", "exact budget: Think for N tokens"), ("maximum", "maximum budget: Think for maximum N tokens"))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _budget_kind(budget: int) -> str:
    return "exact" if budget > 0 else "maximum"


def _spread(position: float, index: int, count: int) -> float:
    """``position`` on a log-2 axis moved a little per series, so equal points stand side by side."""
    return position * 2 ** (0.06 * (index - (count - 1) / 2))


def accuracy_vs_budget(results: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Accuracy against the requested budget: a panel per kind of budget (exact, maximum), a line
    and marker shape per benchmark, each value written beside its marker (None without a sweep)."""
    swept = [r for r in results if r.get("budget") is not None and r["budget"] != -1]
    if not swept:
        return None
    plt = _pyplot()
    kinds = [(kind, title) for kind, title in BUDGET_KINDS if any(_budget_kind(r["budget"]) == kind for r in swept)]
    figure, panels = plt.subplots(1, len(kinds), figsize=(5.0 * len(kinds) + 1.5, 4), squeeze=False, sharey=True)
    names = column_order(list(dict.fromkeys(r["benchmark"] for r in swept)))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axes, (kind, title) in zip(panels.flat, kinds):
        budgets = sorted({abs(r["budget"]) for r in swept if _budget_kind(r["budget"]) == kind})
        for index, name in enumerate(names):
            points = sorted(
                (abs(r["budget"]), 100 * r["accuracy"]) for r in swept if r["benchmark"] == name and _budget_kind(r["budget"]) == kind
            )
            if not points:
                continue
            xs = [_spread(x, index, len(names)) for x, _ in points]
            ys = [y for _, y in points]
            axes.plot(xs, ys, marker=MARKERS[index % len(MARKERS)], markersize=7, markerfacecolor="none",
                      markeredgewidth=1.5, color=colours[index % len(colours)], label=label_of(name))
            for x, y in zip(xs, ys):
                axes.annotate(f"{y:.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7,
                              color=colours[index % len(colours)])
        axes.set_xscale("log", base=2)
        axes.set_xticks(budgets, [str(b) for b in budgets])
        axes.set_xlim(budgets[0] / 1.6, budgets[-1] * 1.6)
        axes.minorticks_off()
        axes.set_xlabel("thinking budget N (tokens)")
        axes.set_title(title, fontsize=9)
    panels.flat[0].set_ylabel("accuracy (%)")
    panels.flat[0].set_ylim(-3, 105)
    panels.flat[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    figure.suptitle("Accuracy against thinking budget")
    return _save(figure, path)


def length_vs_budget(score_rows: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Histograms of response tokens, a panel per requested budget with the budget marked (None without budgets)."""
    by_budget: dict[int, list[int]] = defaultdict(list)
    for row in score_rows:
        budget = row.get("num_tokens")
        if budget is not None and budget != -1 and row.get("response_tokens") is not None:
            by_budget[budget].append(row["response_tokens"])
    if not by_budget:
        return None
    plt = _pyplot()
    budgets = sorted(by_budget, key=lambda b: (b < 0, abs(b)))[:12]  # a sampled budget per row (training-style data) gives many
    columns = min(3, len(budgets))
    rows = -(-len(budgets) // columns)
    figure, panels = plt.subplots(rows, columns, figsize=(3.6 * columns + 0.6, 2.4 * rows + 0.8), squeeze=False,
                                  sharex=True, sharey=True)
    import numpy as np

    bins = np.histogram_bin_edges([n for b in budgets for n in by_budget[b]] + [abs(b) for b in budgets], bins=30)
    for axes, budget in zip(panels.flat, budgets):
        axes.hist(by_budget[budget], bins=bins, color="tab:blue")
        axes.axvline(abs(budget), color="tab:red", linestyle="--")
        kind = f"exact N={budget}" if budget > 0 else f"maximum N={-budget}"
        axes.set_title(f"{kind} ({len(by_budget[budget])} generations)", fontsize=9)
    for axes in list(panels.flat)[len(budgets):]:
        axes.set_visible(False)
    for axes in panels[-1]:
        axes.set_xlabel("response tokens")
    for axes in panels[:, 0]:
        axes.set_ylabel("generations")
    figure.suptitle("Response length against requested budget (red dashed line: N)")
    return _save(figure, path)


def run_plots(rows: Sequence[Row], results: Sequence[dict[str, Any]], score_rows: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """Every plot of one run that its data allows, in ``folder``."""
    made = [
        accuracy_per_benchmark(rows, folder / "accuracy_per_benchmark.png"),
        accuracy_vs_budget(results, folder / "accuracy_vs_budget.png"),
        length_vs_budget(score_rows, folder / "length_vs_budget.png"),
    ]
    return [p for p in made if p is not None]
