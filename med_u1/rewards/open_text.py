"""Open-text verifier (medical-o1-reasoning-SFT and other free-text answers).

Metrics, all on a 0-100 scale and all giving 100 for the reference itself:

- ``bleu``: sentence BLEU as ``sacrebleu.sentence_bleu`` computes it (13a tokens,
  exponential smoothing, effective order), lower-cased; the tokenizer and the formula are
  re-implemented for speed and tested equal to sacrebleu's;
- ``em``: unigram exact match, the F1 of clipped word overlap after lower-casing and
  dropping punctuation;
- ``rouge_l``: ROUGE-L F-measure from ``rouge-score`` (with stemming);
- ``merge``: the mean of ``bleu`` and ``em`` (Med-U1's "Merge", on one scale).

Reference-side work (tokens, n-gram counts) is cached per ground truth, since a GRPO
group of rollouts shares one, and only the configured metric is computed.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from functools import lru_cache
from typing import NamedTuple


from med_u1.rewards.contract import Reference, RewardConfig, Verdict

MAX_NGRAM_ORDER = 4
#: Answers are scored on their first this-many characters (see ``open_text_score``).
MAX_OPEN_CHARS = 20_000
_PUNCTUATION = str.maketrans({char: " " for char in string.punctuation})


#: sacrebleu's 13a rule 1: these characters get a space on each side (space itself left out).
_13A_PADDED = re.compile(r"([\{-\~\[-\`!-\&\(-\+\:-\@\/])")
_13A_PERIOD_COMMA = re.compile(r"[.,]")
_13A_DASH = re.compile("-")
_13A_PERIOD_COMMA_BEFORE_NON_DIGIT = re.compile(r"([\.,])([^0-9])")
_DIGITS = frozenset("0123456789")


def _pad_pairs(line: str, marks: re.Pattern, after_digit: bool) -> str:
    """Rewrite ``(X)(mark)`` as ``X mark `` where X is (or, ``after_digit=False``, is not) a digit.

    Gives what ``re.sub`` of sacrebleu's ``([^0-9])([\\.,])`` / ``([0-9])(-)`` gives, with
    the same leftmost, non-overlapping matches, but starts from the few marks instead of
    trying the pattern at every character.
    """
    pieces: list[str] = []
    start, free = 0, 1
    for mark in marks.finditer(line):
        position = mark.start()
        if position < free or (line[position - 1] in _DIGITS) is not after_digit:
            continue
        pieces += (line[start:position], " ", line[position], " ")
        start, free = position + 1, position + 2
    if not pieces:
        return line
    pieces.append(line[start:])
    return "".join(pieces)


def tokenize_13a(line: str) -> str:
    """sacrebleu's ``13a`` tokenization (mteval-v13a), about four times as fast.

    Rule 1 pads single characters, which one ``re.split`` and a join do (extra spaces
    vanish in the final whitespace collapse); the rules on periods, commas and dashes
    start from those characters. Equality with sacrebleu's ``Tokenizer13a`` is tested.
    """
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = " ".join(_13A_PADDED.split(f" {line} "))
    if "." in line or "," in line:
        line = _pad_pairs(line, _13A_PERIOD_COMMA, after_digit=False)
        line = _13A_PERIOD_COMMA_BEFORE_NON_DIGIT.sub(lambda m: f" {m[1]} {m[2]}", line)
    if "-" in line:
        line = _pad_pairs(line, _13A_DASH, after_digit=True)
    return " ".join(line.split())


def bleu_tokens(text: str) -> list[str]:
    """13a tokens of the lower-cased text (sacrebleu strips trailing white space first)."""
    return tokenize_13a(text.lower().rstrip()).split()


def ngrams(tokens: list[str], order: int) -> list:
    """The ``order``-grams of ``tokens``, in sequence: tuples, or the tokens themselves for order 1
    (a string keeps its hash; a tuple is hashed anew at every set or dict operation)."""
    if order == 1:
        return tokens
    return list(zip(*(tokens[i:] for i in range(order))))


class ReferenceGrams(NamedTuple):
    """A reference's n-gram counts, their set, and the n-grams it repeats.

    (Sets keep their items' hashes, so intersecting with ``distinct`` hashes no n-gram again.)
    """

    counts: Counter
    distinct: frozenset
    repeated: frozenset

    @classmethod
    def of(cls, grams: list) -> "ReferenceGrams":
        counts = Counter(grams)
        return cls(counts, frozenset(counts), frozenset(gram for gram, count in counts.items() if count > 1))


@lru_cache(maxsize=4096)
def _reference_ngrams(reference: str) -> tuple[tuple[ReferenceGrams, ...], int]:
    tokens = bleu_tokens(reference)
    return tuple(ReferenceGrams.of(ngrams(tokens, order)) for order in range(1, MAX_NGRAM_ORDER + 1)), len(tokens)


def clipped_matches(grams: list, reference: ReferenceGrams) -> int:
    """Sum over distinct n-grams of min(count in ``grams``, count in ``reference``).

    Each shared n-gram counts once, plus the extra matches of those both sides repeat:
    set operations do the work in C and the loop runs over those few only.
    """
    distinct = set(grams)
    shared = distinct & reference.distinct
    if not reference.repeated or len(distinct) == len(grams):
        return len(shared)
    repeated_by_both = shared & reference.repeated
    if not repeated_by_both:
        return len(shared)
    counts = Counter(grams)
    return len(shared) + sum(min(counts[gram], reference.counts[gram]) - 1 for gram in repeated_by_both)


def bleu_from_counts(correct: list[int], total: list[int], hyp_len: int, ref_len: int) -> float:
    """BLEU (0-100) from n-gram statistics with sacrebleu's sentence settings: "exp"
    smoothing (each order without a match counts 1 / 2^k matches) and effective order (the
    mean runs over the orders the hypothesis is long enough to have)."""
    if not any(correct):
        return 0.0
    penalty = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    log_precisions = []
    smoothing = 1.0
    for matches, count in zip(correct, total):
        if count == 0:
            break
        if matches:
            log_precisions.append(math.log(100.0 * matches / count))
        else:
            smoothing *= 2
            log_precisions.append(math.log(100.0 / (smoothing * count)))
    return penalty * math.exp(sum(log_precisions) / len(log_precisions))


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (0-100), equal to ``sacrebleu.sentence_bleu(h, [r], lowercase=True)``."""
    ref_tables, ref_len = _reference_ngrams(reference)
    tokens = bleu_tokens(hypothesis)
    correct: list[int] = []
    for order, table in enumerate(ref_tables, start=1):
        # an n-gram can match only if its first n-1 tokens do: after an order without a match, none
        correct.append(clipped_matches(ngrams(tokens, order), table) if order == 1 or correct[-1] else 0)
    total = [max(len(tokens) - order, 0) for order in range(MAX_NGRAM_ORDER)]
    return bleu_from_counts(correct, total, len(tokens), ref_len)


def em_tokens(text: str) -> list[str]:
    """Lower-cased words with punctuation removed."""
    return text.lower().translate(_PUNCTUATION).split()


@lru_cache(maxsize=4096)
def _reference_words(reference: str) -> tuple[ReferenceGrams, int]:
    words = em_tokens(reference)
    return ReferenceGrams.of(words), len(words)


def unigram_em(hypothesis: str, reference: str) -> float:
    """Unigram exact match (0-100): F1 of the clipped word overlap."""
    ref_counts, ref_len = _reference_words(reference)
    words = em_tokens(hypothesis)
    if not words or not ref_len:
        return 0.0
    overlap = clipped_matches(words, ref_counts)
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(words), overlap / ref_len
    return 100.0 * 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F-measure (0-100) from the ``rouge-score`` package."""
    return 100.0 * _rouge_scorer().score(reference, hypothesis)["rougeL"].fmeasure


def merge(hypothesis: str, reference: str) -> float:
    """Mean of BLEU and unigram exact match."""
    return 0.5 * (sentence_bleu(hypothesis, reference) + unigram_em(hypothesis, reference))


OPEN_TEXT_METRICS = {"bleu": sentence_bleu, "em": unigram_em, "rouge_l": rouge_l, "merge": merge}



@lru_cache(maxsize=16384)
def open_text_score(metric: str, hypothesis: str, reference: str) -> float:
    """``metric`` of ``hypothesis`` against ``reference`` (memoised: rollouts repeat answers).

    Hypotheses are scored on their first ``MAX_OPEN_CHARS`` characters, which bounds the
    cost and the memory of the caches for runaway answers.
    """
    return OPEN_TEXT_METRICS[metric](hypothesis, reference)


def verify_open_text(pred: str, reference: Reference, config: RewardConfig) -> Verdict:
    """Correct when the metric reaches ``open_threshold``; credit is metric / 100 when continuous."""
    value = open_text_score(config.open_metric, pred.strip()[:MAX_OPEN_CHARS], reference.ground_truth.strip())
    correct = value >= config.open_threshold
    credit = value / 100.0 if config.open_reward_type == "continuous" else float(correct)
    return Verdict(correct, credit)
