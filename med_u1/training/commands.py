"""``medu1 train``: run verl's PPO/GRPO trainer with a Med-U1 recipe."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from tabulate import tabulate

from med_u1.training import cpu_learn, cpu_smoke
from med_u1.training.launcher import LaunchPlan, dry_run_report, plan_launch, run
from med_u1.training.recipes import RECIPES, get_recipe

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_DIRS = {cpu_smoke.RECIPE_NAME: Path("outputs/cpu-smoke"), cpu_learn.RECIPE_NAME: Path("outputs/cpu-learn")}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``train`` to the top-level parser."""
    parser = subparsers.add_parser(
        "train",
        help="train with verl's trainer and a recipe",
        description="Compose `python -m verl.trainer.main_ppo` for a recipe and run it. "
        "Extra Hydra overrides (key=value, +key=value) are passed through unchanged.",
    )
    parser.add_argument("--preset", "--recipe", dest="preset", default="cpu-smoke", choices=sorted(RECIPES))
    parser.add_argument("--model", help="model path or Hub id (default: the recipe's)")
    parser.add_argument("--train-files", help="training parquet(s), e.g. a.parquet or [a.parquet,b.parquet]")
    parser.add_argument("--val-files", help="validation parquet(s)")
    parser.add_argument("--nnodes", type=int, help="trainer.nnodes (join the Ray cluster with ray start first)")
    parser.add_argument("--gpus-per-node", type=int, help="trainer.n_gpus_per_node")
    parser.add_argument(
        "--output-dir", type=Path, help="working folder of the CPU presets (default: outputs/<preset>)"
    )
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=cpu_smoke.default_shared_data_dir(),
        help="folder with dev/*.jsonl for cpu-smoke rows (built-in examples when absent)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the command and resolved config; run nothing")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for verl's ppo_trainer config")
    parser.set_defaults(handler=handle_train)


def topology_overrides(args: argparse.Namespace) -> list[str]:
    overrides = []
    if args.nnodes is not None:
        overrides.append(f"trainer.nnodes={args.nnodes}")
    if args.gpus_per_node is not None:
        overrides.append(f"trainer.n_gpus_per_node={args.gpus_per_node}")
    return overrides


def path_overrides(args: argparse.Namespace) -> list[str]:
    """``--model``/``--train-files``/``--val-files`` as overrides (they replace cpu-smoke's local ones)."""
    paths = {
        "actor_rollout_ref.model.path": args.model,
        "data.train_files": args.train_files,
        "data.val_files": args.val_files,
    }
    return [f"{key}={value}" for key, value in paths.items() if value is not None]


def output_dir(args: argparse.Namespace) -> Path | None:
    """The working folder of a CPU preset (None for the GPU recipes)."""
    default = DEFAULT_OUTPUT_DIRS.get(args.preset)
    return None if default is None else args.output_dir or default


def build_plan(args: argparse.Namespace) -> LaunchPlan:
    """The launch plan the arguments describe (the CPU presets build their model and data first)."""
    extra = [*topology_overrides(args), *args.overrides]
    if args.preset == cpu_smoke.RECIPE_NAME:
        return cpu_smoke.cpu_smoke_plan(output_dir(args), args.shared_data, [*path_overrides(args), *extra])
    if args.preset == cpu_learn.RECIPE_NAME:
        return cpu_learn.cpu_learn_plan(output_dir(args), [*path_overrides(args), *extra])
    return plan_launch(get_recipe(args.preset), extra, args.model, args.train_files, args.val_files)


def recipes_table() -> str:
    rows = [[r.name, r.summary, r.model, r.hardware] for r in RECIPES.values()]
    return tabulate(rows, headers=["recipe", "what", "model", "hardware"])


def handle_train(args: argparse.Namespace) -> int:
    if args.list:
        print(recipes_table())
        return 0
    plan = build_plan(args)
    if args.dry_run:
        print(dry_run_report(plan))
        return 0
    cwd = output_dir(args)
    if cwd is not None:
        cwd.mkdir(parents=True, exist_ok=True)
    return run(plan, cwd=cwd)
