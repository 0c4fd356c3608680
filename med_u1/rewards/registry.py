"""The task table: ``data_source -> task -> verifier``, the one place a source's task is named.

Data building (which sources exist, which task each row has) and rewards (which verifier
checks an answer) both read it. Adding a dataset is one ``register_data_source`` call; adding a
verifier is a function ``(pred, reference, config) -> Verdict`` and one ``register_task`` call.
Third-party packages register more through the ``med_u1.rewards`` entry-point group: each entry
point names a module (or callable) that calls these functions when loaded.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Callable

from med_u1.errors import UserError
from med_u1.rewards.contract import Reference, RewardConfig, Verdict
from med_u1.rewards.mcqa import verify_mcqa
from med_u1.rewards.medcalc import verify_medcalc
from med_u1.rewards.open_text import verify_open_text

logger = logging.getLogger(__name__)

Verifier = Callable[[str, Reference, RewardConfig], Verdict]
ENTRY_POINT_GROUP = "med_u1.rewards"

#: task -> verifier
TASKS: dict[str, Verifier] = {}
#: data source (canonical name or alias) -> task
DATA_SOURCES: dict[str, str] = {}
#: alias -> canonical data source
ALIASES: dict[str, str] = {}
_entry_points_loaded = False


def register_task(name: str, verifier: Verifier, *, replace: bool = False) -> None:
    """Make ``verifier`` available as task ``name``; a taken name needs ``replace=True``."""
    if name in TASKS and not replace:
        raise UserError(f"reward task {name!r} is already registered; pass replace=True to replace it")
    TASKS[name] = verifier


def register_data_source(data_source: str, task: str, *, aliases: tuple[str, ...] = (), replace: bool = False) -> None:
    """Route rows whose ``data_source`` is ``data_source`` (or one of ``aliases``) to ``task``'s verifier.

    Registering a name that is already routed is an error unless ``replace=True``.
    """
    if task not in TASKS:
        raise UserError(f"cannot route data source {data_source!r} to unknown task {task!r}; tasks: {', '.join(sorted(TASKS))}")
    names = (data_source, *aliases)
    taken = [name for name in names if name in DATA_SOURCES]
    if taken and not replace:
        raise UserError(
            f"data source {', '.join(map(repr, taken))} is already registered (task {DATA_SOURCES[taken[0]]!r}); "
            "pass replace=True to replace it"
        )
    for name in names:
        DATA_SOURCES[name] = task
    ALIASES.update(dict.fromkeys(aliases, data_source))


def task_of(data_source: str) -> str:
    """The task name of ``data_source``; an unknown source is a ``KeyError`` naming the known ones."""
    task = DATA_SOURCES.get(data_source)
    if task is None:
        _load_entry_points()
        task = DATA_SOURCES.get(data_source)
    if task is None:
        raise KeyError(
            f"unknown data_source {data_source!r}; registered data sources: {', '.join(sorted(DATA_SOURCES))}. "
            "Register it with med_u1.rewards.registry.register_data_source(name, task)."
        )
    return task


def verifier_of(data_source: str) -> Verifier:
    """The verifier that checks answers for ``data_source``."""
    return TASKS[task_of(data_source)]


def canonical_source(data_source: str) -> str:
    """The canonical name of a registered ``data_source`` (itself unless it is an alias)."""
    task_of(data_source)
    return ALIASES.get(data_source, data_source)


def canonical_sources(task: str | None = None) -> tuple[str, ...]:
    """The registered canonical data sources (of ``task`` when given), in registration order."""
    return tuple(name for name, routed in DATA_SOURCES.items() if name not in ALIASES and task in (None, routed))


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry_point.load()
        if callable(loaded):
            loaded()
        logger.info("loaded reward plugin %s", entry_point.name)


register_task("mcqa", verify_mcqa)
register_task("calc", verify_medcalc)
register_task("open", verify_open_text)

register_data_source("MedQA", "mcqa", aliases=("MedQA-USMLE",))
register_data_source("MedXpertQA", "mcqa")
register_data_source("MedCalc-Bench", "calc")
register_data_source("MedIQ", "mcqa", aliases=("MediQ",))
register_data_source("EHRNoteQA", "mcqa")
register_data_source("medical-o1-reasoning-SFT", "open")
register_data_source("MMLU-Pro", "mcqa")
register_data_source("PubMedQA", "mcqa")
register_data_source("MedMCQA", "mcqa")
register_data_source("GPQA", "mcqa")
