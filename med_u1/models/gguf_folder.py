"""A GGUF file -> a Hugging Face model folder (safetensors, tokenizer, chat template).

transformers reads the GGUF through the ``gguf`` package and dequantizes every tensor, so the
folder holds the quantized model's weights in float32: the same model as the GGUF, not the
full-precision original. float32 is what both evaluation backends run on a CPU (the ``hf``
backend loads float32 there; vLLM's CPU build takes ``--dtype float32``). The folder records
where it came from in ``medu1_source.json`` (file, SHA-256, size, quantization, package,
versions); a later conversion of the same file into the same folder finds that record and
converts nothing. The folder is written beside its target and renamed into place, so an
interrupted conversion leaves no folder that looks complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from med_u1.errors import UserError
from med_u1.io import current_umask, file_sha256, write_json_atomic

logger = logging.getLogger(__name__)

#: The record of a converted folder's source, written last into the folder.
SOURCE_RECORD = "medu1_source.json"
#: The first four bytes of every GGUF file.
GGUF_MAGIC = b"GGUF"
#: The reader of GGUF files that transformers uses, at the version this was tested with.
GGUF_REQUIREMENT = "gguf==0.19.0"
#: The dtype the dequantized weights are saved in (what the CPU backends run).
DTYPE = "float32"
#: The roles of special tokens a GGUF names by id, with their ``tokenizer.ggml.*`` key.
SPECIAL_TOKEN_KEYS = {
    "bos_token": "tokenizer.ggml.bos_token_id",
    "eos_token": "tokenizer.ggml.eos_token_id",
    "pad_token": "tokenizer.ggml.padding_token_id",
    "unk_token": "tokenizer.ggml.unknown_token_id",
}


@dataclass(frozen=True)
class GGUFFacts:
    """What the conversion reads from a GGUF's header besides the weights."""

    file_type: str | None  # general.file_type by name, e.g. "Q4_1"; None when the file does not say
    tensor_types: dict[str, int]  # tensors per GGML type, e.g. {"Q4_1": 210, "F32": 61}
    special_tokens: dict[str, str]  # role -> token text, from the tokenizer.ggml.*_token_id keys


def check_gguf(path: str | Path) -> Path:
    """``path`` as a Path when it is a readable GGUF file; otherwise a one-line ``UserError``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"{path}: no such GGUF file" if not path.exists() else f"{path}: a folder, not a GGUF file")
    with path.open("rb") as handle:
        magic = handle.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise UserError(f"{path}: not a GGUF file (it does not start with the bytes 'GGUF')")
    return path


def read_gguf_facts(path: Path) -> GGUFFacts:
    """The quantization and the special tokens named in the GGUF's header."""
    try:
        import gguf
    except ModuleNotFoundError:
        raise UserError(f"reading {path.name} needs the gguf package: pip install {GGUF_REQUIREMENT}") from None

    reader = gguf.GGUFReader(path)
    file_type = reader.fields.get("general.file_type")
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    special = {}
    for role, key in SPECIAL_TOKEN_KEYS.items():
        if tokens is not None and key in reader.fields:
            special[role] = tokens.contents(int(reader.fields[key].contents()))
    return GGUFFacts(
        file_type=None if file_type is None else quantization_name(int(file_type.contents())),
        tensor_types=dict(Counter(tensor.tensor_type.name for tensor in reader.tensors).most_common()),
        special_tokens=special,
    )


def quantization_name(file_type: int) -> str:
    """``general.file_type`` as llama.cpp names files: 3 -> ``Q4_1``, 0 -> ``F32``; an unknown number as itself."""
    import gguf

    try:
        name = gguf.LlamaFileType(file_type).name
    except ValueError:
        return str(file_type)
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def recorded_sha256(folder: Path) -> str | None:
    """The SHA-256 of the GGUF a folder was converted from, or None when it holds no record."""
    try:
        return json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))["gguf_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def convert_gguf(path: str | Path, out: Path, *, package: dict[str, str] | None = None, replace: bool = False) -> bool:
    """Convert the GGUF ``path`` into the model folder ``out``; False when ``out`` already holds
    this file's conversion (nothing done). ``package`` (name, version) is recorded as the file's
    origin. An existing ``out`` of anything else is refused unless ``replace``."""
    path = check_gguf(path)
    digest = file_sha256(path)
    if recorded_sha256(out) == digest:
        logger.info("%s already holds the conversion of %s", out, path.name)
        return False
    if out.exists() and not replace and (out.is_file() or any(out.iterdir())):
        raise UserError(f"{out} exists and is not a conversion of {path.name}; choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        logger.info("converting %s into %s (weights dequantized to %s)", path, out, DTYPE)
        source = write_model_folder(path, work)
        write_json_atomic(work / SOURCE_RECORD, {**source, "gguf_sha256": digest, "package": package})
        give_umask_permissions(work)
        move_into_place(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info("wrote %s", out)
    return True


def write_model_folder(path: Path, folder: Path) -> dict:
    """Load the GGUF with transformers, save model and tokenizer into ``folder``; the source
    record's fields that describe the file and the conversion."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    facts = read_gguf_facts(path)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    set_special_tokens(tokenizer, facts.special_tokens)
    tokenizer.clean_up_tokenization_spaces = False  # as SmolLM2 sets it; transformers 5.10 warns at each load of True
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=getattr(torch, DTYPE))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return {
        "gguf_file": path.name,
        "gguf_bytes": path.stat().st_size,
        "quantization": facts.file_type,
        "tensor_types": facts.tensor_types,
        "dtype": DTYPE,
        "converted_with": {name: metadata.version(name) for name in ("transformers", "gguf", "torch")},
    }


def set_special_tokens(tokenizer, special_tokens: dict[str, str]) -> None:
    """Give the tokenizer the GGUF's own special tokens: transformers 5.10's reader of llama
    GGUFs takes the eos token from the bos id (SmolLM2: ``<|im_start|>`` instead of
    ``<|im_end|>``) and sets no pad token."""
    for role, token in special_tokens.items():
        if getattr(tokenizer, role) != token:
            logger.info("tokenizer %s: %r from the GGUF (transformers read %r)", role, token, getattr(tokenizer, role))
            setattr(tokenizer, role, token)


def give_umask_permissions(folder: Path) -> None:
    """The folder and its files get the permissions new ones of the user get (transformers
    writes the weights ``0o600``, ``mkdtemp`` the folder ``0o700``)."""
    umask = current_umask()
    for item in folder.iterdir():
        os.chmod(item, 0o666 & ~umask)
    os.chmod(folder, 0o777 & ~umask)


def move_into_place(work: Path, out: Path) -> None:
    """Rename the finished folder ``work`` to ``out``; an ``out`` already there is first moved
    aside, then removed."""
    if not out.exists():
        os.rename(work, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, aside / out.name)
    os.rename(work, out)
    shutil.rmtree(aside, ignore_errors=True)
