"""Checks of a training launch that verl makes late or never: before anything starts.

* :func:`check_overrides`: every Hydra override names a key of verl's ``ppo_trainer`` config
  (else the closest valid key is suggested) and has the type of that key's default.
* :func:`launch_problems`: the divisibility rules verl 0.9.1 asserts only once workers hold
  their GPUs, model paths that do not exist, a wandb logger without a login.
* :func:`path_notes`: what could not be checked here (Hub ids offline, data not built yet).

Each problem says what is wrong and how to fix it; ``medu1 train`` (dry run or not) stops
with all of them in one :class:`~med_u1.errors.UserError`.
"""

from __future__ import annotations

import difflib
import netrc
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

from med_u1.errors import UserError
from med_u1.hub import is_hub_id, model_folder_problem
from med_u1.training.launcher import MODEL_PATH_KEYS, compose_config, override_key

DATA_KEYS = ("data.train_files", "data.val_files")
NO_LOGIN_WANDB_MODES = ("offline", "disabled", "dryrun")


def check_overrides(overrides: Sequence[str]) -> None:
    """Raise a UserError for overrides of unknown keys or of the wrong type, naming each one."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    defaults = compose_config([])
    raw_defaults = OmegaConf.to_container(defaults, resolve=False)
    parser = OverridesParser.create()
    problems = []
    for text in overrides:
        key = override_key(text)
        if key.startswith("hydra.") or text.startswith(("+", "~")):
            continue  # Hydra's own settings; additions and deletions are checked by Hydra itself
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException as error:
            problems.append(f"{text}: not a Hydra override ({' '.join(str(error).split())})")
            continue
        found, default = lookup(raw_defaults, key)
        if not found:
            problems.append(unknown_key_message(text, key, raw_defaults))
            continue
        problem = type_problem(key, override.value(), default, raw_defaults)
        if problem:
            problems.append(f"{text}: {problem}")
    if problems:
        raise UserError("; ".join(problems))


def lookup(tree: Any, key: str) -> tuple[bool, Any]:
    """``(found, value)`` of a dotted ``key`` in nested dicts."""
    node = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def dotted_keys(tree: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted key of nested dicts, parents included."""
    if isinstance(tree, dict):
        for name, value in tree.items():
            key = f"{prefix}{name}"
            yield key
            yield from dotted_keys(value, key + ".")


def unknown_key_message(text: str, key: str, defaults: dict) -> str:
    """The error for a key verl's config does not have, with the closest valid key."""
    keys = list(dotted_keys(defaults))
    parent = key.rpartition(".")[0]
    siblings = [k for k in keys if k.rpartition(".")[0] == parent] if parent in keys else []
    close = difflib.get_close_matches(key, siblings, n=1, cutoff=0.6) or difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "see `medu1 train --dry-run` for the whole config"
    return f"{text}: verl's config has no key {key!r}; {hint} (use +{key}=... to add a new key)"


def declared_float(raw_defaults: dict, key: str) -> bool:
    """Whether the verl dataclass that holds ``key`` (its node's ``_target_``) declares it a float.

    verl's YAML writes some float settings as whole numbers (``top_p: 1``, ``entropy_coeff: 0``);
    the dataclass the node is built into says what the setting really is.
    """
    import dataclasses
    import importlib
    import typing

    parent, _, name = key.rpartition(".")
    found, node = lookup(raw_defaults, parent) if parent else (True, raw_defaults)
    target = node.get("_target_") if found and isinstance(node, dict) else None
    if not isinstance(target, str) or "." not in target:
        return False
    module_name, _, class_name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
        hints = typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}
    except Exception:  # a target we cannot import or introspect: keep the YAML's type
        return False
    hint = hints.get(name)
    return hint is float or float in typing.get_args(hint)


