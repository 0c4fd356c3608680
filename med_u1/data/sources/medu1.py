"""Med-U1's released files: ``deepscaler/data/*.json`` records (dispatched on ``Source``) and
``processed_data/*.parquet`` verl rows (dispatched on ``data_source``; the prompt is parsed back
into question, options and budget, so the rows can be rebuilt with any template and budget)."""

from __future__ import annotations

import re
from typing import Any, Mapping

from med_u1.data.budget_sentence import NO_BUDGET, split_budget
from med_u1.data.prompts import ANSWER_INSTRUCTIONS, LABEL_INSTRUCTION
from med_u1.data.record import Example, Location, make_example
from med_u1.data.sources.base import SourceSpec, make_uid, parse_options, require, text_field
from med_u1.data.sources.medcalc import calc_example, number_text
from med_u1.rewards.medcalc import infer_output_type
from med_u1.rewards.registry import canonical_source, task_of
from med_u1.rewards.row import reward_fields

_RENDERED_USER = re.compile(r"<\|im_start\|>user\n(.*?)<\|im_end\|>", re.DOTALL)
_OPTION_MARK = re.compile(r"\n([A-Z]): ")
_ANSWER_TAGS = re.compile(r"^\s*<answer>\s*(.*?)\s*</answer>\s*$", re.DOTALL)
_LABEL_PREFIX, _LABEL_SUFFIX = LABEL_INSTRUCTION.split("{labels}")


def _uid(split: str, source: str, record_id: Any, index: int) -> str:
    return make_uid("medu1", split, f"{source}#{record_id if record_id not in (None, '') else index}", index)


def parse(record: Mapping[str, Any], where: Location, split: str, index: int) -> Example:
    """A Med-U1 JSON record or verl parquet row."""
    if "Source" in record:
        return parse_json_record(record, where, split, index)
    if "data_source" in record:
        return parse_verl_row(record, where, split, index)
    raise where.error("Source", "is missing (expected a Med-U1 JSON record or a verl row with data_source)")


def parse_json_record(record: Mapping[str, Any], where: Location, split: str, index: int) -> Example:
    """A ``deepscaler/data/*.json`` record: ``Source, problem, answer`` plus per-source fields."""
    source, task = source_and_task(record, "Source", where)
    question = text_field(record, "problem", where)
    uid = _uid(split, source, record.get("id"), index)
    if task == "calc":
        answer = number_text(require(record, "answer", where))
        lower = number_text(require(record, "Lower Limit", where))
        upper = number_text(require(record, "Upper Limit", where))
        return calc_example(
            where, name="medu1", split=split, index=index, record_id=uid.split(":", 2)[2], question=question,
            answer=answer, lower=lower, upper=upper, output_type=infer_output_type(answer, lower, upper), meta={},
        )
    if task == "open":
        answer = text_field(record, "answer", where)
        match = _ANSWER_TAGS.match(answer)
        return make_example(
            where, question=question, answer=match.group(1) if match else answer, source=source, split=split,
            uid=uid, task="open", output_type="text",
        )
    if task == "mcqa":
        options_field = "choices" if "choices" in record else "options"
        options = parse_options(require(record, options_field, where), where, options_field)
        meta = {k: record[k] for k in ("medical_task", "body_system", "question_type") if record.get(k)}
        if "question_type" in meta:
            meta["difficulty"] = meta["question_type"]
        return make_example(
            where, question=question, answer=text_field(record, "answer", where), options=options, source=source,
            split=split, uid=uid, task="mcqa", output_type="letter", meta=meta,
        )
    raise where.error("Source", f"{source!r} has task {task!r}, which Med-U1 records do not hold")


def source_and_task(record: Mapping[str, Any], field_name: str, where: Location) -> tuple[str, str]:
    """The canonical data source named by ``record[field_name]`` and its task, from the task table."""
    name = text_field(record, field_name, where)
    try:
        return canonical_source(name), task_of(name)
    except KeyError:
        raise where.error(field_name, f"{name!r} is not a registered data source") from None


