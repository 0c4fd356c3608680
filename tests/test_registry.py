"""The one registry type: decorator and call, aliases, collisions, "did you mean", plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from med_u1 import registry as registry_module
from med_u1.errors import UserError
from med_u1.registry import Registry, UnknownName


def make_colours() -> Registry[int]:
    colours: Registry[int] = Registry("colour")
    colours.add("red", 1, aliases=("rouge",))
    colours.add("green", 2)
    return colours


def test_the_decorator_registers_and_returns_what_it_decorates():
    verifiers: Registry = Registry("verifier")

    @verifiers.register("exact", aliases=("same",))
    def exact(a: str, b: str) -> bool:
        return a == b

    assert verifiers.get("exact") is exact and verifiers["same"] is exact and exact("x", "x")


def test_aliases_reach_the_entry_but_are_not_listed():
    colours = make_colours()
    assert colours.get("rouge") == 1 and colours.canonical("rouge") == "red" and colours.canonical("red") == "red"
    assert colours.aliases_of("red") == ("rouge",) and colours.aliases_of("green") == ()
    assert "rouge" in colours and list(colours) == ["red", "green"] and colours.names() == ("red", "green")
    assert len(colours) == 2 and dict(colours.items()) == {"red": 1, "green": 2} and list(colours.values()) == [1, 2]


def test_a_taken_name_or_alias_is_an_error_unless_replaced():
    colours = make_colours()
    with pytest.raises(UserError, match="colour 'red' is already registered; pass replace=True"):
        colours.add("red", 3)
    with pytest.raises(UserError, match="colour 'rouge' is already registered"):
        colours.add("blue", 3, aliases=("rouge",))
    assert "blue" not in colours  # a refused registration leaves nothing behind
    colours.add("blue", 3, aliases=("rouge",), replace=True)
    assert colours.get("rouge") == 3 and colours.get("red") == 1


def test_an_unknown_name_suggests_the_closest_and_lists_all():
    colours = make_colours()
    with pytest.raises(UnknownName) as error:
        colours.get("Gren")
    assert str(error.value) == "unknown colour 'Gren' (did you mean 'green'?); known colours: red, green"
    assert isinstance(error.value, KeyError) and isinstance(error.value, UserError)
    with pytest.raises(KeyError, match=r"^unknown colour 'purple'; known colours: red, green$"):
        colours.canonical("purple")


def test_unregister_removes_the_name_and_its_aliases():
    colours = make_colours()
    colours.unregister("rouge")
    assert "red" not in colours and "rouge" not in colours and list(colours) == ["green"]


def register_blue() -> None:
    PLUGGED.add("blue", 3)


PLUGGED: Registry[int] = Registry("colour", entry_point_group="test.colours")


def test_entry_points_load_once_on_the_first_unknown_name(monkeypatch):
    calls = []
    plugin = EntryPoint(name="blue", value=f"{__name__}:register_blue", group="test.colours")

    def fake_entry_points(group):
        calls.append(group)
        return [plugin] if group == "test.colours" else []

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    assert PLUGGED.get("blue") == 3
    with pytest.raises(UnknownName):
        PLUGGED.get("cyan")
    assert calls == ["test.colours"]