def type_problem(key: str, value: Any, default: Any, raw_defaults: dict) -> str | None:
    """Why ``value`` cannot replace ``default`` (verl's value for ``key``), or None when it fits."""
    if default is None or (isinstance(default, str) and (default.startswith("${") or default == "???")):
        return None  # no default type, an interpolation, or a value verl requires the user to set
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"expects true or false (verl's default: {str(default).lower()})"
    if isinstance(default, int) and not declared_float(raw_defaults, key):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expects an integer (verl's default: {default})"
    if isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"expects a number (verl's default: {default})"
    if isinstance(default, list):
        return None if isinstance(value, (list, str)) else f"expects a list such as [a,b] (verl's default: {default})"
    if isinstance(default, dict):
        return None if isinstance(value, dict) or value is None else "expects a mapping such as {a: 1}"
    return None


def uses_critic(config: DictConfig) -> bool:
    """verl's own rule (``need_critic``): ``critic.enable`` when set, else whether the estimator is GAE."""
    import warnings

    from verl.trainer.ppo.utils import need_critic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # verl warns that the critic is off for GRPO
        return need_critic(config)


def gpu_count(config: DictConfig) -> int:
    return int(config.trainer.n_gpus_per_node) * int(config.trainer.nnodes)


def size_problems(config: DictConfig) -> list[str]:
    """The batch-size rules verl 0.9.1 asserts at launch (some only with use_dynamic_bsz=False).

    With ``n`` responses per prompt and ``G = n_gpus_per_node x nnodes`` GPUs:
    the trainer splits each batch of ``train_batch_size x n`` sequences evenly over the
    data-parallel ranks (``ray_trainer._balance_batch``, ``validate_config``); the FSDP engine
    splits each mini-batch of ``ppo_mini_batch_size x n`` over them (``engine_workers.
    train_mini_batch``: ``mini_batch_size % dp == 0``), for the critic too; the rollout
    workers split ``G`` into engines of ``tensor x data x pipeline`` parallel GPUs.
    """
    actor, rollout = config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    gpus, n = gpu_count(config), int(rollout.n)
    where = f"n_gpus_per_node x nnodes = {config.trainer.n_gpus_per_node} x {config.trainer.nnodes} = {gpus}"
    problems = []
    batch = int(config.data.train_batch_size)
    if batch * n % gpus:
        problems.append(f"data.train_batch_size x rollout.n = {batch} x {n} = {batch * n} does not divide by {where}")
    if batch < int(actor.ppo_mini_batch_size):
        problems.append(f"data.train_batch_size ({batch}) is smaller than actor.ppo_mini_batch_size ({actor.ppo_mini_batch_size})")
    sections = [("actor", actor)] + ([("critic", config.critic)] if uses_critic(config) else [])
    for name, section in sections:
        if section.get("strategy") not in ("fsdp", "fsdp2"):
            continue
        data_parallel = gpus // max(int(section.get("ulysses_sequence_parallel_size", 1) or 1), 1)
        mini = int(section.ppo_mini_batch_size) * n
        if data_parallel and mini % data_parallel:
            problems.append(
                f"{name}.ppo_mini_batch_size x rollout.n = {section.ppo_mini_batch_size} x {n} = {mini} does not divide "
                f"by the {data_parallel} data-parallel ranks ({where})"
            )
    engine = int(rollout.tensor_model_parallel_size) * int(rollout.get("data_parallel_size", 1) or 1) * int(
        rollout.get("pipeline_model_parallel_size", 1) or 1
    )
    if gpus % engine:
        problems.append(f"{where} does not divide into rollout engines of tensor x data x pipeline parallel = {engine} GPUs")
    return problems


def is_remote(path: str) -> bool:
    return "://" in path


def config_paths(config: DictConfig, keys: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(key, path)`` for every path the keys hold (a key may hold a list of files)."""
    for key in keys:
        value = OmegaConf.select(config, key)
        values = list(value) if isinstance(value, (list, ListConfig)) else [value]
        for path in values:
            if path:
                yield key, str(path)


def model_keys(config: DictConfig) -> tuple[str, ...]:
    """The model path keys the run reads (the critic's only when it has a critic)."""
    return MODEL_PATH_KEYS if uses_critic(config) else tuple(k for k in MODEL_PATH_KEYS if not k.startswith("critic."))


def model_problems(config: DictConfig, built_at_launch: Iterable[str] = ()) -> list[str]:
    """Local model paths that do not exist (Hub ids and remote paths are not checked here)."""
    problems = []
    for key, path in config_paths(config, model_keys(config)):
        problem = None if path in built_at_launch or is_remote(path) else model_folder_problem(path)
        if problem:
            problems.append(f"{key}={path}: {problem}")
    return problems


def missing_data(config: DictConfig, built_at_launch: Iterable[str] = ()) -> list[str]:
    """Data files that are neither on disk nor remote nor built by the run itself."""
    return [
        f"{key}={path}" for key, path in config_paths(config, DATA_KEYS)
        if path not in built_at_launch and not is_remote(path) and not Path(os.path.expanduser(path)).exists()
    ]


def wandb_login_found() -> bool:
    """A wandb API key in the environment or ~/.netrc, or a mode that needs none."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_MODE", "").lower() in NO_LOGIN_WANDB_MODES:
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def logger_problems(config: DictConfig) -> list[str]:
    loggers = OmegaConf.select(config, "trainer.logger") or []
    loggers = [loggers] if isinstance(loggers, str) else list(loggers)
    if "wandb" in loggers and not wandb_login_found():
        return [
            "trainer.logger includes wandb but no wandb login was found (WANDB_API_KEY or ~/.netrc): run `wandb login`, "
            "set WANDB_MODE=offline, or log without it: trainer.logger=[console,tensorboard]"
        ]
    return []


def launch_problems(config: DictConfig, built_at_launch: Iterable[str] = ()) -> list[str]:
    """Everything in a resolved config that would stop the run after it started."""
    built = set(built_at_launch)
    return [*size_problems(config), *model_problems(config, built), *logger_problems(config)]


def path_notes(config: DictConfig, built_at_launch: Iterable[str] = ()) -> list[str]:
    """What a dry run cannot check offline: Hub model ids, remote paths, data not built yet."""
    built = set(built_at_launch)
    notes = [
        f"{key}={path}: Hub id, not checked offline (downloaded at launch)"
        for key, path in config_paths(config, model_keys(config))
        if path not in built and not is_remote(path) and is_hub_id(path)
    ]
    notes += [f"{entry}: not found yet (build it first: see `medu1 data build`)" for entry in missing_data(config, built)]
    return notes


def require(problems: Sequence[str], what: str) -> None:
    """Raise one UserError listing ``problems`` (numbered when there are several)."""
    if len(problems) == 1:
        raise UserError(f"{what}: {problems[0]}")
    if problems:
        raise UserError(f"{what}: " + " ".join(f"({i}) {p};" for i, p in enumerate(problems, 1)).rstrip(";"))


def preflight(overrides: Sequence[str], built_at_launch: Iterable[str] = (), launching: bool = True) -> list[str]:
    """Check a launch before it starts: raise one UserError with every problem, else return the notes.

    Runs :func:`check_overrides`, then verl's own composition and validation (their errors
    become UserErrors), then :func:`launch_problems`. A real launch also needs its data files;
    a dry run only notes the missing ones.
    """
    from hydra.errors import HydraException

    from med_u1.training.launcher import resolve_config

    check_overrides(overrides)
    try:
        config = resolve_config(overrides)
    except (AssertionError, ValueError, HydraException) as error:
        raise UserError(f"verl rejects this configuration: {error}") from error
    built = set(built_at_launch)
    problems = launch_problems(config, built)
    if launching:
        problems += [f"{entry}: no such file (build it first: see `medu1 data build`)" for entry in missing_data(config, built)]
    require(problems, "this run would fail")
    return [] if launching else path_notes(config, built)
