"""verl's vLLM ``ServerAdapter`` with the stale-policy ablation switch, for CPU runs.

Registered for ``rollout.name=vllm`` on the CPU platform only (see :mod:`med_u1.verl_ext.vllm_cpu`);
importing it imports verl's vLLM rollout and so vLLM.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from verl.workers.rollout.vllm_rollout import ServerAdapter

from med_u1.verl_ext.hf_rollout import SYNC_ENV_VAR

logger = logging.getLogger(__name__)


class CPUServerAdapter(ServerAdapter):
    """verl's adapter; with ``MEDU1_HF_ROLLOUT_SYNC_WEIGHTS=0`` the trainer's weights are not pushed."""

    async def update_weights(self, weights: Any, global_steps: int | None = None, **kwargs: Any) -> None:
        if os.environ.get(SYNC_ENV_VAR, "1") == "0":
            logger.warning("%s=0: vLLM rollout weights are NOT updated (stale-policy ablation)", SYNC_ENV_VAR)
            # verl tags each rollout with the served version and fails on an untagged one.
            if global_steps is not None and self._ensure_server_handle():
                await self.server_handle.set_global_steps.remote(global_steps)
            return None
        return await super().update_weights(weights, global_steps=global_steps, **kwargs)
