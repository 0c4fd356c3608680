"""``medu1 train``: run verl's PPO/GRPO trainer with a Med-U1 recipe."""

from __future__ import annotations

import argparse
import errno
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from tabulate import tabulate

from med_u1.errors import UserError
from med_u1.training.recipes import RECIPES, get_recipe

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from med_u1.training.launcher import LaunchPlan
    from med_u1.training.run_folder import RunFolder, Start

logger = logging.getLogger(__name__)

#: Where a CPU recipe builds its model and data and runs verl, unless --output-dir says otherwise.
CPU_OUTPUT_ROOT = Path("outputs")
#: The console's first line of a run: importing torch and verl and checking the config take a while.
CHECKING_LINE = "checking the recipe and overrides against verl's config"


class HydraList(argparse.Action):
    """Paths after one flag as one Hydra value: ``a`` stays ``a``, ``a b`` becomes ``[a,b]``.

    The flag takes every word up to the next flag, so a ``key=value`` among them is a Hydra
    override that followed the paths: it joins the overrides, in order.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        words = [str(value) for value in values]  # type: ignore[attr-defined]
        paths = [word for word in words if "=" not in word]
        if not paths:
            parser.error(f"{option_string} expects at least one parquet path before the Hydra overrides")
        setattr(namespace, self.dest, paths[0] if len(paths) == 1 else f"[{','.join(paths)}]")
        namespace.overrides = [*(namespace.overrides or []), *(word for word in words if "=" in word)]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``train`` to the top-level parser."""
    parser = subparsers.add_parser(
        "train",
        help="train with verl's trainer and a recipe",
        description="Compose `python -m verl.trainer.main_ppo` for a recipe and run it. "
        "Extra Hydra overrides (key=value, +key=value) are passed through unchanged.",
    )
    parser.add_argument("--recipe", "--preset", dest="preset", default="cpu-smoke", choices=RECIPES,
                        help="the recipe to run (medu1 train --list)")
    parser.add_argument("--model", help="model path or Hub id (default: the recipe's)")
    parser.add_argument("--train-files", nargs="+", action=HydraList, metavar="PARQUET",
                        help="training parquet(s): a.parquet b.parquet (or verl's [a.parquet,b.parquet])")
    parser.add_argument("--val-files", nargs="+", action=HydraList, metavar="PARQUET", help="validation parquet(s)")
    parser.add_argument("--nnodes", type=int, help="trainer.nnodes (join the Ray cluster with ray start first)")
    parser.add_argument("--gpus-per-node", type=int, help="trainer.n_gpus_per_node")
    parser.add_argument(
        "--ray-address",
        help="join this running Ray cluster (host:port) instead of starting a local one; see docs/multinode.md",
    )
    parser.add_argument(
        "--output-dir", type=Path,
        help="the run folder: a CPU recipe builds and writes everything there (default: outputs/<recipe>); a GPU "
        "recipe keeps its checkpoints and metrics there (default: verl's trainer.default_local_dir, "
        "checkpoints/med-u1/<recipe>). A rerun resumes or says there is nothing to do; see docs/run-folders.md",
    )
    parser.add_argument(
        "--overwrite", action="store_true",
        help="delete the run folder's checkpoints, metrics, log and dumps first and train from step 0",
    )
    parser.add_argument(
        "--shared-data",
        type=Path,
        help="folder with dev/*.jsonl for cpu-smoke rows (default: ../shared/data beside the repository; "
        "built-in examples when absent)",
    )
    parser.add_argument("--dry-run", action="store_true",
                        help="check everything and print what a launch would do, its notes, the command and the "
                        "schedule; run nothing")
    parser.add_argument("--show-config", action="store_true",
                        help="with --dry-run: print the whole resolved verl config too")
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("overrides", nargs="*", action="extend", help="Hydra overrides for verl's ppo_trainer config")
    parser.set_defaults(handler=handle_train)


def topology_overrides(args: argparse.Namespace) -> list[str]:
    overrides = []
    if args.nnodes is not None:
        overrides.append(f"trainer.nnodes={args.nnodes}")
    if args.gpus_per_node is not None:
        overrides.append(f"trainer.n_gpus_per_node={args.gpus_per_node}")
    if args.ray_address is not None:
        overrides.append(f"+ray_kwargs.ray_init.address={args.ray_address}")
    return overrides


