"""A transformers-``generate`` rollout for verl's server-mode agent loop (CPU runs).

verl 0.9.1 only ships server rollouts (vLLM, SGLang, TensorRT-LLM). This module adds a
fourth, ``rollout.name=hf``, built from the same three parts:

* :class:`HFRolloutServer` -- a Ray actor answering ``generate`` token-in/token-out the way
  ``vLLMHttpServer.generate`` does, batching concurrent requests, plus the lifecycle calls
  (``wake_up``, ``sleep``, kv-cache, abort/resume) as no-ops and ``update_weights``;
* :class:`HFRolloutReplica` -- a ``RolloutReplica`` that starts one server and exposes its
  handle and address to ``LLMServerManager``;
* :class:`HFServerAdapter` -- the ``BaseRollout`` living in the actor worker, which pushes
  the trainer's full tensors to the server after every update (the weight sync).

Only what is tested is accepted: tensor parallel 1, one node, LoRA only when merged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from typing import Any, Generator, Optional

import ray
import torch
from torch.distributed.device_mesh import DeviceMesh
from verl.utils.fs import copy_to_local
from verl.workers.config import HFModelConfig, RolloutConfig
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutReplica, TokenOutput

from med_u1.verl_ext.versions import require_tested_verl

logger = logging.getLogger(__name__)

SERVER_NAME_PREFIX = "medu1_hf_server_"
SYNC_ENV_VAR = "MEDU1_HF_ROLLOUT_SYNC_WEIGHTS"
"""Set to ``0`` to skip the weight push (an ablation: rollouts then use stale weights)."""
BATCH_WINDOW_S = 0.02
"""How long the server waits for more concurrent requests before generating a batch."""


def server_actor_name(replica_rank: int) -> str:
    """Ray actor name of the server of ``replica_rank`` (the adapter looks it up by name)."""
    return f"{SERVER_NAME_PREFIX}{replica_rank}"


def check_supported(config: RolloutConfig) -> None:
    """Refuse rollout settings this backend does not implement."""
    parallel = {
        "tensor_model_parallel_size": config.tensor_model_parallel_size,
        "data_parallel_size": config.data_parallel_size,
        "pipeline_model_parallel_size": config.pipeline_model_parallel_size,
    }
    too_big = {name: size for name, size in parallel.items() if size != 1}
    if too_big:
        raise NotImplementedError(
            f"rollout.name=hf runs one unsharded transformers model per replica; got {too_big}. "
            "Set these to 1, or use rollout.name=vllm on GPUs."
        )


@dataclasses.dataclass(frozen=True)
class SamplingKey:
    """Requests sharing these settings are generated in one batch."""

    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float
    max_tokens: int
    logprobs: bool
    ignore_eos: bool


@dataclasses.dataclass
class PendingRequest:
    prompt_ids: list[int]
    key: SamplingKey
    future: asyncio.Future


def max_new_tokens(config: RolloutConfig, prompt_len: int, sampling_params: dict[str, Any]) -> int:
    """The response budget, computed as ``vLLMHttpServer.generate`` does."""
    max_model_len = config.max_model_len or config.prompt_length + config.response_length
    max_possible = max_model_len - prompt_len
    if max_possible < 1:
        raise ValueError(f"prompt of {prompt_len} tokens leaves no room within max_model_len {max_model_len}")
    if "max_tokens" in sampling_params:
        wanted = sampling_params["max_tokens"]
    elif "max_new_tokens" in sampling_params:
        wanted = sampling_params["max_new_tokens"]
    else:
        wanted = min(config.response_length, config.prompt_length + config.response_length - prompt_len)
    return max(1, min(wanted, max_possible))


def sampling_key(config: RolloutConfig, prompt_len: int, sampling_params: dict[str, Any]) -> SamplingKey:
    """Normalise verl's vLLM-style sampling params into a hashable batch key."""
    return SamplingKey(
        temperature=float(sampling_params.get("temperature", config.temperature)),
        top_p=float(sampling_params.get("top_p", 1.0)),
        top_k=int(sampling_params.get("top_k", -1)),
        repetition_penalty=float(sampling_params.get("repetition_penalty", 1.0)),
        max_tokens=max_new_tokens(config, prompt_len, sampling_params),
        logprobs=bool(sampling_params.get("logprobs", False)),
        ignore_eos=bool(sampling_params.get("ignore_eos", False)),
    )


