"""vLLM's engine processes end with the ``medu1 eval`` process that started them, ``kill -9`` included.

vLLM runs its engine core (``VLLM::EngineCore``) and worker (``VLLM::Worker``) in processes of
their own. The worker follows the engine core, but the engine core does not watch its parent:
after a ``kill -9`` (or an out-of-memory kill) of the evaluation, both stay alive and keep their
KV cache and shared memory, and on a GPU the resumed run then finds the memory taken (checked with
vLLM 0.27.0; upstream vllm-project/vllm#55510, open at the time of writing).

The ``vllm`` backend starts its engine inside :func:`engines_exit_with_parent`, which marks the
environment the engine's processes inherit. :func:`exit_with_parent`, a ``vllm.general_plugins``
entry point that vLLM runs in each of its processes, then asks Linux (``prctl``
``PR_SET_PDEATHSIG``) to send the process ``SIGTERM`` when its parent ends, so vLLM's own
shutdown runs. Engines that verl starts for training are not marked and are left as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import sys
from typing import Iterator

from med_u1.processes import end_with_parent

logger = logging.getLogger(__name__)

MARK = "MEDU1_VLLM_EXIT_WITH_PARENT"


@contextlib.contextmanager
def engines_exit_with_parent() -> Iterator[None]:
    """Mark the environment of the processes started inside the block (vLLM's engine)."""
    before = os.environ.get(MARK)
    os.environ[MARK] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[MARK]
        else:
            os.environ[MARK] = before


def exit_with_parent() -> None:
    """vLLM plugin: in a marked engine process on Linux, end with ``SIGTERM`` when the parent ends."""
    parent = multiprocessing.parent_process()
    if os.environ.get(MARK) != "1" or parent is None or not sys.platform.startswith("linux"):
        return  # not an engine process started by the eval backend
    if not end_with_parent(parent.pid):
        logger.warning("could not tie vLLM process %d to its parent: %s", os.getpid(), os.strerror(ctypes.get_errno()))
