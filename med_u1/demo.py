"""``medu1 demo``: the whole loop on a small built-in default.

First the built-in examples go through the reward stack under both presets (tables);
then verl's own trainer runs the ``cpu-smoke`` recipe, 2 GRPO steps of a tiny local
model with the ``med_u1`` reward manager, and the step metrics are summarised.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from tabulate import tabulate

from med_u1.examples import EXAMPLES, Example
from med_u1.rewards import compute_score
from med_u1.rewards.registry import task_of


def score_examples(examples: Iterable[Example], **knobs: object) -> list[dict]:
    """One row per (example, response): ids, the reward dict and the response label."""
    rows = []
    for example in examples:
        for label, response in example.responses:
            result = compute_score(example.data_source, response, example.ground_truth, example.extra_info, **knobs)
            rows.append({"task": task_of(example.data_source), "source": example.data_source, "label": label, **result})
    return rows


def per_response_table(default_rows: list[dict], medu1_rows: list[dict]) -> str:
    """Each response with its extracted answer and both presets' verdicts."""
    body = [
        [row["source"], row["label"], str(row["pred"])[:28], f"{row['acc']:.0f}", f"{row['format']:.0f}", f"{row['score']:+.2f}",
         f"{reference['acc']:.0f}", f"{reference['score']:+.2f}"]
        for row, reference in zip(default_rows, medu1_rows)
    ]
    header = ["data source", "response", "extracted answer", "acc", "format", "score", "medu1 acc", "medu1 score"]
    return tabulate(body, headers=header, disable_numparse=True)


def per_task_table(default_rows: list[dict], medu1_rows: list[dict]) -> str:
    """Counts, accuracy and mean score per task under both presets."""
    groups: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for row, reference in zip(default_rows, medu1_rows):
        groups[row["task"]].append((row, reference))
    body = []
    for task, pairs in sorted(groups.items()):
        count = len(pairs)
        body.append([task, str(count),
                     f"{sum(r['acc'] for r, _ in pairs) / count:.2f}", f"{sum(r['format'] for r, _ in pairs) / count:.2f}",
                     f"{sum(r['score'] for r, _ in pairs) / count:+.2f}", f"{sum(m['acc'] for _, m in pairs) / count:.2f}",
                     f"{sum(m['score'] for _, m in pairs) / count:+.2f}"])
    return tabulate(body, headers=["task", "responses", "acc", "format", "mean score", "medu1 acc", "medu1 mean score"], disable_numparse=True)


def training_table(metrics_by_step: dict[int, dict]) -> str:
    """Per data source, the validation reward parts (acc/format/length) at each step."""
    sources = sorted({key.split("/")[1] for step in metrics_by_step.values() for key in step if key.startswith("val-core/")})
    steps = sorted(metrics_by_step)
    header = ["data source", *(f"step {step} acc/format/length" for step in steps)]
    body = [
        [source, *("/".join(f"{metrics_by_step[step].get(f'{group}/{source}/{name}/mean@1', float('nan')):.2f}"
                            for group, name in (("val-core", "acc"), ("val-aux", "format"), ("val-aux", "length")))
                   for step in steps)]
        for source in sources
    ]
    return tabulate(body, headers=header, disable_numparse=True)


def run_training(work_dir: Path) -> None:
    """Run the cpu-smoke recipe in ``work_dir`` and print its step metrics and what they mean."""
    from med_u1.training.cpu import smoke
    from med_u1.training.cpu.plan import read_step_metrics, train

    print(f"\nTraining: verl's main_ppo, 2 GRPO steps of a tiny local Qwen2 on CPU with the med_u1 reward manager ({work_dir})\n")
    train(smoke.RUN, work_dir)  # a second demo in the same folder finds the run complete and trains nothing
    print("\nValidation reward parts per data source:\n")
    print(training_table(read_step_metrics(work_dir)))
    print()
    print(smoke.summary(work_dir))


def run_demo(args: argparse.Namespace) -> int:
    """Score the built-in examples under both presets, then (unless told not to) train on CPU."""
    default_rows = score_examples(EXAMPLES)
    medu1_rows = score_examples(EXAMPLES, preset="medu1")
    print("Built-in examples scored by med_u1.rewards.compute_score (default preset vs medu1 reference preset)\n")
    print(per_response_table(default_rows, medu1_rows))
    print()
    print(per_task_table(default_rows, medu1_rows))
    if not args.no_train:
        args.on_interrupt = f"run the same command again to resume from the last checkpoint in {args.work_dir}"
        run_training(args.work_dir)
    print("\nTo watch the policy learn (validation accuracy from chance to half or more right, on 2 CPU cores): medu1 train --recipe cpu-learn")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``medu1 demo``."""
    parser = subparsers.add_parser(
        "demo", help="the whole loop on built-in defaults: score examples, then 2 GRPO steps on CPU"
    )
    parser.add_argument("--no-train", action="store_true", help="only score the built-in examples (a second)")
    parser.add_argument("--work-dir", type=Path, default=Path("outputs/demo"), help="where the CPU training writes")
    parser.set_defaults(handler=run_demo)