def path_overrides(args: argparse.Namespace) -> list[str]:
    """``--model``/``--train-files``/``--val-files`` as overrides (they replace cpu-smoke's local ones)."""
    paths = {
        "actor_rollout_ref.model.path": args.model,
        "data.train_files": args.train_files,
        "data.val_files": args.val_files,
    }
    return [f"{key}={value}" for key, value in paths.items() if value is not None]


def is_cpu_recipe(name: str) -> bool:
    """Whether the recipe runs on verl's CPU platform (and so builds its own model and data)."""
    return get_recipe(name).env.get("VERL_PLATFORM") == "cpu"


def output_dir(args: argparse.Namespace) -> Path | None:
    """The run folder given or a CPU recipe's default (None: a GPU recipe's is verl's checkpoint folder)."""
    if args.output_dir is not None or not is_cpu_recipe(args.preset):
        return args.output_dir
    return CPU_OUTPUT_ROOT / args.preset


def build_plan(args: argparse.Namespace, prepare: bool = True) -> LaunchPlan:
    """The launch plan the arguments describe (with ``prepare``, a CPU recipe builds its model and data)."""
    from med_u1.training.launcher import plan_launch

    if is_cpu_recipe(args.preset):
        from med_u1.training.cpu.plan import cpu_plan
        from med_u1.training.cpu.runs import cpu_run

        return cpu_plan(cpu_run(args.preset), output_dir(args), shared_data(args), cpu_overrides(args), prepare)
    extra = [*topology_overrides(args), *args.overrides]
    if args.output_dir is not None:
        extra = [f"trainer.default_local_dir={args.output_dir.resolve()}", *extra]
    return plan_launch(get_recipe(args.preset), extra, args.model, args.train_files, args.val_files)


def cpu_overrides(args: argparse.Namespace) -> list[str]:
    """A CPU recipe's overrides from the arguments (model and data paths replace the ones it builds)."""
    return [*path_overrides(args), *topology_overrides(args), *args.overrides]


