"""A stopped ``medu1 train`` ends everything it started, and the same command resumes.

Job schedulers stop a job with SIGTERM (Slurm at its time limit, ``scancel``, Kubernetes,
``timeout``), to the process or to its whole group. One cpu-learn run with a checkpoint every
step (steps of tens of seconds, verl's vLLM rollout where vLLM is installed, as in CI) is
stopped while it trains with SIGTERM to ``medu1``: no process of the trainer's session is left
within the grace period, no file is left in /dev/shm, and the last line says how to resume. The
same command resumes from the checkpoint, and is then killed outright (``kill -9``, as the
out-of-memory killer does): its trainer must not train on. ``medu1 demo`` is stopped with
SIGHUP to its process group (a closed terminal) while verl trains.
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


def start_train(work_dir: Path, rollout: str, log: Path) -> subprocess.Popen:
    """``medu1 train --recipe cpu-learn`` in a session of its own, as a batch job starts it."""
    argv = [sys.executable, "-m", "med_u1.cli", "train", "--recipe", "cpu-learn", "--output-dir", str(work_dir),
            f"actor_rollout_ref.rollout.name={rollout}", *OVERRIDES]
    with log.open("a", encoding="utf-8") as stderr:
        return subprocess.Popen(argv, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)


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


def attempts(work_dir: Path) -> list[dict]:
    lines = (work_dir / "attempts.jsonl").read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if "resumed_from" in entry]


def test_sighup_to_the_demos_process_group_ends_its_training(tmp_path: Path) -> None:
    """``medu1 demo`` trains through the same path: a closed terminal (SIGHUP to the group) while
    verl's training loop runs ends the trainer's session, with one line."""
    work_dir, log = tmp_path / "demo", tmp_path / "stderr.txt"
    shm_before = set(SHM_DIR.iterdir())
    with log.open("w", encoding="utf-8") as stderr:
        demo = subprocess.Popen([sys.executable, "-m", "med_u1.cli", "demo", "--work-dir", str(work_dir)], cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, stdout=subprocess.DEVNULL,
                                stderr=stderr, start_new_session=True)
    trainer = trainer_session(demo)
    deadline = time.monotonic() + 600
    while not (work_dir / "metrics.jsonl").exists():  # verl opens it as its training loop starts
        assert demo.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.5)
    os.killpg(demo.pid, signal.SIGHUP)
    demo.wait(timeout=STOP_GRACE_S + 60)
    assert session_members(trainer) == [], "processes of the trainer's session outlived the stopped demo"
    assert demo.returncode == 128 + signal.SIGHUP
    last_line = log.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert last_line.startswith("medu1: stopped by SIGHUP; run the same command again to resume"), last_line
    assert set(SHM_DIR.iterdir()) - shm_before == set(), "files left in /dev/shm"


def test_a_run_stopped_with_sigterm_resumes_and_a_killed_medu1_takes_its_trainer_along(
        tmp_path: Path, vllm_present: bool) -> None:
    rollout = "vllm" if vllm_present else "hf"
    work_dir, log = tmp_path / "run", tmp_path / "stderr.txt"
    shm_before = set(SHM_DIR.iterdir())

    first = start_train(work_dir, rollout, log)
    trainer = trainer_session(first)
    wait_for_checkpoint(first, work_dir, 1)
    stop_and_check(first, trainer, log=log, shm_before=shm_before)
    saved = int((work_dir / "checkpoints" / "latest_checkpointed_iteration.txt").read_text())

    again = start_train(work_dir, rollout, log)  # the same command resumes
    trainer = trainer_session(again)
    wait_for_checkpoint(again, work_dir, saved + 1)
    again.send_signal(signal.SIGKILL)  # as the out-of-memory killer does: no clean-up in medu1
    again.wait()
    assert sessions_end(trainer, STOP_GRACE_S + 60), "the trainer trained on after medu1 was killed"
    for path in set(SHM_DIR.iterdir()) - shm_before:  # no sweep ran: what vLLM's engine left
        path.unlink(missing_ok=True)
    assert [entry["resumed_from"] for entry in attempts(work_dir)] == [0, saved]


def sessions_end(sid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while session_members(sid):
        if time.monotonic() > deadline:
            for pid in session_members(sid):
                os.kill(pid, signal.SIGKILL)
            return False
        time.sleep(1)
    return True
