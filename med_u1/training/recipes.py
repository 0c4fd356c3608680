"""Training recipes as data: a name, the Hydra overrides of verl's ``ppo_trainer`` and notes.

Each GPU recipe reproduces a published set-up on verl 0.9.1; ``docs/recipes.md`` gives the
source of every setting (paper section or file at a commit), and a test checks that the
doc's tables equal the configs these overrides resolve to. Every recipe scores with the
``med_u1`` reward manager. Data paths point at the files the ``scripts/data`` builders
write under ``processed_data/``; ``medu1 train`` lets the user replace them
(``--train-files``/``--val-files``) and the model (``--model``).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from med_u1.registry import Registry
from med_u1.training.hardware import DeclaredFigures

REWARD_OVERRIDES = ("reward.reward_manager.name=med_u1",)

#: Where verl saves a recipe's checkpoints (its default ``checkpoints/<project>/<experiment>``).
CHECKPOINT_ROOT = "checkpoints/med-u1"
#: Where ``scripts/train/l1_two_phase.sh`` merges phase 1, and so the ``l1-max`` recipe's model.
L1_EXACT_MERGED = f"{CHECKPOINT_ROOT}/l1-exact/merged"

# What every GPU recipe shares: vLLM rollouts, padding-free FSDP training with
# gradient checkpointing, one node, logging to the console and wandb.
GPU_COMMON = (
    "actor_rollout_ref.rollout.name=vllm",
    "actor_rollout_ref.model.use_remove_padding=True",
    "actor_rollout_ref.model.enable_gradient_checkpointing=True",
    "trainer.critic_warmup=0",
    "trainer.logger=[console,tensorboard]",  # wandb: trainer.logger=[console,tensorboard,wandb]
    "trainer.project_name=med-u1",
    "trainer.nnodes=1",
)

# The GRPO of Med-U1's and L1's verl fork: KL as a loss (0.001, low_var_kl) and not in the
# reward, the fork's entropy bonus 0.001, a constant learning rate, temperature 0.6 for
# training and validation, 1,024-token prompts.
FORK_GRPO = GPU_COMMON + (
    "algorithm.adv_estimator=grpo",
    "algorithm.use_kl_in_reward=False",
    "data.max_prompt_length=1024",
    "data.filter_overlong_prompts=True",
    "actor_rollout_ref.actor.use_kl_loss=True",
    "actor_rollout_ref.actor.kl_loss_coef=0.001",
    "actor_rollout_ref.actor.kl_loss_type=low_var_kl",
    "actor_rollout_ref.actor.entropy_coeff=0.001",
    "actor_rollout_ref.actor.ppo_epochs=1",
    "actor_rollout_ref.actor.optim.lr_scheduler_type=constant",
    "actor_rollout_ref.rollout.temperature=0.6",
    "actor_rollout_ref.rollout.val_kwargs.temperature=0.6",
    "actor_rollout_ref.rollout.val_kwargs.do_sample=True",
    "actor_rollout_ref.ref.fsdp_config.param_offload=True",
)

# Med-U1 (scripts/train/run_medu1.sh): 4 prompts x 8 responses a step on 4 GPUs. The fork's
# mini-batch of 16 prompts exceeds the batch; the fork scaled it to 16 x 8 / 4 GPUs = 32
# responses per GPU, more than the 8 each GPU holds, so every step was ONE update over all
# 32 responses. verl 0.9.1 rejects a mini-batch larger than the batch: 4 reproduces it.
MEDU1_GRPO = FORK_GRPO + (
    "data.train_batch_size=4",
    "data.max_response_length=4096",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.actor.ppo_mini_batch_size=4",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4",
    "actor_rollout_ref.actor.fsdp_config.param_offload=True",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=32",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=32",
    "actor_rollout_ref.rollout.n=8",
    "actor_rollout_ref.rollout.val_kwargs.n=4",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=4",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.8",
    "trainer.n_gpus_per_node=4",
    "trainer.total_epochs=1",
    "trainer.save_freq=450",
    "trainer.test_freq=350",
    "trainer.val_before_train=False",
    "+reward.custom_reward_function.reward_kwargs.preset=medu1",
    "+reward.custom_reward_function.reward_kwargs.reward_metric=Merge",
)

# L1 (cmu-l3/l1 run_l1_exact.sh / run_l1_max.sh): 128 prompts x 16 responses a step, two
# updates of 64 prompts, token-budgeted micro-batches, 8 GPUs; the L1 length term.
L1_COMMON = FORK_GRPO + (
    "data.train_batch_size=128",
    "actor_rollout_ref.actor.ppo_mini_batch_size=64",
    "actor_rollout_ref.actor.use_dynamic_bsz=True",
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=32768",
    "actor_rollout_ref.rollout.n=16",
    "actor_rollout_ref.rollout.val_kwargs.n=16",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.8",
    "trainer.n_gpus_per_node=8",
    "trainer.test_freq=20",
    "trainer.val_before_train=True",
    "+reward.custom_reward_function.reward_kwargs.preset=default",
    "+reward.custom_reward_function.reward_kwargs.length_mode=l1",
    "+reward.custom_reward_function.reward_kwargs.length_alpha=0.0003",
)

L1_EXACT = L1_COMMON + (
    "data.max_response_length=4096",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=2",
    "trainer.total_epochs=3",
    "trainer.save_freq=20",
)

L1_MAX = L1_COMMON + (
    "data.max_response_length=4500",
    "actor_rollout_ref.actor.optim.lr=4e-6",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
    "trainer.total_epochs=1",
    "trainer.save_freq=60",
)

# Medical R1-Zero (open-medical-r1, TRL GRPOTrainer): 3 processes x 2 completions x 16
# accumulation steps = 96 completions (32 prompts x 3) per optimizer step, each used once;
# TRL's defaults of March 2025 for what the config leaves out: KL beta 0.04 with the k3
# estimator inside the loss, temperature 0.9, per-sequence loss means, no weight decay.
R1ZERO_GRPO = GPU_COMMON + (
    "algorithm.adv_estimator=grpo",
    "algorithm.use_kl_in_reward=False",
    "data.train_batch_size=32",
    "data.max_prompt_length=1024",
    "data.max_response_length=8192",
    "data.truncation=left",
    "data.filter_overlong_prompts=False",
    "actor_rollout_ref.actor.optim.lr=2e-5",
    "actor_rollout_ref.actor.optim.lr_scheduler_type=cosine",
    "actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.1",
    "actor_rollout_ref.actor.optim.min_lr_ratio=0.0",
    "actor_rollout_ref.actor.optim.weight_decay=0.0",
    "actor_rollout_ref.actor.ppo_mini_batch_size=32",
    "actor_rollout_ref.actor.ppo_epochs=1",
    "actor_rollout_ref.actor.use_dynamic_bsz=True",
    "actor_rollout_ref.actor.ppo_max_token_len_per_gpu=18432",
    "actor_rollout_ref.actor.use_kl_loss=True",
    "actor_rollout_ref.actor.kl_loss_coef=0.04",
    "actor_rollout_ref.actor.kl_loss_type=low_var_kl",
    "actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-mean",
    "actor_rollout_ref.actor.entropy_coeff=0",
    "actor_rollout_ref.actor.fsdp_config.param_offload=True",
    "actor_rollout_ref.actor.fsdp_config.optimizer_offload=True",
    "actor_rollout_ref.ref.fsdp_config.param_offload=True",
    "actor_rollout_ref.rollout.n=3",
    "actor_rollout_ref.rollout.temperature=0.9",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=2",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.4",
    "trainer.n_gpus_per_node=8",
    "trainer.total_epochs=6",
    "trainer.save_freq=34",
    "trainer.test_freq=-1",
    "trainer.val_before_train=False",
    "+reward.custom_reward_function.reward_kwargs.preset=r1zero",
)

# Our LoRA variant of Medical R1-Zero (not in the original): rank 64 on all linear layers.
R1ZERO_LORA = tuple(o for o in R1ZERO_GRPO if not o.startswith("actor_rollout_ref.actor.optim.lr=")) + (
    "actor_rollout_ref.actor.optim.lr=3e-5",
    "actor_rollout_ref.model.lora_rank=64",
    "actor_rollout_ref.model.lora_alpha=32",
    "actor_rollout_ref.model.target_modules=all-linear",
    "actor_rollout_ref.rollout.load_format=safetensors",
)

# MED-RLVR (arXiv 2502.19655, OpenRLHF PPO): a critic with GAE, one response per prompt, the
# KL penalty (k1, 0.01) in the reward and not in the loss; OpenRLHF's defaults for the rest.
MEDRLVR_PPO = GPU_COMMON + (
    "algorithm.adv_estimator=gae",
    "algorithm.gamma=1.0",
    "algorithm.lam=1.0",
    "algorithm.use_kl_in_reward=True",
    "algorithm.kl_penalty=kl",
    "algorithm.kl_ctrl.type=fixed",
    "algorithm.kl_ctrl.kl_coef=0.01",
    "data.train_batch_size=1024",
    "data.max_prompt_length=1024",
    "data.max_response_length=2048",
    "data.filter_overlong_prompts=True",
    "actor_rollout_ref.actor.use_kl_loss=False",
    "actor_rollout_ref.actor.entropy_coeff=0",
    "actor_rollout_ref.actor.ppo_mini_batch_size=128",
    "actor_rollout_ref.actor.ppo_epochs=1",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4",
    "actor_rollout_ref.actor.optim.lr=1e-6",
    "actor_rollout_ref.actor.optim.lr_scheduler_type=cosine",
    "actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.03",
    "actor_rollout_ref.actor.optim.min_lr_ratio=0.1",
    "actor_rollout_ref.actor.optim.weight_decay=0.0",
    "actor_rollout_ref.actor.optim.betas=[0.9,0.95]",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8",
    "actor_rollout_ref.rollout.n=1",
    "actor_rollout_ref.rollout.temperature=1.0",
    "actor_rollout_ref.rollout.top_p=1.0",
    "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
    "actor_rollout_ref.rollout.gpu_memory_utilization=0.5",
    "critic.optim.lr=9e-6",
    "critic.optim.lr_scheduler_type=cosine",
    "critic.optim.lr_warmup_steps_ratio=0.03",
    "critic.optim.min_lr_ratio=0.1",
    "critic.optim.weight_decay=0.0",
    "critic.optim.betas=[0.9,0.95]",
    "critic.cliprange_value=0.5",
    "critic.model.enable_gradient_checkpointing=True",
    "critic.ppo_micro_batch_size_per_gpu=4",
    "trainer.n_gpus_per_node=8",
    "trainer.total_epochs=10",
    "trainer.save_freq=10",
    "trainer.test_freq=5",
    "+reward.custom_reward_function.reward_kwargs.preset=medrlvr",
)


# verl's vLLM rollout on CPU (actor_rollout_ref.rollout.name=vllm; the hf rollout ignores these).
# See docs/vllm-cpu-rollout.md for the vLLM limitation behind each line.
VLLM_ON_CPU = (
    # vLLM's CPU platform has no sleep mode: the engine keeps its weights and KV cache resident.
    "+actor_rollout_ref.rollout.enable_sleep_mode=False",
    "actor_rollout_ref.rollout.free_cache_engine=False",
    # On CPU the memory share counts host RAM; a fixed KV cache of 256 MiB fits the tiny models.
    "+actor_rollout_ref.rollout.engine_kwargs.vllm.kv_cache_memory_bytes=268435456",
    # The trainer computes in fp32 on CPU; the rollout samples with the same precision.
    "actor_rollout_ref.rollout.dtype=float32",
    # No torch.compile warm-up: on 2 cores it costs more than the runs it would speed up.
    "actor_rollout_ref.rollout.enforce_eager=True",
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
    *VLLM_ON_CPU,
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

# cpu-smoke with verl's own vLLM rollout (needs the CPU build of vLLM, vllm-cpu).
CPU_SMOKE_VLLM = tuple(o for o in CPU_SMOKE if o != "actor_rollout_ref.rollout.name=hf") + (
    "actor_rollout_ref.rollout.name=vllm",
)

# GRPO that learns on 2 CPU cores (the colour task of med_u1.training.cpu.colour_task): a
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

# What the recipes need beyond their GPU count (read by ``medu1 doctor --recipe``). These are
# this project's estimates for the recipes as configured, not measurements on GPUs: every GPU
# process loads the weights through host memory, offloaded parameters and optimizer states live
# there, and so does Ray's object store. The papers name GPU models only for Medical R1-Zero
# (4 A100-40GB, DeepSpeed ZeRO-3 with CPU offload, TRL). The CPU figures are cpu-smoke's,
# measured on the 2-core development machine (cpu-learn is assumed to need the same).
CPU_RUN = DeclaredFigures(min_gpus=0, gpu_memory_gib=0, host_memory_gib=3, cpu_cores=2)
# Qwen2.5-3B, FSDP actor and reference, vLLM rollouts: 80 GB cards, down to 4 of them with
# --gpus-per-node 4 (the batch sizes divide by 4).
QWEN_3B_RUN = DeclaredFigures(min_gpus=4, gpu_memory_gib=80, host_memory_gib=64, cpu_cores=16)
# HuatuoGPT-o1-7B full fine-tuning with vLLM TP 2 and the actor's parameters and optimizer
# states offloaded to host memory (about 200 GB of it).
HUATUO_7B_FULL_RUN = DeclaredFigures(min_gpus=8, gpu_memory_gib=80, host_memory_gib=200, cpu_cores=32)
# The same model with LoRA rank 64: only the adapter is trained, so 40 GB cards suffice.
HUATUO_7B_LORA_RUN = DeclaredFigures(min_gpus=4, gpu_memory_gib=40, host_memory_gib=128, cpu_cores=16)

CPU_ENV = {"VERL_PLATFORM": "cpu", "VERL_ENGINE_DEVICE": "cuda", "RAY_DEDUP_LOGS": "0"}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named training set-up; ``hardware`` describes it to people, ``figures`` to ``medu1 doctor``."""

    name: str
    summary: str
    hardware: str
    figures: DeclaredFigures
    model: str
    train_files: str
    val_files: str
    overrides: tuple[str, ...]
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)


