#!/usr/bin/env bash
# Install Med-U1 for GPU training on a fresh Linux x86-64 machine with an NVIDIA driver for CUDA 13,
# inside the Python environment you want it in (a fresh venv or conda env, Python 3.10-3.12).
#
# The order is what verl's and vLLM's installation guides do: torch first, at the build that
# verl 0.9.1 and vLLM pin; then vLLM; then flash-attn, from a prebuilt wheel matching torch, CUDA
# and Python (the one verl's own lock file uses) or, without one, built from source against the
# installed torch with --no-build-isolation (flash-attn's build imports torch, which pip's isolated
# build environment does not have); then this project with its `gpu` extra; then `medu1 doctor`.
#
# Usage: scripts/install_gpu.sh [--dry-run] [--flash-attn wheel|source|none] [--test] [--python PY]
#        scripts/install_gpu.sh --check-pins
#   --dry-run      print what would be installed, install nothing
#   --check-pins   compare this script's pins with the packages' metadata on PyPI, install nothing
#   --flash-attn   wheel (default: prebuilt wheel, source build if none matches), source, or none
#   --test         also install the `test` extra
#   --python PY    the interpreter to install into (default: $PYTHON, else python3)
# Environment: MAX_JOBS (parallel compile jobs of a flash-attn source build, default 4: each
# job can take several GB of RAM).
set -euo pipefail

# The pins, read from the packages' own metadata (scripts/check_gpu_pins.py compares them):
# verl 0.9.1's `vllm` extra pins vllm 0.24.0 and torch 2.11.0; vLLM 0.24.0 itself requires
# torch==2.11.0, torchvision==0.26.0, torchaudio==2.11.0; verl's `fsdp` extra pins flash-attn 2.8.3
# as its `flash-attn-cu130torch211` extra; torch 2.11.0's Linux wheels on PyPI are CUDA 13.0 builds.
VERL_VERSION=0.9.1
TORCH_VERSION=2.11.0
TORCHVISION_VERSION=0.26.0
TORCHAUDIO_VERSION=2.11.0
VLLM_VERSION=0.24.0
FLASH_ATTN_VERSION=2.8.3
CUDA_TAG=cu130
MIN_DRIVER_MAJOR=580  # the oldest NVIDIA driver branch that runs CUDA 13.0
FLASH_ATTN_WHEELS=https://github.com/mjun0812/flash-attention-prebuild-wheels/releases/download/v0.9.4

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY_RUN=0
CHECK_PINS=0
FLASH_ATTN_FROM=wheel
EXTRAS=gpu
PY="${PYTHON:-python3}"

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --check-pins) CHECK_PINS=1 ;;
    --flash-attn) FLASH_ATTN_FROM="${2:?--flash-attn needs wheel, source or none}"; shift ;;
    --test) EXTRAS=gpu,test ;;
    --python) PY="${2:?--python needs an interpreter}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install_gpu.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$FLASH_ATTN_FROM" in wheel|source|none) ;; *)
  echo "install_gpu.sh: --flash-attn must be wheel, source or none, not '$FLASH_ATTN_FROM'" >&2; exit 2 ;;
esac

if [[ $CHECK_PINS == 1 ]]; then exec "$PY" "$ROOT/scripts/check_gpu_pins.py"; fi

say() { printf '%s\n' "$*"; }
problem() {  # a check that stops a real install and is only reported by a dry run
  if [[ $DRY_RUN == 1 ]]; then say "note: $*"; else say "install_gpu.sh: error: $*" >&2; exit 1; fi
}
run() {  # print a command, then run it unless this is a dry run
  printf '+'; printf ' %q' "$@"; printf '\n'
  if [[ $DRY_RUN == 0 ]]; then "$@"; fi
}

command -v "$PY" >/dev/null 2>&1 || { echo "install_gpu.sh: error: no interpreter '$PY' (use --python)" >&2; exit 1; }
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
TORCH_MINOR="${TORCH_VERSION%.*}"
FLASH_ATTN_WHEEL="flash_attn-${FLASH_ATTN_VERSION}+${CUDA_TAG}torch${TORCH_MINOR}-${PY_TAG}-${PY_TAG}-linux_x86_64.whl"

say "Med-U1 GPU install$([[ $DRY_RUN == 1 ]] && echo ' (dry run: nothing is installed)')"
say "pins: verl==$VERL_VERSION torch==$TORCH_VERSION ($CUDA_TAG) vllm==$VLLM_VERSION flash-attn==$FLASH_ATTN_VERSION"
say "interpreter: $PY ($PY_TAG), project: $ROOT"

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] \
  || problem "this install is for Linux x86-64; this machine is $(uname -s)-$(uname -m)"
case "$PY_TAG" in cp310|cp311|cp312) ;; *) problem "Med-U1 needs Python 3.10-3.12, '$PY' is $PY_TAG" ;; esac
if command -v nvidia-smi >/dev/null 2>&1; then
  DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)"
  say "NVIDIA driver: ${DRIVER:-unknown}"
  if [[ -n "$DRIVER" && "${DRIVER%%.*}" -lt $MIN_DRIVER_MAJOR ]]; then
    problem "torch $TORCH_VERSION is a CUDA 13.0 build, which needs NVIDIA driver >= $MIN_DRIVER_MAJOR; this one is $DRIVER"
  fi
else
  problem "no nvidia-smi: no NVIDIA driver here. On a CPU machine install with: pip install -e \".[cpu,test]\""
fi

PIP=("$PY" -m pip install)

say "[1/5] torch, at the build verl $VERL_VERSION and vLLM $VLLM_VERSION pin"
run "${PIP[@]}" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" "torchaudio==$TORCHAUDIO_VERSION"

say "[2/5] vLLM (the torch pin repeated so pip keeps that build)"
run "${PIP[@]}" "vllm==$VLLM_VERSION" "torch==$TORCH_VERSION"

say "[3/5] flash-attn $FLASH_ATTN_VERSION, never in an isolated build"
build_flash_attn() {
  run "${PIP[@]}" packaging ninja psutil setuptools wheel
  run env MAX_JOBS="${MAX_JOBS:-4}" "${PIP[@]}" --no-build-isolation "flash-attn==$FLASH_ATTN_VERSION"
}
case "$FLASH_ATTN_FROM" in
  wheel)
    if [[ $DRY_RUN == 1 ]]; then
      run "${PIP[@]}" "$FLASH_ATTN_WHEELS/$FLASH_ATTN_WHEEL"
      say "(only if that wheel cannot be fetched: a source build, which needs nvcc of CUDA 13)"
      build_flash_attn
    elif ! run "${PIP[@]}" "$FLASH_ATTN_WHEELS/$FLASH_ATTN_WHEEL"; then
      say "no prebuilt flash-attn wheel for $PY_TAG: building it from source (needs nvcc of CUDA 13)"
      build_flash_attn
    fi
    ;;
  source) build_flash_attn ;;
  none) say "skipped: set +actor_rollout_ref.model.override_config.attn_implementation=sdpa in your runs" ;;
esac

say "[4/5] Med-U1 with extras [$EXTRAS]: verl[vllm] and verl's fsdp pieces (flash-attn is in place)"
run "${PIP[@]}" -e "$ROOT[$EXTRAS]"

say "[5/5] check"
run "$PY" -m med_u1.cli doctor
