"""The verl reward-loop manager on a real DataProto, against direct compute_score calls."""

import asyncio

import pytest
import torch
from omegaconf import OmegaConf
from transformers import AutoTokenizer
from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls
from verl.trainer.ppo.reward import load_reward_manager

from med_u1.rewards import compute_score
from med_u1.rewards.manager import MedU1RewardManager, decode_response
from med_u1.rewards.mcqa import options_from_prompt
from med_u1.training.cpu.tiny_model import build_tiny_model
from verl_batch import rollout_batch


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("tiny")))


def reward_config(path=None, **knobs):
    return OmegaConf.create(
        {
            "reward": {
                "reward_manager": {"source": "register", "name": "med_u1", "module": {"path": None, "name": "x"}},
                "custom_reward_function": {"path": path, "name": "compute_score", "reward_kwargs": knobs},
                "sandbox_fusion": None,
            }
        }
    )


def bench_batch(tokenizer, rows):
    prompts = [row["solution_str"][: row["response_offset"]] for row in rows]
    responses = [row["solution_str"][row["response_offset"] :] for row in rows]
    reward_models = [
        {
            "style": "rule",
            "ground_truth": row["kwargs"]["ground_truth"],
            "lower_limit": row["kwargs"]["l_limit"],
            "upper_limit": row["kwargs"]["u_limit"],
            "num_tokens": row["kwargs"]["num_tokens"],
        }
        for row in rows
    ]
    data = rollout_batch(tokenizer, prompts, responses, [row["data_source"] for row in rows], reward_models)
    return data, responses


def run_manager(manager, data):
    async def run_all():
        return [await manager.run_single(data[i : i + 1]) for i in range(len(data))]

    return asyncio.run(run_all())


def test_fast_decode_equals_transformers_decode(tokenizer, bench_responses):
    for row in bench_responses[::40]:
        ids = tokenizer.encode(row["solution_str"], add_special_tokens=False)
        assert decode_response(tokenizer, ids) == tokenizer.decode(ids, skip_special_tokens=True)


def test_registered_in_verl():
    assert get_reward_manager_cls("med_u1") is MedU1RewardManager


def test_manager_equals_direct_calls_and_assembles_rm_scores(tokenizer, bench_responses):
    rows = bench_responses[::25]  # 80 rows across the four tasks
    data, responses = bench_batch(tokenizer, rows)
    manager = MedU1RewardManager(reward_config(), tokenizer, compute_score=None)
    outputs = run_manager(manager, data)
    scores = [output["reward_score"] for output in outputs]
    for row, response, output, index in zip(rows, responses, outputs, range(len(rows))):
        length = len(tokenizer.encode(response, add_special_tokens=False))
        info = {"lower_limit": row["kwargs"]["l_limit"], "upper_limit": row["kwargs"]["u_limit"],
                "num_tokens": row["kwargs"]["num_tokens"], "response_length": length}
        direct = compute_score(row["data_source"], response, row["kwargs"]["ground_truth"], info)
        assert output["reward_score"] == direct["score"], row["bench_id"]
        assert output["reward_extra_info"] == {**direct, "response_tokens": length}  # the count goes to verl's dumps
    rm_scores = MedU1RewardManager.assemble_rm_scores(data, scores)
    lengths = data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :].sum(dim=1)
    for index, length in enumerate(lengths.tolist()):
        assert rm_scores[index, length - 1].item() == pytest.approx(scores[index])
        assert torch.count_nonzero(rm_scores[index, : length - 1]) == 0
    assert any(length_term != 0 for length_term in (o["reward_extra_info"]["length"] for o in outputs))


def test_knobs_from_config_select_the_medu1_preset(tokenizer, bench_responses):
    rows = [row for row in bench_responses if row["kwargs"]["num_tokens"] == -1][:40]
    data, _ = bench_batch(tokenizer, rows)
    knobs = {"preset": "medu1", "reward_metric": "Merge", "bleu_threshold": 45}
    outputs = run_manager(MedU1RewardManager(reward_config(**knobs), tokenizer), data)
    assert [o["reward_score"] for o in outputs] == pytest.approx([row["ref_score"] for row in rows])


def test_custom_reward_function_route_through_verl_loader(tokenizer, bench_responses):
    rows = bench_responses[:20]
    data, _ = bench_batch(tokenizer, rows)
    config = reward_config(path="pkg://med_u1.rewards", preset="medu1")
    manager = load_reward_manager(config, tokenizer)
    assert isinstance(manager, MedU1RewardManager)
    direct = run_manager(MedU1RewardManager(reward_config(preset="medu1"), tokenizer), data)
    assert [o["reward_score"] for o in run_manager(manager, data)] == [o["reward_score"] for o in direct]


def test_bad_knob_fails_at_start_up(tokenizer):
    with pytest.raises(TypeError, match="unknown reward knob"):
        MedU1RewardManager(reward_config(presett="medu1"), tokenizer)


@pytest.mark.slow
def test_manager_is_registered_inside_a_ray_worker():
    """verl loads the ``verl.plugins`` entry point on import, in every Ray process."""
    import ray

    @ray.remote
    def registered_managers() -> list[str]:
        import verl  # noqa: F401  (loads entry points)
        from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER

        return sorted(REWARD_MANAGER)

    ray.init(num_cpus=1, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    try:
        assert "med_u1" in ray.get(registered_managers.remote(), timeout=120)
    finally:
        ray.shutdown()


def test_options_are_read_from_the_prompt_when_the_row_has_none(tokenizer, bench_responses):
    """Med-U1's rows carry no ``options``: the manager reads them from the prompt's option lines."""
    row = next(r for r in bench_responses if r["data_source"] == "MedIQ")
    prompt = row["solution_str"][: row["response_offset"]]
    options = options_from_prompt(prompt)
    assert list(options) == ["A", "B", "C", "D"] and "Please" not in options["D"]
    truth = row["kwargs"]["ground_truth"]
    other = next(letter for letter in options if letter != truth)
    responses = [f"<think>x</think><answer>{options[truth]}</answer>", f"<think>x</think><answer>{truth}: {options[other]}</answer>"]
    data = rollout_batch(tokenizer, [prompt, prompt], responses, ["MedIQ", "MedIQ"], [{"ground_truth": truth}] * 2)
    outputs = run_manager(MedU1RewardManager(reward_config(), tokenizer), data)
    assert [o["reward_extra_info"]["acc"] for o in outputs] == [1.0, 0.0]
