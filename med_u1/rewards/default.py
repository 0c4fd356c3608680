"""The ``default`` preset, top to bottom: find the response, check its format, take its answer,
ask the task's verifier, add the length term::

    score = correct_weight * credit * factor + format_weight * format + length_weight * additive

``credit`` is the verifier's 0-1 credit (0 without an answer), ``format`` 1/0 from
:func:`follows_format`, and ``(additive, factor)`` the length term of ``length_mode``
(:func:`length_term`). Every rule here runs in time linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import attrgetter

from med_u1.rewards.contract import WRONG, Budget, Reference, Result, RewardConfig, ScoreInput, Verdict, register_preset
from med_u1.rewards.medu1 import medu1_exact, medu1_max
from med_u1.rewards.registry import TASKS, Verifier

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
#: Tokens a chat template opens a conversation with: a text that starts with one holds the
#: prompt before the response (older verl); any other text is the response alone.
PROMPT_OPENINGS = ("<|im_start|>", "<|begin_of_text|>", "<|start_header_id|>", "<bos>", "<start_of_turn>", "<s>")
#: Chat-template markers after which the assistant's turn starts (Qwen/ChatML, Llama 3, Gemma),
#: tried in this order: the response starts after the first occurrence of the first one found.
RESPONSE_MARKERS = ("<|im_start|>assistant", "<|start_header_id|>assistant<|end_header_id|>", "<start_of_turn>model")
#: End-of-turn tokens that a decoder may leave at the end of a response.
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", "</s>", "<eos>")
#: Farthest a ``\\boxed{`` looks for its closing brace, in characters.
MAX_BOXED_CHARS = 20_000
#: Longest last line :func:`final_answer` takes as a bare answer (``answer_from="any"``), unless
#: it opens with a choice.
MAX_BARE_LINE_CHARS = 40

_PROMPT_OPENING = re.compile(r"\s*(?:" + "|".join(map(re.escape, PROMPT_OPENINGS)) + ")")
_CORRECT_THEN_CREDIT = attrgetter("correct", "credit")
#: The structure tags, in the order the format rule wants each of them once.
FORMAT_TAGS = [THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE]
#: Splits a response at its structure tags, keeping them (``[text, tag, text, tag, ...]``).
_AT_STRUCTURE_TAGS = re.compile(r"(</?(?:think|answer)>)")
_END_MARKER = re.compile("|".join(map(re.escape, END_MARKERS)))
_BRACES = re.compile(r"[{}]")
_ANSWER_STATEMENT = re.compile(r"\banswer\s*(?:is\b\s*:?|:)", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
#: A line that opens with an option letter in a choice's clothes, markdown aside:
#: ``B: text``, ``I. text``, ``b) text``, ``(B) text``, ``[B]``, ``**B.** text``.
_CHOICE_OPENING = re.compile(r"[^\S\n]*[*_]*(?:[(\[][^\S\n]*[A-Za-z][^\S\n]*[)\]]|[A-Za-z][.:)])(?=[\s*_]|$)")


def score(task: str, row: ScoreInput, config: RewardConfig) -> Result:
    """The corrected reward of ``row``; any of its references may match."""
    text = row.response
    start = response_start(text)
    format_ok = follows_format(text, start, config.think_in_prompt)
    pred = final_answer(text, start, config.answer_from)
    verdict = best_verdict(TASKS[task], pred, row.references, config) if pred else WRONG
    length = length_term(config.length_mode, row.budget, config.length_alpha)
    reward = (
        config.correct_weight * verdict.credit * length.factor
        + config.format_weight * (1.0 if format_ok else 0.0)
        + config.length_weight * length.additive
    )
    return Result(score=reward, acc=1.0 if verdict.correct else 0.0, format=1.0 if format_ok else 0.0, length=length.reported, pred=pred)


def best_verdict(verify: Verifier, pred: str, references: tuple[Reference, ...], config: RewardConfig) -> Verdict:
    """The best verdict any reference gives ``pred``: a correct one first, then the highest credit."""
    if len(references) == 1:
        return verify(pred, references[0], config)
    return max([verify(pred, reference, config) for reference in references], key=_CORRECT_THEN_CREDIT)


# --- where the response is -----------------------------------------------------------------
# The response is ``text[start:]``; the rules below read it in place, since copying a non-ASCII
# string costs a scan of every character.


def response_start(text: str) -> int:
    """Where the response starts in ``text``: 0 when verl passed the response alone; after the
    assistant marker when ``text`` opens with a chat template's first token (prompt + response,
    as older verl passes it). So a chat marker inside a response does not move its start."""
    if not _PROMPT_OPENING.match(text):
        return 0
    for marker in RESPONSE_MARKERS:
        position = text.find(marker)
        if position >= 0:
            return position + len(marker)
    return 0


# --- the format rule -----------------------------------------------------------------------


def follows_format(text: str, start: int = 0, think_in_prompt: bool = False) -> bool:
    """True when the response ``text[start:]`` is ``<think>...</think>`` then ``<answer>...</answer>``:
    each tag exactly once, in this order, with only white space before, between and after the
    blocks (end-of-turn tokens a decoder leaves at the end count as white space).

    With ``think_in_prompt`` the chat template already opened ``<think>`` (R1-style prompts):
    the response starts inside the think block and holds no ``<think>`` of its own.

    Linear in the response: one split at the tags (stopping after one tag too many), then
    string checks of the pieces between them; no pattern here can backtrack.
    """
    wanted = FORMAT_TAGS[1:] if think_in_prompt else FORMAT_TAGS
    pieces = _AT_STRUCTURE_TAGS.split(text[start:] if start else text, len(wanted) + 1)
    if pieces[1::2] != wanted:
        return False
    before, between, after = pieces[0], pieces[-5], pieces[-1]
    return (think_in_prompt or _blank(before)) and _blank(between) and (_blank(after) or _blank(_END_MARKER.sub("", after)))


def _blank(text: str) -> bool:
    return not text or text.isspace()


# --- the answer ----------------------------------------------------------------------------


def final_answer(text: str, start: int = 0, answer_from: str = "tag") -> str | None:
    """The final answer of the response ``text[start:]``, stripped: the last ``<answer>`` block,
    else the last ``\\boxed{}``.

    With ``answer_from="any"`` (untagged baselines) a response without either is read as free
    text after its thinking, without end-of-turn tokens: the last ``answer is X`` / ``Answer: X``
    statement, else the bare answer it ends or opens with (:func:`bare_answer`).
    """
    answer = last_answer_block(text, start)
    if answer is None:
        answer = last_boxed(text, start)
    if answer is None and answer_from == "any":
        thinking_end = text.rfind(THINK_CLOSE, start)
        free_text = text[thinking_end + len(THINK_CLOSE) if thinking_end >= 0 else start :]
        for marker in END_MARKERS:
            free_text = free_text.replace(marker, "")
        answer = last_answer_statement(free_text)
        if answer is None:
            answer = bare_answer(free_text)
    if answer is None:
        return None
    return answer.strip() or None


def last_answer_block(text: str, start: int = 0) -> str | None:
    """Content of the last complete ``<answer>...</answer>`` block in ``text[start:]`` (the innermost), or None."""
    close = text.rfind(ANSWER_CLOSE, start)
    open_ = text.rfind(ANSWER_OPEN, start, close) if close >= 0 else -1
    return text[open_ + len(ANSWER_OPEN) : close] if open_ >= 0 else None


def last_boxed(text: str, start: int = 0) -> str | None:
    """Content of the last balanced ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text[start:]``, or None.

    Its closing brace is looked for within :data:`MAX_BOXED_CHARS` of the opening one, so an
    unclosed box in a long text costs little.
    """
    box = text.rfind("\\boxed{", start)
    if box < 0:
        box = text.rfind("\\fbox{", start)
        if box < 0:
            return None
    brace = text.index("{", box)
    depth = 0
    for match in _BRACES.finditer(text, brace, brace + MAX_BOXED_CHARS):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return text[brace + 1 : match.start()]
    return None


def last_answer_statement(text: str) -> str | None:
    """What follows the last ``answer is`` / ``answer:`` on its line, or None."""
    statement = None
    for statement in _ANSWER_STATEMENT.finditer(text):
        pass
    if statement is None:
        return None
    line_end = text.find("\n", statement.end())
    return text[statement.end() : line_end if line_end >= 0 else len(text)]


def bare_answer(text: str) -> str | None:
    """The answer an untagged text without a statement ends or opens with: the choice lines of
    its last paragraph, else its last line if at most :data:`MAX_BARE_LINE_CHARS` characters
    long, else the choice lines of its first paragraph.

    Choice lines are a paragraph's leading lines that open with an option letter in a choice's
    clothes (``B: Reassuring the parents and use of an enuresis alarm``), whatever their length:
    a choice that quotes its option's text is an answer, the lines after it an explanation, and
    a list of several options names several.
    """
    paragraphs = _BLANK_LINE.split(text.strip())
    last_choice = choice_lines(paragraphs[-1])
    if last_choice:
        return last_choice
    line = paragraphs[-1].rpartition("\n")[2].strip()
    if 0 < len(line) <= MAX_BARE_LINE_CHARS:
        return line
    return choice_lines(paragraphs[0]) if len(paragraphs) > 1 else None


def choice_lines(paragraph: str) -> str | None:
    """The leading lines of ``paragraph`` that open with a choice (:data:`_CHOICE_OPENING`), or None."""
    lines = []
    for line in paragraph.split("\n"):
        if not _CHOICE_OPENING.match(line):
            break
        lines.append(line)
    return "\n".join(lines) if lines else None


# --- the length term -----------------------------------------------------------------------


@dataclass(slots=True)
class LengthTerm:
    """``additive`` is added to the reward, ``factor`` multiplies the correctness term,
    ``reported`` is what the result's ``length`` shows."""

    additive: float = 0.0
    factor: float = 1.0
    reported: float = 0.0


