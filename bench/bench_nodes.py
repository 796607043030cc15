"""What real nodes cost: join to Ready, CoreDNS answering, pods Running, memory per node.

Run from the repository root as root, with the binaries, node parts and images cached (the
first run builds them and prints the cold build time)::

    python bench/bench_nodes.py [--nodes N] [--whole-up]

A control plane is brought up on free ports (as the fixtures do), ``N`` real nodes joined,
and the time to every node Ready, to a CoreDNS pod Ready and to a pod per node Running is
measured, with the resident memory of each node's kubelet and containerd and of the pods'
processes in its cgroup. Everything is torn down at the end. Figures are printed, not asserted;
the target for ``up`` plus two nodes Ready with CoreDNS answering is 15 s with a warm cache.
``--whole-up`` times ``bring_up`` of ``nodes=N`` as ``kubeadm-verify up --nodes N`` runs it instead:
the control-plane node and N workers Ready, kube-proxy on each and CoreDNS Ready, in one call,
with the milestones of its log and the load average (the machine may be shared: compare
figures taken under like load).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bootstrap.runtime import nodes  # noqa: E402
from bootstrap.runtime.bringup import bring_up  # noqa: E402
from bootstrap.runtime.nodes import cgroups, network  # noqa: E402
from bootstrap.runtime.nodes.record import load  # noqa: E402
from bootstrap.runtime.process import rss_bytes  # noqa: E402
from bootstrap.runtime.spec import ClusterSpec  # noqa: E402
from bootstrap.runtime.state import StateDir  # noqa: E402
from bootstrap.upstream.images import ensure_images  # noqa: E402
from bootstrap.upstream.nodeparts import ensure_node_parts  # noqa: E402

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"


def _wait(what: str, check: Any, timeout: float = 180.0) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - start


def _pods_running(core: Any, names: list[str], node_names: list[str]) -> float:
    from kubernetes import client as k8s

    for name, node in zip(names, node_names, strict=True):
        container = k8s.V1Container(name="main", image=AGNHOST, args=["pause"])
        core.create_namespaced_pod(
            "default",
            k8s.V1Pod(
                metadata=k8s.V1ObjectMeta(name=name),
                spec=k8s.V1PodSpec(
                    node_name=node, containers=[container], termination_grace_period_seconds=0
                ),
            ),
        )
    return _wait(
        "pods Running",
        lambda: all(
            core.read_namespaced_pod(n, "default").status.phase == "Running" for n in names
        ),
    )


def _memory(state: StateDir) -> list[str]:
    import psutil

    lines = []
    found = load(state)
    for node in found.nodes if found else []:
        sizes = {proc.component: rss_bytes(proc) / 2**20 for proc in node.processes}
        pods = 0
        for pid in cgroups.pids(node.cgroup_root):
            try:
                if pid not in {proc.pid for proc in node.processes}:
                    pods += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                continue
        lines.append(
            f"{node.name}: kubelet {sizes.get('kubelet', 0):.0f} MiB, containerd "
            f"{sizes.get('containerd', 0):.0f} MiB, shims and pods {pods / 2**20:.0f} MiB"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--whole-up", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="--whole-up runs (default 1)")
    args = parser.parse_args()
    if args.whole_up:
        return whole_up(args.nodes, args.repeat)
    start = time.monotonic()
    prepared = (parts := ensure_node_parts()), ensure_images(parts)
    print(f"node parts and images ready: {time.monotonic() - start:.1f} s")
    name = f"kvn-bench-{secrets.token_hex(3)}"
    spec = ClusterSpec.local(name)
    state = spec.state
    start = time.monotonic()
    with bring_up(spec, log=lambda _: None) as handle:
        control_plane = time.monotonic() - start
        joined = nodes.join(handle, args.nodes, log=lambda _: None, prepared=prepared)
        to_ready = time.monotonic() - start
        from kubernetes import client as k8s

        api = handle.api_client()
        core = k8s.CoreV1Api(api)
        dns = nodes.wait_addons(state, [node.name for node in joined])
        running = _pods_running(
            core, [f"bench-{i}" for i in range(len(joined))], [node.name for node in joined]
        )
        print(
            f"control plane up: {control_plane:.1f} s; {args.nodes} node(s) Ready: "
            f"{to_ready:.1f} s after start; kube-proxy and CoreDNS Ready {dns:.1f} s later "
            f"(total {to_ready + dns:.1f} s); a pod per node Running in {running:.1f} s"
        )
        for line in _memory(state):
            print(line)
        api.close()
        start = time.monotonic()
    print(f"teardown: {time.monotonic() - start:.1f} s")
    return 0


SPANS = (
    ("init done", "initialized successfully"),
    ("control-plane kubelet started", "[kubelet-start] "),
    ("discovery answered", "[discovery]"),
    ("every node Ready", " node(s) Ready after"),
    ("kube-proxy and CoreDNS Ready", "[addons] kube-proxy Ready"),
)
"""Milestones of ``up``'s own log: the first line containing each marker."""


