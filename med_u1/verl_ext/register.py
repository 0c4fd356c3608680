"""Register Med-U1's CPU platform, ``hf`` rollout and vLLM-on-CPU fixes with verl (imported by ``med_u1.plugin``).

The platform goes through verl's public ``PlatformRegistry``. The rollout needs two
registries: ``RolloutReplicaRegistry`` (public, for the replica the trainer starts) and the
module-level ``_ROLLOUT_REGISTRY`` of ``verl.workers.rollout.base`` (private, for the adapter
each worker builds). verl 0.9.1 has no public hook for the second: the workers call
``get_rollout_class(rollout.name, rollout.mode)``, which reads only that dict, initialised with
vllm, sglang and trtllm and written by no function of verl; the rollout config's
``agent.custom_async_server`` is read nowhere in 0.9.1, and ``checkpoint_engine
.custom_backend_module`` registers checkpoint engines, not rollouts. So we add one key to the
dict. The rollout also reads replica attributes
(``_server_handle``, ``_server_address``) that ``LLMServerManager`` uses; on the CPU
platform verl's worker process-group initialiser is wrapped to use gloo alone (see
:func:`~med_u1.verl_ext.cpu_platform.install_gloo_process_group_default`), and verl's wait for
its placement groups is bounded (:mod:`~med_u1.verl_ext.placement_wait`). Those internals
are why :mod:`med_u1.verl_ext.versions` pins verl: on any other verl the rollout refuses to start.
"""

from __future__ import annotations

from verl.workers.rollout import base as rollout_base
from verl.workers.rollout.replica import RolloutReplicaRegistry

from med_u1.verl_ext import cpu_platform, vllm_cpu  # cpu_platform registers VERL_PLATFORM=cpu on import
from med_u1.verl_ext.placement_wait import install_bounded_placement_wait
from med_u1.verl_ext.versions import require_tested_verl

HF_ROLLOUT_NAME = "hf"
HF_ADAPTER_FQDN = "med_u1.verl_ext.hf_rollout.HFServerAdapter"


def _load_hf_replica():
    require_tested_verl()
    from med_u1.verl_ext.hf_rollout import HFRolloutReplica

    return HFRolloutReplica


def register_cpu_platform() -> None:
    """``PlatformCPU`` registered on import; route verl's process groups to gloo."""
    cpu_platform.install_gloo_process_group_default()


def register_hf_rollout() -> None:
    """Make ``actor_rollout_ref.rollout.name=hf`` resolvable in this process."""
    rollout_base._ROLLOUT_REGISTRY[(HF_ROLLOUT_NAME, "async")] = HF_ADAPTER_FQDN
    RolloutReplicaRegistry.register(HF_ROLLOUT_NAME, _load_hf_replica)


def register_vllm_cpu_fixes() -> None:
    """verl finds the ``vllm-cpu`` build wherever it is the only vLLM; on the CPU platform only, the CPU server adapter."""
    vllm_cpu.alias_vllm_distribution()
    vllm_cpu.use_cpu_server_adapter(rollout_base._ROLLOUT_REGISTRY)


register_cpu_platform()
register_hf_rollout()
install_bounded_placement_wait()
register_vllm_cpu_fixes()