CPU_SMOKE_RECIPE = Recipe(
    name="cpu-smoke",
    summary="2 GRPO steps of verl's trainer on a tiny local Qwen2 with the hf rollout (no GPU)",
    hardware="2 CPU cores, about 3 GiB RAM, a few minutes",
    figures=CPU_RUN,
    model="<built locally: tiny Qwen2>",
    train_files="<built locally: smoke parquet>",
    val_files="<built locally: smoke parquet>",
    overrides=CPU_SMOKE,
    env=CPU_ENV,
)

RECIPES: Registry[Recipe] = Registry("recipe")
for _recipe in (
    CPU_SMOKE_RECIPE,
    dataclasses.replace(
        CPU_SMOKE_RECIPE,
        name="cpu-smoke-vllm",
        summary="cpu-smoke with verl's own vLLM rollout on CPU (needs vllm-cpu, see docs/vllm-cpu-rollout.md)",
        hardware="2 CPU cores, about 4 GiB RAM, a few minutes",
        overrides=CPU_SMOKE_VLLM,
    ),
    Recipe(
        name="cpu-learn",
        summary="GRPO on CPU that learns: a warm-started tiny Qwen2 answers colour questions, chance -> half or more right",
        hardware="2 CPU cores, about 3 GiB RAM, under 15 minutes",
        figures=CPU_RUN,
        model="<built locally: warm-started tiny Qwen2>",
        train_files="<built locally: colour-task parquet>",
        val_files="<built locally: colour-task parquet>",
        overrides=CPU_LEARN,
        # One torch thread per Ray process: several processes share the 2 cores.
        env={**CPU_ENV, "OMP_NUM_THREADS": "1"},
    ),
    Recipe(
        name="medu1-grpo",
        summary="Med-U1 GRPO on its multiple-choice mix with thinking-length budgets (medu1 reward)",
        hardware="4x 80 GB GPUs (A100/H100), as the original",
        figures=QWEN_3B_RUN,
        model="Qwen/Qwen2.5-3B-Instruct",
        train_files="processed_data/medoption_train.parquet",
        val_files="processed_data/medoption_validation.parquet",
        overrides=MEDU1_GRPO,
    ),
    Recipe(
        name="medu1-grpo-nobudget",
        summary="Med-U1 GRPO without budgets, the data run_medu1.sh names (built with --do_normal)",
        hardware="4x 80 GB GPUs (A100/H100), as the original",
        figures=QWEN_3B_RUN,
        model="Qwen/Qwen2.5-3B-Instruct",
        train_files="processed_data/nobudget/medoption_train.parquet",
        val_files="processed_data/nobudget/medoption_validation.parquet",
        overrides=MEDU1_GRPO,
    ),
    Recipe(
        name="l1-exact",
        summary="L1 phase 1 on Med-U1's mix: exact budgets ('Think for N tokens.'), L1 length term",
        hardware="8x 80 GB GPUs (A100/H100)",
        figures=QWEN_3B_RUN,
        model="Qwen/Qwen2.5-3B-Instruct",
        train_files="processed_data/l1_exact/medoption_train.parquet",
        val_files="processed_data/l1_exact/medoption_validation.parquet",
        overrides=L1_EXACT,
    ),
    Recipe(
        name="l1-max",
        summary="L1 phase 2: maximum budgets, from the merged phase-1 model (scripts/train/l1_two_phase.sh)",
        hardware="8x 80 GB GPUs (A100/H100)",
        figures=QWEN_3B_RUN,
        model=L1_EXACT_MERGED,
        train_files="processed_data/l1_max/medoption_train.parquet",
        val_files="processed_data/l1_max/medoption_validation.parquet",
        overrides=L1_MAX,
    ),
    Recipe(
        name="r1zero-grpo",
        summary="Medical R1-Zero: GRPO from HuatuoGPT-o1-7B, full fine-tuning, r1zero reward (dataset1/2/3)",
        hardware="8x 80 GB GPUs; actor parameters and optimizer offloaded to host (about 200 GB RAM)",
        figures=HUATUO_7B_FULL_RUN,
        model="FreedomIntelligence/HuatuoGPT-o1-7B",
        train_files="processed_data/r1zero_dataset1_train.parquet",
        val_files="processed_data/medqa_test.parquet",
        overrides=R1ZERO_GRPO,
    ),
    Recipe(
        name="r1zero-grpo-lora",
        summary="Our LoRA variant of Medical R1-Zero (rank 64, all linear layers, served as a vLLM adapter)",
        hardware="4-8x 40-80 GB GPUs",
        figures=HUATUO_7B_LORA_RUN,
        model="FreedomIntelligence/HuatuoGPT-o1-7B",
        train_files="processed_data/r1zero_dataset1_train.parquet",
        val_files="processed_data/medqa_test.parquet",
        overrides=R1ZERO_LORA,
    ),
    Recipe(
        name="medrlvr-ppo",
        summary="MED-RLVR: PPO with a critic (GAE) on Qwen2.5-3B base over 5-option MedQA, medrlvr reward",
        hardware="8x 80 GB GPUs (actor, critic and reference share them)",
        figures=QWEN_3B_RUN,
        model="Qwen/Qwen2.5-3B",
        train_files="processed_data/medrlvr/medqa_train.parquet",
        val_files="processed_data/medrlvr/medqa_test.parquet",
        overrides=MEDRLVR_PPO,
    ),
):
    RECIPES.add(_recipe.name, _recipe)


#: The recipe called ``name``; an unknown name suggests the closest and lists the known ones.
get_recipe = RECIPES.get