def _milestones(lines: list[tuple[float, str]]) -> str:
    found = []
    for label, marker in SPANS:
        at = next((t for t, line in lines if marker in line), None)
        if at is not None:
            found.append(f"{label} {at:.1f} s")
    return "; ".join(found)


class _DnsWatch:
    """When CoreDNS first answers a query for the API's Service name, asked at a CoreDNS pod's
    own IP from inside a node's network namespace (``dig``). ``up`` itself waits longer: for
    CoreDNS's readiness probe (kubeadm's manifest leaves it at the default 10 s period, and a
    kubelet started moments ago delays its first probe by a random part of that period)."""

    def __init__(self, state: StateDir, start: float) -> None:
        self.state, self.start = state, start
        self.answered: float | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _pod_ips(self) -> list[str]:
        from kubernetes import client as k8s
        from kubernetes import config

        admin = self.state.kubeconfig("admin")
        if not admin.is_file():
            return []
        api = config.new_client_from_config(str(admin))
        try:
            pods = (
                k8s.CoreV1Api(api)
                .list_namespaced_pod(
                    "kube-system", label_selector="k8s-app=kube-dns", _request_timeout=2
                )
                .items
            )
        finally:
            api.close()
        return [p.status.pod_ip for p in pods if p.status and p.status.pod_ip]

    def _asks_from(self) -> Path | None:
        found = load(self.state)
        return network.netns_path(found.nodes[0].netns) if found and found.nodes else None

    def _watch(self) -> None:
        while not self.stop.is_set() and self.answered is None:
            try:
                netns, ips = self._asks_from(), self._pod_ips()
            except Exception:  # the API may not answer yet: ask again
                netns, ips = None, []
            for ip in ips if netns else []:
                said = subprocess.run(
                    [
                        "nsenter",
                        f"--net={netns}",
                        "dig",
                        "+short",
                        "+time=1",
                        "+tries=1",
                        f"@{ip}",
                        "kubernetes.default.svc.cluster.local",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                ).stdout.strip()
                if said:
                    self.answered = time.monotonic() - self.start
                    return
            self.stop.wait(0.2)

    def done(self) -> float | None:
        self.stop.set()
        self.thread.join(10)
        return self.answered


def whole_up(count: int, repeat: int = 1) -> int:
    for _ in range(repeat):
        _one_up(count)
    return 0


def _one_up(count: int) -> None:
    name = f"kvn-bench-{secrets.token_hex(3)}"
    spec = ClusterSpec.local(name, nodes=count)
    state = spec.state
    lines: list[tuple[float, str]] = []
    load = os.getloadavg()[0]
    start = time.monotonic()
    dns = _DnsWatch(state, start)
    with bring_up(spec, log=lambda line: lines.append((time.monotonic() - start, line))):
        print(
            f"up --nodes {count}: control-plane node and {count} worker(s) Ready, kube-proxy "
            f"and CoreDNS Ready in {time.monotonic() - start:.1f} s (load {load:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after)"
        )
        print(f"  {_milestones(lines)}")
        answered = dns.done()
        ready = next((t for t, line in lines if " node(s) Ready after" in line), None)
        if answered is not None and ready is not None:
            print(
                f"  every node Ready and CoreDNS answering (at its pod IP): "
                f"{max(answered, ready):.1f} s"
            )
        for line in _memory(state):
            print(f"  {line}")
        start = time.monotonic()
    print(f"  teardown: {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
