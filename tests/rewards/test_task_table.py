"""The task table (data source -> task -> verifier, with aliases) and the preset registry."""

import pytest

from med_u1.errors import UserError
from med_u1.rewards import compute_score, register_data_source, register_preset, register_task
from med_u1.rewards.contract import CORRECT, PRESETS, WRONG, Result
from med_u1.rewards.registry import DATA_SOURCES, TASKS, canonical_source, canonical_sources, task_of


@pytest.mark.parametrize(
    "source,task",
    [("MedCalc-Bench", "calc"), ("MedXpertQA", "mcqa"), ("MedIQ", "mcqa"), ("MediQ", "mcqa"), ("EHRNoteQA", "mcqa"), ("MedQA", "mcqa"),
     ("MedQA-USMLE", "mcqa"), ("MedMCQA", "mcqa"), ("MMLU-Pro", "mcqa"), ("GPQA", "mcqa"), ("PubMedQA", "mcqa"),
     ("medical-o1-reasoning-SFT", "open")],
)
def test_known_sources(source, task):
    assert task_of(source) == task


def test_aliases_name_their_canonical_source():
    assert canonical_source("MediQ") == "MedIQ" and canonical_source("MedQA-USMLE") == "MedQA"
    assert canonical_source("MedIQ") == "MedIQ"
    assert "MediQ" not in canonical_sources() and "MedIQ" in canonical_sources("mcqa")
    assert canonical_sources("calc") == ("MedCalc-Bench",)


def test_the_data_records_use_the_same_table():
    from med_u1.data import record

    assert record.registry.TASKS is TASKS


def exact(pred, reference, config):
    return CORRECT if pred == reference.ground_truth else WRONG


@pytest.fixture
def toy_registrations():
    yield
    for name in ("ToyBench", "ToyPluginBench"):
        DATA_SOURCES.unregister(name)
    for task in ("exact", "toy-exact"):
        TASKS.unregister(task)
    PRESETS.unregister("toy")


def test_registering_a_task_and_a_source(toy_registrations):
    register_task("exact", exact)
    register_data_source("ToyBench", "exact", aliases=("ToyAlias",))
    assert compute_score("ToyAlias", "<think>x</think><answer>42</answer>", "42")["acc"] == 1.0
    assert canonical_source("ToyAlias") == "ToyBench"


def test_registering_a_taken_name_again_needs_replace(toy_registrations):
    register_task("exact", exact)
    register_data_source("ToyBench", "exact")
    with pytest.raises(UserError, match="already registered"):
        register_data_source("ToyBench", "mcqa")
    with pytest.raises(UserError, match="already registered"):
        register_data_source("MedQA", "exact")
    with pytest.raises(UserError, match="already registered"):
        register_task("mcqa", exact)
    register_data_source("ToyBench", "mcqa", replace=True)
    assert task_of("ToyBench") == "mcqa"


def test_routing_to_an_unknown_task_is_an_error():
    with pytest.raises(UserError, match="unknown task"):
        register_data_source("ToyBench2", "no-such-task")


def test_the_medu1_preset_refuses_a_task_the_reference_does_not_know(toy_registrations):
    register_task("exact", exact)
    register_data_source("ToyBench", "exact")
    assert compute_score("ToyBench", "<think>x</think><answer>42</answer>", "42")["acc"] == 1.0
    with pytest.raises(UserError, match="medu1 preset .* no rule for task 'exact'"):
        compute_score("ToyBench", "<think>x</think><answer>42</answer>", "42", preset="medu1")


def test_a_preset_is_one_registration(toy_registrations):
    def constant(task, row, config):
        return Result(score=0.25, acc=0.0, format=0.0, length=0.0, pred=row.response)

    register_preset("toy", constant, "a constant reward")
    assert compute_score("MedQA", "anything", "A", preset="toy") == {"score": 0.25, "acc": 0.0, "format": 0.0, "length": 0.0, "pred": "anything"}
    with pytest.raises(UserError, match="already registered"):
        register_preset("toy", constant, "again")


def register_toy_plugin() -> None:
    """What a third-party package's entry point would run."""
    register_task("toy-exact", exact)
    register_data_source("ToyPluginBench", "toy-exact")


def test_entry_point_plugins_load_on_first_unknown_source(monkeypatch, toy_registrations):
    from importlib.metadata import EntryPoint

    import med_u1.registry
    from med_u1.rewards import registry

    plugin = EntryPoint(name="toy", value=f"{__name__}:register_toy_plugin", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(med_u1.registry, "entry_points", lambda group: [plugin] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry.DATA_SOURCES, "_plugins_loaded", False)
    assert compute_score("ToyPluginBench", "<think>x</think><answer>7</answer>", "7")["acc"] == 1.0