def generate_kwargs(key: SamplingKey, eos_token_ids: list[int], pad_token_id: int) -> dict[str, Any]:
    """transformers ``generate`` arguments for ``key`` (temperature 0 means greedy, as in vLLM)."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": key.max_tokens,
        "pad_token_id": pad_token_id,
        "eos_token_id": None if key.ignore_eos else eos_token_ids,
        "return_dict_in_generate": True,
        "output_logits": key.logprobs,
    }
    if key.temperature <= 0:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        kwargs.update(
            do_sample=True,
            temperature=key.temperature,
            top_p=key.top_p if key.top_p < 1.0 else None,
            top_k=key.top_k if key.top_k > 0 else None,
        )
    if key.repetition_penalty != 1.0:
        kwargs["repetition_penalty"] = key.repetition_penalty
    return kwargs


def left_pad(prompts: list[list[int]], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded ``input_ids`` and ``attention_mask`` for a batch of prompts."""
    width = max(len(ids) for ids in prompts)
    input_ids = torch.full((len(prompts), width), pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, ids in enumerate(prompts):
        input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, width - len(ids) :] = 1
    return input_ids, attention_mask


def cut_at_eos(token_ids: list[int], eos_token_ids: set[int]) -> list[int]:
    """Tokens up to and including the first end-of-sequence token (vLLM keeps it too)."""
    for position, token in enumerate(token_ids):
        if token in eos_token_ids:
            return token_ids[: position + 1]
    return token_ids


