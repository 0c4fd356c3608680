"""Training recipes as data: a name, the Hydra overrides of verl's ``ppo_trainer`` and notes.

Every recipe scores with the ``med_u1`` reward manager. Data paths point at the files the
``scripts/data`` builders write under ``processed_data/``; ``medu1 train`` lets the
user replace them (``--train-files``/``--val-files``) and the model (``--model``).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

REWARD_OVERRIDES = ("reward.reward_manager.name=med_u1",)

# verl settings shared by the GPU recipes: batch sizes for one 8-GPU node, a KL loss
# against the reference model, vLLM rollouts, and the trainer's logging and saving.
GPU_PPO_COMMON = (
    "algorithm.use_kl_in_reward=False",
    "data.train_batch_size=128",
    "data.filter_overlong_prompts=True",
    "actor_rollout_ref.actor.ppo_mini_batch_size=64",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4",
    "actor_rollout_ref.actor.use_kl_loss=True",
    "actor_rollout_ref.actor.kl_loss_coef=0.001",
    "actor_rollout_ref.actor.kl_loss_type=low_var_kl",
    "actor_rollout_ref.model.enable_gradient_checkpointing=True",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8",
    "actor_rollout_ref.rollout.name=vllm",
    "trainer.critic_warmup=0",
    "trainer.logger=[console,wandb]",
    "trainer.project_name=med-u1",
    "trainer.n_gpus_per_node=8",
    "trainer.nnodes=1",
    "trainer.save_freq=50",
    "trainer.test_freq=25",
    "trainer.total_epochs=3",
)

# Runs of a GRPO recipe on one 8-GPU node; batch sizes divide by 8 GPUs x 8 samples.
GRPO_COMMON = GPU_PPO_COMMON + (
    "algorithm.adv_estimator=grpo",
    "data.truncation=error",
    "actor_rollout_ref.actor.entropy_coeff=0",
    "actor_rollout_ref.actor.fsdp_config.param_offload=False",
    "actor_rollout_ref.actor.fsdp_config.optimizer_offload=False",
    "actor_rollout_ref.ref.fsdp_config.param_offload=True",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.6",
    "actor_rollout_ref.rollout.n=8",
)

# Med-U1's shape: Qwen2.5-3B-Instruct, lr 1e-6, T 0.6, 1024/4096 tokens (also L1's).
MEDU1_SHAPE = (
    "data.max_prompt_length=1024",
    "data.max_response_length=4096",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.actor.use_dynamic_bsz=True",
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=24576",
    "actor_rollout_ref.rollout.temperature=0.6",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
)

# Med-U1: n 8, KL 0.001 low_var_kl, the reference reward (medu1 preset).
MEDU1_GRPO = GRPO_COMMON + MEDU1_SHAPE + ("+reward.custom_reward_function.reward_kwargs.preset=medu1",)

# L1-style length control: the default reward with the L1 length term (length_mode=l1).
L1_GRPO = GRPO_COMMON + MEDU1_SHAPE + (
    "+reward.custom_reward_function.reward_kwargs.preset=default",
    "+reward.custom_reward_function.reward_kwargs.length_mode=l1",
)

# Medical R1-Zero: GRPO from HuatuoGPT-o1-7B on MedQA / MedXpertQA mixes, no budgets.
R1ZERO_GRPO = tuple(o for o in GRPO_COMMON if "fsdp_config.param_offload" not in o and "optimizer_offload" not in o) + (
    "data.max_prompt_length=1024",
    "data.max_response_length=2048",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.rollout.temperature=1.0",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=2",
    "actor_rollout_ref.actor.fsdp_config.param_offload=True",
    "actor_rollout_ref.actor.fsdp_config.optimizer_offload=True",
    "actor_rollout_ref.ref.fsdp_config.param_offload=True",
    "+reward.custom_reward_function.reward_kwargs.preset=default",
    "+reward.custom_reward_function.reward_kwargs.length_mode=none",
)

R1ZERO_LORA = tuple(o for o in R1ZERO_GRPO if not o.startswith("actor_rollout_ref.actor.optim.lr=")) + (
    "actor_rollout_ref.actor.optim.lr=3e-5",
    "actor_rollout_ref.model.lora_rank=64",
    "actor_rollout_ref.model.lora_alpha=32",
    "actor_rollout_ref.model.target_modules=all-linear",
    "actor_rollout_ref.rollout.load_format=safetensors",
)

# MED-RLVR: PPO with a critic (GAE) on the Qwen2.5-3B base model over MedQA.
MEDRLVR_PPO = GPU_PPO_COMMON + (
    "algorithm.adv_estimator=gae",
    "algorithm.gamma=1.0",
    "algorithm.lam=1.0",
    "data.max_prompt_length=1024",
    "data.max_response_length=2048",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.5",
    "actor_rollout_ref.rollout.n=1",
    "actor_rollout_ref.rollout.temperature=1.0",
    "critic.optim.lr=1e-5",
    "critic.model.enable_gradient_checkpointing=True",
    "critic.ppo_micro_batch_size_per_gpu=4",
    "+reward.custom_reward_function.reward_kwargs.preset=default",
    "+reward.custom_reward_function.reward_kwargs.length_mode=none",
)


# verl on a 2-core CPU: the hf rollout, the CPU platform, one worker of each kind, no KL.
CPU_COMMON = (
    "algorithm.adv_estimator=grpo",
    "data.dataloader_num_workers=0",
    "data.filter_overlong_prompts=True",
    "actor_rollout_ref.model.use_remove_padding=False",
    "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
    "actor_rollout_ref.actor.strategy=fsdp2",
    # verl's FSDP2 reference engine pins host memory, which needs an accelerator: no KL on CPU.
    "actor_rollout_ref.actor.use_kl_loss=False",
    "actor_rollout_ref.rollout.name=hf",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
    "actor_rollout_ref.rollout.agent.num_workers=1",
    "reward.num_workers=1",
    "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
    "+ray_kwargs.ray_init.num_gpus=1",
    # Logical CPUs for Ray's bookkeeping (a worker bundle asks for 3); not physical cores.
    "ray_kwargs.ray_init.num_cpus=8",
    "trainer.device=cpu",
    "trainer.n_gpus_per_node=1",
    "trainer.nnodes=1",
    "trainer.logger=[console,file]",
    "trainer.project_name=med-u1",
)

# The whole loop on a 2-core CPU: 2 steps of the tiny local model.
CPU_SMOKE = CPU_COMMON + (
    "data.train_batch_size=2",
    "data.max_prompt_length=640",
    "data.max_response_length=32",
    "actor_rollout_ref.actor.optim.lr=1e-3",
    "actor_rollout_ref.actor.ppo_mini_batch_size=2",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=4",
    "actor_rollout_ref.rollout.n=2",
    "trainer.total_training_steps=2",
    "trainer.test_freq=1",  # validation every step: per-source reward components in every step's metrics
    "trainer.save_freq=2",
    "trainer.val_before_train=False",
)

# GRPO that learns on 2 CPU cores (the colour task of med_u1.training.colour_task): a
# task-sized prompt and response, 16 prompts x 8 samples per step and one update per step,
# a large learning rate for the tiny model, the default reward preset, and sampled
# validation (so accuracy is an expectation) before training and every 5 steps.
CPU_LEARN = CPU_COMMON + (
    "data.train_batch_size=16",
    "data.max_prompt_length=128",
    "data.max_response_length=24",
    "data.seed=0",
    "actor_rollout_ref.actor.optim.lr=3e-3",
    "actor_rollout_ref.actor.ppo_mini_batch_size=16",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=256",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=256",
    "actor_rollout_ref.rollout.n=16",
    "actor_rollout_ref.rollout.temperature=1.0",
    "actor_rollout_ref.rollout.val_kwargs.do_sample=True",
    "actor_rollout_ref.rollout.val_kwargs.temperature=1.0",
    "+reward.custom_reward_function.reward_kwargs.preset=default",
    "trainer.total_training_steps=40",
    "trainer.test_freq=5",
    "trainer.save_freq=-1",
    "trainer.val_before_train=True",
)

CPU_ENV = {"VERL_PLATFORM": "cpu", "VERL_ENGINE_DEVICE": "cuda", "RAY_DEDUP_LOGS": "0"}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named training set-up."""

    name: str
    summary: str
    hardware: str
    model: str
    train_files: str
    val_files: str
    overrides: tuple[str, ...]
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="cpu-smoke",
            summary="2 GRPO steps of verl's trainer on a tiny local Qwen2 with the hf rollout (no GPU)",
            hardware="2 CPU cores, about 3 GiB RAM, a few minutes",
            model="<built locally: tiny Qwen2>",
            train_files="<built locally: smoke parquet>",
            val_files="<built locally: smoke parquet>",
            overrides=CPU_SMOKE,
            env=CPU_ENV,
        ),
        Recipe(
            name="cpu-learn",
            summary="GRPO on CPU that learns: a warm-started tiny Qwen2 answers colour questions, chance -> most right",
            hardware="2 CPU cores, about 3 GiB RAM, under 15 minutes",
            model="<built locally: warm-started tiny Qwen2>",
            train_files="<built locally: colour-task parquet>",
            val_files="<built locally: colour-task parquet>",
            overrides=CPU_LEARN,
            # One torch thread per Ray process: several processes share the 2 cores.
            env={**CPU_ENV, "OMP_NUM_THREADS": "1"},
        ),
        Recipe(
            name="medu1-grpo",
            summary="Med-U1 GRPO with thinking-length budgets (medu1 reward preset)",
            hardware="8x 80 GB GPUs (A100/H100), about 1 day for 3 epochs",
            model="Qwen/Qwen2.5-3B-Instruct",
            train_files="processed_data/train_medoption_train.parquet",
            val_files="processed_data/medxpertqa_validation.parquet",
            overrides=MEDU1_GRPO,
        ),
        Recipe(
            name="medu1-grpo-nobudget",
            summary="Med-U1 GRPO without budgets (data built with --do_normal)",
            hardware="8x 80 GB GPUs (A100/H100)",
            model="Qwen/Qwen2.5-3B-Instruct",
            train_files="processed_data/nobudget/train_medoption_train.parquet",
            val_files="processed_data/nobudget/medxpertqa_validation.parquet",
            overrides=MEDU1_GRPO,
        ),
        Recipe(
            name="l1-exact",
            summary="L1 phase 1: exact budgets ('Think for N tokens.'), L1 length term",
            hardware="8x 80 GB GPUs (A100/H100)",
            model="Qwen/Qwen2.5-3B-Instruct",
            train_files="processed_data/l1_exact/train_medoption_train.parquet",
            val_files="processed_data/l1_exact/medxpertqa_validation.parquet",
            overrides=L1_GRPO,
        ),
        Recipe(
            name="l1-max",
            summary="L1 phase 2: maximum budgets, started from the merged phase-1 model",
            hardware="8x 80 GB GPUs (A100/H100)",
            model="checkpoints/l1-exact/merged",
            train_files="processed_data/l1_max/train_medoption_train.parquet",
            val_files="processed_data/l1_max/medxpertqa_validation.parquet",
            overrides=L1_GRPO,
        ),
        Recipe(
            name="r1zero-grpo",
            summary="Medical R1-Zero: GRPO from HuatuoGPT-o1-7B, full fine-tuning (dataset1/2/3)",
            hardware="8x 80 GB GPUs; actor params and optimizer offloaded to host (about 200 GB RAM)",
            model="FreedomIntelligence/HuatuoGPT-o1-7B",
            train_files="processed_data/r1zero_dataset1_train.parquet",
            val_files="processed_data/medqa_test.parquet",
            overrides=R1ZERO_GRPO,
        ),
        Recipe(
            name="r1zero-grpo-lora",
            summary="Medical R1-Zero with LoRA (rank 64, all linear layers, served as a vLLM adapter)",
            hardware="4-8x 40-80 GB GPUs",
            model="FreedomIntelligence/HuatuoGPT-o1-7B",
            train_files="processed_data/r1zero_dataset1_train.parquet",
            val_files="processed_data/medqa_test.parquet",
            overrides=R1ZERO_LORA,
        ),
        Recipe(
            name="medrlvr-ppo",
            summary="MED-RLVR: PPO with a critic (GAE) on Qwen2.5-3B over MedQA",
            hardware="8x 80 GB GPUs (actor, critic and reference share them)",
            model="Qwen/Qwen2.5-3B",
            train_files="processed_data/medqa_train.parquet",
            val_files="processed_data/medqa_test.parquet",
            overrides=MEDRLVR_PPO,
        ),
    )
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; a clear error lists the known names."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}") from None
