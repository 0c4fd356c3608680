"""Runs that join a running Ray cluster (``+ray_kwargs.ray_init.address=...``), as on several nodes.

verl's driver connects to the cluster instead of starting a local Ray. Two things then differ
from a one-node run: ``ray.init`` refuses ``num_cpus``/``num_gpus`` (the nodes declared their
resources with ``ray start``), and the workers do not inherit the launching shell's environment
(they are children of each node's raylet), so the recipe's environment (``VERL_PLATFORM=cpu``,
the file logger's path) must reach them through Ray's ``runtime_env``. Without it the workers
fall back to the CUDA platform and the file logger writes elsewhere.

``python -m med_u1.training.cluster`` holds the helpers ``scripts/train/multinode.sh`` calls:
``reachable`` (fail in seconds when the head cannot be reached) and ``wait-nodes`` (wait, bounded,
until the cluster has its nodes). This module imports no Ray at module level.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from typing import Sequence

from med_u1.errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_RAY_PORT = 6379


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (port 6379 when left out) as a pair."""
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    return host, int(port) if port else DEFAULT_RAY_PORT


def require_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Raise a UserError within ``timeout_s`` when nothing listens at the head's GCS port."""
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as error:
        raise UserError(
            f"cannot reach the Ray head at {host}:{port} ({error}); start it first (ROLE=head), check HEAD_ADDR and "
            "RAY_PORT, and that the port is open between the machines"
        ) from None


def alive_nodes() -> list[dict]:
    """``ray.nodes()`` entries of the alive nodes of the cluster this process joined."""
    import ray

    return [node for node in ray.nodes() if node.get("Alive")]


def describe_node(node: dict) -> str:
    """``<node id> at <ip>: N CPU, M GPU`` (with the GPU model Ray detected) for a ``ray.nodes()`` entry."""
    resources = node.get("Resources", {})
    models = sorted(key.split(":", 1)[1] for key in resources if key.startswith("accelerator_type:"))
    gpus = f"{resources.get('GPU', 0):g} GPU" + (f" ({', '.join(models)})" if models else "")
    return f"{node['NodeID']} at {node.get('NodeManagerAddress', '?')}: {resources.get('CPU', 0):g} CPU, {gpus}"


def connect(address: str) -> None:
    """Join the cluster at ``address`` as a quiet driver (the token comes from Ray's usual variables)."""
    import ray

    ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)


def wait_for_nodes(address: str, count: int, timeout_s: float, poll_s: float = 2.0) -> list[dict]:
    """Wait until the head answers and the cluster has ``count`` alive nodes; a UserError after ``timeout_s``."""
    import ray

    deadline = time.monotonic() + timeout_s
    while True:  # the head may still be starting
        try:
            require_reachable(address, timeout_s=2.0)
            connect(address)
            break
        except (UserError, ConnectionError, RuntimeError) as error:  # Ray: the head's node not registered yet
            ray.shutdown()
            if time.monotonic() > deadline:
                raise UserError(f"could not join the Ray cluster at {address} within {timeout_s:g} s: {error}") from None
            time.sleep(poll_s)
    try:
        while True:
            nodes = alive_nodes()
            if len(nodes) >= count:
                return nodes
            if time.monotonic() > deadline:
                joined = "; ".join(describe_node(node) for node in nodes) or "none"
                raise UserError(
                    f"only {len(nodes)} of {count} Ray nodes joined {address} within {timeout_s:g} s (joined: {joined}); "
                    "start the others with ROLE=worker HEAD_ADDR=<head ip> scripts/train/multinode.sh, with the "
                    "head's token (RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN) and RAY_AUTH_MODE=token"
                )
            time.sleep(poll_s)
    finally:
        ray.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m med_u1.training.cluster", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    reachable = commands.add_parser("reachable", help="fail within seconds when the head's port does not answer")
    reachable.add_argument("--address", required=True)
    reachable.add_argument("--timeout", type=float, default=5.0)
    wait = commands.add_parser("wait-nodes", help="wait until the cluster has N alive nodes and list them")
    wait.add_argument("--address", required=True)
    wait.add_argument("--nodes", type=int, required=True)
    wait.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    try:
        if args.command == "reachable":
            require_reachable(args.address, args.timeout)
        else:
            for node in wait_for_nodes(args.address, args.nodes, args.timeout):
                print(f"node {describe_node(node)}")
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
