"""A run folder keeps every attempt's records: reruns resume, finish at once, or refuse; nothing is truncated.

verl resumes from the latest checkpoint in ``trainer.default_local_dir`` (``resume_mode=auto``),
but its file logger opens ``VERL_FILE_LOGGER_PATH`` with ``"wb"``: a second attempt in the
same folder would empty the first one's metrics. So each attempt gets its own metrics file
(``metrics.jsonl`` for the first, ``metrics.attempt-N.jsonl`` after it), and ``attempts.jsonl``
records, one line per start and per end, which checkpoint step each attempt resumed from.
Readers merge the files: a step that a later attempt trained again (after the checkpoint it
resumed from) is taken from the later attempt, every other step from the attempt that
logged it. What a new attempt does is decided before anything starts (:meth:`RunFolder.plan_start`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
import time
from pathlib import Path
from typing import Literal, Sequence

from med_u1.errors import UserError
from med_u1.training.launcher import WORKER_ENV_KEY, LaunchPlan, joining_overrides, merge_overrides, override_key
from med_u1.training.metrics import Metrics, by_step, read_metrics_lines, trained

logger = logging.getLogger(__name__)

LOGGER_PATH_ENV = "VERL_FILE_LOGGER_PATH"

FIRST_METRICS = "metrics.jsonl"
LEDGER = "attempts.jsonl"
TRACKER = "latest_checkpointed_iteration.txt"  # verl's: the step of the last complete checkpoint
_STEP_FOLDER = re.compile(r"^global_step_(\d+)$")
_LATER_METRICS = re.compile(r"^metrics\.attempt-(\d+)\.jsonl$")


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One start of verl's trainer in a run folder."""

    number: int
    resumed_from: int
    """The checkpoint step it started from (0: from scratch)."""
    total_steps: int | None = None


@dataclasses.dataclass(frozen=True)
class Start:
    """What the next attempt does: train from scratch, resume, or nothing (the run is complete)."""

    action: Literal["fresh", "resume", "done"]
    step: int
    total: int | None
    overrides: tuple[str, ...] = ()
    message: str = ""


def metrics_file_name(number: int) -> str:
    """``metrics.jsonl`` for the first attempt, ``metrics.attempt-N.jsonl`` for attempt N after it."""
    return FIRST_METRICS if number == 1 else f"metrics.attempt-{number}.jsonl"


def last_override(overrides: Sequence[str], key: str) -> str | None:
    """The value the last override of ``key`` sets, if any."""
    values = [o.split("=", 1)[1] for o in overrides if "=" in o and override_key(o) == key]
    return values[-1] if values else None


