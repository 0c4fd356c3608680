"""``medu1 model from-gguf``: a GGUF file -> a model folder with its source recorded, converted once."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import stat
import sys
from pathlib import Path

import pytest

from med_u1.cli import main as medu1_main
from med_u1.errors import UserError
from med_u1.models import gguf_folder
from med_u1.models.gguf_folder import SOURCE_RECORD, convert_gguf


@pytest.fixture(scope="module")
def converted(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The tiny GGUF converted by the command, and what the command printed."""
    out = tmp_path_factory.mktemp("converted") / "tiny"
    with contextlib.redirect_stdout(io.StringIO()) as stdout:  # capsys is for one test only
        assert medu1_main(["model", "from-gguf", str(tiny_gguf), "--out", str(out)]) == 0
    return out, stdout.getvalue()


def test_the_folder_loads_and_records_its_source(converted: tuple[Path, str], tiny_gguf: Path) -> None:
    out, printed = converted
    assert printed == f"{out}\n"
    source = json.loads((out / SOURCE_RECORD).read_text(encoding="utf-8"))
    assert source["gguf_file"] == tiny_gguf.name
    assert source["gguf_sha256"] == hashlib.sha256(tiny_gguf.read_bytes()).hexdigest()
    assert source["gguf_bytes"] == tiny_gguf.stat().st_size
    assert source["quantization"] == "Q4_1"
    assert source["tensor_types"] == {"Q4_1": 1 + 7 * 2, "F32": 1 + 2 * 2}
    assert source["dtype"] == "float32" and source["package"] is None
    assert set(source["converted_with"]) == {"transformers", "gguf", "torch"}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {path.name for path in out.iterdir()}


def test_the_weights_are_the_4_bit_ones_dequantized(converted: tuple[Path, str], tiny_gguf: Path) -> None:
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    tensors = {tensor.name: tensor for tensor in gguf.GGUFReader(tiny_gguf).tensors}
    down = tensors["blk.0.ffn_down.weight"]
    saved = load_file(converted[0] / "model.safetensors")["model.layers.0.mlp.down_proj.weight"]
    assert saved.dtype == np.float32
    np.testing.assert_array_equal(saved, gguf.quants.dequantize(down.data, down.tensor_type))
    assert len(np.unique(saved[0, :32])) <= 16  # a 4-bit block: at most 16 distinct values


def test_the_tokenizer_has_the_gguf_special_tokens_and_chat_template(converted: tuple[Path, str]) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted[0])
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == ("<|im_start|>", "<|im_end|>", "<|im_end|>")
    assert tokenizer.clean_up_tokenization_spaces is False
    text = tokenizer.apply_chat_template([{"role": "user", "content": "the cat"}], tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>user\nthe cat<|im_end|>\n<|im_start|>assistant\n"


def test_the_folder_gets_the_users_permissions(converted: tuple[Path, str]) -> None:
    from med_u1.io import current_umask

    assert stat.S_IMODE((converted[0] / "model.safetensors").stat().st_mode) == 0o666 & ~current_umask()


def test_a_second_conversion_of_the_same_file_converts_nothing(converted: tuple[Path, str], tiny_gguf: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = converted[0]
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    monkeypatch.setattr(gguf_folder, "write_model_folder", lambda *args: pytest.fail("converted again"))
    assert convert_gguf(tiny_gguf, out) is False
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == before


def test_an_interrupted_conversion_leaves_nothing(tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(path: Path, folder: Path) -> dict:
        (folder / "config.json").write_text("{}", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf_folder, "write_model_folder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_gguf(tiny_gguf, tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_another_folder_is_refused_unless_overwrite(tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert medu1_main(["model", "from-gguf", str(tiny_gguf), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"medu1: error: {out} exists and is not a conversion of {tiny_gguf.name}; " \
                                      "choose another --out or pass --overwrite\n"
    monkeypatch.setattr(gguf_folder, "write_model_folder", lambda path, folder: {"gguf_file": path.name})
    assert medu1_main(["model", "from-gguf", str(tiny_gguf), "--out", str(out), "--overwrite"]) == 0
    assert sorted(path.name for path in out.iterdir()) == [SOURCE_RECORD]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # the old folder is gone, no temporary one left


def not_a_gguf(folder: Path) -> Path:
    """A file named .gguf that holds something else (a zip archive's first bytes)."""
    path = folder / "model.gguf"
    path.write_bytes(b"PK\x03\x04 not a gguf")
    return path


@pytest.mark.parametrize("make, problem", [
    (lambda folder: folder / "missing.gguf", "no such GGUF file"),
    (lambda folder: folder, "a folder, not a GGUF file"),
    (not_a_gguf, "not a GGUF file (it does not start with the bytes 'GGUF')"),
], ids=["missing", "folder", "not-gguf"])
def test_a_file_that_is_not_a_gguf_is_one_line(make, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path)
    out = tmp_path / "out"
    assert medu1_main(["model", "from-gguf", str(path), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"medu1: error: {path}: {problem}\n"
    assert not out.exists()
    with pytest.raises(UserError):
        gguf_folder.check_gguf(path)


def test_quantization_is_named_as_llama_cpp_names_files() -> None:
    pytest.importorskip("gguf", reason="needs the gguf package (pip install gguf==0.19.0)")
    assert [gguf_folder.quantization_name(number) for number in (0, 1, 3, 7, 999)] == ["F32", "F16", "Q4_1", "Q8_0", "999"]


def test_without_the_gguf_package_the_conversion_says_how_to_install_it(tiny_gguf: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gguf", None)  # import gguf now fails as when it is not installed
    with pytest.raises(UserError, match=r"^reading tiny-Q4_1.gguf needs the gguf package: pip install gguf==0.19.0$"):
        convert_gguf(tiny_gguf, tmp_path / "model")
    assert [path.name for path in tmp_path.iterdir()] == []
