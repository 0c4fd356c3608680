"""The one registry type: named things (tasks, reward presets, datasets, recipes, benchmarks)
with aliases, one lookup and one error text.

Shaped after lm-evaluation-harness's ``lm_eval/api/registry.py``: register with a decorator
(``@TASKS.register("mytask")``) or a call (``TASKS.add("mytask", fn)``); a name or alias that
is already taken is an error unless ``replace=True``; an unknown name is an
:class:`UnknownName` that suggests the closest known name and lists them all. A registry may
name an entry-point group: third-party packages register more there, loaded on the first
unknown name.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from med_u1.errors import UserError

T = TypeVar("T")
logger = logging.getLogger(__name__)


class UnknownName(UserError, KeyError):
    """A name no registry entry has; a ``UserError`` for the CLI and a ``KeyError`` for callers
    that look names up like dictionary keys."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(Generic[T]):
    """Named entries of one kind, in registration order, each reachable by its name or an alias."""

    def __init__(self, kind: str, *, plural: str | None = None, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.entry_point_group = entry_point_group
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str, *, aliases: Iterable[str] = (), replace: bool = False) -> Callable[[T], T]:
        """A decorator that adds what it decorates as ``name`` (and ``aliases``)."""

        def decorate(entry: T) -> T:
            return self.add(name, entry, aliases=aliases, replace=replace)

        return decorate

    def add(self, name: str, entry: T, *, aliases: Iterable[str] = (), replace: bool = False) -> T:
        """Add ``entry`` as ``name`` (and ``aliases``); a taken name or alias needs ``replace=True``."""
        aliases = tuple(aliases)
        taken = [n for n in (name, *aliases) if n in self]
        if taken and not replace:
            raise UserError(
                f"{self.kind} {', '.join(map(repr, taken))} is already registered; pass replace=True to replace it"
            )
        for alias in aliases:  # an alias replaces an entry of that name
            self._entries.pop(alias, None)
        self._aliases.pop(name, None)  # the name stops being another entry's alias
        self._entries[name] = entry
        self._aliases.update(dict.fromkeys(aliases, name))
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (canonical or alias) and every alias of its entry; an absent name is a no-op."""
        canonical = self._aliases.get(name, name)
        self._entries.pop(canonical, None)
        for alias in [a for a, target in self._aliases.items() if target == canonical or a == name]:
            del self._aliases[alias]

    def canonical(self, name: str) -> str:
        """The registered name of ``name`` (itself unless it is an alias); unknown is :class:`UnknownName`."""
        if name not in self:
            self._load_plugins()
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise UnknownName(self.unknown_message(name))

    def get(self, name: str) -> T:
        """The entry called ``name`` or one of its aliases; unknown is :class:`UnknownName`."""
        return self._entries[self.canonical(name)]

    __getitem__ = get

    def unknown_message(self, name: str) -> str:
        """The one error text: the name, the closest known one, and every known name."""
        message = f"unknown {self.kind} {name!r}"
        suggestion = self.closest(name)
        if suggestion is not None:
            message += f" (did you mean {suggestion!r}?)"
        return f"{message}; known {self.plural}: {', '.join(self._entries)}"

    def closest(self, name: str) -> str | None:
        """The known name or alias nearest ``name`` (case ignored), or None when none is near."""
        known = [*self._entries, *self._aliases]
        folded = {candidate.lower(): candidate for candidate in known}
        matches = difflib.get_close_matches(str(name).lower(), list(folded), n=1, cutoff=0.6)
        return folded[matches[0]] if matches else None

    def aliases_of(self, name: str) -> tuple[str, ...]:
        """The aliases of the entry called ``name`` (or of the entry one of its aliases names)."""
        canonical = self.canonical(name)
        return tuple(alias for alias, target in self._aliases.items() if target == canonical)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        """The registered names (no aliases), in registration order."""
        return tuple(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        """``(name, entry)`` pairs in registration order."""
        return iter(self._entries.items())

    def values(self) -> Iterator[T]:
        """The entries in registration order."""
        return iter(self._entries.values())

    def _load_plugins(self) -> None:
        """Run the entry points of ``entry_point_group`` once: each names a module that registers
        entries when imported, or a callable that does when called."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for entry_point in entry_points(group=self.entry_point_group):
            loaded = entry_point.load()
            if callable(loaded):
                loaded()
            logger.info("loaded %s plugin %s", self.kind, entry_point.name)
