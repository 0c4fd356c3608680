"""Report tables: rows are runs (one per budget when swept), columns are benchmarks in the
Medical R1-Zero table's order, then the others, then the mean. Markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from med_u1.errors import UserError
from med_u1.evaluation.benchmarks import column_order, label_of
from med_u1.evaluation.rundir import CONFIG, METRICS

FORMATS = ("md", "csv", "json")

#: Published accuracies (%) of the Medical R1-Zero report (arXiv 2504.13950), Tab. 1 as given in
#: Qsingle/open-medical-r1 README.md at commit d4daaea2072581735b58c69dcc7198838fd2b848.
#: Dataset1-3 are HuatuoGPT-o1-7B trained with GRPO on that report's three training sets.
PUBLISHED = {
    "r1zero": {
        "source": "Medical R1-Zero (arXiv 2504.13950), Tab. 1; Qsingle/open-medical-r1 README.md at d4daaea",
        "rows": {
            "QwQ-32B": (67.32, 80.13, 75.80, 73.88, 60.77, 20.92),
            "HuatuoGPT-o1-7B": (63.57, 71.56, 78.50, 67.17, 52.56, 15.51),
            "R1-Zero Dataset1": (51.64, 55.53, 74.70, 58.04, 41.79, 14.89),
            "R1-Zero Dataset2": (52.61, 54.91, 76.80, 58.17, 45.38, 15.36),
            "R1-Zero Dataset3": (55.01, 56.48, 76.50, 50.81, 36.66, 12.60),
        },
        "benchmarks": ("medmcqa", "medqa", "pubmedqa", "mmlu_pro", "gpqa", "medxpertqa"),
    }
}


@dataclass
class Row:
    """One table row: a label and accuracy (%) per benchmark name; ``source`` for published rows."""

    label: str
    accuracy: dict[str, float]
    source: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def mean(self, columns: Sequence[str]) -> float | None:
        values = [self.accuracy[c] for c in columns if c in self.accuracy]
        return sum(values) / len(values) if values else None


def model_name(model: str) -> str:
    """The last part of a model path or Hub id."""
    return Path(str(model).rstrip("/")).name or str(model)


def run_name(config: dict[str, Any]) -> str:
    """A run's row label: its recorded name, else the model's."""
    return config.get("name") or model_name(config.get("model", "?"))


def load_run(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config, metrics)`` of a run directory; a missing or unreadable file is a UserError."""
    files = []
    for name in (CONFIG, METRICS):
        file = Path(path) / name
        if not file.is_file():
            raise UserError(f"{path}: no {name}; is it a `medu1 eval` run directory (finished at least once)?")
        try:
            files.append(json.loads(file.read_text(encoding="utf-8")))
        except json.JSONDecodeError as error:
            raise UserError(f"{file}: not valid JSON ({error.msg})") from None
    return files[0], files[1]


def run_rows(config: dict[str, Any], metrics: dict[str, Any], label: str | None = None) -> list[Row]:
    """One Row per budget of a run (``name @N`` for a swept budget)."""
    name = label or run_name(config)
    by_budget: dict[Any, Row] = {}
    for record in metrics.get("results", []):
        budget = record.get("budget")
        row = by_budget.setdefault(budget, Row(name if budget is None else f"{name} @{budget}", {}))
        row.accuracy[record["benchmark"]] = 100.0 * record["accuracy"]
        row.details[record["benchmark"]] = record
    return [by_budget[b] for b in sorted(by_budget, key=lambda b: (b is not None, abs(b) if b is not None else 0))]


def published_rows(name: str) -> list[Row]:
    if name not in PUBLISHED:
        raise UserError(f"unknown published table {name!r}; known: {', '.join(PUBLISHED)}")
    table = PUBLISHED[name]
    return [Row(label, dict(zip(table["benchmarks"], values)), table["source"]) for label, values in table["rows"].items()]


