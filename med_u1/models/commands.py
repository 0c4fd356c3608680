"""``medu1 model from-gguf`` and ``medu1 model smollm2``: model folders that ``--model`` takes
(the conversion's libraries load inside the handlers)."""

from __future__ import annotations

import argparse
from pathlib import Path

from med_u1.models.packaged import CACHE_ENV, SMOLLM2


def handle_from_gguf(args: argparse.Namespace) -> int:
    from med_u1.models.gguf_folder import convert_gguf

    out = Path(args.out).expanduser()
    convert_gguf(args.gguf, out, replace=args.overwrite)
    print(out)
    return 0


def handle_smollm2(args: argparse.Namespace) -> int:
    from med_u1.models.packaged import packaged_model_folder

    print(packaged_model_folder(SMOLLM2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Attach ``model from-gguf`` and ``model smollm2``."""
    model = subparsers.add_parser("model", help="model folders for --model: from a GGUF file, or the real test model")
    commands = model.add_subparsers(dest="model_command", required=True, metavar="SUBCOMMAND")
    convert = commands.add_parser(
        "from-gguf", help="convert a GGUF file into a model folder",
        description="Dequantize a GGUF file (llama.cpp's format) with transformers into a Hugging Face model folder "
        "(float32 safetensors, tokenizer, chat template) that every --model takes, with medu1_source.json "
        "recording the file, its SHA-256 and quantization. Prints the folder; converting the same file into "
        "the same folder again does nothing.",
    )
    convert.add_argument("gguf", metavar="FILE", help="the .gguf file")
    convert.add_argument("--out", required=True, help="the model folder to write")
    convert.add_argument("--overwrite", action="store_true", help="replace an --out that holds anything else")
    convert.set_defaults(handler=handle_from_gguf)
    smollm2 = commands.add_parser(
        "smollm2", help="the path of SmolLM2-135M-Instruct (4-bit GGUF, dequantized), converted once into a cache",
        description=f"Find {SMOLLM2.file} in the installed {SMOLLM2.distribution} package ({SMOLLM2.install}), "
        f"convert it on first use into <cache>/models/{SMOLLM2.folder} (cache: ${CACHE_ENV}, else "
        "$XDG_CACHE_HOME/med-u1, else ~/.cache/med-u1) and print the folder's path.",
    )
    smollm2.set_defaults(handler=handle_smollm2)
