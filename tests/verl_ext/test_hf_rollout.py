"""The transformers rollout server answers like verl's vLLM server, without Ray."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf
from transformers import AutoModelForCausalLM
from verl.workers.config import HFModelConfig, RolloutConfig

from med_u1.training.cpu.tiny_model import build_tiny_model
from med_u1.verl_ext.hf_rollout import (
    HFRolloutServer,
    HFServerAdapter,
    check_supported,
    cut_at_eos,
    left_pad,
    max_new_tokens,
    token_log_probs,
)

PROMPTS = ([1, 40, 41, 42, 43, 2, 1], [1, 50, 2, 1], [1, 60, 61, 2, 1])


def rollout_config(**changes) -> RolloutConfig:
    fields = dict(name="hf", prompt_length=16, response_length=6, tensor_model_parallel_size=1, seed=0)
    return RolloutConfig(**{**fields, **changes})


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def server(model_dir: Path) -> HFRolloutServer:
    return HFRolloutServer(rollout_config(), OmegaConf.create({"path": str(model_dir)}), replica_rank=0)


def generate_all(server: HFRolloutServer, prompts, **sampling) -> list:
    async def run_all():
        return await asyncio.gather(
            *[server.generate(list(p), dict(sampling), request_id=str(i)) for i, p in enumerate(prompts)]
        )

    return asyncio.run(run_all())


def test_max_new_tokens_follows_the_vllm_server() -> None:
    config = rollout_config()
    assert max_new_tokens(config, prompt_len=4, sampling_params={}) == 6
    assert max_new_tokens(config, prompt_len=4, sampling_params={"max_tokens": 3}) == 3
    assert max_new_tokens(config, prompt_len=20, sampling_params={}) == 2  # only 22 - 20 left
    with pytest.raises(ValueError, match="no room"):
        max_new_tokens(config, prompt_len=22, sampling_params={})


def test_left_pad_and_cut_at_eos() -> None:
    input_ids, mask = left_pad([[5, 6, 7], [8]], pad_token_id=0)
    assert input_ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert cut_at_eos([4, 2, 0, 0], {2}) == [4, 2]
    assert cut_at_eos([4, 5], {2}) == [4, 5]


def test_log_probs_are_scaled_by_temperature() -> None:
    logits = (torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([[0.5, 0.5, 3.0]]))
    tokens = torch.tensor([[0, 2]])
    expected = [torch.log_softmax(step[0] / 0.5, -1)[t].item() for step, t in zip(logits, (0, 2))]
    assert token_log_probs(logits, tokens, 0.5)[0].tolist() == pytest.approx(expected)
    greedy = [torch.log_softmax(step[0], -1)[t].item() for step, t in zip(logits, (0, 2))]
    assert token_log_probs(logits, tokens, 0.0)[0].tolist() == pytest.approx(greedy)


def test_unsupported_parallelism_is_refused() -> None:
    with pytest.raises(NotImplementedError, match="tensor_model_parallel_size"):
        check_supported(rollout_config(tensor_model_parallel_size=2))


def test_batched_greedy_generation_equals_one_at_a_time(server: HFRolloutServer) -> None:
    batched = generate_all(server, PROMPTS, temperature=0)
    single = [generate_all(server, [p], temperature=0)[0] for p in PROMPTS]
    assert [o.token_ids for o in batched] == [o.token_ids for o in single]
    assert all(1 <= len(o.token_ids) <= 6 for o in batched)
    assert all(o.stop_reason == "completed" for o in batched)


def test_log_probs_match_a_forward_pass_at_the_sampling_temperature(server: HFRolloutServer, model_dir: Path) -> None:
    output = generate_all(server, PROMPTS[:1], temperature=0.7, logprobs=True)[0]
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa").eval()
    sequence = torch.tensor([list(PROMPTS[0]) + output.token_ids])
    with torch.no_grad():
        logits = model(sequence).logits[0, len(PROMPTS[0]) - 1 : -1] / 0.7
    expected = torch.log_softmax(logits, -1).gather(-1, torch.tensor(output.token_ids)[:, None])[:, 0]
    assert output.log_probs == pytest.approx(expected.tolist(), abs=1e-4)


def test_update_weights_changes_what_is_served(server: HFRolloutServer) -> None:
    before = generate_all(server, PROMPTS, temperature=0)
    state = server.model.state_dict()
    # The untrained model repeats its last token; a negated final norm makes that the least likely.
    new = {"model.norm.weight": -state["model.norm.weight"], "model.embed_tokens.weight": state["model.embed_tokens.weight"]}
    assert asyncio.run(server.update_weights(new, global_steps=3)) == 2
    assert torch.equal(asyncio.run(server.get_weight("model.norm.weight")), new["model.norm.weight"])
    after = generate_all(server, PROMPTS, temperature=0)
    assert [o.token_ids for o in after] != [o.token_ids for o in before]
    assert after[0].extra_fields["global_steps"] == 3
    with pytest.raises(KeyError, match="unknown"):
        asyncio.run(server.update_weights({"not.a.weight": torch.zeros(1)}))


def test_adapter_refuses_an_unmerged_lora_adapter(model_dir: Path) -> None:
    adapter = HFServerAdapter(rollout_config(), HFModelConfig(path=str(model_dir)), device_mesh=None)
    with pytest.raises(NotImplementedError, match="lora.merge=True"):
        asyncio.run(adapter.update_weights(iter([]), peft_config={"r": 8}))
