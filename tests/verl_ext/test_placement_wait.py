"""verl's wait for its placement groups is bounded and says what the cluster lacks."""

from __future__ import annotations

import pytest

from med_u1.verl_ext.placement_wait import place, wait_until_placeable

# trainer.nnodes=2, one device per node: verl asks one group {CPU: 3, GPU: 1} per node.
TWO_NODE_GROUPS = [{"CPU": 3.0, "GPU": 1.0}, {"CPU": 3.0, "GPU": 1.0}]


def test_groups_go_to_nodes_with_room_or_nowhere() -> None:
    nodes = {"head": {"CPU": 5.0, "GPU": 1.0}, "worker": {"CPU": 5.0, "GPU": 1.0}}
    assert sorted(place(TWO_NODE_GROUPS, nodes).values()) == ["head", "worker"]
    # The hang this guards against: the head's driver actors took 2 of its 4 CPUs.
    assert place(TWO_NODE_GROUPS, {"head": {"CPU": 2.0, "GPU": 1.0}, "worker": {"CPU": 4.0, "GPU": 1.0}}) is None
    assert place(TWO_NODE_GROUPS, {"head": {"CPU": 8.0, "GPU": 2.0}}) is not None  # both groups fit one node


def test_a_cluster_too_small_fails_at_once_naming_each_node() -> None:
    nodes = {"aaa": {"CPU": 1.0, "GPU": 1.0}, "bbb": {"CPU": 1.0, "GPU": 1.0}}
    with pytest.raises(RuntimeError) as raised:
        wait_until_placeable(TWO_NODE_GROUPS, lambda: nodes, lambda: nodes, timeout_s=600)
    message = str(raised.value)
    assert "{CPU: 3, GPU: 1}, {CPU: 3, GPU: 1}" in message
    assert "node aaa: 1 CPU, 1 GPU; node bbb: 1 CPU, 1 GPU" in message and "--num-cpus" in message


def test_resources_held_by_others_are_waited_for_then_a_timeout_names_them() -> None:
    total = {"aaa": {"CPU": 4.0, "GPU": 1.0}, "bbb": {"CPU": 4.0, "GPU": 1.0}}
    busy = {"aaa": {"CPU": 4.0, "GPU": 1.0}, "bbb": {"CPU": 0.0, "GPU": 0.0}}
    with pytest.raises(TimeoutError, match="node bbb: 0 CPU, 0 GPU.*MEDU1_PLACEMENT_TIMEOUT_S"):
        wait_until_placeable(TWO_NODE_GROUPS, lambda: total, lambda: busy, timeout_s=0.2, poll_s=0.05)
    freed = iter([busy, busy, total])
    wait_until_placeable(TWO_NODE_GROUPS, lambda: total, lambda: next(freed), timeout_s=60, poll_s=0.01)
