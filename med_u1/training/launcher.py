"""Compose, check and run ``python -m verl.trainer.main_ppo`` for a recipe.

The command is verl's own trainer with Hydra overrides: the recipe's, then the model and
data paths, then the user's extra overrides, passed through unchanged (a user override
replaces the recipe's override of the same key). ``resolve_config`` composes verl's
``ppo_trainer`` config with those overrides and runs verl's own validation, which is what
``--dry-run`` checks without starting anything.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import importlib.util
import io
import logging
import os
import shlex
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Mapping, Sequence

from omegaconf import DictConfig, OmegaConf

from med_u1.processes import start_session, stop_session
from med_u1.training.recipes import REWARD_OVERRIDES, Recipe

logger = logging.getLogger(__name__)

TRAINER_MODULE = "verl.trainer.main_ppo"


@dataclasses.dataclass(frozen=True)
class LaunchPlan:
    """What ``medu1 train`` runs: environment additions and verl overrides."""

    overrides: tuple[str, ...]
    env: Mapping[str, str]

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", TRAINER_MODULE, *self.overrides]

    def shell_line(self) -> str:
        """The command as one copy-pasteable shell line, environment first."""
        env = [f"{name}={shlex.quote(value)}" for name, value in sorted(self.env.items())]
        return " ".join([*env, shlex.join(["python", "-m", TRAINER_MODULE, *self.overrides])])


def override_key(override: str) -> str:
    """The config key an override sets: ``+a.b=1`` and ``a.b=2`` both set ``a.b``."""
    return override.lstrip("+~").split("=", 1)[0]


def merge_overrides(base: Sequence[str], extra: Sequence[str]) -> list[str]:
    """``base`` without the keys ``extra`` sets, then ``extra`` unchanged (Hydra rejects duplicates)."""
    replaced = {override_key(override) for override in extra}
    return [override for override in base if override_key(override) not in replaced] + list(extra)


RAY_ADDRESS_KEY = "ray_kwargs.ray_init.address"
LOCAL_RAY_RESOURCE_KEYS = ("ray_kwargs.ray_init.num_cpus", "ray_kwargs.ray_init.num_gpus")
WORKER_ENV_KEY = "ray_kwargs.ray_init.runtime_env.env_vars"


def cluster_address(overrides: Sequence[str]) -> str | None:
    """The running Ray cluster the run joins (last ``ray_kwargs.ray_init.address`` override), if any."""
    values = [o.split("=", 1)[1].strip() for o in overrides if "=" in o and override_key(o) == RAY_ADDRESS_KEY]
    return values[-1] if values and values[-1] not in ("", "null", "None") else None


def hydra_string(value: str) -> str:
    """``value`` as a quoted Hydra string (unquoted, ``0`` would become an int, which Ray's env_vars refuse)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def joining_overrides(overrides: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """``overrides`` for a run that joins a running cluster (unchanged for a run that starts its own Ray).

    ``ray.init`` refuses ``num_cpus``/``num_gpus`` when joining (each node declared its own with
    ``ray start``), so the recipe's counts are dropped. Workers on a cluster are children of each
    node's raylet, not of this shell: ``env`` (``VERL_PLATFORM=cpu``, the file logger's path)
    reaches them through Ray's ``runtime_env``, or they fall back to the CUDA platform.
    """
    if cluster_address(overrides) is None:
        return list(overrides)
    kept = [o for o in overrides if override_key(o) not in LOCAL_RAY_RESOURCE_KEYS]
    already = {override_key(o) for o in kept}
    forwarded = [f"+{WORKER_ENV_KEY}.{name}={hydra_string(value)}" for name, value in sorted(env.items())
                 if f"{WORKER_ENV_KEY}.{name}" not in already]
    return kept + forwarded


def recipe_overrides(recipe: Recipe, model: str, train_files: str, val_files: str) -> list[str]:
    """The recipe's overrides plus its name as experiment, model and data paths (and critic model for GAE)."""
    overrides = [
        *REWARD_OVERRIDES,
        f"trainer.experiment_name={recipe.name}",
        *recipe.overrides,
        f"actor_rollout_ref.model.path={model}",
        f"data.train_files={train_files}",
        f"data.val_files={val_files}",
    ]
    if "algorithm.adv_estimator=gae" in recipe.overrides:
        overrides.append(f"critic.model.path={model}")
    return overrides