def token_log_probs(logits: tuple[torch.Tensor, ...], tokens: torch.Tensor, temperature: float) -> torch.Tensor:
    """Log-probabilities of ``tokens`` [batch, steps] under the raw logits scaled by temperature.

    This matches what the actor recomputes (``logits / temperature``), so
    ``training/rollout_probs_diff_*`` measures policy drift, not a scaling mismatch.
    """
    scale = temperature if temperature > 0 else 1.0
    stacked = torch.stack(logits, dim=1).float() / scale
    return torch.log_softmax(stacked, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def full_cpu_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """A detached, unsharded CPU copy (FSDP2 may hand out DTensors)."""
    if hasattr(tensor, "full_tensor"):
        tensor = tensor.full_tensor()
    return tensor.detach().to("cpu", copy=True)


class HFRolloutServer:
    """Token-in/token-out generation with a transformers model, one per replica."""

    def __init__(self, config: RolloutConfig, model_config: HFModelConfig, replica_rank: int):
        from transformers import AutoModelForCausalLM

        require_tested_verl()
        self.config = config
        self.replica_rank = replica_rank
        model_path = copy_to_local(model_config.path)  # model_config may be a DictConfig or HFModelConfig
        self.model = AutoModelForCausalLM.from_pretrained(
            model_path, dtype=torch.float32, attn_implementation="sdpa"
        ).eval()
        generation_config = self.model.generation_config
        eos = generation_config.eos_token_id
        self.eos_token_ids: list[int] = list(eos) if isinstance(eos, (list, tuple)) else [eos]
        pad = generation_config.pad_token_id
        self.pad_token_id: int = pad if pad is not None else self.eos_token_ids[0]
        torch.manual_seed(config.seed + replica_rank)
        self.global_steps = 0  # the version of the served weights: the initial model until a push
        self.pending: list[PendingRequest] = []
        self.batcher: Optional[asyncio.Task] = None
        self.model_lock = asyncio.Lock()
        logger.info("hf rollout server %d loaded %s", replica_rank, model_path)

    def get_server_address(self) -> str:
        """A readable address; verl's router keys servers by it, no HTTP endpoint exists."""
        return f"{ray.util.get_node_ip_address()}:hf-{self.replica_rank}"

    async def generate(
        self, prompt_ids: list[int], sampling_params: dict[str, Any], request_id: str, **kwargs: Any
    ) -> TokenOutput:
        """Queue one request; concurrent requests are generated together."""
        if kwargs.get("image_data") or kwargs.get("video_data") or kwargs.get("audio_data"):
            raise NotImplementedError("rollout.name=hf generates from text token ids only")
        prompt_ids = list(prompt_ids)
        key = sampling_key(self.config, len(prompt_ids), dict(sampling_params))
        future = asyncio.get_running_loop().create_future()
        self.pending.append(PendingRequest(prompt_ids, key, future))
        if self.batcher is None or self.batcher.done():
            self.batcher = asyncio.create_task(self._drain_pending())
        return await future

    async def _drain_pending(self) -> None:
        """Generate every queued request, grouped by sampling settings, until none are left."""
        while self.pending:
            await asyncio.sleep(BATCH_WINDOW_S)
            batch, self.pending = self.pending, []
            groups: dict[SamplingKey, list[PendingRequest]] = {}
            for request in batch:
                groups.setdefault(request.key, []).append(request)
            for key, requests in groups.items():
                await self._generate_group(key, requests)

    async def _generate_group(self, key: SamplingKey, requests: list[PendingRequest]) -> None:
        logger.debug("generating %d requests together (%s)", len(requests), key)
        try:
            async with self.model_lock:
                outputs = await asyncio.to_thread(self._generate_batch, key, [r.prompt_ids for r in requests])
        except Exception as exc:  # hand the failure to every waiting caller
            for request in requests:
                request.future.set_exception(exc)
            return
        for request, output in zip(requests, outputs, strict=True):
            request.future.set_result(output)

    @torch.no_grad()
    def _generate_batch(self, key: SamplingKey, prompts: list[list[int]]) -> list[TokenOutput]:
        input_ids, attention_mask = left_pad(prompts, self.pad_token_id)
        result = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            **generate_kwargs(key, self.eos_token_ids, self.pad_token_id),
        )
        new_tokens = result.sequences[:, input_ids.shape[1] :]
        log_probs = token_log_probs(result.logits, new_tokens, key.temperature) if key.logprobs else None
        eos_ids = set() if key.ignore_eos else set(self.eos_token_ids)
        outputs = []
        for row in range(len(prompts)):
            tokens = cut_at_eos(new_tokens[row].tolist(), eos_ids)
            outputs.append(
                TokenOutput(
                    token_ids=tokens,
                    log_probs=log_probs[row, : len(tokens)].tolist() if log_probs is not None else None,
                    stop_reason="completed",
                    extra_fields={"global_steps": self.global_steps},
                )
            )
        return outputs

    async def update_weights(self, named_tensors: dict[str, torch.Tensor], global_steps: Optional[int] = None) -> int:
        """Copy the trainer's full tensors into the model in place; returns how many were loaded."""
        async with self.model_lock:
            state = self.model.state_dict()
            unknown = sorted(set(named_tensors) - set(state))
            if unknown:
                raise KeyError(f"weights unknown to the rollout model: {unknown[:5]}")
            with torch.no_grad():
                for name, tensor in named_tensors.items():
                    state[name].copy_(tensor)
        self.global_steps = global_steps
        return len(named_tensors)

    async def get_weight(self, name: str) -> torch.Tensor:
        """One parameter of the serving model (lets tests check the sync)."""
        return self.model.state_dict()[name].detach().clone()

    async def set_global_steps(self, global_steps: int) -> None:
        self.global_steps = global_steps

    # Lifecycle calls verl makes on every server: the model stays resident on CPU.
    async def wake_up(self, tags: Optional[list[str]] = None) -> None: ...

    async def sleep(self) -> None: ...

    async def clear_kv_cache(self) -> None: ...

    async def release_kv_cache(self) -> None: ...

    async def resume_kv_cache(self) -> None: ...

    async def resume_generation(self) -> None: ...

    async def start_profile(self, **kwargs: Any) -> None: ...

    async def stop_profile(self) -> None: ...

    async def abort_all_requests(self, reject_request: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Nothing is aborted: requests are short and finish on their own."""
        return {"aborted_count": 0, "request_ids": []}


class HFRolloutReplica(RolloutReplica):
    """One :class:`HFRolloutServer` per replica, on the node of the replica's first worker."""

    async def launch_servers(self) -> None:
        check_supported(self.config)
        node_id = None
        if self.workers:
            node_id = await self.workers[0].__ray_call__.remote(lambda _: ray.get_runtime_context().get_node_id())
        options: dict[str, Any] = {
            "name": server_actor_name(self.replica_rank),
            "max_concurrency": self.max_concurrency,
            "num_cpus": 0,
            "runtime_env": {"env_vars": {"VERL_PLATFORM": os.environ.get("VERL_PLATFORM", "")}},
        }
        if node_id is not None:
            options["scheduling_strategy"] = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(
                node_id=node_id, soft=False
            )
        server = ray.remote(HFRolloutServer).options(**options).remote(
            config=self.config, model_config=self.model_config, replica_rank=self.replica_rank
        )
        self.servers = [server]
        self._server_handle = server
        self._server_address = await server.get_server_address.remote()

    def rollout_worker_use_gpu(self) -> bool:
        return False


class HFServerAdapter(BaseRollout):
    """Lives in the actor worker: forwards the trainer's weights to its replica's server."""

    def __init__(
        self,
        config: RolloutConfig,
        model_config: HFModelConfig,
        device_mesh: DeviceMesh,
        replica_rank: int = -1,
    ):
        super().__init__(config, model_config, device_mesh)
        require_tested_verl()
        check_supported(self.config)
        rank = int(os.environ.get("RANK", "0"))
        self.replica_rank = rank if replica_rank == -1 else replica_rank
        self.is_leader_rank = True  # tensor parallel 1: every rank leads its own replica
        self.server_handle: Optional[ray.actor.ActorHandle] = None

    def _server(self) -> ray.actor.ActorHandle:
        if self.server_handle is None:  # servers start after the workers, so look up lazily
            self.server_handle = ray.get_actor(server_actor_name(self.replica_rank))
        return self.server_handle

    async def resume(self, tags: list[str]) -> None:
        """Weights and kv cache never leave memory on CPU."""

    async def release(self) -> None:
        """Weights and kv cache never leave memory on CPU."""

    async def update_weights(
        self,
        weights: Generator[tuple[str, torch.Tensor], None, None],
        wire_format: str = "named_tensors",
        **kwargs: Any,
    ) -> None:
        """Gather the full tensors and load them into the server model."""
        if wire_format != "named_tensors":
            raise NotImplementedError(f"rollout.name=hf accepts full named tensors only, not {wire_format!r}")
        if kwargs.get("peft_config") is not None:
            raise NotImplementedError(
                "rollout.name=hf cannot serve an unmerged LoRA adapter; set actor_rollout_ref.model.lora.merge=True"
            )
        if os.environ.get(SYNC_ENV_VAR, "1") == "0":
            logger.warning("%s=0: rollout weights are NOT updated (stale-policy ablation)", SYNC_ENV_VAR)
            return
        named_tensors = {name: full_cpu_tensor(tensor) for name, tensor in weights}
        loaded = await self._server().update_weights.remote(named_tensors, global_steps=kwargs.get("global_steps"))
        logger.debug("pushed %d tensors to hf rollout server %d", loaded, self.replica_rank)
