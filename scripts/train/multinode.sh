#!/usr/bin/env bash
# Any recipe on several nodes: Ray on every node with token authentication, the trainer on the head.
#   On the head node:    ROLE=head NNODES=2 GPUS_PER_NODE=8 scripts/train/multinode.sh medu1-grpo [overrides...]
#   On each other node:  ROLE=worker HEAD_ADDR=<head ip> scripts/train/multinode.sh
# Step by step, what each variable does and what was tested: docs/multinode.md.
#
# Token: Ray 2.60 turns token authentication on; every node and the trainer need the same token.
#   The head uses RAY_AUTH_TOKEN (the value) or the file RAY_AUTH_TOKEN_PATH (default
#   ~/.ray/auth_token), and creates that file (mode 600) when neither exists. Copy the file to
#   each worker node (same path, or set RAY_AUTH_TOKEN_PATH there). RAY_AUTH_MODE=token is set here.
# The head waits (at most WAIT_NODES_S seconds) until NNODES nodes joined, then runs
# `medu1 train --recipe RECIPE --nnodes NNODES --gpus-per-node GPUS_PER_NODE --ray-address ...`.
# A worker fails within seconds when the head's port does not answer. Whatever Ray this script
# started is stopped when it exits (Ctrl-C, SIGTERM or SIGHUP to the script or its process group,
# an error, the end of training); a stopped head first stops the trainer, which saved its last
# checkpoint, so the same command resumes (docs/multinode.md).
# Same paths on every node (model, data, checkpoints on a shared filesystem, this repository).
# --dry-run prints the ray commands and medu1 train's dry run (with --show-config, the resolved config) without starting anything.
set -euo pipefail
ROLE=${ROLE:-head}
NNODES=${NNODES:-2}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
RAY_PORT=${RAY_PORT:-6379}
WAIT_NODES_S=${WAIT_NODES_S:-300}
PYTHON=${PYTHON:-python}
# Optional, passed to `ray start` when set (one machine running several nodes needs them all):
#   NUM_CPUS (logical CPUs; verl asks 3 per GPU plus a few for its driver), NODE_IP, RAY_TEMP_DIR,
#   OBJECT_STORE_MEMORY, NODE_MANAGER_PORT, OBJECT_MANAGER_PORT, MIN_WORKER_PORT, MAX_WORKER_PORT,
#   DASHBOARD_PORT, RAY_CLIENT_SERVER_PORT, DASHBOARD_AGENT_LISTEN_PORT, DASHBOARD_AGENT_GRPC_PORT,
#   METRICS_EXPORT_PORT, RUNTIME_ENV_AGENT_PORT.
export RAY_AUTH_MODE=token
if [[ -z "${RAY_AUTH_TOKEN:-}" ]]; then export RAY_AUTH_TOKEN_PATH=${RAY_AUTH_TOKEN_PATH:-$HOME/.ray/auth_token}; fi
DRY_RUN=0
if [[ " $* " == *" --dry-run "* ]]; then DRY_RUN=1; fi
RUN=()
if (( DRY_RUN )); then RUN=(echo "[dry-run]"); fi

