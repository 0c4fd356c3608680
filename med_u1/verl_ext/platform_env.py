"""Which verl platform a process was started for, read from the environment (imports neither verl nor torch).

``VERL_PLATFORM=cpu`` selects Med-U1's CPU platform; Ray workers and vLLM's engine processes
inherit it, so light plugins (vLLM's ``vllm.general_plugins``) can check it before importing verl.
"""

from __future__ import annotations

import os

PLATFORM_ENV_VAR = "VERL_PLATFORM"
CPU_PLATFORM_NAME = "cpu"


def cpu_platform_selected() -> bool:
    """Whether this process runs verl on the CPU platform (``VERL_PLATFORM=cpu``)."""
    return os.environ.get(PLATFORM_ENV_VAR, "").strip().lower() == CPU_PLATFORM_NAME
