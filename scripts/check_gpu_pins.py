#!/usr/bin/env python3
"""Check that the pins of scripts/install_gpu.sh agree with the packages' own metadata.

The pins are read from install_gpu.sh (its ``NAME=value`` lines). pip reports the metadata of
exactly those releases without installing anything (``pip install --dry-run --no-deps
--ignore-installed --report``; pip downloads each wheel to read it unless the index serves its
metadata file alone). Then each package's Requires-Dist is compared with the pins: vLLM's own
torch pins, verl's ``vllm`` and ``fsdp`` extras, the CUDA/torch build in the name of verl's
flash-attn extra, transformers against vLLM's and verl's ranges, and the CUDA of torch's wheels.
Prints one line per check and exits with 1 on any disagreement.

Usage: python scripts/check_gpu_pins.py [--report FILE]   (FILE: a pip report to read instead)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.version import Version
except ImportError:  # a fresh environment: the copy pip carries
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.version import Version

INSTALL_SCRIPT = Path(__file__).resolve().parent / "install_gpu.sh"
PACKAGES = {  # distribution -> the install_gpu.sh variable holding its pin
    "verl": "VERL_VERSION",
    "vllm": "VLLM_VERSION",
    "torch": "TORCH_VERSION",
    "torchvision": "TORCHVISION_VERSION",
    "torchaudio": "TORCHAUDIO_VERSION",
}


def script_settings(path: Path = INSTALL_SCRIPT) -> dict[str, str]:
    """The ``NAME=value`` assignments at the start of lines of the install script."""
    return dict(re.findall(r"^([A-Z_]+)=([^\s#]+)", path.read_text(), flags=re.MULTILINE))


def pip_report(pins: dict[str, str]) -> dict:
    """pip's installation report for the pinned releases, nothing installed."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        specs = [f"{name}=={version}" for name, version in pins.items()]
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
                        "--quiet", "--report", str(report), *specs], check=True)
        return json.loads(report.read_text())


def requires(report: dict) -> dict[str, list[Requirement]]:
    """``name -> Requires-Dist`` of every release in a pip report."""
    return {item["metadata"]["name"].lower(): [Requirement(r) for r in item["metadata"].get("requires_dist") or []]
            for item in report["install"]}


def extra_requirements(reqs: list[Requirement], extra: str, own_name: str) -> list[Requirement]:
    """Requirements of ``extra``, its references to other extras of the same package expanded."""
    found = []
    for req in reqs:
        if req.marker is None or not req.marker.evaluate({"extra": extra}):
            continue
        if req.name == own_name:
            found += [r for sub in sorted(req.extras) for r in extra_requirements(reqs, sub, own_name)]
        else:
            found.append(req)
    return found


def pinned(reqs: list[Requirement], name: str) -> str | None:
    """The ``==`` version ``reqs`` pin ``name`` at, or None."""
    for req in reqs:
        spec = str(req.specifier)
        if req.name == name and spec.startswith("=="):
            return spec[2:]
    return None


def checks(settings: dict[str, str], meta: dict[str, list[Requirement]]) -> list[tuple[bool, str]]:
    """(agrees, what) for every comparison of the pins with the metadata."""
    pins = {name: settings[variable] for name, variable in PACKAGES.items()}
    results = []

    def expect(found: str | None, wanted: str, what: str) -> None:
        results.append((found == wanted, f"{what}: {found} (install_gpu.sh: {wanted})"))

    base = [r for r in meta["vllm"] if r.marker is None]
    for name in ("torch", "torchvision", "torchaudio"):
        expect(pinned(base, name), pins[name], f"vllm {pins['vllm']} requires {name}")
    verl_vllm = extra_requirements(meta["verl"], "vllm", "verl")
    for name in ("vllm", "torch", "torchvision", "torchaudio"):
        expect(pinned(verl_vllm, name), pins[name], f"verl {pins['verl']} [vllm] pins {name}")
    verl_fsdp = extra_requirements(meta["verl"], "fsdp", "verl")
    expect(pinned(verl_fsdp, "torch"), pins["torch"], f"verl {pins['verl']} [fsdp] pins torch")
    expect(pinned(verl_fsdp, "flash-attn"), settings["FLASH_ATTN_VERSION"], f"verl {pins['verl']} [fsdp] pins flash-attn")
    flash_extras = [req for req in meta["verl"] if req.name == "verl" and req.marker is not None
                    and req.marker.evaluate({"extra": "fsdp"}) and any(e.startswith("flash-attn-") for e in req.extras)]
    build = "".join(sorted(e for req in flash_extras for e in req.extras if e.startswith("flash-attn-")))
    wanted_build = f"flash-attn-{settings['CUDA_TAG']}torch{pins['torch'].rsplit('.', 1)[0].replace('.', '')}"
    expect(build, wanted_build, "verl's flash-attn extra (the CUDA/torch build it is for)")
    transformers = pinned(verl_vllm, "transformers")
    for owner, reqs in (("vllm", base), ("verl", [r for r in meta["verl"] if r.marker is None])):
        spec = next((r.specifier for r in reqs if r.name == "transformers"), None)
        ok = transformers is not None and spec is not None and spec.contains(transformers)
        results.append((ok, f"verl [vllm] transformers=={transformers} within {owner}'s transformers{spec}"))
    toolkit = next((r for r in meta["torch"] if r.name == "cuda-toolkit"), None)
    cuda = f"cu{Version(str(toolkit.specifier)[2:]).major}{Version(str(toolkit.specifier)[2:]).minor}" if toolkit else None
    expect(cuda, settings["CUDA_TAG"], f"torch {pins['torch']} wheels are built for CUDA")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="read this pip report instead of asking pip")
    args = parser.parse_args(argv)
    settings = script_settings()
    pins = {name: settings[variable] for name, variable in PACKAGES.items()}
    report = json.loads(args.report.read_text()) if args.report else pip_report(pins)
    results = checks(settings, requires(report))
    for ok, what in results:
        print(f"{'ok      ' if ok else 'MISMATCH'}  {what}")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
