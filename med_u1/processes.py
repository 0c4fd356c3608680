"""A command's child processes end with the command: Ctrl-C, SIGTERM, SIGHUP, or a ``kill -9``.

Job schedulers stop jobs with SIGTERM (Slurm at its time limit and on ``scancel``, Kubernetes,
systemd, ``timeout``), and a closed terminal sends SIGHUP. Python ends on those at once, without
running any clean-up, so a trainer that ``medu1`` started in its own process group would train
on unattended. Three pieces prevent that:

- :func:`stop_signals_raise`: SIGTERM and SIGHUP raise :class:`Stopped`, a ``KeyboardInterrupt``,
  in the main thread, so the clean-up that Ctrl-C runs runs for them too;
- :func:`start_session`: a child leads a session of its own (its Ray and vLLM processes join it)
  and gets SIGTERM from Linux when ``medu1`` itself dies, ``kill -9`` included;
- :func:`stop_session`: SIGTERM to that whole session, SIGKILL to what is left after a grace period.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Iterator, Sequence

logger = logging.getLogger(__name__)

#: Signals that stop a command as Ctrl-C (SIGINT) does.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
#: How long a stopped session may take to end before SIGKILL: verl's trainer, Ray and vLLM end in
#: a few seconds on SIGTERM.
STOP_GRACE_S = 30.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_POLL_S = 0.2
#: How long to wait for SIGKILL to take effect before giving up on the session.
_AFTER_KILL_S = 5.0


class Stopped(KeyboardInterrupt):
    """A stop signal arrived; raised like Ctrl-C's ``KeyboardInterrupt`` so the same clean-up runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, the first SIGTERM or SIGHUP raises :class:`Stopped`; later ones are ignored,
    so that the clean-up it starts is not cut short (SIGKILL still ends everything)."""
    stopping = False

    def raise_stopped(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            logger.info("%s received while stopping: still stopping", signal.Signals(signum).name)
            return
        stopping = True
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, raise_stopped) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# Loaded before any fork: a child between fork and exec only calls it.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def end_with_parent(parent: int) -> bool:
    """Ask Linux to send this process SIGTERM when its parent ``parent`` ends (``PR_SET_PDEATHSIG``),
    and send it at once if the parent already has. False where Linux cannot be asked (the reason
    is in ``ctypes.get_errno()``)."""
    if _LIBC is None or _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the parent ended before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def start_session(command: Sequence[str], **popen_kwargs: object) -> subprocess.Popen:
    """Start ``command`` as the leader of a new session, ending with this process (SIGTERM)."""
    parent = os.getpid()
    return subprocess.Popen(command, start_new_session=True, preexec_fn=lambda: end_with_parent(parent),
                            **popen_kwargs)  # type: ignore[call-overload]


def stop_session(process: subprocess.Popen | int, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM every process of the session that ``process`` leads, SIGKILL whatever of it is left
    after ``grace_s``, and return once the session is empty (or a few seconds after SIGKILL).

    The session, not the process group: Ray's workers each lead a process group of their own.
    """
    sid = process if isinstance(process, int) else process.pid
    child = None if isinstance(process, int) else process
    if not _signal_all(session_members(sid), signal.SIGTERM):
        return
    if _wait_session(sid, child, grace_s):
        return
    logger.warning("session %d still running %.0f s after SIGTERM: sending SIGKILL", sid, grace_s)
    _signal_all(session_members(sid), signal.SIGKILL)
    _wait_session(sid, child, _AFTER_KILL_S)


def _signal_all(pids: list[int], signum: int) -> bool:
    """Send ``signum`` to each of ``pids``; whether any was still there."""
    sent = False
    for pid in pids:
        try:
            os.kill(pid, signum)
            sent = True
        except ProcessLookupError:
            continue
    return sent


def _wait_session(sid: int, child: subprocess.Popen | None, seconds: float) -> bool:
    """Wait up to ``seconds`` until no process of the session runs; whether none does."""
    deadline = time.monotonic() + seconds
    while True:
        if not session_members(sid):
            if child is not None:
                child.poll()  # reap our own child, the session's leader
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_S)


def session_members(sid: int) -> list[int]:
    """The running processes of session ``sid`` (zombies, ended but not yet reaped, left out)."""
    import psutil

    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getsid(process.pid) == sid and process.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(process.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return members
