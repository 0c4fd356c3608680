"""A stopped ``medu1 train`` ends everything it started, and the same command resumes.

Job schedulers stop a job with SIGTERM (Slurm at its time limit, ``scancel``, Kubernetes,
``timeout``), to the process or to its whole group. One cpu-learn run with a checkpoint every
step (steps of tens of seconds, verl's vLLM rollout where vLLM is installed, as in CI) is
stopped while it trains with SIGTERM to ``medu1``: no process of the trainer's session is left
within the grace period, no file is left in /dev/shm, the last line says how to resume, and the
same command would resume from the checkpoint (its dry run says so). ``medu1 demo`` is stopped
with SIGHUP to its process group (a closed terminal) while verl starts. A resumed run after
SIGTERM: tests/training/test_multinode.py; ``kill -9`` of ``medu1``: tests/training/cpu/test_plan.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from med_u1.processes import STOP_GRACE_S, session_members
from med_u1.training.cpu.shm_sweep import SHM_DIR

REPO_ROOT = Path(__file__).resolve().parents[3]
#: A few steps, each checkpointed, no validation: the run is stopped long before it ends.
OVERRIDES = ["trainer.save_freq=1", "trainer.total_training_steps=8", "trainer.test_freq=-1",
             "trainer.val_before_train=False"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sessions")]


def train_argv(work_dir: Path, rollout: str) -> list[str]:
    return [sys.executable, "-m", "med_u1.cli", "train", "--recipe", "cpu-learn", "--output-dir", str(work_dir),
            f"actor_rollout_ref.rollout.name={rollout}", *OVERRIDES]


def start_train(work_dir: Path, rollout: str, log: Path) -> subprocess.Popen:
    """``medu1 train --recipe cpu-learn`` in a session of its own, as a batch job starts it."""
    with log.open("a", encoding="utf-8") as stderr:
        return subprocess.Popen(train_argv(work_dir, rollout), cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)


def wait_for_members(sid: int, count: int, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while len(session_members(sid)) < count and time.monotonic() < deadline:
        time.sleep(0.5)


def trainer_session(process: subprocess.Popen) -> int:
    """The session of verl's trainer, the child that ``medu1`` started (its pid)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        trainers = [c for c in psutil.Process(process.pid).children() if "verl.trainer.main_ppo" in " ".join(c.cmdline())]
        if trainers:
            return trainers[0].pid
        time.sleep(1)
    raise AssertionError("verl's trainer did not start")


def wait_for_checkpoint(process: subprocess.Popen, work_dir: Path, step: int, seconds: float = 900) -> None:
    """Until verl has saved the checkpoint of ``step`` (a step is then under way); the run still going."""
    deadline = time.monotonic() + seconds
    tracker = work_dir / "checkpoints" / "latest_checkpointed_iteration.txt"
    while time.monotonic() < deadline and process.poll() is None:
        if tracker.is_file() and tracker.read_text().strip().isdigit() and int(tracker.read_text()) >= step:
            return
        time.sleep(1)
    raise AssertionError(f"no checkpoint of step {step} while the run was going (exit {process.poll()})")


def stop_and_check(process: subprocess.Popen, trainer: int, log: Path, shm_before: set[Path]) -> None:
    """SIGTERM to ``medu1``: it ends with 143 and one line, the trainer's session with it."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=STOP_GRACE_S + 60)
    left = session_members(trainer)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "processes of the trainer's session outlived the stopped command"
    assert process.returncode == 128 + signal.SIGTERM
    last_line = log.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert last_line.startswith("medu1: stopped by SIGTERM; run the same command again to resume"), last_line
    assert set(SHM_DIR.iterdir()) - shm_before == set(), "files left in /dev/shm"


def test_a_run_stopped_with_sigterm_while_it_trains_ends_whole_and_stays_resumable(
        tmp_path: Path, vllm_present: bool) -> None:
    rollout = "vllm" if vllm_present else "hf"
    work_dir, log = tmp_path / "run", tmp_path / "stderr.txt"
    shm_before = set(SHM_DIR.iterdir())

    run = start_train(work_dir, rollout, log)
    trainer = trainer_session(run)
    wait_for_checkpoint(run, work_dir, 1)
    stop_and_check(run, trainer, log=log, shm_before=shm_before)
    saved = int((work_dir / "checkpoints" / "latest_checkpointed_iteration.txt").read_text())
    ended = json.loads((work_dir / "attempts.jsonl").read_text().splitlines()[-1])
    assert ended["exit_code"] is None  # recorded as interrupted
    plan = subprocess.run(train_argv(work_dir, rollout) + ["--dry-run"], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=600)
    decision = plan.stdout.splitlines()[0]
    # from the last checkpoint, or the one before when the last step's metrics were not logged yet
    assert any(f"a launch would resume from step {step} " in decision for step in (saved, saved - 1)), decision


def test_sighup_to_the_demos_process_group_ends_its_training(tmp_path: Path) -> None:
    """``medu1 demo`` trains through the same path: a closed terminal (SIGHUP to the group) while
    verl starts ends the trainer's session with one line."""
    work_dir, log = tmp_path / "demo", tmp_path / "stderr.txt"
    shm_before = set(SHM_DIR.iterdir())
    with log.open("w", encoding="utf-8") as stderr:
        demo = subprocess.Popen([sys.executable, "-m", "med_u1.cli", "demo", "--work-dir", str(work_dir)], cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, stdout=subprocess.DEVNULL,
                                stderr=stderr, start_new_session=True)
    trainer = trainer_session(demo)
    wait_for_members(trainer, 3)  # Ray's processes are starting
    os.killpg(demo.pid, signal.SIGHUP)
    demo.wait(timeout=STOP_GRACE_S + 60)
    assert session_members(trainer) == [], "processes of the trainer's session outlived the stopped demo"
    assert demo.returncode == 128 + signal.SIGHUP
    last_line = log.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert last_line.startswith("medu1: stopped by SIGHUP; run the same command again to resume"), last_line
    assert set(SHM_DIR.iterdir()) - shm_before == set(), "files left in /dev/shm"
