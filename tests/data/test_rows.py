"""One verl-row builder: the data builder's rows and the CPU runs' toy rows share one layout."""

from med_u1.data.loading import load_examples
from med_u1.data.build import example_row
from med_u1.examples import EXAMPLES
from med_u1.rewards.row import REWARD_FIELDS
from med_u1.training.cpu import colour_task, smoke_data

from data_helpers import FIXTURES


def layout(row: dict) -> tuple:
    return tuple(row), tuple(row["reward_model"]), tuple(key for key in row["extra_info"] if key != "meta")


def test_every_builder_writes_the_same_layout_with_the_reward_fields_in_extra_info():
    example = load_examples("medqa", str(FIXTURES / "medqa_4_options.jsonl"), "test").examples[0]
    built = example_row(example, 512, "medu1")
    smoke = smoke_data.example_row(EXAMPLES[0])
    colour = colour_task.verl_row(colour_task.ColourQuestion("pink"), 3, "test")
    assert layout(built) == layout(smoke) == layout(colour)
    assert tuple(built["reward_model"]) == ("style", "ground_truth")
    assert set(REWARD_FIELDS) <= set(built["extra_info"])
    assert built["extra_info"]["num_tokens"] == 512 and built["prompt"][-1]["content"].endswith(" Think for 512 tokens.")
    assert smoke["extra_info"]["num_tokens"] == smoke_data.SMOKE_BUDGET and smoke["extra_info"]["options"]
    assert colour["extra_info"]["options"]["G"] == "pink" and colour["reward_model"]["ground_truth"] == "G"
