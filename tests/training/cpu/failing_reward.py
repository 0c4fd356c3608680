"""A reward that always raises: makes verl's trainer fail after vLLM has generated (the cleanup test)."""


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float:
    raise RuntimeError("deliberate failure of the shared-memory cleanup test")
