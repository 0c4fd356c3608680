"""The parser every ``medu1`` command uses: one flag convention, two accepted spellings.

Flags are registered with dashes (``--num-tokens``, as pip and huggingface-cli spell them).
The parser accepts each flag with underscores as well (``--num_tokens``, as Med-U1's own
scripts spell its data builder flags), so command lines written either way keep working;
``--help`` shows the registered spelling only. An unknown flag is an error that names the
closest valid one. A flag whose ``choices`` are a :class:`~med_u1.registry.Registry`
(``choices=RECIPES``) takes its names and aliases, and an unknown name stops the command with
the registry's one error line, as a command that looks the name up itself reports it.
Sub-command parsers inherit the class (argparse builds them with the parent's class), so a
flag added to any command later follows the same rules.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any, Sequence

from med_u1.registry import Registry, UnknownName

#: The closest flag is suggested when it is at least this similar (difflib's ratio).
SUGGESTION_CUTOFF = 0.6
#: Exit status of a command line that cannot run (argparse's, and the CLI's for a user error).
USAGE_ERROR_STATUS = 2


def dashed(flag: str) -> str:
    """The flag's name in the documented spelling: ``--num_tokens`` -> ``--num-tokens``."""
    return "--" + flag[2:].replace("_", "-")


class FlagParser(argparse.ArgumentParser):
    """An ArgumentParser that reads ``--a_b`` as ``--a-b`` and suggests the closest flag."""

    def long_flags(self) -> list[str]:
        """Every ``--flag`` spelling this parser registered, in registration order."""
        return [flag for flag in self._option_string_actions if flag.startswith("--")]

    def documented_spelling(self, flag: str) -> str:
        """The first ``--`` spelling of the registered ``flag``'s action (``--preset`` -> ``--recipe`` in train)."""
        return next(name for name in self._option_string_actions[flag].option_strings if name.startswith("--"))

    def registered_spelling(self, flag: str) -> str | None:
        """The registered flag that ``flag`` (either spelling, or an unambiguous prefix) names; else None."""
        if flag in self._option_string_actions:
            return flag
        wanted = dashed(flag)
        flags = self.long_flags()
        exact = [known for known in flags if dashed(known) == wanted]
        if exact:
            return exact[0]
        if not self.allow_abbrev or self._subparsers is not None:  # a command's flags follow its name
            return None
        prefixed = [known for known in flags if dashed(known).startswith(wanted)]
        if len({id(self._option_string_actions[known]) for known in prefixed}) == 1:
            return prefixed[0]
        return None

    def canonical_argument(self, argument: str) -> str:
        """``argument`` with its flag spelled as registered (``--a_b=1`` -> ``--a-b=1``); other tokens unchanged."""
        if not argument.startswith("--") or argument == "--":
            return argument
        flag, sep, value = argument.partition("=")
        registered = self.registered_spelling(flag)
        return argument if registered is None else registered + sep + value

    def suggestion(self, argument: str) -> str:
        """`` (did you mean --x?)`` for an unknown flag close to a registered one, else ''."""
        if not argument.startswith("-"):
            return ""
        flag = dashed(argument.partition("=")[0]) if argument.startswith("--") else argument
        candidates = {dashed(known): self.documented_spelling(known) for known in self.long_flags()}
        close = difflib.get_close_matches(flag, list(candidates), n=1, cutoff=SUGGESTION_CUTOFF)
        return f" (did you mean {candidates[close[0]]}?)" if close else ""

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse with both spellings; a command (a parser without sub-commands) rejects what it does not know.

        argparse hands a sub-command's leftovers up to the top-level parser, which no longer
        knows the sub-command's flags; the command itself reports them, with a suggestion.
        """
        args = list(sys.argv[1:] if args is None else args)
        end = args.index("--") if "--" in args else len(args)
        args = [self.canonical_argument(arg) for arg in args[:end]] + args[end:]
        namespace, extras = super().parse_known_args(args, namespace)
        if self._subparsers is None:
            self.reject_unknown(extras)
        return namespace, extras

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        namespace, extras = self.parse_known_args(args, namespace)
        self.reject_unknown(extras)
        return namespace

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """Check a value against the flag's choices; a Registry's unknown name is its one-line error.

        ``medu1: error: unknown recipe 'cpu-smok' (did you mean 'cpu-smoke'?); known recipes: ...``,
        exit status 2, the same line the CLI prints when a command looks the name up itself.
        """
        if not isinstance(action.choices, Registry):
            super()._check_value(action, value)
            return
        try:
            action.choices.canonical(value)
        except UnknownName as error:
            self.exit(USAGE_ERROR_STATUS, f"{self.prog.split()[0]}: error: {error}\n")

    def reject_unknown(self, extras: Sequence[str]) -> None:
        """Exit with argparse's usage error when ``extras`` is not empty, naming the closest flag of each."""
        if extras:
            self.error("unrecognized arguments: " + " ".join(arg + self.suggestion(arg) for arg in extras))
