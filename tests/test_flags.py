"""One flag convention for every ``medu1`` command (``med_u1/flags.py``): dashes, underscores accepted.

Everything here runs the real parser that ``medu1`` builds, command by command.
"""

from __future__ import annotations

import argparse

import pytest

from med_u1.cli import build_parser
from med_u1.data.prompts import TEMPLATES
from med_u1.data.sources import SOURCES
from med_u1.evaluation.benchmarks import BENCHMARKS
from med_u1.evaluation.sampling import PRESETS as SAMPLING_PRESETS
from med_u1.flags import FlagParser
from med_u1.registry import Registry
from med_u1.rewards import PRESETS as REWARD_PRESETS
from med_u1.training.recipes import RECIPES


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command parser (one without sub-commands) under ``parser``, by its command words."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(commands(child, (*path, name)))
    return found or {path: parser}


COMMANDS = commands(build_parser())
#: Arguments that make each command line complete (required flags), to which a test adds its own.
REQUIRED = {
    ("score",): ["--input", "rows.jsonl"],
    ("data", "build"): ["--dataset", "medqa", "--input", "medqa.jsonl"],
    ("eval",): ["--model", "m", "--data", "processed_data", "--out", "outputs/eval/m"],
    ("report",): ["outputs/eval/m"],
    ("analyze",): ["dump", "--out", "outputs/analysis"],
    ("plot",): ["run", "--out", "outputs/plots"],
}


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_every_command_parser_is_a_flag_parser() -> None:
    assert {"score", "train", "doctor", "eval", "report", "analyze", "plot", "demo"} <= {path[0] for path in COMMANDS}
    assert ("data", "build") in COMMANDS
    for path, parser in COMMANDS.items():
        assert isinstance(parser, FlagParser), path


@pytest.mark.parametrize("path", list(COMMANDS), ids=[" ".join(path) for path in COMMANDS])
def test_every_flag_is_registered_with_dashes_and_accepted_with_underscores(path: tuple[str, ...]) -> None:
    parser = COMMANDS[path]
    for flag in parser.long_flags():
        assert "_" not in flag, f"medu1 {' '.join(path)} {flag}: register flags with dashes"
        underscored = "--" + flag[2:].replace("-", "_")
        assert parser.registered_spelling(underscored) == flag


def test_both_spellings_parse_to_the_same_arguments() -> None:
    build = ["data", "build", "--dataset", "medqa", "--input", "x.jsonl"]
    dashed = parse(*build, "--do-normal", "--num-tokens", "512", "--local-dir", "out", "--eval-set", "medqa=t.jsonl")
    underscored = parse(*build, "--do_normal", "--num_tokens=512", "--local_dir", "out", "--eval_set", "medqa=t.jsonl")
    assert vars(dashed) == vars(underscored)
    assert dashed.do_normal is True and dashed.num_tokens == 512 and dashed.eval_set == ["medqa=t.jsonl"]
    evaluate = parse("eval", "--model", "m", "--data", "d", "--out", "o", "--max_tokens", "64", "--top_p", "0.9",
                     "--tensor_parallel_size", "2", "--batch_size", "4", "--reward_preset", "medu1")
    assert (evaluate.max_tokens, evaluate.top_p, evaluate.tensor_parallel_size, evaluate.batch_size) == (64, 0.9, 2, 4)
    assert evaluate.reward_preset == "medu1"
    assert parse("train", "--output_dir", "run", "--gpus_per_node", "2").gpus_per_node == 2


def test_an_abbreviated_flag_with_underscores_still_reads_as_before() -> None:
    assert parse("data", "build", "--dataset", "medqa", "--input", "x", "--sample_multiple", "3").sample_multiple_for_train == 3


