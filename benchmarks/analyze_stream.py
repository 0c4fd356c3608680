"""Memory and speed of ``medu1 analyze`` on generated verl dumps of growing size.

Writes one verl 0.9.1 validation dump (``1.jsonl``) per size, of responses about 2 KB long
in six shapes (no tags, long prose, short think, answer first, steps in the answer, numbered
steps with reflection), analyses each in a fresh process and prints its size, responses/s and
peak resident memory. Flat memory across sizes is the point. Usage:
``python benchmarks/analyze_stream.py [--mb 20 200 2000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "system\nThink inside <think> </think>, answer inside <answer> </answer>.\nuser\nWhich artery? Think for 400 tokens.\nassistant\n"
PROSE = "The inferior leads show elevation and the right coronary artery supplies the inferior wall in most hearts. " * 16
SHAPES = (
    PROSE + "Answer: B",
    f"<think>{PROSE}</think><answer>B</answer>",
    "<think>Inferior leads mean the right coronary artery.</think><answer>B</answer>" + " " * 1600,
    f"<think>The answer is B. {PROSE}</think><answer>B</answer>",
    f"<think>Leads.</think><answer>Step 1: because {PROSE} Step 2: therefore B.</answer>",
    f"<think>1. {PROSE}\n2. Wait, let me verify the circumflex.\nSo the answer is B.</think><answer>B</answer>",
)


def write_dump(folder: Path, megabytes: int) -> int:
    """A dump of about ``megabytes`` MB; returns its line count."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"input": PROMPT, "output": shape, "gts": "B", "score": 1.0, "step": 1, "acc": 1.0, "format": 1.0})
        + "\n"
        for shape in SHAPES
    ]
    target, written, count = megabytes * 1_000_000, 0, 0
    with (folder / "1.jsonl").open("w") as handle:
        while written < target:
            line = lines[count % len(lines)]
            handle.write(line)
            written += len(line)
            count += 1
    return count


def child(dump: Path, out: Path) -> None:
    """Analyse ``dump`` and print seconds and peak RSS (MB) as JSON."""
    from med_u1.analysis.analyze import run_analyze

    start = time.perf_counter()
    run_analyze([dump], out, plots=False)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'dump MB':>8} {'responses':>10} {'seconds':>8} {'responses/s':>12} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.mb:
            dump = Path(tmp) / f"dump{megabytes}"
            lines = write_dump(dump, megabytes)
            result = subprocess.run(
                [sys.executable, __file__, "--child", str(dump), str(Path(tmp) / f"out{megabytes}")],
                check=True, capture_output=True, text=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            (dump / "1.jsonl").unlink()
            print(
                f"{megabytes:>8} {lines:>10} {figures['seconds']:>8.1f} {lines / figures['seconds']:>12.0f} "
                f"{figures['peak_rss_mb']:>12.0f}"
            )


if __name__ == "__main__":
    main()