def plan_launch(
    recipe: Recipe,
    extra_overrides: Sequence[str] = (),
    model: str | None = None,
    train_files: str | None = None,
    val_files: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LaunchPlan:
    """The overrides and environment that run ``recipe`` with the user's choices on top."""
    base = recipe_overrides(
        recipe, model or recipe.model, train_files or recipe.train_files, val_files or recipe.val_files
    )
    env = {**recipe.env, **(env or {})}
    return LaunchPlan(overrides=tuple(joining_overrides(merge_overrides(base, extra_overrides), env)), env=env)


def verl_config_dir() -> str:
    """verl's Hydra config folder (``verl/trainer/config``) of the installed verl, found without importing verl."""
    spec = importlib.util.find_spec("verl")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("verl is not installed: pip install -e '.[cpu]' (or '.[gpu]')", name="verl")
    return str(Path(spec.submodule_search_locations[0]) / "trainer" / "config")


MODEL_PATH_KEYS = ("actor_rollout_ref.model.path", "critic.model.path", "critic.model.tokenizer_path")


def offline_validation_copy(config: DictConfig, stand_in: str) -> DictConfig:
    """``config`` with model paths that are not local folders swapped for ``stand_in``.

    verl's validation instantiates model configs, which loads tokenizers: a dry run must not
    download a model, and the checks do not depend on which model it is. Without vLLM
    installed, verl cannot look up vLLM's LoRA rank limits, so that one check is left out.
    """
    checked = config.copy()
    for key in MODEL_PATH_KEYS:
        path = OmegaConf.select(checked, key)
        if path and not Path(path).is_dir():
            OmegaConf.update(checked, key, stand_in)
    if importlib.util.find_spec("vllm") is None:
        OmegaConf.update(checked, "actor_rollout_ref.model.lora_rank", 0)
    return checked


def compose_config(overrides: Sequence[str]) -> DictConfig:
    """verl's ``ppo_trainer`` config with ``overrides`` (Hydra's own ``hydra.*`` settings left out), unresolved."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_overrides = [o for o in overrides if not override_key(o).startswith("hydra.")]  # app settings
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=verl_config_dir(), version_base=None):
        return compose(config_name="ppo_trainer", overrides=config_overrides)


def resolve_config(overrides: Sequence[str]) -> DictConfig:
    """verl's ``ppo_trainer`` config with ``overrides``, resolved and validated as ``main_ppo`` does.

    The validation reads a stand-in model (config and tokenizer of the tiny model) from a
    temporary folder that is removed afterwards: nothing is left on disk. Results are
    remembered per override list (checks and the dry-run report resolve the same one).
    """
    return copy.deepcopy(_resolved_config(tuple(overrides)))


@functools.lru_cache(maxsize=4)
def _resolved_config(overrides: tuple[str, ...]) -> DictConfig:
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config

    from med_u1.training.cpu.tiny_model import save_model_description

    config = compose_config(overrides)
    OmegaConf.resolve(config)
    with (
        tempfile.TemporaryDirectory(prefix="medu1-dry-run-") as folder,
        contextlib.redirect_stdout(io.StringIO()),  # verl prints "All configuration checks passed"
        warnings.catch_warnings(),  # and warns that GRPO runs without a critic
    ):
        warnings.simplefilter("ignore")
        checked = offline_validation_copy(config, str(save_model_description(folder)))
        validate_config(checked, use_reference_policy=need_reference_policy(checked), use_critic=need_critic(checked))
        omega_conf_to_dataclass(checked.actor_rollout_ref.rollout)
    return config


def run(plan: LaunchPlan, cwd: str | Path | None = None, timeout: float | None = None) -> int:
    """Run verl's trainer in a child process and return its exit code.

    On a Ray cluster the run is watched (:mod:`med_u1.training.cluster_watch`): ``placement.json``
    goes to the checkpoint folder, and a lost node stops the trainer and raises a UserError naming it.
    """
    from med_u1.errors import UserError
    from med_u1.training.cluster_watch import lost_node_message, watching

    logger.info("running: %s", plan.shell_line())
    address = cluster_address(plan.overrides)
    run_dir = Path(cwd or ".") / checkpoint_folder(plan) if address else Path(cwd or ".")
    run_dir.mkdir(parents=True, exist_ok=True)
    process = start_session(plan.command, env={**os.environ, **plan.env}, cwd=cwd)
    try:
        with watching(address, process, run_dir, sys.stderr):
            returncode = process.wait(timeout=timeout)
    except BaseException:  # a timeout, Ctrl-C, SIGTERM or SIGHUP: the trainer and its Ray go too
        stop_session(process)
        raise
    lost = lost_node_message(run_dir) if address else None
    if returncode != 0 and lost:
        raise UserError(lost)
    return returncode


def checkpoint_folder(plan: LaunchPlan) -> str:
    """``trainer.default_local_dir`` of the plan's config (where a watched run's ``placement.json`` goes)."""
    return str(resolve_config(plan.overrides).trainer.default_local_dir)