NO_LENGTH_TERM = LengthTerm()


def length_term(mode: str, budget: Budget, alpha: float) -> LengthTerm:
    """The length term of ``mode`` for a response of ``budget.used`` tokens against ``budget.num_tokens`` N.

    - ``l1`` (Aggarwal & Welleck 2025, arXiv 2503.04697): N > 0 adds ``max(-alpha·|N - n|, -1)``
      (floored so one runaway response cannot dominate a batch); N < -1 multiplies correctness by
      ``clip(alpha·(|N| - n) + 0.5, 0, 1)`` (L1-max);
    - ``medu1``: Med-U1's two additive terms (:func:`~med_u1.rewards.medu1.medu1_exact`,
      :func:`~med_u1.rewards.medu1.medu1_max`);
    - ``none``, no budget (N of -1, 0 or None) or no token count: no term.
    """
    tokens, used = budget.num_tokens, budget.used
    if mode == "none" or tokens in (None, -1, 0) or used is None:
        return NO_LENGTH_TERM
    if mode == "medu1":
        value = medu1_exact(tokens, used) if tokens > 0 else medu1_max(tokens, used)
        return LengthTerm(additive=value, reported=value)
    if tokens > 0:
        value = max(-alpha * abs(tokens - used), -1.0)
        return LengthTerm(additive=value, reported=value)
    factor = min(max(alpha * (abs(tokens) - used) + 0.5, 0.0), 1.0)
    return LengthTerm(factor=factor, reported=factor)


register_preset("default", score, "the corrected reward: credit + 0.5·format + length, in [-1, 1.5] by default")
