#!/usr/bin/env bash
# Any recipe on several nodes: start Ray on every node, then launch from the head node.
#   On the head node:    ROLE=head   NNODES=2 scripts/train/multinode.sh medu1-grpo [overrides...]
#   On each other node:  ROLE=worker HEAD_ADDR=<head ip> scripts/train/multinode.sh
# The trainer joins the running cluster (+ray_kwargs.ray_init.address=auto) and spreads the
# actor, reference and rollout workers over trainer.nnodes x trainer.n_gpus_per_node GPUs.
# Hardware: NNODES nodes with GPUS_PER_NODE GPUs each (default 8); same paths on every node
# (model, data and checkpoints on a shared filesystem). Batch sizes must divide by the GPU count.
# --dry-run prints the ray commands and the resolved config without starting anything.
set -euo pipefail
ROLE=${ROLE:-head}
NNODES=${NNODES:-2}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
RAY_PORT=${RAY_PORT:-6379}
RUN=()
if [[ " $* " == *" --dry-run "* ]]; then RUN=(echo "[dry-run]"); fi

if [[ "$ROLE" == "worker" ]]; then
  "${RUN[@]}" ray start --address="${HEAD_ADDR:?set HEAD_ADDR to the head node ip}:$RAY_PORT" --block
  exit 0
fi
PRESET=${1:?usage: ROLE=head NNODES=N multinode.sh PRESET [--dry-run] [overrides...]}
shift
"${RUN[@]}" ray start --head --port="$RAY_PORT" --num-gpus="$GPUS_PER_NODE"
medu1 train --recipe "$PRESET" --nnodes "$NNODES" --gpus-per-node "$GPUS_PER_NODE" \
  +ray_kwargs.ray_init.address=auto "$@"