def parse_verl_row(record: Mapping[str, Any], where: Location, split: str, index: int) -> Example:
    """A verl row (Med-U1's rendered single-message prompt, or system + user messages)."""
    source, task = source_and_task(record, "data_source", where)
    reward = require(record, "reward_model", where)
    if not isinstance(reward, Mapping):
        raise where.error("reward_model", "is not a mapping")
    truth = text_field(reward, "ground_truth", where)
    body, budget, labels = split_user_prompt(user_content(record, where), where)
    extra = record.get("extra_info") or {}
    fields = reward_fields(reward, extra)
    uid = extra.get("uid") or _uid(split, source, extra.get("index"), index)
    meta: dict[str, Any] = {"source_num_tokens": budget} if budget is not None else {}
    if labels:
        meta["labels"] = labels
    if task == "calc":
        lower = number_text(fields["lower_limit"]) if "lower_limit" in fields else None
        upper = number_text(fields["upper_limit"]) if "upper_limit" in fields else None
        output_type = fields.get("output_type") or infer_output_type(truth, lower, upper)
        return make_example(
            where, question=body, answer=truth, lower_limit=lower, upper_limit=upper, source=source, split=split,
            uid=uid, task="calc", output_type=output_type, meta=meta,
        )
    if task == "mcqa" and not labels:
        question, options = split_options(body, where)
        return make_example(
            where, question=question, answer=truth, options=options, source=source, split=split, uid=uid,
            task="mcqa", output_type="letter", meta=meta,
        )
    return make_example(
        where, question=body, answer=truth, source=source, split=split, uid=uid, task=task, output_type="text",
        meta=meta,
    )


def user_content(record: Mapping[str, Any], where: Location) -> str:
    """The user turn of a verl row, from a rendered (Qwen) prompt or from chat messages."""
    prompt = require(record, "prompt", where)
    if not isinstance(prompt, (list, tuple)) or not prompt:
        raise where.error("prompt", "is not a list of chat messages")
    users = [m.get("content", "") for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
    if not users:
        raise where.error("prompt", "has no user message")
    rendered = _RENDERED_USER.search(users[-1])
    return rendered.group(1) if rendered else users[-1]


def split_user_prompt(text: str, where: Location) -> tuple[str, int | None, list[str] | None]:
    """``(question body, budget or None, word labels or None)`` from a Med-U1 style user turn."""
    text, budget = split_budget(text)
    if budget is None:
        if not text.endswith(" "):
            raise where.error("prompt", "does not end with a thinking budget or a space")
        text, budget = text[:-1], NO_BUDGET
    labels = None
    for instruction in ANSWER_INSTRUCTIONS:
        if text.endswith(instruction):
            text = text[: -len(instruction)]
            break
    else:
        if _LABEL_SUFFIX and text.endswith(_LABEL_SUFFIX) and _LABEL_PREFIX in text:
            start = text.rindex(_LABEL_PREFIX)
            labels = text[start + len(_LABEL_PREFIX) : -len(_LABEL_SUFFIX)].split(", ")
            text = text[:start]
        else:
            raise where.error("prompt", "has no known answer instruction")
    if not text.endswith(" "):
        raise where.error("prompt", "answer instruction is not separated by a space")
    return text[:-1], budget, labels


def split_options(body: str, where: Location) -> tuple[str, dict[str, str]]:
    """Split the trailing ``\nA: text\nB: text ...`` block (letters in order) off a question body."""
    marks = list(_OPTION_MARK.finditer(body))
    for first in reversed(range(len(marks))):
        tail = marks[first:]
        if len(tail) >= 2 and [m.group(1) for m in tail] == [chr(ord("A") + i) for i in range(len(tail))]:
            ends = [m.start() for m in tail[1:]] + [len(body)]
            options = {m.group(1): body[m.end() : stop] for m, stop in zip(tail, ends)}
            return body[: tail[0].start()], options
    raise where.error("prompt", "no option lines (A: ..., B: ...) after the question")


SPEC = SourceSpec(
    name="medu1",
    parse=parse,
    summary="Med-U1 released files: deepscaler/data/*.json records or processed_data/*.parquet rows",
)
