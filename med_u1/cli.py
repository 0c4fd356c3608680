"""Thin command-line front: ``medu1 <command> ...``.

Each concern owns its sub-commands in ``med_u1/<concern>/commands.py`` through a
``register(subparsers)`` function; this module only wires them together, so the
library stays importable without the CLI.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from med_u1.errors import UserError

COMMAND_MODULES = (
    "med_u1.rewards.commands",
    "med_u1.data.commands",
    "med_u1.training.commands",
    "med_u1.evaluation.commands",
    "med_u1.demo",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every concern's sub-commands attached."""
    parser = argparse.ArgumentParser(
        prog="medu1", description="Med-U1: train and evaluate medical reasoning models with verifiable rewards."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medu1`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except UserError as error:
        if args.verbose:
            raise
        print(f"medu1: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
