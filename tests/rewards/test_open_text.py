"""Open-text metrics: equal to the libraries they stand for, 100 for the reference itself."""

import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from med_u1.rewards.contract import Reference, RewardConfig
from med_u1.rewards.open_text import OPEN_TEXT_METRICS, rouge_l, sentence_bleu, tokenize_13a, unigram_em, verify_open_text
from sweeps import two_sizes


def open_rows(bench_responses):
    for row in bench_responses:
        if row["task"] == "open":
            response = row["solution_str"][row["response_offset"] :]
            start, end = response.rfind("<answer>"), response.rfind("</answer>")
            hypothesis = response[start + 8 : end] if 0 <= start < end else response[-300:]
            yield hypothesis, row["kwargs"]["ground_truth"]


SACREBLEU_13A = Tokenizer13a()


def test_13a_tokens_equal_sacrebleu_on_real_text(bench_responses):
    for hypothesis, reference in open_rows(bench_responses):
        for text in (hypothesis, reference, hypothesis.lower()):
            assert tokenize_13a(text) == SACREBLEU_13A(text)


@two_sizes(3000)
def test_13a_tokens_equal_sacrebleu_on_generated_text(examples):
    @settings(max_examples=examples, deadline=None)
    @given(st.lists(st.sampled_from(list("ab9 .,-'\n\t{}[]()&;:/\\\"?!@#%^_`~<>=+*|$") + ["&amp;", "&quot;", "&lt;", "&gt;", "<skipped>", "-\n", "3.5", "1,000", "..", ".,", "9-", "-9", "a."]), max_size=40).map("".join))
    def tokens_equal(text):
        assert tokenize_13a(text) == SACREBLEU_13A(text)

    tokens_equal()


def test_bleu_equals_sacrebleu_sentence_bleu(bench_responses):
    pairs = list(open_rows(bench_responses))
    assert len(pairs) == 500
    for hypothesis, reference in pairs:
        expected = sacrebleu.sentence_bleu(hypothesis, [reference], lowercase=True).score
        assert sentence_bleu(hypothesis, reference) == pytest.approx(expected, abs=1e-9)


WORDS = st.lists(st.sampled_from(["the", "heart", "Heart", "fails", ",", ".", "3", "-", "a", "b"]), max_size=12).map(" ".join)


@two_sizes(2000)
def test_bleu_equals_sacrebleu_on_generated_pairs(examples):
    @settings(max_examples=examples, deadline=None)
    @given(WORDS, WORDS)
    def bleu_equal(hypothesis, reference):
        expected = sacrebleu.sentence_bleu(hypothesis, [reference], lowercase=True).score
        assert sentence_bleu(hypothesis, reference) == pytest.approx(expected, abs=1e-9)

    bleu_equal()


def test_rouge_l_is_rouge_score(bench_responses):
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    for hypothesis, reference in list(open_rows(bench_responses))[:100]:
        assert rouge_l(hypothesis, reference) == pytest.approx(100 * scorer.score(reference, hypothesis)["rougeL"].fmeasure)


def test_reference_scores_as_correct_against_itself_under_every_metric(bench_responses):
    references = {reference for _, reference in open_rows(bench_responses)}
    for reference in references:
        for metric in OPEN_TEXT_METRICS:
            verdict = verify_open_text(reference, Reference(ground_truth=reference), RewardConfig(open_metric=metric))
            assert verdict.correct, (metric, reference[:80])


def test_em_is_case_and_punctuation_blind_and_penalises_padding():
    assert unigram_em("CARDIAC TAMPONADE!", "cardiac tamponade") == 100.0
    assert unigram_em("cardiac tamponade " * 3, "cardiac tamponade") == pytest.approx(50.0)
    assert unigram_em("", "cardiac tamponade") == 0.0


def test_continuous_mode_gives_metric_over_100_and_discrete_the_threshold():
    reference = Reference(ground_truth="acute pericarditis with effusion")
    continuous = verify_open_text("acute pericarditis", reference, RewardConfig(open_metric="em", open_reward_type="continuous"))
    assert continuous.credit == pytest.approx(unigram_em("acute pericarditis", reference.ground_truth) / 100)
    strict = verify_open_text("acute pericarditis", reference, RewardConfig(open_metric="em", open_threshold=90))
    assert (strict.correct, strict.credit) == (False, 0.0)


def test_unrelated_answer_is_wrong():
    verdict = verify_open_text("Schizoid personality disorder", Reference(ground_truth="Cardiac tamponade from a stab wound"), RewardConfig())
    assert not verdict.correct
