"""``medu1 analyze`` (reasoning behaviour in generation dumps) and ``medu1 plot`` (verl's step metrics)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``analyze`` and ``plot`` to the top-level parser."""
    analyze = subparsers.add_parser(
        "analyze",
        help="reasoning behaviour, MED-RLVR stages and hacking alarms per step",
        description="Read verl rollout/validation dumps (trainer.rollout_data_dir, trainer.validation_data_dir: "
        "folders or <step>.jsonl files) and `medu1 eval` run folders, describe every response and write "
        "per-step tables, a summary and plots. See docs/analysis.md.",
    )
    analyze.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="dump folder/file or eval run folder")
    analyze.add_argument("--out", type=Path, required=True, help="output folder")
    analyze.add_argument(
        "--tokenizer", help="count tokens with this Hugging Face tokenizer when the input gives no count "
        "(default: white-space words)"
    )
    analyze.add_argument("--no-plots", action="store_true", help="tables and summary only")
    analyze.set_defaults(handler=handle_analyze)

    plot = subparsers.add_parser(
        "plot",
        help="plot verl's step metrics (reward, length, components per source, stages)",
        description="Plot a run's metrics.jsonl (verl's file logger) or console log: reward and response length "
        "on twin axes, validation reward components per data source, and with --analysis the stage shares "
        "and self-verification rate of a `medu1 analyze` output.",
    )
    plot.add_argument("run", type=Path, metavar="RUN_DIR_OR_METRICS_FILE")
    plot.add_argument("--out", type=Path, required=True, help="output folder for the PNG files")
    plot.add_argument("--analysis", type=Path, help="a `medu1 analyze` output folder (adds the stage plot)")
    plot.set_defaults(handler=handle_plot)


def handle_analyze(args: argparse.Namespace) -> int:
    from med_u1.analysis.analyze import run_analyze

    analysis = run_analyze(args.inputs, args.out, args.tokenizer, plots=not args.no_plots)
    responses = sum(stats.responses for stats in analysis.steps.values())
    print(f"{responses} responses in {len(analysis.steps)} steps, {analysis.bad_line_count} bad lines skipped")
    for alarm in analysis.alarms():
        print(f"ALARM {alarm['pattern']} at {alarm['series']} step {alarm['label']}: {alarm['rate']:.0%}")
    print(f"wrote {args.out}/summary.md, steps.json, steps.csv, responses.csv" + ("" if args.no_plots else ", plots/"))
    return 0


def handle_plot(args: argparse.Namespace) -> int:
    from med_u1.analysis.plots import plot_run

    for path in plot_run(args.run, args.out, args.analysis):
        print(f"wrote {path}")
    return 0
