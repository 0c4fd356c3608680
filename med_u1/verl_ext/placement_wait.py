"""A bounded wait for verl's placement groups, with a message that says what is missing.

verl reserves its workers' resources with one Ray placement group per node, each bundle asking
for ``max_colocate_count`` (3) logical CPUs and one device, then waits for them with no time
limit. On a cluster whose nodes cannot hold a group (a node declared with too few CPUs, the
driver's actors taking some of them, a node missing) the trainer waits forever after "colocated
worker base class ...", printing nothing. Before verl creates its groups, this checks that the
cluster's nodes can hold them: never (too small, whatever is freed) fails at once; not now
(other jobs hold the resources) waits at most ``MEDU1_PLACEMENT_TIMEOUT_S`` seconds, then fails.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Callable, Mapping, Sequence

import ray
from verl.plugin.platform import get_platform
from verl.single_controller.ray.base import RayResourcePool

TIMEOUT_ENV = "MEDU1_PLACEMENT_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 300.0
POLL_S = 2.0

Resources = Mapping[str, float]


def group_needs(pool: RayResourcePool) -> list[dict[str, float]]:
    """What each of the pool's placement groups asks of the one node it is packed on."""
    device = get_platform().ray_resource_name()
    needs = []
    for process_count in pool.store:
        need = {"CPU": float(pool.max_colocate_count * process_count)}
        if pool.use_gpu:
            need[device] = float(process_count)
        needs.append(need)
    return needs


def place(needs: Sequence[Resources], nodes: Mapping[str, Resources]) -> dict[int, str] | None:
    """Groups to nodes, largest group first on the first node with room; None when one has no room."""
    left = {node: dict(resources) for node, resources in nodes.items()}
    placed: dict[int, str] = {}
    for index in sorted(range(len(needs)), key=lambda i: -sum(needs[i].values())):
        need = needs[index]
        node = next((n for n, have in left.items() if all(have.get(k, 0.0) >= v for k, v in need.items())), None)
        if node is None:
            return None
        for key, value in need.items():
            left[node][key] -= value
        placed[index] = node
    return placed


def describe(nodes: Mapping[str, Resources], keys: Sequence[str]) -> str:
    return "; ".join(
        f"node {node}: " + ", ".join(f"{resources.get(key, 0.0):g} {key}" for key in keys)
        for node, resources in nodes.items()
    ) or "no alive node"


def placement_problem(needs: Sequence[Resources], nodes: Mapping[str, Resources], what: str) -> str:
    """What verl's groups ask for and what the nodes have (``what`` says which figures those are)."""
    keys = sorted({key for need in needs for key in need})
    wanted = ", ".join("{" + ", ".join(f"{key}: {need[key]:g}" for key in keys) + "}" for need in needs)
    return (f"verl's workers need a node for each of these groups: {wanted} (3 logical CPUs per device, "
            f"besides the CPUs of verl's driver and helper actors); {what}: {describe(nodes, keys)}")


def wait_until_placeable(
    needs: Sequence[Resources],
    total: Callable[[], Mapping[str, Resources]],
    available: Callable[[], Mapping[str, Resources]],
    timeout_s: float,
    poll_s: float = POLL_S,
) -> None:
    """Return once ``needs`` fit the available resources; RuntimeError at once if they never can, TimeoutError later."""
    nodes = total()
    if place(needs, nodes) is None:
        raise RuntimeError(placement_problem(needs, nodes, "the cluster's nodes have in all") +
                           ". Start the nodes with more --num-cpus / --num-gpus, or lower trainer.nnodes / "
                           "trainer.n_gpus_per_node")
    deadline = time.monotonic() + timeout_s
    while place(needs, free := available()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(placement_problem(needs, free, f"after {timeout_s:g} s the nodes still have free") +
                               f". Other jobs hold the rest; raise {TIMEOUT_ENV} to wait longer")
        time.sleep(poll_s)


def _alive_total() -> dict[str, dict[str, float]]:
    return {node["NodeID"]: node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")}


def _available() -> dict[str, dict[str, float]]:
    return ray._private.state.available_resources_per_node()  # what verl's own resource check reads


def install_bounded_placement_wait() -> None:
    """Check a pool's groups fit the cluster (bounded wait) before verl creates and waits for them."""
    original = RayResourcePool.get_placement_groups
    if getattr(original, "medu1_wrapped", False):
        return

    @functools.wraps(original)
    def get_placement_groups(self: RayResourcePool, *args, **kwargs):
        if self.pgs is None:
            timeout_s = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
            wait_until_placeable(group_needs(self), _alive_total, _available, timeout_s)
        return original(self, *args, **kwargs)

    get_placement_groups.medu1_wrapped = True
    RayResourcePool.get_placement_groups = get_placement_groups
