"""The build summary: counts, answer formats, budgets and prompt lengths."""

from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

from med_u1.data.budget_sentence import NO_BUDGET

PERCENTILES = (50, 90, 99)


def budget_summary(budgets: Sequence[int]) -> dict[str, Any]:
    """How many rows have no, an exact, or a maximum budget, and the range of the values."""
    exact = [b for b in budgets if b > 0]
    maximum = [-b for b in budgets if b < NO_BUDGET]
    summary: dict[str, Any] = {
        "none": sum(b == NO_BUDGET for b in budgets),
        "exact": len(exact),
        "max": len(maximum),
    }
    import numpy as np

    for name, values in (("exact", exact), ("max", maximum)):
        if values:
            summary[f"{name}_min"] = int(min(values))
            summary[f"{name}_median"] = float(np.median(values))
            summary[f"{name}_max"] = int(max(values))
    return summary


def length_summary(lengths: Sequence[int], unit: str) -> dict[str, Any]:
    """Percentiles of prompt lengths (tokens with a tokenizer, else characters)."""
    if not lengths:
        return {"unit": unit}
    import numpy as np

    values = np.asarray(lengths)
    summary: dict[str, Any] = {"unit": unit, "min": int(values.min()), "max": int(values.max())}
    for p in PERCENTILES:
        summary[f"p{p}"] = int(np.percentile(values, p, method="nearest"))
    return summary


def count_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows per source and split, and the answer-format mix."""
    per_source: dict[str, dict[str, int]] = {}
    for (source, split), n in sorted(Counter((r["data_source"], r["extra_info"]["split"]) for r in rows).items()):
        per_source.setdefault(source, {})[split] = n
    formats = Counter(r["extra_info"]["output_type"] for r in rows)
    return {"per_source": per_source, "output_types": dict(sorted(formats.items()))}


def format_table(stats: dict[str, Any]) -> str:
    """A plain-text table of a build summary, for the terminal."""
    lines = [f"{'source':<28}{'split':<12}{'rows':>8}"]
    for source, splits in stats["counts"]["per_source"].items():
        for split, n in splits.items():
            lines.append(f"{source:<28}{split:<12}{n:>8}")
    lines.append(f"{'total':<40}{stats['rows']:>8}")
    lines.append("answer formats: " + ", ".join(f"{k}={v}" for k, v in stats["counts"]["output_types"].items()))
    lines.append("budgets: " + ", ".join(f"{k}={v}" for k, v in stats["budgets"].items()))
    lengths = stats["prompt_length"]
    lines.append("prompt length (" + lengths["unit"] + "): " + ", ".join(f"{k}={v}" for k, v in lengths.items() if k != "unit"))
    for dataset, found in stats.get("releases", {}).items():
        lines.append(f"release of {dataset}: {found['release']} ({found['from']})")
    for key in ("invalid_skipped", "out_of_subset", "length_filtered", "decontaminated"):
        if stats.get(key):
            lines.append(f"{key.replace('_', ' ')}: {stats[key]}")
    lines.extend(f"WARNING: {warning}" for warning in stats.get("warnings", []))
    return "\n".join(lines)