def shared_data(args: argparse.Namespace) -> Path:
    """``--shared-data`` (checked), else ``../shared/data`` beside the repository."""
    from med_u1.training.cpu.smoke import default_shared_data_dir

    if args.shared_data is not None and not args.shared_data.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder (--shared-data names a folder holding dev/*.jsonl)",
                                str(args.shared_data))
    return args.shared_data or default_shared_data_dir()


def run_records(args: argparse.Namespace, plan: LaunchPlan) -> tuple[RunFolder, int | None]:
    """The run folder of the plan and the step count it trains to (None when it cannot be known before verl starts)."""
    from med_u1.training.cpu.quiet_run import total_steps

    if is_cpu_recipe(args.preset):
        from med_u1.training.cpu.plan import run_folder

        return run_folder(output_dir(args), plan), total_steps(plan)
    from omegaconf import OmegaConf

    from med_u1.training.launcher import compose_config
    from med_u1.training.run_folder import RunFolder
    from med_u1.training.schedule import count_rows, plan_schedule, train_file_paths

    config = compose_config(plan.overrides)
    checkpoints = Path(OmegaConf.select(config, "trainer.default_local_dir"))
    rows = count_rows(train_file_paths(config.data.train_files))
    return RunFolder(checkpoints, checkpoints), plan_schedule(config, rows).total_steps if rows else None


def recipes_table() -> str:
    rows = [[r.name, r.summary, r.model, r.hardware] for r in RECIPES.values()]
    return tabulate(rows, headers=["recipe", "what", "model", "hardware"])


def handle_train(args: argparse.Namespace) -> int:
    """List recipes, dry-run (check and print, write nothing), or check and run a recipe in its run folder."""
    if args.list:
        print(recipes_table())
        return 0
    if args.show_config and not args.dry_run:
        raise UserError("--show-config prints a dry run's resolved verl config: add --dry-run")
    from med_u1.training.checks import preflight
    from med_u1.training.run_folder import Start, dump_folders

    if not args.dry_run:
        print(CHECKING_LINE, flush=True)
    plan = build_plan(args, prepare=False)
    notes = preflight(plan.overrides, built_inputs(args), launching=not args.dry_run)  # before composing the config
    folder, total = run_records(args, plan)
    if args.overwrite and args.dry_run:
        notes.append(f"--overwrite would delete the checkpoints, metrics, log and dumps in {folder.root}")
    elif args.overwrite:
        for path in folder.remove_records(dump_folders(plan.overrides)):
            print(f"removed {path}")
    start = Start("fresh", 0, total) if args.overwrite else folder.plan_start(total, args.overrides)
    if args.dry_run:
        print(dry_run_report(args, plan, folder.root, start, [*notes, start.message]), end="")
        return 0
    args.on_interrupt = f"run the same command again to resume from the last checkpoint in {folder.root}"
    if is_cpu_recipe(args.preset):
        return train_on_cpu(args)
    if start.message:
        print(start.message)
    if start.action == "done":
        return 0
    return run_attempt(folder, plan, start)


def dry_run_report(args: argparse.Namespace, plan: LaunchPlan, root: Path, start: Start, notes: list[str]) -> str:
    """What a dry run prints: what a launch would do, the notes and the checks, then the command, the
    schedule, and the resolved verl config (whole with ``--show-config``, else its length)."""
    from omegaconf import OmegaConf

    from med_u1.training.checks import missing_data
    from med_u1.training.launcher import resolve_config
    from med_u1.training.schedule import schedule_report

    config = resolve_config(plan.overrides)
    missing = len(missing_data(config, built_inputs(args)))
    resolved = OmegaConf.to_yaml(config)
    config_section = (f"# resolved verl config\n{resolved}" if args.show_config
                      else f"# resolved verl config: {resolved.count(chr(10))} lines; add --show-config to print them\n")
    return "".join([
        f"{args.preset}: {launch_decision(missing, start, root)}\n",
        *(f"# note: {note}\n" for note in notes if note),
        *(f"# {line}\n" for line in checks_lines(args.preset, config)),
        f"\n# command\n{plan.shell_line()}\n",
        f"\n{schedule_report(config)}",
        f"\n{config_section}",
    ])


def launch_decision(missing_data_files: int, start: Start, root: Path) -> str:
    """What launching the same command here would do, in a few words."""
    if missing_data_files:
        plural = "s" if missing_data_files > 1 else ""
        return f"checks passed, but a launch here would stop: {missing_data_files} data file{plural} not found"
    if start.action == "done":
        return f"checks passed; a launch would do nothing: the run in {root} is complete"
    if start.action == "resume":
        return f"checks passed; a launch would resume from step {start.step} in {root}"
    return f"checks passed; a launch would train from step 0 in {root}"


def checks_lines(recipe: str, config: DictConfig) -> list[str]:
    """What a dry run's checks covered, and (for a GPU recipe) what they leave to ``medu1 doctor``."""
    topology = f"{config.trainer.nnodes} x {config.trainer.n_gpus_per_node} (nnodes x n_gpus_per_node)"
    lines = [f"checked: overrides against verl's config, batch sizes over {topology}, model folders, loggers, "
             "verl's own validation"]
    if not is_cpu_recipe(recipe):
        lines.append(f"not checked: this machine's GPUs and memory (medu1 doctor --recipe {recipe})")
    return lines


def built_inputs(args: argparse.Namespace) -> set[str]:
    """The model and data paths a CPU recipe builds at launch (none for a GPU recipe)."""
    if not is_cpu_recipe(args.preset):
        return set()
    from med_u1.training.cpu.plan import built_at_launch
    from med_u1.training.cpu.runs import cpu_run

    return built_at_launch(cpu_run(args.preset), output_dir(args))


def train_on_cpu(args: argparse.Namespace) -> int:
    """Train a CPU recipe in its folder (or resume it, or say it is complete) and sum the run up."""
    from med_u1.training.cpu.plan import train
    from med_u1.training.cpu.runs import cpu_run

    run, work_dir = cpu_run(args.preset), output_dir(args)
    work_dir.mkdir(parents=True, exist_ok=True)
    train(run, work_dir, shared_data(args), cpu_overrides(args))
    print(run.summary(work_dir))
    return 0


def run_attempt(folder: RunFolder, plan: LaunchPlan, start: Start) -> int:
    """Run verl's trainer as a new attempt of the run folder and record how it ended."""
    from med_u1.training.launcher import run

    attempt = folder.begin(start)
    returncode = None
    try:
        returncode = run(folder.attempt_plan(plan, start, attempt))
    finally:
        folder.finish(attempt, returncode)
    return returncode
