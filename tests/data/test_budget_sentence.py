"""The prompt's thinking-budget sentence: one writer and its readers agree on every budget."""

import pytest

from med_u1.data.budget_sentence import NO_BUDGET, budget_sentence, last_budget, split_budget, with_budget


@pytest.mark.parametrize("budget,sentence", [(512, "Think for 512 tokens."), (-256, "Think for maximum 256 tokens."), (NO_BUDGET, "")])
def test_what_is_written_reads_back_as_the_same_budget(budget, sentence):
    prompt = f"Which artery? Answer in tags. {budget_sentence(budget)}"
    assert budget_sentence(budget) == sentence
    assert split_budget(prompt) == (("Which artery? Answer in tags.", budget) if sentence else (prompt, None))
    assert last_budget(prompt) == (budget if sentence else None)


def test_the_last_sentence_counts_and_a_new_budget_replaces_the_trailing_one():
    prompt = "Earlier: Think for 10 tokens. Now: Think for maximum 300 tokens.  "
    assert last_budget(prompt) == -300
    assert with_budget(prompt, 64) == "Earlier: Think for 10 tokens. Now: Think for 64 tokens."
    assert with_budget("No budget here.", NO_BUDGET) == "No budget here."


def test_a_zero_budget_is_refused():
    with pytest.raises(ValueError, match="0 tokens"):
        budget_sentence(0)
