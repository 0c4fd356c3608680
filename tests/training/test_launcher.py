"""Every recipe composes to a verl config that verl's own validation accepts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from med_u1.cli import main as medu1_main
from med_u1.training.commands import launch_decision
from med_u1.training.launcher import (
    merge_overrides,
    override_key,
    plan_launch,
    resolve_config,
)
from med_u1.training.recipes import RECIPES, get_recipe
from med_u1.training.run_folder import Start
from med_u1.training.schedule import plan_schedule

GPU_RECIPES = [name for name in RECIPES if not name.startswith("cpu-")]


def test_override_key_ignores_hydra_prefixes() -> None:
    assert override_key("+a.b=1") == override_key("++a.b=2") == override_key("a.b=[x,y]") == "a.b"
    assert override_key("~a.b") == "a.b"


def test_user_overrides_replace_recipe_keys_and_pass_through_unchanged() -> None:
    merged = merge_overrides(["a=1", "+b=2", "c=3"], ["b=9", "+d.e=x y"])
    assert merged == ["a=1", "c=3", "b=9", "+d.e=x y"]


def test_plan_runs_verl_main_ppo_with_model_data_and_our_reward_manager() -> None:
    recipe = get_recipe("medu1-grpo")
    assert "trainer.total_epochs=1" in recipe.overrides
    plan = plan_launch(recipe, ["trainer.total_epochs=2"], model="/models/qwen", train_files="t.parquet")
    assert plan.command[:3] == [sys.executable, "-m", "verl.trainer.main_ppo"]
    assert "reward.reward_manager.name=med_u1" in plan.overrides
    assert "actor_rollout_ref.model.path=/models/qwen" in plan.overrides
    assert "data.train_files=t.parquet" in plan.overrides
    assert "trainer.total_epochs=1" not in plan.overrides  # the user's value replaces the recipe's
    assert [o for o in plan.overrides if override_key(o) == "trainer.total_epochs"] == ["trainer.total_epochs=2"]
    assert plan.overrides[-1] == "trainer.total_epochs=2"
    config = resolve_config(plan.overrides)
    assert config.trainer.total_epochs == 2 and config.actor_rollout_ref.model.path == "/models/qwen"


@pytest.mark.parametrize("name", GPU_RECIPES)
def test_gpu_recipe_resolves_to_a_valid_verl_config(name: str) -> None:
    config = resolve_config(plan_launch(get_recipe(name)).overrides)
    assert config.reward.reward_manager.name == "med_u1"
    assert config.actor_rollout_ref.rollout.name == "vllm"
    assert config.trainer.n_gpus_per_node in (4, 8)


def test_medu1_grpo_has_the_original_effective_schedule() -> None:
    config = resolve_config(plan_launch(get_recipe("medu1-grpo")).overrides)
    actor, rollout = config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    assert config.algorithm.adv_estimator == "grpo"
    assert config.actor_rollout_ref.model.path == "Qwen/Qwen2.5-3B-Instruct"
    assert actor.optim.lr == 1e-6 and actor.entropy_coeff == 0.001
    assert (actor.use_kl_loss, actor.kl_loss_coef, actor.kl_loss_type) == (True, 0.001, "low_var_kl")
    assert (rollout.n, rollout.temperature, rollout.val_kwargs.n, rollout.val_kwargs.temperature) == (8, 0.6, 4, 0.6)
    assert (config.data.max_prompt_length, config.data.max_response_length) == (1024, 4096)
    assert config.reward.custom_reward_function.reward_kwargs.preset == "medu1"
    assert config.trainer.default_local_dir == "checkpoints/med-u1/medu1-grpo"
    schedule = plan_schedule(config, rows=5064)  # the released train_medoption.parquet
    assert (schedule.responses_per_update, schedule.updates_per_step, schedule.total_updates) == (32, 1, 1266)


def test_schedule_arithmetic_of_a_multi_update_recipe() -> None:
    schedule = plan_schedule(resolve_config(plan_launch(get_recipe("medrlvr-ppo")).overrides), rows=10178)
    assert (schedule.prompts_per_step, schedule.responses_per_update, schedule.updates_per_step) == (1024, 128, 8)
    assert (schedule.steps_per_epoch, schedule.total_steps, schedule.total_updates) == (9, 90, 720)


def test_dry_run_prints_the_schedule_from_the_training_file(tmp_path, capsys: pytest.CaptureFixture) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    train = tmp_path / "train.parquet"
    pq.write_table(pa.table({"row": list(range(1090))}), train)
    assert medu1_main(["train", "--preset", "r1zero-grpo", "--train-files", str(train), "--dry-run"]) == 0
    schedule = capsys.readouterr().out.split("# schedule\n", 1)[1]
    assert "rows: 1090" in schedule and "responses per update: 96" in schedule
    assert "steps per epoch: 34" in schedule and "total updates: 204" in schedule


def test_dry_run_says_when_the_training_file_is_missing(capsys: pytest.CaptureFixture) -> None:
    assert medu1_main(["train", "--preset", "l1-exact", "--dry-run"]) == 0
    assert "not computed: training file(s) not found: processed_data/l1_exact/medoption_train.parquet" in capsys.readouterr().out


def test_dry_run_leads_with_the_decision_and_what_is_missing_and_leaves_the_config_to_a_flag(
        capsys: pytest.CaptureFixture) -> None:
    assert medu1_main(["train", "--recipe", "medu1-grpo", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "medu1-grpo: checks passed, but a launch here would stop: 2 data files not found"
    head = lines[:lines.index("# command")]
    assert "# note: data.train_files=processed_data/medoption_train.parquet: not found yet" in "\n".join(head)
    assert "# note: actor_rollout_ref.model.path=Qwen/Qwen2.5-3B-Instruct: Hub id" in "\n".join(head)
    assert "# not checked: this machine's GPUs and memory (medu1 doctor --recipe medu1-grpo)" in head
    assert lines.index("# command") < lines.index("# schedule")
    assert re.fullmatch(r"# resolved verl config: \d+ lines; add --show-config to print them", lines[-1])
    assert len(lines) < 20  # the config's thousand lines only with --show-config


def test_show_config_needs_a_dry_run(capsys: pytest.CaptureFixture) -> None:
    assert medu1_main(["train", "--recipe", "medu1-grpo", "--show-config"]) == 2
    assert "--show-config prints a dry run's resolved verl config: add --dry-run" in capsys.readouterr().err


@pytest.mark.parametrize(("missing", "start", "decision"), [
    (1, Start("fresh", 0, 10), "checks passed, but a launch here would stop: 1 data file not found"),
    (0, Start("done", 10, 10), "checks passed; a launch would do nothing: the run in /runs/a is complete"),
    (0, Start("resume", 4, 10), "checks passed; a launch would resume from step 4 in /runs/a"),
    (0, Start("fresh", 0, None), "checks passed; a launch would train from step 0 in /runs/a"),
], ids=["missing-data", "done", "resume", "fresh"])
def test_the_dry_run_decision_says_what_a_launch_would_do(missing: int, start: Start, decision: str) -> None:
    assert launch_decision(missing, start, Path("/runs/a")) == decision


def test_medrlvr_uses_ppo_with_a_critic_and_lora_recipe_sets_an_adapter() -> None:
    ppo = resolve_config(plan_launch(get_recipe("medrlvr-ppo")).overrides)
    assert ppo.algorithm.adv_estimator == "gae"
    assert ppo.critic.enable is not False and ppo.critic.model.path == "Qwen/Qwen2.5-3B"
    lora = resolve_config(plan_launch(get_recipe("r1zero-grpo-lora")).overrides)
    assert lora.actor_rollout_ref.model.lora_rank == 64
    assert lora.actor_rollout_ref.model.path == "FreedomIntelligence/HuatuoGPT-o1-7B"


def test_invalid_combination_is_rejected_by_verl_validation() -> None:
    # 3 prompts x 1 response cannot be split over 8 GPUs.
    plan = plan_launch(get_recipe("medrlvr-ppo"), ["data.train_batch_size=3"])
    with pytest.raises(AssertionError, match="divisible"):
        resolve_config(plan.overrides)


def test_cli_dry_run_prints_command_and_config_and_multinode_overrides(tmp_path, capsys: pytest.CaptureFixture) -> None:
    from med_u1.training.cpu.tiny_model import save_model_description

    model = save_model_description(tmp_path / "m")  # a dry run checks that a local model folder exists
    argv = ["train", "--preset", "medu1-grpo", "--model", str(model), "--nnodes", "2", "--dry-run", "--show-config",
            "trainer.save_freq=10"]
    assert medu1_main(argv) == 0
    out = capsys.readouterr().out
    command_line = out.split("# command\n", 1)[1].splitlines()[0]
    assert "-m verl.trainer.main_ppo" in command_line
    assert command_line.endswith("trainer.nnodes=2 trainer.save_freq=10")
    assert "nnodes: 2" in out and "save_freq: 10" in out


def test_cli_lists_recipes(capsys: pytest.CaptureFixture) -> None:
    assert medu1_main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in RECIPES)


def test_cpu_smoke_accepts_another_model(tmp_path, capsys: pytest.CaptureFixture) -> None:
    from med_u1.training.cpu.tiny_model import TinyModelSpec, build_tiny_model

    other = build_tiny_model(tmp_path / "other", TinyModelSpec(num_hidden_layers=1))
    argv = ["train", "--preset", "cpu-smoke", "--output-dir", str(tmp_path / "run"), "--model", str(other), "--dry-run"]
    assert medu1_main(argv) == 0
    out = capsys.readouterr().out
    assert f"actor_rollout_ref.model.path={other}" in out.split("# command\n", 1)[1].splitlines()[0]
    assert out.count("actor_rollout_ref.model.path=") == 1


def test_cpu_smoke_refuses_a_kl_reference_model_with_the_reason(tmp_path, capsys: pytest.CaptureFixture) -> None:
    argv = ["train", "--preset", "cpu-smoke", "--output-dir", str(tmp_path), "--dry-run",
            "actor_rollout_ref.actor.use_kl_loss=True"]
    assert medu1_main(argv) == 2
    assert "pin_memory" in capsys.readouterr().err


def test_a_run_joining_a_cluster_sends_the_recipe_env_to_the_workers(tmp_path) -> None:
    from med_u1.training.cpu.plan import cpu_plan
    from med_u1.training.cpu.runs import cpu_run

    plan = cpu_plan(cpu_run("cpu-smoke"), tmp_path, None, ["+ray_kwargs.ray_init.address=10.0.0.1:6379"], prepare=False)
    ray_init = resolve_config(plan.overrides).ray_kwargs.ray_init
    assert ray_init.address == "10.0.0.1:6379"
    assert ray_init.num_cpus is None and "num_gpus" not in ray_init  # ray.init refuses them when joining
    env_vars = ray_init.runtime_env.env_vars
    assert env_vars.VERL_PLATFORM == "cpu" and env_vars.RAY_DEDUP_LOGS == "0"  # strings, as Ray requires


def test_a_run_starting_its_own_ray_is_unchanged_by_the_cluster_rules() -> None:
    plan = plan_launch(get_recipe("cpu-smoke"))
    assert "+ray_kwargs.ray_init.num_gpus=1" in plan.overrides
    assert not any("runtime_env.env_vars" in override for override in plan.overrides)