def collect_rows(run_dirs: Sequence[Path], published: Sequence[str] = ()) -> list[Row]:
    """Rows of every run directory (labels made unique with the folder name), then published rows."""
    loaded = [(Path(d), *load_run(Path(d))) for d in run_dirs]
    names = [run_name(config) for _, config, _ in loaded]
    rows: list[Row] = []
    for (path, config, metrics), name in zip(loaded, names):
        label = f"{name} ({path.name})" if names.count(name) > 1 else name
        rows.extend(run_rows(config, metrics, label))
    for table in published:
        rows.extend(published_rows(table))
    return rows


def table_columns(rows: Sequence[Row]) -> list[str]:
    return column_order({name for row in rows for name in row.accuracy})


def _cell(value: float | None) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def render(rows: Sequence[Row], fmt: str = "md") -> str:
    """The table as Markdown (with the published rows' sources as notes), CSV or JSON."""
    if fmt not in FORMATS:
        raise UserError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")
    columns = table_columns(rows)
    if fmt == "json":
        payload = [
            {"row": r.label, "source": r.source, "accuracy": {c: r.accuracy.get(c) for c in columns}, "mean": r.mean(columns)}
            for r in rows
        ]
        return json.dumps(payload, indent=2) + "\n"
    header = ["model", *[label_of(c) for c in columns], "mean"]
    body = [[r.label, *[_cell(r.accuracy.get(c)) for c in columns], _cell(r.mean(columns))] for r in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([header, *body])
        return buffer.getvalue()
    from tabulate import tabulate

    text = tabulate(body, headers=header, tablefmt="github", disable_numparse=True) + "\n"
    sources = sorted({r.source for r in rows if r.source})
    notes = "".join(f"\nPublished rows: {source}.\n" for source in sources)
    return text + "\nAccuracy (%); each row's mean is over the benchmarks it has.\n" + notes


def details_table(rows: Sequence[Row]) -> str:
    """Markdown: every metric of each run row and benchmark (what report.md shows below the table)."""
    from tabulate import tabulate

    lines = []
    for row in rows:
        for name in column_order(list(row.details)):
            record = row.details[name]
            low, high = record["accuracy_ci95"]
            passes = ", ".join(f"{k} {100 * v:.1f}" for k, v in record.items() if k.startswith(("pass@", "maj@")))
            adherence = _adherence(record)
            lines.append([
                row.label, label_of(name), record["items"], record["generations"],
                f"{100 * record['accuracy']:.2f} [{100 * low:.1f}, {100 * high:.1f}]",
                f"{100 * record['format_rate']:.1f}", f"{100 * record['unparseable_rate']:.1f}",
                _percent(record["truncated_rate"]),
                _tokens(record),
                adherence, passes,
            ])
    headers = ["run", "benchmark", "items", "gens", "accuracy % [95% CI]", "format %", "unparseable %", "truncated %",
               "tokens mean/p50/p90", "budget adherence", "pass@k / maj@k %"]
    return tabulate(lines, headers=headers, tablefmt="github", disable_numparse=True) + "\n"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _tokens(record: dict[str, Any]) -> str:
    values = [record[f"response_tokens_{s}"] for s in ("mean", "p50", "p90")]
    return "" if values[0] is None else "/".join(f"{v:.0f}" for v in values)


def _adherence(record: dict[str, Any]) -> str:
    parts = []
    if record.get("exact_budget_relative_error") is not None:
        parts.append(f"exact: mean rel. error {record['exact_budget_relative_error']:.2f}")
    if record.get("max_budget_violation_rate") is not None:
        parts.append(f"max: {100 * record['max_budget_violation_rate']:.1f}% over")
    return "; ".join(parts)


def run_report(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """report.md of one run: settings, the accuracy table and the details."""
    rows = run_rows(config, metrics)
    sampling = ", ".join(f"{k} {v}" for k, v in config.get("sampling", {}).items())
    header = (
        f"# Evaluation of {config.get('model')}\n\n"
        f"Backend {config.get('backend')}; sampling: {sampling}; reward preset {config.get('reward_preset')} "
        f"(answers read with answer_from={config.get('answer_from')}).\n\n"
    )
    failed = metrics.get("failed") or {}
    failures = "".join(f"- {name}: {why}\n" for name, why in sorted(failed.items()))
    return header + render(rows, "md") + "\n" + details_table(rows) + (f"\nFailed benchmarks:\n\n{failures}" if failures else "")
