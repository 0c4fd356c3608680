"""The start-up rule of ``med_u1/cli.py``: building the parser imports no heavy library.

Every module in ``COMMAND_MODULES`` is imported when the parser is built, so one heavy import
at the top of any commands module (or of what it imports at top level) slows down every
``medu1`` call, ``--help`` included. This checks ``sys.modules`` in a fresh interpreter
instead of timing anything (``benchmarks/cli_startup.py`` prints the times).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Libraries that take seconds to import; only the handlers that need them may import them.
HEAVY = ("torch", "verl", "ray", "transformers", "pandas", "datasets", "vllm", "matplotlib")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def heavy_modules_after(body: str) -> list[str]:
    """The heavy top-level packages imported once ``body`` ran in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body, heavy=HEAVY)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_building_the_parser_imports_no_heavy_library() -> None:
    body = "import med_u1.cli\nfrom med_u1.cli import COMMAND_MODULES, build_parser\nbuild_parser()"
    assert heavy_modules_after(body) == []


def leaf_handlers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    """``{command path: handler}`` of every runnable (sub-)command below ``parser``."""
    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not nested:
        return {path: parser.get_default("handler")}
    leaves: dict[tuple[str, ...], object] = {}
    for name, child in nested[0].choices.items():
        leaves.update(leaf_handlers(child, (*path, name)))
    return leaves


def registered_by(module_name: str) -> dict[tuple[str, ...], object]:
    """The commands one module's ``register`` adds to a fresh parser, with their handlers."""
    parser = argparse.ArgumentParser()
    importlib.import_module(module_name).register(parser.add_subparsers(dest="command"))
    return leaf_handlers(parser)


def test_every_command_module_registers_runnable_commands() -> None:
    """Each module in COMMAND_MODULES adds commands of its own (none taken twice), each with a
    handler, and the ``medu1`` parser offers exactly their union: a module that fails to
    import (which ``build_parser`` would skip) or registers nothing fails here."""
    from med_u1.cli import COMMAND_MODULES, build_parser

    owner: dict[str, str] = {}
    union: set[tuple[str, ...]] = set()
    for name in COMMAND_MODULES:
        commands = registered_by(name)
        assert commands and () not in commands, f"{name} registers no command"
        unrunnable = [" ".join(path) for path, handler in commands.items() if not callable(handler)]
        assert not unrunnable, f"{name}: no handler for {unrunnable}"
        for path in commands:
            assert owner.setdefault(path[0], name) == name, f"{path[0]!r} registered by {owner[path[0]]} and {name}"
        union |= set(commands)
    assert set(leaf_handlers(build_parser())) == union


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv,allowed",
    [
        (["score", "--input", "{rows}"], []),
        # pyarrow imports pandas itself when it builds its first array: the parquet writer's cost.
        (["data", "build", "--dataset", "medqa", "--input", "{medqa}", "--local_dir", "{out}"], ["pandas"]),
        (["demo", "--no-train"], []),
    ],
    ids=["score", "data-build", "demo-no-train"],
)
def test_commands_that_do_not_train_import_no_heavy_library(argv: list[str], allowed: list[str], tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"data_source": "MedQA", "response": "<think>x</think><answer>A</answer>",
                                "ground_truth": "A"}) + "\n")
    medqa = REPO / "tests" / "data" / "fixtures" / "medqa_4_options.jsonl"
    filled = [arg.format(rows=rows, medqa=medqa, out=tmp_path / "out") for arg in argv]
    body = f"from med_u1.cli import main\nassert main({filled!r}) == 0"
    assert heavy_modules_after(body) == allowed