class RunFolder:
    """The records of one training run: its attempts' metrics and ledger in ``root``, verl's checkpoints in ``checkpoints``."""

    def __init__(self, root: Path, checkpoints: Path | None = None):
        self.root = Path(root).resolve()
        self.checkpoints = Path(checkpoints).resolve() if checkpoints else self.root / "checkpoints"

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    def metrics_file(self, number: int) -> Path:
        return self.root / metrics_file_name(number)

    def attempts(self) -> list[Attempt]:
        """The attempts so far, in order (a folder from before the ledger: its ``metrics.jsonl`` as attempt 1)."""
        attempts = []
        if self.ledger.is_file():
            for line in self.ledger.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    logger.warning("%s: skipped a line that is not JSON (an interrupted write)", self.ledger)
                    continue
                if "resumed_from" in entry:
                    attempts.append(Attempt(entry["attempt"], entry["resumed_from"], entry.get("total_steps")))
        if not attempts and self.metrics_file(1).is_file():
            attempts.append(Attempt(1, 0))
        return attempts

    def metrics_files(self) -> list[Path]:
        """Every attempt's metrics file present, first attempt first."""
        later = sorted(
            (int(match.group(1)), path) for path in self.root.glob("metrics.attempt-*.jsonl")
            if (match := _LATER_METRICS.match(path.name))
        )
        first = [self.metrics_file(1)] if self.metrics_file(1).is_file() else []
        return first + [path for _, path in later]

    def step_metrics(self) -> dict[int, Metrics]:
        """The run's metrics by step over all attempts, each step once (superseded steps from the later attempt)."""
        steps: dict[int, Metrics] = {}
        for attempt in self.attempts():
            steps = {step: metrics for step, metrics in steps.items() if step <= attempt.resumed_from}
            path = self.metrics_file(attempt.number)
            if path.is_file():
                for step, metrics in by_step(read_metrics_lines(path)).items():
                    steps.setdefault(step, {}).update(metrics)
        return dict(sorted(steps.items()))

    def trained_steps(self) -> list[int]:
        return [step for step, metrics in self.step_metrics().items() if trained(metrics)]

    def checkpoint_steps(self) -> list[int]:
        """The steps of the ``global_step_N`` folders verl saved."""
        if not self.checkpoints.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.checkpoints.iterdir() if (m := _STEP_FOLDER.match(p.name)))

    def latest_checkpoint(self) -> int:
        """The step verl resumes from (its tracker file), 0 when there is none."""
        tracker = self.checkpoints / TRACKER
        text = tracker.read_text().strip() if tracker.is_file() else ""
        return int(text) if text.isdigit() else 0

    def overwrite_hint(self) -> str:
        return f"give a new --output-dir, or add --overwrite to start {self.root} over"

    def plan_start(self, total: int | None, user_overrides: Sequence[str] = ()) -> Start:
        """What a new attempt with ``total`` steps does here; a start that would train over earlier records raises."""
        trained_steps = self.trained_steps()
        checkpoint = self.latest_checkpoint()
        reached = max([checkpoint, *trained_steps])
        resume_mode = last_override(user_overrides, "trainer.resume_mode")
        if resume_mode == "disable":
            if reached:
                raise UserError(f"trainer.resume_mode=disable would train over the run in {self.root} "
                                f"(at step {reached}); {self.overwrite_hint()}")
            return Start("fresh", 0, total)
        if resume_mode == "resume_path":
            path = last_override(user_overrides, "trainer.resume_from_path") or ""
            step = int(path.rsplit("global_step_", 1)[-1]) if re.search(r"global_step_\d+/?$", path) else 0
            return Start("resume", step, total, message=f"resuming from {path} (trainer.resume_from_path)")
        if total is not None and reached and reached >= total:
            return Start("done", reached, total, message=(
                f"nothing to do: already at step {reached} of {total} in {self.root} "
                f"(to train further, raise the step count; for a new run {self.overwrite_hint()})"))
        if checkpoint:
            return self.resume_start(checkpoint, trained_steps, total, user_overrides)
        if trained_steps:
            raise UserError(
                f"{self.root} holds steps {trained_steps[0]}-{trained_steps[-1]} of an earlier run but no checkpoint "
                f"to resume from; training from step 0 would overwrite its records: {self.overwrite_hint()}"
            )
        return Start("fresh", 0, total)

    def resume_start(self, checkpoint: int, trained_steps: list[int], total: int | None,
                     user_overrides: Sequence[str]) -> Start:
        """Resume from the latest checkpoint, or from an earlier one when the latest step's metrics were never logged."""
        step, overrides = checkpoint, []
        note = f"steps up to {checkpoint} keep the earlier attempts' metrics"
        if self.metrics_files() and checkpoint not in trained_steps:
            # Killed between saving step N and logging it: train step N again so its metrics exist once.
            earlier = [s for s in self.checkpoint_steps() if s < checkpoint and s in trained_steps]
            if earlier:
                step = earlier[-1]
                overrides = ["trainer.resume_mode=resume_path",
                             f"trainer.resume_from_path={self.checkpoints / f'global_step_{step}'}"]
                note = f"step {checkpoint} was checkpointed but its metrics were never logged, so it is trained again"
            else:
                note = f"the metrics of step {checkpoint} were lost with the interrupted attempt"
        if last_override(user_overrides, "trainer.val_before_train") is None:
            overrides.append("trainer.val_before_train=False")  # step N was validated (or not) by the earlier attempt
        of_total = f" of {total}" if total is not None else ""
        return Start("resume", step, total, tuple(overrides),
                     f"resuming from step {step}{of_total} (checkpoint in {self.checkpoints}); {note}")

    def begin(self, start: Start) -> Attempt:
        """Record a new attempt in the ledger (before the trainer starts) and return it."""
        numbers = [attempt.number for attempt in self.attempts()]
        attempt = Attempt(max(numbers, default=0) + 1, start.step, start.total)
        self.append_ledger({"attempt": attempt.number, "resumed_from": attempt.resumed_from,
                            "total_steps": attempt.total_steps, "started": timestamp()})
        return attempt

    def finish(self, attempt: Attempt, exit_code: int | None) -> None:
        """Record how an attempt ended (None: it was interrupted)."""
        self.append_ledger({"attempt": attempt.number, "exit_code": exit_code, "ended": timestamp()})

    def append_ledger(self, entry: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.ledger.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def attempt_plan(self, plan: LaunchPlan, start: Start, attempt: Attempt) -> LaunchPlan:
        """``plan`` with the start's overrides and the attempt's own file-logger path.

        On a Ray cluster the path also goes to the workers' ``runtime_env`` (replacing the one
        the plan forwarded), since verl's file logger runs in a Ray actor there.
        """
        env = {**plan.env, LOGGER_PATH_ENV: str(self.metrics_file(attempt.number))}
        overrides = [override for override in merge_overrides(plan.overrides, start.overrides)
                     if override_key(override) != f"{WORKER_ENV_KEY}.{LOGGER_PATH_ENV}"]
        return LaunchPlan(tuple(joining_overrides(overrides, env)), env)

    def remove_records(self, also: Sequence[Path] = ()) -> list[Path]:
        """Delete the run's checkpoints, metrics, ledger and log (and ``also``, inside the folder): ``--overwrite``."""
        removed = []
        for path in [self.checkpoints, *self.metrics_files(), self.ledger, self.root / "train.log", *also]:
            path = Path(path).resolve()
            if not path.exists() or (path != self.checkpoints and not path.is_relative_to(self.root)):
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        return removed


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def dump_folders(overrides: Sequence[str]) -> list[Path]:
    """The generation-dump folders the overrides name (``trainer.rollout_data_dir``, ``trainer.validation_data_dir``)."""
    keys = ("trainer.rollout_data_dir", "trainer.validation_data_dir")
    return [Path(value) for key in keys if (value := last_override(overrides, key)) not in (None, "null")]
