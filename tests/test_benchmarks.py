"""Every benchmark script still imports what it uses from the package (none is run: they print
figures, and take minutes). Each is imported in a fresh interpreter as its own command would load
it, with ``benchmarks/`` first on the path and the repository beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))
IMPORT = "import importlib, sys; sys.path.insert(0, 'benchmarks'); importlib.import_module(sys.argv[1])"

pytestmark = pytest.mark.slow  # a fresh interpreter per script


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_the_benchmark_imports(script: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    completed = subprocess.run([sys.executable, "-c", IMPORT, script.stem], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
