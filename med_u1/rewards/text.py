"""Answer text helpers the verifiers share."""

from __future__ import annotations

import re

#: Longest answer :func:`unwrap` peels wrappers off.
MAX_WRAPPED_CHARS = 2_000

_WRAPPERS = (
    re.compile(r"^\\boxed\{(.*)\}$", re.DOTALL),
    re.compile(r"^\\text(?:bf)?\{(.*)\}$", re.DOTALL),
    re.compile(r"^\$+(.*?)\$+$", re.DOTALL),
    re.compile(r"^\*\*(.*)\*\*$", re.DOTALL),
    re.compile(r"^`+(.*?)`+$", re.DOTALL),
)


_WRAPPER_STARTS = frozenset("\\$*`")


def unwrap(answer: str) -> str:
    """Peel LaTeX/markdown wrappers (``\\boxed{}``, ``\\text{}``, ``$..$``, ``**..**``) off an answer.

    An answer longer than :data:`MAX_WRAPPED_CHARS` is only stripped: peeling costs a
    pass over the answer per layer, and no real answer hides under that many wrappers.
    """
    answer = answer.strip()
    if len(answer) > MAX_WRAPPED_CHARS:
        return answer
    changed = True
    while changed and answer and answer[0] in _WRAPPER_STARTS:
        changed = False
        for pattern in _WRAPPERS:
            match = pattern.match(answer)
            if match:
                answer = match.group(1).strip()
                changed = True
    return answer
