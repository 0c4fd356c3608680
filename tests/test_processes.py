"""Stopping: SIGTERM and SIGHUP raise like Ctrl-C, a started session ends whole, and with its parent.

The sessions here are small shell trees built like the trainer's: a leader, a child that leads a
process group of its own (as Ray's workers do), and one that ignores SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from med_u1 import cli
from med_u1.processes import Stopped, session_members, start_session, stop_session, stop_signals_raise

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sessions and PR_SET_PDEATHSIG as on Linux")

#: A leader with a SIGTERM-ignoring child and a child in a process group of its own.
TREE = "trap '' TERM; (trap '' TERM; sleep 60) & (set -m; sleep 60 &) ; sleep 60 & wait"


def wait_for_members(sid: int, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(members := session_members(sid)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


@pytest.mark.slow  # starts processes
def test_a_stopped_session_ends_whole_with_sigkill_after_the_grace() -> None:
    leader = start_session(["bash", "-c", TREE])
    members = wait_for_members(leader.pid, 4)
    assert len(members) >= 4 and len({os.getpgid(pid) for pid in members}) >= 2
    stop_session(leader, grace_s=1)
    assert session_members(leader.pid) == []
    assert leader.returncode == -signal.SIGKILL  # the leader ignored SIGTERM


@pytest.mark.slow  # starts processes
def test_a_session_that_ends_on_sigterm_is_not_killed() -> None:
    leader = start_session(["sleep", "60"])
    wait_for_members(leader.pid, 1)
    stop_session(leader, grace_s=30)
    assert leader.returncode == -signal.SIGTERM


PARENT = textwrap.dedent("""
    import sys, time
    from med_u1.processes import start_session
    print(start_session(["sleep", "60"]).pid, flush=True)
    time.sleep(60)
""")


@pytest.mark.slow  # starts another interpreter
def test_a_session_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    psutil.wait_procs([child], timeout=20)
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_raises_once_and_the_handlers_come_back(signum: int) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(Stopped) as stopped, stop_signals_raise():
        try:
            os.kill(os.getpid(), signum)
            time.sleep(1)
        except Stopped:
            os.kill(os.getpid(), signum)  # a second signal during the clean-up does not cut it short
            time.sleep(0.1)
            raise
    assert stopped.value.signum == signum and stopped.value.name == signal.Signals(signum).name
    assert isinstance(stopped.value, KeyboardInterrupt)
    assert signal.getsignal(signum) is before


@pytest.mark.parametrize("signum,status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_the_cli_names_the_signal_and_how_to_resume(monkeypatch: pytest.MonkeyPatch, capsys, signum: int,
                                                    status: int) -> None:
    def stopped_demo(args: argparse.Namespace) -> int:
        args.on_interrupt = "run the same command again to resume"
        os.kill(os.getpid(), signum)
        time.sleep(5)
        return 0

    monkeypatch.setattr("med_u1.demo.run_demo", stopped_demo)
    assert cli.main(["demo", "--no-train"]) == status
    name = signal.Signals(signum).name
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"medu1: stopped by {name}; run the same command again to resume"



#: A stand-in for verl's trainer (a GPU recipe cannot run here): it starts a child, and one in a
#: process group of its own as Ray's workers are, then trains forever.
STAND_IN_TRAINER = textwrap.dedent("""
    import os, subprocess, time
    subprocess.Popen(["sleep", "120"])
    subprocess.Popen(["sleep", "120"], preexec_fn=os.setpgrp)
    print("training", flush=True)
    time.sleep(120)
""")
#: ``medu1`` whose command (``demo``, for its parser) runs ``launcher.run`` on the stand-in.
GPU_PATH_DRIVER = textwrap.dedent("""
    import sys
    from med_u1 import cli, demo
    from med_u1.training import launcher

    def train(args):
        args.on_interrupt = "run the same command again to resume"
        return launcher.run(launcher.LaunchPlan(overrides=(), env={"PYTHONPATH": sys.argv[1]}))

    launcher.TRAINER_MODULE = "stand_in_trainer"
    demo.run_demo = train
    sys.exit(cli.main(["demo", "--no-train"]))
""")


@pytest.mark.slow  # starts interpreters
@pytest.mark.parametrize("signum,to_group", [(signal.SIGTERM, False), (signal.SIGHUP, True)])
def test_a_gpu_recipes_launch_path_stops_its_trainer_session(tmp_path: Path, signum: int, to_group: bool) -> None:
    """``launcher.run`` (GPU recipes, local or on a cluster) stops the trainer's whole session."""
    (tmp_path / "stand_in_trainer.py").write_text(STAND_IN_TRAINER)
    (tmp_path / "driver.py").write_text(GPU_PATH_DRIVER)
    driver = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(tmp_path)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert driver.stdout.readline().strip() == "training"
    trainer = next(child.pid for child in psutil.Process(driver.pid).children() if "stand_in_trainer" in child.cmdline())
    assert len(wait_for_members(trainer, 3)) == 3
    if to_group:
        os.killpg(driver.pid, signum)
    else:
        driver.send_signal(signum)
    _, stderr = driver.communicate(timeout=90)
    assert driver.returncode == 128 + signum
    assert stderr.strip().splitlines()[-1] == f"medu1: stopped by {signal.Signals(signum).name}; run the same command again to resume"
    assert session_members(trainer) == []
