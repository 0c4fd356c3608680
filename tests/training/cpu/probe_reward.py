"""A reward with spread inside every group, so GRPO advantages are non-zero and weights move.

The med_u1 reward gives an untrained tiny model the same score for every 32-token answer
(no answer, no format, same length), hence zero GRPO advantages and no policy change; the
weight-sync probe needs the policy to change.
"""


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float:
    """Share of vowels in the response: differs between samples of one prompt."""
    return sum(solution_str.count(vowel) for vowel in "aeiou") / max(len(solution_str), 1)
