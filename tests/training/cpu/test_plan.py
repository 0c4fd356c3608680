"""A CPU run killed with SIGKILL mid-run resumes from its checkpoint; each step's metrics are kept once.

One 3-step cpu-smoke run (a checkpoint every step) is started as a user starts it,
``medu1 train`` in its own process, and ``medu1`` alone is killed with SIGKILL (as the
out-of-memory killer does) once verl has logged step 1: verl's trainer, in a session of its
own, must end with it rather than train on. The same command then resumes the run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from med_u1.cli import main as medu1_main
from med_u1.processes import STOP_GRACE_S, session_members
from med_u1.training.commands import CHECKING_LINE
from med_u1.training.cpu.plan import checkpoint_dir, read_step_metrics
from med_u1.training.metrics import by_step, read_metrics_lines, trained

REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_TIMEOUT_S = 600
STEPS = 3

pytestmark = pytest.mark.slow


def logged_training_steps(path: Path) -> list[int]:
    if not path.is_file():
        return []
    return [step for step, metrics in by_step(read_metrics_lines(path)).items() if trained(metrics)]


def kill_cli_alone(process: subprocess.Popen) -> None:
    """SIGKILL ``medu1`` alone; the trainer's session (verl, Ray, its workers) must end within the
    stop grace period, or it is killed and the test fails."""
    trainers = psutil.Process(process.pid).children()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    deadline = time.monotonic() + STOP_GRACE_S + 60
    left = [pid for trainer in trainers for pid in session_members(trainer.pid)]
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = [pid for trainer in trainers for pid in session_members(trainer.pid)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert trainers and not left, "verl's trainer trained on after medu1 was killed"


def run_until_first_step_then_kill(argv: list[str], work_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "med_u1.cli", *argv], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    try:
        while not logged_training_steps(work_dir / "metrics.jsonl"):
            assert process.poll() is None, f"the run ended (status {process.returncode}) before logging a step"
            assert time.monotonic() < deadline, "no step logged in time"
            time.sleep(0.2)
    except BaseException:
        process.kill()  # its trainer ends with it
        raise
    kill_cli_alone(process)


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> tuple[Path, bytes, str]:
    """The run folder, the first attempt's metrics file as the kill left it, and the resuming command's console."""
    work_dir = tmp_path_factory.mktemp("killed")
    argv = ["train", "--preset", "cpu-smoke", "--output-dir", str(work_dir), "--shared-data", str(shared_data_dir),
            f"trainer.total_training_steps={STEPS}", "trainer.save_freq=1"]
    run_until_first_step_then_kill(argv, work_dir)
    first_attempt = (work_dir / "metrics.jsonl").read_bytes()
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert medu1_main(argv) == 0
    return work_dir, first_attempt, console.getvalue()


def ledger(work_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (work_dir / "attempts.jsonl").read_text().splitlines()]


def test_the_resumed_run_says_from_which_step(killed_and_resumed: tuple[Path, bytes, str]) -> None:
    work_dir, _, console = killed_and_resumed
    starts = [entry for entry in ledger(work_dir) if "resumed_from" in entry]
    assert [entry["attempt"] for entry in starts] == [1, 2]
    resumed_from = starts[1]["resumed_from"]
    assert 1 <= resumed_from < STEPS
    assert console.startswith(f"{CHECKING_LINE}\nresuming from step {resumed_from} of {STEPS} "
                              f"(checkpoint in {work_dir / 'checkpoints'})")
    ends = {entry["attempt"]: entry["exit_code"] for entry in ledger(work_dir) if "exit_code" in entry}
    assert ends == {2: 0}  # the killed attempt never recorded an end


def test_every_step_is_logged_once_across_the_attempts(killed_and_resumed: tuple[Path, bytes, str]) -> None:
    work_dir, first_attempt, _ = killed_and_resumed
    resumed_from = [entry for entry in ledger(work_dir) if "resumed_from" in entry][1]["resumed_from"]
    assert (work_dir / "metrics.jsonl").read_bytes() == first_attempt  # the second attempt wrote its own file
    kept_first = [step for step in logged_training_steps(work_dir / "metrics.jsonl") if step <= resumed_from]
    second = logged_training_steps(work_dir / "metrics.attempt-2.jsonl")
    assert kept_first == list(range(1, resumed_from + 1))
    assert second == list(range(resumed_from + 1, STEPS + 1))
    merged = read_step_metrics(work_dir)
    assert sorted(merged) == list(range(1, STEPS + 1))
    first_lines = by_step(read_metrics_lines(work_dir / "metrics.jsonl"))
    for step in kept_first:
        assert merged[step] == first_lines[step]
    assert (checkpoint_dir(work_dir) / "latest_checkpointed_iteration.txt").read_text().strip() == str(STEPS)


def test_the_log_keeps_both_attempts(killed_and_resumed: tuple[Path, bytes, str]) -> None:
    work_dir, _, _ = killed_and_resumed
    log = (work_dir / "train.log").read_text()
    commands = [line for line in log.splitlines() if line.startswith("$ ") and "verl.trainer.main_ppo" in line]
    assert len(commands) == 2
    assert log.startswith("$ ") and "# attempt 2: resuming from step" in log
