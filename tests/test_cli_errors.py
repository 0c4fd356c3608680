"""Every bad input a user can make ends in one ``medu1: error: ...`` line, exit status 2, no traceback.

One table drives the tests: each case runs the real CLI in a subprocess (as a user would,
this checkout first on the path) and names the words the error line must contain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEDQA = REPO / "tests" / "data" / "fixtures" / "medqa_4_options.jsonl"
ROW = {"data_source": "MedQA", "response": "<think>x</think><answer>A</answer>", "ground_truth": "A"}

pytestmark = pytest.mark.slow  # a fresh interpreter per case


@dataclass(frozen=True)
class Case:
    """A command line (``{tmp}`` is a fresh folder holding rows.jsonl, empty/, binary.jsonl) and what its error says."""

    name: str
    argv: tuple[str, ...]
    says: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    root_can_read: bool = False  # the case needs a file the user cannot read


GPU_DRY_RUN = ("train", "--preset", "medu1-grpo", "--dry-run")
CASES = [
    # missing or unreadable inputs, per command
    Case("score-missing-file", ("score", "--input", "{tmp}/absent.jsonl"), ("absent.jsonl", "No such file")),
    Case("score-folder-as-file", ("score", "--input", "{tmp}/empty"), ("empty", "Is a directory")),
    Case("score-unreadable-file", ("score", "--input", "{tmp}/secret.jsonl"), ("secret.jsonl", "Permission denied"),
         root_can_read=True),
    Case("score-binary-file", ("score", "--input", "{tmp}/binary.jsonl"), ("binary.jsonl:1", "not UTF-8")),
    Case("data-missing-file", ("data", "build", "--dataset", "medqa", "--input", "{tmp}/absent.jsonl", "--local_dir", "{tmp}/out"),
         ("absent.jsonl", "no such file")),
    Case("data-missing-folder", ("data", "build", "--dataset", "medqa", "--input", "{tmp}/nowhere", "--local_dir", "{tmp}/out"),
         ("nowhere", "no such file or folder")),
    Case("data-empty-folder", ("data", "build", "--dataset", "medqa", "--input", "{tmp}/empty", "--local_dir", "{tmp}/out"),
         ("empty", "no .jsonl, .json, .csv, .parquet files")),
    Case("data-missing-eval-set", ("data", "build", "--dataset", "medqa", "--input", str(MEDQA), "--eval_set",
                                   "medqa={tmp}/absent_test.jsonl", "--local_dir", "{tmp}/out"), ("absent_test.jsonl", "no such file")),
    Case("data-unreadable-file", ("data", "build", "--dataset", "medqa", "--input", "{tmp}/secret.jsonl", "--local_dir", "{tmp}/out"),
         ("secret.jsonl", "Permission denied"), root_can_read=True),
    Case("train-missing-data", ("train", "--preset", "medu1-grpo", "--train-files", "{tmp}/absent.parquet",
                                "--val-files", "{tmp}/absent_val.parquet"), ("absent.parquet", "no such file")),
    Case("train-missing-shared-data", ("train", "--preset", "cpu-smoke", "--dry-run", "--output-dir", "{tmp}/out",
                                       "--shared-data", "{tmp}/nowhere"), ("nowhere", "no such folder")),
    Case("train-missing-model", (*GPU_DRY_RUN, "--model", "{tmp}/no-model"), ("no-model", "no such model folder")),
    Case("demo-work-dir-is-a-file", ("demo", "--work-dir", "{tmp}/rows.jsonl"), ("rows.jsonl",)),
    # reward knobs
    Case("knob-unknown", ("score", "--input", "{tmp}/rows.jsonl", "--knob", "bogus=3"),
         ("bogus", "known knobs", "open_metric", "length_mode")),
    Case("knob-bad-choice", ("score", "--input", "{tmp}/rows.jsonl", "--knob", "open_metric=nonsense"),
         ("open_metric", "nonsense", "merge, bleu, em, rouge_l")),
    Case("knob-not-a-number", ("score", "--input", "{tmp}/rows.jsonl", "--knob", "length_alpha=abc"),
         ("length_alpha", "expects a number")),
    Case("knob-not-name-value", ("score", "--input", "{tmp}/rows.jsonl", "--knob", "open_metric"), ("NAME=VALUE",)),
    # Hugging Face ids that cannot be reached (no network here; offline mode makes it fail at once)
    Case("data-hub-id-unreachable", ("data", "build", "--dataset", "medxpertqa", "--input", "TsinghuaC3I/MedXpertQA",
                                     "--local_dir", "{tmp}/out"),
         ("TsinghuaC3I/MedXpertQA", "cannot be reached", "local path", "--input"), env={"HF_HUB_OFFLINE": "1"}),
    Case("data-tokenizer-unreachable", ("data", "build", "--dataset", "medqa", "--input", str(MEDQA), "--tokenizer_path",
                                        "nosuch-org/nosuch-model", "--local_dir", "{tmp}/out"),
         ("--tokenizer-path", "nosuch-org/nosuch-model", "local model folder"), env={"HF_HUB_OFFLINE": "1"}),
    # Hydra overrides of medu1 train
    Case("train-unknown-override", (*GPU_DRY_RUN, "trainer.totl_epochs=1"),
         ("trainer.totl_epochs", "did you mean trainer.total_epochs")),
    Case("train-ill-typed-override", (*GPU_DRY_RUN, "trainer.total_epochs=abc"),
         ("trainer.total_epochs=abc", "expects an integer")),
    Case("train-ill-typed-bool", (*GPU_DRY_RUN, "actor_rollout_ref.actor.use_kl_loss=maybe"),
         ("use_kl_loss", "expects true or false")),
    Case("train-batch-not-divisible", ("train", "--preset", "l1-exact", "--dry-run", "--gpus-per-node", "3"),
         ("train_batch_size x rollout.n", "does not divide", "3 x 1 = 3")),
    Case("train-wandb-without-login", (*GPU_DRY_RUN, "trainer.logger=[console,wandb]"), ("wandb login", "WANDB_MODE")),
    # names a registry does not know: the registry's line with the closest name, whether the command looks the
    # name up itself or the flag chooses among the registry's names
    Case("train-unknown-recipe", ("train", "--recipe", "cpu-smok"),
         ("unknown recipe 'cpu-smok' (did you mean 'cpu-smoke'?)", "known recipes: cpu-smoke,")),
    Case("train-unknown-recipe-old-flag", ("train", "--preset", "medu1-grpo-nobudgt"),
         ("unknown recipe 'medu1-grpo-nobudgt' (did you mean 'medu1-grpo-nobudget'?)",)),
    Case("score-unknown-reward-preset", ("score", "--input", "{tmp}/rows.jsonl", "--reward-preset", "medu"),
         ("unknown reward preset 'medu' (did you mean 'medu1'?)", "known reward presets")),
    Case("eval-unknown-sampling", ("eval", "--model", "m", "--data", "{tmp}", "--out", "{tmp}/out", "--sampling", "gredy"),
         ("unknown sampling preset 'gredy' (did you mean 'greedy'?)",)),
    Case("data-unknown-template", ("data", "build", "--dataset", "medqa", "--input", str(MEDQA), "--template", "medu",
                                   "--local_dir", "{tmp}/out"), ("unknown prompt template 'medu' (did you mean 'medu1'?)",)),
    Case("data-unknown-dataset", ("data", "build", "--dataset", "medq", "--input", str(MEDQA), "--local_dir", "{tmp}/out"),
         ("unknown dataset 'medq' (did you mean 'medqa'?)", "known datasets")),
    Case("doctor-unknown-recipe", ("doctor", "--recipe", "cpu-smok"), ("unknown recipe 'cpu-smok' (did you mean 'cpu-smoke'?)",)),
    # mixes
    Case("data-mix-unknown-dataset", ("data", "build", "--mix", "medqa:2,bogus:1", "--input", f"medqa={MEDQA}",
                                      "--local_dir", "{tmp}/out"), ("unknown dataset 'bogus'", "known datasets")),
    Case("data-mix-bad-entry", ("data", "build", "--mix", "medqa", "--input", f"medqa={MEDQA}", "--local_dir", "{tmp}/out"),
         ("NAME:COUNT",)),
]


def medu1(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI of this checkout in a fresh process without a wandb login."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    full_env = {**base, "HOME": str(cwd), "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]), **env}
    return subprocess.run([sys.executable, "-m", "med_u1.cli", *argv], env=full_env, cwd=cwd, capture_output=True,
                          text=True, timeout=600, check=False)


def inputs(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text(json.dumps(ROW) + "\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00binary\n")
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps(ROW) + "\n")
    secret.chmod(0)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_error_line(case: Case, tmp_path: Path) -> None:
    if case.root_can_read and os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    inputs(tmp_path)
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in case.argv]
    completed = medu1(argv, case.env, tmp_path)
    error_lines = [line for line in completed.stderr.splitlines() if line.startswith("medu1: error:")]
    assert completed.returncode == 2, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    assert len(error_lines) == 1 and completed.stderr.rstrip().endswith(error_lines[0]), completed.stderr[-3000:]
    for words in case.says:
        assert words in error_lines[0], error_lines[0]
    assert not (tmp_path / "out").exists()


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    completed = medu1(["-v", "score", "--input", str(tmp_path / "absent.jsonl")], {}, tmp_path)
    assert completed.returncode != 0 and "Traceback" in completed.stderr and "FileNotFoundError" in completed.stderr