node_options() {  # the `ray start` options both roles share, from the variables that are set
  local name flag
  for name in NUM_CPUS:num-cpus NODE_IP:node-ip-address RAY_TEMP_DIR:temp-dir OBJECT_STORE_MEMORY:object-store-memory \
      NODE_MANAGER_PORT:node-manager-port OBJECT_MANAGER_PORT:object-manager-port MIN_WORKER_PORT:min-worker-port \
      MAX_WORKER_PORT:max-worker-port DASHBOARD_AGENT_LISTEN_PORT:dashboard-agent-listen-port \
      DASHBOARD_AGENT_GRPC_PORT:dashboard-agent-grpc-port METRICS_EXPORT_PORT:metrics-export-port \
      RUNTIME_ENV_AGENT_PORT:runtime-env-agent-port; do
    flag=${name#*:}; name=${name%%:*}
    if [[ -n "${!name:-}" ]]; then printf -- '--%s=%s\n' "$flag" "${!name}"; fi
  done
  printf -- '--num-gpus=%s\n' "$GPUS_PER_NODE"
}
mapfile -t NODE_OPTIONS < <(node_options)

has_token() { [[ -n "${RAY_AUTH_TOKEN:-}" || -s "${RAY_AUTH_TOKEN_PATH:-}" ]]; }

if [[ "$ROLE" == "worker" ]]; then
  HEAD="${HEAD_ADDR:?set HEAD_ADDR to the head node ip}:$RAY_PORT"
  if (( ! DRY_RUN )); then
    if ! has_token; then
      echo "error: no Ray token at $RAY_AUTH_TOKEN_PATH: copy the head's token file here (e.g." \
           "scp HEAD:~/.ray/auth_token $RAY_AUTH_TOKEN_PATH), or set RAY_AUTH_TOKEN_PATH / RAY_AUTH_TOKEN" >&2
      exit 2
    fi
    "$PYTHON" -m med_u1.training.cluster reachable --address "$HEAD"
  fi
  # exec: a signal to this script reaches `ray start --block`, which stops the node's processes.
  exec "${RUN[@]}" ray start --address="$HEAD" "${NODE_OPTIONS[@]}" --block
fi
[[ "$ROLE" == "head" ]] || { echo "error: ROLE must be head or worker, not $ROLE" >&2; exit 2; }

PRESET=${1:?usage: ROLE=head NNODES=N multinode.sh PRESET [--dry-run] [overrides...]}
shift
HEAD="${NODE_IP:-127.0.0.1}:$RAY_PORT"
HEAD_OPTIONS=(--head --port="$RAY_PORT")
for name in DASHBOARD_PORT:dashboard-port RAY_CLIENT_SERVER_PORT:ray-client-server-port; do
  flag=${name#*:}; name=${name%%:*}
  if [[ -n "${!name:-}" ]]; then HEAD_OPTIONS+=("--$flag=${!name}"); fi
done
TRAIN=("$PYTHON" -m med_u1.cli train --recipe "$PRESET" --nnodes "$NNODES" --gpus-per-node "$GPUS_PER_NODE"
       --ray-address "$HEAD" "$@")
if (( DRY_RUN )); then
  echo "[dry-run] ray start ${HEAD_OPTIONS[*]} ${NODE_OPTIONS[*]} --block"
  exec "${TRAIN[@]}"
fi

if ! has_token; then
  mkdir -p "$(dirname "$RAY_AUTH_TOKEN_PATH")"
  (umask 077 && "$PYTHON" -c 'import secrets, sys; sys.stdout.write(secrets.token_hex(32))' > "$RAY_AUTH_TOKEN_PATH")
  echo "created a Ray token in $RAY_AUTH_TOKEN_PATH: copy it to every worker node" >&2
fi
ray start "${HEAD_OPTIONS[@]}" "${NODE_OPTIONS[@]}" --block &
RAY_PID=$!
stop_ray() {  # SIGTERM lets `ray start --block` drain and stop every process of this node
  kill -TERM "$RAY_PID" 2>/dev/null || true
  wait "$RAY_PID" 2>/dev/null || true
}
trap stop_ray EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
"$PYTHON" -m med_u1.training.cluster wait-nodes --address "$HEAD" --nodes "$NNODES" --timeout "$WAIT_NODES_S" &
WAIT_PID=$!
while kill -0 "$WAIT_PID" 2>/dev/null; do  # stop waiting at once if the head's Ray fails to start
  if ! kill -0 "$RAY_PID" 2>/dev/null; then
    kill "$WAIT_PID" 2>/dev/null || true
    echo "error: Ray on the head node stopped while waiting for the other nodes (its output is above)" >&2
    exit 1
  fi
  sleep 2
done
wait "$WAIT_PID"
# The trainer runs in the background so that a signal to this script alone (kill PID, a scheduler
# that signals only the job's main process) is handled at once, not after training: it is passed
# on to medu1, which stops verl's trainer with everything it started, then the EXIT trap stops Ray.
# SIGTERM whatever came: a background job of a script ignores SIGINT.
"${TRAIN[@]}" &
TRAIN_PID=$!
stop_train() {
  kill -TERM "$TRAIN_PID" 2>/dev/null || true
  wait "$TRAIN_PID" 2>/dev/null || true
  exit "$1"
}
trap 'stop_train 130' INT
trap 'stop_train 143' TERM
trap 'stop_train 129' HUP
wait "$TRAIN_PID"
