"""The ``medu1`` preset: the reference Med-U1 training reward and validation metric.

It reproduces the reward of the public Med-U1 code (``compute_score`` /
``compute_score_calc`` and their ``_val`` twins), defects included, so that published
Med-U1 runs can be reproduced: total = format (+-1) + answer (+-1, or -2 with no answer)
+ a length term, in [-3, 3]. Every known defect is listed in ``docs/rewards.md``.

Written from the reference's behaviour, not its code: the answer scan, the structure
check, the VQA-style word normalisation behind "EMS" and NLTK's smoothed sentence BLEU
(method 1, one n-gram order at a time, rounded to 4 places) are re-implemented here in
linear time and checked against NLTK and the reference scores in the tests.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from med_u1.errors import UserError
from med_u1.rewards.contract import Budget, Reference, Result, RewardConfig, ScoreInput, register_preset
from med_u1.rewards.open_text import MAX_OPEN_CHARS, ngrams

ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
#: The tags of the reference's structure check, in their required order.
REFERENCE_TAGS = ("<think>", "</think>", ANSWER_OPEN, ANSWER_CLOSE)

#: The reference splits on the first of these it finds, in this order.
REFERENCE_HEADERS = ("Assistant:", "<|im_start|>assistant", "<|start_header_id|>assistant<|end_header_id|>")
#: Labels the reference accepts as multiple-choice ground truths.
REFERENCE_LETTERS = frozenset("ABCDEFGHIJKLMN")

_VQA_PUNCTUATION = (";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!")
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r"\.(?!\d)")
#: The reference passes ``re.UNICODE`` (32) where ``re.sub`` expects ``count``: at most 32 periods go.
_PERIODS_REMOVED = 32
_NUMBER_WORDS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip
_ARTICLES = frozenset({"a", "an", "the"})
#: Common contractions written without their apostrophe, restored before comparing words.
_CONTRACTIONS = {
    word.replace("'", ""): word
    for word in (
        "ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't he's isn't it'll "
        "let's might've must've shouldn't should've that's there's they'd they'll they're they've "
        "wasn't weren't we've what's where's who's won't wouldn't would've you'd you'll you're you've"
    ).split()
}


def reference_response(solution_str: str) -> str:
    """The text after the reference's response header; the whole string when there is none.

    (The reference scores a string without a header as "no answer"; verl >= 0.4 passes
    the response alone, so here such a string is taken as the response.)
    """
    for header in REFERENCE_HEADERS:
        if header in solution_str:
            return solution_str.split(header, 1)[1]
    return solution_str


def reference_answer(response: str) -> str | None:
    """The reference's answer: the last of the non-overlapping ``<answer>...</answer>`` matches
    found scanning left to right, stripped.

    Found with five searches, whatever the number of tags: the last ``<answer>`` before
    the last ``</answer>`` is either a match's start or inside a match, so that match ends
    at the first ``</answer>`` after it, and it starts at the first ``<answer>`` after the
    ``</answer>`` before its end.
    """
    last_close = response.rfind(ANSWER_CLOSE)
    last_open = response.rfind(ANSWER_OPEN, 0, last_close) if last_close >= 0 else -1
    if last_open < 0:
        return None
    close = response.find(ANSWER_CLOSE, last_open)
    previous = response.rfind(ANSWER_CLOSE, 0, close)
    start = response.find(ANSWER_OPEN, previous + len(ANSWER_CLOSE) if previous >= 0 else 0, close)
    return response[start + len(ANSWER_OPEN) : close].strip()


def reference_structure_ok(response: str) -> bool:
    """Each tag exactly once, in think/answer order (text around them is free)."""
    if any(response.count(tag) != 1 for tag in REFERENCE_TAGS):
        return False
    think_open, think_close, answer_open, answer_close = (response.find(tag) for tag in REFERENCE_TAGS)
    return think_open <= think_close <= answer_open <= answer_close


def vqa_normalise(text: str) -> str:
    """The reference's answer normalisation (VQA-evaluation style)."""
    has_digit_comma = _DIGIT_COMMA_DIGIT.search(text) is not None
    out = text
    for mark in _VQA_PUNCTUATION:
        if has_digit_comma or mark + " " in text or " " + mark in text:
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    out = _PERIOD_NOT_BEFORE_DIGIT.sub("", out, count=_PERIODS_REMOVED)
    words = []
    for word in out.lower().split():
        word = _NUMBER_WORDS.get(word, word)
        if word not in _ARTICLES:
            words.append(_CONTRACTIONS.get(word, word))
    return " ".join(words).replace(",", "")


def reference_ems(candidate: str, reference: str) -> float:
    """The reference "EMS" (0-100): distinct reference words found / candidate word count."""
    candidate_words = vqa_normalise(candidate).lower().split()
    if not candidate_words:
        return 0
    present = set(candidate_words)
    count = sum(1 for word in set(vqa_normalise(reference).lower().split()) if word in present)
    return 100 * (count / len(candidate_words))


def _ngrams(tokens: list[str], order: int) -> Counter:
    return Counter(ngrams(tokens, order))


def _clipped_matches(hypothesis: Counter, reference: Counter) -> int:
    return sum(min(count, reference[ngram]) for ngram, count in hypothesis.items() if ngram in reference)


