"""A Hugging Face Hub id or a local path? And is a local model folder loadable?

One rule for every command that takes a model or data path: ``name`` and ``owner/name`` are
Hub ids unless they exist here, or their ``owner`` part is a local folder or one of the folders
Med-U1 itself writes (``outputs/my-model`` names a folder under ``outputs/`` that is missing, not
a Hub repository, even on a fresh clone where ``outputs/`` does not exist yet); anything with more
parts, or starting with ``.``, ``/`` or ``~``, is a local path.
"""

from __future__ import annotations

import re
from pathlib import Path

#: The shape of a Hub repository id: ``name`` or ``owner/name``.
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
HUB_ID_EXAMPLE = "Qwen/Qwen2.5-3B-Instruct"
#: The folders Med-U1 writes runs, checkpoints and data into: a first part naming one is local.
OWN_FOLDERS = frozenset({"outputs", "checkpoints", "processed_data"})


def is_hub_id(path: str) -> bool:
    """True for a string that names a Hub repository rather than a local path that is missing."""
    if not HUB_ID.match(path) or Path(path).exists():
        return False
    owner, slash, _ = path.partition("/")
    return not (slash and (owner in OWN_FOLDERS or Path(owner).is_dir()))


def model_folder_problem(path: str) -> str | None:
    """Why the local model ``path`` cannot be loaded (missing, a file, no ``config.json``);
    None when it can, or when ``path`` is a Hub id (not checked here)."""
    if is_hub_id(path):
        return None
    local = Path(path).expanduser()
    if local.is_file():
        return "a file, not a model folder"
    if not local.is_dir():
        return f"no such model folder (give a local folder or a Hub id such as {HUB_ID_EXAMPLE})"
    if not (local / "config.json").is_file():
        return "not a Hugging Face model folder (no config.json)"
    return None
