"""One rule tells a Hub id from a missing local path, for every command that takes a model."""

from __future__ import annotations

import pytest

from med_u1.hub import is_hub_id, model_folder_problem


@pytest.mark.parametrize("path, hub", [
    ("Qwen/Qwen2.5-3B-Instruct", True), ("gpt2", True),
    ("outputs/nosuch-model", False),  # outputs/ is a folder here: a missing folder, not a Hub repository
    ("elsewhere/nosuch-model", True), ("./nosuch", False), ("outputs/a/b", False), ("~/m", False), ("/models/m", False),
])
def test_a_name_whose_first_part_is_a_local_folder_is_a_path(tmp_path, monkeypatch, path, hub):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs").mkdir()
    assert is_hub_id(path) is hub


@pytest.mark.parametrize("path", ["outputs/nosuch-model", "checkpoints/med-u1/merged", "processed_data/x"])
def test_a_name_under_a_folder_medu1_writes_is_a_path_even_before_the_folder_exists(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)  # a fresh clone: none of these folders exists yet
    assert not is_hub_id(path)
    assert model_folder_problem(path).startswith("no such model folder")


def test_model_folder_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outputs" / "empty").mkdir(parents=True)
    (tmp_path / "outputs" / "model").mkdir()
    (tmp_path / "outputs" / "model" / "config.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not a model")
    assert model_folder_problem("outputs/nosuch-model").startswith("no such model folder")
    assert model_folder_problem("outputs/empty") == "not a Hugging Face model folder (no config.json)"
    assert model_folder_problem("notes.txt") == "a file, not a model folder"
    assert model_folder_problem("outputs/model") is None
    assert model_folder_problem("Qwen/Qwen2.5-3B-Instruct") is None  # a Hub id is not checked here
