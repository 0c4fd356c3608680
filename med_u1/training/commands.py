"""``medu1 train``: run verl's PPO/GRPO trainer with a Med-U1 recipe."""

from __future__ import annotations

import argparse
import errno
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from tabulate import tabulate

from med_u1.training.recipes import RECIPES, get_recipe

if TYPE_CHECKING:
    from med_u1.training.launcher import LaunchPlan

logger = logging.getLogger(__name__)

CPU_SMOKE, CPU_SMOKE_VLLM, CPU_LEARN = "cpu-smoke", "cpu-smoke-vllm", "cpu-learn"
#: The CPU presets build their model and data in a working folder and run verl there.
DEFAULT_OUTPUT_DIRS = {name: Path("outputs") / name for name in (CPU_SMOKE, CPU_SMOKE_VLLM, CPU_LEARN)}


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
        help="folder with dev/*.jsonl for cpu-smoke rows (default: ../shared/data beside the repository; "
        "built-in examples when absent)",
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


def build_plan(args: argparse.Namespace, prepare: bool = True) -> LaunchPlan:
    """The launch plan the arguments describe (with ``prepare``, a CPU preset builds its model and data)."""
    from med_u1.training.cpu import learn as cpu_learn
    from med_u1.training.cpu import smoke as cpu_smoke
    from med_u1.training.launcher import plan_launch

    extra = [*topology_overrides(args), *args.overrides]
    if args.preset in (CPU_SMOKE, CPU_SMOKE_VLLM):
        if args.shared_data is not None and not args.shared_data.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such folder (--shared-data names a folder holding dev/*.jsonl)",
                                    str(args.shared_data))
        shared = args.shared_data or cpu_smoke.default_shared_data_dir()
        return cpu_smoke.cpu_smoke_plan(output_dir(args), shared, [*path_overrides(args), *extra], prepare=prepare,
                                        recipe_name=args.preset)
    if args.preset == CPU_LEARN:
        return cpu_learn.cpu_learn_plan(output_dir(args), [*path_overrides(args), *extra], prepare=prepare)
    return plan_launch(get_recipe(args.preset), extra, args.model, args.train_files, args.val_files)


def recipes_table() -> str:
    rows = [[r.name, r.summary, r.model, r.hardware] for r in RECIPES.values()]
    return tabulate(rows, headers=["recipe", "what", "model", "hardware"])


def handle_train(args: argparse.Namespace) -> int:
    """List recipes, dry-run (check and print, write nothing) or check and run a recipe."""
    if args.list:
        print(recipes_table())
        return 0
    from med_u1.training.checks import preflight
    from med_u1.training.cpu import learn as cpu_learn
    from med_u1.training.cpu import smoke as cpu_smoke
    from med_u1.training.launcher import dry_run_report, run

    work_dir = output_dir(args)
    plan = build_plan(args, prepare=False)
    cpu_preset = {CPU_SMOKE: cpu_smoke, CPU_SMOKE_VLLM: cpu_smoke, CPU_LEARN: cpu_learn}.get(args.preset)
    built = cpu_preset.built_at_launch(work_dir) if cpu_preset else set()
    notes = preflight(plan.overrides, built, launching=not args.dry_run)
    if args.dry_run:
        print(dry_run_report(plan))
        print("".join(f"# note: {note}\n" for note in notes), end="")
        return 0
    if work_dir is None:
        return run(plan)
    work_dir.mkdir(parents=True, exist_ok=True)
    cpu_smoke.quiet_model_building()
    cpu_smoke.run_quietly(build_plan(args), work_dir)
    print(cpu_preset.summary(work_dir))
    return 0
