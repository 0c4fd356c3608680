"""The verl releases Med-U1's verl extensions are tested with (no verl import at module level)."""

from __future__ import annotations

TESTED_VERL_VERSIONS = ("0.9.1",)


def require_tested_verl(version: str | None = None) -> None:
    """Raise a clear error when the installed verl is not one the hf rollout is tested with."""
    if version is None:
        import verl

        version = verl.__version__
    if version not in TESTED_VERL_VERSIONS:
        raise RuntimeError(
            f"Med-U1's rollout.name=hf (CPU rollout) relies on verl internals and is tested with verl "
            f"{', '.join(TESTED_VERL_VERSIONS)} only; found verl {version}. "
            f"Install verl=={TESTED_VERL_VERSIONS[-1]} or use rollout.name=vllm."
        )
