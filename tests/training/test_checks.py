"""Launch checks that verl makes only once workers hold GPUs, and a dry run that leaves no trace."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from med_u1.errors import UserError
from med_u1.training.checks import (
    check_overrides,
    is_hub_id,
    launch_problems,
    path_notes,
    size_problems,
)
from med_u1.training.cpu.plan import cpu_plan
from med_u1.training.cpu.runs import CPU_RUNS
from med_u1.training.launcher import plan_launch, resolve_config
from med_u1.training.recipes import RECIPES, get_recipe

REPO = Path(__file__).resolve().parents[2]


def resolved(recipe: str, *overrides: str):
    """The config verl's own validation accepts for ``recipe`` with ``overrides``."""
    return resolve_config(plan_launch(get_recipe(recipe), list(overrides)).overrides)


def test_dynamic_batch_recipe_on_three_gpus_passes_verl_validation_but_not_ours() -> None:
    config = resolved("l1-exact", "trainer.n_gpus_per_node=3")  # verl skips its check with use_dynamic_bsz
    problems = size_problems(config)
    assert any("128 x 16 = 2048 does not divide by n_gpus_per_node x nnodes = 3 x 1 = 3" in p for p in problems)
    assert any(p.startswith("actor.ppo_mini_batch_size x rollout.n = 64 x 16 = 1024") for p in problems)


def test_mini_batches_must_split_over_data_parallel_ranks_for_actor_and_critic() -> None:
    config = resolved("medrlvr-ppo", "actor_rollout_ref.actor.ppo_mini_batch_size=60", "critic.ppo_mini_batch_size=20")
    problems = size_problems(config)
    assert [p.split(" x ")[0] for p in problems] == ["actor.ppo_mini_batch_size", "critic.ppo_mini_batch_size"]


def test_rollout_engines_must_tile_the_gpus() -> None:
    config = resolved("r1zero-grpo", "trainer.n_gpus_per_node=3", "data.train_batch_size=96",
                      "actor_rollout_ref.actor.ppo_mini_batch_size=48")
    assert size_problems(config) == [
        "n_gpus_per_node x nnodes = 3 x 1 = 3 does not divide into rollout engines of tensor x data x pipeline parallel = 2 GPUs"
    ]


def test_every_recipe_passes_the_launch_checks_on_its_hardware() -> None:
    for name in ("medu1-grpo", "l1-exact", "r1zero-grpo", "r1zero-grpo-lora", "medrlvr-ppo"):
        assert launch_problems(resolved(name)) == [], name


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_override_names_a_key_of_the_right_type(name: str, tmp_path: Path) -> None:
    plan = cpu_plan(CPU_RUNS[name], tmp_path / "run", prepare=False) if name in CPU_RUNS else plan_launch(get_recipe(name))
    check_overrides(plan.overrides)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("override,says", [
    ("trainer.totl_epochs=1", "did you mean trainer.total_epochs?"),
    ("actor_rollout_ref.rollout.temprature=0.6", "did you mean actor_rollout_ref.rollout.temperature?"),
    ("data.train_batch_size=64.5", "expects an integer (verl's default: 1024)"),
    ("actor_rollout_ref.actor.optim.lr=fast", "expects a number"),
    ("trainer.logger={a: 1}", "expects a list"),
])
def test_override_mistakes_name_the_key_and_the_fix(override: str, says: str) -> None:
    with pytest.raises(UserError, match=re.escape(says)):
        check_overrides([override])


@pytest.mark.parametrize("path,hub", [("Qwen/Qwen2.5-3B-Instruct", True), ("gpt2", True), ("./models/qwen", False),
                                      ("/models/qwen", False), ("checkpoints/l1-exact/merged", False), ("~/m", False)])
def test_hub_ids_are_told_apart_from_missing_local_folders(path: str, hub: bool) -> None:
    assert is_hub_id(path) is hub


def test_hub_model_and_missing_data_are_notes_not_problems() -> None:
    notes = path_notes(resolved("medu1-grpo"))
    assert notes[0] == "actor_rollout_ref.model.path=Qwen/Qwen2.5-3B-Instruct: Hub id, not checked offline (downloaded at launch)"
    assert any("data.train_files=processed_data/medoption_train.parquet: not found yet" in note for note in notes)


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["--preset", "cpu-smoke", "--output-dir", "{tmp}/run"], ["--preset", "medu1-grpo"]],
                         ids=["cpu-smoke", "medu1-grpo"])
def test_dry_run_writes_nothing_to_disk(argv: list[str], tmp_path: Path) -> None:
    cwd, temporary = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    completed = subprocess.run([sys.executable, "-m", "med_u1.cli", "train", *args, "--dry-run"], cwd=cwd, env=env,
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "# resolved verl config" in completed.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "tmp"]
    assert list(cwd.iterdir()) == [] and list(temporary.iterdir()) == []
