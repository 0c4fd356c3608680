"""The task table: ``data_source -> task -> verifier``, the one place a source's task is named.

Data building (which sources exist, which task each row has) and rewards (which verifier
checks an answer) both read it. Adding a dataset is one ``register_data_source`` call; adding a
verifier is a function ``(pred, reference, config) -> Verdict`` and one ``register_task`` call.
Third-party packages register more through the ``med_u1.rewards`` entry-point group: each entry
point names a module (or callable) that calls these functions when loaded.
"""

from __future__ import annotations

from typing import Callable

from med_u1.errors import UserError
from med_u1.registry import Registry
from med_u1.rewards.contract import Reference, RewardConfig, Verdict
from med_u1.rewards.mcqa import verify_mcqa
from med_u1.rewards.medcalc import verify_medcalc
from med_u1.rewards.open_text import verify_open_text

Verifier = Callable[[str, Reference, RewardConfig], Verdict]
ENTRY_POINT_GROUP = "med_u1.rewards"

#: task -> verifier
TASKS: Registry[Verifier] = Registry("reward task", entry_point_group=ENTRY_POINT_GROUP)
#: data source (canonical name or alias) -> task
DATA_SOURCES: Registry[str] = Registry("data_source", entry_point_group=ENTRY_POINT_GROUP)


def register_task(name: str, verifier: Verifier, *, replace: bool = False) -> None:
    """Make ``verifier`` available as task ``name``; a taken name needs ``replace=True``."""
    TASKS.add(name, verifier, replace=replace)


def register_data_source(data_source: str, task: str, *, aliases: tuple[str, ...] = (), replace: bool = False) -> None:
    """Route rows whose ``data_source`` is ``data_source`` (or one of ``aliases``) to ``task``'s verifier.

    Registering a name that is already routed is an error unless ``replace=True``.
    """
    if task not in TASKS:
        raise UserError(f"cannot route data source {data_source!r} to unknown task {task!r}; tasks: {', '.join(TASKS)}")
    DATA_SOURCES.add(data_source, task, aliases=aliases, replace=replace)


def task_of(data_source: str) -> str:
    """The task name of ``data_source``; an unknown source is an ``UnknownName`` (a ``KeyError``)."""
    return DATA_SOURCES.get(data_source)


def canonical_source(data_source: str) -> str:
    """The canonical name of a registered ``data_source`` (itself unless it is an alias)."""
    return DATA_SOURCES.canonical(data_source)


def canonical_sources(task: str | None = None) -> tuple[str, ...]:
    """The registered canonical data sources (of ``task`` when given), in registration order."""
    return tuple(name for name, routed in DATA_SOURCES.items() if task in (None, routed))


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
