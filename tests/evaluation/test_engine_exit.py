"""A process the eval backend marks ends when its parent is killed with ``kill -9``; an unmarked one does not.

The parent here is a small Python program that starts one ``multiprocessing`` child (as vLLM starts
its engine core), which runs the plugin and then waits; the test kills the parent with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from med_u1.evaluation.engine_exit import MARK, engines_exit_with_parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

PARENT = textwrap.dedent("""
    import multiprocessing, sys, time
    from med_u1.evaluation.engine_exit import exit_with_parent

    def engine():
        exit_with_parent()
        time.sleep(600)

    if __name__ == "__main__":
        child = multiprocessing.get_context(sys.argv[1]).Process(target=engine)
        child.start()
        print(child.pid, flush=True)
        time.sleep(600)
""")


def child_after_parent_killed(tmp_path: Path, marked: bool, wait_s: float, start_method: str = "spawn") -> psutil.Process:
    """Start the parent program, kill it with SIGKILL once its child runs; the child, after up to ``wait_s``."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    env = {key: value for key, value in os.environ.items() if key != MARK}
    if marked:
        env[MARK] = "1"
    parent = subprocess.Popen([sys.executable, str(script), start_method], env=env, stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    psutil.wait_procs([child], timeout=wait_s)
    return child


@pytest.mark.slow
@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_a_marked_process_ends_with_its_killed_parent(tmp_path: Path, start_method: str) -> None:
    child = child_after_parent_killed(tmp_path, marked=True, wait_s=20, start_method=start_method)
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
def test_an_unmarked_process_outlives_its_killed_parent(tmp_path: Path) -> None:
    child = child_after_parent_killed(tmp_path, marked=False, wait_s=3)
    try:
        assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    finally:
        child.kill()


def test_the_mark_lasts_only_while_the_engine_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MARK, raising=False)
    with engines_exit_with_parent():
        assert os.environ[MARK] == "1"
    assert MARK not in os.environ
