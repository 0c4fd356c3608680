"""Thin command-line front: ``medu1 <command> ...``.

Each concern owns its sub-commands in ``med_u1/<concern>/commands.py`` through a
``register(subparsers)`` function, listed in ``COMMAND_MODULES``; this module only wires
them together, so the library stays importable without the CLI.

The start-up rule that keeps every command fast: building the parser imports every module
in ``COMMAND_MODULES``, so a commands module imports at its top only the standard library,
``med_u1.errors`` and ``med_u1`` modules that follow the same rule (recipes, source specs,
prompt templates: plain data). torch, verl, Ray, transformers, pandas, pyarrow, datasets,
vLLM and matplotlib are imported inside the handler that needs them.
``tests/test_cli_startup.py`` builds the parser in a fresh interpreter and fails when one of
them was imported, for every module listed here.

Flags: every parser is a ``med_u1.flags.FlagParser`` (sub-command parsers inherit the class),
so flags are registered with dashes and accepted with underscores too (docs/cli.md).

Stopping: Ctrl-C, SIGTERM and SIGHUP (a scheduler's time limit, a closed terminal) raise
``KeyboardInterrupt`` in the handler (``med_u1.processes``), so the processes a command started
end with it; one line names the signal and, where the handler set ``args.on_interrupt``, how
to resume. The exit status is 128 + the signal's number, as shells report it.

Errors: a handler raises ``med_u1.errors.UserError`` for a mistake the user can fix; an
``OSError`` that names a file (missing, unreadable, a folder where a file was expected) is
one too. Both print as one ``medu1: error: ...`` line and exit with status 2; ``-v`` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Callable, Sequence

from med_u1.errors import UserError
from med_u1.flags import FlagParser
from med_u1.processes import Stopped, stop_signals_raise

COMMAND_MODULES = (
    "med_u1.rewards.commands",
    "med_u1.data.commands",
    "med_u1.training.commands",
    "med_u1.doctor",
    "med_u1.evaluation.commands",
    "med_u1.models.commands",
    "med_u1.analysis.commands",
    "med_u1.demo",
)

#: Exit status of a mistake the user can fix (argparse uses the same).
USER_ERROR_STATUS = 2
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_STATUS = 130

Handler = Callable[[argparse.Namespace], "int | None"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every concern's sub-commands attached (all of them FlagParsers)."""
    parser = FlagParser(
        prog="medu1", description="Med-U1: train and evaluate medical reasoning models with verifiable rewards."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level; show tracebacks of errors")
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


def error_message(error: BaseException) -> str | None:
    """The one-line message of an error the user can fix, or None for a bug."""
    if isinstance(error, UserError):
        return " ".join(str(error).split())
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medu1`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    try:
        with stop_signals_raise():
            return int(handler(args) or 0)
    except KeyboardInterrupt as stop:  # Ctrl-C, or Stopped by SIGTERM/SIGHUP after the same clean-up
        if args.verbose:
            raise
        what = f"stopped by {stop.name}" if isinstance(stop, Stopped) else "interrupted"
        hint = getattr(args, "on_interrupt", None)  # a handler may say how to resume
        print(f"medu1: {what}; {hint}" if hint else f"medu1: {what}", file=sys.stderr)
        return 128 + stop.signum if isinstance(stop, Stopped) else INTERRUPTED_STATUS
    except Exception as error:  # noqa: BLE001 - re-raised unless the user can fix it
        message = error_message(error)
        if message is None or args.verbose:
            raise
        print(f"medu1: error: {message}", file=sys.stderr)
        return USER_ERROR_STATUS


if __name__ == "__main__":
    sys.exit(main())
