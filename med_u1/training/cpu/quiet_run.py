"""Run verl's trainer with its log in a file and a short console: a progress bar, a line per phase and per step.

Ray and verl write about a thousand lines for a two-step CPU run (worker start-up, engine
notices, warnings about missing GPU libraries and thread counts). They all go to the log
file; the console shows one progress bar, a line as the trainer reaches each phase of its
start-up (read from the log), and, as verl's file logger writes each step's metrics, one
table row for it. When the trainer fails, the end of the log is shown.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, TextIO

from med_u1.processes import start_session, stop_session
from med_u1.training.cluster_watch import local_actor_pids, watching
from med_u1.training.cpu.shm_sweep import SharedMemorySweeper
from med_u1.training.launcher import LaunchPlan, cluster_address, override_key
from med_u1.training.metrics import MetricsTail

POLL_SECONDS = 0.5
LOG_TAIL_LINES = 25


def total_steps(plan: LaunchPlan) -> int | None:
    """``trainer.total_training_steps`` of the plan (the last override of that key wins), if set."""
    values = [o.split("=", 1)[1] for o in plan.overrides if override_key(o) == "trainer.total_training_steps"]
    return int(values[-1]) if values and values[-1].isdigit() else None


def step_row(step: int, metrics: dict) -> str:
    """One compact line: training reward, mean validation accuracy and format over sources, step time."""

    def mean(group: str, name: str) -> float:
        values = [v for k, v in metrics.items() if k.startswith(f"{group}/") and k.endswith(f"/{name}/mean@1")]
        return sum(values) / len(values) if values else float("nan")

    return (
        f"{step:>4}  {metrics.get('critic/score/mean', float('nan')):>+11.3f}  {mean('val-core', 'acc'):>7.2f}"
        f"  {mean('val-aux', 'format'):>10.2f}  {metrics.get('timing_s/step', float('nan')):>6.1f}"
    )


STEP_HEADER = "step  train score  val acc  val format  step s"

#: The phases of the trainer's start-up: the log lines (Ray's, verl 0.9.1's) that begin each, and
#: what the console says then. Each lasts from its line to the next one's.
START_PHASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Started a local Ray instance.", "Connected to Ray cluster."),
     "Ray is up; verl's task runner starts and reads the data"),
    (("create worker group",), "starting the actor worker and loading the model into it"),
    (("actor and ref model engine initialized",), "starting the rollout server"),
    (("all initialize finished, ready to fit",), "first rollouts under way (they also start the agent-loop worker)"),
)


def starting_line(log_path: Path) -> str:
    """The console's line as the trainer starts."""
    return f"starting verl's trainer and Ray (their output: {log_path})"


def phase_begun_by(line: str) -> int:
    """The index in START_PHASES of the phase a log line begins, -1 for none."""
    return next((index for index, (markers, _) in enumerate(START_PHASES) if any(m in line for m in markers)), -1)


class StartupPhases:
    """The start-up phases the trainer's log reaches as it grows: each phase's console line once, in order.

    A log line may skip phases (a later phase's line ends the earlier ones); what the log
    held before ``offset`` (an earlier attempt's output) is not read.
    """

    def __init__(self, log_path: Path, offset: int):
        self.log_path = log_path
        self.offset = offset
        self.pending = b""
        self.reached = -1

    def read(self) -> list[str]:
        """The console lines of the phases reached since the last call."""
        with self.log_path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
            self.offset = handle.tell()
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        messages = []
        for line in lines:
            phase = phase_begun_by(line.decode("utf-8", errors="replace"))
            if phase > self.reached:
                self.reached = phase
                messages.append(START_PHASES[phase][1])
        return messages


def run_logged(
    plan: LaunchPlan,
    cwd: Path,
    log_path: Path,
    metrics_path: Path,
    timeout: float | None = None,
    console: TextIO | None = None,
    on_step: Callable[[int, dict], None] | None = None,
    log_header: str = "",
) -> int:
    """Run the plan with stdout and stderr appended to ``log_path``; show progress from ``metrics_path``.

    ``metrics_path`` is this attempt's own file-logger file (verl empties it on start), so only
    this attempt's steps are shown. The log gets ``log_header``, then the command line, then the
    trainer's output. Returns the trainer's exit code; on a timeout the trainer's process group
    is stopped and :class:`subprocess.TimeoutExpired` raised.
    """
    from tqdm import tqdm

    console = console or sys.stdout
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tail = MetricsTail(metrics_path)
    deadline = None if timeout is None else time.monotonic() + timeout
    with log_path.open("a", encoding="utf-8") as log:
        log.write(f"{log_header}$ {plan.shell_line()}\n")
        log.flush()
        phases = StartupPhases(log_path, log.tell())
        process = start_session(plan.command, env={**os.environ, **plan.env}, cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT)
        address = cluster_address(plan.overrides)
        cluster_watch = contextlib.ExitStack()  # on a Ray cluster: placement.json, stop on a lost node
        cluster_watch.enter_context(watching(address, process, cwd, log))
        # vLLM's /dev/shm files go when the run ends (on a cluster: those of this machine's actors)
        actors_here = (lambda: local_actor_pids(cwd)) if address else tuple
        sweeper = SharedMemorySweeper(process.pid, extra_roots=actors_here).start()
        bar = tqdm(total=total_steps(plan), desc="training", unit="step", file=console, leave=False, disable=None,
                   bar_format="{desc}: {n_fmt}/{total_fmt} steps |{bar:20}| {elapsed}{postfix}")
        bar.write(starting_line(log_path), file=console)
        header_shown = False
        try:
            while True:
                finished = process.poll() is not None
                for step, metrics in tail.read():
                    if not header_shown:
                        bar.write(STEP_HEADER, file=console)
                        header_shown = True
                    bar.write(step_row(step, metrics), file=console)
                    bar.n = step
                    bar.set_postfix_str(f"step {step} done")
                    if on_step:
                        on_step(step, metrics)
                if finished:
                    return process.returncode
                for line in phases.read():
                    bar.write(line, file=console)
                bar.refresh()  # the elapsed time ticks while verl works
                console.flush()  # lines reach a pipe (tee, a CI log) as they are written
                if deadline is not None and time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(plan.command, timeout)
                time.sleep(POLL_SECONDS)
        except BaseException:  # a timeout, Ctrl-C, SIGTERM or SIGHUP: the trainer and its Ray go too
            stop_session(process)
            raise
        finally:
            bar.close()
            cluster_watch.close()
            sweeper.finish()


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log file."""
    with log_path.open(encoding="utf-8", errors="replace") as handle:
        return "".join(handle.readlines()[-lines:])