def nltk_single_order_bleu(reference: list[str], hypothesis: list[str], order: int) -> float:
    """NLTK ``sentence_bleu`` with a one-hot weight on ``order`` and smoothing method 1."""
    if _clipped_matches(_ngrams(hypothesis, 1), _ngrams(reference, 1)) == 0:
        return 0
    hyp_len, ref_len = len(hypothesis), len(reference)
    penalty = 1 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    matches = _clipped_matches(_ngrams(hypothesis, order), _ngrams(reference, order))
    denominator = max(1, hyp_len - order + 1)
    precision = matches / denominator if matches else 0.1 / denominator
    return penalty * math.exp(math.log(precision))


def reference_bleu(reference: str, prediction: str) -> float:
    """The reference BLEU (0-1): mean of 1-, 2- and 3-gram NLTK BLEU, each rounded to 4 places."""
    ref_tokens, hyp_tokens = reference.split(), prediction.split()
    scores = [round(nltk_single_order_bleu(ref_tokens, hyp_tokens, order), 4) for order in (1, 2, 3)]
    return float((scores[0] + scores[1] + scores[2]) / 3)


def _open_text_answer_score(answer: str, ground_truth: str, config: RewardConfig) -> tuple[float, float]:
    answer = answer[:MAX_OPEN_CHARS]
    match_score = reference_ems(answer, ground_truth)
    bleu_score = reference_bleu(ground_truth, answer)
    merge_score = 0.5 * match_score + 0.5 * bleu_score
    metric = {"BLEU": bleu_score, "EMS": match_score, "Merge": merge_score}[config.reward_metric]
    if config.reward_type == "discrete":
        score = 1 if metric > config.bleu_threshold else -1
    else:
        score = float(metric) / float(config.scale_factor)
    return score, 1.0 if merge_score > config.bleu_threshold else 0.0


def _float_or_none(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _calc_correct(answer: str | None, ground_truth: str, lower: object, upper: object) -> bool:
    """The reference MedCalc check: float range test, else exact string equality."""
    truth = _float_or_none(ground_truth)
    if truth is None:
        return str(ground_truth) == str(answer)
    value = _float_or_none(answer)
    if value is None:
        return False
    low, high = _float_or_none(lower), _float_or_none(upper)
    if low is None or high is None:  # the reference would crash; fall back to +-5%
        low, high = truth - abs(truth) * 0.05, truth + abs(truth) * 0.05
    return low <= value <= high


def medu1_exact(num_tokens: int, used: float) -> float:
    """Med-U1's exact-budget term: ``clip(1 - |n - N| / 1500, -1, 1)``."""
    return min(max(1.0 - abs(used - num_tokens) / 1500.0, -1.0), 1.0)


def medu1_max(num_tokens: int, used: float) -> float:
    """Med-U1's maximum-budget term ``clip(-(n - |N|) / 500, -1, 1)``: any response shorter than the budget earns."""
    return min(max(-(used - abs(num_tokens)) / 500.0, -1.0), 1.0)


def reference_length_term(budget: Budget) -> float:
    """The reference's length term (none without a budget or a token count)."""
    if budget.num_tokens is None or budget.num_tokens == -1 or budget.used is None:
        return 0.0
    if budget.num_tokens < 0:
        return medu1_max(budget.num_tokens, budget.used)
    return medu1_exact(budget.num_tokens, budget.used)


def _mcqa_answer_score(answer: str, reference: Reference, config: RewardConfig) -> tuple[float, float]:
    """String equality with a letter ground truth; 0 (no signal) for any other ground truth."""
    truth = reference.ground_truth
    if truth not in REFERENCE_LETTERS:
        return 0, 1.0 if answer == truth else 0.0
    return (1, 1.0) if answer == truth else (-1, 0.0)


def _calc_answer_score(answer: str, reference: Reference, config: RewardConfig) -> tuple[float, float]:
    correct = _calc_correct(answer, reference.ground_truth, reference.lower_limit, reference.upper_limit)
    return (1, 1.0) if correct else (-1, 0.0)


def _open_answer_score(answer: str, reference: Reference, config: RewardConfig) -> tuple[float, float]:
    return _open_text_answer_score(answer, reference.ground_truth, config)


#: The tasks the reference reward knows, each with its ``(answer score, validation metric)``.
REFERENCE_TASKS = {"mcqa": _mcqa_answer_score, "calc": _calc_answer_score, "open": _open_answer_score}


def score(task: str, row: ScoreInput, config: RewardConfig) -> Result:
    """The reference reward (``score``), validation metric (``acc``) and their parts, for the
    first reference (the reference code knows only one)::

        score = format (+1 / -1) + answer (+1 / -1, or -2 without an answer) + length
    """
    if task not in REFERENCE_TASKS:
        raise UserError(
            f"the medu1 preset reproduces the reference reward, which has no rule for task {task!r} "
            f"(it knows {', '.join(REFERENCE_TASKS)}); score this data source with another preset"
        )
    reference = row.references[0]
    response = reference_response(row.response)
    answer = reference_answer(response)
    format_ok = reference_structure_ok(response) if config.check_think else answer is not None
    if answer:
        answer_score, acc = REFERENCE_TASKS[task](answer, reference, config)
        length = reference_length_term(row.budget)
    else:
        answer_score, acc, length = -2, 0.0, 0.0
    return Result(
        score=float((1 if format_ok else -1) + answer_score + length),
        acc=acc,
        format=1.0 if format_ok else 0.0,
        length=float(length),
        pred=answer,
    )


register_preset("medu1", score, "the reference Med-U1 reward, defects included, in [-3, 3]")
