"""Remove the shared-memory files a training run leaves in ``/dev/shm``, after success or failure.

vLLM's engine passes messages through ``multiprocessing.shared_memory`` segments (``psm_*``
files of a few hundred MB for a tiny model). Ray ends the engine's processes without letting
them unlink those, so every CPU run with ``rollout.name=vllm`` left about 400 MB behind, more
after a crash. The files have random names and the machine may run other jobs that use
``/dev/shm``, so ownership is observed, not guessed: while the run lives, a thread notes the
``/dev/shm`` files mapped by the trainer process and its descendants (Ray's processes, the vLLM
server and engine); when the run ends, the noted files still on disk are removed. On a Ray
cluster the run's actors are not the trainer's descendants (each node's Ray starts them): the
actors of the run on this machine (``extra_roots``) are watched too.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Iterable

import psutil

logger = logging.getLogger(__name__)

SHM_DIR = Path("/dev/shm")
SCAN_SECONDS = 1.0


def mapped_files(pid: int, directory: Path = SHM_DIR) -> set[Path]:
    """Files under ``directory`` that process ``pid`` maps (empty when it is gone or unreadable)."""
    prefix = f"{directory}/"
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return set()
    paths = set()
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith(prefix):
            paths.add(Path(fields[5].removesuffix(" (deleted)")))
    return paths


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return []


class SharedMemorySweeper:
    """Context manager: note what ``pid``'s process tree maps in ``directory``, and the trees of
    ``extra_roots()`` (asked at each scan); remove what is left at exit."""

    def __init__(self, pid: int, directory: Path = SHM_DIR, interval: float = SCAN_SECONDS,
                 extra_roots: Callable[[], Iterable[int]] = tuple):
        self.pid = pid
        self.extra_roots = extra_roots
        self.directory = directory
        self.interval = interval
        self.seen: set[Path] = set()
        self.removed: list[Path] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="shm-sweeper", daemon=True)

    def scan(self) -> None:
        for root in (self.pid, *self.extra_roots()):
            for pid in process_tree(root):
                self.seen |= mapped_files(pid, self.directory)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.scan()
            self._stop.wait(self.interval)

    def remove_leftovers(self) -> list[Path]:
        """Unlink the noted files that still exist (processes still mapping one keep their memory)."""
        for path in sorted(self.seen):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                logger.warning("could not remove %s: %s", path, error)
                continue
            self.removed.append(path)
        if self.removed:
            logger.info("removed %d shared-memory files the run left in %s", len(self.removed), self.directory)
        return self.removed

    def start(self) -> SharedMemorySweeper:
        self._thread.start()
        return self

    def stop(self) -> set[Path]:
        """Stop watching (after a last scan); returns the files noted."""
        self._stop.set()
        self._thread.join()
        self.scan()
        return self.seen

    def finish(self) -> list[Path]:
        """Stop watching and remove the leftovers (call once the run has ended)."""
        self.stop()
        return self.remove_leftovers()

    def __enter__(self) -> SharedMemorySweeper:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.finish()
