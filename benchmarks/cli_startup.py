"""Start-up time of the ``medu1`` command line (target: under 1 s each on 2 cores).

Times ``medu1 --help`` and ``medu1 score`` on a 10-line file, each run in a fresh process
(the ``medu1`` console script when it is on PATH, else ``python -m med_u1.cli``), with this
checkout first on ``PYTHONPATH``. Prints per command the median and best wall time, the CPU
time of the child (user + system: less sensitive to other jobs on a shared machine), and the
sum of import times that ``python -X importtime`` reports for one run.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 7
TARGET_SECONDS = 1.0
ROW = {"data_source": "MedQA", "response": "<think>The vignette points to B.</think><answer>B</answer>", "ground_truth": "B"}


def command_prefix() -> list[str]:
    script = shutil.which("medu1")
    return [script] if script else [sys.executable, "-m", "med_u1.cli"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def timed_run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=environment(), check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_seconds(arguments: list[str]) -> float:
    """Total import time of one run, as ``python -X importtime`` reports it (sum of self times)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "med_u1.cli", *arguments],
        env=environment(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    return sum(int(m.group(1)) for m in re.finditer(r"^import time:\s+(\d+) \|", completed.stderr, re.M)) / 1e6


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        rows = Path(folder) / "rows.jsonl"
        rows.write_text("".join(json.dumps(ROW) + "\n" for _ in range(10)))
        commands = {"medu1 --help": ["--help"], "medu1 score (10 rows)": ["score", "--input", str(rows)]}
        print(f"{RUNS} runs each with {' '.join(command_prefix())}; target under {TARGET_SECONDS:.1f} s")
        print(f"{'command':<24} {'wall median':>12} {'wall best':>10} {'CPU median':>11} {'imports':>8}")
        for label, arguments in commands.items():
            timed_run([*command_prefix(), *arguments])  # warm the file cache
            walls, cpus = zip(*(timed_run([*command_prefix(), *arguments]) for _ in range(RUNS)))
            print(f"{label:<24} {statistics.median(walls):>10.2f} s {min(walls):>8.2f} s "
                  f"{statistics.median(cpus):>9.2f} s {import_seconds(arguments):>6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
