"""A CPU platform for verl's platform registry, selected with ``VERL_PLATFORM=cpu``.

verl resolves its device, device module and collective backend through
``verl.plugin.platform``. With no GPU it falls back to CUDA and NCCL; this platform
answers ``cpu`` and ``gloo`` instead. Ray still schedules workers on a declared ``GPU``
resource (``ray_init.num_gpus``), so verl's placement logic runs unchanged.
"""

from __future__ import annotations

import functools
import types
from contextlib import contextmanager
from typing import Any, Optional

import psutil
import torch
import verl.utils.distributed as verl_distributed
from verl.plugin.platform import PlatformBase, PlatformRegistry, get_platform

from med_u1.verl_ext.platform_env import CPU_PLATFORM_NAME as PLATFORM_NAME
from med_u1.verl_ext.platform_env import cpu_platform_selected


def _cpu_mem_get_info(device: Any = None) -> tuple[int, int]:
    """(free, total) host memory in bytes, the shape ``torch.cuda.mem_get_info`` returns."""
    memory = psutil.virtual_memory()
    return memory.available, memory.total


def _zero(*_args: Any, **_kwargs: Any) -> int:
    return 0


def _no_op(*_args: Any, **_kwargs: Any) -> None:
    return None


def build_cpu_device_module() -> types.ModuleType:
    """``torch.cpu`` plus the ``torch.cuda``-style calls verl makes on its device module."""
    module = types.ModuleType("med_u1_cpu_device")
    for name in ("Stream", "Event", "current_stream", "stream", "synchronize", "is_available", "device_count"):
        setattr(module, name, getattr(torch.cpu, name))
    module.current_device = lambda: "cpu"
    module.set_device = _no_op
    module.get_device_name = lambda device=None: "cpu"
    module.empty_cache = _no_op
    module.ipc_collect = _no_op
    module.set_per_process_memory_fraction = _no_op
    module.mem_get_info = _cpu_mem_get_info
    module.memory_allocated = _zero
    module.memory_reserved = _zero
    module.max_memory_allocated = _zero
    module.max_memory_reserved = _zero
    module.reset_peak_memory_stats = _no_op
    module.manual_seed = torch.manual_seed
    module.manual_seed_all = torch.manual_seed
    module.get_rng_state = lambda device=None: torch.get_rng_state()
    module.set_rng_state = lambda state, device=None: torch.set_rng_state(state)
    return module


_CPU_DEVICE_MODULE = build_cpu_device_module()


@PlatformRegistry.register(platform=PLATFORM_NAME)
class PlatformCPU(PlatformBase):
    """Host CPU as verl's accelerator: gloo collectives, no profiler, no IPC."""

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> types.ModuleType:
        return _CPU_DEVICE_MODULE

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        # Never auto-detected: a GPU machine must not silently train on CPU.
        return cpu_platform_selected()

    def current_device(self) -> str:  # type: ignore[override]  # torch.device("cpu") needs the name
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: Optional[int] = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[Optional[int], Optional[int]]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "GPU"

    def ray_noset_envvars(self) -> list[str]:
        return []

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self) -> Any:
        return None


def install_gloo_process_group_default() -> None:
    """Make verl's Ray workers start a plain ``cpu:gloo`` process group on this platform.

    ``initialize_global_process_group_ray`` builds ``f"cpu:gloo,{device}:{backend}"``, which
    torch rejects as a duplicate device when the device is ``cpu``; the platform API has no
    hook for it. The wrapper passes ``backend="cpu:gloo"`` only when the CPU platform is
    active and the caller gave no backend. It must run before ``verl.workers.engine_workers``
    imports the function, which the ``verl.plugins`` entry point guarantees.
    """
    original = verl_distributed.initialize_global_process_group_ray
    if getattr(original, "medu1_wrapped", False):
        return

    @functools.wraps(original)
    def initialize(timeout_second: Optional[int] = None, backend: Optional[str] = None) -> None:
        if backend is None and get_platform().device_name == PLATFORM_NAME:
            backend = "cpu:gloo"
        return original(timeout_second=timeout_second, backend=backend)

    initialize.medu1_wrapped = True
    verl_distributed.initialize_global_process_group_ray = initialize