def test_an_unknown_flag_names_the_closest_valid_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("data", "build", "--dataset", "medqa", "--input", "x", "--num_tokns", "512")
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --num_tokns (did you mean --num-tokens?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("eval", "--model", "m", "--data", "d", "--out", "o", "--presett", "medu1")
    assert "(did you mean --sampling?)" in capsys.readouterr().err  # the documented name, not the old alias
    with pytest.raises(SystemExit):
        parse("--verbse", "demo")
    assert "(did you mean --verbose?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("demo", "--zzzz")
    err = capsys.readouterr().err
    assert "unrecognized arguments: --zzzz" in err and "did you mean" not in err


@pytest.mark.parametrize("path", list(COMMANDS), ids=[" ".join(path) for path in COMMANDS])
def test_a_flag_choosing_among_registered_names_takes_the_registry_itself(path: tuple[str, ...]) -> None:
    """``choices=RECIPES``, not ``sorted(RECIPES)``: a typo then gets the registry's did-you-mean line."""
    registries = (RECIPES, REWARD_PRESETS, SAMPLING_PRESETS, TEMPLATES, SOURCES, BENCHMARKS)
    for action in COMMANDS[path]._actions:
        if action.choices is not None and not isinstance(action.choices, Registry):
            listed = set(action.choices)
            assert all(listed != set(registry) for registry in registries), (path, action.option_strings)


def test_names_say_what_they_choose_and_old_names_still_work() -> None:
    assert parse("eval", "--model", "m", "--data", "d", "--out", "o", "--sampling", "medu1").sampling == "medu1"
    assert parse("eval", "--model", "m", "--data", "d", "--out", "o", "--preset", "medu1").sampling == "medu1"
    assert parse("train", "--recipe", "medu1-grpo").preset == parse("train", "--preset", "medu1-grpo").preset == "medu1-grpo"
    assert parse("score", "--input", "x", "--reward-preset", "r1zero").reward_preset == "r1zero"
    assert parse("score", "--input", "x", "--preset", "r1zero").reward_preset == "r1zero"


def test_score_writes_rows_with_scored_rows_and_a_run_directory_with_out() -> None:
    rows = parse("score", "--input", "x", "--scored-rows", "scored.jsonl")
    assert (rows.scored_rows, rows.out) == ("scored.jsonl", None)
    assert parse("score", "--input", "x", "--output", "scored.jsonl").scored_rows == "scored.jsonl"  # the old name
    run = parse("score", "--input", "x", "--out", "outputs/eval/run")
    assert (run.scored_rows, run.out) == (None, "outputs/eval/run")


@pytest.mark.parametrize("command", [("score",), ("eval",)], ids=["score", "eval"])
def test_every_reward_preset_is_accepted_wherever_one_is_asked_for(command: tuple[str, ...]) -> None:
    assert set(REWARD_PRESETS) >= {"default", "medu1", "r1zero", "medrlvr"}
    for preset in REWARD_PRESETS:
        assert parse(*command, *REQUIRED[command], "--reward-preset", preset).reward_preset == preset


def test_several_paths_follow_one_flag() -> None:
    evaluate = parse("eval", "--model", "m", "--out", "o", "--data", "a.parquet", "b.parquet", "--data", "c")
    assert evaluate.data == ["a.parquet", "b.parquet", "c"]
    score = parse("score", "--input", "x", "--out", "o", "--data", "a.parquet", "b.parquet")
    assert score.data == ["a.parquet", "b.parquet"]
    train = parse("train", "trainer.save_freq=5", "--recipe", "medu1-grpo", "--train-files", "a.parquet", "b.parquet",
                  "--val-files", "v.parquet", "trainer.total_epochs=1", "trainer.logger=[console]")
    assert (train.train_files, train.val_files) == ("[a.parquet,b.parquet]", "v.parquet")
    assert train.overrides == ["trainer.save_freq=5", "trainer.total_epochs=1", "trainer.logger=[console]"]  # in order
    assert parse("train").overrides == []
    assert parse("train", "--train-files", "[a.parquet,b.parquet]").train_files == "[a.parquet,b.parquet]"


def test_arguments_after_a_double_dash_are_left_alone() -> None:
    assert parse("train", "--", "--not_a_flag=1").overrides == ["--not_a_flag=1"]
