"""The CPU platform and the hf rollout are registered with verl through the entry point."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest
from verl.plugin.platform import PlatformRegistry
from verl.workers.rollout.base import get_rollout_class
from verl.workers.rollout.replica import get_rollout_replica_class

from med_u1.verl_ext.cpu_platform import PlatformCPU
from med_u1.verl_ext.hf_rollout import HFRolloutReplica, HFServerAdapter
from med_u1.verl_ext.versions import TESTED_VERL_VERSIONS, require_tested_verl


def run_python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (plugins load on ``import verl``) and return stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=True,
    )
    return completed.stdout


def test_rollout_and_platform_resolve_by_name() -> None:
    assert get_rollout_class("hf", "async") is HFServerAdapter
    assert get_rollout_replica_class("hf") is HFRolloutReplica
    assert PlatformRegistry.get("cpu") is PlatformCPU


@pytest.mark.slow
def test_verl_plugin_entry_point_selects_cpu_and_gloo_in_a_fresh_process() -> None:
    out = run_python(
        """
        import verl
        from verl.utils.device import get_device_name, get_nccl_backend, get_torch_device
        module = get_torch_device()
        print(get_device_name(), get_nccl_backend(), module.get_device_name(), module.current_device())
        free, total = module.mem_get_info()
        print(0 < free <= total)
        """,
        VERL_PLATFORM="cpu",
    )
    assert out.split() == ["cpu", "gloo", "cpu", "cpu", "True"]


@pytest.mark.slow
def test_cpu_platform_is_never_auto_detected() -> None:
    out = run_python(
        """
        import verl
        from verl.plugin.platform import PlatformRegistry
        print(PlatformRegistry.get("cpu")().is_platform_available(use_smi_check=True))
        """,
        VERL_PLATFORM="",
    )
    assert out.strip() == "False"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_verl_worker_process_group_starts_on_gloo() -> None:
    out = run_python(
        """
        import verl
        import torch.distributed as dist
        from verl.utils.distributed import initialize_global_process_group_ray
        initialize_global_process_group_ray()
        print(dist.get_backend(), dist.get_world_size())
        dist.destroy_process_group()
        """,
        VERL_PLATFORM="cpu", RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()),
    )
    assert out.split() == ["cpu:gloo", "1"]


def test_untested_verl_versions_are_refused_with_a_clear_message() -> None:
    require_tested_verl(TESTED_VERL_VERSIONS[0])
    with pytest.raises(RuntimeError, match="tested with verl 0.9.1 only; found verl 0.10.0"):
        require_tested_verl("0.10.0")
