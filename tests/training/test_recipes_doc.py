"""docs/recipes.md's tables equal the configs the recipes resolve to, row by row."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest
from omegaconf import DictConfig, ListConfig, OmegaConf

from med_u1.training.launcher import plan_launch, resolve_config
from med_u1.training.recipes import L1_EXACT_MERGED, RECIPES, get_recipe

DOC = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"
HEADER = "| setting | value | source | note |"
_MARKER = re.compile(r"<!-- recipe: ([\w-]+) -->")
_CELL = re.compile(r"^`(.*)`$")


def doc_rows() -> list[tuple[str, str, str, str]]:
    """``(recipe, setting, value, source)`` for every row of every marked settings table."""
    rows, recipe, in_table = [], None, False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        marker = _MARKER.fullmatch(line.strip())
        if marker:
            recipe, in_table = marker.group(1), False
        elif line.strip() == HEADER:
            assert recipe is not None, "a settings table without a <!-- recipe: NAME --> marker"
            in_table = True
        elif in_table and line.startswith("|---"):
            continue
        elif in_table and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows.append((recipe, unquote(cells[0]), unquote(cells[1]), cells[2]))
        else:
            in_table = False
    return rows


def unquote(cell: str) -> str:
    match = _CELL.match(cell)
    assert match, f"expected a `quoted` cell, got {cell!r}"
    return match.group(1)


@lru_cache(maxsize=None)
def resolved(name: str) -> DictConfig:
    return resolve_config(plan_launch(get_recipe(name)).overrides)


def same(expected: str, actual) -> bool:
    """Whether the doc's text ``expected`` denotes the config value ``actual``."""
    if isinstance(actual, bool):
        return expected == str(actual).lower()
    if isinstance(actual, (int, float)):
        try:
            return float(expected) == float(actual)
        except ValueError:
            return False
    if isinstance(actual, (list, ListConfig)):
        items = [item.strip() for item in expected.strip("[]").split(",") if item.strip()]
        return len(items) == len(actual) and all(same(item, value) for item, value in zip(items, actual))
    if actual is None:
        return expected == "null"
    return expected == str(actual)


ROWS = doc_rows()


def test_every_gpu_recipe_has_a_table_with_sources():
    assert {recipe for recipe, *_ in ROWS} == {name for name in RECIPES if not name.startswith("cpu-")}
    assert all(source for *_, source in ROWS)
    assert len(ROWS) > 100


@pytest.mark.parametrize(("recipe", "setting", "value", "source"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_doc_row_equals_the_resolved_config(recipe, setting, value, source):
    actual = OmegaConf.select(resolved(recipe), setting, default="<missing>")
    assert actual != "<missing>", f"{setting} is not a key of the resolved config"
    assert same(value, actual), f"{recipe}: docs/recipes.md says {setting} = {value}, the recipe resolves to {actual!r}"


def test_same_rejects_a_different_value():
    assert not same("1e-5", 1e-6) and not same("true", False) and not same("[0.9, 0.99]", [0.9, 0.999])
    assert same("1e-6", 1e-6) and same("[0.9, 0.95]", ListConfig([0.9, 0.95])) and same("grpo", "grpo")


def test_l1_max_starts_from_where_the_two_phase_script_merges_phase_one():
    script = (DOC.parents[1] / "scripts" / "train" / "l1_two_phase.sh").read_text()
    root = re.search(r"CKPT_ROOT=\$\{CKPT_ROOT:-([^}]+)\}", script).group(1)
    assert 'MERGED="$PHASE1_DIR/merged"' in script and 'PHASE1_DIR="$CKPT_ROOT/l1-exact"' in script
    assert f"{root}/l1-exact/merged" == L1_EXACT_MERGED == resolved("l1-max").actor_rollout_ref.model.path


def test_documented_variants_resolve():
    plan = plan_launch(
        get_recipe("medu1-grpo"), ["trainer.n_gpus_per_node=8"], model="Qwen/Qwen2.5-7B-Instruct",
        train_files="processed_data/huatuo_train.parquet", val_files="processed_data/huatuo_validation.parquet",
    )
    config = resolve_config(plan.overrides)
    assert config.actor_rollout_ref.model.path == "Qwen/Qwen2.5-7B-Instruct"
    assert config.data.train_files == "processed_data/huatuo_train.parquet"
