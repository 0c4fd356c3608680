"""The /dev/shm sweep removes what a killed process tree left there, and nothing of other programs."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import time
from multiprocessing import shared_memory
from pathlib import Path

import psutil
import pytest

from med_u1.training.cpu.shm_sweep import SharedMemorySweeper

# Maps a segment nothing will unlink (untracked, as after a crash), starts one child doing the
# same when asked, and waits to be killed.
LEAKER = """
import subprocess, sys, time
from multiprocessing import resource_tracker, shared_memory
segment = shared_memory.SharedMemory(create=True, size=1 << 20)
resource_tracker.unregister(segment._name, "shared_memory")
if sys.argv[1:] == ["with-child"]:
    subprocess.Popen([sys.executable, __file__])
time.sleep(600)
"""


def test_a_file_this_process_maps_is_removed_and_an_unmapped_one_kept(tmp_path: Path) -> None:
    directory = tmp_path.resolve()
    mapped, other = directory / "psm_mapped", directory / "psm_other"
    for path in (mapped, other):
        path.write_bytes(bytes(4096))
    with mapped.open("r+b") as handle, mmap.mmap(handle.fileno(), 4096):
        sweeper = SharedMemorySweeper(os.getpid(), directory=directory, interval=0.05).start()
        assert sweeper.stop() == {mapped}
    assert sweeper.remove_leftovers() == [mapped]
    assert not mapped.exists() and other.exists()


@pytest.mark.slow
def test_files_mapped_by_a_killed_process_tree_are_removed_and_others_kept(tmp_path: Path) -> None:
    script = tmp_path / "leaker.py"
    script.write_text(LEAKER)
    other = shared_memory.SharedMemory(create=True, size=4096)  # another program's segment
    parent = subprocess.Popen([sys.executable, str(script), "with-child"])
    try:
        sweeper = SharedMemorySweeper(parent.pid, interval=0.1).start()
        deadline = time.monotonic() + 120
        while len(sweeper.seen) < 2 and time.monotonic() < deadline:  # the parent's and the child's
            time.sleep(0.1)
        for process in [*psutil.Process(parent.pid).children(recursive=True), psutil.Process(parent.pid)]:
            process.kill()
        parent.wait()
        leftovers = sweeper.finish()
        assert len(leftovers) == 2 and all(path.name.startswith("psm_") for path in leftovers)
        assert not any(path.exists() for path in leftovers)
        assert (sweeper.directory / other.name).exists()
    finally:
        other.close()
        other.unlink()
